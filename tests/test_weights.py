"""sample_weight and class imbalance, on both estimators."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight

from skautoml import AutoFineTuneClassifier, AutoFineTuneRegressor
from skautoml.evaluation import EvalData
from skautoml.space import BuildContext, SearchSpace, Slot, make_space

#: one fixed candidate: the portfolio's first, refit alone (no ensemble)
ONE = {"max_trials": 1, "time_budget": None, "cv": 2, "random_state": 0, "ensemble_size": 1}


def _repeat(X, y, w):
    counts = np.asarray(w, dtype=int)
    return np.repeat(X, counts, axis=0), np.repeat(y, counts)


def test_integer_weights_equal_repeated_rows_regressor():
    X, y = make_regression(n_samples=80, n_features=4, noise=10.0, random_state=0)
    w = np.random.default_rng(0).integers(0, 4, size=len(y))
    space = {"scaler": ["standard_scaler"], "transformer": ["passthrough"], "regressor": "ridge"}
    weighted = AutoFineTuneRegressor(**ONE, search_space=space).fit(X, y, sample_weight=w)
    repeated = AutoFineTuneRegressor(**ONE, search_space=space).fit(*_repeat(X, y, w))
    assert weighted.best_pipeline_.steps[-1][0] == "ridge"
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-8)
    # and the weights did change the model
    plain = AutoFineTuneRegressor(**ONE, search_space=space).fit(X, y)
    assert not np.allclose(plain.predict(X), weighted.predict(X))


def test_integer_weights_equal_repeated_rows_classifier():
    X, y = make_classification(n_samples=90, n_features=5, random_state=0)
    w = np.random.default_rng(1).integers(0, 4, size=len(y))
    space = {
        "scaler": ["standard_scaler"],
        "transformer": ["passthrough"],
        "classifier": "logistic_regression",
    }
    weighted = AutoFineTuneClassifier(**ONE, search_space=space).fit(X, y, sample_weight=w)
    repeated = AutoFineTuneClassifier(**ONE, search_space=space).fit(*_repeat(X, y, w))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-4, atol=1e-5
    )


def _imbalanced():
    X, y = make_classification(
        n_samples=600,
        n_features=6,
        n_informative=3,
        weights=[0.92, 0.08],
        class_sep=0.6,
        flip_y=0.02,
        random_state=0,
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


def test_balanced_weights_raise_balanced_accuracy():
    X_train, X_test, y_train, y_test = _imbalanced()
    # a SearchSpace is used as it is: no class_weight="balanced" from the
    # portfolio, so only the weights can rebalance
    space = SearchSpace((Slot("classifier", ("logistic_regression",)),))
    plain = AutoFineTuneClassifier(**ONE, search_space=space).fit(X_train, y_train)
    weights = compute_sample_weight("balanced", y_train)
    balanced = AutoFineTuneClassifier(**ONE, search_space=space).fit(
        X_train, y_train, sample_weight=weights
    )
    before = balanced_accuracy_score(y_test, plain.predict(X_test))
    after = balanced_accuracy_score(y_test, balanced.predict(X_test))
    assert after > before + 0.05, (before, after)


def test_class_weight_is_searched_and_starts_balanced_on_imbalanced_classes():
    X_train, X_test, y_train, y_test = _imbalanced()
    ctx = BuildContext(n_samples=300, n_features=6, n_classes=2, imbalanced=True)
    space = make_space("classical", ctx)
    for candidate in space.portfolio():
        name, params = candidate.steps[-1].name, dict(candidate.steps[-1].params)
        if name != "k_neighbors":
            assert params["class_weight"] == "balanced", candidate
    even = make_space("classical", BuildContext(n_samples=300, n_features=6, n_classes=2))
    assert all(
        dict(c.steps[-1].params).get("class_weight", "none") == "none" for c in even.portfolio()
    )
    assert ("logistic_regression__class_weight", "balanced") in {
        (key, choice)
        for key, dim in space.flat_dimensions()
        if key.endswith("class_weight")
        for choice in dim.choices
    }
    # the estimator sees the imbalance itself, and it pays on the small class
    clf = AutoFineTuneClassifier(**ONE, search_space={"classifier": "logistic_regression"})
    clf.fit(X_train, y_train)
    assert clf.best_params_["logistic_regression__class_weight"] == "balanced"
    plain = AutoFineTuneClassifier(
        **ONE, search_space=SearchSpace((Slot("classifier", ("logistic_regression",)),))
    ).fit(X_train, y_train)
    assert plain.best_params_["logistic_regression__class_weight"] == "none"
    before = balanced_accuracy_score(y_test, plain.predict(X_test))
    assert balanced_accuracy_score(y_test, clf.predict(X_test)) > before + 0.05


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.ones(5), "sample_weight has 5 values but X has 40 rows"),
        (np.r_[-1.0, np.ones(39)], "1 negative value"),
        (np.zeros(40), "zero for every row"),
        (np.ones((40, 2)), "must be 1-D"),
        (np.r_[np.nan, np.ones(39)], "NaN or infinity"),
    ],
)
def test_bad_weights_get_clear_errors(weights, message):
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    with pytest.raises(ValueError, match=message):
        AutoFineTuneRegressor(**ONE).fit(X, y, sample_weight=weights)


def test_components_without_weights_are_left_out_and_the_leaderboard_says_why():
    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    clf = AutoFineTuneClassifier(
        max_trials=2,
        time_budget=None,
        cv=2,
        random_state=0,
        search_space={"classifier": ["k_neighbors", "logistic_regression", "tabular_net"]},
    ).fit(X, y, sample_weight=np.ones(80))
    assert set(clf.search_report_["left_out"]) == {"k_neighbors", "tabular_net"}
    assert not any("k_neighbors" in p for p in clf.cv_results_["pipeline"])
    board = clf.leaderboard()
    skipped = board[board["status"] == "skipped"]
    assert set(skipped["pipeline"]) == {"k_neighbors", "tabular_net"}
    assert skipped["error"].str.contains("takes no sample_weight").all()
    with pytest.raises(ValueError, match="no classifier of the search space takes weights"):
        AutoFineTuneClassifier(**ONE, search_space={"classifier": ["k_neighbors"]}).fit(
            X, y, sample_weight=np.ones(80)
        )


def test_weights_reach_the_scorer_in_worker_processes():
    X, y = make_regression(n_samples=60, n_features=3, random_state=0)

    def weighted_only(estimator, X, y, sample_weight=None):
        return 1.0 if sample_weight is not None and len(sample_weight) == len(y) else -1.0

    reg = AutoFineTuneRegressor(
        max_trials=2, time_budget=None, cv=2, n_jobs=2, scoring=weighted_only, random_state=0
    ).fit(X, y, sample_weight=np.linspace(0.5, 2.0, 60))
    assert list(reg.cv_results_["mean_test_score"]) == [1.0, 1.0]


def test_weighted_cv_score_is_the_weighted_metric():
    from sklearn.linear_model import Ridge
    from sklearn.metrics import get_scorer, r2_score
    from sklearn.pipeline import make_pipeline

    X, y = make_regression(n_samples=50, n_features=3, noise=20.0, random_state=0)
    w = np.linspace(0.1, 3.0, 50)
    ctx = BuildContext(n_samples=50, n_features=3, n_classes=1, task="regression")
    data = EvalData(X, y, [], get_scorer("r2"), ctx, sample_weight=w)
    train, test = np.arange(30), np.arange(30, 50)
    pipe = data.fit(make_pipeline(Ridge()), train)
    expected_model = Ridge().fit(X[train], y[train], sample_weight=w[train])
    np.testing.assert_allclose(pipe.predict(X), expected_model.predict(X))
    expected = r2_score(y[test], expected_model.predict(X[test]), sample_weight=w[test])
    assert data.score(pipe, test) == pytest.approx(expected)


def test_weights_are_part_of_the_checkpoint_fingerprint(tmp_path):
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    path = tmp_path / "search.jsonl"
    settings = {**ONE, "checkpoint": str(path)}
    AutoFineTuneRegressor(**settings).fit(X, y, sample_weight=np.ones(40))
    with pytest.raises(ValueError, match="other settings or data"):
        AutoFineTuneRegressor(**settings).fit(
            X, y, sample_weight=np.r_[np.ones(20), np.full(20, 2)]
        )
    # the same weights resume
    AutoFineTuneRegressor(**settings).fit(X, y, sample_weight=np.ones(40))
