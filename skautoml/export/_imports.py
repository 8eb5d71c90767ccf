"""Collect the import statements of a generated script and sort them like isort.

:class:`_Imports` hands out local names for the classes, functions and modules
the rendered code uses (aliasing on clashes), records the classes the script
defines itself and the pretrained weights it needs, and writes the import lines
in ruff's isort order. :func:`_public_module` finds the shortest public module
that exposes an object.
"""

from __future__ import annotations

import importlib
import sys

from ..exceptions import ExportError
from ._inline import InlineClass
from ._layout import _IMPORT_WIDTH

#: Modules that are imported as a whole under a conventional alias.
_MODULE_ALIASES = {"numpy": "np", "pandas": "pd", "torch": "torch"}


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
