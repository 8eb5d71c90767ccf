"""An ensemble member kept as its fold models exports as a copy of FoldBag.

When the budget leaves no time to refit an ensemble member on all rows, the
member is the average of its cross-validation fold models
(:class:`skautoml.evaluation.FoldBag`). The exported script defines a copy of
that class, so that, fitted on the estimator's rows, it makes the same folds,
the same fold models and the same predictions. These tests compare the copy
with the library's class, and the script's model with the ensemble.
"""

from __future__ import annotations

import inspect
import math
import time

import numpy as np
import pandas as pd
import pytest
from export_support import assert_same_params, import_script, ruff_check, ruff_format_check
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skautoml.evaluation import (
    Budget,
    EnsemblePool,
    EvalData,
    FoldBag,
    TrialRunner,
    build_ensemble,
    evaluate_candidate,
    export_form,
    make_splits,
    select_members,
)
from skautoml.evaluation._bagging import reproducible_splitter
from skautoml.export import export_pipeline
from skautoml.records import Trial, TrialStatus
from skautoml.space import BuildContext, Candidate, Step


def _classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


@pytest.fixture
def script_class(tmp_path):
    """The FoldBag class an exported script defines."""
    bag = FoldBag(_classifier(), cv=StratifiedKFold(3, shuffle=True, random_state=0))
    path = tmp_path / "bagged.py"
    path.write_text(export_pipeline(bag))
    ruff_check(path)
    ruff_format_check(path)
    return import_script(path, "bagged_script").FoldBag


def test_copy_has_the_library_signature_and_parameters(script_class):
    assert script_class.__module__ == "bagged_script"
    assert inspect.signature(script_class.__init__) == inspect.signature(FoldBag.__init__)
    cv = StratifiedKFold(4, shuffle=True, random_state=7)
    mine = script_class(_classifier(), cv=cv, n_folds=2)
    theirs = FoldBag(_classifier(), cv=cv, n_folds=2)
    assert_same_params(mine, theirs)
    assert_same_params(clone(mine), theirs)
    assert is_classifier(mine) and is_classifier(theirs)
    assert is_regressor(script_class(Ridge(), cv=KFold(3))) and is_regressor(FoldBag(Ridge(), cv=3))


def _frame_classes():
    X, y = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=1
    )
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(6)])
    return frame, np.array(["red", "green", "blue"])[y]


@pytest.mark.parametrize("n_folds", [None, 1, 2])
def test_copy_fits_and_predicts_exactly_like_the_library(script_class, n_folds):
    X, y = _frame_classes()
    cv = StratifiedKFold(3, shuffle=True, random_state=3)
    mine = script_class(_classifier(), cv=cv, n_folds=n_folds).fit(X, y)
    theirs = FoldBag(_classifier(), cv=cv, n_folds=n_folds).fit(X, y)
    assert len(mine.estimators_) == len(theirs.estimators_) == (n_folds or 3)
    np.testing.assert_array_equal(mine.classes_, theirs.classes_)
    np.testing.assert_array_equal(mine.predict_proba(X), theirs.predict_proba(X))
    np.testing.assert_array_equal(mine.predict(X), theirs.predict(X))
    # the mean of fold models fitted on the training rows of each split
    folds = list(cv.split(X, y))[: n_folds or 3]
    expected = np.mean(
        [clone(_classifier()).fit(X.iloc[tr], y[tr]).predict_proba(X) for tr, _ in folds], axis=0
    )
    np.testing.assert_allclose(theirs.predict_proba(X), expected, rtol=1e-12)


def test_copy_regresses_exactly_like_the_library(script_class):
    X, y = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    mine = script_class(Ridge(), cv=cv).fit(X, y)
    theirs = FoldBag(Ridge(), cv=cv).fit(X, y)
    assert not hasattr(theirs, "predict_proba")
    np.testing.assert_array_equal(mine.predict(X), theirs.predict(X))


def test_a_bag_of_one_fold_predicts_what_its_model_predicts(script_class):
    """``n_folds=1`` (the export of a best pipeline fitted on the first fold
    alone) predicts with that model's own ``predict``, so a classifier
    without probabilities works too."""
    from sklearn.svm import LinearSVC

    X, y = _frame_classes()
    cv = StratifiedKFold(3, shuffle=True, random_state=3)
    train = next(cv.split(X, y))[0]
    model = make_pipeline(StandardScaler(), LinearSVC()).fit(X.iloc[train], y[train])
    for cls in (FoldBag, script_class):
        bag = cls(make_pipeline(StandardScaler(), LinearSVC()), cv=cv, n_folds=1).fit(X, y)
        np.testing.assert_array_equal(bag.predict(X), model.predict(X))


