"""NetRegressor (skorch regression in scikit-learn pipelines) and NetClassifier's class_weight."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_regressor
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, r2_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from skautoml.nets import NetClassifier, NetRegressor, TabularMLP

COEF = np.array([1.5, -2.0, 0.5, 0.0])


def _linear(n=200, offset=0.0, seed=0):
    """Rows of a clean linear function of four features."""
    X = np.random.default_rng(seed).normal(size=(n, 4))
    return X, X @ COEF + offset


def _reg(**kw):
    params = {
        "module__hidden_units": 32,
        "max_epochs": 30,
        "lr": 0.05,
        "optimizer__momentum": 0.9,
        "train_split": None,
        "verbose": 0,
        "random_state": 0,
        **kw,
    }
    return NetRegressor(TabularMLP, **params)


@pytest.fixture(scope="module")
def fitted():
    X, y = _linear()
    return _reg().fit(X, y), X, y


# -- NetRegressor --------------------------------------------------------------------


def test_learns_a_linear_target(fitted):
    net, X, y = fitted
    assert is_regressor(net)
    assert net.score(X, y) > 0.8
    assert net.score(X, y) == pytest.approx(r2_score(y, net.predict(X)))


def test_module_gets_one_output_and_the_feature_count(fitted):
    net, X, _ = fitted
    assert net.module_(torch.zeros(2, 4)).shape == (2, 1)
    assert net.criterion_.__class__ is torch.nn.MSELoss


def test_predictions_are_one_dimensional_in_the_original_units():
    X, y = _linear(offset=1000.0)
    net = _reg().fit(X, y)
    pred = net.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == np.float64
    assert net.y_mean_ == pytest.approx(y.mean())
    assert net.y_scale_ == pytest.approx(y.std())
    assert abs(pred.mean() - 1000.0) < 1.0
    assert net.score(X, y) > 0.8


def test_a_column_target_of_any_real_dtype_is_accepted():
    X, y = _linear(n=60)
    a = _reg(max_epochs=2).fit(X, y).predict(X)
    b = _reg(max_epochs=2).fit(X, y.astype(np.float32).reshape(-1, 1)).predict(X)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    c = _reg(max_epochs=2).fit(X, np.round(y).astype(np.int64)).predict(X)
    assert c.shape == (60,)


def test_a_constant_target_is_scaled_by_one():
    X, _ = _linear(n=40)
    net = _reg(max_epochs=2).fit(X, np.full(40, 7.0))
    assert net.y_mean_ == 7.0 and net.y_scale_ == 1.0
    assert np.isfinite(net.predict(X)).all()


@pytest.mark.parametrize(
    "y, match",
    [
        (np.zeros((40, 2)), "shape"),
        (np.array(["a"] * 40), "real"),
        (np.r_[np.nan, np.ones(39)], "NaN"),
    ],
    ids=["two-columns", "strings", "nan"],
)
def test_bad_targets_are_rejected(y, match):
    X, _ = _linear(n=40)
    with pytest.raises(ValueError, match=match):
        _reg(max_epochs=1).fit(X, y)


def test_huber_loss_works():
    X, y = _linear()
    net = _reg(criterion=torch.nn.HuberLoss).fit(X, y)
    assert isinstance(net.criterion_, torch.nn.HuberLoss)
    assert net.score(X, y) > 0.8


def test_pickle_round_trip_gives_identical_predictions(fitted):
    net, X, _ = fitted
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_clone_keeps_the_parameters_and_refits_identically(fitted):
    net, X, y = fitted
    copy = clone(net)
    assert copy.get_params()["random_state"] == 0
    assert copy.get_params()["module__hidden_units"] == 32
    assert not hasattr(copy, "y_mean_")
    np.testing.assert_array_equal(copy.fit(X, y).predict(X), net.predict(X))


def test_same_random_state_gives_identical_predictions():
    X, y = _linear(n=80)
    a = _reg(max_epochs=5, random_state=3).fit(X, y).predict(X)
    torch.manual_seed(123)  # the global generator does not matter
    b = _reg(max_epochs=5, random_state=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_fit_leaves_the_global_torch_generator_alone():
    X, y = _linear(n=40)
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    _reg(max_epochs=1).fit(X, y)
    assert torch.equal(torch.rand(1), expected)


def test_last_step_of_a_pipeline():
    X, y = _linear()
    pipe = make_pipeline(StandardScaler(), _reg()).fit(X * 100, y)
    assert pipe.score(X * 100, y) > 0.8
    assert pipe.predict(X[:5] * 100).shape == (5,)
    again = clone(pipe).set_params(netregressor__max_epochs=2).fit(X * 100, y)
    assert again[-1].max_epochs == 2 and len(again[-1].history) == 2


def test_default_split_and_early_stopping_with_a_plain_valid_split():
    X, y = _linear()
    default = NetRegressor(TabularMLP, max_epochs=2, verbose=0, random_state=0).fit(X, y)
    assert "valid_loss" in default.history[-1]
    net = _reg(
        max_epochs=60,
        train_split=ValidSplit(0.15, stratified=False, random_state=0),
        callbacks=[EarlyStopping(patience=3, load_best=True)],
    ).fit(X, y)
    losses = net.history[:, "valid_loss"]
    assert len(losses) < 60
    # the best epoch's weights are back: the held-out rows' loss is the lowest one
    y_std = ((y - net.y_mean_) / net.y_scale_).astype(np.float32).reshape(-1, 1)
    _, valid = net.get_split_datasets(X.astype(np.float32), y_std)
    rows = np.asarray(valid.indices)
    pred_std = (net.predict(X[rows]) - net.y_mean_) / net.y_scale_
    assert np.mean((pred_std - y_std[rows, 0]) ** 2) == pytest.approx(min(losses), rel=1e-4)
    assert net.score(X, y) > 0.8


class _VectorOut(torch.nn.Module):
    """Outputs shape (n,): the loss must not broadcast it against the (n, 1) target."""

    def __init__(self, n_features):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, 1)

    def forward(self, X):
        return self.linear(X)[:, 0]


def test_a_module_with_one_dimensional_output_trains_row_by_row():
    X, y = _linear()
    net = NetRegressor(
        _VectorOut, max_epochs=40, lr=0.1, train_split=None, verbose=0, random_state=0
    ).fit(X, y)
    assert net.score(X, y) > 0.95


# -- NetClassifier(class_weight=...) -------------------------------------------------


def _imbalanced():
    return make_classification(
        n_samples=300,
        n_features=6,
        n_informative=3,
        weights=[0.9],
        flip_y=0,
        class_sep=0.6,
        random_state=0,
    )


def _clf(**kw):
    params = {
        "module__hidden_units": 32,
        "max_epochs": 10,
        "lr": 0.05,
        "optimizer__momentum": 0.9,
        "train_split": None,
        "verbose": 0,
        "random_state": 0,
        **kw,
    }
    return NetClassifier(TabularMLP, **params)


def test_balanced_weights_are_sklearns():
    X, y = _imbalanced()
    labels = np.where(y == 1, "rare", "common")
    net = _clf(max_epochs=1, class_weight="balanced").fit(X, labels)
    expected = compute_class_weight("balanced", classes=np.arange(2), y=(labels == "rare") * 1)
    np.testing.assert_array_equal(net.class_weight_, expected)
    weight = net.criterion_.weight
    assert weight.dtype == torch.float32
    np.testing.assert_array_equal(weight.numpy(), expected.astype(np.float32))
    assert net.class_weight == "balanced"
    assert "weight" not in net.get_params_for("criterion")


def test_no_class_weight_leaves_the_criterion_unweighted():
    X, y = _imbalanced()
    net = _clf(max_epochs=1).fit(X, y)
    assert net.class_weight_ is None and net.criterion_.weight is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_balanced_weights_raise_minority_recall(seed):
    X, y = _imbalanced()
    plain = _clf(random_state=seed).fit(X, y).predict(X)
    balanced = _clf(random_state=seed, class_weight="balanced").fit(X, y).predict(X)
    assert recall_score(y, balanced) > recall_score(y, plain) + 0.3
    assert balanced_accuracy_score(y, balanced) > balanced_accuracy_score(y, plain) + 0.1


def test_class_weight_round_trips_through_get_params_clone_and_pickle():
    X, y = _imbalanced()
    net = _clf(max_epochs=1, class_weight="balanced")
    assert net.get_params()["class_weight"] == "balanced"
    assert clone(net).get_params()["class_weight"] == "balanced"
    assert clone(_clf()).get_params()["class_weight"] is None
    net.fit(X, y)
    assert clone(net).get_params()["class_weight"] == "balanced"
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.criterion_.weight.numpy(), net.criterion_.weight.numpy())
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))
    # set_params switches it off for the next fit
    assert net.set_params(class_weight=None).fit(X, y).criterion_.weight is None


def test_class_weight_errors():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="class_weight must be"):
        _clf(class_weight={0: 1.0, 1: 9.0}).fit(X, y)
    with pytest.raises(ValueError, match="not both"):
        _clf(class_weight="balanced", criterion__weight=torch.ones(2)).fit(X, y)
    with pytest.raises(ValueError, match="takes weight"):
        _clf(class_weight="balanced", criterion=torch.nn.MSELoss).fit(X, y)
