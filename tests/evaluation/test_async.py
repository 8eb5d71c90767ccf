"""The asynchronous search loop: a free worker starts the next trial at once."""

import time

import pytest
import support.components  # noqa: F401  (registers test_nap)
from support.data import binary_eval_data

from skautoml.evaluation import Budget, TrialRunner, run_search
from skautoml.evaluation._fidelity import SuccessiveHalving
from skautoml.records import Trial
from skautoml.space import BuildContext, Candidate, Step, make_space
from skautoml.strategies import BayesStrategy
from skautoml.strategies._base import Proposal, Strategy

NAP = Candidate((Step.make("test_nap", {"seconds": 4.0}),))
QUICK = [Candidate((Step.make("logistic_regression", {"C": c}),)) for c in (0.01, 0.1, 1, 10, 100)]


class Scripted(Strategy):
    """Proposes a fixed list of candidates; remembers what it was told, in order."""

    def __init__(self, candidates):
        self.queue = list(candidates)
        self.told = []
        self.asks = []

    def ask(self, n):
        self.asks.append(n)
        batch, self.queue = self.queue[:n], self.queue[n:]
        return [Proposal(c) for c in batch]

    def tell(self, trials):
        self.told += list(trials)


@pytest.fixture
def data():
    return binary_eval_data(120, n_features=6, n_informative=4)


def test_a_slow_trial_does_not_hold_up_the_other_worker(data):
    # A batch-synchronous loop would run [nap, quick] and wait 8 s for the nap
    # before starting the next batch; the asynchronous loop keeps the second
    # worker busy with every quick candidate meanwhile.
    strategy = Scripted([NAP, *QUICK])
    with TrialRunner(data, n_workers=2) as runner:
        result = run_search(strategy, runner, max_trials=None)
    assert result.stop_reason == "exhausted"
    assert [t.candidate for t in result.trials[:-1]] == QUICK
    assert result.trials[-1].candidate == NAP and result.trials[-1].ok
    # two asked at the start, then one per freed worker while the nap runs
    assert strategy.asks[0] == 2 and set(strategy.asks[1:-1]) == {1}
    assert strategy.told == result.trials  # each told once, as soon as it finished


def test_one_worker_is_the_sequential_loop(data):
    strategy = Scripted([*QUICK[:3]])
    with TrialRunner(data, n_workers=1) as runner:
        result = run_search(strategy, runner, max_trials=None)
    assert [t.candidate for t in result.trials] == QUICK[:3]
    assert strategy.asks == [1, 1, 1, 1]  # ask, run, tell; the last ask finds nothing


def test_max_trials_counts_the_trials_in_flight(data):
    strategy = Scripted([NAP, *QUICK])
    with TrialRunner(data, n_workers=2) as runner:
        result = run_search(strategy, runner, max_trials=3)
    assert len(result.trials) == 3 and result.stop_reason == "max_trials"
    assert NAP in {t.candidate for t in result.trials}  # waited for, not abandoned


def test_the_budget_stops_what_is_in_flight(data):
    strategy = Scripted([NAP, *QUICK])
    budget = Budget(started=time.monotonic(), deadline=time.monotonic() + 2.0, refit=False)
    with TrialRunner(data, budget, n_workers=2) as runner:
        result = run_search(strategy, runner, max_trials=None)
        assert runner.in_flight == 0
    nap = next(t for t in result.trials if t.candidate == NAP)
    assert nap.status == "timeout" and "the time budget ran out" in nap.error
    assert result.stop_reason == "time_budget"


def test_multi_fidelity_runs_in_the_asynchronous_loop(data):
    strategy = Scripted(QUICK)
    with TrialRunner(data, n_workers=2) as runner:
        result = run_search(strategy, runner, max_trials=None, scheduler=SuccessiveHalving(eta=3))
    assert sorted(map(repr, (t.candidate for t in result.trials))) == sorted(map(repr, QUICK))
    full = [t for t in result.trials if t.ok]
    assert len(full) >= 3  # the first eta cheap scores are always promoted
    assert all("low_fidelity_score" in dict(t.meta) for t in full)
    assert {t.status for t in result.trials} <= {"ok", "pruned"}
    assert strategy.told == result.trials


def test_bayes_asks_around_the_points_still_running():
    ctx = BuildContext(n_samples=100, n_features=5, n_classes=2, seed=0)
    strat = BayesStrategy(make_space("fast", ctx), seed=0, n_initial_points=3)
    strat._portfolio = []  # straight to the optimizer
    first = strat.ask(3)
    strat.tell(
        [
            Trial(number=i, candidate=p.candidate, status="ok", test_scores=(0.5 + i / 10,))
            for i, p in enumerate(first)
        ]
    )
    told = list(strat._optimizer.Xi)
    a = strat.ask(1)[0].candidate
    b = strat.ask(1)[0].candidate  # asked while a still runs: a is told as a lie to a copy
    assert a != b
    assert strat._optimizer.Xi == told  # the optimizer itself was told nothing
    assert set(strat._pending) == {a, b}
    strat.tell([Trial(number=3, candidate=a, status="ok", test_scores=(0.9,))])
    assert set(strat._pending) == {b}
    assert len(strat._optimizer.Xi) == 4 and strat._optimizer.yi[-1] == pytest.approx(-0.9)
