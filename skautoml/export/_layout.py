"""Lay out generated code: layout nodes, literals and comments, like ``ruff format``.

The renderer turns objects into a tiny tree of atoms and bracketed groups;
:func:`_layout` writes that tree as lines that fit the width, exploding a group
one item per line (with a magic trailing comma) when it is too long. The literal
helpers turn Python and numpy values into inert source text. This module knows
nothing about estimators or imports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Width the generated code is laid out in (ruff's and black's default).
_WIDTH = 88
#: Width of a one-line ``from ... import ...``. ruff's isort wraps longer ones at its
#: line length: 88 by default. A wrapped import keeps its magic trailing comma, so it
#: stays wrapped under a longer line length too (this project's 100).
_IMPORT_WIDTH = _WIDTH
_INDENT = 4


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
