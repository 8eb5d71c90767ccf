"""Ensembles of trials against the single best pipeline and against the field.

Two parts:

``--choose-default``
    How ``ensemble_size`` got its default. On *development* splits (stratified
    75/25 with ``random_state=1``, never the reported split's 0), each size in
    ``--sizes`` is fitted with ``time_budget=--dev-budget`` and seeds
    ``--dev-seeds``; the mean test accuracy per size goes to
    ``benchmarks/results/ensemble_sizes.csv`` and the doc. The default is the
    smallest size within 0.1 point of the best mean.

the field run (the default)
    The field benchmark's protocol (``bench_field.py``: 75/25 split with
    ``random_state=0``, each run a fresh subprocess, accuracy on the 25 %) at
    60 s for ``skautoml-bayes`` (ensembles on, the default), ``skautoml-bayes-ens1``
    (``ensemble_size=1``), the peers and scikit-learn's defaults, seeds 0, 1
    and 2. Rows go to ``benchmarks/results/ensembles.csv``; the table and the
    targets to ``docs/benchmarks.md`` between ``<!-- ensembles:start -->`` and
    ``<!-- ensembles:end -->``.

``--check-splits``
    skautoml's defaults against scikit-learn's default logistic regression on
    several 75/25 splits (``--splits``, ``random_state`` of each; 0 is the
    reported split) of ``--datasets``, seeds ``--seeds``: how much of a gap on
    the reported split is that split's draw. Rows go to
    ``benchmarks/results/split_check.csv``, the table to the doc between
    ``<!-- split-check:start -->`` and ``<!-- split-check:end -->``. Nothing is
    chosen from it.

``--jobs 2`` runs two runs at a time; every run (skautoml and peers alike) is
then given one core (``n_jobs=1``, one BLAS thread). The doc says which.

    bash benchmarks/setup_peers.sh                       # FLAML and TPOT venvs
    .venv/bin/python benchmarks/bench_ensemble.py --choose-default --jobs 2
    .venv/bin/python benchmarks/bench_ensemble.py --jobs 2
    .venv/bin/python benchmarks/bench_ensemble.py --check-splits --datasets pima --jobs 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import bench_field as field  # noqa: E402

OUT = HERE / "results" / "ensembles.csv"
SIZES_OUT = HERE / "results" / "ensemble_sizes.csv"
CV_OUT = HERE / "results" / "cv_choice.csv"
START, END = "<!-- ensembles:start -->", "<!-- ensembles:end -->"
SIZES_START, SIZES_END = "<!-- ensemble-sizes:start -->", "<!-- ensemble-sizes:end -->"
CV_START, CV_END = "<!-- cv-choice:start -->", "<!-- cv-choice:end -->"
SPLITS_OUT = HERE / "results" / "split_check.csv"
SPLITS_START, SPLITS_END = "<!-- split-check:start -->", "<!-- split-check:end -->"
TOOLS = [
    "skautoml-bayes",
    "skautoml-bayes-ens1",
    "flaml",
    "tpot",
    "sklearn-hgb",
    "sklearn-logreg",
    "sklearn-rf",
]
DATASETS = ["digits", "breast_cancer", "wine", "mnist", "pima", "credit"]
DEV_DATASETS = ["breast_cancer", "wine", "pima", "iris", "digits"]

#: one core per run, so that two runs at a time do not share a core's threads
_ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _run_grid(jobs_list, workers: int, run):
    """Run ``run(item)`` for every item, ``workers`` at a time, yielding results."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(run, jobs_list)


# --------------------------------------------------------------------------- sizes


