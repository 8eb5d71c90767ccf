"""The one budget object: deadlines, per-trial limits, the refit reserve."""

import pytest

from skautoml.evaluation import Budget
from skautoml.records import StopCause, Trial, TrialStatus
from skautoml.space import Candidate, Step

CAND = Candidate((Step.make("logistic_regression", {"C": 1.0}),))


def trial(number, score, fit_time):
    return Trial(number, CAND, TrialStatus.OK, (score,), fit_time=fit_time)


def test_a_trial_gets_a_third_of_the_budget_unless_told_otherwise():
    assert Budget.start(60, now=0.0).trial_limit == pytest.approx(20.0)
    assert Budget.start(60, 5, now=0.0).trial_limit == 5.0
    unlimited = Budget.start(None, now=0.0)
    assert unlimited.deadline is None and unlimited.trial_limit is None


def test_the_reserve_scales_the_best_trials_fit_to_all_rows():
    budget = Budget.start(60, train_fraction=0.5, now=100.0)
    trials = [trial(0, 0.9, 4.0), trial(1, 0.8, 10.0)]
    # the best (0.9), not the slowest: 2 s start-up + 1.5 x 4 s / 0.5
    assert budget.reserve(trials) == pytest.approx(2.0 + 12.0)
    assert budget.search_deadline(trials) == pytest.approx(160.0 - 14.0)
    assert budget.reserve([]) == pytest.approx(2.0)
    no_refit = Budget(started=0.0, deadline=10.0, refit=False)
    assert no_refit.search_deadline([trial(0, 0.9, 4.0)]) == 10.0


def test_a_job_stops_at_the_earlier_limit_with_its_cause():
    budget = Budget.start(60, 10, now=0.0)
    assert budget.stop_at(55.0, now=0.0) == (10.0, StopCause.TRIAL_LIMIT)
    assert budget.stop_at(55.0, now=50.0) == (55.0, StopCause.BUDGET)
    # the refit has no trial limit, only the deadline it is given
    assert budget.stop_at(60.0, now=50.0, refit=True) == (60.0, StopCause.BUDGET)
    assert Budget.unlimited().stop_at(None) == (None, None)


def test_ensembles_keep_back_a_little_more_but_never_a_tiny_budget():
    trials = [trial(0, 0.9, 4.0)]
    plain = Budget.start(60, train_fraction=0.5, now=0.0)
    ensemble = Budget.start(60, train_fraction=0.5, now=0.0, ensemble=True)
    assert ensemble.reserve(trials) == pytest.approx(plain.reserve(trials) + 2.0)
    # at most 5 % of the budget: a 4 s budget keeps 0.2 s for the ensemble
    tiny = Budget.start(4, now=0.0, ensemble=True)
    assert tiny.reserve([]) == pytest.approx(2.0 + 0.2)
