"""Detach a fitted pipeline from the search's feature cache, without torch.

The estimator calls :func:`release_feature_cache` on every refit pipeline; a
pipeline of classical components holds no :class:`BackboneFeatures`, and its
process may never have imported torch, so this module imports none: it looks
for the class only where it is already loaded.
"""

from __future__ import annotations

import sys

__all__ = ["release_feature_cache"]

_FEATURE_CACHE = __name__.rsplit(".", 1)[0] + "._feature_cache"


def release_feature_cache(estimator) -> None:
    """Detach every :class:`BackboneFeatures` inside ``estimator`` from its cache folder.

    Called on the refit pipeline before the search's cache folder is removed.
    When :mod:`skautoml.nets._feature_cache` was never imported in this
    process, no :class:`BackboneFeatures` exists here and nothing is done.

    Parameters
    ----------
    estimator : object
        A pipeline (its ``steps`` and ``transformer_list`` are walked), an
        ensemble (its fitted ``estimators_`` and a frozen ``estimator``) or any
        estimator.
    """
    module = sys.modules.get(_FEATURE_CACHE)
    if module is None:  # never imported: no BackboneFeatures to detach
        return
    seen = [estimator]
    while seen:
        obj = seen.pop()
        if isinstance(obj, module.BackboneFeatures):
            obj.cache_dir = None
        for attr in ("steps", "transformer_list"):
            for item in getattr(obj, attr, None) or ():
                seen.append(item[1])
        seen.extend(getattr(obj, "estimators_", None) or ())  # a fitted vote's members
        inner = obj.__dict__.get("estimator") if hasattr(obj, "__dict__") else None
        if inner is not None:  # a FrozenEstimator's model
            seen.append(inner)
