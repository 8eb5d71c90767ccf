"""The genetic search's grammar: pipelines as typed DEAP trees, and back to candidates.

The representation only: GP types, the primitive set of a space, random trees,
variation operators and the translation to candidates. The evolution is in
``_genetic.py`` (:class:`~skautoml.strategies.GeneticStrategy`), which imports
this module; nothing here imports it back.

The representation is a strongly typed DEAP tree (:class:`deap.gp.PrimitiveTree`
over a :class:`deap.gp.PrimitiveSetTyped`) built from the search space's own
slots and the component registry; there is no second copy of the space.

Types
-----
``Output``
    The root: one primitive per classifier of the space's classifier slot,
    ``classifier(Features, <hyperparameters>) -> Output``; an image network
    takes ``Raw`` instead, ``network(Raw, <hyperparameters>) -> Output``.
``Features``
    Data flowing through preprocessing. One primitive per optional
    preprocessing component of the space, ``component(Features, <hp>) ->
    Features``, so trees chain several steps in any order; plus
    ``feature_union(Features, Features) -> Features`` (two branches side by
    side) and ``stacking(Features, Output) -> Features`` (the out-of-fold class
    probabilities of a whole classifier sub-pipeline appended to the
    features). The terminal ``X`` is the input of the enclosing context: the
    data after the space's fixed steps at the top of the tree, the union's
    input inside a branch, the stacking input inside a stacked classifier.
``Data0``, ``Data1``, ...
    Only when the space has mandatory preprocessing slots (no
    ``passthrough``, e.g. the imputer when the data has missing values): then
    ``X`` is ``Data0`` and every path from ``X`` to ``Features`` passes one
    component of each mandatory slot, in slot order.
``Raw``
    Only when the space holds image networks (components of kind ``image``
    with ``is_net``): the raw image rows, which a network reshapes to images.
    Its only terminal, ``raw``, is the input of the enclosing context, like
    ``X``; no step returns ``Raw``, so no transform, union or stacking can
    stand between the rows and a network. Inside a stacked classifier the
    input is the stacking input, which is raw only when the stacking takes
    ``X`` at a raw level itself: :meth:`Grammar.check` rejects the other
    trees. Networks need the rows as the data come, so they are left out of
    the grammar (with a :class:`~skautoml.exceptions.SearchWarning`) when
    the space has fixed steps or mandatory slots.
one type per hyperparameter (``svc__C``, ...)
    Hyperparameter values are typed terminals: each holds one value and can
    only stand where that hyperparameter is expected, so crossover can swap
    ``svc__C`` between two SVCs but never into a learning rate. Numeric values
    are drawn with the strategy's own generator (DEAP's ephemeral constants
    draw from the global ``random`` module) and mutated as numbers: a Gaussian
    step on the log or linear scale of their range, then clipped.

A tree translates to a :class:`~skautoml.space.Candidate` with the pure
function :func:`tree_to_candidate`; the rest of the library never sees a tree.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Sequence

from deap import base, gp

from ..exceptions import SearchWarning
from ..space import PASSTHROUGH, Candidate, Categorical, Float, Integer, Step, candidate_to_json
from ..space._space import component_for

__all__ = ["STACK", "UNION", "Features", "Grammar", "Output", "Raw", "tree_to_candidate"]

UNION = "feature_union"
STACK = "stacking"
_COMPOSITES = (UNION, STACK)


# -- DEAP classes: plain module-level subclasses, never ``creator.create`` ------
class _Fitness(base.Fitness):
    """(cross-validated score, complexity): maximise the first, minimise the second."""

    weights = (1.0, -1.0)


class _Individual(gp.PrimitiveTree):
    """A pipeline tree with its fitness and its genealogy."""

    def __init__(self, content, operator="init", parents=()):
        super().__init__(content)
        self.fitness = _Fitness()
        self.operator = operator
        self.parents = tuple(parents)
        self.generation = 0
        self.number = None  # trial number once told
        self.candidate = None


class Features:
    """GP type: features flowing between preprocessing steps."""


class Output:
    """GP type: a pipeline ending in a classifier (the root type)."""


class Raw:
    """GP type: the raw image rows, the only input an image network takes."""


class _Kind:
    """Base of the per-strategy GP types (data levels and hyperparameters)."""


class _Value(gp.Terminal):
    """A hyperparameter value: a typed terminal made with the strategy's generator."""

    __slots__ = ("component", "param")

    def __init__(self, component, param, value, ret):
        super().__init__(value, False, ret)
        self.component = component
        self.param = param

    def format(self):
        return f"{self.param}={self.value!r}"

    def __eq__(self, other):
        return type(self) is type(other) and (self.component, self.param, self.value, self.ret) == (
            other.component,
            other.param,
            other.value,
            other.ret,
        )

    __hash__ = None


