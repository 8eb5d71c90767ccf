"""The cost model, the hold-out protocol, skipped trials and fair selection."""

import math
import time

import numpy as np
import pytest
import support.components  # noqa: F401  (registers test_nap)
from sklearn.datasets import load_digits
from sklearn.metrics import get_scorer
from support.data import binary_eval_data

from skautoml.evaluation import Budget, CostModel, EvalData, Plan, TrialRunner, run_search
from skautoml.evaluation._cost import LIMIT_MARGIN, fits
from skautoml.evaluation._cv import evaluate_candidate
from skautoml.evaluation._refit import make_splits
from skautoml.records import Trial, TrialStatus, best_trial
from skautoml.space import BuildContext, Candidate, Step, network_workload
from skautoml.strategies._base import Proposal, Strategy

QUICK = [Candidate((Step.make("logistic_regression", {"C": c}),)) for c in (0.1, 1.0)]
NAP = Candidate((Step.make("test_nap", {"seconds": 4.0}),))


class Scripted(Strategy):
    def __init__(self, candidates):
        self.queue = list(candidates)
        self.told = []

    def ask(self, n):
        batch, self.queue = self.queue[:n], self.queue[n:]
        return [Proposal(c) for c in batch]

    def tell(self, trials):
        self.told += list(trials)


class FixedCosts(CostModel):
    """A cost model with the plans given, so the loop's use of them is tested alone."""

    def __init__(self, plans):
        self.plans = plans
        self.observed = []

    def plan(self, candidate):
        return self.plans.get(candidate, Plan("classical"))

    def observe(self, trial):
        self.observed.append(trial)


@pytest.fixture
def data():
    return binary_eval_data(120, n_features=6, n_informative=4)


def digits_images(n_per_class=6):
    X, y = load_digits(return_X_y=True)
    idx = np.concatenate([np.flatnonzero(y == c)[:n_per_class] for c in range(10)])
    X = (X[idx] / 16.0).astype(np.float32)
    y = y[idx]
    ctx = BuildContext(
        n_samples=len(y),
        n_features=64,
        n_classes=10,
        kind="image",
        image_shape=(1, 8, 8),
        backbones=("small_cnn",),
    )
    splits = make_splits(3, X, y, seed=0)
    return EvalData(X, y, splits, get_scorer("accuracy"), ctx)


# -- the loop acts on plans ------------------------------------------------------
def test_a_candidate_predicted_not_to_fit_is_skipped_never_started(data):
    plans = {NAP: Plan("finetune", seconds=500.0, limit=800.0)}
    strategy = Scripted([NAP, *QUICK])
    budget = Budget(started=time.monotonic(), deadline=time.monotonic() + 30.0, refit=False)
    with TrialRunner(data, budget, n_workers=1) as runner:
        t0 = time.monotonic()
        result = run_search(strategy, runner, max_trials=None, cost=FixedCosts(plans))
        took = time.monotonic() - t0
    nap = next(t for t in result.trials if t.candidate == NAP)
    assert nap.status is TrialStatus.SKIPPED and nap.duration == 0.0
    assert "predicted to take 500 s" in nap.error
    assert dict(nap.meta)["kind"] == "finetune" and dict(nap.meta)["predicted_seconds"] == 500.0
    assert nap in strategy.told  # the strategy learns it is out of reach
    assert all(t.ok for t in result.trials if t.candidate in QUICK)
    assert took < 4.0  # the 4 s nap never ran


