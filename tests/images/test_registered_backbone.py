"""A backbone added with register_backbone alone is searched and fitted.

No other edit: the search space makes its ``probe_<name>`` and
``finetune_<name>`` components from the spec when it is built, and the
components carry the spec to the worker processes, which never saw the
``register_backbone`` call.
"""

import pickle

import cloudpickle
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from skautoml import AutoFineTuneClassifier
from skautoml.nets import BACKBONES, BackboneSpec, register_backbone, resolve_backbones
from skautoml.space import COMPONENTS, BuildContext, build_pipeline, make_space
from skautoml.space._image_components import backbone_components


class TinyBackbone(nn.Module):
    """Pooled pixels through one linear layer: the backbone interface, and fast."""

    feature_dim = 8

    def __init__(self, in_channels=1):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.fc = nn.Linear(in_channels * 16, self.feature_dim)

    def forward_features(self, x):
        return torch.relu(self.fc(self.pool(x).flatten(1)))

    def forward(self, x):
        return self.forward_features(x)

    def block_groups(self):
        return [(("fc.*",), [self.fc])]


def load_tiny(in_channels, checkpoint=None):
    """Module-level loader, as register_backbone asks."""
    net = TinyBackbone(in_channels)
    if checkpoint is not None:
        net.load_state_dict(torch.load(checkpoint, weights_only=True))
    return net


def _unregister(name):
    BACKBONES.pop(name, None)
    for component in (f"probe_{name}", f"finetune_{name}"):
        COMPONENTS.pop(component, None)


@pytest.fixture
def tiny(tmp_path):
    """A pretrained-style backbone: its weights are a checkpoint this test writes."""
    name = "test_tiny_backbone"
    torch.manual_seed(1)
    weights = TinyBackbone(1).state_dict()
    path = tmp_path / "tiny.pt"
    torch.save(weights, path)
    spec = register_backbone(
        BackboneSpec(name, load_tiny, in_channels=1, params={"checkpoint": str(path)})
    )
    yield spec, weights
    _unregister(name)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    idx = np.concatenate([np.flatnonzero(y == c)[:12] for c in range(4)])
    return X[idx], y[idx]


def _image_ctx(*backbones):
    return BuildContext(
        n_samples=48,
        n_features=64,
        n_classes=4,
        kind="image",
        image_shape=(1, 8, 8),
        backbones=backbones,
    )


def test_registered_backbone_is_searched_and_fitted(tiny, digits):
    spec, weights = tiny
    X, y = digits
    clf = AutoFineTuneClassifier(
        backbone=spec.name,
        image_shape=(8, 8),
        search="random",
        search_space="nets",
        max_trials=2,
        cv=2,
        time_budget=None,
        random_state=0,
    ).fit(X, y)
    searched = {t.candidate.describe(): t.status for t in clf.trials_}
    assert searched == {f"probe_{spec.name}": "ok", f"finetune_{spec.name}": "ok"}
    assert clf.predict(X).shape == (48,)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    # the probe reads the checkpoint's weights and keeps them frozen
    ctx = _image_ctx(spec.name)
    (candidate,) = make_space({"classifier": [f"probe_{spec.name}"]}, ctx).portfolio()
    probe = build_pipeline(candidate, ctx)[-1]
    features = probe.named_steps["features"].fit((X / 16).astype(np.float32))
    assert torch.equal(features.extractor_.backbone.fc.weight, weights["fc.weight"])


def test_components_follow_the_spec(tiny):
    spec, _ = tiny
    assert backbone_components(spec.name) == (f"probe_{spec.name}", f"finetune_{spec.name}")
    # no native resolution: the data's own size, not the EfficientNet sizes
    assert COMPONENTS[f"finetune_{spec.name}"].hyperparams["resolution"].choices == (0,)
    assert COMPONENTS["finetune_efficientnet_lite0"].hyperparams["resolution"].choices == (
        64,
        48,
        96,
    )
    # registered anew: a randomly initialised network has no probe, and the
    # finetune component carries the new spec
    scratch = register_backbone(BackboneSpec(spec.name, load_tiny, in_channels=1, pretrained=False))
    space = make_space("nets", _image_ctx(spec.name))
    assert space.slots[-1].options == (f"finetune_{spec.name}",)
    assert COMPONENTS[f"finetune_{spec.name}"].factory.spec is scratch


def test_a_users_own_component_of_that_name_is_kept(tiny):
    spec, _ = tiny
    from skautoml.space import Component, register

    mine = register(
        Component(
            f"finetune_{spec.name}", "classifier", lambda ctx: None, kinds=frozenset({"image"})
        )
    )
    backbone_components(spec.name)
    assert COMPONENTS[f"finetune_{spec.name}"] is mine


def test_the_component_carries_its_backbone_to_a_worker(tiny):
    spec, _ = tiny
    backbone_components(spec.name)
    shipped = cloudpickle.loads(cloudpickle.dumps(COMPONENTS[f"finetune_{spec.name}"]))
    del BACKBONES[spec.name]  # a worker process never saw register_backbone
    net = shipped.build(_image_ctx(spec.name), {"max_epochs": 1})
    assert BACKBONES[spec.name].name == spec.name
    assert net.get_params()["module__backbone"] == spec.name


def test_auto_asks_the_spec(tiny):
    spec, _ = tiny
    assert spec.name not in resolve_backbones("auto", "cuda")
    register_backbone(BackboneSpec(spec.name, load_tiny, in_channels=1, auto="accelerator"))
    assert spec.name not in resolve_backbones("auto", "cpu")
    assert spec.name in resolve_backbones("auto", "cuda")
    with pytest.raises(ValueError, match="auto must be one of"):
        BackboneSpec("bad", load_tiny, auto="gpu")
