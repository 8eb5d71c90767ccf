"""Surgical fine-tuning (``first_blocks``) and LP-FT (``lp_ft``, :class:`LinearProbeInit`)."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from skautoml.nets import (
    STRATEGIES,
    CustomBackbone,
    ImageClassifier,
    NetClassifier,
    PretrainedTabularNet,
    SmallCNN,
    image_block_groups,
    strategy_callbacks,
)
from skautoml.nets._finetune import LinearProbeInit

SHAPE = (1, 8, 8)
SMALL = {"width": 4, "depth": 2}


def _images(n_classes, n=60, seed=0):
    """Grey 8x8 rows whose classes differ clearly in mean brightness."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = 0.1 * rng.random((n, 64)) + 0.8 * y[:, None] / max(1, n_classes - 1)
    return X.astype(np.float32), y


def _net(callbacks=(), n_classes=2, head="linear", **kw):
    params = {
        "module__backbone": "small_cnn",
        "module__image_shape": SHAPE,
        "module__backbone_params": SMALL,
        "module__n_classes": n_classes,
        "module__head": head,
        "callbacks": list(callbacks),
        "train_split": None,
        "max_epochs": 2,
        "batch_size": 16,
        "verbose": 0,
        "random_state": 0,
        **kw,
    }
    return NetClassifier(ImageClassifier, **params)