def _dev_child(spec: str) -> int:
    """One development fit (a subprocess): print its test accuracy as JSON."""
    import warnings

    import numpy as np
    from _run_peer import DATASETS as LOADERS
    from sklearn.model_selection import train_test_split

    from skautoml import AutoFineTuneClassifier

    args = json.loads(spec)
    X, y = LOADERS[args["dataset"]]()
    X = np.asarray(X, dtype=float)
    split = args.get("split", 1)  # the development split unless told
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=split)
    params = dict(args["params"])
    if isinstance(params.get("cv"), str):  # "3x2": 3 folds, repeated twice
        from sklearn.model_selection import RepeatedStratifiedKFold

        folds, repeats = (int(v) for v in params["cv"].split("x"))
        params["cv"] = RepeatedStratifiedKFold(
            n_splits=folds, n_repeats=repeats, random_state=args["seed"]
        )
    clf = AutoFineTuneClassifier(time_budget=args["budget"], random_state=args["seed"], **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X_tr, y_tr)
        accuracy = float(np.mean(clf.predict(X_te) == y_te))
    out = {"test_accuracy": accuracy, "members": len(clf.ensemble_)}
    if args.get("reference"):  # the peer skautoml misses on pima, on the same split
        from sklearn.linear_model import LogisticRegression

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out["logreg"] = float(LogisticRegression().fit(X_tr, y_tr).score(X_te, y_te))
    print(json.dumps(out), flush=True)
    return 0


def _dev_rows(args, name: str, values: list) -> list[dict]:
    """One development fit per data set, seed and value of the estimator
    parameter ``name``; rows with the test accuracy under the key ``name``."""
    items = [(ds, seed, v) for seed in args.dev_seeds for ds in DEV_DATASETS for v in values]

    def run(item):
        ds, seed, value = item
        spec = {"dataset": ds, "seed": seed, "params": {name: value}, "budget": args.dev_budget}
        return {"dataset": ds, "seed": seed, name: value, **_dev_run(spec)}

    return list(_run_grid(items, args.jobs, run))


def _dev_run(spec: dict) -> dict:
    """One :func:`_dev_child` fit in a subprocess with one core; its printed result."""
    cmd = [sys.executable, str(Path(__file__)), "--_dev", json.dumps(spec)]
    out = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **_ONE_CORE}, cwd=ROOT
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"test_accuracy": math.nan, "members": 0}
    print(json.dumps({**spec, **result}), flush=True)
    return result


def check_splits(args) -> None:
    """skautoml (the defaults, ``--budget`` s) against scikit-learn's default
    logistic regression on several 75/25 splits (``--splits``) of
    ``--datasets``: how much of the reported split's gap is that split's draw.
    Nothing is chosen from it."""
    items = [
        (ds, split, seed) for ds in args.datasets for split in args.splits for seed in args.seeds
    ]

    def run(item):
        ds, split, seed = item
        spec = {"dataset": ds, "seed": seed, "params": {}, "budget": args.budget}
        spec.update(split=split, reference=True)
        return {"dataset": ds, "split": split, "seed": seed, **_dev_run(spec)}

    rows = list(_run_grid(items, args.jobs, run))
    fields = ["dataset", "split", "seed", "test_accuracy", "logreg", "members"]
    field.write_csv(SPLITS_OUT, rows, fields)
    lines = [
        SPLITS_START,
        f"skautoml's defaults ({args.budget} s, seeds {', '.join(map(str, args.seeds))}, one "
        f"core each, {args.jobs} at a time) against scikit-learn's default `LogisticRegression` on "
        f"stratified 75/25 splits with `random_state` {', '.join(map(str, args.splits))} (0 is "
        "the reported split). Command: `.venv/bin/python benchmarks/bench_ensemble.py "
        f"--check-splits --datasets {','.join(args.datasets)} --splits "
        f"{','.join(map(str, args.splits))} --seeds {','.join(map(str, args.seeds))} "
        f"--jobs {args.jobs}`; rows: `benchmarks/results/split_check.csv`.",
        "",
        "| data set | split | skautoml (mean over seeds) | logreg | skautoml - logreg |",
        "|---|---|---|---|---|",
    ]
    for ds in args.datasets:
        means = []
        for split in args.splits:
            mine = [r for r in rows if r["dataset"] == ds and r["split"] == split]
            ours = _mean([r["test_accuracy"] for r in mine])
            ref = _mean([r.get("logreg", math.nan) for r in mine])
            means.append((ours, ref))
            lines.append(f"| {ds} | {split} | {ours:.4f} | {ref:.4f} | {_points(ours - ref)} |")
        ours, ref = _mean([m[0] for m in means]), _mean([m[1] for m in means])
        lines.append(f"| {ds} | **mean** | {ours:.4f} | {ref:.4f} | {_points(ours - ref)} |")
    lines.append(SPLITS_END)
    field.write_section("\n".join(lines), SPLITS_START, SPLITS_END, "Ensembles of trials")


