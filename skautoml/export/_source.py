"""Render a fitted scikit-learn pipeline as readable, runnable Python source.

This is step 7 of the data flow: export only ever reads the built pipeline. The
renderer walks ``get_params(deep=False)`` of every estimator, compares each value
with the default of the ``__init__`` signature, and emits a constructor call with
the values that differ. Values become literals (``repr``), imported names (classes
and functions, imported from their shortest public module) or nested constructor
calls. Nothing is ever evaluated: the library builds text from objects, and the
tests run that text in a separate interpreter.
"""

from __future__ import annotations

import datetime
import enum
import importlib
import inspect
import math
import os
import shlex
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ._inline import InlineClass, inline_class_for

__all__ = ["ExportError", "export_pipeline", "pipeline_to_source"]

#: Width the generated code is laid out in (ruff's and black's default).
_WIDTH = 88
#: Width of a one-line ``from ... import ...``. ruff's isort wraps longer ones at its
#: line length: 88 by default. A wrapped import keeps its magic trailing comma, so it
#: stays wrapped under a longer line length too (this project's 100).
_IMPORT_WIDTH = _WIDTH
_INDENT = 4

#: Modules that are imported as a whole under a conventional alias.
_MODULE_ALIASES = {"numpy": "np", "pandas": "pd", "torch": "torch"}
#: Distribution names of the import names the script may need at run time.
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "numpy": "numpy", "pandas": "pandas"}


class ExportError(ValueError):
    """A pipeline holds a value that cannot be written as Python source.

    The message names the parameter (as a path from the outer estimator) and
    says what to do instead.
    """


