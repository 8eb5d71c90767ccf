"""Support code for the export tests: a tiny network, helper estimators, checks.

The exported scripts import :class:`TinyNet` and :func:`to_float32` from this
module, so the tests run them with ``tests/export`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from inspect import isroutine, signature
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RUFF = Path(sys.executable).with_name("ruff")


class TinyNet(nn.Module):
    """A one-hidden-layer network for the skorch export tests."""

    def __init__(self, n_features=20, n_classes=2, hidden_units=16):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden_units)
        self.out = nn.Linear(hidden_units, n_classes)

    def forward(self, X):
        return torch.softmax(self.out(torch.relu(self.hidden(X))), dim=-1)


def to_float32(X):
    """Cast features to float32 (what torch's linear layers expect)."""
    return np.asarray(X, dtype=np.float32)


class Holder(BaseEstimator):
    """An estimator that only stores one value, to test how values render."""

    def __init__(self, value=None):
        self.value = value


class Outer:
    """Holds a nested class, to test imports of nested qualified names."""

    class Inner(BaseEstimator):
        def __init__(self, size=1):
            self.size = size


class StandardScaler(BaseEstimator, TransformerMixin):
    """Has the name of a scikit-learn class, to test import aliasing."""

    def __init__(self, shift=0.0):
        self.shift = shift


class StackingTransformer(BaseEstimator, TransformerMixin):
    """Has the name of the class export writes inline, to test that they do not clash."""

    def __init__(self, width=1):
        self.width = width


# -- the pipelines of the golden files --------------------------------------


def classical_pipeline():
    """Scaler + logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler as SkStandardScaler

    return make_pipeline(SkStandardScaler(), LogisticRegression(C=0.5, max_iter=500))


def column_transformer_pipeline():
    """One-hot encoded named categorical columns + histogram gradient boosting."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), ["colour", "city"]),
        ],
        remainder="passthrough",
    )
    model = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=50, random_state=0)
    return Pipeline([("encode", encode), ("model", model)])


def feature_union_pipeline():
    """PCA and SelectPercentile side by side + a random forest."""
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.feature_selection import SelectPercentile, f_classif
    from sklearn.pipeline import FeatureUnion, Pipeline

    union = FeatureUnion(
        [("pca", PCA(n_components=3)), ("select", SelectPercentile(f_classif, percentile=40))]
    )
    forest = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0)
    return Pipeline([("features", union), ("forest", forest)])


