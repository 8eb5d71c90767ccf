"""Bayesian search: the surrogate's cost against the quality of what it finds.

For each dataset and seed, the same Bayesian search (25 trials, ``cv=3``, the
``"classical"`` preset, ``n_jobs=1``, no time budget) runs once per setting of
``skautoml.strategies._bayes`` (``N_RESTARTS`` kernel-fit restarts,
``N_POINTS`` points sampled per ask, ``WARM_START``: each kernel fit starts
from the last one's hyperparameters), back to back. Reported: the strategy's
own seconds (ask/tell, from ``search_report_``) and the best CV score found.
Quality is the search's own objective (the CV score), not a test split.

    python benchmarks/bench_bayes_settings.py
    python benchmarks/bench_bayes_settings.py --settings 2:2000,0:1000,0:500 --seeds 0,1,2
    python benchmarks/bench_bayes_settings.py --settings 0:1000:cold,0:1000:warm \
        --trials 40 --tag bayes-warm --out benchmarks/results/bayes_warm.csv

A setting is ``restarts:points`` (cold kernel fits, as before the warm start
existed) or ``restarts:points:warm``/``:cold``, optionally with ``:N``: the
surrogate fitted on at most N told points (``GP_MAX_POINTS``).

Writes ``benchmarks/results/bayes_settings.csv`` (``--out``) and the table
between ``<!-- bayes:start -->`` and ``<!-- bayes:end -->`` (``--tag``) in
``docs/benchmarks.md``.

``--encoding`` times the strategy alone instead, with no workers: the same
seeded strategy over the ``"classical"`` space is asked and told N trials
(fixed scores from a hash of each candidate), once per variant of its parts
(``VARIANTS``: scikit-optimize's own one-hot encoder and Gaussian process, the
numpy encoding, and this tree's), and each variant's proposals are compared
with skopt's. Writes ``benchmarks/results/bayes_encoding.csv`` and the
table between ``<!-- bayes-encoding:start -->`` and ``<!-- bayes-encoding:end -->``.

    python benchmarks/bench_bayes_settings.py --encoding

``--queue`` measures what the optimizer's kept surrogates cost in memory
(``MODEL_QUEUE``: skopt's default keeps every one, this tree the last): the
strategy alone, driven like ``--encoding`` in a fresh process per run for
``--queue-trials``; writes ``benchmarks/results/bayes_queue.csv`` and the
table between ``<!-- bayes-queue:start -->`` and ``<!-- bayes-queue:end -->``.

    python benchmarks/bench_bayes_settings.py --queue --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_field import write_section  # noqa: E402

FIELDS = [
    "dataset",
    "seed",
    "restarts",
    "points",
    "warm",
    "cap",
    "best_cv",
    "strategy_s",
    "trials",
]


def _child(spec: str) -> int:
    """One search in a fresh process (the settings are module constants)."""
    import warnings

    from _run_peer import DATASETS

    import skautoml.strategies._bayes as bayes
    from skautoml import AutoFineTuneClassifier

    args = json.loads(spec)
    bayes.N_RESTARTS, bayes.N_POINTS = args["restarts"], args["points"]
    bayes.WARM_START = bool(args["warm"])
    bayes.GP_MAX_POINTS = args.get("cap")
    X, y = DATASETS[args["dataset"]]()  # scikit-learn's sets, and pima, credit
    clf = AutoFineTuneClassifier(
        search="bayes",
        max_trials=args["trials"],
        time_budget=None,
        cv=3,
        search_space="classical",
        random_state=args["seed"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    out = {**args, "best_cv": clf.best_score_}
    out["strategy_s"] = clf.search_report_["strategy_seconds"]
    print(json.dumps(out), flush=True)
    return 0


def _parse_setting(text: str) -> tuple:
    """``restarts:points[:warm|cold[:cap]]`` -> (restarts, points, warm, cap or "")."""
    parts = text.split(":")
    warm = parts[2] if len(parts) > 2 else "cold"
    cap = parts[3] if len(parts) > 3 else ""
    return parts[0], parts[1], warm, cap


def _setting(row: dict) -> tuple:
    warm = "warm" if str(row.get("warm", "0")) in ("1", "True") else "cold"
    cap = row.get("cap")
    if cap not in (None, ""):  # the surrogate fitted on at most cap points
        warm = f"{warm} : {int(cap)} points"
    return (int(row["restarts"]), int(row["points"]), warm)


def markdown(rows: list[dict], command: str) -> str:
    settings = list(dict.fromkeys(_setting(r) for r in rows))
    trials = "/".join(sorted({str(r["trials"]) for r in rows}))
    datasets = ", ".join(dict.fromkeys(r["dataset"] for r in rows))
    lines = [
        f"Bayesian search, {trials} trials, `cv=3`, the `classical` preset, on {datasets}; "
        f"best CV score and the strategy's own seconds per run (`{command}`).",
        "",
        "| setting (restarts : points : kernel fit [: fitted on]) | runs | mean best CV "
        "| mean strategy s | strategy s / first setting "
        "| best CV equal to first setting's (4 decimals) |",
        "|---|---|---|---|---|---|",
    ]
    first = {(r["dataset"], r["seed"]): r for r in rows if _setting(r) == settings[0]}
    base_s = sum(float(r["strategy_s"]) for r in first.values()) / max(len(first), 1)
    for restarts, points, warm in settings:
        mine = [r for r in rows if _setting(r) == (restarts, points, warm)]
        cv = sum(float(r["best_cv"]) for r in mine) / len(mine)
        seconds = sum(float(r["strategy_s"]) for r in mine) / len(mine)
        same = sum(  # equal to the fourth decimal
            abs(float(r["best_cv"]) - float(first[(r["dataset"], r["seed"])]["best_cv"])) < 5e-5
            for r in mine
            if (r["dataset"], r["seed"]) in first
        )
        lines.append(
            f"| {restarts} : {points} : {warm} | {len(mine)} | {cv:.4f} | {seconds:.2f} "
            f"| {seconds / base_s:.2f} | {same} of {len(mine)} |"
        )
    return "\n".join(lines)


ENC_START, ENC_END = "<!-- bayes-encoding:start -->", "<!-- bayes-encoding:end -->"


def _drive(space, seed: int, n: int) -> tuple[list, float]:
    """Proposals of a seeded strategy told fixed scores, and its own seconds."""
    seen = []
    _, seconds = _drive_strategy(space, seed, n, seen)
    return seen, seconds


#: the strategy's parts, from scikit-optimize's own to this tree's
VARIANTS = {
    "skopt": "skopt's one-hot encoder and Gaussian process, BLAS threads left at the default",
    "numpy_onehot": "the numpy one-hot encoding; skopt's Gaussian process, default threads",
    "exact": "the numpy one-hot encoding, the variance through BLAS, one BLAS thread, the "
    "likelihood in numpy, sampling transposed by zip, one prediction for gp_hedge's three "
    "acquisition functions, subnormal cross-kernel values set to zero; kernel fits start "
    "cold, as skopt's",
    "unflushed": "this_tree with the surrogate's subnormal cross-kernel values left in "
    "(as before they were set to zero)",
    "this_tree": "exact, and each kernel fit starts from the last one's hyperparameters",
}


def _variant(name: str):
    """Patch ``skautoml.strategies._bayes`` to one variant; return an undo function."""
    import contextlib

    from skopt import Optimizer
    from skopt.learning import GaussianProcessRegressor
    from skopt.space import Categorical as SkCategorical

    import skautoml.strategies._bayes as bayes

    names = ("_IndexCategorical", "_Surrogate", "_one_blas_thread", "_Optimizer", "WARM_START")
    saved = {k: getattr(bayes, k) for k in (*names, "_TINY")}
    bayes.WARM_START = name in ("this_tree", "unflushed")
    if name == "unflushed":
        bayes._TINY = 0.0  # no kernel value is under it: nothing is zeroed
    if name in ("skopt", "numpy_onehot"):
        bayes._Surrogate = GaussianProcessRegressor
        bayes._one_blas_thread = contextlib.nullcontext
        bayes._Optimizer = Optimizer
    if name == "skopt":
        bayes._IndexCategorical = SkCategorical

    def undo() -> None:
        for key, value in saved.items():
            setattr(bayes, key, value)

    return undo


def encoding_rows(seeds: list[int], trials: list[int]) -> list[dict]:
    """Every variant, the same seeds and trials; proposals compared with skopt's."""
    from skautoml.space import BuildContext, make_space

    space = make_space("classical", BuildContext(n_samples=426, n_features=30, n_classes=2))
    rows = []
    for n in trials:
        for seed in seeds:
            row = {"trials": n, "seed": seed}
            # the order turns with the seed, so that no variant always runs first
            names = list(VARIANTS)
            for name in names[seed % len(names) :] + names[: seed % len(names)]:
                undo = _variant(name)
                try:
                    seen, seconds = _drive(space, seed, n)
                finally:
                    undo()
                row[f"{name}_s"] = round(seconds, 3)
                row[f"{name}_seen"] = seen
            for name in VARIANTS:
                row[f"{name}_same"] = row[f"{name}_seen"] == row["skopt_seen"]
            for name in VARIANTS:
                del row[f"{name}_seen"]
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def encoding_markdown(rows: list[dict]) -> str:
    lines = [
        "The Bayesian strategy alone (no workers), asked and told N trials over the "
        "`classical` space (fixed scores from a hash of each candidate); seconds are "
        "means over the seeds, and each variant's proposals are compared with skopt's "
        "(`python benchmarks/bench_bayes_settings.py --encoding`). Variants: "
        + "; ".join(f"**{k}**: {v}" for k, v in VARIANTS.items())
        + ".",
        "",
        "| trials | seeds | "
        + " | ".join(f"{k} (s)" for k in VARIANTS)
        + " | exact / skopt | this_tree / skopt | this_tree / unflushed"
        + " | ms per trial, this_tree | "
        + " | ".join(f"same proposals as skopt: {k}" for k in list(VARIANTS)[1:])
        + " |",
        "|---|---|" + "---|" * (2 * len(VARIANTS) + 3),
    ]
    for n in dict.fromkeys(int(r["trials"]) for r in rows):
        mine = [r for r in rows if int(r["trials"]) == n]
        mean = {k: sum(float(r[f"{k}_s"]) for r in mine) / len(mine) for k in VARIANTS}
        same = {k: sum(str(r[f"{k}_same"]) == "True" for r in mine) for k in VARIANTS}
        lines.append(
            f"| {n} | {len(mine)} | "
            + " | ".join(f"{mean[k]:.2f}" for k in VARIANTS)
            + f" | {mean['exact'] / mean['skopt']:.2f} | {mean['this_tree'] / mean['skopt']:.2f}"
            + f" | {mean['this_tree'] / mean['unflushed']:.2f}"
            + f" | {1000 * mean['this_tree'] / n:.0f} | "
            + " | ".join(f"{same[k]} of {len(mine)}" for k in list(VARIANTS)[1:])
            + " |"
        )
    return "\n".join(lines)


