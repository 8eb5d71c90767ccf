"""distill: a student learns the fitted teacher's answers (tables, images, regression)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from support.teachers import one_trial

from skautoml import AutoFineTuneClassifier
from skautoml.compress import STUDENTS
from skautoml.data import ImageRows


@pytest.fixture(scope="module")
def table():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    y = np.where(y == 1, "benign", "malignant")
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    teacher = one_trial(Xtr, ytr, "logistic_regression")
    return teacher, Xtr, Xte


def test_distill_tables_gives_a_faithful_pipeline_with_the_teachers_classes(table):
    teacher, Xtr, Xte = table
    student = teacher.distill(Xtr, student=["linear", "shallow_trees"], time_budget=60)
    assert isinstance(student, Pipeline)
    np.testing.assert_array_equal(student.classes_, teacher.classes_)
    assert student.predict(Xte).dtype.kind == "U"
    assert student.predict_proba(Xte).shape == (len(Xte), 2)
    assert np.mean(student.predict(Xte) == teacher.predict(Xte)) >= 0.9
    report = teacher.distillation_report_
    assert list(report["student"]) == ["linear", "shallow_trees"]
    assert report["chosen"].sum() == 1
    assert (report["status"] == "ok").all()
    assert (report["size_bytes"] > 0).all() and (report["fidelity"] > 0.8).all()
    # it pickles, and works inside a Pipeline
    again = pickle.loads(pickle.dumps(student))
    np.testing.assert_allclose(again.predict_proba(Xte), student.predict_proba(Xte))
    outer = Pipeline([("student", student)])
    np.testing.assert_array_equal(outer.predict(Xte), student.predict(Xte))


def test_a_network_student_learns_soft_targets_with_string_classes(table):
    teacher, Xtr, Xte = table
    student = teacher.distill(Xtr, student="compact_net", time_budget=20, random_state=0)
    net = student.steps[-1][1]
    assert net.classes == ["benign", "malignant"]
    np.testing.assert_array_equal(student.classes_, teacher.classes_)
    assert np.mean(student.predict(Xte) == teacher.predict(Xte)) >= 0.85
    # the distillation deadline is gone: a later fit of the student is not cut short
    assert "deadline" not in dict(net.callbacks)
    # one student: no rows held out, no choice to make
    assert teacher.distillation_report_["fidelity"].isna().all()


def test_distill_images_takes_the_teachers_raw_images():
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)[:400]
    y = y[:400]
    teacher = one_trial(X[:300], y[:300], "logistic_regression")
    student = teacher.distill(X[:300], student="small_cnn_8", time_budget=15, random_state=0)
    assert isinstance(student.steps[0][1], ImageRows)
    proba = student.predict_proba(X[300:])  # 3-D images, as fit took them
    assert proba.shape == (100, 10)
    np.testing.assert_array_equal(student.classes_, teacher.classes_)
    assert np.mean(student.predict(X[300:]) == teacher.predict(X[300:])) >= 0.5
    # flattened rows (as an exported script reads them from a CSV file) work too
    np.testing.assert_allclose(student.predict_proba(X[300:].reshape(100, -1)), proba)


def test_distill_a_regressor():
    X, y = load_diabetes(return_X_y=True)
    teacher = one_trial(X[:300], y[:300], "ridge", regression=True)
    student = teacher.distill(X[:300], time_budget=30, random_state=0)
    report = teacher.distillation_report_
    assert set(report["student"]) <= {n for n, s in STUDENTS.items() if s[1] == "regression"}
    pred = student.predict(X[300:])
    assert np.corrcoef(pred, teacher.predict(X[300:]))[0, 1] > 0.9


def test_bad_input_gets_clear_errors(table):
    teacher, Xtr, _ = table
    with pytest.raises(NotFittedError):
        AutoFineTuneClassifier().distill(Xtr)
    with pytest.raises(ValueError, match="feature names"):
        teacher.distill(Xtr.iloc[:, :5], time_budget=5)
    with pytest.raises(ValueError, match="0 sample"):
        teacher.distill(Xtr.iloc[:0], time_budget=5)
    with pytest.raises(ValueError, match="at least 2 rows"):
        teacher.distill(Xtr.iloc[:1], time_budget=5)
    with pytest.raises(ValueError, match="is not a student"):
        teacher.distill(Xtr, student="huge_cnn", time_budget=5)
    with pytest.raises(ValueError, match="for image classification"):
        teacher.distill(Xtr, student="small_cnn_8", time_budget=5)
    with pytest.raises(ValueError, match="time_budget"):
        teacher.distill(Xtr, time_budget=0)
    with pytest.raises(ValueError, match="X has samples of shape"):
        teacher_images = one_trial(np.zeros((20, 4, 4)), np.arange(20) % 2, "logistic_regression")
        teacher_images.distill(np.zeros((10, 5, 5)))


def test_munge_rows_keep_columns_and_categories():
    from skautoml.compress._augment import munge

    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, np.nan, 5.0], "b": list("xyxzy"), "c": [1, 2, 3, 4, 5]}
    )
    extra = munge(frame, 50, np.random.default_rng(0))
    assert list(extra.columns) == ["a", "b", "c"] and len(extra) == 50
    assert set(extra["b"]) <= {"x", "y", "z"}
    assert extra["c"].dtype == frame["c"].dtype
    assert extra["a"].notna().any()
