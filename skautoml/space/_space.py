"""Search spaces: ordered slots of registered components, built into pipelines.

This module knows the registry (:mod:`._components`) but no component in it;
the presets, which choose components for the data, sit a floor above in
:mod:`._presets`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sklearn.pipeline import Pipeline

from ._candidate import Candidate, Step
from ._components import COMPONENTS, FINAL_ROLES, Component
from ._context import BuildContext
from ._dimensions import Categorical

__all__ = ["PASSTHROUGH", "SearchSpace", "Slot", "build_pipeline", "component_for"]

PASSTHROUGH = "passthrough"


@dataclass(frozen=True)
class Slot:
    """One position of a linear pipeline: a role and the component names allowed there.

    Parameters
    ----------
    role : str
        The role every option has (``"scaler"``, ``"classifier"``...).
    options : tuple of str
        Registered component names; ``"passthrough"`` among them makes the
        slot optional.

    Examples
    --------
    >>> Slot("scaler", ["passthrough", "standard_scaler"]).options
    ('passthrough', 'standard_scaler')
    """

    role: str
    options: tuple[str, ...]

    def __post_init__(self):
        object.__setattr__(self, "options", tuple(self.options))
        if not self.options:
            raise ValueError(f"slot {self.role!r} has no options")


@dataclass(frozen=True)
class SearchSpace:
    """A search space: fixed leading steps, then one component per slot.

    Parameters
    ----------
    slots : tuple of Slot
        The searched positions, in pipeline order; the last is the classifier.
    fixed : tuple of Step, default=()
        Steps every candidate starts with (e.g. the categorical encoder).
    portfolio_order : tuple of str, default=()
        Classifier names in the order :meth:`portfolio` tries them first.
    portfolio_params : tuple of (str, str, object), default=()
        ``(component, param, value)`` portfolio defaults that depend on the data.
    portfolio_first : tuple of Candidate, default=()
        Candidates tried before the defaults (image data: the stored
        warm-start portfolio).

    Examples
    --------
    >>> from skautoml.space import SearchSpace, Slot
    >>> space = SearchSpace((Slot("scaler", ("passthrough", "standard_scaler")),
    ...                      Slot("classifier", ("logistic_regression",))))
    >>> [key for key, _ in space.flat_dimensions()]
    ['scaler', 'classifier', 'logistic_regression__C', 'logistic_regression__class_weight']
    """

    slots: tuple[Slot, ...]
    fixed: tuple[Step, ...] = ()
    #: classifier names in the order the portfolio tries them (others follow
    #: in ``PORTFOLIO_ORDER``); ``make_space`` puts the cheapest first on large data
    portfolio_order: tuple[str, ...] = ()
    #: ``(component, param, value)`` defaults for the portfolio that depend on
    #: the data (e.g. trees drawing ``sqrt(n_features)`` features per split)
    portfolio_params: tuple[tuple[str, str, Any], ...] = ()
    #: candidates tried before the defaults, in order (image data: the stored
    #: warm-start portfolio of :mod:`._portfolio`)
    portfolio_first: tuple[Candidate, ...] = ()
    #: ``(component, why)`` for the final estimators left out for this data
    #: (with ``sample_weight``: those whose ``fit`` takes no weights)
    left_out: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "slots", tuple(self.slots))
        object.__setattr__(self, "fixed", tuple(self.fixed))
        object.__setattr__(self, "portfolio_order", tuple(self.portfolio_order))
        object.__setattr__(self, "portfolio_params", tuple(self.portfolio_params))
        object.__setattr__(self, "portfolio_first", tuple(self.portfolio_first))
        object.__setattr__(self, "left_out", tuple(self.left_out))
        if not self.slots or self.slots[-1].role not in FINAL_ROLES:
            raise ValueError("a search space must end with a 'classifier' or 'regressor' slot")
        for slot in self.slots:
            for name in slot.options:
                if name == PASSTHROUGH:
                    continue
                component = component_for(name)
                if component.role != slot.role:
                    raise ValueError(
                        f"component {name!r} has role {component.role!r} and cannot "
                        f"fill the {slot.role!r} slot"
                    )

    def components(self) -> list[Component]:
        """Every distinct component the space can use, in slot order.

        Returns
        -------
        components : list of Component
        """
        seen: dict[str, Component] = {}
        for slot in self.slots:
            for name in slot.options:
                if name != PASSTHROUGH and name not in seen:
                    seen[name] = component_for(name)
        return list(seen.values())

    # -- the flat encoding used by vector optimisers (skopt, random) ---------
    def flat_dimensions(self) -> list[tuple[str, Any]]:
        """``(key, dimension)`` pairs: a choice per slot, then every hyperparameter.

        Keys are ``"<role>"`` for the component choice and
        ``"<component>__<param>"`` for hyperparameters. Hyperparameters of a
        component that a point does not choose are inactive and ignored.

        Returns
        -------
        dimensions : list of (str, Categorical, Float or Integer)
        """
        dims: list[tuple[str, Any]] = []
        for slot in self.slots:
            dims.append((slot.role, Categorical(slot.options)))
        for component in self.components():
            for param, dim in component.hyperparams.items():
                dims.append((f"{component.name}__{param}", dim))
        return dims

    def decode(self, point: Mapping[str, Any]) -> Candidate:
        """Turn a flat point (a mapping of keys to values) into a candidate.

        Parameters
        ----------
        point : mapping
            A value for every key of :meth:`flat_dimensions`.

        Returns
        -------
        candidate : Candidate
        """
        steps = list(self.fixed)
        for slot in self.slots:
            name = point[slot.role]
            if name == PASSTHROUGH:
                continue
            component = component_for(name)
            params = {p: point[f"{name}__{p}"] for p in component.hyperparams}
            steps.append(Step.make(name, params))
        return Candidate(tuple(steps))

    def encode(self, candidate: Candidate) -> dict[str, Any]:
        """The flat point of a linear candidate; inactive keys take their defaults.

        Parameters
        ----------
        candidate : Candidate
            A linear candidate of this space.

        Returns
        -------
        point : dict
        """
        point = {key: dim.default for key, dim in self.flat_dimensions()}
        chosen = {component_for(s.name).role: s for s in candidate.steps if s not in self.fixed}
        for slot in self.slots:
            step = chosen.get(slot.role)
            point[slot.role] = step.name if step is not None else PASSTHROUGH
            if step is not None:
                for key, value in step.params:
                    point[f"{step.name}__{key}"] = value
        return point

    def portfolio(self) -> list[Candidate]:
        """Strong default candidates to try first, cheapest and surest first.

        Each classifier of the space with its factory's default
        hyperparameters (scikit-learn's defaults, mostly; ``portfolio_params``
        override them where the best default depends on the data), behind the
        standard scaler when the space offers it and the model needs scaled
        inputs, with no feature transformation. Evaluating these first means
        a search never ends worse than the library defaults it contains.
        ``portfolio_first`` candidates come before them.

        Returns
        -------
        candidates : list of Candidate
        """
        classifier_slot = self.slots[-1]
        ranked = (*self.portfolio_order, *PORTFOLIO_ORDER)
        order = {name: i for i, name in reversed(list(enumerate(ranked)))}
        overrides: dict[str, dict[str, Any]] = {}
        for component, param, value in self.portfolio_params:
            overrides.setdefault(component, {})[param] = value
        names = sorted(
            (n for n in classifier_slot.options if n != PASSTHROUGH),
            key=lambda n: order.get(n, len(order)),
        )
        out = []
        for name in names:
            point = {key: dim.default for key, dim in self.flat_dimensions()}
            for slot in self.slots[:-1]:
                point[slot.role] = _portfolio_choice(slot, name)
            point[classifier_slot.role] = name
            for slot in self.slots:
                chosen = point[slot.role]
                if chosen != PASSTHROUGH:
                    defaults = factory_defaults(component_for(chosen))
                    for param, value in {**defaults, **overrides.get(chosen, {})}.items():
                        point[f"{chosen}__{param}"] = value
            out.append(self.decode(point))
        first = list(dict.fromkeys(self.portfolio_first))
        return first + [c for c in out if c not in first]

    def sample(self, rng) -> Candidate:
        """A uniformly random candidate.

        Parameters
        ----------
        rng : numpy.random.Generator

        Returns
        -------
        candidate : Candidate
        """
        return self.decode({key: dim.sample(rng) for key, dim in self.flat_dimensions()})


#: the order in which the portfolio tries classifiers: cheap and strong first
PORTFOLIO_ORDER = (
    "hist_gradient_boosting",
    "logistic_regression",
    "random_forest",
    "svc",
    "extra_trees",
    "k_neighbors",
    "tabular_net",
    # regression
    "hist_gradient_boosting_regressor",
    "ridge",
    "random_forest_regressor",
    "svr",
    "extra_trees_regressor",
    "elastic_net",
    "k_neighbors_regressor",
    "tabular_net_regressor",
)
#: on large data (see :func:`portfolio_hints`) the cheapest models go first, so
#: that a short budget always ends with a model (FLAML's cost-first insight)
PORTFOLIO_ORDER_LARGE = (
    "k_neighbors",
    "logistic_regression",
    "extra_trees",
    "random_forest",
    "svc",
    "tabular_net",
    "hist_gradient_boosting",
    # regression
    "k_neighbors_regressor",
    "ridge",
    "elastic_net",
    "extra_trees_regressor",
    "random_forest_regressor",
    "svr",
    "tabular_net_regressor",
    "hist_gradient_boosting_regressor",
)
#: n_samples * n_features * n_classes from which the data counts as large
#: (digits: 0.9e6; 3,750 MNIST digits: 29e6)
LARGE_DATA_CELLS = 5_000_000
_NEEDS_SCALING = {
    "logistic_regression",
    "svc",
    "k_neighbors",
    "tabular_net",
    "finetune_tabular_custom",
    "ridge",
    "elastic_net",
    "svr",
    "k_neighbors_regressor",
    "tabular_net_regressor",
}


def _portfolio_choice(slot: Slot, classifier: str) -> str:
    if slot.role == "scaler" and classifier in _NEEDS_SCALING and "standard_scaler" in slot.options:
        return "standard_scaler"
    if PASSTHROUGH in slot.options:
        return PASSTHROUGH
    return slot.options[0]


def portfolio_hints(ctx: BuildContext) -> dict[str, tuple]:
    """``portfolio_order`` and ``portfolio_params`` of a space for this data.

    Trees start from ``sqrt(n_features)`` features per split, scikit-learn's
    own default, which is many times faster than half the features on wide
    data. On large data the portfolio tries the cheapest models first. With
    imbalanced classes, every classifier that takes a ``class_weight`` starts
    from ``"balanced"``.

    Parameters
    ----------
    ctx : BuildContext

    Returns
    -------
    hints : dict
        ``{"portfolio_order": ..., "portfolio_params": ...}``, keyword
        arguments of :class:`SearchSpace`.
    """
    cells = ctx.n_samples * max(ctx.n_features, 1) * max(ctx.n_classes, 2)
    sqrt_fraction = math.sqrt(max(ctx.n_features, 1)) / max(ctx.n_features, 1)
    params = tuple(
        (tree, "max_features", COMPONENTS[tree].hyperparams["max_features"].clip(sqrt_fraction))
        for tree in ("random_forest", "extra_trees")
        if tree in COMPONENTS and "max_features" in COMPONENTS[tree].hyperparams
    )
    if ctx.imbalanced:
        params += tuple(
            (name, "class_weight", "balanced")
            for name, component in COMPONENTS.items()
            if component.role == "classifier" and "class_weight" in component.hyperparams
        )
    order = PORTFOLIO_ORDER_LARGE if cells >= LARGE_DATA_CELLS else ()
    return {"portfolio_order": order, "portfolio_params": params}


def factory_defaults(component: Component) -> dict:
    """The factory's own default for each searched hyperparameter, kept in range.

    Parameters
    ----------
    component : Component

    Returns
    -------
    defaults : dict
        Hyperparameter name -> value; the range's default where the factory
        has none.
    """
    signature = inspect.signature(component.factory)
    out = {}
    for name, dim in component.hyperparams.items():
        param = signature.parameters.get(name)
        if param is None or param.default is inspect.Parameter.empty:
            out[name] = dim.default
        else:
            out[name] = dim.clip(param.default)
    return out


def component_for(name: str) -> Component:
    """The registered component of that name.

    Parameters
    ----------
    name : str

    Returns
    -------
    component : Component

    Raises
    ------
    ValueError
        When no component has that name; the message lists those that do.
    """
    try:
        return COMPONENTS[name]
    except KeyError:
        raise ValueError(
            f"unknown component {name!r}; registered components are {sorted(COMPONENTS)}"
        ) from None


def build_step(step: Step, ctx: BuildContext):
    """Build one step; candidate-valued parameters are built into pipelines first.

    Parameters
    ----------
    step : Step
    ctx : BuildContext

    Returns
    -------
    estimator : object
        A fresh, unfitted scikit-learn estimator.
    """
    params = {}
    for key, value in step.params:
        if isinstance(value, Candidate):
            value = build_pipeline(value, ctx)
        elif isinstance(value, tuple) and value and all(isinstance(v, Candidate) for v in value):
            value = [build_pipeline(v, ctx) for v in value]
        params[key] = value
    return component_for(step.name).build(ctx, params)


def build_pipeline(candidate: Candidate, ctx: BuildContext) -> Pipeline:
    """Build a fresh, unfitted scikit-learn ``Pipeline`` from a candidate.

    Parameters
    ----------
    candidate : Candidate
    ctx : BuildContext
        What is known about the data, passed to every factory.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps are labelled by component name (``name_2``... for repeats).
    """
    steps = []
    used: set[str] = set()
    for step in candidate.steps:
        if step.name == PASSTHROUGH:
            continue
        label = step.name
        i = 2
        while label in used:
            label = f"{step.name}_{i}"
            i += 1
        used.add(label)
        steps.append((label, build_step(step, ctx)))
    return Pipeline(steps)