def _node(*args):  # the callable DEAP's primitive set wants; trees are never compiled
    return args


# -- translation: tree -> candidate (pure) ---------------------------------------
def _parse(tree):
    """Nested ``(node, children)`` form of a prefix tree; raises on a malformed one."""

    def rec(i):
        if i >= len(tree):
            raise ValueError("truncated tree")
        node = tree[i]
        i += 1
        children = []
        for _ in range(node.arity):
            child, i = rec(i)
            children.append(child)
        return (node, children), i

    root, end = rec(0)
    if end != len(tree):
        raise ValueError("trailing nodes after the root")
    return root


def _chain(parsed) -> list[Step]:
    node, kids = parsed
    if isinstance(node, gp.Terminal):  # X: the input of the enclosing context
        return []
    if node.name == UNION:
        branches = sorted((Candidate(tuple(_chain(k))) for k in kids), key=candidate_to_json)
        return [Step.make(UNION, {"branches": tuple(branches)})]
    if node.name == STACK:
        estimator = Candidate(tuple(_chain(kids[1])))
        return _chain(kids[0]) + [Step.make(STACK, {"estimator": estimator})]
    params = {}
    for value, _ in kids[1:]:
        params[value.param] = value.value
    return _chain(kids[0]) + [Step.make(node.name, params)]


def tree_to_candidate(tree, fixed: Sequence[Step] = ()) -> Candidate:
    """Translate a pipeline tree into a candidate (a pure function).

    Parameters
    ----------
    tree : deap.gp.PrimitiveTree
        A tree whose root is a classifier primitive.
    fixed : sequence of Step, default=()
        The space's fixed leading steps (e.g. the categorical encoder).

    Returns
    -------
    candidate : Candidate
        ``fixed`` followed by the tree's steps, innermost first. Union
        branches are sorted, so ``union(a, b)`` and ``union(b, a)`` give the
        same candidate.
    """
    return Candidate(tuple(fixed) + tuple(_chain(_parse(tree))))


# -- the grammar: primitive set, random trees, variation --------------------------
def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _draw(dim, rng: random.Random):
    if isinstance(dim, Categorical):
        return dim.choices[rng.randrange(len(dim.choices))]
    if isinstance(dim, Float):
        if dim.log:
            value = math.exp(rng.uniform(math.log(dim.low), math.log(dim.high)))
        else:
            value = rng.uniform(dim.low, dim.high)
        return dim.clip(_round(value))
    if isinstance(dim, Integer):
        if dim.log:
            return dim.clip(int(math.exp(rng.uniform(math.log(dim.low), math.log(dim.high + 1)))))
        return rng.randint(dim.low, dim.high)
    raise TypeError(f"unsupported dimension {dim!r}")


def _mutable(dim) -> bool:
    if isinstance(dim, Categorical):
        return len(dim.choices) > 1
    return dim.high > dim.low


def _perturb(dim, value, rng: random.Random, scale: float = 0.2):
    """A new value near ``value``: another choice, or a clipped Gaussian step."""
    if isinstance(dim, Categorical):
        others = [c for c in dim.choices if c != value]
        return others[rng.randrange(len(others))] if others else value
    log = dim.log and dim.low > 0
    lo, hi = (math.log(dim.low), math.log(dim.high)) if log else (dim.low, dim.high)
    x = math.log(value) if log else float(value)
    x = min(max(x + rng.gauss(0.0, scale * (hi - lo)), lo), hi)
    new = math.exp(x) if log else x
    if isinstance(dim, Integer):
        new = dim.clip(new)
        if new == value:  # a step too small for an integer: move by one
            new = dim.clip(value + (1 if (value < dim.high and rng.random() < 0.5) else -1))
            if new == value:
                new = dim.clip(value + 1)
        return new
    return dim.clip(_round(new))