QUEUE_START, QUEUE_END = "<!-- bayes-queue:start -->", "<!-- bayes-queue:end -->"


def _queue_child(spec: str) -> int:
    """Drive the strategy alone (as ``--encoding`` does) in a fresh process
    with ``MODEL_QUEUE`` set; print the fitted surrogates it keeps, pickled,
    and what the driving added to the process's RSS, in MB."""
    import pickle

    import psutil

    import skautoml.strategies._bayes as bayes
    from skautoml.space import BuildContext, make_space

    args = json.loads(spec)
    bayes.MODEL_QUEUE = args["queue"]
    space = make_space("classical", BuildContext(n_samples=426, n_features=30, n_classes=2))
    _drive(space, 0, 1)  # imports and first allocations outside the measure
    before = psutil.Process().memory_info().rss
    strat, seconds = _drive_strategy(space, args["seed"], args["trials"])
    after = psutil.Process().memory_info().rss
    kept = len(pickle.dumps(strat._optimizer.models)) / 2**20
    row = {**args, "kept_mb": round(kept, 2), "rss_growth_mb": round((after - before) / 2**20, 1)}
    print(json.dumps({**row, "seconds": round(seconds, 2)}), flush=True)
    return 0


def _drive_strategy(space, seed: int, n: int, seen=None):
    """A seeded strategy told ``n`` fixed scores (a hash of each candidate),
    and its seconds; the proposals are appended to ``seen``."""
    import time
    import zlib

    from skautoml.records import Trial
    from skautoml.strategies import BayesStrategy

    t0 = time.perf_counter()
    strat = BayesStrategy(space, seed)
    for number in range(n):
        (proposal,) = strat.ask(1)
        if seen is not None:
            seen.append(proposal.candidate)
        score = (zlib.crc32(repr(proposal.candidate).encode()) % 1000) / 1000
        strat.tell([Trial(number, proposal.candidate, "ok", (score,))])
    return strat, time.perf_counter() - t0


