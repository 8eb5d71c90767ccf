"""AutoFineTuneClassifier at a time budget against scikit-learn defaults.

Protocol: each dataset is split 75/25, stratified, ``random_state=0``; every
model is fitted on the 75 % and scored (accuracy) on the 25 %. Wall time is
the whole ``fit``. Results go to ``benchmarks/results/baselines.csv`` and the
table between the markers in ``docs/benchmarks.md``.

    python benchmarks/bench_baselines.py [--time-budget 60] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine}


def run(budget: float, seed: int) -> list[dict]:
    rows = []
    for name, loader in DATASETS.items():
        X, y = loader(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        models = {
            "HistGradientBoosting (defaults)": HistGradientBoostingClassifier(),
            "LogisticRegression (defaults)": LogisticRegression(),
            f"skautoml bayes, {budget:g} s": AutoFineTuneClassifier(
                time_budget=budget, random_state=seed
            ),
        }
        for label, model in models.items():
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X_tr, y_tr)
            wall = time.perf_counter() - started
            row = {
                "dataset": name,
                "model": label,
                "test_accuracy": round(model.score(X_te, y_te), 4),
                "wall_seconds": round(wall, 1),
                "trials": getattr(model, "n_trials_", ""),
                "best_pipeline": (
                    model.best_candidate_.candidate.describe()
                    if hasattr(model, "best_candidate_")
                    else ""
                ),
            }
            print(row, flush=True)
            rows.append(row)
    return rows


def write(rows: list[dict], budget: float) -> None:
    out = ROOT / "benchmarks" / "results" / "baselines.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "<!-- baselines:start -->",
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; budget {budget:g} s; "
        "command: `python benchmarks/bench_baselines.py`.",
        "",
        "| dataset | model | test accuracy | wall time (s) | trials | best pipeline |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['test_accuracy']:.4f} | "
            f"{r['wall_seconds']} | {r['trials']} | {r['best_pipeline']} |"
        )
    lines.append("<!-- baselines:end -->")
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    start, end = "<!-- baselines:start -->", "<!-- baselines:end -->"
    block = "\n".join(lines)
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n## Against scikit-learn defaults\n\n" + block + "\n"
    doc.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = run(args.time_budget, args.seed)
    write(rows, args.time_budget)


if __name__ == "__main__":
    main()
