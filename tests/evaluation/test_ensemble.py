"""Ensembles of trials: Caruana selection, the bounded pool, bagging, the estimator surface."""

from __future__ import annotations

import math
import os
import pickle
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, get_scorer

from skautoml import AutoFineTuneClassifier
from skautoml.evaluation import (
    Budget,
    EnsemblePool,
    EvalData,
    Packed,
    TrialResult,
    TrialRunner,
    build_ensemble,
    evaluate_candidate,
    export_form,
    refit_best,
    select_ensemble,
    select_members,
    unpacked,
)
from skautoml.records import Trial, TrialStatus
from skautoml.space import BuildContext, Candidate, Step

Y = np.array([0, 0, 0, 1, 1, 1])
ALL_ROWS = [(np.arange(6), np.arange(6))]


def _proba(p_true):
    """Two-class probabilities whose true-class column is ``p_true`` per row."""
    p_true = np.asarray(p_true, dtype=float)
    p1 = np.where(Y == 1, p_true, 1 - p_true)
    return np.column_stack([1 - p1, p1]).astype(np.float32)


# A is right on rows 0-4 and confident on 0-2; B is right on rows 1-5 and
# confident on 3-5: each has one row wrong, and only their average gets all
# six. C is wrong everywhere it can be.
A = _proba([0.9, 0.9, 0.9, 0.6, 0.6, 0.4])
B = _proba([0.45, 0.6, 0.6, 0.9, 0.9, 0.9])
C = _proba([0.2, 0.2, 0.2, 0.2, 0.2, 0.2])


def test_selection_finds_the_pair_that_no_single_member_matches():
    accuracy = get_scorer("accuracy")
    sel = select_ensemble([A, B, C], Y, ALL_ROWS, accuracy, 2, np.random.RandomState(0))
    # round 1: A and B tie at 5/6 (C scores 0); round 2: the other one makes 6/6
    assert sel.trajectory == (pytest.approx(5 / 6), 1.0)
    np.testing.assert_allclose(sel.weights, [0.5, 0.5, 0.0])
    assert sel.score == 1.0 and sel.rounds == 2


def test_one_round_picks_the_single_best_and_weights_sum_to_one():
    better_a = _proba([0.9, 0.9, 0.9, 0.6, 0.6, 0.4])  # 5/6 with no tie
    sel = select_ensemble(
        [better_a, C, _proba([0.6] * 6)],
        Y,
        ALL_ROWS,
        get_scorer("accuracy"),
        1,
        np.random.RandomState(0),
    )
    np.testing.assert_allclose(sel.weights, [0.0, 0.0, 1.0])  # 6/6 beats 5/6
    sel = select_ensemble(
        [A, B, C], Y, ALL_ROWS, get_scorer("accuracy"), 7, np.random.RandomState(3)
    )
    assert sel.weights.sum() == pytest.approx(1.0) and sel.weights[2] == 0.0


def test_ties_are_broken_by_the_random_state_and_reproducibly():
    picks = {
        seed: tuple(
            select_ensemble(
                [A, B], Y, ALL_ROWS, get_scorer("accuracy"), 1, np.random.RandomState(seed)
            ).weights
        )
        for seed in range(8)
    }
    assert set(picks.values()) == {(1.0, 0.0), (0.0, 1.0)}  # both tied members win somewhere
    again = select_ensemble(
        [A, B], Y, ALL_ROWS, get_scorer("accuracy"), 1, np.random.RandomState(5)
    )
    assert tuple(again.weights) == picks[5]


def test_bagged_selection_averages_the_bags_and_is_reproducible():
    preds = [A, B, C, _proba([0.7, 0.3, 0.7, 0.7, 0.3, 0.7])]
    accuracy = get_scorer("accuracy")
    sel = select_ensemble(preds, Y, ALL_ROWS, accuracy, 3, np.random.RandomState(0), bags=10)
    assert sel.bags == 10 and sel.weights.sum() == pytest.approx(1.0)
    assert sel.weights[2] == 0.0  # C is never picked: in any bag, another member beats it
    # the bags' weights are averaged: more than one member carries weight
    assert (sel.weights > 0).sum() >= 2
    again = select_ensemble(preds, Y, ALL_ROWS, accuracy, 3, np.random.RandomState(0), bags=10)
    np.testing.assert_array_equal(sel.weights, again.weights)
    # a costly scorer gets fewer bags (a bounded number of scorer calls), at least one
    few = select_ensemble(
        preds, Y, ALL_ROWS, get_scorer("neg_log_loss"), 500, np.random.RandomState(0), bags=10
    )
    assert few.bags == 1
    # two members: a bag of one would weigh them by chance; plain selection runs
    pair = select_ensemble([A, C], Y, ALL_ROWS, accuracy, 3, np.random.RandomState(0), bags=10)
    assert pair.bags == 1 and tuple(pair.weights) == (1.0, 0.0)


