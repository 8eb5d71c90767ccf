"""Quantisation and pruning of fitted models' nets (skautoml.nets._compress)."""

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch.ao.nn import quantized as nnq
from torch.ao.nn.quantized import dynamic as nnqd

from skautoml.nets import (
    ImageClassifier,
    NetClassifier,
    TabularMLP,
    pickled_size,
    prune_magnitude,
    quantize_dynamic,
    quantize_static,
    torch_nets,
    weight_sparsity,
)


def _mlp(**kw):
    params = {"max_epochs": 3, "train_split": None, "verbose": 0, "random_state": 0, **kw}
    return NetClassifier(TabularMLP, **params)


@pytest.fixture(scope="module")
def tabular():
    X, y = make_classification(n_samples=300, n_features=10, n_informative=6, random_state=0)
    return make_pipeline(StandardScaler(), _mlp()).fit(X, y), X, y


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    X, y = (data.data / 16).astype(np.float32), data.target
    net = NetClassifier(
        ImageClassifier,
        module__backbone="small_cnn",
        module__image_shape=(1, 8, 8),
        module__backbone_params={"width": 16, "depth": 2},
        max_epochs=3,
        batch_size=64,
        lr=0.1,
        train_split=None,
        verbose=0,
        random_state=0,
    )
    return net.fit(X[:800], y[:800]), X, y


def _round_trips(model):
    """The model after pickle, and after joblib."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return [
        pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
        joblib.load(buffer),
    ]


def _assert_close(reference, proba, max_diff=0.05):
    assert np.abs(reference - proba).max() < max_diff
    assert np.mean(reference.argmax(1) == proba.argmax(1)) >= 0.95


def test_torch_nets_finds_nets_in_a_pipeline_and_a_voting_ensemble(tabular):
    model, X, y = tabular
    assert torch_nets(model) == [("netclassifier", model[-1])]
    voting = VotingClassifier(
        [("rf", RandomForestClassifier(5, random_state=0)), ("mlp", make_pipeline(_mlp()))],
        voting="soft",
    ).fit(X, y)
    found = torch_nets(voting)
    assert [path for path, _ in found] == ["named_estimators_['mlp'].netclassifier"]
    assert found[0][1] is voting.named_estimators_["mlp"][-1]
    assert torch_nets(RandomForestClassifier(3).fit(X, y)) == []


def test_models_without_nets_are_refused(tabular):
    _, X, y = tabular
    forest = RandomForestClassifier(3, random_state=0).fit(X, y)
    for compress in (quantize_dynamic, weight_sparsity):
        with pytest.raises(ValueError, match="holds no fitted torch network"):
            compress(forest)
    with pytest.raises(ValueError, match="holds no fitted torch network"):
        quantize_static(forest, X)
    with pytest.raises(ValueError, match="holds no fitted torch network"):
        prune_magnitude(forest, 0.5)


def test_dynamic_quantisation_keeps_predictions_and_shrinks_the_pickle(tabular):
    model, X, _ = tabular
    reference = model.predict_proba(X)
    quantised = quantize_dynamic(model)
    assert isinstance(quantised[-1].module_.head, nnqd.Linear)
    assert type(model[-1].module_.head) is torch.nn.Linear  # the original is untouched
    _assert_close(reference, quantised.predict_proba(X))
    assert pickled_size(quantised) < 0.6 * pickled_size(model)
    for loaded in _round_trips(quantised):
        np.testing.assert_allclose(loaded.predict_proba(X), quantised.predict_proba(X), atol=1e-6)
        assert loaded.predict(X).shape == (len(X),)


def test_static_quantisation_of_the_small_cnn(digits):
    net, X, y = digits
    reference = net.predict_proba(X[800:])
    quantised = quantize_static(net, X[:200])
    modules = list(quantised.module_.modules())
    assert any(isinstance(m, nnq.Linear) for m in modules)
    assert not any(type(m) in (torch.nn.Conv2d, torch.nn.Linear) for m in modules)
    convs = [m for m in modules if isinstance(m, nnq.Conv2d)]
    assert len(convs) == 4 and all(type(c).__module__ == "skautoml.nets._compress" for c in convs)
    assert all(c.weight().is_quantized for c in convs)
    assert not any(type(m).__name__.startswith("BatchNorm") for m in quantised.module_.modules())
    proba = quantised.predict_proba(X[800:])
    _assert_close(reference, proba, max_diff=0.1)
    accuracy = np.mean(net.predict(X[800:]) == y[800:])
    assert accuracy > 0.5 and np.mean(quantised.predict(X[800:]) == y[800:]) > accuracy - 0.03
    assert pickled_size(quantised) < pickled_size(net)
    for loaded in _round_trips(quantised):
        np.testing.assert_allclose(loaded.predict_proba(X[800:]), proba, atol=1e-6)


def test_static_quantisation_of_a_tabular_pipeline_uses_the_transformed_rows(tabular):
    model, X, _ = tabular
    quantised = quantize_static(model, X[:100])
    _assert_close(model.predict_proba(X), quantised.predict_proba(X))
    (loaded,) = _round_trips(quantised)[:1]
    np.testing.assert_allclose(loaded.predict_proba(X), quantised.predict_proba(X), atol=1e-6)


class _SamePadConv(torch.nn.Conv2d):
    """A conv whose padding depends on the input's size: torch.fx cannot trace it."""

    def forward(self, x):
        if x.shape[-1] % 2:
            x = torch.nn.functional.pad(x, (0, 1, 0, 1))
        return super().forward(x)


