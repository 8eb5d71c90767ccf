"""A winner without predict_proba: predict and score work, predict_proba says why not."""

import numpy as np
import pytest
import support.components  # noqa: F401  (registers the test_* components)
from sklearn.datasets import load_iris

from skautoml import AutoFineTuneClassifier


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = AutoFineTuneClassifier(
        search_space={"classifier": ["test_ridge"]},
        max_trials=2,
        time_budget=None,
        random_state=0,
    ).fit(X, y)
    return clf, X, y


def test_predict_and_score_use_the_classifiers_own_predict(fitted):
    clf, X, y = fitted
    assert not hasattr(clf.best_pipeline_, "predict_proba")
    pred = clf.predict(X)
    np.testing.assert_array_equal(pred, clf.best_pipeline_.predict(X))
    assert set(pred) <= set(clf.classes_)
    assert clf.score(X, y) > 0.7


def test_predict_proba_is_unavailable_with_a_clear_error(fitted):
    clf, X, _ = fitted
    assert not hasattr(clf, "predict_proba")
    with pytest.raises(AttributeError, match="has no attribute 'predict_proba'") as info:
        clf.predict_proba(X)
    # the traceback shows why, as the direct cause
    assert "gives no class probabilities" in str(info.value.__cause__)
    # unfitted, the method is there (scikit-learn's checks expect NotFittedError)
    assert hasattr(AutoFineTuneClassifier(), "predict_proba")


def test_distill_needs_probabilities(fitted):
    clf, X, _ = fitted
    with pytest.raises(ValueError, match="class probabilities"):
        clf.distill(X, time_budget=5)