def _dev_table(args, rows, name: str, values: list, command: str, header=None) -> tuple:
    """The doc lines of a development comparison (the first column headed
    ``header``, default ``name``), and the mean per value."""
    means = {v: _mean([r["test_accuracy"] for r in rows if r[name] == v]) for v in values}
    lines = [
        f"Development splits (`random_state=1`, not the reported split), "
        f"{args.dev_budget:g} s per fit, seeds {', '.join(map(str, args.dev_seeds))}, "
        f"data sets {', '.join(DEV_DATASETS)}; {args.jobs} run(s) at a time. Command: "
        f"`.venv/bin/python benchmarks/bench_ensemble.py {command} --jobs {args.jobs}`.",
        "",
        f"| {header or name} | " + " | ".join(DEV_DATASETS) + " | mean |",
        "|---|" + "---|" * (len(DEV_DATASETS) + 1),
    ]
    for value in values:
        cells = [
            _mean([r["test_accuracy"] for r in rows if r[name] == value and r["dataset"] == d])
            for d in DEV_DATASETS
        ]
        lines.append(
            f"| {value} | " + " | ".join(f"{c:.4f}" for c in cells) + f" | {means[value]:.4f} |"
        )
    return lines, means


def choose_cv(args) -> None:
    """The folds of every trial (``--cvs``, e.g. cv=3 against cv=5, or 3
    folds against 3 folds repeated twice: ``3x2``) on the development splits."""
    rows = _dev_rows(args, "cv", args.cvs)
    field.write_csv(CV_OUT, rows, ["dataset", "seed", "cv", "test_accuracy", "members"])
    command = (
        f"--choose-cv --cvs {','.join(map(str, args.cvs))} --dev-budget {args.dev_budget:g} "
        f"--dev-seeds {','.join(map(str, args.dev_seeds))}"
    )
    lines, means = _dev_table(args, rows, "cv", args.cvs, command)
    section = "\n".join([CV_START, *lines, CV_END])
    field.write_section(section, CV_START, CV_END, "Choosing the folds")
    print(f"means {means}", flush=True)


def choose_default(args) -> None:
    rows = _dev_rows(args, "ensemble_size", args.sizes)
    for row in rows:  # the CSV's column is "size"
        row["size"] = row.pop("ensemble_size")
    field.write_csv(SIZES_OUT, rows, ["dataset", "seed", "size", "test_accuracy", "members"])
    table, means = _dev_table(
        args, rows, "size", args.sizes, "--choose-default", header="ensemble_size"
    )
    best = max(means.values())
    chosen = min(s for s, m in means.items() if m >= best - 0.001)
    lines = [SIZES_START, *table]
    lines += [
        "",
        f"The smallest size within 0.1 point of the best mean: **{chosen}**.",
        SIZES_END,
    ]
    field.write_section("\n".join(lines), SIZES_START, SIZES_END, "Choosing ensemble_size")
    print(f"chosen default: {chosen} (means {means})", flush=True)


def _points(difference: float) -> str:
    """A difference of accuracies in points; under the CSV's rounding it is 0."""
    return f"{100 * difference:+.2f}" if abs(difference) >= 1e-4 else "+0.00"


