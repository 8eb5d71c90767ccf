"""Networks and the skorch wrapper used by skautoml.

This module is public: exported scripts of pipelines that contain a network
import :class:`NetClassifier` and the module classes from here.
"""

from ._skorch import NetClassifier, StopOnNaN, resolve_device
from ._tabular import TabularMLP

__all__ = ["NetClassifier", "StopOnNaN", "TabularMLP", "resolve_device"]
