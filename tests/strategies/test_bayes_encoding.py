"""The Bayesian strategy's own one-hot encoding and variance propose what skopt's would."""

import zlib

import numpy as np
import pytest
from skopt.learning import GaussianProcessRegressor
from skopt.space import Categorical as SkCategorical
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


def test_search_proposes_what_skopts_parts_propose(monkeypatch):
    space = make_space("classical", CTX)
    dims = BayesStrategy(space, 0)._optimizer.space.dimensions
    assert any(isinstance(d, bayes._IndexCategorical) for d in dims)
    ours = _drive(space, 30)
    monkeypatch.setattr(bayes, "_IndexCategorical", SkCategorical)
    monkeypatch.setattr(bayes, "_Surrogate", GaussianProcessRegressor)
    strat = BayesStrategy(space, 0)
    assert type(strat._optimizer.base_estimator_) is GaussianProcessRegressor
    assert not any(
        isinstance(d.transformer, bayes._IndexOneHot)
        for d in strat._optimizer.space.dimensions
        if isinstance(d, SkCategorical)
    )
    assert _drive(space, 30) == ours
