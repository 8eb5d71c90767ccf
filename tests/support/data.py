"""Small evaluation data for the tests that drive the runner and the loop directly."""

from __future__ import annotations

from sklearn.datasets import make_classification
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold

from skautoml.evaluation import EvalData
from skautoml.space import BuildContext


def binary_eval_data(n_samples: int, n_features: int, n_informative: int) -> EvalData:
    """A seeded binary problem, two stratified folds, accuracy."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        random_state=0,
    )
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    ctx = BuildContext(n_samples=n_samples, n_features=n_features, n_classes=2, seed=0)
    return EvalData(X, y, splits, get_scorer("accuracy"), ctx)
