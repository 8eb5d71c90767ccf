"""The Bayesian strategy's own parts (one-hot encoding, variance, likelihood, sampling)
propose what skopt's would; its warm start is deterministic."""

import zlib

import numpy as np
import pytest
from sklearn.gaussian_process.kernels import Sum
from skopt import Optimizer
from skopt.learning import GaussianProcessRegressor
from skopt.space import Categorical as SkCategorical
from skopt.space import Space as SkSpace
from skopt.space.transformers import CategoricalEncoder

import skautoml.strategies._bayes as bayes
from skautoml.records import Trial
from skautoml.space import BuildContext, make_space
from skautoml.strategies import BayesStrategy

CTX = BuildContext(n_samples=200, n_features=6, n_classes=3, seed=0)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_index_one_hot_matches_skopts_encoder(k):
    rng = np.random.default_rng(k)
    theirs = CategoricalEncoder().fit(list(range(k)))
    ours = bayes._IndexOneHot().fit(list(range(k)))
    for _ in range(50):
        X = rng.integers(0, k, size=rng.integers(1, 12)).tolist()
        expected, got = theirs.transform(X), ours.transform(X)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        # rounded values make ties, which both break towards the first column
        Xt = np.round(rng.random((len(X), 1 if k == 2 else k)), 1)
        if k == 2:
            Xt = np.r_[Xt[:, 0], 0.5, 0.5000001]
        assert ours.inverse_transform(Xt) == theirs.inverse_transform(Xt)


def _drive(space, n):
    """Proposals of a seeded strategy told a fixed score per candidate."""
    strat = BayesStrategy(space, 3)
    seen = []
    for number in range(n):
        (proposal,) = strat.ask(1)
        seen.append(proposal.candidate)
        score = (zlib.crc32(repr(proposal.candidate).encode()) % 1000) / 1000
        strat.tell([Trial(number, proposal.candidate, "ok", (score,))])
    return seen