# ---------------------------------------------------------------------------
# Layout: a tiny tree of atoms and bracketed groups, laid out like ``ruff format``
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Atom:
    text: str

    @property
    def flat(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Group:
    """``open item, item close``; exploded one item per line when too long.

    ``sep`` is ``","`` for calls and displays, ``""`` for an implicitly
    concatenated string. ``flat_text`` overrides the one-line form.
    """

    open: str
    items: tuple[tuple[str, object], ...]
    close: str
    sep: str = ","
    flat_text: str | None = None

    @property
    def flat(self) -> str:
        if self.flat_text is not None:
            return self.flat_text
        body = ", ".join(prefix + node.flat for prefix, node in self.items)
        if self.open == "(" and self.close == ")" and len(self.items) == 1:
            body += ","  # a one-element tuple
        return self.open + body + self.close


def _layout(node, indent: int = 0, head: str = "", tail: str = "") -> list[str]:
    """Lay out ``head + node + tail`` at ``indent``, as lines.

    The node goes on one line when that fits in the width; otherwise its items go
    one per line with a trailing comma (a "magic trailing comma", so ``ruff
    format`` keeps the layout).
    """
    pad = " " * indent
    line = pad + head + node.flat + tail
    if len(line) <= _WIDTH or isinstance(node, _Atom) or not node.items:
        return [line]
    lines = [pad + head + node.open]
    for prefix, item in node.items:
        lines.extend(_layout(item, indent + _INDENT, prefix, node.sep))
    lines.append(pad + node.close + tail)
    return lines


# ---------------------------------------------------------------------------
# Literals
# ---------------------------------------------------------------------------


def _str_literal(value: str) -> str:
    """Quote ``value`` as an inert Python string literal.

    The text comes from ``repr``, which escapes every backslash and control
    character. Like ``ruff format``, it uses double quotes unless the string holds
    more double than single quotes; moving from ``repr``'s single quotes to double
    quotes only unescapes ``\\'`` and escapes ``"``, token by token.
    """
    text = repr(value)
    if text[0] == '"' or value.count('"') > value.count("'"):
        return text
    out, body, index = ['"'], text[1:-1], 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escape = body[index : index + 2]
            out.append("'" if escape == "\\'" else escape)
            index += 2
            continue
        out.append('\\"' if char == '"' else char)
        index += 1
    out.append('"')
    return "".join(out)


def _string_node(value: str):
    """A string literal; a long one becomes an implicit concatenation of chunks."""
    text = _str_literal(value)
    if len(text) <= _WIDTH - 3 * _INDENT:
        return _Atom(text)
    size = 50
    chunks = [value[i : i + size] for i in range(0, len(value), size)]
    items = tuple(("", _Atom(_str_literal(chunk))) for chunk in chunks)
    return _Group("(", items, ")", sep="", flat_text=text)


def _float_literal(value: float) -> str:
    if math.isnan(value):
        return 'float("nan")'
    if math.isinf(value):
        return 'float("inf")' if value > 0 else 'float("-inf")'
    return repr(value)  # shortest repr that round-trips exactly


def _dtype_literal(dtype: np.dtype) -> str:
    """``"float32"`` for numbers; ``"<U3"`` for fixed-width text, whose name loses the size."""
    return _str_literal(dtype.str if dtype.kind in "USV" else dtype.name)


def _python_scalar(value):
    """Convert a numpy scalar to the equivalent Python scalar."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _comment(text: str) -> str:
    """Make ``text`` safe inside a ``#`` comment: escape every non-printable char."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


# ---------------------------------------------------------------------------
# Constructor arguments: the one place that reads an object's parameters
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Imports
# ---------------------------------------------------------------------------


def _lookup(module, qualname: str):
    target = module
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _public_module(obj, module_name: str, qualname: str) -> str:
    """The shortest public module (no ``_`` part) that exposes ``obj``.

    ``sklearn.linear_model._logistic.LogisticRegression`` is found in
    ``sklearn.linear_model``. Falls back to ``module_name`` when no public parent
    exposes the object (for example a user's own ``_helpers`` module).
    """
    parts = module_name.split(".")
    for stop in range(1, len(parts) + 1):
        if parts[stop - 1].startswith("_"):
            break
        candidate = ".".join(parts[:stop])
        try:
            module = sys.modules.get(candidate) or importlib.import_module(candidate)
            found = _lookup(module, qualname)
        except (ImportError, AttributeError):
            continue
        if found is obj:
            return candidate
    return module_name


class _Imports:
    """The import statements of a script, sorted the way ruff's isort wants."""

    def __init__(self):
        self._from: dict[str, str] = {}  # local name -> "module:name"
        self._modules: dict[str, str] = {}  # local name -> module
        self._taken: set[str] = set()
        #: top-level packages the rendered classes come from, base classes included
        self.packages: set[str] = set()
        #: classes the script defines itself: InlineClass -> (local name, source)
        self.inline: dict[InlineClass, tuple[str, str]] = {}
        #: pretrained weights the pipeline loads: backbone -> (distribution, how found)
        self.weights: dict[str, tuple[str | None, str]] = {}

    def reserve(self, *names: str) -> None:
        """Names the script itself defines (``main``, ``make_pipeline``...)."""
        self._taken.update(names)

    def add_module(self, module: str) -> str:
        """``import module [as alias]``; returns the local name."""
        alias = _MODULE_ALIASES.get(module, module)
        if self._modules.get(alias, module) != module or alias in self._from:
            raise ExportError(f"the name {alias!r} is already used in the exported script")
        self._modules[alias] = module
        self._taken.add(alias)
        return alias

    def add_from(self, module: str, name: str) -> str:
        """``from module import name [as alias]``; returns the local name."""
        if module in _MODULE_ALIASES:
            return f"{self.add_module(module)}.{name}"
        key = f"{module}:{name}"
        for local, known in self._from.items():
            if known == key:
                return local
        local, counter = name, 1
        while local in self._taken:
            counter += 1
            local = f"{name}_{counter}"
        self._from[local] = key
        self._taken.add(local)
        return local

    def define(self, inline: InlineClass) -> str:
        """Define ``inline``'s class in the script; returns its local name.

        The names its source uses are imported like any other (and aliased if
        another object took the name first).
        """
        if inline in self.inline:
            return self.inline[inline][0]
        local, counter = inline.name, 1
        while local in self._taken:
            counter += 1
            local = f"{inline.name}_{counter}"
        self._taken.add(local)
        names = {
            placeholder: self.add_module(module) if name is None else self.add_from(module, name)
            for placeholder, module, name in inline.uses
        }
        self.inline[inline] = (local, inline.source.format(name=local, **names))
        return local

    def definitions(self) -> list[str]:
        """Source of the classes the script defines, in the order first used."""
        return [source for _, source in self.inline.values()]

    def from_imports(self) -> list[tuple[str, str]]:
        """``(module, name)`` of every ``from module import name``."""
        return [tuple(key.split(":")) for key in self._from.values()]

    def top_level_packages(self) -> set[str]:
        """Top-level packages the script imports or its classes derive from."""
        modules = list(self._modules.values())
        modules += [key.split(":")[0] for key in self._from.values()]
        return {module.split(".")[0] for module in modules} | self.packages

    def sections(self) -> list[list[str]]:
        """Import lines grouped in isort sections: standard library, then the rest."""
        straight: dict[str, list[str]] = {}
        for alias, module in self._modules.items():
            text = f"import {module}" if alias == module else f"import {module} as {alias}"
            straight.setdefault(module, []).append(text)
        grouped: dict[str, list[tuple[str, str]]] = {}
        for local, key in self._from.items():
            module, name = key.split(":")
            grouped.setdefault(module, []).append((name, local))
        stdlib, other = [], []
        for module in sorted(straight, key=_module_key):
            section = stdlib if _is_stdlib(module) else other
            section.extend(sorted(straight[module]))
        for module in sorted(grouped, key=_module_key):
            section = stdlib if _is_stdlib(module) else other
            section.extend(_from_lines(module, grouped[module]))
        return [section for section in (stdlib, other) if section]


def _module_key(module: str):
    return (module.lower(), module)


def _is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names


def _member_key(member: tuple[str, str]):
    """isort's ``order-by-type``: CONSTANTS, then Classes, then functions."""
    name = member[0]
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, name.lower(), name)


