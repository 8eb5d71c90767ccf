"""Search strategies behind one ask/tell interface.

Importing this package registers the built-in strategies (``random``,
``bayes``, ``genetic``) in :data:`STRATEGIES`; any other subclass of
:class:`Strategy` with a ``name`` registers itself when it is defined.
"""

from ._base import STRATEGIES, Proposal, Strategy, make_strategy, strategy_options
from ._bayes import BayesStrategy
from ._genetic import GeneticStrategy
from ._random import RandomStrategy

__all__ = [
    "STRATEGIES",
    "BayesStrategy",
    "GeneticStrategy",
    "Proposal",
    "RandomStrategy",
    "Strategy",
    "make_strategy",
    "strategy_options",
]
