"""Fine-tuning callbacks: freezing freezes, L2-SP pulls back, every strategy trains."""

import pickle

import numpy as np
import pytest
import torch

from skautoml.nets import (
    L2SP,
    STRATEGIES,
    CustomBackbone,
    ImageClassifier,
    NetClassifier,
    SmallCNN,
    image_block_groups,
    layerwise_param_groups,
    strategy_callbacks,
)

SHAPE = (1, 8, 8)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.random((48, 64)).astype(np.float32) * 0.3
    y = np.arange(48) % 2
    X[y == 1, :32] += 0.6  # class 1: bright top half
    return X, y


@pytest.fixture
def pretrained():
    torch.manual_seed(1)
    return SmallCNN(in_channels=1, num_classes=2, width=4, depth=2)


def _net(spec, callbacks=(), optimizer=torch.optim.AdamW, lr=0.02, max_epochs=3, **kw):
    return NetClassifier(
        ImageClassifier,
        module__backbone=spec,
        module__image_shape=SHAPE,
        callbacks=list(callbacks),
        optimizer=optimizer,
        optimizer__weight_decay=0.01,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=16,
        train_split=None,
        verbose=0,
        random_state=0,
        **kw,
    )


def _backbone_state(net):
    return {k: v.clone() for k, v in net.module_.backbone.state_dict().items()}


def _changed(before, after, key):
    return not torch.equal(before[key], after[key])


def _fit(spec, strategy, data, **kw):
    groups = image_block_groups(spec, SHAPE)
    net = _net(spec, strategy_callbacks(strategy, groups, k_blocks=1, every=1), **kw)
    return net.fit(*data)


def test_block_groups_of_image_classifier(pretrained):
    groups = image_block_groups(CustomBackbone(pretrained), SHAPE)
    assert groups == [("backbone.blocks.0.*",), ("backbone.blocks.1.*",), ("head.*",)]


def test_linear_probe_keeps_backbone_bit_identical(pretrained, data):
    spec = CustomBackbone(pretrained)
    before = {k: v for k, v in pretrained.state_dict().items() if not k.startswith("head.")}
    net = _fit(spec, "linear_probe", data)
    after = _backbone_state(net)
    for key, value in before.items():  # parameters and batch-norm buffers
        assert torch.equal(value, after[key]), key
    head = net.module_.head[-1].weight
    assert not torch.equal(head, _net(spec).initialize().module_.head[-1].weight)


def test_last_blocks_freezes_the_rest(pretrained, data):
    before = pretrained.state_dict()
    after = _backbone_state(_fit(CustomBackbone(pretrained), "last_blocks", data))
    frozen = [k for k in before if k.startswith("blocks.0.")]
    trained = [k for k in before if k.startswith("blocks.1.") and k.endswith("weight")]
    assert frozen and trained
    assert not any(_changed(before, after, k) for k in frozen)
    assert all(_changed(before, after, k) for k in trained)


def test_bitfit_trains_only_biases(pretrained, data):
    before = pretrained.state_dict()
    net = _fit(CustomBackbone(pretrained), "bitfit", data)
    after = _backbone_state(net)
    names = [n for n, _ in net.module_.backbone.named_parameters()]
    biases = [n for n in names if n.endswith("bias")]
    others = [n for n in names if not n.endswith("bias")]
    assert biases and others
    assert all(_changed(before, after, k) for k in biases)
    assert not any(_changed(before, after, k) for k in others)


def test_gradual_unfreezing_thaws_from_the_top(pretrained, data):
    before = pretrained.state_dict()
    after = _backbone_state(_fit(CustomBackbone(pretrained), "gradual", data, max_epochs=2))
    # epoch 1: head only; epoch 2: + the top group (blocks.1)
    assert not any(_changed(before, after, k) for k in before if k.startswith("blocks.0."))
    assert _changed(before, after, "blocks.1.conv1.weight")
    after3 = _backbone_state(_fit(CustomBackbone(pretrained), "gradual", data, max_epochs=3))
    assert _changed(before, after3, "blocks.0.conv1.weight")


def test_full_fine_tuning_changes_everything(pretrained, data):
    before = pretrained.state_dict()
    net = _fit(CustomBackbone(pretrained), "all", data)
    after = _backbone_state(net)
    for name, _ in net.module_.backbone.named_parameters():
        assert _changed(before, after, name), name


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_trains(strategy, pretrained, data):
    net = _fit(CustomBackbone(pretrained), strategy, data, max_epochs=6)
    losses = net.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert net.predict(data[0]).shape == (48,)
    pickle.loads(pickle.dumps(net))  # fitted nets with these callbacks pickle


def _distance(net, reference):
    after = dict(net.module_.backbone.named_parameters())
    return sum(
        float((after[k] - v).detach().pow(2).sum()) for k, v in reference.items() if k in after
    )


def test_l2sp_pulls_toward_pretrained_weights(pretrained, data):
    spec = CustomBackbone(pretrained)
    reference = dict(pretrained.named_parameters())
    kw = {"optimizer": torch.optim.SGD, "lr": 0.2, "max_epochs": 5}
    free = _net(spec, **kw).fit(*data)
    pulled = _net(spec, [("l2sp", L2SP(alpha=2.0))], **kw).fit(*data)
    d_free, d_pulled = _distance(free, reference), _distance(pulled, reference)
    assert d_pulled < 0.5 * d_free
    assert dict(pulled.callbacks_)["l2sp"].reference_ is None  # not carried by the fitted net


def test_layerwise_lr_decay_param_groups(pretrained):
    spec = CustomBackbone(pretrained)
    groups = image_block_groups(spec, SHAPE)
    net = _net(spec, optimizer__param_groups=layerwise_param_groups(groups, 0.1, 0.5))
    net.initialize()
    lrs = sorted({round(g["lr"], 6) for g in net.optimizer_.param_groups})
    assert lrs == [0.025, 0.05, 0.1]
    head = [g for g in net.optimizer_.param_groups if g["lr"] == 0.1][0]["params"]
    assert {id(p) for p in head} == {id(p) for p in net.module_.head.parameters()}


def test_unknown_strategy():
    with pytest.raises(ValueError, match="strategy"):
        strategy_callbacks("nope", [("head.*",)])
