"""The library's errors and warnings."""

from __future__ import annotations

__all__ = [
    "AllTrialsFailedError",
    "DivergedError",
    "ExportError",
    "MissingDependencyError",
    "SearchWarning",
    "TrialFailedWarning",
    "TrialPruned",
]


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra."""


class AllTrialsFailedError(RuntimeError):
    """Every trial of a search failed; the message lists their errors."""


class DivergedError(RuntimeError):
    """A network's training loss became NaN or infinite."""


class ExportError(ValueError):
    """A pipeline holds a value that cannot be written as Python source.

    Raised by :func:`skautoml.export.pipeline_to_source` and
    :func:`skautoml.export.export_pipeline` (and so by the estimator's
    ``export``) when a parameter is, for example, a lambda, a function defined
    inside another function or in ``__main__``, a numpy random generator or an
    instantiated torch module. The message names the parameter, as a path from
    the outer estimator, and says what to pass instead.

    It is a :class:`ValueError`: the fault lies in a value the pipeline holds.

    See Also
    --------
    skautoml.export.export_pipeline : Write a pipeline as a standalone script.

    Examples
    --------
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skautoml.exceptions import ExportError
    >>> from skautoml.export import pipeline_to_source
    >>> try:
    ...     pipeline_to_source(FunctionTransformer(lambda X: X))
    ... except ExportError as error:
    ...     print(str(error).split(". ")[0])
    cannot export FunctionTransformer.func: it is a lambda
    """


class TrialPruned(Exception):
    """Raised inside a trial that a multi-fidelity rule stopped.

    A search records such a trial with status ``"pruned"``, not as a failure:
    :class:`skautoml.nets.MedianCurvePruner` raises it when a network's
    validation accuracy falls below the median curve of earlier networks.
    """


class TrialFailedWarning(UserWarning):
    """Some trials of a search failed; they are recorded in ``cv_results_``."""


class SearchWarning(UserWarning):
    """The search ended early or fell back (time budget, interruption)."""