def queue_rows(seeds: list[int], trials: list[int]) -> list[dict]:
    """Every trial count and seed with skopt's default queue and with this tree's."""
    rows = []
    for n in trials:
        for seed in seeds:
            for queue in (None, 1):
                spec = json.dumps({"trials": n, "seed": seed, "queue": queue})
                cmd = [sys.executable, __file__, "--_queue", spec]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(json.dumps(rows[-1]), flush=True)
    return rows


def queue_markdown(rows: list[dict], command: str) -> str:
    lines = [
        "The Bayesian strategy alone (the `classical` space, fixed scores, as "
        "`--encoding`), in a fresh process per run: the fitted surrogates the "
        "optimizer keeps, pickled, and what driving it added to the process's "
        f"RSS; mean over seeds (`{command}`).",
        "",
        "| trials | kept, all (MB) | kept, last only (MB) | RSS growth, all (MB) "
        "| RSS growth, last only (MB) |",
        "|---|---|---|---|---|",
    ]
    for n in dict.fromkeys(r["trials"] for r in rows):

        def mean(key, queue, n=n):
            values = [r[key] for r in rows if r["trials"] == n and r["queue"] == queue]
            return sum(values) / len(values)

        lines.append(
            f"| {n} | {mean('kept_mb', None):.1f} | {mean('kept_mb', 1):.2f} "
            f"| {mean('rss_growth_mb', None):.0f} | {mean('rss_growth_mb', 1):.0f} |"
        )
    return "\n".join(lines)


