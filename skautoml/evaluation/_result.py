"""The typed result a job sends back to the search loop, and failures as results."""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, replace
from typing import Any

from ..exceptions import DivergedError, TrialPruned
from ..records import BUDGET_RAN_OUT, StopCause, TrialStatus

__all__ = ["TrialResult", "error_text", "status_of"]

#: the end of a stopped job's error text, by stop cause
_WHY_STOPPED = {
    StopCause.BUDGET: BUDGET_RAN_OUT,
    StopCause.TRIAL_LIMIT: "trial_time_limit",
    StopCause.INTERRUPTED: "interrupted",
}


def status_of(exc: BaseException) -> TrialStatus:
    """Map an exception raised by a trial to its record status."""
    if isinstance(exc, TrialPruned):
        return TrialStatus.PRUNED
    if isinstance(exc, DivergedError):
        return TrialStatus.DIVERGED
    if isinstance(exc, MemoryError):
        return TrialStatus.MEMOUT
    if isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc):
        return TrialStatus.MEMOUT
    return TrialStatus.ERROR


def error_text(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, short enough for a table."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


@dataclass(frozen=True)
class TrialResult:
    """What one job reports back to the search loop.

    ``test_scores`` holds one score per fold; ``fit_time`` and
    ``score_time`` are means per fold. ``stop_cause`` says why a
    ``timeout`` job was stopped. ``model`` is the first fold's fitted
    pipeline (asked for with :attr:`Job.keep_above`), ``pipeline`` the
    refit one, ``curve`` a network's validation accuracy per epoch.
    ``size_bytes`` and ``predict_ms`` (milliseconds per row) measure a
    full-fidelity trial's first-fold pipeline (``None`` when unmeasured).
    """

    status: TrialStatus
    test_scores: tuple[float, ...] = ()
    fit_time: float = 0.0
    score_time: float = 0.0
    duration: float = 0.0
    error: str | None = None
    stop_cause: StopCause | None = None
    curve: tuple[float, ...] | None = None
    model: Any = None
    pipeline: Any = None
    worker: str | None = None
    fidelity: float | None = None
    low_fidelity_score: float | None = None
    #: how the scores were made: ``"cv"`` (every split) or ``"holdout"`` (the first)
    protocol: str | None = None
    #: a network's epoch (from 1) of lowest validation loss, on the first split
    best_epoch: int | None = None
    #: ensembles: out-of-fold class probabilities (float32, NaN where unscored)
    oof: Any = None
    #: ensembles: every scored fold's fitted pipeline (a worker sends them pickled)
    fold_models: Any = None
    #: full fidelity: the first fold's fitted pipeline, pickled, in bytes
    size_bytes: int | None = None
    #: full fidelity: its prediction time on its validation rows, ms per row
    predict_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is TrialStatus.OK

    @property
    def mean_score(self) -> float:
        if not self.test_scores:
            return math.nan
        return float(sum(self.test_scores) / len(self.test_scores))

    @classmethod
    def failed(cls, exc: BaseException, **extra: Any) -> TrialResult:
        """The record of a job that raised ``exc``."""
        return cls(status=status_of(exc), error=error_text(exc), **extra)

    @classmethod
    def stopped(cls, elapsed: float, cause: StopCause, why: str | None = None) -> TrialResult:
        """A job stopped after ``elapsed`` seconds, for ``cause`` (``why``: the text)."""
        return cls(
            status=TrialStatus.TIMEOUT,
            error=f"stopped after {elapsed:.1f} s: {why or _WHY_STOPPED[cause]}",
            duration=elapsed,
            stop_cause=cause,
        )

    def with_(self, **changes: Any) -> TrialResult:
        """A copy with ``changes``."""
        return replace(self, **changes)