def _at_least(a: float, b: float) -> bool:
    """``a >= b`` for means of accuracies the CSV keeps to 4 decimals: a
    difference under 0.0001 is that rounding (on digits, 1,333 of 1,350 test
    rows over three seeds both ways read back as 0.98740 and 0.98743)."""
    return a >= b - 1e-4


def _mean(values) -> float:
    values = [float(v) for v in values if v not in ("", None) and not math.isnan(float(v))]
    return sum(values) / len(values) if values else math.nan


# --------------------------------------------------------------------------- field


def run_field(args) -> None:
    os.environ.update(_ONE_CORE)  # inherited by every run's subprocess
    rows = field.read_csv(OUT) if args.append else []
    done = {field._key(r) for r in rows if r["status"] == "ok"}
    items = [
        (tool, ds, seed)
        for seed in args.seeds
        for ds in args.datasets
        for tool in args.tools
        if f"{tool}:{ds}" not in args.skip
        and field._key(
            {
                "tool": tool,
                "dataset": ds,
                "budget_s": "" if tool in field.SKLEARN else args.budget,
                "seed": seed,
            }
        )
        not in done
    ]
    skip: dict[str, str] = {}

    def run(item):
        tool, ds, seed = item
        row = field.execute(tool, ds, args.budget, seed, skip)
        print(
            json.dumps(
                {
                    k: row[k]
                    for k in (
                        "tool",
                        "dataset",
                        "seed",
                        "status",
                        "test_accuracy",
                        "single_accuracy",
                        "fit_seconds",
                    )
                }
            ),
            flush=True,
        )
        return row

    for row in _run_grid(items, args.jobs, run):
        rows = [r for r in rows if field._key(r) != field._key(row)] + [row]
        field.write_csv(OUT, rows)
        write_doc(rows, args)


