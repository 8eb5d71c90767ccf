"""The script's own copy of StackingTransformer behaves exactly like skautoml's.

Export writes :class:`skautoml.space.StackingTransformer` into the script as a
class definition (scikit-learn has no public transformer that appends
out-of-fold probabilities), so that the script needs no skautoml. These tests
compare that copy with the library's class: the same ``__init__`` signature and
parameters, the same out-of-fold ``fit_transform`` and the same ``transform``,
value for value.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from export_support import (
    StackingTransformer as NamedLikeTheCopy,
)
from export_support import (
    assert_same_params,
    import_script,
    load_saved_model,
    ruff_check,
    ruff_format_check,
    run_script,
)
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skautoml.export import export_pipeline, pipeline_to_source
from skautoml.space import StackingTransformer


def _stack(estimator=None, **params):
    estimator = LogisticRegression(max_iter=500) if estimator is None else estimator
    return StackingTransformer(estimator, random_state=0, **params)


@pytest.fixture
def script_class(tmp_path):
    """The StackingTransformer class an exported script defines."""
    path = tmp_path / "stacked.py"
    path.write_text(export_pipeline(make_pipeline(_stack(), LogisticRegression())))
    return import_script(path, "stacked_script").StackingTransformer


def test_copy_has_the_library_signature_and_parameters(script_class):
    assert script_class.__module__ == "stacked_script"
    assert inspect.signature(script_class.__init__) == inspect.signature(
        StackingTransformer.__init__
    )
    mine = script_class(KNeighborsClassifier(), cv=4, random_state=7)
    theirs = StackingTransformer(KNeighborsClassifier(), cv=4, random_state=7)
    assert_same_params(mine, theirs)
    assert_same_params(clone(mine), theirs)


def _binary():
    return make_classification(n_samples=60, n_features=5, random_state=0)


def _multiclass():
    return make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=1
    )


def _rare_class():
    """A class with two members: the folds are cut to two."""
    X, y = make_classification(n_samples=40, n_features=4, random_state=2)
    y = np.where(np.arange(40) < 2, 2, y)
    return X, y


def _sparse():
    X, y = _binary()
    return sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0)), y


def _frame():
    X, y = _binary()
    return pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])]), np.where(y, "b", "a")


DATA = {
    "binary": _binary,
    "multiclass": _multiclass,
    "rare_class": _rare_class,
    "sparse": _sparse,
    "frame": _frame,
}


@pytest.mark.parametrize("name", sorted(DATA))
@pytest.mark.parametrize("cv", [3, 5])
def test_copy_transforms_exactly_like_the_library(script_class, name, cv):
    X, y = DATA[name]()
    estimator = make_pipeline(StandardScaler(with_mean=not sp.issparse(X)), LogisticRegression())
    mine = script_class(estimator, cv=cv, random_state=3)
    theirs = StackingTransformer(estimator, cv=cv, random_state=3)
    np.testing.assert_array_equal(mine.fit_transform(X, y), theirs.fit_transform(X, y))
    np.testing.assert_array_equal(mine.transform(X[:7]), theirs.transform(X[:7]))
    np.testing.assert_array_equal(mine.classes_, theirs.classes_)
    assert mine.n_features_in_ == theirs.n_features_in_
    np.testing.assert_array_equal(mine.fit(X, y).transform(X), theirs.fit(X, y).transform(X))
    with pytest.raises(ValueError, match="needs y to fit"):
        script_class(estimator).fit_transform(X)


def test_pipeline_to_source_returns_the_class_with_the_imports(tmp_path):
    pipeline = make_pipeline(_stack(), _stack(KNeighborsClassifier()), LogisticRegression())
    lines, expression = pipeline_to_source(pipeline)
    assert not any("skautoml" in line for line in lines if line.startswith(("import", "from")))
    assert sum(line.startswith("class StackingTransformer(") for line in lines) == 1
    path = tmp_path / "fragment.py"
    path.write_text("\n".join(lines) + "\n\nPIPELINE = " + expression + "\n")
    module = import_script(path, "fragment")
    assert_same_params(module.PIPELINE, pipeline)


def test_copy_does_not_clash_with_an_imported_class_of_the_same_name(tmp_path):
    pipeline = make_pipeline(NamedLikeTheCopy(width=2), _stack(), LogisticRegression())
    source = export_pipeline(pipeline)
    assert "from export_support import StackingTransformer" in source
    assert "class StackingTransformer_2(TransformerMixin, BaseEstimator):" in source
    path = tmp_path / "clash.py"
    path.write_text(source)
    ruff_check(path)
    rebuilt = import_script(path, "clash_script").make_pipeline()
    assert type(rebuilt.steps[0][1]) is NamedLikeTheCopy
    assert type(rebuilt.steps[1][1]).__name__ == "StackingTransformer_2"


def test_script_with_the_copy_is_clean_and_its_saved_model_loads(tmp_path):
    """The header says what the script defines; a saved model loads outside __main__."""
    pipeline = make_pipeline(StandardScaler(), _stack(), LogisticRegression())
    source = export_pipeline(pipeline, target="y", date="2025-01-01", skautoml_version="0.1.0")
    header = " ".join(line[2:] for line in source.splitlines() if line.startswith("# "))
    assert "It does not import skautoml." in header
    assert "It defines StackingTransformer itself" in header
    assert "importlib.import_module(" in source
    path = tmp_path / "best_pipeline.py"
    path.write_text(source)
    ruff_check(path)
    ruff_format_check(path)

    X, y = _multiclass()
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(y=y)
    frame.to_csv(tmp_path / "data.csv", index=False)
    run_script(
        path,
        "data.csv",
        "--target",
        "y",
        "--save",
        "model.pkl",
        cwd=tmp_path,
        without_skautoml=True,
    )
    saved = load_saved_model(tmp_path / "model.pkl", path)
    stack = saved.steps[1][1]
    assert type(stack).__module__ == "best_pipeline"  # not __main__
    assert_same_params(saved, pipeline)
