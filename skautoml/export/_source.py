"""Render a fitted scikit-learn pipeline as readable, runnable Python source.

This is step 7 of the data flow: export only ever reads the built pipeline. The
renderer walks ``get_params(deep=False)`` of every estimator (:mod:`._params`),
compares each value with the default of the ``__init__`` signature, and emits a
constructor call with the values that differ. Values become literals (``repr``),
imported names (classes and functions, imported from their shortest public module
by :mod:`._imports`) or nested constructor calls, laid out by :mod:`._layout`.
Nothing is ever evaluated: the library builds text from objects, and the tests
run that text in a separate interpreter.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import math
import os
import sys

import numpy as np

from ..exceptions import ExportError
from ..nets import pretrained_weights_info
from ._imports import _Imports, _lookup, _public_module
from ._inline import inline_class_for
from ._layout import (
    _Atom,
    _dtype_literal,
    _float_literal,
    _Group,
    _layout,
    _python_scalar,
    _string_node,
)
from ._params import _constructor_arguments, _is_named_callable, _same

__all__ = ["pipeline_to_source"]


def _describe(path: tuple[str, ...]) -> str:
    return " -> ".join(path) if path else "the exported object"


class _Renderer:
    """Turns objects into layout nodes, collecting the imports they need."""

    def __init__(self, imports: _Imports):
        self.imports = imports

    def _refuse(self, path, problem: str, advice: str):
        raise ExportError(f"cannot export {_describe(path)}: {problem}. {advice}")

    def node(self, obj, path: tuple[str, ...] = ()):
        """Render ``obj`` (reached through ``path``) as a layout node."""
        obj = _python_scalar(obj)
        if obj is None or obj is Ellipsis or type(obj) is bool:
            return _Atom(repr(obj))
        if type(obj) is int:
            return _Atom(repr(obj))
        if type(obj) is float:
            return _Atom(_float_literal(obj))
        if type(obj) is complex:
            if not (math.isfinite(obj.real) and math.isfinite(obj.imag)):
                self._refuse(path, f"the complex number {obj!r}", "Use finite parts.")
            return _Atom(repr(obj))
        if type(obj) is str:
            return _string_node(obj)
        if type(obj) is bytes:
            return _Atom(repr(obj))
        if type(obj) in (list, tuple):
            return self._sequence(obj, path)
        if type(obj) is dict:
            items = tuple(
                (self.node(key, path).flat + ": ", self.node(value, path + (f"[{key!r}]",)))
                for key, value in obj.items()
            )
            return _Group("{", items, "}")
        if type(obj) in (set, frozenset):
            nodes = sorted((self.node(item, path) for item in obj), key=lambda node: node.flat)
            items = tuple(("", node) for node in nodes)
            if type(obj) is set:
                return _Group("{", items, "}") if items else _Atom("set()")
            inner = _Group("{", items, "}") if items else None
            return self._call(self.imports_name(frozenset, path), [("", inner)] if inner else [])
        if isinstance(obj, np.ndarray):
            return self._array(obj, path)
        if isinstance(obj, np.dtype):
            if obj.fields:
                self._refuse(path, f"the structured dtype {obj}", "Use a plain dtype.")
            name = self.imports_name(np.dtype, path)
            return self._call(name, [("", _Atom(_dtype_literal(obj)))])
        if isinstance(obj, enum.Enum):
            return _Atom(f"{self.imports_name(type(obj), path)}.{obj.name}")
        if isinstance(obj, type) or _is_named_callable(obj):
            return _Atom(self.imports_name(obj, path))
        return self._object(obj, path)

    def _sequence(self, obj, path):
        items = []
        for index, item in enumerate(obj):
            if type(item) is tuple and item and type(item[0]) is str:
                where = path + (f"step {item[0]!r}",)  # (name, estimator, ...) tuples
                elements = tuple(("", self.node(part, where)) for part in item)
                items.append(("", _Group("(", elements, ")")))
            else:
                items.append(("", self.node(item, path + (f"[{index}]",))))
        if type(obj) is list:
            return _Group("[", tuple(items), "]")
        return _Group("(", tuple(items), ")") if items else _Atom("()")

    def _array(self, obj: np.ndarray, path):
        if obj.dtype.kind not in "biufcUSO":
            self._refuse(
                path,
                f"a numpy array of dtype {obj.dtype}",
                "Use an array of numbers or strings.",
            )
        values = self.node(obj.tolist(), path)
        dtype = _Atom(_dtype_literal(obj.dtype))
        return self._call(self.imports_name(np.array, path), [("", values), ("dtype=", dtype)])

    def _call(self, name: str, arguments):
        items = tuple(arguments)
        return _Group(f"{name}(", items, ")")

    def imports_name(self, obj, path) -> str:
        """Import ``obj`` (a class or a function) and return its local name."""
        if inspect.ismethod(obj):
            self._refuse(
                path,
                f"{obj!r} is a bound method",
                "Pass a module-level function or a class instead.",
            )
        name = getattr(obj, "__name__", None)
        qualname = getattr(obj, "__qualname__", name)
        module_name = getattr(obj, "__module__", None)
        if name == "<lambda>":
            self._refuse(
                path,
                "it is a lambda",
                "Define a named function in an importable module and pass that function.",
            )
        if not qualname or not module_name or "<locals>" in qualname:
            self._refuse(
                path,
                f"{obj!r} is defined inside a function",
                "Define it at the top level of an importable module.",
            )
        if module_name == "__main__":
            self._refuse(
                path,
                f"{qualname} is defined in the __main__ script, which the exported "
                "script cannot import",
                "Move it to an importable module (a .py file on the Python path) and "
                "import it from there.",
            )
        if isinstance(obj, type):
            inline = inline_class_for(obj)
            if inline is not None:  # written into the script, so it needs no skautoml
                return self.imports.define(inline)
        if module_name == "builtins":
            if getattr(sys.modules["builtins"], qualname, None) is not obj:
                self._refuse(path, f"{obj!r} is not a builtin name", "Pass a named function.")
            return qualname
        module_name = _public_module(obj, module_name, qualname)
        try:
            found = _lookup(importlib.import_module(module_name), qualname)
        except (ImportError, AttributeError):
            found = None
        if found is not obj:
            self._refuse(
                path,
                f"{obj!r} cannot be imported as {module_name}.{qualname}",
                "Pass an object defined at the top level of an importable module.",
            )
        if isinstance(obj, type):  # a subclass of skorch's net needs skorch, too
            self.imports.packages.update(
                getattr(base, "__module__", "").split(".")[0] for base in obj.__mro__
            )
        top, _, rest = qualname.partition(".")
        local = self.imports.add_from(module_name, top)
        return f"{local}.{rest}" if rest else local

    def _object(self, obj, path):
        cls = type(obj)
        if isinstance(obj, (np.random.RandomState, np.random.Generator)):
            self._refuse(
                path,
                "a numpy random generator cannot be written as source",
                "Pass an int random_state instead.",
            )
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.nn.Module):
            self._refuse(
                path,
                f"an instantiated torch module ({cls.__name__})",
                "Pass the module class and its arguments as module__<name>=... instead.",
            )
        arguments = _constructor_arguments(obj)
        if arguments is None:
            self._refuse(
                path,
                f"a {cls.__module__}.{cls.__qualname__} object has neither get_params() "
                "nor attributes matching its __init__ parameters",
                "Give its class get_params() (for example, inherit from "
                "sklearn.base.BaseEstimator) or pass a plain value.",
            )
        name = self.imports_name(cls, path)
        if cls.__module__.split(".")[0] == "skautoml":
            for param_name, value, _ in arguments:
                if param_name in ("backbone", "module__backbone"):
                    self._note_backbone(value)
        rendered = []
        for param_name, value, parameter in arguments:
            default = inspect.Parameter.empty if parameter is None else parameter.default
            if _same(value, default):
                continue
            node = self.node(value, path + (f"{cls.__name__}.{param_name}",))
            positional = parameter is not None and parameter.kind == parameter.POSITIONAL_ONLY
            rendered.append(("" if positional else f"{param_name}=", node))
        return self._call(name, rendered)

    def _note_backbone(self, value):
        """Record where a backbone's pretrained weights come from, for the header."""
        if not isinstance(value, (str, os.PathLike)):
            return  # a module class or spec object is rendered (or refused) as it is
        text = os.fspath(value)
        try:
            registered = pretrained_weights_info(text)
        except KeyError:
            pass  # not a registered name: a torchvision/timm name or a checkpoint file
        else:
            if registered is not None:  # None: the backbone loads no packaged weights
                distribution, loading = registered
                self.imports.weights[text] = (
                    distribution,
                    f"Backbone {text!r}: its pretrained weights are not in this script. "
                    f"They are loaded the way skautoml loads them: {loading} To use "
                    "another copy of these weights, give the path of that file as the "
                    "backbone in make_pipeline().",
                )
            return
        if text.startswith(("torchvision:", "timm:")):
            package = text.partition(":")[0]
            self.imports.weights[text] = (
                _distribution(package),
                f"Backbone {text!r}: skautoml.nets.resolve_backbone({text!r}) builds it with "
                f"{package} and reads its weights from torch's hub cache "
                "(torch.hub.get_dir()/checkpoints); it never downloads.",
            )
            return
        self.imports.weights[text] = (
            None,
            f"Backbone weights are read from the file {text!r} named in make_pipeline() "
            "(with torch.load(weights_only=True)); keep the file there or change the path.",
        )