class Grammar:
    """The typed primitive set of a search space, and the tree operators.

    Every operator takes the random generator explicitly; none touches the
    global ``random`` module.

    Parameters
    ----------
    space : SearchSpace
        The space whose slots give the primitives.
    max_height : int, default=12
        Trees higher than this are invalid.
    max_complexity : int, default=12
        Candidates with more steps than this (nested ones included) are invalid.
    """

    def __init__(self, space, max_height=12, max_complexity=12):
        self.space = space
        self.fixed = tuple(space.fixed)
        self.max_height = max_height
        self.max_complexity = max_complexity
        self.pset = gp.PrimitiveSetTyped("pipeline", [], Output)
        self.values: dict[type, tuple[str, str, object]] = {}
        *pre, last = space.slots
        mandatory = [s for s in pre if PASSTHROUGH not in s.options]
        levels = [type(f"Data{i}", (_Kind,), {}) for i in range(len(mandatory))] + [Features]
        self.pset.addTerminal("X", levels[0], name="X")
        used = set()
        for i, slot in enumerate(mandatory):
            for name in slot.options:
                if name not in used and name not in _COMPOSITES:
                    self._add_component(name, levels[i], levels[i + 1])
                    used.add(name)
        for slot in pre:
            if slot in mandatory:
                continue
            for name in slot.options:
                if name not in (PASSTHROUGH, *_COMPOSITES) and name not in used:
                    self._add_component(name, Features, Features)
                    used.add(name)
        nets = [n for n in last.options if n not in used and _is_image_net(n)]
        #: whether the tree's input ``X`` is the raw data (no fixed or mandatory steps)
        self.raw_input = not mandatory and not self.fixed
        if nets and not self.raw_input:
            warnings.warn(
                f"the genetic search leaves out the image networks {nets}: they need the raw "
                "image rows, and this space puts fixed or mandatory steps before every "
                "classifier (add 'passthrough' to those slots to search the networks)",
                SearchWarning,
                stacklevel=3,
            )
        elif nets:
            self.pset.addTerminal("raw", Raw, name="raw")
        for name in last.options:
            if name != PASSTHROUGH and name not in used:
                if name in nets:
                    if not self.raw_input:
                        continue
                    self._add_component(name, Raw, Output)
                else:
                    self._add_component(name, Features, Output)
                used.add(name)
        self.classifiers = list(self.pset.primitives[Output])
        if not self.classifiers:
            raise ValueError(f"the genetic search needs at least one {last.role} in the space")
        self.pset.addPrimitive(_node, [Features, Features], Features, name=UNION)
        if last.role == "classifier":  # stacking appends class probabilities
            self.pset.addPrimitive(_node, [Features, Output], Features, name=STACK)
        #: primitives that take and return features (steps, unions, stacking)
        self.transformers = [p for p in self.pset.primitives[Features] if Features in p.args]

    def _terminal(self, kind):
        """The context-input terminal of type ``kind`` (``X`` or ``raw``)."""
        return self.pset.terminals[kind][0]

    def _add_component(self, name, in_type, ret_type):
        component = component_for(name)
        args = [in_type]
        for param, dim in component.hyperparams.items():
            kind = type(f"{name}__{param}", (_Kind,), {})
            self.values[kind] = (name, param, dim)
            args.append(kind)
        self.pset.addPrimitive(_node, args, ret_type, name=name)

    # -- random trees -------------------------------------------------------------
    def value(self, kind, rng, draw=None):
        component, param, dim = self.values[kind]
        return _Value(component, param, _draw(dim, rng) if draw is None else draw, kind)

    def _weighted(self, options, rng):
        weights = []
        for p in options:
            if p.name in _COMPOSITES:
                weights.append(max(1.0, len(self.transformers)) / 6.0)
            else:
                weights.append(1.0)
        total = sum(weights)
        r = rng.random() * total
        for p, w in zip(options, weights):
            r -= w
            if r < 0:
                return p
        return options[-1]

    def grow(self, kind, rng, depth=0, max_depth=3, p_stop=0.5) -> list:
        """A random subtree of type ``kind``, as a prefix list of nodes."""
        if kind in self.values:
            return [self.value(kind, rng)]
        prims = self.pset.primitives[kind]
        stoppers = list(self.pset.terminals[kind]) + [p for p in prims if kind not in p.args]
        recursive = [p for p in prims if kind in p.args]
        stop = depth >= max_depth or rng.random() < p_stop + 0.1 * depth
        if stoppers and (stop or not recursive):
            node = stoppers[rng.randrange(len(stoppers))]
        else:
            node = self._weighted(recursive, rng)
        if isinstance(node, gp.Terminal):
            return [node]
        out = [node]
        for arg in node.args:
            out.extend(self.grow(arg, rng, depth + 1, max_depth, p_stop))
        return out

    def random_tree(self, rng) -> _Individual:
        """A random pipeline tree (a classifier over a few random steps)."""
        return _Individual(self.grow(Output, rng))

    def linear_tree(self, candidate: Candidate) -> _Individual | None:
        """The tree of a linear candidate (a chain of steps), or ``None``.

        Used to seed the population with the space's portfolio of default
        candidates. Candidates with nested steps, or steps the grammar does
        not hold, give ``None``.
        """
        steps = [s for s in candidate.steps if s not in self.fixed and s.name != PASSTHROUGH]
        if not steps or any(name in _COMPOSITES for name in (s.name for s in steps)):
            return None
        nodes: list = []
        for step in steps:
            prim = self.pset.mapping.get(step.name)
            if not isinstance(prim, gp.Primitive):
                return None
            if not nodes:  # the first step takes the tree's input: X, or raw for a network
                if not self.pset.terminals.get(prim.args[0]):
                    return None
                nodes = [self._terminal(prim.args[0])]
            if prim.args[0] is not nodes[0].ret:
                return None
            params = step.kwargs
            values = []
            for kind in prim.args[1:]:
                _, param, dim = self.values[kind]
                values.append(self.value(kind, None, draw=params.get(param, dim.default)))
            # prefix order: the new step first, then its input subtree, then its values
            nodes = [prim] + nodes + values
        tree = _Individual(nodes)
        return tree if self.check(tree) is not None else None

    # -- validity -----------------------------------------------------------------
    def check(self, tree) -> Candidate | None:
        """The tree's candidate, or ``None`` when the tree is invalid.

        A tree is valid when it parses, every child has the type its parent
        expects, the root is a classifier, it is at most ``max_height`` high,
        its candidate has at most ``max_complexity`` steps, no feature union
        has two identical branches, and every ``raw`` terminal (the input of
        an image network) stands where the context's input is the raw data:
        at the top of the tree, or in a classifier stacked directly on such an
        input (``stacking(X, network(raw))``).
        """
        try:
            parsed = _parse(tree)
        except (ValueError, AttributeError):
            return None
        if parsed[0].ret is not Output or tree.height > self.max_height:
            return None
        stack = [(parsed, self.raw_input)]
        while stack:
            (node, kids), raw = stack.pop()  # raw: the context's input is the raw data
            if isinstance(node, gp.Primitive):
                if [k[0].ret for k in kids] != list(node.args):
                    return None
                if node.name == STACK:  # the stacked classifier reads the stacking's input
                    first = kids[0][0]
                    stack.append((kids[0], raw))
                    stack.append((kids[1], raw and isinstance(first, gp.Terminal)))
                else:
                    stack.extend((k, raw) for k in kids)
            elif node.ret is Raw and not raw:
                return None
        candidate = tree_to_candidate(tree, self.fixed)
        if candidate.complexity() > self.max_complexity:
            return None
        for step in _all_steps(candidate):
            if step.name == UNION:
                branches = step.kwargs["branches"]
                if len(set(branches)) < len(branches):
                    return None
        return candidate

    # -- variation ----------------------------------------------------------------
    def mutation_operators(self, tree) -> list[str]:
        """The mutations that apply to ``tree``, in a fixed order."""
        ops = []
        if any(n.ret is Features for n in tree):
            ops.append("mutate_insert")
        if any(self._alternatives(n) for n in tree if isinstance(n, gp.Primitive)):
            ops.append("mutate_replace")
        if any(isinstance(n, _Value) and _mutable(self.values[n.ret][2]) for n in tree):
            ops.append("mutate_hyper")
        if any(self._shrinkable(n) for n in tree):
            ops.append("mutate_shrink")
        return ops

    def mutate(self, tree, operator, rng) -> _Individual:
        """Apply one named mutation; returns a new tree (``tree`` is unchanged)."""
        if operator == "mutate_insert":
            return self.mutate_insert(tree, rng)
        if operator == "mutate_replace":
            return self.mutate_replace(tree, rng)
        if operator == "mutate_hyper":
            return self.mutate_hyper(tree, rng)
        if operator == "mutate_shrink":
            return self.mutate_shrink(tree, rng)
        raise ValueError(f"unknown mutation {operator!r}")

    def mutate_insert(self, tree, rng) -> _Individual:
        """Insert a step (or a union / stacking node) above a ``Features`` node."""
        spots = [i for i, n in enumerate(tree) if n.ret is Features]
        i = spots[rng.randrange(len(spots))]
        span = tree.searchSubtree(i)
        old = list(tree[span])
        prim = self._weighted(self.transformers, rng)
        new = [prim]
        if prim.name == UNION:
            fresh = self.grow(Features, rng, depth=1, max_depth=2, p_stop=0.3)
            branches = [old, fresh] if rng.random() < 0.5 else [fresh, old]
            new += branches[0] + branches[1]
        else:
            placed = False
            for arg in prim.args:
                if arg is Features and not placed:
                    new += old
                    placed = True
                else:
                    new += self.grow(arg, rng, depth=1, max_depth=2)
        return _Individual(list(tree[: span.start]) + new + list(tree[span.stop :]))

    def _alternatives(self, node):
        if node.name in _COMPOSITES or not isinstance(node, gp.Primitive):
            return []
        return [
            p
            for p in self.pset.primitives[node.ret]
            if p.name != node.name
            and p.name not in _COMPOSITES
            and (p.args[0] is node.args[0] or node.ret is Output)
        ]

    def mutate_replace(self, tree, rng) -> _Individual:
        """Replace a component by another of the same type; its input subtree stays.

        A classifier may also be replaced by one that takes another input (an
        image network for a classical model, or the reverse): its input
        subtree is then the bare context input of the new type.
        """
        spots = [i for i, n in enumerate(tree) if self._alternatives(n)]
        i = spots[rng.randrange(len(spots))]
        choices = self._alternatives(tree[i])
        prim = choices[rng.randrange(len(choices))]
        span = tree.searchSubtree(i)
        first = tree.searchSubtree(i + 1)
        if prim.args[0] is tree[i].args[0]:
            new = [prim] + list(tree[first])
        else:
            new = [prim] + self.grow(prim.args[0], rng, depth=1, max_depth=0)
        for arg in prim.args[1:]:
            new.append(self.value(arg, rng))
        return _Individual(list(tree[: span.start]) + new + list(tree[span.stop :]))

    def mutate_hyper(self, tree, rng) -> _Individual:
        """Change one hyperparameter: a Gaussian step for numbers, another choice otherwise."""
        spots = [
            i
            for i, n in enumerate(tree)
            if isinstance(n, _Value) and _mutable(self.values[n.ret][2])
        ]
        i = spots[rng.randrange(len(spots))]
        node = tree[i]
        dim = self.values[node.ret][2]
        new = list(tree)
        new[i] = self.value(node.ret, rng, draw=_perturb(dim, node.value, rng))
        return _Individual(new)

    def _shrinkable(self, node) -> bool:
        return isinstance(node, gp.Primitive) and node.ret in node.args

    def mutate_shrink(self, tree, rng) -> _Individual:
        """Remove a step: a node is replaced by one of its children of the same type."""
        spots = [i for i, n in enumerate(tree) if self._shrinkable(n)]
        i = spots[rng.randrange(len(spots))]
        node = tree[i]
        span = tree.searchSubtree(i)
        children, j = [], i + 1
        for arg in node.args:
            sub = tree.searchSubtree(j)
            if arg is node.ret:
                children.append(sub)
            j = sub.stop
        keep = children[rng.randrange(len(children))]
        return _Individual(list(tree[: span.start]) + list(tree[keep]) + list(tree[span.stop :]))

    def crossover(self, tree1, tree2, rng) -> tuple[_Individual, _Individual] | None:
        """One-point crossover: swap two subtrees of a type both trees hold below the root."""
        where1, where2 = {}, {}
        for i in range(1, len(tree1)):
            where1.setdefault(tree1[i].ret, []).append(i)
        for i in range(1, len(tree2)):
            where2.setdefault(tree2[i].ret, []).append(i)
        common = [t for t in where1 if t in where2 and t is not Raw]  # raw: one terminal
        if not common:
            return None
        kind = common[rng.randrange(len(common))]
        i = where1[kind][rng.randrange(len(where1[kind]))]
        j = where2[kind][rng.randrange(len(where2[kind]))]
        s1, s2 = tree1.searchSubtree(i), tree2.searchSubtree(j)
        a = list(tree1[: s1.start]) + list(tree2[s2]) + list(tree1[s1.stop :])
        b = list(tree2[: s2.start]) + list(tree1[s1]) + list(tree2[s2.stop :])
        return _Individual(a), _Individual(b)


def _is_image_net(name: str) -> bool:
    component = component_for(name)
    return component.is_net and "image" in component.kinds


def _all_steps(candidate: Candidate):
    for step in candidate.steps:
        yield step
        for _, value in step.params:
            values = value if isinstance(value, tuple) else (value,)
            for v in values:
                if isinstance(v, Candidate):
                    yield from _all_steps(v)


def _primitive_names(tree) -> list[str]:
    return [n.name for n in tree if isinstance(n, gp.Primitive)]
