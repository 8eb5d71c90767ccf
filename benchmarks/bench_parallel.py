"""Parallel speed-up: trials per minute with ``n_jobs=2`` against ``n_jobs=1``.

The same fixed amount of work (``--trials`` trials, no time budget) is run
with one and with two workers, one after the other in one run, and the ratio
of trials per minute of search is reported (search = the ``fit`` minus the
final refit). With random search both runs evaluate exactly the same
candidates (random search learns nothing from results), so the ratio is the
loop's and the workers' doing alone; with bayes and genetic search the
candidates differ between the runs, and the ratio also carries that.

Every fit runs in a fresh subprocess (so each pays the worker start-up once,
as a user's first ``fit`` does), on the standard protocol: stratified 75/25
split, ``random_state=0``, the rest of the training rows for the search.

    python benchmarks/bench_parallel.py [--trials 24] [--datasets digits,breast_cancer]
        [--searches random,bayes,genetic] [--repeats 1]

Writes ``benchmarks/results/parallel.csv`` and ``parallel.md``, and puts the
table between ``<!-- parallel:start -->`` and ``<!-- parallel:end -->`` in
``docs/benchmarks.md`` (``--no-doc`` leaves the docs alone).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "docs", "benchmarks.md")
START, END = "<!-- parallel:start -->", "<!-- parallel:end -->"

CHILD = r"""
import json, sys, time, warnings
from sklearn import datasets
from sklearn.model_selection import train_test_split
from skautoml import AutoFineTuneClassifier

name, search, n_jobs, trials = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
X, y = getattr(datasets, "load_" + name)(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
clf = AutoFineTuneClassifier(
    search=search, max_trials=trials, time_budget=None, n_jobs=n_jobs, random_state=0
)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf.fit(Xtr, ytr)
wall = time.perf_counter() - t0
report = clf.search_report_
search_s = wall - report["refit_seconds"]
busy = float(sum(clf.cv_results_["duration"]))
print(json.dumps({
    "trials": clf.n_trials_,
    "fit_s": wall,
    "search_s": search_s,
    "trial_s": busy,
    "strategy_s": report["strategy_seconds"],
    "boot_s": report["worker_boot_seconds"],
    "test_accuracy": float(clf.score(Xte, yte)),
}))
"""


def run_one(dataset: str, search: str, n_jobs: int, trials: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, dataset, search, str(n_jobs), str(trials)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{dataset}/{search}/n_jobs={n_jobs} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=24)
    p.add_argument("--datasets", default="digits,breast_cancer")
    p.add_argument("--searches", default="random,bayes,genetic")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--out", default=os.path.join(HERE, "results", "parallel"))
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--doc-only", action="store_true", help="rewrite the tables from the CSV")
    p.add_argument(
        "--append", action="store_true", help="keep the CSV's rows of other datasets/searches"
    )
    args = p.parse_args()
    rows = []
    if (args.doc_only or args.append) and os.path.exists(args.out + ".csv"):
        with open(args.out + ".csv") as fh:
            rows = [_typed(r) for r in csv.DictReader(fh)]
    if args.doc_only:
        return _write(rows, args)
    ran = {(d, s) for d in args.datasets.split(",") for s in args.searches.split(",")}
    rows = [r for r in rows if (r["dataset"], r["search"]) not in ran]
    for dataset in args.datasets.split(","):
        for search in args.searches.split(","):
            for repeat in range(args.repeats):
                for n_jobs in (1, 2):
                    r = run_one(dataset, search, n_jobs, args.trials)
                    r.update(dataset=dataset, search=search, n_jobs=n_jobs, repeat=repeat)
                    r["trials_per_min"] = 60 * r["trials"] / r["search_s"]
                    # the worker server's boot is paid once per Python process
                    r["trials_per_min_warm"] = 60 * r["trials"] / (r["search_s"] - r["boot_s"])
                    # share of the two workers' time spent inside trials
                    r["worker_busy"] = r["trial_s"] / (n_jobs * (r["search_s"] - r["boot_s"]))
                    rows.append(r)
                    print(json.dumps(r), flush=True)
                _write(rows, args)


def _typed(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        try:
            out[k] = int(v) if k in ("trials", "n_jobs", "repeat") else float(v)
        except ValueError:
            out[k] = v
    if not out.get("trials_per_min_warm"):  # CSVs written before the column
        out["trials_per_min_warm"] = 60 * out["trials"] / (out["search_s"] - out["boot_s"])
    return out


def _partner(rows, r) -> dict:
    """The n_jobs=1 row of the same dataset, search and repeat."""
    key = (r["dataset"], r["search"], r["repeat"])
    return next(
        o for o in rows if o["n_jobs"] == 1 and (o["dataset"], o["search"], o["repeat"]) == key
    )


def _fill_speedups(rows) -> None:
    for r in rows:
        if r["n_jobs"] != 2:
            continue
        one = _partner(rows, r)
        r["speedup"] = r["trials_per_min"] / one["trials_per_min"]
        r["speedup_warm"] = r["trials_per_min_warm"] / one["trials_per_min_warm"]


def _write(rows, args) -> None:
    _fill_speedups(rows)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    keys = [
        "dataset",
        "search",
        "repeat",
        "n_jobs",
        "trials",
        "search_s",
        "trials_per_min",
        "speedup",
        "trials_per_min_warm",
        "speedup_warm",
        "worker_busy",
        "strategy_s",
        "boot_s",
        "fit_s",
        "test_accuracy",
    ]
    with open(args.out + ".csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()})
    datasets = ",".join(dict.fromkeys(r["dataset"] for r in rows))
    searches = ",".join(dict.fromkeys(r["search"] for r in rows))
    command = (
        f"python benchmarks/bench_parallel.py --trials {args.trials} --datasets {datasets} "
        f"--searches {searches}"
    )
    lines = [
        f"Command: `{command}`. {args.trials} trials per fit; {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Trials/min over the "
        "whole search, and (after the slash) without the worker server's boot, which a "
        "Python process pays once, on its first fit. `busy` = share of the workers' time "
        "(after the boot) spent in trials.",
        "",
        "| dataset | search | n_jobs=1 trials/min | n_jobs=2 trials/min | speed-up "
        "| busy (1 / 2) | strategy s (1 / 2) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["n_jobs"] != 2:
            continue
        one = _partner(rows, r)
        lines.append(
            f"| {r['dataset']} | {r['search']} "
            f"| {one['trials_per_min']:.1f} / {one['trials_per_min_warm']:.1f} "
            f"| {r['trials_per_min']:.1f} / {r['trials_per_min_warm']:.1f} "
            f"| **{r['speedup']:.2f}x / {r['speedup_warm']:.2f}x** "
            f"| {one['worker_busy']:.0%} / {r['worker_busy']:.0%} "
            f"| {one['strategy_s']:.1f} / {r['strategy_s']:.1f} |"
        )
    table = "\n".join(lines) + "\n"
    with open(args.out + ".md", "w") as fh:
        fh.write(table)
    if not args.no_doc and os.path.exists(DOC):
        with open(DOC) as fh:
            doc = fh.read()
        if START in doc and END in doc:
            head, rest = doc.split(START, 1)
            with open(DOC, "w") as fh:
                fh.write(head + START + "\n" + table + END + rest.split(END, 1)[1])


if __name__ == "__main__":
    main()
