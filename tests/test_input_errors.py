"""Bad input gets a clear error, in scikit-learn's style."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skautoml import AutoFineTuneClassifier


def est(**kwargs):
    params = dict(search="random", max_trials=2, cv=2, random_state=0, search_space="fast")
    params.update(kwargs)
    return AutoFineTuneClassifier(**params)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.arange(10.0), np.arange(10) % 2, "Expected 2D array"),
        (np.ones((10, 2)), np.zeros(10), "only one class"),
        (np.ones((10, 2)), np.r_[np.nan, np.arange(9) % 2], "y contains NaN"),
        (np.ones((10, 2)), np.arange(8) % 2, "inconsistent numbers of samples"),
        (np.ones((10, 2)), np.linspace(0, 1, 10), "Unknown label type"),
        (np.r_[[[np.inf, 1.0]], np.ones((9, 2))], np.arange(10) % 2, "infinity"),
        (np.ones((0, 2)), np.array([]), "0 sample"),
        (np.ones((10, 2)), None, "requires y to be passed"),
        (np.ones((10, 2)), np.r_[0, np.ones(9)], "single example"),
    ],
)
def test_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        est().fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"search": "grid"}, "search"),
        ({"max_trials": 0}, "max_trials"),
        ({"time_budget": -1}, "time_budget"),
        ({"max_trials": None, "time_budget": None}, "nothing would stop the search"),
        ({"search_space": "huge"}, "not a preset"),
        ({"search_space": {"classifier": ["no_such_model"]}}, "unknown component"),
        ({"search_space": {"classifier": ["standard_scaler"]}}, "cannot fill"),
        ({"scoring": "not_a_metric"}, "not a valid scoring value"),
        ({"cv": "five"}, "cv"),
    ],
)
def test_bad_parameters(params, match):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match=match):
        est(**params).fit(X, y)


def test_predict_before_fit_and_wrong_width():
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = np.arange(20) % 2
    with pytest.raises(NotFittedError):
        est().predict(X)
    clf = est().fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(X[:, :2])
