"""Tabular networks that start from a user's pretrained module or checkpoint."""

import pathlib
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_classification
from skorch.callbacks import Callback
from torch import nn

from skautoml import AutoFineTuneClassifier
from skautoml.export import ExportError, export_pipeline
from skautoml.nets import (
    L2SP,
    CustomBackbone,
    PretrainedTabularNet,
    TabularMLP,
    resolve_tabular_backbones,
    resolve_tabular_body,
    tabular_block_groups,
)
from skautoml.space import BuildContext, make_space
from skautoml.space._components import COMPONENTS

N_FEATURES = 6


class TinyBody(nn.Module):
    """A small pretrained-style body: two blocks, the second with batch norm."""

    def __init__(self, n_features=N_FEATURES, width=12):
        super().__init__()
        self.first = nn.Sequential(nn.Linear(n_features, width), nn.ReLU())
        self.second = nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU())

    def forward(self, x):
        return self.second(self.first(x))


class _Payload:
    """Unpickling this creates ``marker``: a stand-in for arbitrary code execution."""

    def __init__(self, marker):
        self.marker = pathlib.Path(marker)

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


class _HeadAtStart(Callback):
    """Records the head's weights when training begins."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.head_ = {k: v.clone() for k, v in net.module_.head.state_dict().items()}


@pytest.fixture
def data():
    X, y = make_classification(
        n_samples=90, n_features=N_FEATURES, n_informative=4, n_classes=3, random_state=0
    )
    return X.astype(np.float32), y


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(7)
    body = TinyBody()
    with torch.no_grad():  # non-default statistics, so that a reset would show
        body.second[1].running_mean.uniform_(-1, 1)
    path = tmp_path / "body.pt"
    torch.save(body.state_dict(), path)
    return path, body.state_dict()


def _ctx(body, n_features=N_FEATURES):
    return BuildContext(n_samples=90, n_features=n_features, n_classes=3, backbones=(body,))


def _build(body, **params):
    params = {"max_epochs": 4, "lr": 1e-2, "lr_decay": 1.0, "batch_size": 32, **params}
    net = COMPONENTS["finetune_tabular_custom"].build(_ctx(body), params)
    net.set_params(callbacks=[*net.callbacks, ("head_at_start", _HeadAtStart())])
    return net


def _same(a, b):
    return set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


# -- (a) the user's module is used and its weights are really loaded ---------------
def test_frozen_body_stays_the_checkpoint_and_head_trains(data, checkpoint):
    path, state = checkpoint
    net = _build(CustomBackbone(TinyBody, checkpoint=path), strategy="linear_probe").fit(*data)
    assert isinstance(net.module_.body, TinyBody)
    fresh = TinyBody().state_dict()
    assert not _same(fresh, state)  # loading is what makes them equal
    assert _same(net.module_.body.state_dict(), state)  # bit-identical, statistics included
    head = net.module_.head.state_dict()
    start = dict(net.callbacks_)["head_at_start"].head_
    assert any(not torch.equal(head[k], start[k]) for k in head)


def test_all_trains_the_body(data, checkpoint):
    path, state = checkpoint
    net = _build(CustomBackbone(TinyBody, checkpoint=path), strategy="all").fit(*data)
    after = net.module_.body.state_dict()
    assert not torch.equal(after["first.0.weight"], state["first.0.weight"])
    # batch-norm statistics of a pretrained body stay frozen by default
    assert torch.equal(after["second.1.running_mean"], state["second.1.running_mean"])


def test_last_blocks_freezes_the_first_block(data, checkpoint):
    path, state = checkpoint
    spec = CustomBackbone(TinyBody, checkpoint=path)
    assert tabular_block_groups(spec) == [("body.first.*",), ("body.second.*",), ("head.*",)]
    net = _build(spec, strategy="last_blocks", k_blocks=1).fit(*data)
    after = net.module_.body.state_dict()
    assert torch.equal(after["first.0.weight"], state["first.0.weight"])
    assert not torch.equal(after["second.0.weight"], state["second.0.weight"])


def test_instance_is_copied_and_l2sp_targets_the_body(data):
    body = TinyBody()
    before = {k: v.clone() for k, v in body.state_dict().items()}
    net = _build(body, strategy="all", l2sp=0.1)
    l2sp = [cb for _, cb in net.callbacks if isinstance(cb, L2SP)]
    assert l2sp and l2sp[0].patterns == ("body.*",)
    net.fit(*data)
    assert net.module_.body is not body and _same(body.state_dict(), before)


def test_wrong_width_says_what_to_do():
    with pytest.raises(ValueError, match="takes 6 input features but the pipeline gives it 4"):
        PretrainedTabularNet(TinyBody(), n_features=4, n_classes=2)


# -- (b) checkpoint paths, and unsafe files refused ------------------------------
@pytest.mark.parametrize("dropout, batch_norm, n_layers", [(0.1, True, 2), (0.0, False, 3)])
def test_tabular_mlp_checkpoint_path(tmp_path, dropout, batch_norm, n_layers):
    torch.manual_seed(3)
    mlp = TabularMLP(N_FEATURES, 4, hidden_units=10, n_layers=n_layers, dropout=dropout,
                     batch_norm=batch_norm)  # fmt: skip
    path = tmp_path / "mlp.pt"
    torch.save(mlp.state_dict(), path)
    assert resolve_tabular_backbones(path) == (str(path),)
    net = PretrainedTabularNet(str(path), n_features=N_FEATURES, n_classes=3)
    body = {k: v for k, v in mlp.state_dict().items() if k.startswith("body.")}
    assert _same({f"body.{k}": v for k, v in net.body.state_dict().items()}, body)
    assert net(torch.zeros(2, N_FEATURES)).shape == (2, 3)  # the new head, not the old one
    assert len(tabular_block_groups(str(path))) == n_layers + 1


def test_unknown_checkpoint_layout_asks_for_a_custom_backbone(checkpoint):
    path, _ = checkpoint  # a TinyBody state dict: not a TabularMLP
    with pytest.raises(ValueError, match=r"CustomBackbone\(YourModule"):
        resolve_tabular_backbones(str(path))
    with pytest.raises(FileNotFoundError):
        resolve_tabular_backbones("missing.pt")


@pytest.mark.parametrize("how", ["path", "custom_backbone"])
def test_malicious_checkpoint_is_refused_before_the_search(tmp_path, data, how):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"first.0.weight": _Payload(marker)}, path)
    backbone = str(path) if how == "path" else CustomBackbone(TinyBody, checkpoint=path)
    clf = AutoFineTuneClassifier(backbone=backbone, max_trials=1, cv=2, time_budget=None)
    with pytest.raises(ValueError, match="weights_only"):
        clf.fit(*data)
    assert not marker.exists()
    assert not hasattr(clf, "best_pipeline_")


# -- the search space ------------------------------------------------------------
def test_registered_image_names_are_ignored_on_tabular_data():
    assert resolve_tabular_backbones("auto") == ()
    assert resolve_tabular_backbones(["small_cnn", "efficientnet_lite0", "timm:x"]) == ()
    assert resolve_tabular_backbones(["small_cnn", TinyBody])[0].module is TinyBody
    with pytest.raises(ValueError, match="at most one"):
        resolve_tabular_backbones([TinyBody, TinyBody()])
    with pytest.raises(ValueError, match="unknown backbone"):
        resolve_tabular_backbones("no_such_net")


def test_the_component_joins_the_space_where_tabular_net_is():
    body = resolve_tabular_body(TinyBody())
    classifier = make_space(None, _ctx(body)).slots[-1].options
    assert "finetune_tabular_custom" in classifier
    plain = BuildContext(n_samples=90, n_features=N_FEATURES, n_classes=3)
    assert "finetune_tabular_custom" not in make_space(None, plain).slots[-1].options
    assert "finetune_tabular_custom" not in make_space("classical", _ctx(body)).slots[-1].options
    only = make_space({"classifier": ["finetune_tabular_custom"]}, _ctx(body))
    assert [s.role for s in only.slots] == ["scaler", "classifier"]  # no width change


# -- (c, d) the estimator end to end: fit, pickle, predict, export -----------------
@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(
        n_samples=80, n_features=N_FEATURES, n_informative=4, n_classes=2, random_state=1
    )
    torch.manual_seed(0)
    body = nn.Sequential(nn.Linear(N_FEATURES, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
    clf = AutoFineTuneClassifier(
        backbone=body,
        search_space={"classifier": ["finetune_tabular_custom"]},
        max_trials=2,
        cv=2,
        random_state=0,
        time_budget=None,
    ).fit(X, y)
    return clf, body, X, y


def test_full_fit_uses_the_users_module(fitted):
    clf, body, X, y = fitted
    assert all(t.status == "ok" for t in clf.trials_)
    assert all("finetune_tabular_custom" in t.candidate.describe() for t in clf.trials_)
    net = clf.best_pipeline_[-1]
    assert isinstance(net.module_, PretrainedTabularNet)
    assert isinstance(net.module_.body, nn.Sequential) and net.module_.body is not body
    assert clf.score(X, y) > 0.6


def test_fitted_estimator_pickles_and_predicts(fitted):
    clf, _, X, _ = fitted
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    assert clone.predict(X).shape == (len(X),)


def test_export_refuses_a_module_instance(fitted):
    clf, *_ = fitted
    with pytest.raises(ExportError, match="instantiated torch module"):
        clf.export()


def test_export_of_a_checkpoint_path_runs(tmp_path, data):
    torch.manual_seed(3)
    path = tmp_path / "mlp.pt"
    torch.save(TabularMLP(N_FEATURES, 4, hidden_units=8).state_dict(), path)
    net = _build(str(path), strategy="linear_probe", max_epochs=2)
    net.set_params(callbacks=net.callbacks[:-1])  # the test's own callback is not public
    source = export_pipeline(net, date="2025-01-01")
    assert "PretrainedTabularNet" in source and "module__body=" in source and "mlp.pt" in source
    script = tmp_path / "best_pipeline.py"
    script.write_text(source)
    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(N_FEATURES)]).assign(y=y)
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = subprocess.run(
        [sys.executable, str(script), "data.csv", "--target", "y"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "held-out accuracy" in result.stdout