def test_any_scorer_works_and_the_accuracy_shortcut_agrees_with_the_scorer():
    def plain_accuracy(estimator, X, y):  # a custom callable: takes the general path
        return accuracy_score(y, estimator.predict(X))

    first, second = np.array([0, 3, 4]), np.array([1, 2, 5])  # both classes in each
    folds = [(second, first), (first, second)]
    fast = select_ensemble([A, B, C], Y, folds, get_scorer("accuracy"), 5, np.random.RandomState(1))
    slow = select_ensemble([A, B, C], Y, folds, plain_accuracy, 5, np.random.RandomState(1))
    np.testing.assert_allclose(fast.weights, slow.weights)
    assert fast.trajectory == pytest.approx(slow.trajectory)
    # a probability scorer: log loss prefers the confident, mostly right members
    loss = select_ensemble(
        [A, B, C], Y, folds, get_scorer("neg_log_loss"), 4, np.random.RandomState(1)
    )
    assert loss.weights[2] == 0.0 and math.isfinite(loss.score)


def _result(score, n=6, classes=2, models=("m",)):
    oof = np.full((n, classes), 1.0 / classes, dtype=np.float32)
    return TrialResult(
        TrialStatus.OK, test_scores=(score, score), oof=oof, fold_models=list(models)
    )


def _candidate(C):
    return Candidate((Step.make("logistic_regression", {"C": float(C)}),))


def test_the_pool_keeps_only_the_best_trials_and_removes_the_rest(tmp_path):
    pool = EnsemblePool(str(tmp_path / "pool"), size=3)
    assert pool.threshold() == -math.inf
    for i, score in enumerate([0.5, 0.9, 0.7, 0.8, 0.6]):
        pool.offer(_candidate(i + 1), _result(score))
    assert [e.score for e in pool.entries()] == [0.9, 0.8, 0.7]
    assert pool.threshold() == 0.7
    assert not pool.offer(_candidate(99), _result(0.65))  # below the bar: not kept
    files = sorted(os.listdir(tmp_path / "pool"))
    # three trials: predictions and fold models each, plus the index
    assert len(files) == 3 * 2 + 1
    # failed and low-fidelity results carry no predictions and are never kept
    assert not pool.offer(_candidate(7), TrialResult(TrialStatus.ERROR, error="x"))
    reopened = EnsemblePool(str(tmp_path / "pool"), size=3)
    assert [e.score for e in reopened.entries()] == [0.9, 0.8, 0.7]
    assert reopened.entries()[0].fold_models() == ["m"]
    temporary = EnsemblePool(None, size=2)
    temporary.offer(_candidate(1), _result(0.5))
    temporary.close()
    assert not os.path.exists(temporary.folder)


def _eval_data(small_data, splits=2):
    from skautoml.evaluation import make_splits

    X, y = small_data
    ctx = BuildContext(n_samples=len(y), n_features=X.shape[1], n_classes=3, seed=0)
    return EvalData(X, y, make_splits(splits, X, y, 0), get_scorer("accuracy"), ctx)


def test_only_full_fidelity_trials_return_predictions(small_data):
    data = _eval_data(small_data)
    full = evaluate_candidate(_candidate(1.0), data, pool_above=-math.inf)
    assert full.oof.shape == (len(data.y), 3) and full.oof.dtype == np.float32
    assert not np.isnan(full.oof).any() and len(full.fold_models) == 2
    np.testing.assert_allclose(full.oof.sum(axis=1), 1.0, rtol=1e-5)
    cheap = evaluate_candidate(_candidate(1.0), data, fidelity=0.5, pool_above=-math.inf)
    assert cheap.oof is None and cheap.fold_models is None
    below = evaluate_candidate(_candidate(1.0), data, pool_above=2.0)
    assert below.oof is None
    off = evaluate_candidate(_candidate(1.0), data)
    assert off.oof is None


