"""The search's own cost and memory, this tree against a baseline, in one run.

For every (seed, dataset, strategy) the same fit runs twice, back to back in
fresh subprocesses: once with this checkout's ``skautoml`` and once with a
baseline checkout's (``--baseline DIR``, put first on ``PYTHONPATH``), so that
both see the same machine state. Each run is ``bench_field.py``'s skautoml
row: the field protocol's 75/25 split, ``n_jobs=1``, the given budget, a fresh
Python process (so the first fit of a process, worker-server boot included).

Reported per run: the framework overhead (strategy ask/tell + worker-server
boot + worker starts + result transfer, from ``search_report_``) as a share of
the budget, and the peak summed RSS of the process tree (sampled every
0.25 s); then the means per strategy and the after/before ratios.

    git clone -q . /tmp/skautoml-base && git -C /tmp/skautoml-base checkout -q 18ac83e
    python benchmarks/bench_overhead.py --baseline /tmp/skautoml-base

Writes ``benchmarks/results/overhead.csv`` and the table between
``<!-- overhead:start -->`` and ``<!-- overhead:end -->`` in
``docs/benchmarks.md``.
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
from bench_field import SKAUTOML, run_one, write_section  # noqa: E402

START, END = "<!-- overhead:start -->", "<!-- overhead:end -->"
FIELDS = [
    "tree",
    "strategy",
    "dataset",
    "seed",
    "budget_s",
    "test_accuracy",
    "trials",
    "overhead_pct",
    "strategy_s",
    "worker_boot_s",
    "worker_start_s",
    "transfer_s",
    "peak_mem_mb",
    "error",
]


def run(tree: str, path: str | None, strategy: str, dataset: str, budget: float, seed: int):
    spec = {"tool": f"skautoml-{strategy}", "dataset": dataset, "budget": budget}
    spec.update(seed=seed, errors=True)
    cmd = [sys.executable, str(HERE / "bench_field.py"), "--_child", json.dumps(spec)]
    result, _, peak_mb, error = run_one(cmd, 3 * budget + 120, pythonpath=path)
    row = dict.fromkeys(FIELDS, "")
    row.update(tree=tree, strategy=strategy, dataset=dataset, seed=seed, budget_s=budget)
    row["peak_mem_mb"] = round(peak_mb)
    if result is None or "error" in result:
        row["error"] = error or result["error"]
        return row
    for key in ("test_accuracy", "trials", "strategy_s", "worker_boot_s", "worker_start_s"):
        row[key] = result[key]
    row["transfer_s"] = result["transfer_s"]
    overhead = sum(result[k] for k in ("strategy_s", "worker_boot_s", "worker_start_s"))
    row["overhead_pct"] = round(100 * (overhead + result["transfer_s"]) / budget, 2)
    return row


def _fmt(value) -> str:
    return f"{float(value):.4f}" if value not in ("", None) else ""


def _mean(rows, key) -> float:
    values = [float(r[key]) for r in rows if r[key] != ""]
    return sum(values) / len(values) if values else float("nan")


def markdown(rows: list[dict], baseline: str, current: str) -> str:
    lines = [
        f"Baseline `{baseline}` against `{current}`, each pair run back to back "
        "(`python benchmarks/bench_overhead.py --baseline DIR`). Overhead: strategy "
        "ask/tell + worker-server boot + worker starts + result transfer, as a share "
        "of the budget, the first fit of a fresh process included. Peak: summed RSS "
        "of the process tree.",
        "",
        "| strategy | dataset | seed | overhead before (%) | overhead after (%) "
        "| peak before (MB) | peak after (MB) | peak after/before | trials before "
        "| trials after | accuracy before | accuracy after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    pairs: dict[tuple, dict] = {}
    for r in rows:
        pairs.setdefault((r["strategy"], r["dataset"], r["seed"]), {})[r["tree"]] = r
    for (strategy, dataset, seed), pair in pairs.items():
        b, a = pair.get("before"), pair.get("after")
        if not (a and b):
            continue
        ratio = float(a["peak_mem_mb"]) / max(float(b["peak_mem_mb"]), 1.0)
        lines.append(
            f"| {strategy} | {dataset} | {seed} | {b['overhead_pct']} | {a['overhead_pct']} "
            f"| {b['peak_mem_mb']} | {a['peak_mem_mb']} | {ratio:.2f} "
            f"| {b['trials']} | {a['trials']} "
            f"| {_fmt(b['test_accuracy'])} | {_fmt(a['test_accuracy'])} |"
        )
    lines += ["", "| strategy | mean overhead before (%) | after (%) | highest after (%) "]
    lines[-1] += "| mean peak before (MB) | after (MB) | after/before |"
    lines.append("|---|---|---|---|---|---|---|")
    for strategy in dict.fromkeys(r["strategy"] for r in rows):
        b = [r for r in rows if r["strategy"] == strategy and r["tree"] == "before"]
        a = [r for r in rows if r["strategy"] == strategy and r["tree"] == "after"]
        worst = max((float(r["overhead_pct"]) for r in a if r["overhead_pct"] != ""), default=0)
        ratio = _mean(a, "peak_mem_mb") / _mean(b, "peak_mem_mb")
        lines.append(
            f"| {strategy} | {_mean(b, 'overhead_pct'):.2f} | {_mean(a, 'overhead_pct'):.2f} "
            f"| {worst:.2f} | {_mean(b, 'peak_mem_mb'):.0f} | {_mean(a, 'peak_mem_mb'):.0f} "
            f"| {ratio:.2f} |"
        )
    return "\n".join(lines)


def write_doc(block: str) -> None:
    write_section(f"{START}\n{block}\n{END}", START, END, "Framework overhead and memory")


def _revision(path: str | None) -> str:
    cmd = ["git", "-C", path or str(HERE.parent), "rev-parse", "--short", "HEAD"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return done.stdout.strip() or (path or "this tree")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--baseline", required=True, help="a checkout of an earlier revision")
    p.add_argument("--strategies", default="bayes,random,genetic")
    p.add_argument("--datasets", default="breast_cancer,wine,digits,iris")
    p.add_argument("--budget", type=float, default=60)
    p.add_argument("--seeds", default="0")
    p.add_argument("--out", default=str(HERE / "results" / "overhead.csv"))
    p.add_argument("--no-doc", action="store_true")
    p.add_argument("--doc-only", action="store_true", help="rewrite the doc from --out")
    args = p.parse_args(argv)
    if args.doc_only:
        with open(args.out, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        write_doc(markdown(rows, _revision(args.baseline), _revision(None)))
        return 0
    strategies = args.strategies.split(",")
    unknown = [s for s in strategies if f"skautoml-{s}" not in SKAUTOML]
    if unknown:
        p.error(f"unknown strategies {unknown}")
    rows: list[dict] = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for dataset in args.datasets.split(","):
            for strategy in strategies:
                for tree, path in (("before", args.baseline), ("after", None)):
                    row = run(tree, path, strategy, dataset, args.budget, seed)
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                    with open(args.out, "w", newline="", encoding="utf-8") as fh:
                        writer = csv.DictWriter(fh, fieldnames=FIELDS)
                        writer.writeheader()
                        writer.writerows(rows)
    if not args.no_doc:
        write_doc(markdown(rows, _revision(args.baseline), _revision(None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