def test_the_plan_sets_the_trial_limit_and_the_protocol(data):
    plans = {NAP: Plan("finetune", seconds=0.5, limit=1.0)}
    with TrialRunner(data, Budget.unlimited(), n_workers=1) as runner:
        result = run_search(Scripted([NAP]), runner, max_trials=None, cost=FixedCosts(plans))
    (nap,) = result.trials
    assert nap.status is TrialStatus.TIMEOUT and nap.stop_cause == "trial_limit"

    plans = {QUICK[0]: Plan("small_cnn", seconds=0.5, limit=60.0, folds=1)}
    with TrialRunner(data, Budget.unlimited(), n_workers=1) as runner:
        result = run_search(Scripted(QUICK), runner, max_trials=None, cost=FixedCosts(plans))
    holdout, full = result.trials
    assert len(holdout.test_scores) == 1 and dict(holdout.meta)["protocol"] == "holdout"
    assert len(full.test_scores) == len(data.splits) and dict(full.meta)["protocol"] == "cv"


# -- the hold-out protocol gives no edge -----------------------------------------
def test_the_holdout_scores_exactly_the_first_cv_split(data):
    # the same model on the same rows: the cheaper protocol sees no easier rows
    candidate = QUICK[1]
    full = evaluate_candidate(candidate, data)
    holdout = evaluate_candidate(candidate, data, folds=1)
    assert holdout.protocol == "holdout" and full.protocol == "cv"
    assert holdout.test_scores == full.test_scores[:1]


def _trial(number, scores, protocol):
    return Trial(number, QUICK[0], TrialStatus.OK, tuple(scores), meta=(("protocol", protocol),))


def test_selection_compares_protocols_on_the_rows_both_scored():
    # cross-validated: an easy first split (0.95) and harder ones; mean 0.90
    cv = _trial(0, (0.95, 0.88, 0.87), "cv")
    # a hold-out 0.93 beats the cv mean, but not the cv trial on the same rows
    assert best_trial([cv, _trial(1, (0.93,), "holdout")]) is cv
    # it wins only by beating the cv champion's first split
    better = _trial(1, (0.96,), "holdout")
    assert best_trial([cv, better]) is better
    # a tie on the shared rows goes to the earlier trial
    assert best_trial([cv, _trial(1, (0.95,), "holdout")]) is cv
    # within one protocol, the mean decides, as always
    cv2 = _trial(2, (0.90, 0.93, 0.93), "cv")
    assert best_trial([cv, cv2]) is cv2


# -- the cost model itself ----------------------------------------------------------
def test_classical_candidates_are_predicted_from_earlier_trials_only(data):
    model = CostModel(data, threads=1, time_budget=60)
    plan = model.plan(QUICK[0])
    assert plan == Plan("classical")
    model.observe(Trial(0, QUICK[1], TrialStatus.OK, (0.9, 0.8), duration=3.0))  # 2 splits
    plan = model.plan(QUICK[0])  # same component
    assert plan.seconds == pytest.approx(3.0) and plan.limit is None and plan.folds is None
    assert fits(plan, now=0.0, deadline=1.0)  # a classical prediction never skips


def test_networks_are_planned_from_measured_throughput():
    data = digits_images()
    cnn = Candidate((Step.make("small_cnn", {"max_epochs": 8}),))
    assert network_workload(cnn.steps[0], data.ctx).kind == "small_cnn"
    roomy = CostModel(data, threads=1, time_budget=3600).plan(cnn)
    assert roomy.kind == "small_cnn" and roomy.folds is None and roomy.protocol == "cv"
    assert 0 < roomy.seconds < roomy.limit
    tight = CostModel(data, threads=1, time_budget=0.5).plan(cnn)
    assert tight.folds == 1 and tight.protocol == "holdout"  # cv would cost too much
    assert tight.seconds == pytest.approx(roomy.seconds / len(data.splits))
    assert tight.limit > LIMIT_MARGIN * tight.seconds
    assert not fits(tight, now=0.0, deadline=tight.seconds / 2)
    assert fits(tight, now=0.0, deadline=tight.seconds * 2)


def test_more_epochs_and_pixels_cost_more():
    data = digits_images(150)  # enough rows that the small-data schedule keeps the epochs
    model = CostModel(data, threads=1, time_budget=3600)

    def seconds(**params):
        return model.plan(Candidate((Step.make("small_cnn", params),))).seconds

    assert seconds(max_epochs=8) < seconds(max_epochs=40)
    assert seconds(resolution=16) < seconds(resolution=32)
    assert seconds(width=16) < seconds(width=64)
    assert math.isfinite(seconds())


