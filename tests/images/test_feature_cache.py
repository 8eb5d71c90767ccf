"""The frozen-backbone feature cache: hits, and never a stale entry."""

import os

import numpy as np
import pytest
import torch
from sklearn.pipeline import Pipeline

from skautoml.nets import BackboneFeatures, CustomBackbone, SmallCNN, release_feature_cache

SHAPE = (1, 8, 8)


@pytest.fixture
def X():
    return np.random.default_rng(0).random((20, 64)).astype(np.float32)


def _feats(tmp_path, backbone="small_cnn", **kw):
    return BackboneFeatures(backbone, SHAPE, cache_dir=str(tmp_path), **kw)


def _entries(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".npy"))


def test_second_transform_is_served_from_the_cache(tmp_path, X, monkeypatch):
    first = _feats(tmp_path).fit_transform(X)
    assert len(_entries(tmp_path)) == 1
    again = _feats(tmp_path).fit(X)  # a new process would build a new transformer

    def boom(*a, **k):
        raise AssertionError("features were recomputed")

    monkeypatch.setattr(BackboneFeatures, "_compute", boom)
    np.testing.assert_array_equal(again.transform(X), first)


def test_key_covers_data_resolution_and_weights(tmp_path, X):
    _feats(tmp_path).fit_transform(X)
    _feats(tmp_path).fit_transform(X[:10])  # other rows (another fold)
    _feats(tmp_path, resolution=16).fit_transform(X)  # other resolution
    torch.manual_seed(3)
    other = CustomBackbone(SmallCNN(in_channels=1, num_classes=1, width=8, depth=2))
    torch.manual_seed(4)
    other2 = CustomBackbone(SmallCNN(in_channels=1, num_classes=1, width=8, depth=2))
    a = _feats(tmp_path, backbone=other).fit_transform(X)
    b = _feats(tmp_path, backbone=other2).fit_transform(X)  # same shapes, other weights
    assert len(_entries(tmp_path)) == 5
    assert not np.allclose(a, b)


def test_cached_equals_uncached(tmp_path, X):
    cached = _feats(tmp_path).fit_transform(X)
    plain = BackboneFeatures("small_cnn", SHAPE).fit_transform(X)
    np.testing.assert_allclose(cached, plain, rtol=1e-6)


def test_missing_folder_computes_and_release(tmp_path, X):
    feats = _feats(tmp_path / "gone")
    assert feats.fit_transform(X).shape == (20, 64)
    pipe = Pipeline([("features", _feats(tmp_path)), ("id", "passthrough")])
    release_feature_cache(pipe)
    assert pipe.named_steps["features"].cache_dir is None