def test_rows_validated_twice_get_the_mean_of_both_predictions(small_data):
    """A repeated splitter validates every row once per repeat: its
    out-of-fold prediction is the mean of those folds' predictions, not the
    last repeat's alone."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    data = _eval_data(small_data)
    cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0)
    data.splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(data.X, data.y)]
    result = evaluate_candidate(_candidate(1.0), data, pool_above=-math.inf)
    assert len(result.fold_models) == 4 and result.oof.dtype == np.float32
    expected = np.zeros((len(data.y), 3))
    for (_, test), model in zip(data.splits, result.fold_models):
        expected[test] += model.predict_proba(data.X[test]) / 2  # two repeats
    np.testing.assert_allclose(result.oof, expected, rtol=1e-5)
    last_repeat_only = expected.copy()
    for (_, test), model in list(zip(data.splits, result.fold_models))[2:]:
        last_repeat_only[test] = model.predict_proba(data.X[test])
    assert not np.allclose(result.oof, last_repeat_only, rtol=1e-3)


def test_members_without_time_to_refit_vote_with_their_fold_models(small_data):
    data = _eval_data(small_data)
    pool = EnsemblePool(None)
    trials = []
    for number, C in enumerate([0.01, 1.0, 100.0]):
        result = evaluate_candidate(_candidate(C), data, pool_above=-math.inf)
        pool.offer(_candidate(C), result)
        trials.append(
            Trial(number, _candidate(C), TrialStatus.OK, result.test_scores, fit_time=60.0)
        )  # each refit predicted to take a minute
    best = max(trials, key=lambda t: t.mean_score)
    # 5 s left: no refit is predicted to fit, so every member but the best bags
    budget = Budget(started=time.monotonic(), deadline=time.monotonic() + 5.0)
    with TrialRunner(data, budget, isolate=False) as runner:
        best_model = clone(pool.entries()[0].fold_models()[0]).fit(data.X, data.y)
        selected = select_members(budget, pool, trials, best, data, 10, np.random.RandomState(0))
        fit = build_ensemble(runner, selected, best, best_model, "refit", data)
    assert sum(m["weight"] for m in fit.members) == pytest.approx(1.0)
    report = fit.report
    # with this data all three members are selected; the best is its own refit
    assert len(fit.members) == 3 and report["refit"] == [best.number]
    others = {m["trial"] for m in fit.members} - {best.number}
    assert set(report["bagged"]) == others
    # a bagged member predicts the mean of its fold models' probabilities
    for name, member in fit.model.named_estimators_.items():
        number = int(name.removeprefix("trial"))
        if number in others:
            entry = next(e for e in pool.entries() if e.candidate == trials[number].candidate)
            expected = np.mean([m.predict_proba(data.X) for m in entry.fold_models()], axis=0)
            np.testing.assert_allclose(member.predict_proba(data.X), expected, rtol=1e-6)
    proba = fit.model.predict_proba(data.X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    pool.close()


def test_refit_pipelines_are_unpickled_only_after_every_refit_ended(small_data, monkeypatch):
    """A worker's refit pipeline stays pickled until the members' refits end:
    a network's would import torch into the search's process while the next
    member trains in a worker (two copies of torch at the peak)."""
    data = _eval_data(small_data)
    pool, trials = EnsemblePool(None), []
    for number, C in enumerate([0.01, 1.0, 100.0]):
        result = evaluate_candidate(_candidate(C), data, pool_above=-math.inf)
        pool.offer(_candidate(C), result)
        trials.append(Trial(number, _candidate(C), TrialStatus.OK, result.test_scores))
    best = max(trials, key=lambda t: t.mean_score)
    events = []
    load = Packed.load

    def logged_load(self):
        events.append("load")
        return load(self)

    monkeypatch.setattr(Packed, "load", logged_load)
    budget = Budget(started=time.monotonic(), deadline=None)
    with TrialRunner(data, budget) as runner:
        run = runner.run

        def logged_run(jobs, until=None):
            results = run(jobs, until=until)
            events.append("refits ended")
            return results

        runner.run = logged_run
        best_model, source = refit_best(runner, best, trials, data)
        assert source == "refit" and isinstance(best_model, Packed)
        selected = select_members(budget, pool, trials, best, data, 10, np.random.RandomState(0))
        fit = build_ensemble(runner, selected, best, best_model, source, data)
    assert len(fit.report["refit"]) == 3  # every member refit in a worker
    assert events.count("refits ended") == 2  # the best's refit, then the others'
    last_refit = len(events) - 1 - events[::-1].index("refits ended")
    assert "load" in events and events.index("load") > last_refit
    pipeline = unpacked(best_model)
    assert unpacked(best_model) is pipeline  # unpickled once
    assert pipeline.predict(data.X).shape == data.y.shape


@pytest.fixture
def wine():
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True)


def _est(**kw):
    params = dict(
        search="random",
        max_trials=8,
        cv=3,
        random_state=0,
        time_budget=None,
        search_space="classical",
    )
    params.update(kw)
    return AutoFineTuneClassifier(**params)


def test_the_estimator_predicts_with_the_ensemble_and_reports_it(wine):
    X, y = wine
    clf = _est().fit(X, y)
    members = clf.ensemble_
    assert sum(m["weight"] for m in members) == pytest.approx(1.0)
    assert set(members[0]) == {"trial", "weight", "pipeline"}
    weights = clf.cv_results_["ensemble_weight"]
    assert weights.sum() == pytest.approx(1.0)
    board = clf.leaderboard()
    assert board["ensemble_weight"].sum() == pytest.approx(1.0)
    assert clf.best_score_ == pytest.approx(max(clf.cv_results_["mean_test_score"]))
    report = clf.search_report_["ensemble"]
    assert report["bags"] == 20 and report["pool"] == 8
    assert clf.ensemble_score_ == pytest.approx(report["trajectory"][-1], abs=1e-6)
    assert len(members) > 1  # with this data selection keeps several trials
    vote = clf.ensemble_model_
    expected = sum(m["weight"] * est.predict_proba(X) for m, est in zip(members, vote.estimators_))
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-6)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    assert clone(clf).get_params()["ensemble_size"] == clf.ensemble_size


def test_ensemble_size_one_is_the_single_best_pipeline(wine):
    X, y = wine
    clf = _est(ensemble_size=1).fit(X, y)
    assert clf.ensemble_model_ is None and "ensemble" not in clf.search_report_
    assert clf.ensemble_ == [
        {
            "trial": clf.best_index_,
            "weight": 1.0,
            "pipeline": clf.best_candidate_.candidate.describe(),
        }
    ]
    assert clf.ensemble_score_ == clf.best_score_
    np.testing.assert_array_equal(clf.predict(X), clf.best_pipeline_.predict(X))


def test_the_budget_holds_with_ensembles_on(wine):
    X, y = wine
    t0 = time.monotonic()
    clf = _est(max_trials=None, time_budget=8).fit(X, y)
    elapsed = time.monotonic() - t0
    assert elapsed <= 8 + 2.5  # the same slack the other budget tests allow
    assert clf.search_report_["total_seconds"] <= 8 + 2.5
    assert "ensemble" in clf.search_report_


def test_a_resumed_search_rebuilds_the_same_ensemble(wine, tmp_path):
    X, y = wine
    path = tmp_path / "search.jsonl"
    full = _est(max_trials=8).fit(X, y)
    _est(max_trials=4, checkpoint=str(path)).fit(X, y)
    assert os.path.isdir(str(path) + ".pool")
    resumed = _est(max_trials=8, checkpoint=str(path)).fit(X, y)
    assert resumed.ensemble_ == full.ensemble_
    assert resumed.ensemble_score_ == pytest.approx(full.ensemble_score_)
    np.testing.assert_array_equal(resumed.predict(X), full.predict(X))
    # every trial replayed, nothing run: the same ensemble from the pool on disk
    replayed = _est(max_trials=8, checkpoint=str(path)).fit(X, y)
    assert replayed.ensemble_ == full.ensemble_


def test_export_form_of_an_ensemble_is_a_weighted_soft_vote(wine):
    X, y = wine
    clf = _est().fit(X, y)
    assert clf.ensemble_model_ is not None  # with this data selection keeps several trials
    form = export_form(clf.ensemble_model_)
    assert form.voting == "soft"
    assert form.weights == [m["weight"] for m in clf.ensemble_]
    # every member was refit on all rows (no budget): refitting the exported
    # form on the same rows predicts exactly what the estimator predicts
    assert not clf.search_report_["ensemble"]["bagged"]
    refit = clone(form).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), clf.predict(X))
    np.testing.assert_allclose(refit.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
