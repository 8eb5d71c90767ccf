"""The plots of a fitted search: checked on the axes' data and labels, not pixels."""

import sys
import warnings

import matplotlib
import numpy as np
import pytest
import support.components  # noqa: F401  (registers the test_* components)
from sklearn.base import clone
from sklearn.datasets import load_iris

from skautoml import AutoFineTuneClassifier, MissingDependencyError

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SPACE = {
    "scaler": ["passthrough", "standard_scaler"],
    "transformer": ["passthrough"],
    "classifier": ["test_logreg", "test_boom"],
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _fit(**params):
    X, y = load_iris(return_X_y=True)
    settings = {"time_budget": None, "random_state": 0, "ensemble_size": 1, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failing component's summary warning
        return AutoFineTuneClassifier(**settings).fit(X, y)


@pytest.fixture(scope="module")
def searched():
    return _fit(search="random", search_space=SPACE, max_trials=8)


def _by_label(ax):
    return {c.get_label(): c for c in ax.collections}


def test_history_plots_every_trial_with_the_best_so_far(searched):
    results = searched.cv_results_
    status = results["status"]
    assert (status == "ok").sum() >= 2 and (status == "error").sum() >= 1
    ax = searched.plot_history()
    finished = np.array(results["finished"], dtype=float)
    order = np.argsort(finished, kind="stable")
    scores = results["mean_test_score"][order]
    ok = status[order] == "ok"
    # one coloured set of dots per final model: their places are the trials' times and scores
    dots = _by_label(ax)["test_logreg"].get_offsets()
    np.testing.assert_allclose(dots[:, 0], finished[order][ok])
    np.testing.assert_allclose(dots[:, 1], scores[ok])
    # the best so far is the running maximum of the scores
    (best,) = [line for line in ax.get_lines() if line.get_label() == "best so far"]
    np.testing.assert_allclose(best.get_ydata(), np.fmax.accumulate(np.where(ok, scores, np.nan)))
    # failed trials are marked along the bottom, counted in the legend
    n_failed = int((status == "error").sum())
    failed = _by_label(ax)[f"failed ({n_failed})"].get_offsets()
    np.testing.assert_allclose(failed[:, 0], finished[order][~ok])
    assert ax.get_xlabel() == "seconds since the search began"
    assert ax.get_ylabel() == "CV accuracy"
    assert ax.get_title() == "Search history"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["test_logreg", "best so far", f"failed ({n_failed})"]


def test_history_by_trial_draws_on_the_given_axes(searched):
    _, given = plt.subplots()
    ax = searched.plot_history(x="trial", ax=given)
    assert ax is given
    n = len(searched.cv_results_["status"])
    (best,) = [line for line in ax.get_lines() if line.get_label() == "best so far"]
    np.testing.assert_array_equal(best.get_xdata(), np.arange(1, n + 1))
    assert ax.get_xlabel() == "trials finished"
    with pytest.raises(ValueError, match="x='time' or x='trial'"):
        searched.plot_history(x="epoch")


def test_history_marks_pruned_trials_apart_from_failed_ones(searched):
    est = clone(searched)
    est.__dict__.update(searched.__dict__)
    results = {
        k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in est.cv_results_.items()
    }
    first_ok = int(np.flatnonzero(results["status"] == "ok")[0])
    results["status"][first_ok] = "pruned"
    results["mean_test_score"][first_ok] = np.nan
    est.cv_results_ = results
    labels = _by_label(est.plot_history())
    pruned = labels["pruned (1)"]
    assert pruned.get_offsets()[0, 0] == pytest.approx(float(results["finished"][first_ok]))
    assert pruned.get_paths()  # a marker is drawn
    assert any(label.startswith("failed (") for label in labels)


def test_history_without_finish_times_uses_summed_durations(searched):
    est = clone(searched)
    est.__dict__.update(searched.__dict__)
    est.cv_results_ = {k: v for k, v in searched.cv_results_.items() if k != "finished"}
    ax = est.plot_history()
    (best,) = [line for line in ax.get_lines() if line.get_label() == "best so far"]
    np.testing.assert_allclose(best.get_xdata(), np.cumsum(searched.cv_results_["duration"]))


def test_pareto_front_plot_draws_the_front_over_the_trials():
    space = {"transformer": ["passthrough", "pca"], "classifier": ["test_logreg", "k_neighbors"]}
    est = _fit(
        search="genetic", search_space=space, population_size=4, generations=2, max_trials=10
    )
    ax = est.plot_pareto_front()
    front = est.pareto_front_
    (line,) = [line for line in ax.get_lines() if line.get_label() == "Pareto front"]
    np.testing.assert_array_equal(line.get_xdata(), [p["complexity"] for p in front])
    np.testing.assert_allclose(line.get_ydata(), [p["score"] for p in front])
    ok = est.cv_results_["status"] == "ok"
    dots = _by_label(ax)["trials"].get_offsets()
    np.testing.assert_array_equal(dots[:, 0], est.cv_results_["complexity"][ok])
    np.testing.assert_allclose(dots[:, 1], est.cv_results_["mean_test_score"][ok])
    assert ax.get_xlabel() == "complexity (pipeline steps)"
    assert ax.get_ylabel() == "CV accuracy"


def test_pareto_front_plot_needs_the_genetic_search(searched):
    with pytest.raises(ValueError, match="search='genetic'"):
        searched.plot_pareto_front()


def test_learning_curves_of_a_network_winner():
    est = _fit(search_space={"classifier": ["tabular_net"]}, max_trials=1)
    history = est.best_pipeline_[-1].history_
    ax = est.plot_learning_curves()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"training loss", "validation loss"}
    np.testing.assert_array_equal(lines["training loss"].get_xdata(), history[:, "epoch"])
    np.testing.assert_allclose(lines["training loss"].get_ydata(), history[:, "train_loss"])
    np.testing.assert_allclose(lines["validation loss"].get_ydata(), history[:, "valid_loss"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")
    assert "tabular_net" in ax.get_title()


def test_learning_curves_need_a_network_winner(searched):
    with pytest.raises(ValueError, match="holds no network"):
        searched.plot_learning_curves()


def test_missing_matplotlib_names_the_extra(searched, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependencyError, match=r"matplotlib.*\[plots\]"):
        searched.plot_history()
