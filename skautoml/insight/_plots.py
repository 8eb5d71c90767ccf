"""Plots of a fitted search: its history, its Pareto front, the winner's learning curves.

Each function takes the fitted estimator, draws on ``ax`` (a new figure's
axes when ``None``) and returns the matplotlib ``Axes``. matplotlib is the
optional extra ``plots``; it is imported here only, through
:func:`skautoml._optional.import_optional`.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._optional import import_optional

__all__ = ["plot_history", "plot_learning_curves", "plot_pareto_front"]

#: markers of the trials that gave no score, drawn along the bottom of the axes
_NO_SCORE = {
    "failed": {"marker": "x", "color": "tab:red"},
    "pruned": {"marker": "v", "color": "tab:gray"},
}


def _pyplot():
    return import_optional("matplotlib.pyplot", extra="plots", purpose="plots")


def _axes(ax):
    if ax is not None:
        return ax
    return _pyplot().subplots(figsize=(8, 4.5), layout="constrained")[1]


def _legend(ax) -> None:
    """The legend beside the axes, where it hides no point."""
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _scoring(estimator) -> str:
    scoring = estimator._scoring_used()
    return scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")


def history_table(estimator):
    """The trials in the order they finished: number, seconds, model, status, score.

    Parameters
    ----------
    estimator : AutoFineTuneClassifier or AutoFineTuneRegressor
        A fitted search estimator.

    Returns
    -------
    table : dict of ndarray
        ``trial``, ``seconds`` (since the search began, when the trial
        finished; trials of an earlier run's checkpoint and records without
        the time are placed by their summed durations), ``model`` (the
        final step's component), ``status`` and ``score`` (NaN for trials
        without one), ordered by ``seconds``.
    """
    check_is_fitted(estimator, "cv_results_")
    results = estimator.cv_results_
    n = len(results["status"])
    durations = np.asarray(results["duration"], dtype=float)
    finished = results.get("finished", np.full(n, None, dtype=object))
    seconds = np.array([np.nan if f is None else float(f) for f in finished], dtype=float)
    # no time recorded: a running total of the durations stands in
    seconds = np.where(np.isnan(seconds), np.cumsum(durations), seconds)
    order = np.argsort(seconds, kind="stable")
    model = np.array([p["steps"][-1] if p["steps"] else "" for p in results["params"]])
    return {
        "trial": np.arange(n)[order],
        "seconds": seconds[order],
        "model": model[order],
        "status": np.asarray(results["status"], dtype=object)[order],
        "score": np.asarray(results["mean_test_score"], dtype=float)[order],
    }


def plot_history(estimator, *, x="time", ax=None):
    """Best-so-far score against time or trial number, one colour per model.

    Every successful trial is a dot coloured by its final model (the
    pipeline's last step); the best score so far is a step line. Trials
    without a score are marked along the bottom: failed ones (error,
    timeout, diverged, out of memory) with a red ``x``, pruned ones (cut
    after a cheap evaluation) with a grey triangle.

    Parameters
    ----------
    estimator : AutoFineTuneClassifier or AutoFineTuneRegressor
        A fitted search estimator.
    x : {"time", "trial"}, default="time"
        The horizontal axis: seconds since the search began (when each
        trial finished), or the order in which trials finished.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on.
    """
    if x not in ("time", "trial"):
        raise ValueError(f"x={x!r} is not supported; use x='time' or x='trial'")
    table = history_table(estimator)
    ax = _axes(ax)
    position = table["seconds"] if x == "time" else np.arange(1, len(table["trial"]) + 1)
    ok = table["status"] == "ok"
    for model in dict.fromkeys(table["model"][ok]):
        mine = ok & (table["model"] == model)
        ax.scatter(position[mine], table["score"][mine], label=model, zorder=3)
    if ok.any():
        best = np.fmax.accumulate(np.where(ok, table["score"], np.nan))
        ax.step(position, best, where="post", color="black", label="best so far", zorder=2)
    failed = ~ok & ~np.isin(table["status"], ("pruned", "skipped"))
    pruned = table["status"] == "pruned"
    bottom = ax.get_xaxis_transform()  # x in data, y in axes coordinates
    for name, mask in (("failed", failed), ("pruned", pruned)):
        if mask.any():
            ax.scatter(
                position[mask],
                np.full(mask.sum(), 0.03),
                transform=bottom,
                label=f"{name} ({mask.sum()})",
                zorder=3,
                **_NO_SCORE[name],
            )
    ax.set_xlabel("seconds since the search began" if x == "time" else "trials finished")
    ax.set_ylabel(f"CV {_scoring(estimator)}")
    ax.set_title("Search history")
    _legend(ax)
    return ax


def plot_pareto_front(estimator, *, ax=None):
    """The genetic search's trials: score against complexity, with the front.

    Parameters
    ----------
    estimator : AutoFineTuneClassifier or AutoFineTuneRegressor
        Fitted with ``search="genetic"`` (it has ``pareto_front_``).
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on: every successful trial as a grey dot, the
        non-dominated ones joined by a red step line (simplest first).

    Raises
    ------
    ValueError
        If the estimator was not fitted with ``search="genetic"``.
    """
    check_is_fitted(estimator, "cv_results_")
    front = getattr(estimator, "pareto_front_", None)
    if front is None:
        raise ValueError(
            f"plot_pareto_front needs a search with several objectives; this one was "
            f"search={estimator.search!r}. Fit with search='genetic' to get a Pareto front "
            "(score against complexity)."
        )
    results = estimator.cv_results_
    ok = np.asarray(results["status"], dtype=object) == "ok"
    ax = _axes(ax)
    ax.scatter(
        np.asarray(results["complexity"])[ok],
        np.asarray(results["mean_test_score"], dtype=float)[ok],
        color="tab:gray",
        alpha=0.6,
        label="trials",
    )
    complexity = [p["complexity"] for p in front]
    score = [p["score"] for p in front]
    ax.step(complexity, score, where="post", color="tab:red", marker="o", label="Pareto front")
    ticker = import_optional("matplotlib.ticker", extra="plots", purpose="plots")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # whole steps
    ax.set_xlabel("complexity (pipeline steps)")
    ax.set_ylabel(f"CV {_scoring(estimator)}")
    ax.set_title("Genetic search: score against complexity")
    _legend(ax)
    return ax


def network_history(estimator):
    """The winner's network and its per-epoch history, or a clear error.

    Returns
    -------
    name : str
        The pipeline step that holds the network.
    epochs : list of dict
        skorch's history: one dict per epoch (``train_loss``, and
        ``valid_loss`` when the network kept a validation split).
    """
    check_is_fitted(estimator, "best_pipeline_")
    steps = getattr(estimator.best_pipeline_, "steps", [("model", estimator.best_pipeline_)])
    for name, step in reversed(steps):
        # a regression network sits inside its target transform
        for net in (step, getattr(step, "regressor_", None)):
            history = getattr(net, "history_", None)
            if history is not None and hasattr(history, "to_list"):  # skorch's History
                return name, history.to_list()
    raise ValueError(
        f"the winning pipeline ({estimator.best_candidate_.candidate.describe()}) holds no "
        "network, so it has no learning curves; plot_learning_curves works when a network "
        "wins (see leaderboard() for the networks' trials)."
    )


def plot_learning_curves(estimator, *, ax=None):
    """The winning network's training (and validation) loss by epoch.

    The curves of :attr:`best_pipeline_`'s network as refit on all rows:
    ``train_loss`` per epoch, and ``valid_loss`` when the refit kept a
    validation split.

    Parameters
    ----------
    estimator : AutoFineTuneClassifier or AutoFineTuneRegressor
        A fitted search estimator whose best pipeline ends in a network.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If the best pipeline holds no network.
    """
    name, epochs = network_history(estimator)
    ax = _axes(ax)
    numbers = [row.get("epoch", i + 1) for i, row in enumerate(epochs)]
    for key, label in (("train_loss", "training loss"), ("valid_loss", "validation loss")):
        values = [row.get(key) for row in epochs]
        if any(v is not None for v in values):
            ax.plot(numbers, [np.nan if v is None else v for v in values], marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"Learning curves of the winner's network ({name})")
    ax.legend(fontsize="small")
    return ax