def _from_lines(module: str, members: list[tuple[str, str]]) -> list[str]:
    names = [
        name if name == local else f"{name} as {local}"
        for name, local in sorted(members, key=_member_key)
    ]
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= _IMPORT_WIDTH:
        return [line]
    return [f"from {module} import ("] + [f"    {name}," for name in names] + [")"]


# ---------------------------------------------------------------------------
# The renderer
# ---------------------------------------------------------------------------


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
        nets = sys.modules.get("skautoml.nets")
        registry = getattr(nets, "BACKBONES", {})
        if text in registry:
            spec = registry[text]
            if spec.requires:
                self.imports.weights[text] = _registered_weights(nets, text, spec)
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


def _registered_weights(nets, name: str, spec) -> tuple[str, str]:
    """``(distribution, how found)`` for a registered backbone's packaged weights."""
    dist = _distribution(spec.requires)
    lite = getattr(nets, "EFFICIENTNET_LITE_SPECS", {}).get(spec.params.get("variant"))
    if lite is not None and lite["package"] == spec.requires:
        call = f"skautoml.nets.load_efficientnet_lite({spec.params['variant']!r})"
        where = f" ({spec.requires}.{lite['model_file']}.get_model_file_path())"
    else:
        call, where = f"skautoml.nets.resolve_backbone({name!r}).load(...)", ""
    return dist, (
        f"Backbone {name!r}: its pretrained weights are not in this script. They are "
        f"loaded the way skautoml loads them: {call} reads, with "
        f"torch.load(weights_only=True), the checkpoint file that the package {dist} "
        f"installs{where}. To use another copy of these weights, give the path of "
        "that file as the backbone in make_pipeline()."
    )


def _is_named_callable(obj) -> bool:
    return inspect.isroutine(obj) or isinstance(obj, np.ufunc) or inspect.ismethod(obj)


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


# ---------------------------------------------------------------------------
# The script
# ---------------------------------------------------------------------------

#: Names the script defines or uses as locals; imports must not shadow them.
_SCRIPT_NAMES = (
    "make_pipeline",
    "main",
    "SCORING",
    "argv",
    "parser",
    "args",
    "data",
    "model",
    "score",
    "X",
    "y",
    "X_train",
    "X_test",
    "y_train",
    "y_test",
    "torch",
    "importlib",
    "os",
    "sys",
)

_MAIN = '''


def make_pipeline():
    """Return the winning pipeline, unfitted."""
{body}


def main(argv=None):
    """Fit the pipeline on a CSV file, print its held-out score, optionally save it."""
    parser = argparse.ArgumentParser(description="Fit the exported pipeline.")
    parser.add_argument("csv", help="CSV file with a header row, one row per sample")
    parser.add_argument("--target", required=True, help="column to predict")
    parser.add_argument("--test-size", type=float, default=0.25, help="held-out share")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the split")
    parser.add_argument("--save", metavar="PATH", help="save the fitted pipeline here")
    args = parser.parse_args(argv)

    data = pd.read_csv(args.csv)
    y = data[args.target]
    X = data.drop(columns=[args.target])
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.random_state, stratify=y
    )
{seed}    model = make_pipeline()
    model.fit(X_train, y_train)
    score = {score}
    print(f"held-out {{SCORING}}: {{score:.4f}} on {{len(y_test)}} rows")
    if args.save:
        joblib.dump(model, args.save)
        print(f"saved the fitted pipeline to {{args.save}}")
    return model


{guard}'''

