"""AutoFineTuneClassifier: the fit/predict contract, records, budget and failures."""

import pickle
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import support.components  # noqa: F401  (registers the test_* components)
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skautoml import AllTrialsFailedError, AutoFineTuneClassifier, TrialFailedWarning

FAST = {
    "scaler": ["passthrough", "standard_scaler"],
    "transformer": ["passthrough"],
    "classifier": ["logistic_regression", "k_neighbors"],
}


def quick(**kwargs):
    params = dict(search="random", max_trials=3, cv=2, random_state=0, search_space=FAST)
    params.update(kwargs)
    return AutoFineTuneClassifier(**params)


def test_fit_predict_score_and_records(small_data):
    X, y = small_data
    clf = quick(max_trials=4).fit(X, y)
    assert clf.n_trials_ == 4
    assert set(clf.predict(X)) <= set(np.unique(y))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.score(X, y) > 0.6
    res = clf.cv_results_
    for key in (
        "params",
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_fit_time",
        "status",
        "split0_test_score",
        "split1_test_score",
    ):
        assert len(res[key]) == 4, key
    assert res["rank_test_score"].min() == 1
    best = int(np.argmin(res["rank_test_score"]))
    assert clf.best_score_ == pytest.approx(res["mean_test_score"][best])
    assert clf.best_params_ == res["params"][best]
    board = clf.leaderboard()
    assert list(board["score"]) == sorted(board["score"], reverse=True)
    assert clf.n_features_in_ == X.shape[1]


def test_string_labels_and_best_pipeline_predicts_them(small_data):
    X, y = small_data
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = quick().fit(X, labels)
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    assert set(clf.best_pipeline_.predict(X)) <= {"cat", "dog", "emu"}


def test_dataframe_with_categorical_and_missing_values():
    rng = np.random.default_rng(0)
    n = 150
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "weight": rng.normal(size=n),
        }
    )
    frame.loc[::7, "weight"] = np.nan
    frame.loc[::11, "colour"] = None
    y = np.where((frame["colour"] == "red") | (frame["size"] > 0.5), "yes", "no")
    clf = quick(max_trials=3).fit(frame, y)
    assert list(clf.feature_names_in_) == ["size", "colour", "weight"]
    assert clf.best_pipeline_.steps[0][0] == "one_hot_encoder"
    assert clf.score(frame, y) > 0.7
    unseen = frame.head(5).assign(colour="purple")  # unseen category at predict time
    assert len(clf.predict(unseen)) == 5


def test_same_seed_same_trials_and_predictions(small_data):
    X, y = small_data
    a = AutoFineTuneClassifier(
        search="bayes", max_trials=4, cv=2, random_state=3, search_space="fast"
    ).fit(X, y)
    b = AutoFineTuneClassifier(
        search="bayes", max_trials=4, cv=2, random_state=3, search_space="fast"
    ).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_array_equal(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_pickle_clone_pipeline_gridsearch_cross_val(small_data):
    X, y = small_data
    clf = quick().fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))

    fresh = clone(clf)
    assert not hasattr(fresh, "best_pipeline_")
    assert fresh.get_params() == clf.get_params()

    pipe = make_pipeline(StandardScaler(), quick()).fit(X, y)
    assert pipe.score(X, y) > 0.6

    grid = GridSearchCV(quick(max_trials=2), {"cv": [2, 3]}, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    assert grid.best_estimator_.cv == grid.best_params_["cv"]
    assert grid.best_estimator_.n_trials_ == 2  # refit: a fitted search of its own
    assert grid.score(X, y) > 0.6

    scores = cross_val_score(quick(max_trials=2), X, y, cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.5)


def test_network_component_trains(small_data):
    X, y = small_data
    clf = AutoFineTuneClassifier(
        search="random", max_trials=1, cv=2, random_state=0, search_space="nets"
    ).fit(X, y)
    assert clf.cv_results_["status"][0] == "ok"
    assert type(clf.best_pipeline_[-1]).__name__ == "NetClassifier"
    assert clf.score(X, y) > 0.5


def test_failures_are_recorded_and_search_goes_on(small_data):
    X, y = small_data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough"],
        "classifier": ["test_boom", "test_nan_net", "test_logreg"],
    }
    with pytest.warns(TrialFailedWarning, match="did not succeed"):
        clf = quick(max_trials=8, search_space=space).fit(X, y)
    status = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["status"]))
    assert status["test_boom"] == "error"
    assert status["test_nan_net"] == "diverged"
    errors = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["error"]))
    assert "boom: this component always fails" in errors["test_boom"]
    assert "nan" in errors["test_nan_net"].lower()
    assert clf.best_pipeline_[-1].__class__.__name__ == "LogisticRegression"
    # failed trials rank last
    ranks = clf.cv_results_["rank_test_score"]
    ok = clf.cv_results_["status"] == "ok"
    assert ranks[~ok].min() > ranks[ok].max()


def test_every_trial_failing_raises_with_the_errors(small_data):
    X, y = small_data
    space = {"scaler": ["passthrough"], "transformer": ["passthrough"], "classifier": ["test_boom"]}
    with pytest.raises(AllTrialsFailedError, match="boom: this component always fails"):
        quick(max_trials=2, search_space=space).fit(X, y)


def test_time_budget_holds_against_a_hung_candidate(small_data):
    X, y = small_data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough"],
        "classifier": ["test_sleeper", "test_spinner", "test_logreg"],
    }
    budget = 12
    clf = quick(max_trials=None, time_budget=budget, trial_time_limit=3, search_space=space)
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrialFailedWarning)
        clf.fit(X, y)
    elapsed = time.monotonic() - started
    # the documented margin is 2 s; allow more on a loaded CI machine
    assert elapsed < budget + 5, elapsed
    statuses = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["status"]))
    assert statuses.get("test_sleeper") == "timeout"
    assert statuses.get("test_spinner") == "timeout"
    assert clf.search_report_["stop_reason"] in ("time_budget", "exhausted")


def test_progress_bar_and_no_print(small_data, capsys):
    X, y = small_data
    quick(verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert out == ""
    assert "best=" in err and "trial" in err
    quick(verbose=0).fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_multi_fidelity_prunes_and_records_it(small_data):
    X, y = small_data
    clf = quick(max_trials=9, multi_fidelity=True).fit(X, y)
    status = list(clf.cv_results_["status"])
    assert "pruned" in status and "ok" in status
    board = clf.leaderboard()
    assert "fidelity" in board.columns
    # a pruned trial keeps its cheap scores but ranks below every full one
    ranks = clf.cv_results_["rank_test_score"]
    ok = clf.cv_results_["status"] == "ok"
    assert ranks[~ok].min() > ranks[ok].max()
    assert clf.best_candidate_.ok
