"""Size and prediction latency in the records, and ``max_predict_latency``."""

import json
import warnings

import numpy as np
import pytest
import support.components  # noqa: F401  (registers the test_* components)
from sklearn.datasets import load_diabetes, load_iris
from sklearn.metrics import get_scorer

from skautoml import AutoFineTuneClassifier, AutoFineTuneRegressor, SearchWarning
from skautoml.evaluation import select_ensemble
from skautoml.records import read_checkpoint

PASS = {"scaler": ["passthrough"], "transformer": ["passthrough"]}
#: a good, slow classifier (each prediction sleeps 0.1 s: over 1 ms per row on
#: the 75 validation rows of a 2-fold iris) and a poor, fast one
SLOW_OR_POOR = {**PASS, "classifier": ["test_slow_predict", "test_prior"]}
#: far above the poor model's latency, far below the slow one's
LIMIT = 0.5


def quick(**kwargs):
    params = dict(search="random", max_trials=4, cv=2, random_state=0, time_budget=60)
    return AutoFineTuneClassifier(**{**params, **kwargs})


@pytest.fixture
def iris():
    return load_iris(return_X_y=True)


def _ms(clf, trial):
    return clf.cv_results_["predict_ms_per_row"][trial]


def test_records_show_size_and_latency_of_successful_trials(iris):
    X, y = iris
    space = {**PASS, "classifier": ["test_boom", "test_logreg", "k_neighbors"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failing trials' summary
        clf = quick(max_trials=6, search_space=space).fit(X, y)
    res = clf.cv_results_
    ok = res["status"] == "ok"
    assert ok.any() and not ok.all()
    for column in ("size_bytes", "predict_ms_per_row"):
        assert np.all(res[column][ok] > 0), column
        assert np.all(np.isnan(res[column][~ok])), column
    assert all(float(v).is_integer() for v in res["size_bytes"][ok])
    board = clf.leaderboard()
    good = board["status"] == "ok"
    assert (board.loc[good, "size_bytes"] > 0).all()
    assert (board.loc[good, "predict_ms_per_row"] > 0).all()
    assert board.loc[~good, ["size_bytes", "predict_ms_per_row"]].isna().all().all()
    # the board's rows are the trials': same values, by trial number
    for _, row in board[good].iterrows():
        assert row["size_bytes"] == res["size_bytes"][row["trial"]]
    assert clf.search_report_["max_predict_latency"] == {"limit": None, "over": 0, "met": True}


def test_regressor_records_them_too():
    X, y = load_diabetes(return_X_y=True)
    reg = AutoFineTuneRegressor(
        search="random", max_trials=2, cv=2, random_state=0, time_budget=None, search_space="fast"
    ).fit(X, y)
    assert np.all(reg.cv_results_["size_bytes"] > 0)
    assert np.all(reg.cv_results_["predict_ms_per_row"] > 0)


def test_slow_trials_are_left_out_of_the_winner_and_the_ensemble(iris):
    X, y = iris
    clf = quick(search_space=SLOW_OR_POOR, max_predict_latency=LIMIT).fit(X, y)
    res = clf.cv_results_
    kinds = np.array(["slow" in p for p in res["pipeline"]])
    assert kinds.any() and not kinds.all()
    # the slow model scores best, but predicts too slowly to win
    assert np.all(res["predict_ms_per_row"][kinds] > LIMIT)
    assert res["mean_test_score"][kinds].max() > res["mean_test_score"][~kinds].max()
    assert "test_prior" in clf.best_params_["steps"]
    assert _ms(clf, clf.best_index_) <= LIMIT
    members = [m["trial"] for m in clf.ensemble_]
    assert not any(kinds[members])
    assert sum(_ms(clf, t) for t in members) <= LIMIT
    report = clf.search_report_["max_predict_latency"]
    assert report == {"limit": LIMIT, "over": int(kinds.sum()), "met": True}


def test_the_fastest_trial_is_used_when_none_meets_the_limit(iris):
    X, y = iris
    space = {**PASS, "classifier": ["test_logreg", "k_neighbors"]}
    with pytest.warns(SearchWarning, match=r"max_predict_latency=1e-09 ms per row; the fastest"):
        clf = quick(search_space=space, max_predict_latency=1e-9).fit(X, y)
    ms = clf.cv_results_["predict_ms_per_row"]
    assert clf.best_index_ == int(np.nanargmin(ms))
    assert [m["trial"] for m in clf.ensemble_] == [clf.best_index_]
    assert clf.ensemble_model_ is None
    n_ok = int(np.sum(clf.cv_results_["status"] == "ok"))
    assert clf.search_report_["max_predict_latency"] == {"limit": 1e-9, "over": n_ok, "met": False}


def test_max_predict_latency_is_validated(iris):
    X, y = iris
    with pytest.raises(ValueError, match="max_predict_latency"):
        quick(max_predict_latency=0).fit(X, y)


def test_a_checkpoint_without_size_and_latency_still_resumes(iris, tmp_path):
    X, y = iris
    path = tmp_path / "search.jsonl"
    space = {**PASS, "classifier": ["test_logreg"]}
    quick(max_trials=3, search_space=space, checkpoint=path).fit(X, y)
    lines = path.read_text().splitlines()
    old = [lines[0]]
    for line in lines[1:]:
        record = json.loads(line)
        assert record["size_bytes"] > 0 and record["predict_ms"] > 0
        del record["size_bytes"], record["predict_ms"]
        old.append(json.dumps(record))
    path.write_text("\n".join(old) + "\n")
    assert all(t.size_bytes is None and t.predict_ms is None for t in read_checkpoint(path)[1])
    # max_predict_latency is not part of the fingerprint: the same checkpoint resumes
    clf = quick(max_trials=3, search_space=space, checkpoint=path, max_predict_latency=1e-9)
    clf.fit(X, y)  # unknown latencies are not over the limit: no warning
    assert all(dict(t.meta).get("resumed") for t in clf.trials_)
    assert np.all(np.isnan(clf.cv_results_["size_bytes"]))
    assert clf.leaderboard()["predict_ms_per_row"].isna().all()
    assert clf.search_report_["max_predict_latency"]["over"] == 0


# -- ensemble selection under a cost limit ---------------------------------------
def _members():
    """Two members right on different rows (together right on all), and a weaker one."""
    y = np.repeat([0, 1], 20)
    rows = np.arange(40)

    def member(right, sure=0.8, unsure=0.4):
        p = np.where(right, sure, unsure)
        return np.column_stack([np.where(y == 0, p, 1 - p), np.where(y == 0, 1 - p, p)])

    preds = [member(rows % 4 != 0), member(rows % 4 != 1), member(rows % 4 < 2, 0.55, 0.45)]
    odd, even = rows[rows % 2 == 1], rows[rows % 2 == 0]
    splits = [(odd, even), (even, odd)]
    return preds, y, splits


@pytest.mark.parametrize("bags", [1, 20])
def test_selection_keeps_the_members_summed_cost_within_the_limit(bags):
    preds, y, splits = _members()
    scorer = get_scorer("accuracy")

    def chosen(**kwargs):
        rng = np.random.RandomState(0)
        sel = select_ensemble(preds, y, splits, scorer, 10, rng, bags=bags, **kwargs)
        return set(np.flatnonzero(sel.weights)), sel

    free, _ = chosen()
    assert {0, 1} <= free  # without a limit, the two that complement each other
    costs = [0.6, 0.6, 0.3]
    capped, sel = chosen(costs=costs, max_cost=1.0)
    assert capped and sum(costs[i] for i in capped) <= 1.0
    assert sel.weights.sum() == pytest.approx(1.0)
    # NaN (unknown) costs nothing; no member fits under a tiny limit
    assert chosen(costs=[np.nan] * 3, max_cost=1.0)[0] == free
    none, sel = chosen(costs=costs, max_cost=0.1)
    assert not none and sel.rounds == 0