def test_surrogate_predicts_what_skopts_process_predicts():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 6)), rng.random(40)
    Xq = rng.random((300, 6))
    params = dict(noise="gaussian", normalize_y=True, random_state=0)
    ours = bayes._Surrogate(**params).fit(X, y)
    theirs = GaussianProcessRegressor(**params).fit(X, y)
    np.testing.assert_allclose(ours.predict(Xq), theirs.predict(Xq), rtol=1e-12)
    for got, expected in zip(
        ours.predict(Xq, return_std=True), theirs.predict(Xq, return_std=True)
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_subnormal_kernel_values_set_to_zero_change_no_prediction():
    """A short length scale makes subnormal cross-kernel values (slow in BLAS):
    the surrogate zeroes them, and its mean and deviation stay what the
    unflushed formula gives, to the bit."""
    rng = np.random.default_rng(0)
    # in 60 dimensions points lie about 3.2 apart: 320 length scales, where
    # the Matern kernel's value falls under the smallest normal float
    X, y = rng.random((60, 60)), rng.random(60)
    Xq = rng.random((500, 60))
    kernel = bayes.ConstantKernel(1.0) * bayes.Matern(length_scale=0.01, nu=2.5)
    kernel = kernel + bayes.WhiteKernel(1e-3)
    gp = bayes._Surrogate(kernel=kernel, optimizer=None, normalize_y=True).fit(X, y)
    K = gp.kernel_(Xq, gp.X_train_)
    subnormal = (K > 0) & (K < np.finfo(np.float64).tiny)
    assert subnormal.sum() > 1000  # the case the flush is for
    mean, std = gp.predict(Xq, return_std=True)
    # the same formula, with the subnormal values left in
    expected_mean = gp.y_train_std_ * K.dot(gp.alpha_) + gp.y_train_mean_
    var = gp.kernel_.diag(Xq) - np.einsum("ki,ki->k", K @ gp.K_inv_, K)
    var[var < 0] = 0.0
    np.testing.assert_array_equal(mean, expected_mean)
    np.testing.assert_array_equal(std, np.sqrt(var * gp.y_train_std_**2))


def test_search_proposes_what_skopts_parts_propose(monkeypatch):
    """Every speed-up but the warm start is exact: cold, the proposals are skopt's."""
    monkeypatch.setattr(bayes, "WARM_START", False)
    space = make_space("classical", CTX)
    dims = BayesStrategy(space, 0)._optimizer.space.dimensions
    assert any(isinstance(d, bayes._IndexCategorical) for d in dims)
    ours = _drive(space, 30)
    monkeypatch.setattr(bayes, "_IndexCategorical", SkCategorical)
    monkeypatch.setattr(bayes, "_Surrogate", GaussianProcessRegressor)
    monkeypatch.setattr(bayes, "_Optimizer", Optimizer)
    strat = BayesStrategy(space, 0)
    assert type(strat._optimizer.base_estimator_) is GaussianProcessRegressor
    assert type(strat._optimizer.space) is SkSpace
    assert not any(
        isinstance(d.transformer, bayes._IndexOneHot)
        for d in strat._optimizer.space.dimensions
        if isinstance(d, SkCategorical)
    )
    assert _drive(space, 30) == ours


def _kernel():
    return (
        bayes.ConstantKernel(1.0, (0.01, 1000.0))
        * bayes.Matern(length_scale=1.0, length_scale_bounds=(0.01, 100.0), nu=2.5)
        + bayes.WhiteKernel()
    )


def test_log_marginal_likelihood_is_scikit_learns_to_the_bit():
    rng = np.random.default_rng(1)
    X, y = rng.random((30, 7)), rng.random(30)
    ours, theirs = bayes._Surrogate(kernel=_kernel()), GaussianProcessRegressor(kernel=_kernel())
    for gp in (ours, theirs):
        gp.kernel_, gp.X_train_, gp.y_train_ = gp.kernel, X, (y - y.mean()) / y.std()
    for _ in range(25):
        theta = rng.uniform(-4, 4, 3)
        got = ours.log_marginal_likelihood(theta, eval_gradient=True)
        expected = theirs.log_marginal_likelihood(theta, eval_gradient=True, clone_kernel=False)
        assert got[0] == expected[0]
        np.testing.assert_array_equal(got[1], expected[1])
        assert ours.log_marginal_likelihood(theta) == expected[0]
    assert np.array_equal(ours.kernel_.theta, np.zeros(3))  # not modified


def test_other_kernels_go_to_scikit_learn():
    rng = np.random.default_rng(2)
    X, y = rng.random((20, 3)), rng.random(20)
    anisotropic = bayes.ConstantKernel() * bayes.Matern(length_scale=[1.0, 1.0, 1.0], nu=2.5)
    for kernel in (anisotropic, bayes.Matern(nu=1.5), _kernel()):
        assert bayes._ours(kernel) is (kernel is not anisotropic and isinstance(kernel, Sum))
        ours = bayes._Surrogate(kernel=kernel, random_state=0).fit(X, y)
        theirs = GaussianProcessRegressor(kernel=kernel, random_state=0).fit(X, y)
        assert ours.log_marginal_likelihood_value_ == theirs.log_marginal_likelihood_value_


def test_space_samples_transforms_and_measures_what_skopts_space_does():
    space = make_space("classical", CTX)
    ours = BayesStrategy(space, 0)._optimizer.space
    theirs = SkSpace(ours.dimensions)
    assert isinstance(ours, bayes._Space)
    a = ours.rvs(n_samples=300, random_state=np.random.RandomState(5))
    b = theirs.rvs(n_samples=300, random_state=np.random.RandomState(5))
    assert a == b
    np.testing.assert_array_equal(ours.transform(a), theirs.transform(b))
    pairs = list(zip(a[:50], a[50:100])) + [(a[0], a[0])]
    assert [ours.distance(p, q) for p, q in pairs] == [theirs.distance(p, q) for p, q in pairs]


def test_surrogate_reuses_a_prediction_only_for_the_same_points():
    rng = np.random.default_rng(3)
    X, y = rng.random((20, 4)), rng.random(20)
    gp = bayes._Surrogate(noise="gaussian", normalize_y=True, random_state=0).fit(X, y)
    Xq = rng.random((50, 4))
    first = gp.predict(Xq, return_std=True)
    assert gp.predict(Xq, return_std=True) is first
    again = gp.predict(Xq.copy(), return_std=True)
    assert again is not first
    np.testing.assert_array_equal(again[0], first[0])
    gp.fit(X, y[::-1].copy())
    refit = gp.predict(Xq, return_std=True)
    assert refit is not first and not np.array_equal(refit[0], first[0])


def test_only_the_last_surrogate_is_kept_and_proposals_do_not_change(monkeypatch):
    """skopt keeps every fitted surrogate unless told otherwise (n x n
    matrices each); the strategy keeps the last, which is all it reads."""
    space = make_space("classical", CTX)
    strat = BayesStrategy(space, 0)
    for number in range(20):
        (proposal,) = strat.ask(1)
        strat.tell([Trial(number, proposal.candidate, "ok", ((number % 7) / 7,))])
    assert len(strat._optimizer.models) == 1
    kept = _drive(space, 30)
    monkeypatch.setattr(bayes, "MODEL_QUEUE", None)  # skopt's default: keep all
    assert _drive(space, 30) == kept


def test_past_the_cap_the_surrogate_sees_the_best_half_and_the_most_recent():
    X = np.arange(10, dtype=float).reshape(-1, 1)
    y = np.array([5.0, 0.1, 9.0, 0.3, 8.0, 7.0, 0.2, 6.0, 4.0, 3.0])
    same_X, same_y = bayes._subset(X, y, None)
    assert same_X is X and same_y is y  # no cap: the same objects, untouched
    assert bayes._subset(X, y, 10)[0] is X  # at the cap: all of them
    sub_X, sub_y = bayes._subset(X, y, 6)
    # the 3 lowest losses (rows 1, 6, 3) and the 3 most recent others (7, 8, 9)
    assert sub_X.ravel().tolist() == [1, 3, 6, 7, 8, 9]
    np.testing.assert_array_equal(sub_y, y[[1, 3, 6, 7, 8, 9]])


def test_a_capped_surrogate_is_fitted_on_the_cap_and_still_proposes(monkeypatch):
    monkeypatch.setattr(bayes, "GP_MAX_POINTS", 12)
    space = make_space("classical", CTX)
    strat = BayesStrategy(space, 0)
    seen = set()
    for number in range(25):
        (proposal,) = strat.ask(1)
        seen.add(proposal.candidate)
        strat.tell([Trial(number, proposal.candidate, "ok", ((number % 7) / 7,))])
    assert len(strat._optimizer.Xi) == 25  # every point told
    assert strat._optimizer.models[-1].X_train_.shape[0] == 12
    assert len(seen) > 20  # proposals keep moving


def test_warm_start_begins_each_kernel_fit_where_the_last_ended(monkeypatch):
    space = make_space("classical", CTX)
    assert bayes.WARM_START
    first = _drive(space, 15)
    assert _drive(space, 15) == first  # deterministic for a seed
    strat = BayesStrategy(space, 3)
    for number in range(12):
        (proposal,) = strat.ask(1)
        strat.tell([Trial(number, proposal.candidate, "ok", ((number % 5) / 5,))])
    fitted = strat._optimizer.models[-1]
    start = strat._optimizer.base_estimator_.kernel
    assert bayes._ours(start)
    np.testing.assert_allclose(start.k1.k1.constant_value, fitted.kernel_.k1.k1.constant_value)
    np.testing.assert_allclose(start.k1.k2.length_scale, fitted.kernel_.k1.k2.length_scale)
    np.testing.assert_allclose(start.k2.noise_level, fitted.noise_)
    monkeypatch.setattr(bayes, "WARM_START", False)
    cold = BayesStrategy(space, 3)
    for number in range(12):
        (proposal,) = cold.ask(1)
        cold.tell([Trial(number, proposal.candidate, "ok", ((number % 5) / 5,))])
    assert not bayes._ours(cold._optimizer.base_estimator_.kernel)  # the initial kernel