def test_a_bag_without_a_splitter_says_what_to_pass(script_class):
    X, y = _frame_classes()
    for cls in (FoldBag, script_class):
        with pytest.raises(ValueError, match="needs a cross-validation splitter.*StratifiedKFold"):
            cls(_classifier(), cv=None).fit(X, y)


def _candidate(C):
    return Candidate(
        (Step.make("standard_scaler", {}), Step.make("logistic_regression", {"C": float(C)}))
    )


def _data(splits_seed, n=120):
    X, y = make_classification(
        n_samples=n, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    ctx = BuildContext(n_samples=n, n_features=6, n_classes=3, seed=0)
    splits = make_splits(3, frame, y, splits_seed)
    return EvalData(frame, y, splits, get_scorer("accuracy"), ctx)


def _bagged_ensemble(data):
    """Build an ensemble whose members other than the best have no time to refit."""
    pool = EnsemblePool(None)
    trials = []
    for number, C in enumerate([0.01, 1.0, 100.0]):
        result = evaluate_candidate(_candidate(C), data, pool_above=-math.inf)
        pool.offer(_candidate(C), result)
        # each refit predicted to take a minute, with 5 s left: the others bag
        trials.append(
            Trial(number, _candidate(C), TrialStatus.OK, result.test_scores, fit_time=60.0)
        )
    best = max(trials, key=lambda t: t.mean_score)
    budget = Budget(started=time.monotonic(), deadline=time.monotonic() + 5.0)
    with TrialRunner(data, budget, isolate=False) as runner:
        best_model = data.fit(clone(pool.entries()[0].fold_models()[0]))
        selected = select_members(budget, pool, trials, best, data, 10, np.random.RandomState(0))
        fit = build_ensemble(runner, selected, best, best_model, "refit", data)
    pool.close()
    assert fit.report["bagged"], fit.report  # the test is about bagged members
    return fit


def test_bagged_members_export_and_refit_to_the_same_predictions(tmp_path):
    """With the fit's own splits (an int cv), a bagged member is a FoldBag; the
    exported script's model, fitted on the same rows, predicts what the
    ensemble predicts, bagged members included."""
    data = _data(splits_seed=0)  # the splits of cv=3 for the fit's seed 0
    assert reproducible_splitter(data) is not None
    fit = _bagged_ensemble(data)
    members = dict(fit.model.named_estimators_)
    for number in fit.report["bagged"]:
        bag = members[f"trial{number}"].estimator  # inside its FrozenEstimator
        assert isinstance(bag, FoldBag) and len(bag.estimators_) == 3
    exported = export_form(fit.model)
    assert isinstance(exported, VotingClassifier)
    assert sum(isinstance(est, FoldBag) for _, est in exported.estimators) == len(
        fit.report["bagged"]
    )
    path = tmp_path / "ensemble.py"
    path.write_text(export_pipeline(exported))
    ruff_check(path)
    script_model = import_script(path, "ensemble_script").make_pipeline()
    assert_same_params(script_model, exported)
    script_model.fit(data.X, data.y)
    np.testing.assert_allclose(
        script_model.predict_proba(data.X), fit.model.predict_proba(data.X), rtol=1e-9
    )
    np.testing.assert_array_equal(script_model.predict(data.X), fit.model.predict(data.X))


def test_members_bagged_on_splits_that_cannot_be_made_again_export_their_pipeline():
    """Splits another splitter made (here another seed) cannot be rebuilt from
    the rows: the member is the soft vote of its fold models, exported as its
    pipeline refit on all rows (the documented difference)."""
    data = _data(splits_seed=5)
    assert reproducible_splitter(data) is None
    fit = _bagged_ensemble(data)
    members = dict(fit.model.named_estimators_)
    exported = dict(export_form(fit.model).estimators)
    for number in fit.report["bagged"]:
        vote = members[f"trial{number}"].estimator
        assert not isinstance(vote, FoldBag)
        assert not isinstance(exported[f"trial{number}"], FoldBag)
