"""End to end: AutoFineTuneClassifier.fit -> export -> run the script -> same pipeline."""

from __future__ import annotations

import ast

import joblib
import numpy as np
import pandas as pd
import pytest
from export_support import assert_same_params, import_script, ruff_check, run_script
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

skautoml = pytest.importorskip("skautoml")
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
    if not imported & {"torch", "skorch"}:
        assert "skautoml" not in imported  # classical pipelines need no skautoml

    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    result = run_script(script, csv, "--target", "label", "--save", "model.pkl", cwd=tmp_path)
    assert "held-out" in result.stdout

    module = import_script(script, "exported_by_estimator")
    assert_same_params(module.make_pipeline(), clf.best_pipeline_)

    data = pd.read_csv(csv)
    y = data["label"]
    X = data.drop(columns=["label"])
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    import torch

    torch.manual_seed(0)  # what the script does before fitting a network
    expected = clone(clf.best_pipeline_).fit(X_train, y_train).predict(X_test)
    saved = joblib.load(tmp_path / "model.pkl")
    assert_same_params(saved, clf.best_pipeline_)
    np.testing.assert_array_equal(saved.predict(X_test), expected)


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
