"""Read the constructor arguments of an object and compare them with the defaults.

The one place that reads an object's parameters: :func:`_constructor_arguments`
lists the ``(name, value, parameter)`` triples that rebuild an object, from
``get_params(deep=False)`` or from attributes named like the ``__init__``
parameters, and :func:`_same` decides whether a value equals its default
strictly enough to leave it out of the generated call.
"""

from __future__ import annotations

import enum
import inspect
import math

import numpy as np

from ._layout import _python_scalar


def _init_parameters(cls) -> dict[str, inspect.Parameter]:
    """Named ``__init__`` parameters of ``cls``, following ``**kwargs`` up the MRO.

    skorch's ``NeuralNetClassifier.__init__`` takes ``**kwargs`` and passes them
    on to ``NeuralNet.__init__``, so the defaults of both count.
    """
    found: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if klass is object:
            break
        init = vars(klass).get("__init__")
        if init is None:
            continue
        try:
            signature = inspect.signature(init)
        except (TypeError, ValueError):
            break
        passes_on = False
        for param in list(signature.parameters.values())[1:]:
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                passes_on = True
            else:
                found.setdefault(param.name, param)
        if not passes_on:
            break
    return found


def _constructor_arguments(obj):
    """``[(name, value, parameter or None), ...]`` to rebuild ``obj``, or None.

    Values come from ``get_params(deep=False)`` (private keys such as skorch's
    ``_params_to_validate`` are skipped), or, for plain objects such as
    ``make_column_selector`` and ``KFold``, from the attributes named like the
    ``__init__`` parameters. Returns None when neither describes ``obj``.
    """
    cls = type(obj)
    try:
        parameters = _init_parameters(cls)
    except (TypeError, ValueError):
        return None
    get_params = getattr(obj, "get_params", None)
    if callable(get_params) and not isinstance(obj, type):
        try:
            values = get_params(deep=False)
        except TypeError:
            return None
        values = {key: value for key, value in values.items() if not key.startswith("_")}
    else:
        if not parameters or not all(hasattr(obj, name) for name in parameters):
            return None
        values = {name: getattr(obj, name) for name in parameters}
    ordered = [name for name in parameters if name in values]
    ordered += sorted(name for name in values if name not in parameters)
    return [(name, values[name], parameters.get(name)) for name in ordered]


def _same(value, default) -> bool:
    """Whether ``value`` equals ``default`` strictly enough to leave it out.

    Types must match (``1`` is not ``1.0``, ``True`` is not ``1``, a tuple is not a
    list); NaN equals NaN; classes and functions compare by identity; estimators
    and other objects compare class by class and parameter by parameter.
    """
    if default is inspect.Parameter.empty:
        return False
    value, default = _python_scalar(value), _python_scalar(default)
    if type(value) is not type(default):
        return False
    if value is default:
        return True
    if isinstance(value, float):
        if math.isnan(value) and math.isnan(default):
            return True
        return value == default and math.copysign(1, value) == math.copysign(1, default)
    if isinstance(value, (str, bytes, int, complex)):
        return value == default
    if isinstance(value, (list, tuple)):
        return len(value) == len(default) and all(map(_same, value, default))
    if isinstance(value, dict):
        return list(value) == list(default) and all(
            _same(value[key], default[key]) for key in value
        )
    if isinstance(value, np.ndarray):
        return (
            value.dtype == default.dtype
            and value.shape == default.shape
            and bool(np.array_equal(value, default, equal_nan=value.dtype.kind in "fc"))
        )
    if isinstance(value, (type, enum.Enum)) or _is_named_callable(value):
        return False  # not the same object (identity was checked above)
    mine, theirs = _constructor_arguments(value), _constructor_arguments(default)
    if mine is None or theirs is None:
        return False
    return [name for name, _, _ in mine] == [name for name, _, _ in theirs] and all(
        _same(a, b) for (_, a, _), (_, b, _) in zip(mine, theirs)
    )


def _is_named_callable(obj) -> bool:
    return inspect.isroutine(obj) or isinstance(obj, np.ufunc) or inspect.ismethod(obj)