def test_no_prediction_for_networks_on_a_gpu():
    data = digits_images()
    data.ctx = type(data.ctx)(**{**data.ctx.__dict__, "device": "cuda"})
    cnn = Candidate((Step.make("small_cnn", {"max_epochs": 8}),))
    plan = CostModel(data, threads=1, time_budget=1).plan(cnn)
    assert plan.kind == "small_cnn" and plan.limit is None and plan.folds is None


def test_the_progress_bar_shows_the_running_kind_and_its_cost(capsys):
    from skautoml._progress import Progress

    with Progress(1, None, 60) as progress:
        progress.started(Plan("finetune", seconds=18.2, limit=40.0, folds=1))
        progress.update(Trial(0, QUICK[0], TrialStatus.OK, (0.9,)))
    err = capsys.readouterr().err
    assert "running=finetune holdout ~18 s" in err and "best=0.9000" in err


# -- grace past the search deadline, and the refit of image networks -------------
class _GraceRunner:
    budget = Budget(started=0.0, deadline=100.0, refit=True)

    def __init__(self):
        self.stopped = []

    def stop_by(self, ticket, when):
        self.stopped.append((ticket, when))


def test_a_network_runs_past_the_search_deadline_only_if_the_refit_still_fits():
    from skautoml.evaluation._search import _Loop

    runner = _GraceRunner()
    loop = _Loop(None, runner, None, None, None, None, None, None)
    # the best so far needs (2 + 1.5 * 10) / 1.5 s to refit: the cut-off is 100 - 11.33
    loop.trials.append(Trial(0, QUICK[0], TrialStatus.OK, (0.9,), fit_time=10.0))
    cutoff = 100.0 - runner.budget.refit_estimate(loop.trials[0]) / 1.5
    loop.graced = {1: (80.0, 5.0), 2: (80.0, 20.0), 3: (80.0, None)}
    assert loop._grace() == {1}  # predicted to end at 85: kept, stopped by the cut-off
    assert runner.stopped == [(1, pytest.approx(cutoff))]


def test_an_image_network_is_refit_for_its_best_epoch_count():
    from skautoml.evaluation import Job
    from skautoml.evaluation._jobs import run_job

    data = digits_images(10)
    cnn = Candidate((Step.make("small_cnn", {"max_epochs": 8, "width": 16}),))
    result = evaluate_candidate(cnn, data, folds=1)
    assert result.ok and 1 <= result.best_epoch <= len(result.curve)
    refit = run_job(Job(cnn, "refit", epochs=3), data)
    net = refit.pipeline[-1]
    assert len(net.history) == 3  # exactly that many epochs, on every row
    assert "valid_loss" not in net.history[-1]  # no validation split, no early stopping


def test_the_refit_reserve_of_an_image_network_scales_with_its_best_epoch():
    budget = Budget(started=0.0, deadline=100.0)
    plain = Trial(0, QUICK[0], TrialStatus.OK, (0.9,), fit_time=10.0)
    early = plain.with_meta(best_epoch=5, epochs=20)
    assert budget.refit_estimate(early) - 2.0 == pytest.approx(
        (budget.refit_estimate(plain) - 2.0) / 4
    )


def test_a_backbone_that_cannot_be_timed_runs_unplanned(monkeypatch):
    import skautoml.nets

    def broken(*args, **kwargs):
        raise RuntimeError("no such kernel")

    monkeypatch.setattr(skautoml.nets, "image_step_seconds", broken)
    data = digits_images()
    cnn = Candidate((Step.make("small_cnn", {"max_epochs": 8}),))
    plan = CostModel(data, threads=1, time_budget=60).plan(cnn)
    assert plan.kind == "small_cnn" and plan.seconds is None and plan.limit is None
