"""Hostile and broken tabular input: a clear error or a documented handling each.

Image-specific cases (mixed sizes, corrupt files) and weight files (not a state
dict, malicious pickles) are tested with the image and network code.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skautoml import AllTrialsFailedError, AutoFineTuneClassifier

FAST = {
    "scaler": ["passthrough", "standard_scaler"],
    "transformer": ["passthrough"],
    "classifier": ["logistic_regression", "k_neighbors"],
}


def est(**kwargs):
    params = dict(search="random", max_trials=2, cv=2, random_state=0, search_space=FAST)
    params.update(kwargs)
    return AutoFineTuneClassifier(**params)


def frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    y = np.where(data["x"] > 0, "pos", "neg")
    return data, y


def test_nan_is_imputed_and_inf_is_refused():
    X, y = frame()
    X.loc[::5, "x"] = np.nan
    clf = est().fit(X, y)
    assert "simple_imputer" in clf.best_params_["steps"]
    X.loc[3, "z"] = np.inf
    with pytest.raises(ValueError, match=r"infinity in column\(s\) \['z'\]"):
        est().fit(X, y)


def test_all_nan_and_constant_columns_are_handled():
    X, y = frame()
    X["empty"] = np.nan
    X["same"] = 7.0
    clf = est().fit(X, y)
    assert clf.score(X, y) > 0.8


def test_object_column_with_mixed_types_is_read_as_text():
    X, y = frame()
    X["mixed"] = [1, "a", 2.5, None] * 15
    clf = est().fit(X, y)
    encoder = clf.best_pipeline_[0]
    assert clf.best_params_["steps"][0] == "one_hot_encoder"
    assert encoder.transformers_[0][2] == ["mixed"]  # one-hot encoded as text
    onehot = [c for c in encoder.get_feature_names_out() if c.startswith("mixed_")]
    assert len(onehot) == 4  # 1, "a", 2.5 and the missing value, each a category
    assert set(clf.predict(X)) <= set(clf.classes_)


def test_unseen_category_at_predict_time_is_ignored():
    X, y = frame()
    X["city"] = ["Oslo", "Lima"] * 30
    clf = est().fit(X, y)
    unseen = X.assign(city="Atlantis")
    encoded = clf.best_pipeline_[0].transform(unseen)
    names = list(clf.best_pipeline_[0].get_feature_names_out())
    city = [i for i, n in enumerate(names) if n.startswith("city_")]
    assert len(city) == 2 and not np.asarray(encoded)[:, city].any()  # all-zero one-hot
    proba = clf.predict_proba(unseen)
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(unseen)) <= set(clf.classes_)


def test_labels_of_mixed_types_are_refused():
    X, y = frame()
    y = np.array([1, "a"] * 30, dtype=object)
    with pytest.raises(ValueError, match="mixes label types"):
        est().fit(X, y)


def test_a_class_with_one_example_is_refused_clearly():
    X, y = frame()
    y = y.copy()
    y[0] = "lonely"
    with pytest.raises(ValueError, match=r"single example.*Add examples or drop"):
        est().fit(X, y)


def test_a_class_with_fewer_examples_than_folds_uses_fewer_folds():
    X, y = frame()
    y = y.copy()
    y[:2] = "rare"
    with pytest.warns(UserWarning, match="fewer than cv=3"):
        clf = est(cv=3).fit(X, y)
    assert "split1_test_score" in clf.cv_results_ and "split2_test_score" not in clf.cv_results_


def test_zero_rows_is_refused():
    X, y = frame()
    with pytest.raises(ValueError, match="0 sample"):
        est().fit(X.iloc[:0], y[:0])


def test_very_wide_input():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10_000))
    y = (X[:, 0] > 0).astype(int)
    clf = est(max_trials=1, search_space={**FAST, "classifier": ["logistic_regression"]})
    clf.fit(X, y)
    assert clf.n_features_in_ == 10_000
    assert clf.best_pipeline_[-1].coef_.shape == (1, 10_000)
    assert clf.predict(X).shape == (40,) and clf.score(X, y) > 0.9


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(12, 30), st.integers(1, 4)),
        elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)),
    ),
    labels=st.sampled_from([("a", "b"), (0, 1, 2), (True, False)]),
)
def test_random_small_tables_fit_or_fail_with_a_documented_error(X, labels):
    y = np.array([labels[i % len(labels)] for i in range(len(X))])
    clf = est(max_trials=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X, y)
    except (ValueError, AllTrialsFailedError) as exc:  # the documented errors only
        documented = r"all \d+ trials failed|infinity in column|single example|mixes label types"
        assert re.search(documented, str(exc)), str(exc)
        return
    assert set(clf.predict(X)) <= set(labels)
