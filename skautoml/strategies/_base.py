"""The ask/tell interface every search strategy implements, and the strategy registry."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..records import Trial
from ..space import Candidate, SearchSpace

__all__ = ["STRATEGIES", "Proposal", "Strategy", "make_strategy", "strategy_options"]

#: name -> strategy class, filled by :meth:`Strategy.__init_subclass__`; the
#: estimator's ``search`` parameter picks one.
STRATEGIES: dict[str, type[Strategy]] = {}


@dataclass(frozen=True)
class Proposal:
    """A candidate a strategy wants evaluated, with details for the records."""

    candidate: Candidate
    meta: Mapping[str, Any] = field(default_factory=dict)


class Strategy(ABC):
    """Ask for candidates, tell finished trials.

    Subclasses translate their own representation (skopt points, DEAP trees)
    into :class:`~skautoml.space.Candidate` objects and back.

    A subclass registers itself: defining a class with a non-empty ``name``
    in its own body adds it to :data:`STRATEGIES` under that name, so
    :func:`make_strategy` and the estimator's ``search`` parameter can select
    it. A subclass without its own ``name`` (an abstract base, or a variant
    inheriting its parent's name) is not registered. A name already taken by
    another class raises :class:`ValueError`; a class redefined under the same
    module and qualified name (a reload) replaces the old one. To unregister,
    ``del STRATEGIES[name]``.

    ``option_names`` lists the options the estimator forwards to the
    strategy: each is the name of an estimator parameter (e.g.
    ``population_size``), passed only to strategies that list it (see
    :func:`strategy_options`). A subclass takes its options as keyword
    parameters of its ``__init__``, and may take more keyword parameters
    there (constructor settings the estimator never forwards, such as
    ``max_height``); it passes any other keyword on to this class, which
    keeps the ones in ``option_names`` in ``self.options`` and raises
    :class:`TypeError` for the rest, so a misspelt or foreign setting is never
    silently ignored.

    Parameters
    ----------
    space : SearchSpace
        What to search.
    seed : int
        The only source of randomness.
    **options
        Options left over by the subclass's ``__init__``; each must be in
        ``option_names``.

    Attributes
    ----------
    name : str
        The value of the estimator's ``search`` parameter that selects the
        strategy; ``""`` for classes that are not registered.
    option_names : tuple of str
        The estimator parameters forwarded to the strategy.

    Raises
    ------
    TypeError
        If an option left for this class is not in ``option_names``.
    """

    #: the value of the estimator's ``search`` parameter that selects the strategy
    name: str = ""
    #: the estimator parameters forwarded to the strategy (see strategy_options)
    option_names: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.option_names, str):
            raise TypeError(f"{cls.__qualname__}.option_names must be a tuple of names, not a str")
        cls.option_names = tuple(cls.option_names)
        name = cls.__dict__.get("name")
        if not name:
            return
        if not isinstance(name, str):
            raise TypeError(f"{cls.__qualname__}.name must be a str; got {name!r}")
        taken = STRATEGIES.get(name)
        if taken is not None and _where(taken) != _where(cls):
            raise ValueError(
                f"search name {name!r} is already registered by {_where(taken)}; "
                f"choose another name for {_where(cls)}"
            )
        STRATEGIES[name] = cls

    def __init__(self, space: SearchSpace, seed: int, **options: Any):
        unexpected = [key for key in options if key not in self.option_names]
        if unexpected:
            raise TypeError(_unexpected_message(type(self), unexpected))
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


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _accepted(cls: type[Strategy]) -> list[str]:
    """``option_names``, then the other keyword parameters of the class's ``__init__``."""
    names = list(cls.option_names)
    for param in inspect.signature(cls.__init__).parameters.values():
        keyword = param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)
        if keyword and param.name not in ("self", "space", "seed", *names):
            names.append(param.name)
    return names


def _unexpected_message(cls: type[Strategy], unexpected: Sequence[str]) -> str:
    accepts = ", ".join(map(repr, _accepted(cls))) or "no options"
    label = f"{cls.__name__} (search={cls.name!r})" if cls.name else cls.__name__
    return (
        f"{label} got unexpected option(s) {', '.join(map(repr, unexpected))}; it accepts {accepts}"
    )


def _strategy_class(name: str) -> type[Strategy]:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown search {name!r}; choose one of {sorted(STRATEGIES)}") from None


def strategy_options(name: str) -> tuple[str, ...]:
    """The estimator parameters to forward to the strategy registered under ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`STRATEGIES` (the estimator's ``search`` parameter).

    Returns
    -------
    option_names : tuple of str
        The class's ``option_names``: names of estimator parameters, to pass
        by name to :func:`make_strategy` (``()`` for ``"random"`` and
        ``"bayes"``).

    Raises
    ------
    ValueError
        If no strategy is registered under ``name``.
    """
    return _strategy_class(name).option_names


def make_strategy(name: str, space: SearchSpace, seed: int, **options: Any) -> Strategy:
    """Instantiate the strategy registered under ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`STRATEGIES` (the estimator's ``search`` parameter).
    space : SearchSpace
        What to search.
    seed : int
        The strategy's only source of randomness.
    **options
        Options of that strategy (see :func:`strategy_options`), or other
        keyword parameters of its constructor.

    Returns
    -------
    strategy : Strategy
        A new instance of the registered class.

    Raises
    ------
    ValueError
        If no strategy is registered under ``name``.
    TypeError
        If the strategy does not accept an option.
    """
    cls = _strategy_class(name)
    return cls(space, seed, **options)
