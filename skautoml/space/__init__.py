"""The search space as data: components, candidates and presets."""

from ._candidate import Candidate, Step, candidate_from_json, candidate_to_json
from ._components import COMPONENTS, Component, register
from ._composite import StackingTransformer
from ._context import BuildContext
from ._dimensions import Categorical, Float, Integer
from ._space import PASSTHROUGH, PRESETS, SearchSpace, Slot, build_pipeline, make_space

__all__ = [
    "COMPONENTS",
    "PASSTHROUGH",
    "PRESETS",
    "BuildContext",
    "Candidate",
    "Categorical",
    "Component",
    "Float",
    "Integer",
    "SearchSpace",
    "Slot",
    "StackingTransformer",
    "Step",
    "build_pipeline",
    "candidate_from_json",
    "candidate_to_json",
    "make_space",
    "register",
]
