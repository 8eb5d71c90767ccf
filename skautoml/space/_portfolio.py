"""The warm-start portfolio for image data, stored as data in the package.

``image_portfolio.json`` lists candidates (a classifier component and its
parameters) chosen offline by ``benchmarks/build_image_portfolio.py``:
greedy selection over development image sets, in the spirit of
auto-sklearn 2.0's portfolios. The search tries them first, in order, before
the components' defaults (see :meth:`~._space.SearchSpace.portfolio`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from ._candidate import Candidate, Step
from ._components import COMPONENTS
from ._space import factory_defaults

__all__ = ["image_portfolio", "portfolio_entries"]

#: the file, next to this module
PORTFOLIO_FILE = "image_portfolio.json"


@lru_cache(maxsize=1)
def portfolio_entries() -> tuple[dict, ...]:
    """The stored entries: ``{"component": name, "params": {...}}``, in order.

    Returns
    -------
    entries : tuple of dict
    """
    text = resources.files(__package__).joinpath(PORTFOLIO_FILE).read_text()
    return tuple(json.loads(text)["entries"])


def image_portfolio(components) -> tuple[Candidate, ...]:
    """The stored portfolio's candidates whose component is among ``components``.

    Parameters missing from an entry take the factory's defaults; every
    value is kept inside its searched range, so each candidate is a point of
    the space that every strategy can encode.

    Parameters
    ----------
    components : iterable of str
        The classifier names the space offers.

    Returns
    -------
    candidates : tuple of Candidate

    Examples
    --------
    >>> [c.steps[0].name for c in image_portfolio(["small_cnn"])][:1]
    ['small_cnn']
    """
    offered = set(components)
    out = []
    for entry in portfolio_entries():
        name = entry["component"]
        if name not in offered or name not in COMPONENTS:
            continue
        component = COMPONENTS[name]
        params = factory_defaults(component)
        for key, value in entry.get("params", {}).items():
            if key in component.hyperparams:
                params[key] = component.hyperparams[key].clip(value)
        out.append(Candidate((Step.make(name, params),)))
    return tuple(dict.fromkeys(out))