def _distribution(module: str) -> str:
    """The distribution that installs the top-level ``module`` (a guess if not installed)."""
    from importlib.metadata import packages_distributions

    found = packages_distributions().get(module.split(".")[0])
    return found[0] if found else module.split(".")[0].replace("_", "-")


def _render(estimator, imports: _Imports):
    return _Renderer(imports).node(estimator)


def pipeline_to_source(estimator) -> tuple[list[str], str]:
    """Render an estimator as the source of a constructor call.

    Parameters
    ----------
    estimator : object
        A scikit-learn estimator (``Pipeline``, ``ColumnTransformer``,
        ``FeatureUnion``, ``StackingClassifier``...), a skorch net, or any object
        with ``get_params``. Fitted or not: only the parameters are read.

    Returns
    -------
    imports : list of str
        The statements the expression needs: import statements in isort order
        (standard library first), for example ``"from sklearn.pipeline import
        Pipeline"``, then the source of each class the script defines itself
        instead of importing skautoml (one multi-line string per class; see
        below).
    expression : str
        The constructor call, laid out over several lines when long. Only
        parameters that differ from the ``__init__`` default are written.

    Notes
    -----
    :class:`skautoml.space.StackingTransformer` (the genetic search's
    out-of-fold stacking) has no public scikit-learn equivalent, so it is not
    imported: its short class definition is returned with the imports, and
    the expression uses that class.

    Raises
    ------
    ExportError
        If a value cannot be written as source (a lambda, a local function, a
        random generator object...). The message names the parameter and says
        what to do instead.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> imports, expr = pipeline_to_source(
    ...     make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    ... )
    >>> for line in imports:
    ...     print(line)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    >>> print(expr)
    Pipeline(
        steps=[
            ("standardscaler", StandardScaler()),
            ("logisticregression", LogisticRegression(C=0.5)),
        ],
    )
    """
    imports = _Imports()
    node = _render(estimator, imports)
    lines = [line for section in imports.sections() for line in section]
    return lines + imports.definitions(), "\n".join(_layout(node))
