"""The shared-prefix cache: same scores, prefix fitted once per fold."""

import os

from sklearn.datasets import make_classification
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold

from skautoml.evaluation import EvalData, evaluate_candidate
from skautoml.space import BuildContext, Candidate, Step


def test_candidates_sharing_a_prefix_reuse_it_and_score_the_same(tmp_path):
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    ctx = BuildContext(n_samples=200, n_features=8, n_classes=2)
    prefix = (Step.make("standard_scaler"), Step.make("pca", {"variance": 0.9}))
    a = Candidate((*prefix, Step.make("logistic_regression", {"C": 1.0})))
    b = Candidate((*prefix, Step.make("k_neighbors", {"n_neighbors": 5, "weights": "uniform"})))
    cached = EvalData(X, y, splits, get_scorer("accuracy"), ctx, cache_dir=str(tmp_path))
    plain = EvalData(X, y, splits, get_scorer("accuracy"), ctx)

    def entries():
        return sum(len(files) for _, _, files in os.walk(tmp_path))

    first = evaluate_candidate(a, cached)
    after_a = entries()
    assert after_a > 0  # the prefix of each fold went into the cache
    second = evaluate_candidate(b, cached)
    assert entries() == after_a  # b found every prefix fit there: nothing new
    assert first.test_scores == evaluate_candidate(a, plain).test_scores
    assert second.test_scores == evaluate_candidate(b, plain).test_scores
