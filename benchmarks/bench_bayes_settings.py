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
    args = p.parse_args(argv)
    if args._child:
        return _child(args._child)
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
