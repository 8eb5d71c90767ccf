"""One suite, every strategy: budget, failures, determinism and well-formed records.

Parametrised over every name in ``STRATEGIES``, so a new strategy is held to
the same contract as soon as it is registered. scikit-learn's
``check_estimator`` runs per strategy in ``tests/test_common.py``.
"""

import math
import time
import warnings

import numpy as np
import pytest
import support.components  # noqa: F401  (registers the test_* components)
from sklearn.datasets import make_classification

from skautoml import AutoFineTuneClassifier, TrialFailedWarning
from skautoml.records import STATUSES
from skautoml.space import Candidate
from skautoml.strategies import STRATEGIES

NAMES = sorted(STRATEGIES)

SMALL = {
    "scaler": ["passthrough", "standard_scaler"],
    "transformer": ["passthrough", "select_percentile"],
    "classifier": ["logistic_regression", "k_neighbors"],
}


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=90, n_features=5, n_informative=3, n_classes=2, random_state=0
    )


def make(search, **kwargs):
    params = dict(
        search=search,
        max_trials=4,
        cv=2,
        random_state=0,
        search_space=SMALL,
        population_size=4,
        n_jobs=1,
        time_budget=None,  # no per-trial time limit: a loaded machine cannot change the search
    )
    params.update(kwargs)
    return AutoFineTuneClassifier(**params)


@pytest.mark.parametrize("search", NAMES)
def test_max_trials_holds(search, data):
    X, y = data
    clf = make(search, max_trials=5).fit(X, y)
    assert clf.n_trials_ == 5
    assert clf.search_report_["stop_reason"] == "max_trials"


@pytest.mark.parametrize("search", NAMES)
def test_time_budget_holds(search, data):
    X, y = data
    budget = 4
    started = time.monotonic()
    clf = make(search, max_trials=None, time_budget=budget, n_jobs=2).fit(X, y)
    elapsed = time.monotonic() - started
    # the budget contract (refit included) with a generous margin for busy CI machines
    assert elapsed < budget + 5, elapsed
    assert clf.n_trials_ >= 1
    assert clf.search_report_["stop_reason"] in ("time_budget", "exhausted")


@pytest.mark.parametrize("search", NAMES)
def test_failures_are_recorded(search, data):
    X, y = data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough", "select_percentile"],
        "classifier": ["test_boom", "test_logreg"],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = make(search, max_trials=8, search_space=space).fit(X, y)
    res = clf.cv_results_
    failed = [i for i, p in enumerate(res["pipeline"]) if p.endswith("test_boom")]
    assert failed, "the search never tried the failing component"
    for i in failed:
        assert res["status"][i] == "error"
        assert math.isnan(res["mean_test_score"][i])
    assert any("boom: this component always fails" in res["error"][i] for i in failed)
    assert any(issubclass(w.category, TrialFailedWarning) for w in caught)
    assert clf.best_pipeline_[-1].__class__.__name__ == "LogisticRegression"


@pytest.mark.parametrize("search", NAMES)
def test_same_random_state_same_search(search, data):
    X, y = data
    a = make(search, max_trials=6, random_state=7).fit(X, y)
    b = make(search, max_trials=6, random_state=7).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_array_equal(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    for key in ("generation", "operator", "parents"):
        if key in a.cv_results_:
            assert list(a.cv_results_[key]) == list(b.cv_results_[key])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("search", NAMES)
def test_records_are_well_formed(search, data):
    X, y = data
    clf = make(search, max_trials=6).fit(X, y)
    res = clf.cv_results_
    n = clf.n_trials_
    assert n == len(clf.trials_) == 6
    for key, column in res.items():
        assert len(column) == n, key
    assert [t.number for t in clf.trials_] == list(range(n))
    assert set(res["status"]) <= set(STATUSES)
    candidates = [t.candidate for t in clf.trials_]
    assert all(isinstance(c, Candidate) for c in candidates)
    assert len(set(candidates)) == n, "a candidate was evaluated twice"
    ok = res["status"] == "ok"
    assert np.all(np.isfinite(res["mean_test_score"][ok]))
    assert res["rank_test_score"].min() == 1
    assert clf.best_score_ == np.nanmax(res["mean_test_score"])
    board = clf.leaderboard()
    assert len(board) == n
    assert list(board["score"].dropna()) == sorted(board["score"].dropna(), reverse=True)
    if search == "genetic":
        for key in ("generation", "operator", "parents"):
            assert key in res and key in board.columns
        assert isinstance(clf.pareto_front_, list) and clf.pareto_front_
