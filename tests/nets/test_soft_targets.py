"""NetClassifier learns from soft targets; Deadline stops a net cleanly."""

import time

import numpy as np
import pytest

from skautoml.nets import Deadline, NetClassifier, TabularMLP


def _data(n=120):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    logits = np.stack([X[:, 0], -X[:, 0], X[:, 1]], axis=1) * 3
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return X, proba


def test_soft_targets_train_towards_the_teachers_classes():
    X, proba = _data()
    net = NetClassifier(
        TabularMLP, classes=["x", "y", "z"], max_epochs=40, lr=0.01, verbose=0, random_state=0
    ).fit(X, proba)
    np.testing.assert_array_equal(net.classes_, ["x", "y", "z"])
    assert net.predict_proba(X).shape == (120, 3)
    assert np.mean(net.predict_proba(X).argmax(1) == proba.argmax(1)) > 0.8
    assert "valid_acc" in net.history[-1]


def test_classes_fix_the_outputs_for_hard_labels_too():
    X, proba = _data()
    labels = np.array(["x", "y"])[proba[:, :2].argmax(1)]
    net = NetClassifier(
        TabularMLP, classes=["x", "y", "z"], max_epochs=2, train_split=None, verbose=0
    ).fit(X, labels)
    assert net.predict_proba(X).shape == (120, 3)


def test_soft_targets_bad_input():
    X, proba = _data()
    with pytest.raises(ValueError, match="3 columns but classes has 2"):
        NetClassifier(TabularMLP, classes=["x", "y"], max_epochs=1).fit(X, proba)
    with pytest.raises(ValueError, match="non-negative"):
        NetClassifier(TabularMLP, max_epochs=1).fit(X, -proba)
    with pytest.raises(ValueError, match="hard labels"):
        NetClassifier(TabularMLP, class_weight="balanced", max_epochs=1).fit(X, proba)


def test_deadline_stops_training_and_keeps_the_net_usable():
    X, proba = _data()
    net = NetClassifier(
        TabularMLP,
        max_epochs=100_000,
        train_split=None,
        verbose=0,
        callbacks=[("deadline", Deadline(time.monotonic() + 0.5))],
    ).fit(X, proba)
    assert 0 < len(net.history) < 100_000
    assert net.predict(X).shape == (120,)
