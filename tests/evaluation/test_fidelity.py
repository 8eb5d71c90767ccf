"""Multi-fidelity scheduling: promotion rule, subsampling, pruning, in the loop."""

import numpy as np
import pytest
from support.data import binary_eval_data

from skautoml.evaluation import TrialRunner, evaluate_candidate, run_search
from skautoml.evaluation._fidelity import SuccessiveHalving, TrialPruned, subsample
from skautoml.nets import MedianCurvePruner
from skautoml.space import Candidate, Step, make_space
from skautoml.strategies import make_strategy


def test_promotion_keeps_the_top_third_after_a_warm_up():
    sh = SuccessiveHalving(eta=3)
    assert [sh.promote(s) for s in (0.5, 0.4, 0.3)] == [True, True, True]
    assert sh.promote(0.9) is True  # best so far
    assert sh.promote(0.1) is False  # worst so far
    assert sh.promote(0.45) is False  # below the top third of 0.1..0.9


def test_subsample_is_stratified_seeded_and_keeps_two_per_class():
    y = np.array([0] * 90 + [1] * 9 + [2] * 3)
    train = np.arange(len(y))
    part = subsample(train, y, 1 / 3, seed=0)
    counts = np.bincount(y[part])
    assert list(counts) == [30, 3, 2]
    np.testing.assert_array_equal(part, subsample(train, y, 1 / 3, seed=0))


def test_curve_pruner_stops_a_network_below_the_median():
    class FakeNet:
        def __init__(self, accs):
            self.history = [{"valid_acc": a} for a in accs]

    pruner = MedianCurvePruner(thresholds=(0.5, 0.6, 0.7, 0.8), warmup=3)
    pruner.on_epoch_end(FakeNet([0.1, 0.1]))  # still warming up
    pruner.on_epoch_end(FakeNet([0.5, 0.6, 0.75]))  # above the median
    with pytest.raises(TrialPruned, match="below the median"):
        pruner.on_epoch_end(FakeNet([0.5, 0.6, 0.65]))


@pytest.fixture
def data():
    return binary_eval_data(600, n_features=10, n_informative=5)


def test_a_network_under_the_curve_is_pruned(data):
    net = Candidate((Step.make("standard_scaler"), Step.make("tabular_net", {"max_epochs": 10})))
    result = evaluate_candidate(net, data, prune_curve=(1.0,) * 10)
    assert result.status == "pruned"
    assert "below the median" in result.error
    full = evaluate_candidate(net, data)
    assert full.status == "ok" and len(full.curve) >= 1


def test_loop_prunes_poor_candidates_and_records_fidelity(data):
    space = make_space(
        {
            "scaler": ["passthrough"],
            "transformer": ["passthrough"],
            "classifier": ["logistic_regression", "k_neighbors"],
        },
        data.ctx,
    )
    strategy = make_strategy("random", space, seed=0)
    with TrialRunner(data, n_workers=1) as runner:
        result = run_search(
            strategy,
            runner,
            max_trials=12,
            scheduler=SuccessiveHalving(eta=3),
        )
    trials = result.trials
    pruned = [t for t in trials if t.status == "pruned"]
    full = [t for t in trials if t.ok]
    assert pruned and full
    for t in pruned:
        assert dict(t.meta)["fidelity"] == pytest.approx(1 / 3)
        assert len(t.test_scores) == 2  # the cheap scores stay on the record
    for t in full:
        assert "low_fidelity_score" in dict(t.meta)


def test_a_cheap_evaluation_sizes_components_to_its_rows(data):
    # 300 training rows per fold, 100 at one third: 150 neighbours fit the
    # full evaluation, and the cheap one clips them instead of failing
    knn = Candidate((Step.make("k_neighbors", {"n_neighbors": 150, "weights": "uniform"}),))
    assert evaluate_candidate(knn, data).status == "ok"
    cheap = evaluate_candidate(knn, data, fidelity=1 / 3)
    assert cheap.status == "ok", cheap.error
