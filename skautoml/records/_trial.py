"""Frozen records of finished trials, and the statuses they end with."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from ..space import Candidate

__all__ = ["STATUSES", "StopCause", "Trial", "TrialStatus", "best_trial", "protocol_of"]


class TrialStatus(str, Enum):
    """How a trial ended.

    A ``str`` enum: members compare equal to their values (``"ok"``), so
    ``cv_results_["status"] == "ok"`` and the JSON checkpoint keep working.
    """

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    DIVERGED = "diverged"
    MEMOUT = "memout"
    PRUNED = "pruned"
    #: never started: predicted to end after the search had to stop
    SKIPPED = "skipped"

    __str__ = str.__str__
    __format__ = str.__format__


class StopCause(str, Enum):
    """Why a ``timeout`` trial was stopped: a field, never parsed from error text."""

    #: the whole ``fit``'s time budget ran out (no fault of the candidate)
    BUDGET = "budget"
    #: the trial ran past ``trial_time_limit``
    TRIAL_LIMIT = "trial_limit"
    #: the user interrupted the search (Ctrl-C)
    INTERRUPTED = "interrupted"

    __str__ = str.__str__
    __format__ = str.__format__


#: Every status a trial can end with.
STATUSES = tuple(s.value for s in TrialStatus)

#: the error text of trials stopped because the whole ``fit``'s budget ran out
BUDGET_RAN_OUT = "the time budget ran out"


@dataclass(frozen=True)
class Trial:
    """The record of one evaluated candidate.

    ``test_scores`` holds one score per CV fold (empty when the trial failed).
    ``meta`` holds strategy details (generation, operator, parents, fidelity)
    as sorted ``(key, value)`` pairs. ``stop_cause`` says why a ``timeout``
    trial was stopped. ``size_bytes`` (the pickled size) and ``predict_ms``
    (prediction time, milliseconds per row) measure a successful trial's
    first-fold pipeline on its validation rows; ``None`` when unknown
    (failed trials, or records of older versions).
    """

    number: int
    candidate: Candidate
    status: TrialStatus
    test_scores: tuple[float, ...] = ()
    fit_time: float = 0.0
    score_time: float = 0.0
    duration: float = 0.0
    error: str | None = None
    meta: tuple[tuple[str, Any], ...] = field(default=())
    stop_cause: StopCause | None = None
    size_bytes: int | None = None
    predict_ms: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", TrialStatus(self.status))
        if self.stop_cause is not None:
            object.__setattr__(self, "stop_cause", StopCause(self.stop_cause))

    @property
    def ok(self) -> bool:
        return self.status is TrialStatus.OK

    @property
    def mean_score(self) -> float:
        if not self.ok or not self.test_scores:
            return math.nan
        return float(sum(self.test_scores) / len(self.test_scores))

    @property
    def std_score(self) -> float:
        if not self.ok or not self.test_scores:
            return math.nan
        m = self.mean_score
        return float(math.sqrt(sum((s - m) ** 2 for s in self.test_scores) / len(self.test_scores)))

    def with_meta(self, **extra: Any) -> Trial:
        """A copy with ``extra`` merged into :attr:`meta`."""
        return replace(self, meta=tuple(sorted({**dict(self.meta), **extra}.items())))

    def renumbered(self, number: int) -> Trial:
        """A trial of an earlier run taken into this one: renumbered, marked resumed."""
        return replace(self, number=number).with_meta(resumed=True)

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "candidate": self.candidate.to_dict(),
            "status": self.status.value,
            "test_scores": list(self.test_scores),
            "fit_time": self.fit_time,
            "score_time": self.score_time,
            "duration": self.duration,
            "error": self.error,
            "meta": dict(self.meta),
            "stop_cause": None if self.stop_cause is None else self.stop_cause.value,
            "size_bytes": self.size_bytes,
            "predict_ms": self.predict_ms,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Trial:
        return cls(
            number=int(data["number"]),
            candidate=Candidate.from_dict(data["candidate"]),
            status=TrialStatus(data["status"]),
            test_scores=tuple(float(s) for s in data["test_scores"]),
            fit_time=float(data["fit_time"]),
            score_time=float(data["score_time"]),
            duration=float(data["duration"]),
            error=data["error"],
            meta=tuple(sorted(data.get("meta", {}).items())),
            stop_cause=_stop_cause_of(data),
            # records of earlier versions measured neither
            size_bytes=_optional(int, data.get("size_bytes")),
            predict_ms=_optional(float, data.get("predict_ms")),
        )


def _optional(kind, value):
    return None if value is None else kind(value)


def _stop_cause_of(data: dict) -> StopCause | None:
    """The record's stop cause; checkpoints of format 1 wrote it into the error text."""
    if data.get("stop_cause") is not None:
        return StopCause(data["stop_cause"])
    if data["status"] == TrialStatus.TIMEOUT and BUDGET_RAN_OUT in (data.get("error") or ""):
        return StopCause.BUDGET
    return None


def protocol_of(trial: Trial) -> str:
    """How a trial was scored: ``"cv"`` (every split) or ``"holdout"`` (the first)."""
    return str(dict(trial.meta).get("protocol") or "cv")


def best_trial(trials) -> Trial | None:
    """The best successful trial, compared fairly across evaluation protocols.

    Within one protocol, the highest mean score wins (the earliest on ties).
    Costly networks may be scored on the first split only (``"holdout"``)
    while the others are cross-validated (``"cv"``); the champion of each
    protocol is then compared on the rows both scored, the first split: the
    hold-out champion wins only if its score there beats the cross-validated
    champion's first-split score (the earlier trial wins ties). A cheaper
    protocol therefore gives a candidate no edge: it competes on the same
    rows, never against an average that includes harder folds.
    """
    ok = [t for t in trials if t.ok and math.isfinite(t.mean_score)]
    if not ok:
        return None
    champions = {}
    for t in ok:
        key = protocol_of(t)
        best = champions.get(key)
        if best is None or (t.mean_score, -t.number) > (best.mean_score, -best.number):
            champions[key] = t
    if len(champions) == 1:
        return next(iter(champions.values()))
    cv = champions.get("cv")
    rivals = [t for k, t in champions.items() if k != "cv"]
    if cv is None:
        return max(rivals, key=lambda t: (t.mean_score, -t.number))
    winner = cv
    for rival in rivals:
        shared = min(len(rival.test_scores), len(winner.test_scores))
        mine = sum(rival.test_scores[:shared]) / shared
        theirs = sum(winner.test_scores[:shared]) / shared
        if (mine, -rival.number) > (theirs, -winner.number):
            winner = rival
    return winner
