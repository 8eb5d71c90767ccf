"""skautoml: AutoML that fine-tunes pretrained neural networks, the scikit-learn way."""

from ._estimator import AutoFineTuneClassifier, AutoFineTuneRegressor
from ._version import __version__
from .exceptions import (
    AllTrialsFailedError,
    DivergedError,
    MissingDependencyError,
    SearchWarning,
    TrialFailedWarning,
)

__all__ = [
    "AllTrialsFailedError",
    "AutoFineTuneClassifier",
    "AutoFineTuneRegressor",
    "DivergedError",
    "MissingDependencyError",
    "SearchWarning",
    "TrialFailedWarning",
    "__version__",
]
