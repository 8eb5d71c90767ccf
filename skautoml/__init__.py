"""skautoml: AutoML that fine-tunes pretrained neural networks, the scikit-learn way."""

from ._estimator import AutoFineTuneClassifier
from .exceptions import (
    AllTrialsFailedError,
    DivergedError,
    MissingDependencyError,
    SearchWarning,
    TrialFailedWarning,
)

__version__ = "0.1.0"

__all__ = [
    "AllTrialsFailedError",
    "AutoFineTuneClassifier",
    "DivergedError",
    "MissingDependencyError",
    "SearchWarning",
    "TrialFailedWarning",
    "__version__",
]
