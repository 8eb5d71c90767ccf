"""End to end: AutoFineTuneClassifier.fit -> export -> run the script -> same pipeline."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest
from export_support import (
    assert_same_params,
    import_script,
    load_saved_model,
    ruff_check,
    run_script,
)
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

skautoml = pytest.importorskip("skautoml")
from skautoml.evaluation import export_form  # noqa: E402

AutoFineTuneClassifier = getattr(skautoml, "AutoFineTuneClassifier", None)
pytestmark = pytest.mark.skipif(
    AutoFineTuneClassifier is None or not hasattr(AutoFineTuneClassifier, "export"),
    reason="AutoFineTuneClassifier.export is not available",
)


def _frame():
    X, y = make_classification(
        n_samples=120, n_features=5, n_informative=3, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    frame["colour"] = np.array(["red", "green", 'it\'s "blue"'])[np.arange(120) % 3]
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


def test_fit_export_run_round_trip(tmp_path):
    frame = _frame()
    clf = AutoFineTuneClassifier(max_trials=3, cv=2, random_state=0, search="random")
    clf.fit(frame.drop(columns=["label"]), frame["label"])
    _check_round_trip(clf, frame, tmp_path)


def test_ensemble_fit_export_run_round_trip(tmp_path):
    """An ensemble exports as a weighted soft vote of scikit-learn parts; the
    script's model, refit on the estimator's rows, predicts what it predicts."""
    frame = _frame()
    X, y = frame.drop(columns=["label"]), frame["label"]
    # with this seed selection keeps three classical pipelines (checked below)
    clf = AutoFineTuneClassifier(
        max_trials=8, cv=3, random_state=2, search="random", time_budget=None
    ).fit(X, y)
    assert len(clf.ensemble_) > 1, clf.ensemble_
    source = _check_round_trip(clf, frame, tmp_path)
    assert "VotingClassifier(" in source and 'voting="soft"' in source
    # no budget: every member was refit on all rows, so the exported model
    # refit on the same rows reproduces the estimator's own predictions
    assert not clf.search_report_["ensemble"]["bagged"]
    refit = clone(export_form(clf.ensemble_model_)).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), clf.predict(X))
    np.testing.assert_allclose(refit.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


def test_genetic_fit_export_run_round_trip(tmp_path):
    """The genetic search's winner (union and stacking allowed) round-trips too.

    A small population over two fast classifiers keeps this near 10 s. With this
    seed the winner stacked out-of-fold k-NN probabilities when the test was
    written; whatever wins, the script must run without skautoml.
    """
    frame = _frame()
    clf = AutoFineTuneClassifier(
        search="genetic",
        search_space={"classifier": ["logistic_regression", "k_neighbors"]},
        population_size=6,
        generations=2,
        cv=2,
        random_state=3,
        time_budget=60,
    )
    clf.fit(frame.drop(columns=["label"]), frame["label"])
    source = _check_round_trip(clf, frame, tmp_path)
    assert "It does not import skautoml." in source
    steps = [type(step).__name__ for _, step in clf.best_pipeline_.steps]
    if "StackingTransformer" in steps:
        assert "\nclass StackingTransformer(TransformerMixin, BaseEstimator):" in source


def _check_round_trip(clf, frame, tmp_path):
    """Export ``clf``, run the script in a fresh process, compare; return the source."""
    script = tmp_path / "best_pipeline.py"
    returned = clf.export(script)
    assert returned == script.read_text(encoding="utf-8") == clf.export()
    ruff_check(script)
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(ast.parse(returned))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    classical = not imported & {"torch", "skorch"}
    if classical:
        assert "skautoml" not in imported  # classical pipelines need no skautoml

    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    result = run_script(
        script,
        csv,
        "--target",
        "label",
        "--save",
        "model.pkl",
        cwd=tmp_path,
        without_skautoml=classical,
    )
    assert "held-out" in result.stdout

    module = import_script(script, "exported_by_estimator")
    # what the script builds: the best pipeline, or the ensemble's soft vote
    model = clf.best_pipeline_ if clf.ensemble_model_ is None else export_form(clf.ensemble_model_)
    assert_same_params(module.make_pipeline(), model)

    data = pd.read_csv(csv)
    y = data["label"]
    X = data.drop(columns=["label"])
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    import torch

    torch.manual_seed(0)  # what the script does before fitting a network
    expected = clone(model).fit(X_train, y_train).predict(X_test)
    saved = load_saved_model(tmp_path / "model.pkl", script)
    assert_same_params(saved, model)
    np.testing.assert_array_equal(saved.predict(X_test), expected)
    return returned


def test_export_with_a_custom_scorer_labels_the_score_honestly():
    from sklearn.metrics import balanced_accuracy_score, make_scorer

    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    scorer = make_scorer(balanced_accuracy_score)
    clf = AutoFineTuneClassifier(
        max_trials=1, cv=2, random_state=0, search="random", search_space="fast", scoring=scorer
    ).fit(X, y)
    source = clf.export()
    assert "custom scorer" in source
    assert "model.score(X_test, y_test)" in source
    assert "get_scorer" not in source


def test_regressor_ensemble_exports_and_runs_standalone(tmp_path):
    """A regressor's ensemble exports as a weighted VotingRegressor of
    scikit-learn parts; the script splits without stratifying and reports r2."""
    from sklearn.ensemble import VotingRegressor

    AutoFineTuneRegressor = skautoml.AutoFineTuneRegressor
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(120, 4)), columns=[f"x{i}" for i in range(4)])
    frame["colour"] = np.array(["red", "green", "blue"])[np.arange(120) % 3]
    frame.loc[::7, "x1"] = np.nan
    frame["target"] = 3 * frame["x0"] - frame["x2"] + (frame["colour"] == "red") * 2.0
    X, y = frame.drop(columns=["target"]), frame["target"]
    # with this seed the selection keeps several members (asserted below)
    reg = AutoFineTuneRegressor(
        max_trials=6,
        cv=3,
        random_state=0,
        search="random",
        time_budget=None,
        search_space="classical",  # no network: the script needs no skautoml
    ).fit(X, y)
    assert len(reg.ensemble_) > 1, reg.ensemble_
    script = tmp_path / "best_pipeline.py"
    source = reg.export(script)
    ruff_check(script)
    assert "VotingRegressor(" in source and "stratify" not in source
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = run_script(
        script, tmp_path / "data.csv", "--target", "target", cwd=tmp_path, without_skautoml=True
    )
    assert "held-out r2" in result.stdout
    module = import_script(script, "exported_regressor")
    model = module.make_pipeline()
    assert isinstance(model, VotingRegressor)
    assert_same_params(model, export_form(reg.ensemble_model_))
    if not reg.search_report_["ensemble"]["bagged"]:  # every member refit on all rows
        refit = clone(model).fit(X, y)
        np.testing.assert_allclose(refit.predict(X), reg.predict(X), rtol=1e-6)
