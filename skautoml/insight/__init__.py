"""What a fitted search shows: plots of its history, its Pareto front and the
winner's learning curves (:mod:`._plots`, matplotlib from the ``plots``
extra), and the importance of the original input columns (:mod:`._importance`:
permutation importance; an occlusion map for images). :class:`InsightMixin`
makes them methods of the estimators.
"""

from ._importance import feature_importance, occlusion_map
from ._mixin import InsightMixin
from ._plots import (
    history_table,
    network_history,
    plot_history,
    plot_learning_curves,
    plot_pareto_front,
)

__all__ = [
    "InsightMixin",
    "feature_importance",
    "history_table",
    "network_history",
    "occlusion_map",
    "plot_history",
    "plot_learning_curves",
    "plot_pareto_front",
]
