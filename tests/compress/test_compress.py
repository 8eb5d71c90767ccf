"""compress: the smallest variant of the fitted model that keeps its score."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from support.teachers import one_trial

from skautoml import AutoFineTuneClassifier
from skautoml.nets import pickled_size

_NET_VARIANTS = {"int8_dynamic", "int8_static", "pruned_50", "pruned_80"}


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def linear_teacher(data):
    Xtr, _, ytr, _ = data
    return one_trial(Xtr, ytr, "logistic_regression")


def test_compress_a_network_teacher_tries_int8_pruning_and_distillation(data):
    Xtr, Xte, ytr, yte = data
    teacher = one_trial(Xtr, ytr, "tabular_net")
    model = teacher.compress(Xte, yte, max_accuracy_drop=0.02, time_budget=20, random_state=0)
    report = teacher.compression_report_.set_index("method")
    assert _NET_VARIANTS <= set(report.index) and "teacher" in report.index
    assert report["chosen"].sum() == 1
    chosen = report[report["chosen"]].iloc[0]
    assert chosen["within"] and chosen["score_drop"] <= 0.02
    # never larger than the teacher, and the reported size is the returned model's
    assert chosen["size_bytes"] <= report.loc["teacher", "size_bytes"]
    assert pickled_size(model) == chosen["size_bytes"]
    assert np.mean(model.predict(Xte) == yte) >= report.loc["teacher", "score"] - 0.02
    ok = report[report["status"] == "ok"]
    assert (ok["size_bytes"] > 0).all() and (ok["predict_ms_per_row"] > 0).all()
    # int8 weights are smaller than float32 ones
    assert report.loc["int8_dynamic", "size_bytes"] < report.loc["teacher", "size_bytes"]


def test_compress_a_classical_teacher_says_why_there_is_no_int8(data, linear_teacher):
    _, Xte, _, yte = data
    teacher = linear_teacher
    model = teacher.compress(Xte, yte, max_accuracy_drop=0.0, time_budget=5, random_state=0)
    report = teacher.compression_report_
    skipped = report[report["status"] == "not applicable"]
    assert len(skipped) == 1 and "no torch network" in skipped["error"].iloc[0]
    chosen = report[report["chosen"]].iloc[0]
    assert chosen["score"] >= report.loc[report["method"] == "teacher", "score"].iloc[0]
    assert model.predict(Xte).shape == yte.shape


def test_compress_bad_input(data, linear_teacher):
    _, Xte, _, yte = data
    teacher = linear_teacher
    with pytest.raises(ValueError, match="max_accuracy_drop"):
        teacher.compress(Xte, yte, max_accuracy_drop=-0.1)
    with pytest.raises(ValueError, match="time_budget"):
        teacher.compress(Xte, yte, time_budget=-1)
    with pytest.raises(ValueError):
        teacher.compress(Xte, yte[:-3])
    with pytest.raises(ValueError, match="features"):
        teacher.compress(Xte[:, :4], yte)


def test_an_ensembles_best_single_pipeline_is_a_variant(data):
    Xtr, Xte, ytr, yte = data
    teacher = AutoFineTuneClassifier(
        search_space={"classifier": ["logistic_regression", "k_neighbors"]},
        max_trials=6,
        time_budget=None,
        random_state=0,
    ).fit(Xtr, ytr)
    if teacher.ensemble_model_ is None:
        pytest.skip("the selection kept a single member")
    teacher.compress(Xte, yte, max_accuracy_drop=0.05, time_budget=5, random_state=0)
    report = teacher.compression_report_.set_index("method")
    assert report.loc["single_best", "status"] == "ok"
    assert report.loc["single_best", "size_bytes"] < report.loc["teacher", "size_bytes"]