class _Snapshot(Callback):
    """Keep a copy of the module's state when training begins."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.state_ = {k: v.clone() for k, v in net.module_.state_dict().items()}


def _state(module, prefix):
    return {k: v.clone() for k, v in module.state_dict().items() if k.startswith(prefix)}


def _features(net, X):
    module = net.module_.eval()
    with torch.no_grad():
        return module.backbone.forward_features(module.preprocess(torch.as_tensor(X))).numpy()


def _sklearn_probe(features, y):
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=200))
    return model.fit(features.astype(np.float64), y)


# -- first_blocks --------------------------------------------------------------------


def test_first_blocks_trains_the_first_group_and_the_head():
    groups = image_block_groups("small_cnn", SHAPE, SMALL)
    assert groups == [("backbone.blocks.0.*",), ("backbone.blocks.1.*",), ("head.*",)]
    callbacks = strategy_callbacks("first_blocks", groups, k_blocks=1)
    assert [name for name, _ in callbacks] == ["freeze"]
    assert callbacks[0][1].patterns == ("backbone.blocks.1.*",)

    X, y = _images(2)
    snapshot = _Snapshot()
    net = _net([*callbacks, ("snapshot", snapshot)], optimizer=torch.optim.AdamW, lr=0.02)
    net.fit(X, y)
    before, after = snapshot.state_, net.module_.state_dict()

    first = [k for k in before if k.startswith("backbone.blocks.0.") and k.endswith("weight")]
    later = [k for k in before if k.startswith("backbone.blocks.1.")]  # params and BN buffers
    assert first and later
    assert all(not torch.equal(before[k], after[k]) for k in first)
    assert all(torch.equal(before[k], after[k]) for k in later)
    assert not torch.equal(before["head.0.weight"], after["head.0.weight"])


@pytest.mark.parametrize(("k_blocks", "frozen"), [(0, 2), (1, 1), (2, 0), (5, 0)])
def test_first_blocks_freezes_every_later_group(k_blocks, frozen):
    groups = [("backbone.a.*",), ("backbone.b.*",), ("head.*",)]
    ((_, freeze),) = strategy_callbacks("first_blocks", groups, k_blocks=k_blocks)
    assert freeze.patterns == tuple(p for g in groups[:-1][2 - frozen :] for p in g)


# -- LinearProbeInit -----------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probe_init_matches_logistic_regression(n_classes):
    X, y = _images(n_classes)
    net = _net(n_classes=n_classes).initialize()
    net.module_.train()
    reference = _sklearn_probe(_features(net, X), y)
    net.module_.train()

    LinearProbeInit().on_train_begin(net, X=X, y=y)

    assert net.module_.training  # training mode restored
    proba = net.predict_proba(X)
    expected = reference.predict_proba(_features(net, X).astype(np.float64))
    np.testing.assert_allclose(proba, expected, atol=1e-4)
    np.testing.assert_array_equal(proba.argmax(axis=1), reference.predict(_features(net, X)))
    assert np.mean(proba.argmax(axis=1) == y) > 1.5 / n_classes
    assert net.module_.head[-1].weight.shape[0] == n_classes


def test_probe_init_binary_rows_are_opposite():
    X, y = _images(2)
    net = _net().initialize()
    LinearProbeInit().on_train_begin(net, X=X, y=y)
    head = net.module_.head[-1]
    torch.testing.assert_close(head.weight[0], -head.weight[1])
    torch.testing.assert_close(head.bias[0], -head.bias[1])


def test_probe_init_keeps_eval_mode_and_dropout_head():
    X, y = _images(3)
    net = _net(n_classes=3, module__head_dropout=0.5).initialize()
    net.module_.eval()
    LinearProbeInit().on_train_begin(net, X=X, y=y)
    assert not net.module_.training
    reference = _sklearn_probe(_features(net, X), y)
    np.testing.assert_array_equal(
        net.predict_proba(X).argmax(1), reference.predict(_features(net, X))
    )


def test_probe_init_leaves_an_mlp_head_untouched():
    X, y = _images(3)
    net = _net(n_classes=3, head="mlp").initialize()
    before = _state(net.module_, "head.")
    with pytest.warns(UserWarning, match="not linear"):
        LinearProbeInit().on_train_begin(net, X=X, y=y)
    after = _state(net.module_, "head.")
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_probe_init_uses_the_head_input_of_other_modules():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh())
    net = NetClassifier(
        PretrainedTabularNet,
        module__body=body,
        module__n_features=4,
        module__n_classes=3,
        train_split=None,
        verbose=0,
        random_state=0,
    ).initialize()
    LinearProbeInit().on_train_begin(net, X=X, y=y)
    with torch.no_grad():
        features = net.module_.body(torch.as_tensor(X)).numpy()
    reference = _sklearn_probe(features, y)
    np.testing.assert_array_equal(net.predict_proba(X).argmax(1), reference.predict(features))
    assert np.mean(reference.predict(features) == y) > 0.6


def test_lp_ft_strategy_probes_once_per_initialisation():
    X, y = _images(3)
    groups = image_block_groups("small_cnn", SHAPE, SMALL)
    callbacks = strategy_callbacks("lp_ft", groups)
    assert [name for name, _ in callbacks] == ["lp_init"]
    assert isinstance(callbacks[0][1], LinearProbeInit)
    net = _net(callbacks, n_classes=3, max_epochs=0).fit(X, y)  # the probe only
    assert all(p.requires_grad for p in net.module_.parameters())  # nothing frozen
    reference = _sklearn_probe(_features(net, X), y)
    np.testing.assert_array_equal(net.predict(X), reference.predict(_features(net, X)))

    with torch.no_grad():
        net.module_.head[-1].weight.zero_()
    net.partial_fit(X, y)  # keeps the trained head
    assert not net.module_.head[-1].weight.any()
    net.fit(X, y)  # a new fit probes again
    assert net.module_.head[-1].weight.any()


@pytest.mark.parametrize("strategy", ["first_blocks", "lp_ft"])
def test_new_strategies_train_and_pickle(strategy):
    assert strategy in STRATEGIES
    X, y = _images(2, n=48)
    torch.manual_seed(1)
    spec = CustomBackbone(SmallCNN(in_channels=1, num_classes=2, width=4, depth=2))
    groups = image_block_groups(spec, SHAPE)
    net = NetClassifier(
        ImageClassifier,
        module__backbone=spec,
        module__image_shape=SHAPE,
        callbacks=strategy_callbacks(strategy, groups, k_blocks=1, every=1),
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=0.01,
        lr=0.02,
        max_epochs=6,
        batch_size=16,
        train_split=None,
        verbose=0,
        random_state=0,
    ).fit(X, y)
    losses = net.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(clone.predict(X), net.predict(X))


def test_callback_pickles():
    cb = LinearProbeInit(C=0.5, max_iter=50, batch_size=8)
    back = pickle.loads(pickle.dumps(cb))
    assert (back.C, back.max_iter, back.batch_size) == (0.5, 50, 8)
    assert back.get_params()["C"] == 0.5


def test_unknown_strategy_names_the_choices():
    with pytest.raises(ValueError, match="first_blocks.*lp_ft") as info:
        strategy_callbacks("nope", [("head.*",)])
    assert all(name in str(info.value) for name in STRATEGIES)
