"""feature_importance: permutation importance on the original columns; occlusion for images."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier, AutoFineTuneRegressor

FAST = {"time_budget": None, "random_state": 0}


def _cancer_with_noise():
    """breast_cancer, a pure-noise column, and a categorical column made from an
    informative one (one-hot encoded inside the pipeline)."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X[["mean radius", "worst concave points", "mean texture", "worst area"]].copy()
    X["noise"] = np.random.RandomState(0).normal(size=len(X))
    X["radius band"] = pd.cut(X.pop("mean radius"), 4, labels=["s", "m", "l", "xl"]).astype(str)
    return train_test_split(X, y, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def cancer():
    X_train, X_test, y_train, y_test = _cancer_with_noise()
    clf = AutoFineTuneClassifier(max_trials=3, ensemble_size=1, **FAST).fit(X_train, y_train)
    return clf, X_test, y_test


def test_informative_columns_rank_above_a_pure_noise_column(cancer):
    clf, X_test, y_test = cancer
    table = clf.feature_importance(X_test, y_test, n_repeats=10, random_state=0)
    # one row per original column, named as in the input: not the one-hot columns
    assert sorted(table.index) == sorted(X_test.columns)
    assert table.index.name == "feature"
    assert list(table.columns) == ["importance_mean", "importance_std"]
    means = table["importance_mean"]
    assert means.is_monotonic_decreasing
    assert means["worst concave points"] > means["noise"]
    assert means["worst area"] > means["noise"]
    assert table.index[-1] == "noise" or means["noise"] <= 0.005
    assert (table["importance_std"] >= 0).all()


def test_importance_is_sklearns_permutation_importance_of_the_ensemble():
    X_train, X_test, y_train, y_test = _cancer_with_noise()
    clf = AutoFineTuneClassifier(max_trials=4, **FAST).fit(X_train, y_train)
    assert len(clf.ensemble_) > 1  # the ensemble predicts, and is what is measured
    table = clf.feature_importance(X_test, y_test, n_repeats=3, random_state=0)
    expected = permutation_importance(
        clf, X_test, y_test, scoring="accuracy", n_repeats=3, random_state=0
    )
    by_column = dict(zip(X_test.columns, expected.importances_mean))
    for column, row in table.iterrows():
        assert row["importance_mean"] == pytest.approx(by_column[column])
    # another scorer, named at the call
    table = clf.feature_importance(X_test, y_test, random_state=0, scoring="neg_log_loss")
    expected = permutation_importance(
        clf, X_test, y_test, scoring="neg_log_loss", n_repeats=5, random_state=0
    )
    by_column = dict(zip(X_test.columns, expected.importances_mean))
    for column, row in table.iterrows():
        assert row["importance_mean"] == pytest.approx(by_column[column])


def test_arrays_get_positional_names_and_a_regressor_its_own_scorer():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 3))
    y = 3 * X[:, 1] + 0.1 * rng.normal(size=150)
    reg = AutoFineTuneRegressor(max_trials=2, ensemble_size=1, **FAST).fit(X, y)
    table = reg.feature_importance(X, y, n_repeats=3, random_state=0)
    assert table.index[0] == "x1"
    assert sorted(table.index) == ["x0", "x1", "x2"]
    assert table.loc["x1", "importance_mean"] > 0.5  # R² falls from about 1 without x1
    with pytest.raises(ValueError, match="n_repeats"):
        reg.feature_importance(X, y, n_repeats=0)


def test_images_get_an_occlusion_map():
    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)
    clf = AutoFineTuneClassifier(
        search_space={"classifier": ["logistic_regression"]},
        max_trials=1,
        ensemble_size=1,
        **FAST,
    ).fit(images[:600], y[:600])
    drops = clf.feature_importance(images[600:900], y[600:900])
    assert drops.shape == (8, 8)
    assert np.isfinite(drops).all()
    # 2 x 2 patches: the four pixels of a patch share one value
    assert drops[0, 0] == drops[1, 1] and drops[2, 4] == drops[3, 5]
    centre, border = drops[2:6, 2:6].mean(), np.r_[drops[0], drops[-1]].mean()
    assert centre > border  # the strokes are in the middle, not at the edges
    assert drops.max() > 0.05