_GUARD = """\
if __name__ == "__main__":
    main()
"""

#: With classes defined in the script, a model saved by ``python script.py`` would
#: refer to ``__main__.<class>``, which no other program can load.
_GUARD_IMPORTED = """\
if __name__ == "__main__":
    # Run main() from this file imported as a module, not as __main__: a model saved
    # with --save then refers to the classes defined above by this module's name,
    # and joblib.load finds them wherever this file is importable.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    importlib.import_module(os.path.splitext(os.path.basename(__file__))[0]).main()
"""

_SEED = "    torch.manual_seed(args.random_state)\n"

#: Packages that a public skautoml module imports, so a script importing it needs them.
_SKAUTOML_NEEDS = {"skautoml.nets": ("torch", "skorch")}


def _runtime_lines(imports: _Imports) -> list[str]:
    """Header lines that say which packages the script needs at run time."""
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    packages = imports.top_level_packages() - set(sys.stdlib_module_names)
    skautoml_modules = {
        module for module, _ in imports.from_imports() if module.split(".")[0] == "skautoml"
    }
    for module in skautoml_modules:  # what those skautoml modules import in turn
        packages |= set(_SKAUTOML_NEEDS.get(module, ()))
    packages -= {"sklearn", "numpy", "pandas", "joblib", "skautoml", "builtins", ""}
    named = {name: distributions.get(name, [None])[0] for name in packages}
    extra = {dist for dist in named.values() if dist}
    extra |= {dist for dist, _ in imports.weights.values() if dist}
    needed = ["numpy", "pandas", "scikit-learn"]  # joblib comes with scikit-learn
    needed += sorted(extra, key=str.lower)
    lines = [f"Needs at run time: {', '.join(needed)}."]
    own = sorted(name for name, dist in named.items() if not dist)
    if own:
        lines.append(f"It imports your own code from: {', '.join(own)} (keep it importable).")
    skautoml_names = sorted(
        f"{module}.{name}"
        for module, name in imports.from_imports()
        if module.split(".")[0] == "skautoml"
    )
    if skautoml_names:
        lines.append(
            f"It imports {', '.join(skautoml_names)} from skautoml's public modules, "
            "so skautoml must be installed too."
        )
    else:
        lines.append("It does not import skautoml.")
    for inline, (local, _) in imports.inline.items():
        lines.append(
            f"It defines {local} itself (a copy of {inline.public}). A model saved "
            "with --save refers to it through this file: load the model where this "
            "file is importable (same folder or PYTHONPATH)."
        )
    lines += [how for _, how in imports.weights.values()]
    return lines