class _OddCNN(torch.nn.Module):
    def __init__(self, n_classes=2):
        super().__init__()
        self.stem = _SamePadConv(1, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, n_classes)

    def forward(self, x):
        x = torch.relu(self.stem(x.reshape(len(x), 1, 8, 8)))
        return self.head(x.mean((2, 3)))


def test_static_quantisation_names_the_layer_it_cannot_trace(digits):
    _, X, y = digits
    net = NetClassifier(_OddCNN, max_epochs=1, train_split=None, verbose=0, random_state=0)
    net.fit(X[:100], y[:100])
    with pytest.raises(ValueError, match=r"conv layer 'stem' of the net: torch.fx cannot trace"):
        quantize_static(net, X[:50])
    pipeline = make_pipeline(StandardScaler(), net).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match=r"of the net at 'netclassifier'.*TraceError"):
        quantize_static(pipeline, X[:50])


@pytest.mark.parametrize("sparsity", [0.5, 0.9])
def test_pruning_reaches_the_sparsity_and_pickles_sparsely(tabular, sparsity):
    model, X, y = tabular
    pruned = prune_magnitude(model, sparsity, X=X, y=y, recovery_epochs=2)
    assert weight_sparsity(model) < 0.01
    assert abs(weight_sparsity(pruned) - sparsity) < 0.01
    if sparsity <= 0.5:
        assert np.mean(pruned.predict(X) == y) > 0.6
    for loaded in _round_trips(pruned):
        assert abs(weight_sparsity(loaded) - sparsity) < 0.01
        np.testing.assert_allclose(loaded.predict_proba(X), pruned.predict_proba(X), atol=1e-6)
    if sparsity >= 0.8:
        assert pickled_size(pruned) < 0.5 * pickled_size(model)


def test_recovery_fine_tune_changes_the_kept_weights_only(tabular):
    model, X, y = tabular
    plain = prune_magnitude(model, 0.8)
    recovered = prune_magnitude(model, 0.8, X=X, y=y, recovery_epochs=2)
    w_plain = plain[-1].module_.body[0].weight.detach().numpy()
    w_recovered = recovered[-1].module_.body[0].weight.detach().numpy()
    assert not np.allclose(w_plain, w_recovered)
    assert np.array_equal(w_plain == 0, w_recovered == 0)  # the masks held during training


def test_pruning_a_conv_net_and_its_errors(digits):
    net, X, y = digits
    pruned = prune_magnitude(net, 0.8, X=X[:400], y=y[:400])
    assert abs(weight_sparsity(pruned) - 0.8) < 0.01
    assert np.mean(pruned.predict(X[800:]) == y[800:]) > 0.3
    assert pickled_size(pruned) < pickled_size(net)
    with pytest.raises(ValueError, match="sparsity must be in"):
        prune_magnitude(net, 1.0)
    with pytest.raises(ValueError, match="give both X and y"):
        prune_magnitude(net, 0.5, X=X)


def test_an_ensemble_of_frozen_members_and_fold_bags_is_calibrated_on_its_input(tabular):
    """The search's ensemble holds its members frozen (sklearn's FrozenEstimator)
    and bagged members as FoldBags: both hand their input to the nets unchanged,
    so static quantisation calibrates on it and pruning recovers on it."""
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from skautoml.evaluation import FoldBag
    from skautoml.evaluation._ensemble import soft_vote

    model, X, y = tabular
    labels = np.array(["no", "yes"])[y]  # the members were fitted on the labels as they are
    net = clone(model).fit(X, labels)
    bag = FoldBag(clone(model), cv=StratifiedKFold(2, shuffle=True, random_state=0))
    logistic = make_pipeline(StandardScaler(), LogisticRegression())
    members = [("net", net), ("bag", bag.fit(X, labels)), ("lr", logistic.fit(X, labels))]
    vote = soft_vote(members, [0.4, 0.4, 0.2], X, labels)
    assert len(torch_nets(vote)) == 3  # one net, two fold nets
    quantised = quantize_static(vote, X[:100])
    _assert_close(vote.predict_proba(X), quantised.predict_proba(X))
    pruned = prune_magnitude(vote, 0.5, X=X, y=labels, recovery_epochs=1)
    assert abs(weight_sparsity(pruned) - 0.5) < 0.01
    assert np.mean(pruned.predict(X) == labels) > 0.6
