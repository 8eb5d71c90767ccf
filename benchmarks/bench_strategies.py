"""Genetic vs Bayesian vs random search at the same time budget.

Protocol: each dataset (those of ``bench_baselines.py``: digits,
breast_cancer, wine) is split 75/25, stratified, ``random_state=0``;
``AutoFineTuneClassifier`` with the default search space and the default
strategy parameters is fitted on the 75 % with each strategy and each seed,
and scored (accuracy) on the 25 %. Results go to
``benchmarks/results/strategies.csv`` and the table between the markers in
``docs/search.md``.

    python benchmarks/bench_strategies.py [--time-budget 60] [--seeds 0 1 2] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine}
STRATEGIES = ("genetic", "bayes", "random")
START, END = "<!-- strategies:start -->", "<!-- strategies:end -->"


def run(budget: float, seeds: list[int], n_jobs: int) -> list[dict]:
    rows = []
    for name, loader in DATASETS.items():
        X, y = loader(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        for search in STRATEGIES:
            for seed in seeds:
                model = AutoFineTuneClassifier(
                    search=search, time_budget=budget, random_state=seed, n_jobs=n_jobs
                )
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X_tr, y_tr)
                wall = time.perf_counter() - started
                generations = model.cv_results_.get("generation")
                row = {
                    "dataset": name,
                    "search": search,
                    "seed": seed,
                    "test_accuracy": round(model.score(X_te, y_te), 4),
                    "cv_score": round(model.best_score_, 4),
                    "trials": model.n_trials_,
                    "generations": int(max(generations)) + 1 if generations is not None else "",
                    "wall_seconds": round(wall, 1),
                    "best_pipeline": model.best_candidate_.candidate.describe(),
                }
                print(row, flush=True)
                rows.append(row)
    return rows


def table(rows: list[dict], budget: float, n_jobs: int, command: str) -> str:
    lines = [
        START,
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; `time_budget={budget:g}` s per fit, "
        f"`n_jobs={n_jobs}`, default search space and strategy parameters; "
        f"command: `{command}`.",
        "",
        "| dataset | search | test accuracy, mean ± sd | per seed | trials, mean | per seed |",
        "|---|---|---|---|---|---|",
    ]
    for dataset in DATASETS:
        for search in STRATEGIES:
            cell = [r for r in rows if r["dataset"] == dataset and r["search"] == search]
            if not cell:
                continue
            acc = [r["test_accuracy"] for r in cell]
            trials = [r["trials"] for r in cell]
            sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
            lines.append(
                f"| {dataset} | {search} | {statistics.mean(acc):.4f} ± {sd:.4f} | "
                f"{' / '.join(f'{a:.4f}' for a in acc)} | {statistics.mean(trials):.1f} | "
                f"{' / '.join(str(t) for t in trials)} |"
            )
    lines.append(END)
    return "\n".join(lines)


def write(rows: list[dict], budget: float, n_jobs: int, command: str) -> str:
    out = ROOT / "benchmarks" / "results" / "strategies.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    block = table(rows, budget, n_jobs, command)
    doc = ROOT / "docs" / "search.md"
    text = doc.read_text() if doc.exists() else "# Search strategies\n\n"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## Benchmark\n\n" + block + "\n"
    doc.write_text(text)
    return block


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=60.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    command = (
        f"python benchmarks/bench_strategies.py --time-budget {args.time_budget:g} "
        f"--seeds {' '.join(map(str, args.seeds))} --n-jobs {args.n_jobs}"
    )
    rows = run(args.time_budget, args.seeds, args.n_jobs)
    print(write(rows, args.time_budget, args.n_jobs, command))


if __name__ == "__main__":
    main()
