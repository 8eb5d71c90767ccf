"""Frozen records of finished trials."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..space._candidate import Candidate

__all__ = ["STATUSES", "Trial"]

#: Every status a trial can end with.
STATUSES = ("ok", "error", "timeout", "diverged", "memout", "pruned")


@dataclass(frozen=True)
class Trial:
    """The record of one evaluated candidate.

    ``test_scores`` holds one score per CV fold (empty when the trial failed).
    ``meta`` holds strategy details (generation, operator, parents, fidelity)
    as sorted ``(key, value)`` pairs.
    """

    number: int
    candidate: Candidate
    status: str
    test_scores: tuple[float, ...] = ()
    fit_time: float = 0.0
    score_time: float = 0.0
    duration: float = 0.0
    error: str | None = None
    meta: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status == "ok"

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
        merged = {**dict(self.meta), **extra}
        return Trial(
            number=self.number,
            candidate=self.candidate,
            status=self.status,
            test_scores=self.test_scores,
            fit_time=self.fit_time,
            score_time=self.score_time,
            duration=self.duration,
            error=self.error,
            meta=tuple(sorted(merged.items())),
        )

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "candidate": self.candidate.to_dict(),
            "status": self.status,
            "test_scores": list(self.test_scores),
            "fit_time": self.fit_time,
            "score_time": self.score_time,
            "duration": self.duration,
            "error": self.error,
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Trial:
        return cls(
            number=int(data["number"]),
            candidate=Candidate.from_dict(data["candidate"]),
            status=data["status"],
            test_scores=tuple(float(s) for s in data["test_scores"]),
            fit_time=float(data["fit_time"]),
            score_time=float(data["score_time"]),
            duration=float(data["duration"]),
            error=data["error"],
            meta=tuple(sorted(data.get("meta", {}).items())),
        )