def skorch_pipeline():
    """Scaler, cast to float32, and a skorch net with AdamW and early stopping."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.preprocessing import StandardScaler as SkStandardScaler
    from skorch import NeuralNetClassifier
    from skorch.callbacks import EarlyStopping

    net = NeuralNetClassifier(
        TinyNet,
        module__n_features=6,
        module__hidden_units=8,
        optimizer=torch.optim.AdamW,
        lr=0.01,
        max_epochs=8,
        batch_size=32,
        callbacks=[EarlyStopping(patience=3)],
        iterator_train__shuffle=True,
        verbose=0,
    )
    return Pipeline(
        [
            ("scale", SkStandardScaler()),
            ("float32", FunctionTransformer(to_float32)),
            ("net", net),
        ]
    )


#: name -> (pipeline factory, keyword arguments of export_pipeline)
GOLDEN_CASES = {
    "classical": (classical_pipeline, {"cv_score": 0.9375, "target": "label"}),
    "column_transformer": (
        column_transformer_pipeline,
        {"cv_score": 0.8125, "target": "churned", "notes": ["3 trials, 2-fold CV"]},
    ),
    "feature_union": (feature_union_pipeline, {"cv_score": 0.875, "target": "label"}),
    "skorch_net": (
        skorch_pipeline,
        {"cv_score": 0.75, "target": "label", "scoring": "balanced_accuracy"},
    ),
}
#: fixed header values, so the golden files do not change from day to day
GOLDEN_HEADER = {"date": "2025-01-01", "skautoml_version": "0.1.0"}


# -- checks --------------------------------------------------------------------


def same_class(left: type, right: type) -> bool:
    """Whether two classes are the same, or one is the script's copy of the other.

    An exported script defines its own copy of some skautoml classes (see
    ``skautoml.export._inline``): that copy, defined outside skautoml with the
    same name, stands for the library's class.
    """
    if left is right:
        return True
    # imported here: the exported scripts import this module, some without skautoml
    from skautoml.export._inline import inline_class_for

    for mine, theirs in ((left, right), (right, left)):
        inline = inline_class_for(mine)
        if inline is not None and theirs.__name__ == inline.name:
            return theirs.__module__.split(".")[0] != "skautoml" and signature(
                theirs.__init__
            ) == signature(mine.__init__)
    return False


def assert_same_params(left, right, where="estimator"):
    """Assert two estimators have the same class and the same parameters, recursively.

    Classes must be identical, except that the script's copy of a class that
    export writes inline (``StackingTransformer``) matches the library's class.
    """
    assert same_class(type(left), type(right)), f"{where}: {type(left)} != {type(right)}"
    if hasattr(left, "get_params") and not isinstance(left, type):
        mine = {k: v for k, v in left.get_params(deep=False).items() if not k.startswith("_")}
        theirs = {k: v for k, v in right.get_params(deep=False).items() if not k.startswith("_")}
        assert mine.keys() == theirs.keys(), f"{where}: {sorted(mine)} != {sorted(theirs)}"
        for key in mine:
            assert_same_params(mine[key], theirs[key], f"{where}.{key}")
    elif isinstance(left, (list, tuple)):
        assert len(left) == len(right), f"{where}: lengths differ"
        for index, (a, b) in enumerate(zip(left, right)):
            assert_same_params(a, b, f"{where}[{index}]")
    elif isinstance(left, dict):
        assert list(left) == list(right), f"{where}: keys differ"
        for key in left:
            assert_same_params(left[key], right[key], f"{where}[{key!r}]")
    elif isinstance(left, np.ndarray):
        np.testing.assert_array_equal(left, right, err_msg=where)
    elif isinstance(left, float) and np.isnan(left):
        assert np.isnan(right), where
    elif hasattr(left, "__dict__") and not isinstance(left, type) and not isroutine(left):
        # plain objects: KFold, make_column_selector, skorch's ValidSplit
        assert_same_params(vars(left), vars(right), where)
    else:
        assert left == right, f"{where}: {left!r} != {right!r}"


def import_script(path, name):
    """Import an exported script as a module (this runs no ``main``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(path, *args, cwd, without_skautoml=False):
    """Run an exported script in a fresh interpreter; return the completed process.

    With ``without_skautoml=True`` a stub that raises on import shadows the
    installed skautoml, to prove the script never imports it.
    """
    path_entries = [str(HERE)]
    if without_skautoml:
        stub = Path(cwd) / "no_skautoml" / "skautoml"
        stub.mkdir(parents=True, exist_ok=True)
        (stub / "__init__.py").write_text(
            'raise ImportError("the exported script must not import skautoml")\n'
        )
        path_entries.insert(0, str(stub.parent))
    env = {"PYTHONPATH": os.pathsep.join(path_entries), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(
        [sys.executable, str(path), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def load_saved_model(model_path, script_path):
    """``joblib.load`` a model saved by a script, with the script importable.

    A model holding a class the script defines refers to it as
    ``<script module>.<class>``; loading needs the script's folder on the path,
    as the script's header says. The module is forgotten afterwards, so that
    scripts with the same name in other tests do not mix.
    """
    module = Path(script_path).stem
    sys.path.insert(0, str(Path(script_path).parent))
    try:
        return joblib.load(model_path)
    finally:
        sys.path.remove(str(Path(script_path).parent))
        sys.modules.pop(module, None)


def project_ruff_config(directory):
    """Write the project's [tool.ruff] settings to ``directory/ruff.toml``."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    lines = [
        f"line-length = {config['line-length']}",
        f"target-version = {json.dumps(config['target-version'])}",
        "[lint]",
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in config["lint"].items()]
    path = Path(directory) / "ruff.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def ruff_check(path):
    """Run ``ruff check`` with the default rules and with the project's rules.

    Both run from the script's directory, so ruff's isort sees only the script
    (a project checkout would make ``skautoml`` a first-party package).
    """
    path = Path(path)
    config = project_ruff_config(path.parent)
    for options in (["--isolated"], ["--config", str(config)]):
        result = subprocess.run(
            [str(RUFF), "check", "--no-cache", *options, path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"ruff {options}:\n{result.stdout}{result.stderr}"


def ruff_format_check(path):
    """Assert ``ruff format`` (default settings) would leave the script unchanged."""
    path = Path(path)
    result = subprocess.run(
        [str(RUFF), "format", "--isolated", "--no-cache", "--check", "--diff", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
