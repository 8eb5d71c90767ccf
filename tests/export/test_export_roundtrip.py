"""Round trips: export, run the script in a fresh interpreter, compare with the original.

For each pipeline the test writes a CSV, exports the script, runs it with
``--save``, and checks that

1. ``make_pipeline()`` of the script has the same parameters as the original:
   the same classes (the script's own copy of ``StackingTransformer`` counts as
   skautoml's class) and the same ``get_params(deep=False)`` values, recursively;
2. the saved model predicts exactly what the original pipeline predicts when it
   is refit on the same split (for skautoml's ``NetClassifier``, the class
   probabilities also agree within ``atol=1e-5``: the same seeded float32 training
   on the CPU, in another process);
3. the script passes ``ruff check`` (default rules and the project's rules);
4. a script that does not import skautoml runs with skautoml made unimportable.

Besides hand-written pipelines, the cases include pipelines built with
``build_pipeline`` from candidates the search produces: a genetic candidate with
a feature union and out-of-fold stacking, and a ``tabular_net`` candidate.
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
    load_saved_model,
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
from skautoml.space import (
    BuildContext,
    Candidate,
    Step,
    build_pipeline,
    candidate_from_json,
    candidate_to_json,
    make_space,
)

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


def _categorical_frame():
    frame, target = _numeric_frame(5)
    frame.insert(2, "colour", np.array(["red", "green", 'it\'s "blue"'])[np.arange(len(frame)) % 3])
    return frame, target


def _context(frame, target):
    """The build context ``fit`` derives for ``frame`` (seed 0)."""
    X = frame.drop(columns=[target])
    categorical = tuple(c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]))
    return BuildContext(
        n_samples=len(X),
        n_features=X.shape[1],
        n_classes=frame[target].nunique(),
        categorical_columns=categorical,
        seed=0,
    )


def _genetic_union_stacking():
    """What the genetic search builds for the tree
    ``random_forest(stacking(feature_union(X, pca(X)), logistic_regression(scaler(X))))``.

    ``tree_to_candidate`` gives the space's fixed steps (the one-hot encoder of the
    text column), then the chain innermost first: a union whose branches are
    sorted candidates (an empty one keeps the features), and a stacking step whose
    stacked classifier is a nested candidate. The candidate goes through JSON, as
    the search records it.
    """
    frame, target = _categorical_frame()
    ctx = _context(frame, target)
    pca = Candidate((Step.make("pca", {"variance": 0.9}),))
    branches = tuple(sorted((Candidate(()), pca), key=candidate_to_json))
    stacked = Candidate.of(("standard_scaler", {}), ("logistic_regression", {"C": 0.5}))
    candidate = Candidate(
        make_space(None, ctx).fixed
        + (
            Step.make("feature_union", {"branches": branches}),
            Step.make("stacking", {"estimator": stacked}),
            Step.make("random_forest", {"n_estimators": 20, "max_features": 0.5}),
        )
    )
    return build_pipeline(candidate_from_json(candidate_to_json(candidate)), ctx)


def _tabular_net():
    """A ``tabular_net`` candidate: skautoml's ``NetClassifier`` with ``TabularMLP``."""
    frame, target = _numeric_frame()
    candidate = Candidate.of(
        ("standard_scaler", {}),
        ("tabular_net", {"hidden_units": 16, "n_layers": 1, "max_epochs": 4, "batch_size": 32}),
    )
    return build_pipeline(candidate, _context(frame, target))


CASES = {
    "classical": (_classical, _numeric_frame),
    "column_transformer_text": (_column_transformer, _text_frame),
    "feature_union": (_feature_union, _numeric_frame),
    "stacking": (_stacking, _numeric_frame),
    "skorch_net": (skorch_pipeline, _numeric_frame),
    "genetic_union_stacking": (_genetic_union_stacking, _categorical_frame),
    "tabular_net": (_tabular_net, _numeric_frame),
}
#: cases whose script imports skautoml.nets (the issue allows it for skautoml's networks)
IMPORTS_SKAUTOML = {"tabular_net"}


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
    result = run_script(
        script,
        csv,
        "--target",
        target,
        "--save",
        "model.pkl",
        cwd=tmp_path,
        without_skautoml=name not in IMPORTS_SKAUTOML,
    )
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
    refit = clone(original).fit(X_train, y_train)
    saved = load_saved_model(tmp_path / "model.pkl", script)
    # fitted against fitted: fitting a FeatureUnion turns "passthrough" into
    # FunctionTransformer(feature_names_out="one-to-one") in its transformer_list
    assert_same_params(saved, refit)
    np.testing.assert_array_equal(saved.predict(X_test), refit.predict(X_test))
    if name == "tabular_net":
        np.testing.assert_allclose(
            saved.predict_proba(X_test), refit.predict_proba(X_test), rtol=0, atol=1e-5
        )


def test_genetic_candidate_exports_without_skautoml():
    """The union and the stacking of a genetic candidate need only public names."""
    source = export_pipeline(_genetic_union_stacking())
    assert "skautoml" not in "".join(
        line for line in source.splitlines() if line.startswith(("import ", "from "))
    )
    assert "It does not import skautoml." in source
    assert "class StackingTransformer(TransformerMixin, BaseEstimator):" in source
    assert "from sklearn.pipeline import FeatureUnion, Pipeline" in source
    assert '"passthrough")' in source  # the union's identity branch


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
