"""The figures of the user guide's "Plots and feature importance" section.

Runs four small searches on data that ships with scikit-learn and writes:

- ``docs/img/search_history.png``: ``plot_history()`` of a 30 s Bayes search
  on breast_cancer (75/25 split, random_state=0) with an added pure-noise
  column;
- ``docs/img/pareto_front.png``: ``plot_pareto_front()`` of a 30 s genetic
  search on the same rows;
- ``docs/img/learning_curves.png``: ``plot_learning_curves()`` of a
  ``tabular_net`` winner on the same rows;
- ``docs/img/occlusion_digits.png``: ``feature_importance()`` (an occlusion
  map) of a model searched on scikit-learn's 8 x 8 digits;
- ``benchmarks/results/doc_figures.md``: the command, the searches' scores
  and the feature-importance table behind the figures.

Usage::

    python benchmarks/doc_figures.py
"""

from __future__ import annotations

import platform
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skautoml import AutoFineTuneClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
RESULTS = ROOT / "benchmarks" / "results" / "doc_figures.md"


def _cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X["noise"] = np.random.RandomState(0).normal(size=len(X))
    return train_test_split(X, y, random_state=0, stratify=y)


def _save(ax, name: str) -> str:
    path = IMG / name
    ax.figure.savefig(path, dpi=90)
    plt.close(ax.figure)
    return f"docs/img/{name}"


def main() -> None:
    warnings.simplefilter("ignore")
    IMG.mkdir(parents=True, exist_ok=True)
    X_train, X_test, y_train, y_test = _cancer()
    lines = [
        "# Figures of the user guide (plots and feature importance)",
        "",
        "Command: `python benchmarks/doc_figures.py`",
        f"Run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        "2 cores, no GPU.",
        "",
    ]

    bayes = AutoFineTuneClassifier(time_budget=30, random_state=0).fit(X_train, y_train)
    figure = _save(bayes.plot_history(), "search_history.png")
    lines += [
        f"## {figure}",
        "",
        f"Bayes search, 30 s, breast_cancer + a noise column: {bayes.n_trials_} trials, "
        f"best CV accuracy {bayes.best_score_:.4f}, test accuracy "
        f"{bayes.score(X_test, y_test):.4f}.",
        "",
        "Its `feature_importance(X_test, y_test, n_repeats=10, random_state=0)` "
        "(the ten first rows and the noise column):",
        "",
    ]
    table = bayes.feature_importance(X_test, y_test, n_repeats=10, random_state=0)
    shown = table.head(10)
    if "noise" not in shown.index:
        shown = pd.concat([shown, table.loc[["noise"]]])
    lines += [shown.round(4).to_markdown(), ""]
    rank = list(table.index).index("noise") + 1
    lines += [f"The noise column ranks {rank} of {len(table)}.", ""]
    smooth = bayes.feature_importance(
        X_test, y_test, n_repeats=10, random_state=0, scoring="neg_log_loss"
    )
    rank = list(smooth.index).index("noise") + 1
    lines += [
        'With `scoring="neg_log_loss"` (the ten first rows and the noise column):',
        "",
        pd.concat([smooth.head(10), smooth.loc[["noise"]]]).round(4).to_markdown(),
        "",
        f"The noise column ranks {rank} of {len(smooth)}.",
        "",
    ]

    genetic = AutoFineTuneClassifier(
        search="genetic", population_size=10, time_budget=30, random_state=0
    ).fit(X_train, y_train)
    figure = _save(genetic.plot_pareto_front(), "pareto_front.png")
    lines += [
        f"## {figure}",
        "",
        f"Genetic search, 30 s: {genetic.n_trials_} trials, {len(genetic.pareto_front_)} "
        "on the Pareto front:",
        "",
        "| complexity | CV accuracy | pipeline |",
        "|---|---|---|",
        *(
            f"| {p['complexity']} | {p['score']:.4f} | {p['pipeline']} |"
            for p in genetic.pareto_front_
        ),
        "",
    ]

    net = AutoFineTuneClassifier(
        search_space={"classifier": ["tabular_net"]}, max_trials=1, time_budget=None, random_state=0
    ).fit(X_train, y_train)
    figure = _save(net.plot_learning_curves(), "learning_curves.png")
    epochs = len(net.best_pipeline_[-1].history_)
    lines += [
        f"## {figure}",
        "",
        f"One `tabular_net` trial: {epochs} epochs in its refit, CV accuracy "
        f"{net.best_score_:.4f}.",
        "",
    ]

    X, y = load_digits(return_X_y=True)
    images = X.reshape(-1, 8, 8)
    digits = AutoFineTuneClassifier(time_budget=30, random_state=0).fit(images[:1200], y[:1200])
    drops = digits.feature_importance(images[1200:], y[1200:])
    fig, ax = plt.subplots(figsize=(4, 3.5), layout="constrained")
    shown = ax.imshow(drops, cmap="magma")
    fig.colorbar(shown, ax=ax, label="accuracy drop")
    ax.set_title("Occlusion map, digits")
    figure = _save(ax, "occlusion_digits.png")
    lines += [
        f"## {figure}",
        "",
        f"Digits (8 x 8, first 1,200 images searched 30 s, the other {len(y) - 1200} "
        f"scored): winner {digits.best_candidate_.candidate.describe()}, test accuracy "
        f"{digits.score(images[1200:], y[1200:]):.4f}. Accuracy drop per 2 x 2 patch:",
        "",
        "```",
        np.array2string(drops[::2, ::2], precision=3),
        "```",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(RESULTS.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
