"""The genetic search strategy: (mu + lambda) evolution of pipeline trees with NSGA-II.

The trees, their grammar and their translation into candidates live in
:mod:`skautoml.strategies._grammar`; this module holds the evolution (ask/tell,
breeding, selection) and the Pareto front of evaluated trials. DEAP is
imported only by these two modules.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from deap import tools

from ..records import Trial
from ..space import Candidate
from ._base import Proposal, Strategy
from ._grammar import Grammar, _Individual, _primitive_names

__all__ = ["GeneticStrategy", "pareto_front"]


def _dominates(a, b) -> bool:
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


def pareto_front(trials: Sequence[Trial]) -> list[dict]:
    """The successful trials no other trial beats on both score and complexity.

    Parameters
    ----------
    trials : sequence of Trial
        Evaluated trials; failed ones are ignored.

    Returns
    -------
    front : list of dict
        ``{"candidate", "pipeline", "score", "complexity", "trial"}`` per
        non-dominated trial, simplest first.
    """
    points = []
    for t in trials:
        if t.ok and math.isfinite(t.mean_score):
            points.append((t.mean_score, t.candidate.complexity(), t))
    front = [p for p in points if not any(_dominates(q[:2], p[:2]) for q in points)]
    front.sort(key=lambda p: (p[1], -p[0], p[2].number))
    return [
        {
            "candidate": t.candidate,
            "pipeline": t.candidate.describe(),
            "score": score,
            "complexity": complexity,
            "trial": t.number,
        }
        for score, complexity, t in front
    ]


# -- the strategy -----------------------------------------------------------------
class GeneticStrategy(Strategy):
    """TPOT-style genetic programming over pipeline trees, with NSGA-II selection.

    A (mu + lambda) evolution: generation 0 is the space's portfolio of
    default candidates (as linear trees), filled up with random trees to
    ``population_size``; each later generation breeds ``population_size`` offspring
    from the parents by crossover (probability ``crossover_rate``) or
    mutation (``mutation_rate``; an insert, a replace, a hyperparameter step
    or a shrink, chosen uniformly among those that apply); any remaining
    probability gives a fresh random tree. Parents and offspring then compete
    by NSGA-II on (cross-validated score, complexity) and the best
    ``population_size`` become the next parents. Failed trials never become
    parents.

    A generation's offspring are handed out across ``ask`` calls; the next
    generation is bred once the current one has been handed out. Offspring
    whose trials are still running then (an asynchronous search with
    ``n_jobs > 1`` does not wait for the slowest) join the selection after
    they are told. With one worker every offspring is told before the next
    generation is bred, as in a plain generational GP. Every proposed
    candidate is new: offspring equal to an earlier candidate, or invalid
    trees, are bred again instead of being proposed.

    Parameters
    ----------
    space : SearchSpace
        The space; its slots give the primitives (see the module docstring).
    seed : int
        Seeds the strategy's own :class:`random.Random`.
    population_size : int, default=20
        Parents kept (mu) and offspring bred (lambda) per generation.
    generations : int or None, default=None
        Generations bred after the initial population (TPOT's meaning);
        ``None`` lets the budget decide.
    mutation_rate : float, default=0.9
        Probability that an offspring comes from mutation.
    crossover_rate : float, default=0.1
        Probability that an offspring comes from crossover. When the two
        rates add up to more than 1 they are scaled to sum to 1.
    max_height : int, default=12
        Highest tree allowed (a constructor setting, not an estimator option).
    max_complexity : int, default=12
        Most steps (nested ones included) a candidate may have (a constructor
        setting, not an estimator option).
    **options
        Nothing else is accepted: any other option raises :class:`TypeError`.
    """

    name = "genetic"
    option_names = ("population_size", "generations", "mutation_rate", "crossover_rate")

    #: breeding attempts per offspring before the space counts as exhausted
    _ATTEMPTS = 50

    def __init__(
        self,
        space,
        seed,
        population_size=20,
        generations=None,
        mutation_rate=0.9,
        crossover_rate=0.1,
        max_height=12,
        max_complexity=12,
        **options,
    ):
        super().__init__(space, seed, **options)
        self.population_size = int(population_size)
        self.generations = None if generations is None else int(generations)
        self.mutation_rate = float(mutation_rate)
        self.crossover_rate = float(crossover_rate)
        self.grammar = Grammar(space, max_height=max_height, max_complexity=max_complexity)
        self._rng = random.Random(self.seed)
        self.generation = -1
        self._queue: list[_Individual] = []
        self._current: list[_Individual] = []
        self._pending: dict[Candidate, list[_Individual]] = {}
        self._stragglers: list[_Individual] = []
        self._seen: dict[Candidate, None] = {}
        self._trials: dict[Candidate, Trial] = {}
        self.parents: list[_Individual] = []
        self._rank: dict[int, int] = {}
        self._done = False

    # -- ask / tell ---------------------------------------------------------------
    def ask(self, n: int) -> list[Proposal]:
        """Up to ``n`` unproposed offspring of the current generation.

        When the generation has been handed out (and told), the next one is
        selected and bred first. An empty list means ``generations`` is
        reached, or no new valid candidate could be bred (a tiny space).
        """
        if not self._queue and not self._done:
            self._advance()
        batch, self._queue = self._queue[:n], self._queue[n:]
        proposals = []
        for ind in batch:
            self._pending.setdefault(ind.candidate, []).append(ind)
            meta = {
                "generation": ind.generation,
                "operator": ind.operator,
                "parents": ",".join(str(p) for p in ind.parents),
            }
            proposals.append(Proposal(ind.candidate, meta))
        return proposals

    def tell(self, trials: Sequence[Trial]) -> None:
        """Record results; a cached trial told for a repeat is matched by its candidate."""
        for trial in trials:
            self._trials.setdefault(trial.candidate, trial)
            self._seen.setdefault(trial.candidate, None)
            for ind in self._pending.pop(trial.candidate, []):
                ind.number = trial.number
                if trial.ok and math.isfinite(trial.mean_score):
                    ind.fitness.values = (trial.mean_score, trial.candidate.complexity())

    def pareto_front(self) -> list[dict]:
        """Non-dominated evaluated candidates (maximise score, minimise complexity).

        Returns
        -------
        front : list of dict
            ``{"candidate", "pipeline", "score", "complexity", "trial"}`` per
            candidate, simplest first.
        """
        return pareto_front(list(self._trials.values()))

    # -- evolution ----------------------------------------------------------------
    def _advance(self) -> None:
        # Offspring still running when the generation is used up (an
        # asynchronous search does not wait for the slowest) keep their place:
        # told later, they join the next selection as stragglers.
        stragglers = [ind for inds in self._pending.values() for ind in inds]
        if self.generation < 0:
            self.generation = 0
            offspring = self._breed(initial=True)
        else:
            self._select()
            if self.generations is not None and self.generation >= self.generations:
                self._done = True
                return
            self.generation += 1
            offspring = self._breed(initial=False)
        if not offspring:
            self._done = True
        for ind in offspring:
            ind.generation = self.generation
        self._current = offspring
        self._stragglers = stragglers
        self._queue = list(offspring)

    def _select(self) -> None:
        pool, seen = [], set()
        for ind in self.parents + self._current + self._stragglers:
            if ind.fitness.valid and ind.candidate not in seen:
                seen.add(ind.candidate)
                pool.append(ind)
        pool.sort(key=lambda ind: ind.number)
        self.parents = tools.selNSGA2(pool, min(self.population_size, len(pool)))
        self._rank = {}
        fronts = tools.sortNondominated(self.parents, len(self.parents))
        for r, front in enumerate(fronts):
            for ind in front:
                self._rank[id(ind)] = r

    def _tournament(self) -> _Individual:
        """Binary tournament on (Pareto rank, crowding distance, trial number)."""
        a = self.parents[self._rng.randrange(len(self.parents))]
        b = self.parents[self._rng.randrange(len(self.parents))]

        def key(ind):
            return (self._rank[id(ind)], -ind.fitness.crowding_dist, ind.number)

        return min(a, b, key=key)

    def _accept(self, tree) -> Candidate | None:
        candidate = self.grammar.check(tree)
        if candidate is None or candidate in self._seen:
            return None
        return candidate

    def _breed(self, initial: bool) -> list[_Individual]:
        rng = self._rng
        total = self.mutation_rate + self.crossover_rate
        scale = 1.0 / total if total > 1.0 else 1.0
        p_cx, p_mut = self.crossover_rate * scale, self.mutation_rate * scale
        offspring: list[_Individual] = []
        if initial:  # the space's default candidates first, as the other strategies do
            for candidate in getattr(self, "_portfolio", ()):
                tree = self.grammar.linear_tree(candidate)
                if tree is not None and self._accept(tree) is not None:
                    tree.operator = "portfolio"
                    tree.candidate = self.grammar.check(tree)
                    self._seen[tree.candidate] = None
                    offspring.append(tree)
        attempts = 0
        while (
            len(offspring) < self.population_size
            and attempts < self._ATTEMPTS * self.population_size
        ):
            attempts += 1
            if initial or not self.parents:
                child = self.grammar.random_tree(rng)
            else:
                r = rng.random()
                if r < p_cx:
                    child = self._crossover()
                elif r < p_cx + p_mut:
                    child = self._mutation()
                else:
                    child = self.grammar.random_tree(rng)
            if child is None:
                continue
            candidate = self._accept(child)
            if candidate is None:
                continue
            child.candidate = candidate
            self._seen[candidate] = None
            offspring.append(child)
        return offspring

    def _mutation(self) -> _Individual | None:
        parent = self._tournament()
        ops = self.grammar.mutation_operators(parent)
        if not ops:
            return None
        op = ops[self._rng.randrange(len(ops))]
        child = self.grammar.mutate(parent, op, self._rng)
        child.operator, child.parents = op, (parent.number,)
        return child

    def _crossover(self) -> _Individual | None:
        first = self._tournament()
        names = set(_primitive_names(first))
        mates = [
            p
            for p in self.parents
            if p.candidate != first.candidate and names.intersection(_primitive_names(p))
        ]
        if not mates:
            return self._mutation()
        second = mates[self._rng.randrange(len(mates))]
        children = self.grammar.crossover(first, second, self._rng)
        if children is None:
            return self._mutation()
        for child in children:
            child.operator, child.parents = "crossover", (first.number, second.number)
        fresh = [c for c in children if self._accept(c) is not None]
        return fresh[0] if fresh else children[0]
