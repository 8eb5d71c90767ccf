"""Search strategies behind one ask/tell interface."""

from ._base import Proposal, Strategy
from ._bayes import BayesStrategy
from ._genetic import GeneticStrategy
from ._random import RandomStrategy

#: name -> strategy class; the estimator's ``search`` parameter picks one.
STRATEGIES: dict[str, type[Strategy]] = {
    RandomStrategy.name: RandomStrategy,
    BayesStrategy.name: BayesStrategy,
    GeneticStrategy.name: GeneticStrategy,
}


def make_strategy(name: str, space, seed: int, **options) -> Strategy:
    """Instantiate the strategy registered under ``name``."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown search {name!r}; choose one of {sorted(STRATEGIES)}") from None
    return cls(space, seed, **options)


__all__ = [
    "STRATEGIES",
    "BayesStrategy",
    "GeneticStrategy",
    "Proposal",
    "RandomStrategy",
    "Strategy",
    "make_strategy",
]
