"""Bayesian search: the surrogate's cost against the quality of what it finds.

For each dataset and seed, the same Bayesian search (25 trials, ``cv=3``, the
``"classical"`` preset, ``n_jobs=1``, no time budget) runs once per setting of
``skautoml.strategies._bayes`` (``N_RESTARTS`` kernel-fit restarts,
``N_POINTS`` points sampled per ask), back to back. Reported: the strategy's
own seconds (ask/tell, from ``search_report_``) and the best CV score found.
Quality is the search's own objective (the CV score), not a test split.

    python benchmarks/bench_bayes_settings.py
    python benchmarks/bench_bayes_settings.py --settings 2:2000,0:1000,0:500 --seeds 0,1,2

Writes ``benchmarks/results/bayes_settings.csv`` and the table between
``<!-- bayes:start -->`` and ``<!-- bayes:end -->`` in ``docs/benchmarks.md``.

``--encoding`` times the strategy alone instead, with no workers: the same
seeded strategy over the ``"classical"`` space is asked and told N trials
(fixed scores from a hash of each candidate), once with scikit-optimize's own
one-hot encoder and once with the strategy's numpy one, and the proposals of
the two are compared. Writes ``benchmarks/results/bayes_encoding.csv`` and the
table between ``<!-- bayes-encoding:start -->`` and ``<!-- bayes-encoding:end -->``.

    python benchmarks/bench_bayes_settings.py --encoding
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

START, END = "<!-- bayes:start -->", "<!-- bayes:end -->"
FIELDS = ["dataset", "seed", "restarts", "points", "best_cv", "strategy_s", "trials"]


def _child(spec: str) -> int:
    """One search in a fresh process (the settings are module constants)."""
    import warnings

    from sklearn import datasets

    import skautoml.strategies._bayes as bayes
    from skautoml import AutoFineTuneClassifier

    args = json.loads(spec)
    bayes.N_RESTARTS, bayes.N_POINTS = args["restarts"], args["points"]
    X, y = getattr(datasets, f"load_{args['dataset']}")(return_X_y=True)
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


def markdown(rows: list[dict]) -> str:
    settings = list(dict.fromkeys((r["restarts"], r["points"]) for r in rows))
    lines = [
        "Bayesian search, 25 trials, `cv=3`, the `classical` preset; best CV score and "
        "the strategy's own seconds per run (`python benchmarks/bench_bayes_settings.py`).",
        "",
        "| setting (restarts : points) | runs | mean best CV | mean strategy s | "
        "strategy s / first setting | best CV equal to first setting's (4 decimals) |",
        "|---|---|---|---|---|---|",
    ]
    first = {
        (r["dataset"], r["seed"]): r for r in rows if (r["restarts"], r["points"]) == settings[0]
    }
    base_s = sum(float(r["strategy_s"]) for r in first.values()) / max(len(first), 1)
    for restarts, points in settings:
        mine = [r for r in rows if (r["restarts"], r["points"]) == (restarts, points)]
        cv = sum(float(r["best_cv"]) for r in mine) / len(mine)
        seconds = sum(float(r["strategy_s"]) for r in mine) / len(mine)
        same = sum(  # equal to the fourth decimal
            abs(float(r["best_cv"]) - float(first[(r["dataset"], r["seed"])]["best_cv"])) < 5e-5
            for r in mine
            if (r["dataset"], r["seed"]) in first
        )
        lines.append(
            f"| {restarts} : {points} | {len(mine)} | {cv:.4f} | {seconds:.2f} "
            f"| {seconds / base_s:.2f} | {same} of {len(mine)} |"
        )
    return "\n".join(lines)


ENC_START, ENC_END = "<!-- bayes-encoding:start -->", "<!-- bayes-encoding:end -->"


def _drive(space, seed: int, n: int) -> tuple[list, float]:
    """Proposals of a seeded strategy told fixed scores, and its own seconds."""
    import time
    import zlib

    from skautoml.records import Trial
    from skautoml.strategies import BayesStrategy

    t0 = time.perf_counter()
    strat, seen = BayesStrategy(space, seed), []
    for number in range(n):
        (proposal,) = strat.ask(1)
        seen.append(proposal.candidate)
        score = (zlib.crc32(repr(proposal.candidate).encode()) % 1000) / 1000
        strat.tell([Trial(number, proposal.candidate, "ok", (score,))])
    return seen, time.perf_counter() - t0


def encoding_rows(seeds: list[int], trials: list[int]) -> list[dict]:
    """skopt's one-hot encoder against the strategy's, same seeds and trials."""
    from skopt.space import Categorical as SkCategorical

    import skautoml.strategies._bayes as bayes
    from skautoml.space import BuildContext, make_space

    ours = bayes._IndexCategorical
    space = make_space("classical", BuildContext(n_samples=426, n_features=30, n_classes=2))
    rows = []
    for n in trials:
        for seed in seeds:
            bayes._IndexCategorical = SkCategorical
            try:
                theirs_seen, theirs_s = _drive(space, seed, n)
            finally:
                bayes._IndexCategorical = ours
            ours_seen, ours_s = _drive(space, seed, n)
            row = {"trials": n, "seed": seed, "skopt_s": round(theirs_s, 3)}
            row.update(numpy_s=round(ours_s, 3), same_proposals=ours_seen == theirs_seen)
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def encoding_markdown(rows: list[dict]) -> str:
    lines = [
        "The Bayesian strategy alone (no workers), asked and told N trials over the "
        "`classical` space, with scikit-optimize's one-hot encoder and with the "
        "strategy's numpy one; seconds are means over the seeds "
        "(`python benchmarks/bench_bayes_settings.py --encoding`).",
        "",
        "| trials | seeds | skopt encoder (s) | numpy encoder (s) | numpy / skopt "
        "| ms per trial, numpy | same proposals |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in dict.fromkeys(int(r["trials"]) for r in rows):
        mine = [r for r in rows if int(r["trials"]) == n]
        theirs = sum(float(r["skopt_s"]) for r in mine) / len(mine)
        ours = sum(float(r["numpy_s"]) for r in mine) / len(mine)
        same = sum(str(r["same_proposals"]) == "True" for r in mine)
        lines.append(
            f"| {n} | {len(mine)} | {theirs:.2f} | {ours:.2f} | {ours / theirs:.2f} "
            f"| {1000 * ours / n:.0f} | {same} of {len(mine)} |"
        )
    return "\n".join(lines)


def write_doc(block: str) -> None:
    write_section(f"{START}\n{block}\n{END}", START, END, "Bayesian search: cost against quality")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--settings", default="2:2000,0:1000", help="restarts:points, comma list")
    p.add_argument("--datasets", default="wine,breast_cancer")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--trials", type=int, default=25)
    p.add_argument("--out", default=str(HERE / "results" / "bayes_settings.csv"))
    p.add_argument("--from-jsonl", help="rebuild the table from child output lines; run nothing")
    p.add_argument("--_child", help=argparse.SUPPRESS)
    p.add_argument("--encoding", action="store_true", help="time the one-hot encoders")
    p.add_argument("--encoding-trials", default="25,50,80")
    args = p.parse_args(argv)
    if args._child:
        return _child(args._child)
    if args.encoding:
        seeds = [int(s) for s in args.seeds.split(",")]
        rows = encoding_rows(seeds, [int(n) for n in args.encoding_trials.split(",")])
        with open(HERE / "results" / "bayes_encoding.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        block = f"{ENC_START}\n{encoding_markdown(rows)}\n{ENC_END}"
        write_section(block, ENC_START, ENC_END, "Bayesian search: cost against quality")
        return 0
    if args.from_jsonl:
        lines = Path(args.from_jsonl).read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.startswith("{")]
    else:
        rows = []
        settings = [tuple(int(v) for v in s.split(":")) for s in args.settings.split(",")]
        for dataset in args.datasets.split(","):
            for seed in [int(s) for s in args.seeds.split(",")]:
                for restarts, points in settings:
                    spec = {"dataset": dataset, "seed": seed, "restarts": restarts}
                    spec.update(points=points, trials=args.trials)
                    cmd = [sys.executable, __file__, "--_child", json.dumps(spec)]
                    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                    row = json.loads(done.stdout.strip().splitlines()[-1])
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    write_doc(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