def write_doc(rows: list[dict], args) -> None:
    ok = [r for r in rows if r["status"] == "ok"]

    def acc(tool, ds, key="test_accuracy"):
        return _mean([r[key] for r in ok if r["tool"] == tool and r["dataset"] == ds])

    def count(tool, ds):
        return len([r for r in ok if r["tool"] == tool and r["dataset"] == ds])

    seeds = sorted({str(r["seed"]) for r in ok})
    peers = [t for t in TOOLS if not t.startswith("skautoml")]
    lines = [
        START,
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.jobs} run(s) at a time, each with one core (`n_jobs=1`, one BLAS thread). "
        f"Protocol of the field benchmark (75/25 split, `random_state=0`), "
        f"{args.budget} s, mean test accuracy over seeds {', '.join(seeds)} "
        "(the number of runs in brackets when a run failed or is missing). "
        "Command: `bash benchmarks/setup_peers.sh && .venv/bin/python "
        f"benchmarks/bench_ensemble.py --jobs {args.jobs}`; rows: "
        "`benchmarks/results/ensembles.csv`.",
        "",
        f"Not run: {', '.join(sorted(args.skip)) or 'nothing'} (TPOT did not finish "
        "within 300 s at seed 0 in the field benchmark on these sets).",
        "",
        "- **ensemble**: `skautoml-bayes` (default `ensemble_size`); **its single best**: "
        "`best_pipeline_` of the same fit; **ensembles off**: a separate run with "
        "`ensemble_size=1`; **best peer**: the best mean of FLAML, TPOT and scikit-learn's "
        "defaults.",
        "",
        "| data set | ensemble | its single best | ensembles off | best peer | "
        "ensemble - off | ensemble - best peer | fit wall (s, max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    n_seeds = len(seeds)
    for ds in [d for d in DATASETS if any(r["dataset"] == d for r in ok)]:
        ens, single = acc("skautoml-bayes", ds), acc("skautoml-bayes", ds, "single_accuracy")
        off = acc("skautoml-bayes-ens1", ds)
        peer_means = [(acc(t, ds), t) for t in peers if not math.isnan(acc(t, ds))]
        best_peer = max(peer_means, default=(math.nan, ""))
        walls = [
            float(r["fit_seconds"])
            for r in ok
            if r["tool"].startswith("skautoml") and r["dataset"] == ds
        ]

        def cell(value, tool, ds=ds):
            n = count(tool, ds)
            return f"{value:.4f}" + (f" ({n})" if n != n_seeds else "")

        lines.append(
            f"| {ds} | {cell(ens, 'skautoml-bayes')} | {single:.4f} "
            f"| {cell(off, 'skautoml-bayes-ens1')} | {best_peer[0]:.4f} ({best_peer[1]}) "
            f"| {_points(ens - off)} | {_points(ens - best_peer[0])} "
            f"| {max(walls, default=math.nan):.1f} |"
        )
        vs_off, vs_peer = _at_least(ens, off), _at_least(ens, best_peer[0])
        verdicts.append(
            f"- {ds}: ensemble {'>=' if vs_off else '<'} ensembles off "
            f"({'met' if vs_off else 'MISSED'}); "
            f"{'>=' if vs_peer else '<'} best peer "
            f"({'met' if vs_peer else 'MISSED'})"
        )
    walls = [float(r["fit_seconds"]) for r in ok if r["tool"].startswith("skautoml")]
    if walls:
        over = sum(w > args.budget + 3 for w in walls)
        verdicts.append(
            f"- fit returns within {args.budget + 3} s at time_budget={args.budget}: longest "
            f"{max(walls):.1f} s, {over} of {len(walls)} runs over "
            f"({'met' if not over else 'MISSED'})"
        )
    lines += ["", "Targets, computed from these rows:", "", *verdicts, END]
    field.write_section("\n".join(lines), START, END, "Ensembles of trials")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--choose-default", action="store_true")
    p.add_argument("--choose-cv", action="store_true", help="the folds of every trial, development")
    p.add_argument(
        "--cvs",
        default="3,5",
        help="values of cv: an int (shuffled stratified folds) or KxR (K folds "
        "repeated R times, RepeatedStratifiedKFold seeded with the fit's seed)",
    )
    p.add_argument("--sizes", default="1,10,25,50")
    p.add_argument("--dev-seeds", default="0,1")
    p.add_argument("--dev-budget", type=float, default=20)
    p.add_argument("--tools", default=",".join(TOOLS))
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--budget", type=int, default=60)
    p.add_argument("--jobs", type=int, default=1, help="runs at a time")
    p.add_argument("--append", action="store_true", help="keep the rows of earlier runs")
    p.add_argument(
        "--skip",
        default="tpot:digits,tpot:mnist",
        help="tool:dataset pairs not run (default: TPOT where it was killed after 300 s "
        "at seed 0 in the field benchmark)",
    )
    p.add_argument("--doc-only", action="store_true")
    p.add_argument(
        "--check-splits", action="store_true", help="skautoml against logreg on several splits"
    )
    p.add_argument("--splits", default="0,1,2,3,4", help="random_state of each 75/25 split")
    p.add_argument("--_dev", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._dev:
        return _dev_child(args._dev)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.cvs = [int(s) if s.isdigit() else s for s in args.cvs.split(",")]
    args.dev_seeds = [int(s) for s in args.dev_seeds.split(",")]
    args.tools = args.tools.split(",")
    args.datasets = args.datasets.split(",")
    args.seeds = [int(s) for s in args.seeds.split(",")]
    args.skip = {s for s in args.skip.split(",") if s}
    args.splits = [int(s) for s in args.splits.split(",")]
    started = time.time()
    if args.choose_default:
        choose_default(args)
    elif args.choose_cv:
        choose_cv(args)
    elif args.check_splits:
        check_splits(args)
    elif args.doc_only:
        write_doc(field.read_csv(OUT), args)
    else:
        run_field(args)
    print(f"done in {time.time() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