def _write(rows: list[dict], csv_name: str, table: str, start: str, end: str) -> None:
    """``rows`` to ``benchmarks/results/csv_name``; ``table`` to the doc between the markers."""
    with open(HERE / "results" / csv_name, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_section(f"{start}\n{table}\n{end}", start, end, "Bayesian search: cost against quality")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--settings", default="2:2000,0:1000", help="restarts:points, comma list")
    p.add_argument("--datasets", default="wine,breast_cancer", help="names of _run_peer.DATASETS")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--trials", type=int, default=25)
    p.add_argument("--out", default=str(HERE / "results" / "bayes_settings.csv"))
    p.add_argument("--tag", default="bayes", help="the doc block: <!-- TAG:start -->")
    p.add_argument("--from-jsonl", help="rebuild the table from child output lines; run nothing")
    p.add_argument("--_child", help=argparse.SUPPRESS)
    p.add_argument("--encoding", action="store_true", help="time the one-hot encoders")
    p.add_argument("--encoding-trials", default="25,50,80,200")
    p.add_argument("--queue", action="store_true", help="memory of the kept surrogates")
    p.add_argument("--queue-trials", default="100,200,300")
    p.add_argument("--_queue", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        return _child(args._child)
    if args._queue:
        return _queue_child(args._queue)
    if args.queue:
        seeds = [int(s) for s in args.seeds.split(",")]
        rows = queue_rows(seeds, [int(n) for n in args.queue_trials.split(",")])
        command = "python benchmarks/bench_bayes_settings.py " + " ".join(argv or sys.argv[1:])
        table = queue_markdown(rows, command.strip())
        _write(rows, "bayes_queue.csv", table, QUEUE_START, QUEUE_END)
        return 0
    if args.encoding:
        seeds = [int(s) for s in args.seeds.split(",")]
        rows = encoding_rows(seeds, [int(n) for n in args.encoding_trials.split(",")])
        _write(rows, "bayes_encoding.csv", encoding_markdown(rows), ENC_START, ENC_END)
        return 0
    if args.from_jsonl:
        lines = Path(args.from_jsonl).read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.startswith("{")]
    else:
        rows = []
        settings = [_parse_setting(s) for s in args.settings.split(",")]
        for dataset in args.datasets.split(","):
            for seed in [int(s) for s in args.seeds.split(",")]:
                for restarts, points, warm, cap in settings:
                    spec = {"dataset": dataset, "seed": seed, "restarts": int(restarts)}
                    spec.update(points=int(points), warm=int(warm == "warm"), trials=args.trials)
                    spec["cap"] = int(cap) if cap else None
                    cmd = [sys.executable, __file__, "--_child", json.dumps(spec)]
                    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                    row = json.loads(done.stdout.strip().splitlines()[-1])
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    command = "python benchmarks/bench_bayes_settings.py " + " ".join(argv or sys.argv[1:])
    start, end = f"<!-- {args.tag}:start -->", f"<!-- {args.tag}:end -->"
    block = f"{start}\n{markdown(rows, command.strip())}\n{end}"
    write_section(block, start, end, "Bayesian search: cost against quality")
    return 0


if __name__ == "__main__":
    sys.exit(main())
