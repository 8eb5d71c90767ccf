"""Workers' thread counts: the usable cores shared out, capped by OMP_NUM_THREADS."""

import os

import numpy as np
import pytest
import support.components  # noqa: F401  (registers test_one_thread)

import skautoml.evaluation._cost as cost
from skautoml import AutoFineTuneClassifier
from skautoml.evaluation import usable_cores, worker_threads


@pytest.fixture
def four_cores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(cost, "usable_cores", lambda: 4)


def test_cores_are_shared_out_among_the_workers(four_cores):
    assert [worker_threads(n) for n in (1, 2, 3, 4, 8)] == [4, 2, 1, 1, 1]
    assert cost.n_workers(-1) == 4 and cost.n_workers(-2) == 3 and cost.n_workers(None) == 1


@pytest.mark.parametrize(
    ("value", "threads"), [("1", 1), ("3", 3), ("8", 4), ("2,1", 2), ("", 4), ("x", 4), ("0", 4)]
)
def test_omp_num_threads_caps_each_worker(four_cores, monkeypatch, value, threads):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert worker_threads(1) == threads
    assert worker_threads(2) == min(2, threads)
    assert cost.n_workers(-1) == 4  # a cap on threads, not on processes


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs CPU affinity and at least two usable cores",
)
def test_usable_cores_follow_the_cpu_affinity(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        assert usable_cores() == 1 and worker_threads(1) == 1  # os.cpu_count() would not see it
    finally:
        os.sched_setaffinity(0, allowed)
    assert 1 <= usable_cores() <= len(allowed)


def test_a_worker_keeps_the_callers_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    X = np.random.default_rng(0).random((40, 3))
    y = np.array([0, 1] * 20)
    clf = AutoFineTuneClassifier(
        search_space={"classifier": ["test_one_thread"]},
        max_trials=1,
        time_budget=None,
        cv=2,
        n_jobs=1,
        random_state=0,
    ).fit(X, y)
    assert clf.cv_results_["status"] == ["ok"]
