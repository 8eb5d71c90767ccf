"""The one way the library imports an optional dependency.

Each optional dependency belongs to an extra of ``pyproject.toml``
(``images``, ``pretrained``, ``distributed``). When it is missing, the error
names the extra that brings it and the ``pip install`` that installs it, from
the checkout (``pip install -e ".[images]"``) or as a package.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingDependencyError

__all__ = ["import_optional", "install_hint"]


def install_hint(extra: str) -> str:
    """How to install an extra of ``skautoml``: its name and the pip commands.

    The project installs from its checkout (``make`` runs ``pip install -e
    ".[dev]"`` there), so that form comes first; the package form serves an
    environment where skautoml was installed from a built package.

    Parameters
    ----------
    extra : str
        The extra of ``pyproject.toml`` (``"images"``, ``"pretrained"``,
        ``"distributed"``).

    Returns
    -------
    hint : str

    Examples
    --------
    >>> print(install_hint("distributed"))  # doctest: +NORMALIZE_WHITESPACE
    install the "distributed" extra: pip install -e ".[distributed]" in the
    skautoml checkout (pip install "skautoml[distributed]" for a packaged install)
    """
    return (
        f'install the "{extra}" extra: pip install -e ".[{extra}]" in the skautoml '
        f'checkout (pip install "skautoml[{extra}]" for a packaged install)'
    )


def import_optional(
    module: str, *, extra: str, purpose: str, hint: str | None = None
) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Parameters
    ----------
    module : str
        The dotted module name, as for :func:`importlib.import_module`
        (``"PIL.Image"``, ``"distributed"``).
    extra : str
        The extra of ``skautoml`` that installs the module (``"images"``,
        ``"pretrained"``, ``"distributed"``).
    purpose : str
        What the module is needed for, completing the sentence
        "skautoml needs <module> for <purpose>".
    hint : str or None, default=None
        Another way out, appended to the message after a comma (``"or pass
        checkpoint=PATH ..."``).

    Returns
    -------
    module : types.ModuleType
        The imported module.

    Raises
    ------
    MissingDependencyError
        If the module (or a module it needs) does not import. It subclasses
        :class:`ImportError`, and the original error is its ``__cause__``.

    Examples
    --------
    >>> from skautoml._optional import import_optional
    >>> import_optional("json", extra="images", purpose="this example").__name__
    'json'
    >>> try:
    ...     import_optional("no_such_module", extra="images", purpose="reading images")
    ... except ImportError as exc:
    ...     print(str(exc).split("; ", 1)[1].rsplit(" (", 1)[0])
    ... # doctest: +NORMALIZE_WHITESPACE
    install the "images" extra: pip install -e ".[images]" in the skautoml
    checkout (pip install "skautoml[images]" for a packaged install)
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        message = f"skautoml needs {module} for {purpose}; {install_hint(extra)}"
        if hint:
            message += f", {hint}"
        # the cause, for a module that is installed but does not import
        message += f" ({type(exc).__name__}: {exc})"
        raise MissingDependencyError(message) from exc
