"""The library's errors and warnings."""

from __future__ import annotations

__all__ = [
    "AllTrialsFailedError",
    "DivergedError",
    "MissingDependencyError",
    "SearchWarning",
    "TrialFailedWarning",
]


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra."""


class AllTrialsFailedError(RuntimeError):
    """Every trial of a search failed; the message lists their errors."""


class DivergedError(RuntimeError):
    """A network's training loss became NaN or infinite."""


class TrialFailedWarning(UserWarning):
    """Some trials of a search failed; they are recorded in ``cv_results_``."""


class SearchWarning(UserWarning):
    """The search ended early or fell back (time budget, interruption)."""
