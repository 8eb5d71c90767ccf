"""Round trips: export, run the script in a fresh interpreter, compare with the original.

For each pipeline the test writes a CSV, exports the script, runs it with
``--save``, and checks that

1. ``make_pipeline()`` of the script has the same parameters as the original;
2. the saved model predicts exactly what the original pipeline predicts when it
   is refit on the same split;
3. the script passes ``ruff check`` (default rules and the project's rules).
"""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from export_support import (
    assert_same_params,
    import_script,
    ruff_check,
    run_script,
    skorch_pipeline,
)
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.feature_selection import SelectPercentile, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skautoml.export import export_pipeline

HOSTILE_COLUMN = "note \"quoted\", it's\\ \n'); import os; os.system('echo x') #"
HOSTILE_TARGET = 'the "label"'


def _numeric_frame(n_features=6):
    X, y = make_classification(
        n_samples=120, n_features=n_features, n_informative=3, n_redundant=0, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(n_features)])
    frame["label"] = y
    return frame, "label"


def _text_frame():
    frame, _ = _numeric_frame(3)
    rng = np.random.default_rng(0)
    words = np.array(['say "hi"', "it's", "a,b", "back\\slash", "new\nline"])
    frame[HOSTILE_COLUMN] = words[rng.integers(0, len(words), len(frame))]
    frame[HOSTILE_TARGET] = np.where(frame.pop("label") == 1, "yes 'y'", 'no "n"')
    return frame, HOSTILE_TARGET


def _classical():
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.5))


def _column_transformer():
    encode = ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), [HOSTILE_COLUMN]),
            ("numbers", StandardScaler(), ["f0", "f1", "f2"]),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression(C=2.0))])


def _feature_union():
    union = FeatureUnion(
        [("pca", PCA(n_components=2)), ("select", SelectPercentile(f_classif, percentile=50))]
    )
    return make_pipeline(union, RandomForestClassifier(n_estimators=15, random_state=0))


def _stacking():
    return StackingClassifier(
        [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ],
        final_estimator=LogisticRegression(C=2.0),
        cv=3,
    )


CASES = {
    "classical": (_classical, _numeric_frame),
    "column_transformer_text": (_column_transformer, _text_frame),
    "feature_union": (_feature_union, _numeric_frame),
    "stacking": (_stacking, _numeric_frame),
    "skorch_net": (skorch_pipeline, _numeric_frame),
}


@pytest.mark.parametrize("name", list(CASES))
def test_exported_script_reproduces_the_pipeline(name, tmp_path):
    make, make_frame = CASES[name]
    original = make()
    frame, target = make_frame()
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    script = tmp_path / "best_pipeline.py"
    script.write_text(export_pipeline(original, cv_score=0.5, target=target))

    ruff_check(script)
    result = run_script(script, csv, "--target", target, "--save", "model.pkl", cwd=tmp_path)
    assert "held-out accuracy:" in result.stdout

    # 1. the script builds the same pipeline
    module = import_script(script, f"exported_{name}")
    assert_same_params(module.make_pipeline(), original)

    # 2. the saved model predicts what the original predicts, refit on the same split
    data = pd.read_csv(csv)
    y = data[target]
    X = data.drop(columns=[target])
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    torch.manual_seed(0)  # the script seeds torch the same way (only nets use it)
    expected = clone(original).fit(X_train, y_train).predict(X_test)
    saved = joblib.load(tmp_path / "model.pkl")
    assert_same_params(saved, original)
    np.testing.assert_array_equal(saved.predict(X_test), expected)


def test_text_columns_are_read_as_text(tmp_path):
    """The script does not force float dtypes: the text column reaches the encoder."""
    frame, target = _text_frame()
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    script = tmp_path / "text.py"
    script.write_text(export_pipeline(_column_transformer(), target=target))
    run_script(script, csv, "--target", target, "--save", "model.pkl", cwd=tmp_path)
    encoder = joblib.load(tmp_path / "model.pkl").named_steps["encode"]
    categories = encoder.named_transformers_["text"].categories_[0]
    assert set(categories) == set(frame[HOSTILE_COLUMN])
