"""Random search over the flat encoding of the space."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..records import Trial
from ._base import Proposal, Strategy

__all__ = ["RandomStrategy"]


class RandomStrategy(Strategy):
    """Sample candidates uniformly (log-uniformly for log ranges).

    The space's portfolio of default candidates comes first: ``ask`` hands
    it out before any sample.

    Parameters
    ----------
    space : SearchSpace
        What to search.
    seed : int
        Seeds the strategy's own :func:`numpy.random.default_rng`.
    **options
        Random search takes none: any option raises :class:`TypeError`.
    """

    name = "random"
    option_names = ()

    def __init__(self, space, seed, **options):
        super().__init__(space, seed, **options)
        self._rng = np.random.default_rng(self.seed)

    def ask(self, n: int) -> list[Proposal]:
        proposals = self._take_portfolio(n)
        proposals += [Proposal(self.space.sample(self._rng)) for _ in range(n - len(proposals))]
        return proposals

    def tell(self, trials: Sequence[Trial]) -> None:
        """Random search learns nothing from results."""
