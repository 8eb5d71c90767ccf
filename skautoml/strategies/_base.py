"""The ask/tell interface every search strategy implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..records import Trial
from ..space import Candidate, SearchSpace

__all__ = ["Proposal", "Strategy"]


@dataclass(frozen=True)
class Proposal:
    """A candidate a strategy wants evaluated, with details for the records."""

    candidate: Candidate
    meta: Mapping[str, Any] = field(default_factory=dict)


class Strategy(ABC):
    """Ask for candidates, tell finished trials.

    Subclasses translate their own representation (skopt points, DEAP trees)
    into :class:`~skautoml.space.Candidate` objects and back.

    Parameters
    ----------
    space : SearchSpace
        What to search.
    seed : int
        The only source of randomness.
    **options
        Strategy-specific settings (e.g. ``population_size`` for the genetic
        search); strategies ignore options that are not theirs.
    """

    #: the value of the estimator's ``search`` parameter that selects the strategy
    name: str = ""

    def __init__(self, space: SearchSpace, seed: int, **options: Any):
        self.space = space
        self.seed = int(seed)
        self.options = options
        self._portfolio = list(space.portfolio())

    def _take_portfolio(self, n: int) -> list[Proposal]:
        """Up to ``n`` not-yet-proposed portfolio candidates (library defaults first)."""
        taken, self._portfolio = self._portfolio[:n], self._portfolio[n:]
        return [Proposal(c, {"operator": "portfolio"}) for c in taken]

    @abstractmethod
    def ask(self, n: int) -> list[Proposal]:
        """Return up to ``n`` proposals; an empty list means the strategy is done."""

    @abstractmethod
    def tell(self, trials: Sequence[Trial]) -> None:
        """Report finished trials (failed ones included, with their status)."""

    @staticmethod
    def loss(trial: Trial, worst: float) -> float:
        """The value minimised: ``-score``; a failed trial gets ``-worst + 1``.

        Failed trials are told a loss worse than any seen, so the surrogate
        steers away from them, while their records keep the real status. A
        trial pruned by multi-fidelity scheduling is told its cheap score.
        """
        if trial.status == "pruned" and trial.test_scores:
            return -float(sum(trial.test_scores) / len(trial.test_scores))
        return -trial.mean_score if trial.ok else -worst + 1.0
