"""AutoFineTuneRegressor: the classifier's search for a numeric target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_digits, make_regression
from sklearn.ensemble import VotingRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skautoml import AutoFineTuneRegressor
from skautoml.space import COMPONENTS, BuildContext, Candidate, Step, build_pipeline, make_space

FAST = {"max_trials": 3, "time_budget": None, "cv": 2, "random_state": 0}


@pytest.fixture
def reg_data():
    X, y = make_regression(n_samples=120, n_features=5, noise=5.0, random_state=0)
    return X, y + 100.0


def _frame(n=150, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["colour"] = np.array(["red", "green", "blue"])[rng.integers(0, 3, n)]
    effect = frame["colour"].map({"red": 3.0, "green": 0.0, "blue": -3.0}).to_numpy()
    y = 2 * frame["a"].to_numpy() - frame["b"].to_numpy() + effect + rng.normal(0, 0.3, n)
    frame.loc[rng.choice(n, 15, replace=False), "a"] = np.nan
    frame.loc[rng.choice(n, 10, replace=False), "colour"] = None
    return frame, y


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array(["a", "b"] * 10), "y must be numeric for regression"),
        (np.r_[np.nan, np.arange(19.0)], "y contains NaN"),
        (np.r_[np.inf, np.arange(19.0)], "y contains infinity"),
        (np.full(20, 3.0), "y is constant"),
    ],
)
def test_bad_targets_get_clear_errors(y, message):
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=message):
        AutoFineTuneRegressor(**FAST).fit(X, y)


def test_classifier_roles_in_a_regressor_space_are_named(reg_data):
    X, y = reg_data
    with pytest.raises(ValueError, match="name the regressors under 'regressor'"):
        AutoFineTuneRegressor(**FAST, search_space={"classifier": ["ridge"]}).fit(X, y)


def test_default_scoring_is_r2_and_predict_is_1d_float(reg_data):
    X, y = reg_data
    reg = AutoFineTuneRegressor(**FAST, search_space="fast").fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (len(y),) and pred.dtype == np.float64
    assert reg.score(X, y) > 0.9
    # best_score_ is the mean CV r2 of the best trial
    assert reg.best_score_ == pytest.approx(max(reg.cv_results_["mean_test_score"]))
    assert not hasattr(reg, "classes_")


@pytest.mark.parametrize("search", ["random", "bayes", "genetic"])
def test_every_strategy_handles_categoricals_and_missing_values(search):
    frame, y = _frame()
    extra = {"population_size": 4, "generations": 1} if search == "genetic" else {}
    reg = AutoFineTuneRegressor(
        search=search, max_trials=5, time_budget=None, cv=3, random_state=0, **extra
    )
    reg.fit(frame, y)
    assert reg.best_score_ > 0.8, reg.leaderboard()
    assert reg.score(frame, y) > 0.8
    assert sum(m["weight"] for m in reg.ensemble_) == pytest.approx(1.0)
    steps = [name for name, _ in reg.best_pipeline_.steps]
    assert steps[0] == "one_hot_encoder" and "simple_imputer" in steps


def test_genetic_search_never_stacks_a_regressor():
    frame, y = _frame()
    reg = AutoFineTuneRegressor(
        search="genetic",
        population_size=6,
        generations=3,
        max_trials=30,
        time_budget=None,
        random_state=1,
    ).fit(frame, y)
    assert not any("stacking" in p for p in reg.cv_results_["pipeline"])
    assert reg.pareto_front_


def test_ensemble_averages_predictions_with_a_voting_regressor(reg_data):
    X, y = reg_data
    # with this seed the selection keeps several members (asserted below)
    reg = AutoFineTuneRegressor(
        max_trials=8, time_budget=None, cv=3, random_state=0, search="random"
    ).fit(X, y)
    assert len(reg.ensemble_) > 1, reg.ensemble_
    assert isinstance(reg.ensemble_model_, VotingRegressor)
    weights = np.array([m["weight"] for m in reg.ensemble_])
    members = [est.predict(X) for est in reg.ensemble_model_.estimators_]
    np.testing.assert_allclose(reg.predict(X), np.average(members, axis=0, weights=weights))
    board = reg.leaderboard()
    assert board["ensemble_weight"].sum() == pytest.approx(1.0)
    assert reg.ensemble_score_ >= reg.best_score_ - 0.05


def test_works_in_pipeline_grid_search_and_cross_val_score(reg_data):
    X, y = reg_data
    est = AutoFineTuneRegressor(max_trials=2, time_budget=None, cv=2, search_space="fast")
    pipe = Pipeline([("scale", StandardScaler()), ("auto", est)])
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.5)
    grid = GridSearchCV(pipe, {"auto__ensemble_size": [1, 5]}, cv=2).fit(X, y)
    assert grid.best_params_["auto__ensemble_size"] in (1, 5)
    assert grid.score(X, y) > 0.8


def test_regression_space_offers_the_regressors_and_target_transforms():
    ctx = BuildContext(n_samples=200, n_features=6, n_classes=1, task="regression")
    space = make_space(None, ctx)
    assert space.slots[-1].role == "regressor"
    assert set(space.slots[-1].options) == {
        "ridge",
        "elastic_net",
        "hist_gradient_boosting_regressor",
        "random_forest_regressor",
        "extra_trees_regressor",
        "k_neighbors_regressor",
        "svr",
        "tabular_net_regressor",
    }
    assert COMPONENTS["tabular_net_regressor"].hyperparams["loss"].choices == ("mse", "huber")
    # every regressor may predict a transformed target: on a skewed target a
    # linear model fits the quantile-normalised target far better
    X, y = make_regression(n_samples=200, n_features=6, random_state=0)
    skewed = np.exp(y / 100)
    scores = {}
    for target in ("none", "quantile"):
        pipe = build_pipeline(Candidate((Step.make("ridge", {"target": target}),)), ctx)
        scores[target] = pipe.fit(X, skewed).score(X, skewed)
    assert isinstance(pipe.steps[-1][1], TransformedTargetRegressor)
    assert scores["quantile"] > scores["none"] + 0.2, scores
    # far outside the training rows the inverse transform stays finite
    assert np.isfinite(pipe.predict(X * 100)).all()


def test_tabular_network_regressor_trains_in_the_search(reg_data):
    X, y = reg_data
    reg = AutoFineTuneRegressor(
        max_trials=1, time_budget=None, cv=2, random_state=0, search_space="nets"
    ).fit(X, y)
    assert reg.cv_results_["status"][0] == "ok", reg.cv_results_["error"][0]
    assert "tabular_net_regressor" in reg.cv_results_["pipeline"][0]
    assert reg.score(X, y) > 0.5


def test_image_regression_reads_pixels():
    digits = load_digits()
    X, ink = digits.images[:300], digits.images[:300].sum(axis=(1, 2))  # stroke thickness
    reg = AutoFineTuneRegressor(max_trials=3, time_budget=None, cv=2, random_state=0)
    reg.fit(X, ink)
    assert reg.image_format_ is not None
    assert reg.best_pipeline_.steps[-1][0] in ("ridge", "svr", "k_neighbors_regressor")
    assert reg.score(digits.images[300:400], digits.images[300:400].sum(axis=(1, 2))) > 0.9
