"""The Bayesian strategy's own one-hot encoding proposes what skopt's would."""

import zlib

import numpy as np
import pytest
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


def test_search_proposes_what_skopts_encoder_proposes(monkeypatch):
    space = make_space("classical", CTX)
    assert any(
        isinstance(d, bayes._IndexCategorical)
        for d in BayesStrategy(space, 0)._optimizer.space.dimensions
    )
    ours = _drive(space, 14)
    monkeypatch.setattr(bayes, "_IndexCategorical", SkCategorical)
    assert not any(
        isinstance(d.transformer, bayes._IndexOneHot)
        for d in BayesStrategy(space, 0)._optimizer.space.dimensions
        if isinstance(d, SkCategorical)
    )
    assert _drive(space, 14) == ours
