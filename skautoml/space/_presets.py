"""Presets: which registered components a search space offers for the data.

The top floor of :mod:`skautoml.space`: it reads the registry that
:mod:`._components`, :mod:`._composite` and :mod:`._image_components` fill
when they are imported, and builds :class:`~._space.SearchSpace` objects.
Nothing below imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..nets import BACKBONES
from ._candidate import Step
from ._components import FINAL_ROLES, accepts_weights
from ._context import BuildContext
from ._image_components import backbone_components
from ._image_regressors import image_regressors
from ._portfolio import image_portfolio
from ._regressors import IMAGE_REGRESSORS
from ._space import PASSTHROUGH, SearchSpace, Slot, component_for, portfolio_hints

__all__ = [
    "IMAGE_CLASSICAL",
    "PRESETS",
    "check_preset",
    "image_components",
    "image_space",
    "make_space",
]

_CLASSICAL = (
    "logistic_regression",
    "hist_gradient_boosting",
    "random_forest",
    "extra_trees",
    "k_neighbors",
    "svc",
)
#: the classifiers of each tabular preset (image presets: see :func:`image_space`)
PRESETS: dict[str, tuple[str, ...]] = {
    "default": (*_CLASSICAL, "tabular_net"),
    "classical": _CLASSICAL,
    "fast": ("logistic_regression", "hist_gradient_boosting", "k_neighbors"),
    "nets": ("tabular_net",),
}
#: classical classifiers that read image rows as pixel features
IMAGE_CLASSICAL = ("logistic_regression", "svc", "k_neighbors")

_CLASSICAL_REGRESSORS = (
    "ridge",
    "elastic_net",
    "hist_gradient_boosting_regressor",
    "random_forest_regressor",
    "extra_trees_regressor",
    "k_neighbors_regressor",
    "svr",
)
#: the regressors of each tabular preset (image data: see :func:`image_space`)
REGRESSION_PRESETS: dict[str, tuple[str, ...]] = {
    "default": (*_CLASSICAL_REGRESSORS, "tabular_net_regressor"),
    "classical": _CLASSICAL_REGRESSORS,
    "fast": ("ridge", "hist_gradient_boosting_regressor", "k_neighbors_regressor"),
    "nets": ("tabular_net_regressor",),
}


def check_preset(name: str | None) -> str:
    """The preset a ``search_space`` name stands for.

    Parameters
    ----------
    name : str or None
        A preset name; ``None`` is ``"default"``.

    Returns
    -------
    preset : str
        A key of :data:`PRESETS`.

    Raises
    ------
    ValueError
        When ``name`` is not a preset.

    Examples
    --------
    >>> check_preset(None)
    'default'
    >>> check_preset("huge")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: search_space='huge' is not a preset; choose one of ['classical', ...
    """
    preset = "default" if name is None else name
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ValueError(
            f"search_space={preset!r} is not a preset; choose one of {sorted(PRESETS)}, "
            "a dict of role -> component names, or a SearchSpace"
        )
    return preset


def _type_error(search_space) -> TypeError:
    return TypeError(
        "search_space must be None, a preset name, a dict of role -> component names, "
        f"or a SearchSpace; got {type(search_space).__name__}"
    )


# -- tabular data ------------------------------------------------------------------
def _tabular_slots(ctx: BuildContext, classifiers: Sequence[str]) -> dict[str, Slot]:
    slots = {}
    if ctx.has_missing:
        slots["imputer"] = Slot("imputer", ("simple_imputer",))
    slots["scaler"] = Slot(
        "scaler", (PASSTHROUGH, "standard_scaler", "robust_scaler", "quantile_transformer")
    )
    transformers = [PASSTHROUGH, "pca", "select_percentile"]
    if ctx.n_features <= 20:
        transformers.append("polynomial_features")
    slots["transformer"] = Slot("transformer", tuple(transformers))
    classifiers = tuple(classifiers)
    if ctx.backbones and "tabular_net" in classifiers:  # a user's pretrained body
        classifiers = (*classifiers, "finetune_tabular_custom")
    role = ctx.final_role
    slots[role] = Slot(role, tuple(dict.fromkeys(classifiers)))
    return slots


def _presets(ctx: BuildContext) -> dict[str, tuple[str, ...]]:
    return REGRESSION_PRESETS if ctx.task == "regression" else PRESETS


def _check_roles(search_space: Mapping, ctx: BuildContext) -> None:
    other = "classifier" if ctx.final_role == "regressor" else "regressor"
    if other in search_space:
        raise ValueError(
            f"search_space has a {other!r} entry, but this estimator's last step is a "
            f"{ctx.final_role}: name the {ctx.final_role}s under {ctx.final_role!r}"
        )


def _extras(space: SearchSpace) -> dict:
    return {
        "portfolio_order": space.portfolio_order,
        "portfolio_params": space.portfolio_params,
        "portfolio_first": space.portfolio_first,
    }


def _space(slots, fixed, ctx: BuildContext, **kwargs) -> SearchSpace:
    """The :class:`SearchSpace`; with ``sample_weight``, the final estimators
    whose ``fit`` takes no weights are left out (and ``left_out`` says so)."""
    slots = list(slots)
    left_out: list[tuple[str, str]] = []
    if ctx.weighted:
        final = slots[-1]
        kept = []
        for name in final.options:
            if name == PASSTHROUGH or accepts_weights(component_for(name), ctx):
                kept.append(name)
            else:
                left_out.append((name, "its fit takes no sample_weight"))
        if not kept:
            raise ValueError(
                f"sample_weight was given, but no {final.role} of the search space takes "
                f"weights ({', '.join(final.options)}); add one that does, such as "
                f"{'ridge' if final.role == 'regressor' else 'logistic_regression'}, "
                "or fit without sample_weight"
            )
        slots[-1] = Slot(final.role, tuple(kept))
        first = tuple(c for c in kwargs.pop("portfolio_first", ()) if c.steps[-1].name in kept)
        kwargs["portfolio_first"] = first
    return SearchSpace(tuple(slots), fixed, left_out=tuple(left_out), **kwargs)


def make_space(search_space: Any, ctx: BuildContext) -> SearchSpace:
    """Resolve the estimator's ``search_space`` parameter for the data.

    Parameters
    ----------
    search_space : None, str, dict or SearchSpace
        ``None`` or a preset name (``"default"``, ``"classical"``, ``"fast"``,
        ``"nets"``) gives the preset for the data; a dict maps roles to lists
        of component names and overrides those slots of the default; a
        :class:`SearchSpace` is used as it is (with ``ctx.weighted``, less
        the final estimators whose ``fit`` takes no ``sample_weight``).
    ctx : BuildContext
        What is known about the data (its kind, size, backbones...).

    Returns
    -------
    space : SearchSpace

    Raises
    ------
    ValueError
        An unknown preset or component.
    TypeError
        A ``search_space`` of another type.

    Examples
    --------
    >>> from skautoml.space import BuildContext, make_space
    >>> space = make_space("fast", BuildContext(n_samples=100, n_features=4, n_classes=2))
    >>> space.slots[-1].options
    ('logistic_regression', 'hist_gradient_boosting', 'k_neighbors')
    """
    if isinstance(search_space, SearchSpace):  # as it is, but for sample_weight
        if not ctx.weighted:
            return search_space
        return _space(search_space.slots, search_space.fixed, ctx, **_extras(search_space))
    if ctx.kind == "image":
        return image_space(search_space, ctx)
    fixed: tuple[Step, ...] = ()
    if ctx.categorical_columns:
        fixed = (Step("one_hot_encoder"),)
    presets = _presets(ctx)
    if search_space is None or isinstance(search_space, str):
        preset = check_preset(search_space)
        finals = [c for c in presets[preset] if ctx.kind in component_for(c).kinds] or list(
            presets[preset]
        )
        return _space(_tabular_slots(ctx, finals).values(), fixed, ctx, **portfolio_hints(ctx))
    if isinstance(search_space, Mapping):
        _check_roles(search_space, ctx)
        role = ctx.final_role
        slots = _tabular_slots(ctx, presets["default"])
        for name, names in search_space.items():
            names = (names,) if isinstance(names, str) else tuple(names)
            slots[name] = Slot(name, names)
        if "transformer" not in search_space and slots[role].options == (
            "finetune_tabular_custom",
        ):  # a pretrained body needs the columns it was trained on: no width change
            del slots["transformer"]
        order = ["imputer", "scaler", "transformer", role]
        ordered = [slots[r] for r in order if r in slots]
        ordered += [s for r, s in slots.items() if r not in order]
        ordered.sort(key=lambda s: s.role in FINAL_ROLES)
        return _space(ordered, fixed, ctx, **portfolio_hints(ctx))
    raise _type_error(search_space)


# -- image data --------------------------------------------------------------------
def image_components(ctx: BuildContext) -> tuple[str, ...]:
    """Network component names for the context's backbones.

    Components of registered backbones are made from their specs if missing
    (see :func:`~._image_components.backbone_components`).

    Parameters
    ----------
    ctx : BuildContext
        ``ctx.backbones`` holds registered names and at most one custom
        backbone (``small_cnn`` when empty).

    Returns
    -------
    names : tuple of str
    """
    names: list[str] = []
    for b in ctx.backbones or ("small_cnn",):
        if isinstance(b, str) and b in BACKBONES:
            names += backbone_components(b)
        elif getattr(b, "pretrained", True):
            names += ["probe_custom", "finetune_custom"]
        else:
            names.append("finetune_custom")
    return tuple(dict.fromkeys(names))


def image_space(search_space: Any, ctx: BuildContext) -> SearchSpace:
    """The search space for image data (one classifier slot).

    Parameters
    ----------
    search_space : None, str or dict
        Presets: ``"default"`` (classical pixel models and the networks of
        the chosen backbones), ``"classical"``, ``"fast"`` (logistic
        regression, k-NN and the frozen-feature probes) and ``"nets"``. A
        dict may set the ``"classifier"`` role (and add others).
    ctx : BuildContext
        Of image data. For regression: ridge, SVR and k-NN on the pixels,
        the small CNN with one output, and the frozen pretrained backbones
        under a ridge head (see :mod:`._image_regressors`); no fine-tuning.

    Returns
    -------
    space : SearchSpace
    """
    role = ctx.final_role
    regression = ctx.task == "regression"
    classical = IMAGE_REGRESSORS if regression else IMAGE_CLASSICAL
    nets = image_regressors(ctx) if regression else image_components(ctx)
    probes = tuple(n for n in nets if n.startswith("probe_"))
    presets = {
        "default": (*classical, *nets),
        "classical": classical,
        "fast": (classical[0], classical[-1], *probes),  # linear, k-NN, the probes
        "nets": nets,
    }
    if search_space is None or isinstance(search_space, str):
        preset = check_preset(search_space)
        chosen = presets[preset]
        slots: list = []
    elif isinstance(search_space, Mapping):
        _check_roles(search_space, ctx)
        slots = [
            Slot(name, (names,) if isinstance(names, str) else tuple(names))
            for name, names in search_space.items()
            if name != role
        ]
        chosen = search_space.get(role, presets["default"])
        chosen = (chosen,) if isinstance(chosen, str) else tuple(chosen)
    else:
        raise _type_error(search_space)
    # the stored warm-start portfolio goes first (single-step candidates: only
    # when the classifier is the space's one slot)
    first = () if slots or ctx.task == "regression" else image_portfolio(chosen)
    return _space(
        (*slots, Slot(role, chosen)), (), ctx, portfolio_first=first, **portfolio_hints(ctx)
    )