def export_pipeline(
    pipeline,
    *,
    cv_score=None,
    scoring="accuracy",
    target=None,
    skautoml_version=None,
    notes=(),
    date=None,
    script_name="best_pipeline.py",
) -> str:
    """Write a standalone Python script that rebuilds and fits ``pipeline``.

    The script holds a header comment, sorted imports, ``make_pipeline()``
    (returns the unfitted pipeline) and ``main(argv=None)``: it reads a CSV file
    with pandas (text columns included), holds out a stratified test split, fits,
    prints the held-out score and, with ``--save PATH``, saves the fitted
    pipeline with joblib. Importing the script runs nothing.

    Parameters
    ----------
    pipeline : object
        The winning estimator, usually ``best_pipeline_``. Rendered with
        :func:`pipeline_to_source`.
    cv_score : float, default=None
        Cross-validated score of the winning candidate, quoted in the header.
    scoring : str or None, default="accuracy"
        Scorer name (see ``sklearn.metrics.get_scorer``) the script reports. With
        None the script reports ``pipeline.score``.
    target : str, default=None
        Name of the target column, used in the header's usage line.
    skautoml_version : str, default=None
        Version quoted in the header; None reads the installed version.
    notes : iterable of str, default=()
        Extra lines for the header (leaderboard summary, search settings...).
    date : datetime.date or str, default=None
        Date quoted in the header; None means today. Tests inject a fixed date.
    script_name : str, default="best_pipeline.py"
        File name shown in the header's usage line.

    Returns
    -------
    source : str
        The script. It passes ``ruff check`` and, for classical pipelines,
        imports nothing from skautoml.

    Raises
    ------
    ExportError
        If a parameter value cannot be written as source.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> source = export_pipeline(LogisticRegression(), cv_score=0.9, date="2025-01-01")
    >>> "def make_pipeline():" in source and "LogisticRegression()" in source
    True
    """
    if scoring is not None and type(scoring) is not str:
        raise ExportError(
            f"cannot export scoring={scoring!r}: the script needs a scorer name. "
            "Pass a string accepted by sklearn.metrics.get_scorer, or None to report "
            "the pipeline's own score method."
        )
    imports = _Imports()
    imports.reserve(*_SCRIPT_NAMES)
    imports.add_module("argparse")
    imports.add_module("joblib")
    imports.add_module("pandas")
    imports.add_from("sklearn.model_selection", "train_test_split")
    if scoring is None:
        score, label = "model.score(X_test, y_test)", "score"
    else:
        imports.add_from("sklearn.metrics", "get_scorer")
        score, label = "get_scorer(SCORING)(model, X_test, y_test)", scoring
    node = _render(pipeline, imports)
    seed = ""
    if "torch" in imports.top_level_packages() or "skorch" in imports.top_level_packages():
        imports.add_module("torch")
        seed = _SEED
    guard = _GUARD
    if imports.inline:
        for module in ("importlib", "os", "sys"):
            imports.add_module(module)
        guard = _GUARD_IMPORTED

    if skautoml_version is None:
        skautoml_version = _installed_version()
    if date is None:
        date = datetime.date.today()
    if isinstance(date, datetime.date):
        date = date.isoformat()
    column = "COLUMN" if target is None else shlex.quote(str(target))
    if len(column) > 30 or _comment(column) != column:
        column = "COLUMN"  # too long or unprintable to quote in a comment
    command = f"python {shlex.quote(script_name)} data.csv --target {column}"
    score_text = "not recorded" if cv_score is None else f"{float(cv_score):.4f}"
    header = [
        f"Winning pipeline exported by skautoml {skautoml_version} on {date}.",
        f"Cross-validated {label} of this pipeline during the search: {score_text}",
        "",
        "Run it:",
        f"    {command} [--save model.pkl]",
        "It reads the CSV with pandas (text columns are fine), holds out --test-size of",
        "the rows (stratified, seeded by --random-state), fits the pipeline on the rest,",
        f"prints the held-out {label} and, with --save, saves the fitted pipeline",
        "with joblib. Other code can import this file and call make_pipeline().",
        "",
        *_runtime_lines(imports),
    ]
    if seed:
        header.append("torch's generator is seeded with --random-state before fitting.")
    notes = _as_lines(notes)
    if notes:
        header += ["", "Notes:", *(f"  {note}" for note in notes)]
    out = [f"# {line}".rstrip() for line in _wrap_comment(header)]
    for section in imports.sections():
        out += [""] + section
    out.append("")
    for definition in imports.definitions():
        out += ["", definition.rstrip("\n"), "", ""]
    if scoring is not None:
        out.append(f"SCORING = {_str_literal(scoring)}")
    else:
        out.append('SCORING = "score"')
    body = "\n".join(_layout(node, _INDENT, "return "))
    return "\n".join(out) + _MAIN.format(body=body, seed=seed, score=score, guard=guard)


def _wrap_comment(lines: list[str]) -> list[str]:
    """Escape unprintable characters and wrap lines so ``# line`` fits the width."""
    wrapped = []
    for line in map(_comment, lines):
        indent = " " * (len(line) - len(line.lstrip(" ")))
        wrapped += textwrap.wrap(
            line, _WIDTH - 2, subsequent_indent=indent + "  ", break_on_hyphens=False
        ) or [""]
    return wrapped


def _as_lines(notes: Iterable[str] | str) -> list[str]:
    if isinstance(notes, str):
        notes = [notes]
    return [line for note in notes for line in str(note).splitlines() or [""]]


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("skautoml")
    except PackageNotFoundError:
        return "(unknown version)"
