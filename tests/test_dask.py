"""Trials on a real Dask cluster (LocalCluster on loopback, 2 worker processes)."""

import warnings

import joblib
import numpy as np
import pytest
import support.components  # noqa: F401  (registers the test_* components)

from skautoml import AutoFineTuneClassifier

distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed")


#: what distributed's LocalCluster sets in the process that starts it, and
#: leaves set (so later tests' searches, and the notebook tests' kernels,
#: would run one thread per worker)
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@pytest.fixture(scope="module")
def client():
    import os

    import dask

    saved = {var: os.environ.get(var) for var in THREAD_VARS}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        with distributed.Client(cluster) as dask_client:
            yield dask_client
        cluster.close()
    for var, value in saved.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value


SPACE = {
    "scaler": ["passthrough", "standard_scaler"],
    "transformer": ["passthrough"],
    "classifier": ["test_logreg", "k_neighbors"],
}


def test_trials_run_on_the_cluster_workers(client, small_data):
    X, y = small_data
    clf = AutoFineTuneClassifier(
        search="random", max_trials=6, cv=2, n_jobs=2, random_state=0, search_space=SPACE
    )
    with joblib.parallel_backend("dask"):
        clf.fit(X, y)
    workers = set(clf.cv_results_["worker"])
    assert workers <= set(client.scheduler_info()["workers"])
    assert len(workers) == 2  # two trials in flight, spread over both workers
    assert np.all(clf.cv_results_["status"] == "ok")
    # size and latency come back from the cluster's workers
    assert np.all(clf.cv_results_["size_bytes"] > 0)
    assert np.all(clf.cv_results_["predict_ms_per_row"] > 0)
    # the same trials as without Dask
    local = AutoFineTuneClassifier(
        search="random", max_trials=6, cv=2, n_jobs=2, random_state=0, search_space=SPACE
    ).fit(X, y)
    # (trials are numbered as they finish, so compare candidate by candidate)
    assert _scores(clf) == _scores(local)


def test_a_killed_worker_costs_one_trial(client, small_data):
    X, y = small_data
    space = {**SPACE, "classifier": ["test_suicide", "test_logreg"]}
    clf = AutoFineTuneClassifier(
        search="random", max_trials=4, cv=2, n_jobs=2, random_state=0, search_space=space
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with joblib.parallel_backend("dask"):
            clf.fit(X, y)
    status = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["status"]))
    errors = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["error"]))
    assert status["test_suicide"] == "error"
    assert "KilledWorker" in errors["test_suicide"]
    assert "ok" in set(clf.cv_results_["status"])
    assert clf.score(X, y) > 0.5


def _scores(clf) -> dict:
    """Mean score per candidate (its parameters, which name every step)."""
    params = [repr(sorted(p.items())) for p in clf.cv_results_["params"]]
    return dict(zip(params, clf.cv_results_["mean_test_score"]))


def test_weighted_regression_runs_on_the_cluster(client):
    """The regressor's trials, and the weights with them, reach the Dask workers."""
    from sklearn.datasets import make_regression

    from skautoml import AutoFineTuneRegressor

    X, y = make_regression(n_samples=80, n_features=4, noise=5.0, random_state=0)
    w = np.linspace(0.5, 2.0, 80)

    def weighted_only(estimator, X, y, sample_weight=None):
        return 1.0 if sample_weight is not None and len(sample_weight) == len(y) else -1.0

    space = {"regressor": ["ridge", "k_neighbors_regressor"]}
    reg = AutoFineTuneRegressor(
        search="random", max_trials=4, cv=2, n_jobs=2, random_state=0, search_space=space
    )
    with joblib.parallel_backend("dask"):
        reg.fit(X, y, sample_weight=w)
    assert set(reg.cv_results_["worker"]) <= set(client.scheduler_info()["workers"])
    assert np.all(reg.cv_results_["status"] == "ok")
    assert reg.search_report_["left_out"] == {
        "k_neighbors_regressor": "its fit takes no sample_weight"
    }
    # r2 on the weighted rows, as the workers scored it
    with joblib.parallel_backend("dask"):
        scored = AutoFineTuneRegressor(
            search="random",
            max_trials=2,
            cv=2,
            n_jobs=2,
            random_state=0,
            search_space=space,
            scoring=weighted_only,
        ).fit(X, y, sample_weight=w)
    assert list(scored.cv_results_["mean_test_score"]) == [1.0, 1.0]
