"""Searches that survive: checkpoints, Ctrl-C, dying workers, memory, leftovers."""

import contextlib
import glob
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import warnings

import numpy as np
import psutil
import pytest
import support.components  # noqa: F401  (registers the test_* components)

from skautoml import AllTrialsFailedError, AutoFineTuneClassifier, SearchWarning
from skautoml.exceptions import TrialFailedWarning

SPACE = {
    "scaler": ["passthrough", "standard_scaler", "robust_scaler"],
    "transformer": ["passthrough"],
    "classifier": ["test_logreg", "k_neighbors"],
}


def est(**kwargs):
    params = dict(search="random", max_trials=3, cv=2, random_state=0, search_space=SPACE)
    params.update(kwargs)
    return AutoFineTuneClassifier(**params)


@contextlib.contextmanager
def ctrl_c_after(seconds):
    """Send this process SIGINT after ``seconds``, as a user's Ctrl-C would.

    SIGINT raises KeyboardInterrupt inside the block even when the process
    inherited it ignored (a run started in the background by a
    non-interactive shell: Python then keeps it ignored, and the Ctrl-C
    tests would see nothing happen, or wait for good).
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Give this module's fits a temporary folder no other process uses."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def leftovers():
    """Temporary folders and worker processes of ours still alive."""
    folders = glob.glob(os.path.join(tempfile.gettempdir(), "skautoml-*"))
    workers = []
    for proc in psutil.Process().children(recursive=True):
        try:
            cmdline = " ".join(proc.cmdline())
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.NoSuchProcess:
            continue
        # multiprocessing's own servers live for the session, by design
        if "forkserver" in cmdline or "resource_tracker" in cmdline:
            continue
        workers.append(cmdline)
    return folders, workers


def records(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh.read().splitlines()]


def test_checkpoint_resume_runs_nothing_twice_and_matches_a_full_run(small_data, tmp_path):
    X, y = small_data
    path = tmp_path / "search.jsonl"
    est(max_trials=3, checkpoint=str(path)).fit(X, y)
    lines = records(path)
    assert lines[0]["kind"] == "skautoml-checkpoint" and len(lines) == 4

    resumed = est(max_trials=6, checkpoint=str(path)).fit(X, y)
    assert len(records(path)) == 7  # three new trials appended, none repeated
    assert list(resumed.cv_results_["resumed"][:3]) == [True] * 3
    full = est(max_trials=6).fit(X, y)
    assert resumed.cv_results_["params"] == full.cv_results_["params"]
    np.testing.assert_array_equal(
        resumed.cv_results_["mean_test_score"], full.cv_results_["mean_test_score"]
    )


def test_a_resumed_bayesian_search_proposes_what_a_full_run_proposes(small_data, tmp_path):
    # past the 8 initial points the surrogate proposes, each kernel fit warm
    # started from the last: the replayed tells must rebuild that chain
    X, y = small_data
    path = tmp_path / "search.jsonl"
    est(search="bayes", max_trials=10, checkpoint=str(path)).fit(X, y)
    resumed = est(search="bayes", max_trials=14, checkpoint=str(path)).fit(X, y)
    assert sum(bool(r) for r in resumed.cv_results_["resumed"]) == 10
    full = est(search="bayes", max_trials=14).fit(X, y)
    assert resumed.cv_results_["params"] == full.cv_results_["params"]


@pytest.mark.parametrize(
    "before, after",
    [({}, {"n_jobs": 2}), ({"random_state": None}, {"random_state": None})],
    ids=["other_n_jobs", "no_seed"],
)
def test_resume_that_leaves_the_recorded_path_runs_nothing_twice(
    small_data, tmp_path, before, after
):
    # another n_jobs, or no fixed seed, proposes other candidates than the
    # recorded run: its records are told to the strategy, never run again
    X, y = small_data
    path = tmp_path / "search.jsonl"
    first = est(search="bayes", max_trials=4, checkpoint=str(path), **before).fit(X, y)
    recorded = [r["candidate"] for r in records(path)[1:]]
    assert len(recorded) == 4
    resumed = est(search="bayes", max_trials=8, checkpoint=str(path), **after).fit(X, y)
    lines = records(path)[1:]
    assert len(lines) == 8  # four new trials, none of the four recorded ones again
    candidates = [json.dumps(r["candidate"], sort_keys=True) for r in lines]
    assert len(set(candidates)) == 8
    assert sum(bool(r) for r in resumed.cv_results_["resumed"]) == 4
    assert resumed.n_trials_ == 8 and first.n_trials_ == 4


def test_checkpoint_from_another_version_is_refused(small_data, tmp_path):
    X, y = small_data
    path = tmp_path / "search.jsonl"
    est(max_trials=2, checkpoint=str(path)).fit(X, y)
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["version"] = "0.0.1"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.raises(ValueError, match=r"made by skautoml 0\.0\.1.*resume='force'"):
        est(max_trials=3, checkpoint=str(path)).fit(X, y)
    forced = est(max_trials=3, checkpoint=str(path), resume="force").fit(X, y)
    assert forced.n_trials_ == 3
    assert sum(bool(r) for r in forced.cv_results_["resumed"]) == 2


def test_truncated_last_line_is_tolerated_and_reported(small_data, tmp_path):
    X, y = small_data
    path = tmp_path / "search.jsonl"
    est(max_trials=2, checkpoint=str(path)).fit(X, y)
    with open(path, "a") as fh:
        fh.write('{"number": 2, "candid')  # a process killed mid-write
    with pytest.warns(SearchWarning, match="truncated"):
        clf = est(max_trials=3, checkpoint=str(path)).fit(X, y)
    assert clf.n_trials_ == 3
    assert len(records(path)) == 4  # header + 3 whole records, the fragment is gone


def test_checkpoint_from_other_settings_is_refused_unless_forced(small_data, tmp_path):
    X, y = small_data
    path = tmp_path / "search.jsonl"
    est(max_trials=2, checkpoint=str(path)).fit(X, y)
    with pytest.raises(ValueError, match="resume='force'"):
        est(max_trials=2, cv=3, checkpoint=str(path)).fit(X, y)
    forced = est(max_trials=3, cv=3, checkpoint=str(path), resume="force").fit(X, y)
    assert forced.n_trials_ == 3 and list(forced.cv_results_["resumed"][:2]) == [True, True]
    fresh = est(max_trials=2, cv=3, checkpoint=str(path), resume=False).fit(X, y)
    assert fresh.n_trials_ == 2 and len(records(path)) == 3


def test_a_file_that_is_not_a_checkpoint_is_refused(small_data, tmp_path):
    X, y = small_data
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n")
    with pytest.raises(ValueError, match="not a skautoml checkpoint"):
        est(checkpoint=str(path)).fit(X, y)


def test_ctrl_c_keeps_the_best_so_far_and_leaves_nothing(small_data):
    X, y = small_data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough"],
        "classifier": ["test_logreg", "test_sleeper"],
    }
    clf = est(max_trials=None, time_budget=120, trial_time_limit=100, search_space=space)
    with ctrl_c_after(6.0), pytest.warns(SearchWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.search_report_["stop_reason"] == "interrupted"
    assert clf.search_report_["total_seconds"] < 60
    assert clf.best_pipeline_[-1].__class__.__name__ == "LogisticRegression"
    assert clf.score(X, y) > 0.5
    assert leftovers() == ([], [])


def _first_fold_fit(X, y, scaler):
    """A fit whose one candidate hangs when refit on all rows: the estimator
    falls back on its first-fold model (checked here)."""
    space = {"scaler": [scaler], "transformer": ["passthrough"]}
    space["classifier"] = ["test_slow_refit"]
    clf = est(max_trials=1, time_budget=20, trial_time_limit=15, search_space=space)
    with pytest.warns(SearchWarning, match="first CV fold"):
        clf.fit(X, y)
    assert clf.search_report_["refit_source"] == "first_fold"
    return clf


def test_a_refit_that_overruns_falls_back_on_the_first_fold_model(small_data):
    X, y = small_data
    clf = _first_fold_fit(X, y, scaler="passthrough")
    report = clf.search_report_
    assert report["total_seconds"] < 20 + 3  # the budget holds: no refit outside it
    model = clf.best_pipeline_[-1]
    assert model.__class__.__name__ == "SlowOnAllRows"
    assert model.coef_.shape[1] == X.shape[1]  # fitted, on a fold's rows
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.score(X, y) > 0.5
    assert leftovers() == ([], [])


def test_the_first_fold_fallback_holds_no_trace_of_the_search(small_data):
    # a two-step candidate: during the search its prefix is cached in a
    # temporary folder (Pipeline.memory) that is gone once fit returns; the
    # first-fold model the user gets must not point there, so it pickles and
    # exports like any refit pipeline
    X, y = small_data
    clf = _first_fold_fit(X, y, scaler="standard_scaler")
    assert len(clf.best_pipeline_.steps) == 2
    assert clf.best_pipeline_.memory is None
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    source = clf.export()
    assert "Memory" not in source and "SlowOnAllRows" in source
    assert leftovers() == ([], [])


def test_the_first_fold_fallback_exports_a_script_that_predicts_the_same(small_data, tmp_path):
    """The estimator predicts with a model fitted on the first fold's rows; its
    script trains on those same rows (a FoldBag of one fold), not on all."""
    import importlib.util

    X, y = small_data
    clf = _first_fold_fit(X, y, scaler="standard_scaler")
    path = tmp_path / "first_fold.py"
    source = clf.export(path)
    assert "FoldBag(" in source and "n_folds=1" in source
    assert "trains it on the first CV fold's training rows" in source
    spec = importlib.util.spec_from_file_location("first_fold_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    # SlowOnAllRows hangs when trained on every row: this returns because
    # the script, like the estimator, trains on the first fold's rows only
    model = script.make_pipeline().fit(X, y)
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), rtol=1e-9)
    assert leftovers() == ([], [])


def test_ctrl_c_during_the_refit_keeps_the_first_fold_model(small_data):
    X, y = small_data
    space = {"scaler": ["passthrough"], "transformer": ["passthrough"]}
    space["classifier"] = ["test_slow_refit"]
    clf = est(max_trials=1, time_budget=None, search_space=space)
    # the trial takes a second; the refit would hang for good without Ctrl-C
    with (
        ctrl_c_after(20.0),
        pytest.warns(SearchWarning, match="Ctrl-C during the refit.*first CV fold"),
    ):
        clf.fit(X, y)
    assert clf.search_report_["refit_source"] == "first_fold"
    assert clf.best_pipeline_[-1].__class__.__name__ == "SlowOnAllRows"
    assert clf.score(X, y) > 0.5
    assert leftovers() == ([], [])


def test_a_refit_that_finishes_is_reported_as_such(small_data):
    X, y = small_data
    clf = est(max_trials=2).fit(X, y)
    assert clf.search_report_["refit_source"] == "refit"


def test_a_script_without_a_main_guard_runs(tmp_path):
    # workers must not re-run the user's script: with no ``if __name__ ==
    # "__main__":`` guard, each one would call fit again and die
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from sklearn.datasets import make_classification\n"
        "from skautoml import AutoFineTuneClassifier\n"
        "X, y = make_classification(n_samples=80, n_features=5, random_state=0)\n"
        "clf = AutoFineTuneClassifier(search='random', max_trials=2, cv=2,\n"
        "                             search_space='fast', random_state=0, time_budget=None)\n"
        "clf.fit(X, y)\n"
        "print('STATUS', *clf.cv_results_['status'])\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "STATUS ok ok" in done.stdout


def test_budget_running_out_mid_batch_keeps_the_best_so_far(small_data):
    X, y = small_data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough"],
        "classifier": ["test_logreg", "test_sleeper"],
    }
    # no per-trial limit to speak of: only the budget stops the sleeper
    clf = est(max_trials=None, time_budget=25, trial_time_limit=100, n_jobs=2, search_space=space)
    with pytest.warns(SearchWarning, match="time budget ran out while 1 trial"):
        clf.fit(X, y)
    errors = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["error"]))
    assert "the time budget ran out" in errors["test_sleeper"]
    assert clf.best_pipeline_[-1].__class__.__name__ == "LogisticRegression"
    assert clf.search_report_["stop_reason"] == "time_budget"
    assert leftovers() == ([], [])


def test_a_dying_worker_costs_its_trial_only(small_data):
    X, y = small_data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough"],
        "classifier": ["test_suicide", "test_logreg"],
    }
    with pytest.warns(TrialFailedWarning):
        clf = est(max_trials=4, search_space=space).fit(X, y)
    errors = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["error"]))
    assert "worker process died (killed by signal SIGKILL)" in errors["test_suicide"]
    assert "ok" in set(clf.cv_results_["status"])


def test_memory_limit_stops_a_hog_as_memout(small_data):
    X, y = small_data
    space = {
        "scaler": ["passthrough"],
        "transformer": ["passthrough"],
        "classifier": ["test_hog", "test_logreg"],
    }
    with pytest.warns(TrialFailedWarning):
        clf = est(max_trials=4, memory_limit=512, search_space=space).fit(X, y)
    status = dict(zip(clf.cv_results_["pipeline"], clf.cv_results_["status"]))
    assert status["test_hog"] == "memout"
    assert status["test_logreg"] == "ok"


def test_no_leftovers_after_an_error(small_data):
    X, y = small_data
    space = {"scaler": ["passthrough"], "transformer": ["passthrough"], "classifier": ["test_boom"]}
    with pytest.raises(AllTrialsFailedError):
        est(max_trials=2, search_space=space).fit(X, y)
    assert leftovers() == ([], [])


def test_no_leftovers_after_a_fit(small_data):
    X, y = small_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est().fit(X, y)
    assert leftovers() == ([], [])
