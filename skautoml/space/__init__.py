"""The search space as data: components, candidates and presets.

Floors; a module imports only from floors below it and from :mod:`skautoml.nets`:

1. ``_candidate``, ``_context``, ``_dimensions``: plain data;
2. ``_training``: how every network component trains and fine-tunes;
3. ``_components``: the registry and the tabular components;
4. ``_composite`` (feature union, stacking), ``_image_components`` (image
   networks, the components of registered backbones), ``_regressors`` (the
   regression components and their target transforms), ``_image_regressors``
   (image networks with a regression head) and ``_space``
   (slots, search spaces, portfolios, building pipelines);
5. ``_portfolio``: the stored warm-start portfolio for image data;
6. ``_presets``: the presets and ``make_space``; ``_workload``: what an
   image network candidate trains, for the cost model.

Components register themselves when their module is imported; importing
this package imports them all.
"""

from ._candidate import Candidate, Step, candidate_from_json, candidate_to_json
from ._components import (
    COMPONENTS,
    FINAL_ROLES,
    Component,
    accepts_weights,
    register,
    takes_weights,
)
from ._composite import StackingTransformer
from ._context import BuildContext, context_for
from ._dimensions import Categorical, Float, Integer
from ._presets import PRESETS, check_preset, make_space
from ._space import PASSTHROUGH, SearchSpace, Slot, build_pipeline
from ._workload import NetWorkload, network_workload

__all__ = [
    "COMPONENTS",
    "FINAL_ROLES",
    "PASSTHROUGH",
    "PRESETS",
    "BuildContext",
    "context_for",
    "Candidate",
    "Categorical",
    "Component",
    "Float",
    "Integer",
    "NetWorkload",
    "SearchSpace",
    "Slot",
    "StackingTransformer",
    "Step",
    "accepts_weights",
    "build_pipeline",
    "candidate_from_json",
    "candidate_to_json",
    "check_preset",
    "make_space",
    "network_workload",
    "register",
    "takes_weights",
]
