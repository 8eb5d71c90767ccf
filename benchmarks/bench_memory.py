"""Where a search's memory goes, per process, this tree against a baseline.

For each tree (``--baseline DIR`` first on ``PYTHONPATH``, then this checkout)
and each one-classifier space (``--classifiers``; the tabular network and
logistic regression by default), a fresh process fits
``AutoFineTuneClassifier(search_space={"classifier": [name]}, max_trials=2,
time_budget=None, n_jobs=1, cv=3, random_state=0)`` on breast_cancer while a
thread samples its process tree every 0.1 s. At the sample with the largest
summed RSS it reports each process's RSS, USS (pages no other process maps)
and PSS (shared pages divided among the processes that map them), by role:
the search's own process, the worker server, the workers and the resource
tracker. Summed RSS counts a shared page once per process that maps it; summed
PSS counts it once in all.

    python benchmarks/bench_memory.py --baseline /tmp/skautoml-base

Writes ``benchmarks/results/memory.csv`` and the table between
``<!-- memory:start -->`` and ``<!-- memory:end -->`` in
``docs/benchmarks.md``.

``--floor`` measures instead what each import adds to a fresh process's RSS
(``IMPORTS``, in order, each step once per ``--repeats`` fresh process): the
least that the search's process, the worker server and a network trial's
worker each hold, whatever skautoml does. Writes
``benchmarks/results/memory_floor.csv`` and the table between
``<!-- memory-floor:start -->`` and ``<!-- memory-floor:end -->``.

    python benchmarks/bench_memory.py --floor
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_field import write_csv, write_section  # noqa: E402
from bench_overhead import _revision  # noqa: E402

START, END = "<!-- memory:start -->", "<!-- memory:end -->"
FLOOR_START, FLOOR_END = "<!-- memory-floor:start -->", "<!-- memory-floor:end -->"
#: the imports whose RSS --floor measures, in order (each adds to the last)
IMPORTS = [
    ("python", ""),
    ("scikit-learn", "import sklearn.base"),
    ("skautoml", "import skautoml"),
    ("torch", "import torch"),
    ("skorch", "import skorch"),
    ("skautoml's tabular network", "import skautoml.nets._tabular"),
]
ROLES = ["search", "worker server", "workers", "resource tracker"]
FIELDS = ["tree", "classifier", "role", "processes", "rss_mb", "uss_mb", "pss_mb"]


def _role(proc, me, server_pids) -> str:
    if proc.pid == me.pid:
        return "search"
    if "resource_tracker" in " ".join(proc.cmdline()):
        return "resource tracker"
    return "workers" if proc.ppid() in server_pids else "worker server"


def _child(classifier: str) -> int:
    """One search; prints the per-role memory at the tree's RSS peak as JSON."""
    import threading
    import time
    import warnings

    import psutil
    from sklearn.datasets import load_breast_cancer

    from skautoml import AutoFineTuneClassifier

    X, y = load_breast_cancer(return_X_y=True)
    me = psutil.Process()
    peak: dict = {"rss": -1}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            procs = [me, *me.children(recursive=True)]
            server_pids = {p.pid for p in procs if p.ppid() == me.pid}
            snap = []
            for p in procs:
                try:
                    info = p.memory_full_info()
                    snap.append((_role(p, me, server_pids), info.rss, info.uss, info.pss))
                except psutil.Error:
                    continue
            rss = sum(s[1] for s in snap)
            if rss > peak["rss"]:
                peak.update(rss=rss, snap=snap)
            time.sleep(0.1)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    clf = AutoFineTuneClassifier(
        search_space={"classifier": [classifier]},
        max_trials=2,
        time_budget=None,
        n_jobs=1,
        cv=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    done.set()
    thread.join()
    rows = []
    for role in ROLES:
        mine = [s for s in peak["snap"] if s[0] == role]
        rows.append(
            {
                "classifier": classifier,
                "role": role,
                "processes": len(mine),
                **{k: round(sum(s[i] for s in mine) / 2**20) for i, k in enumerate(FIELDS[4:], 1)},
            }
        )
    print(json.dumps(rows), flush=True)
    return 0


def run(tree: str, path: str | None, classifier: str) -> list[dict]:
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
    cmd = [sys.executable, __file__, "--child", classifier]
    # the working folder is on a worker's sys.path first: the tree's own
    cwd = path or str(HERE.parent)
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return [{"tree": tree, **row} for row in json.loads(done.stdout.strip().splitlines()[-1])]


def markdown(rows: list[dict], before: str, after: str) -> str:
    lines = [
        f"Baseline `{before}` against `{after}`: the tree of one search on breast_cancer "
        "(two trials of one classifier, `n_jobs=1`, `cv=3`) at the sample with the largest "
        "summed RSS, by process role, in MB (`python benchmarks/bench_memory.py --baseline DIR`).",
        "",
        "| classifier | tree | role | processes | RSS | USS | PSS |",
        "|---|---|---|---|---|---|---|",
    ]
    totals: dict = {}
    for r in rows:
        if int(r["processes"]):
            lines.append(
                f"| {r['classifier']} | {r['tree']} | {r['role']} | {r['processes']} | "
                f"{r['rss_mb']} | {r['uss_mb']} | {r['pss_mb']} |"
            )
        key = (r["classifier"], r["tree"])
        rss, pss = totals.get(key, (0, 0))
        totals[key] = (rss + int(r["rss_mb"]), pss + int(r["pss_mb"]))
    lines += [
        "",
        "| classifier | RSS before | RSS after | after/before "
        "| PSS before | PSS after | after/before |",
        "|---|---|---|---|---|---|---|",
    ]
    for classifier in dict.fromkeys(r["classifier"] for r in rows):
        (rb, pb), (ra, pa) = totals[(classifier, "before")], totals[(classifier, "after")]
        lines.append(
            f"| {classifier} | {rb} | {ra} | {ra / rb:.2f} | {pb} | {pa} | {pa / pb:.2f} |"
        )
    return "\n".join(lines)


def floor_rows(repeats: int) -> list[dict]:
    """The RSS (MB) of a fresh process after each of :data:`IMPORTS`, median of runs."""
    code = "\n".join(
        [
            "import json",
            "def rss():",
            "    with open('/proc/self/status') as fh:",
            "        return [int(l.split()[1]) / 1024 for l in fh if l.startswith('VmRSS')][0]",
            "out = []",
        ]
        + [f"{stmt}\nout.append(rss())" for _, stmt in IMPORTS]
        + ["print(json.dumps(out))"]
    )
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rows, last = [], 0.0
    for i, (name, stmt) in enumerate(IMPORTS):
        rss = sorted(r[i] for r in runs)[len(runs) // 2]
        rows.append(
            {"step": name, "statement": stmt, "rss_mb": round(rss), "adds_mb": round(rss - last)}
        )
        last = rss
    return rows


def floor_markdown(rows: list[dict], repeats: int) -> str:
    rss = {r["step"]: r["rss_mb"] for r in rows}
    sklearn, ours, net = rss["scikit-learn"], rss["skautoml"], rss["skautoml's tabular network"]
    lines = [
        f"A fresh process's RSS after each import, median of {repeats} processes "
        "(`python benchmarks/bench_memory.py --floor`).",
        "",
        "| step | statement | RSS (MB) | adds (MB) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        statement = f"`{r['statement']}`" if r["statement"] else ""
        lines.append(f"| {r['step']} | {statement} | {r['rss_mb']} | {r['adds_mb']} |")
    lines += [
        "",
        f"The floor of a tree that runs a network trial in a process of its own: the "
        f"search's process ({ours} MB with skautoml), the worker server ({sklearn} MB "
        f"with scikit-learn) and the trial's worker ({net} MB): {ours + sklearn + net} MB "
        f"by summed RSS; without a worker server, {ours + net} MB.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--baseline", help="a checkout of an earlier revision")
    p.add_argument("--classifiers", default="tabular_net,logistic_regression")
    p.add_argument("--out", default=str(HERE / "results" / "memory.csv"))
    p.add_argument("--doc-only", action="store_true", help="rewrite the doc from --out")
    p.add_argument("--floor", action="store_true", help="the RSS each import adds")
    p.add_argument("--repeats", type=int, default=5, help="fresh processes for --floor")
    args = p.parse_args(argv)
    if args.child:
        return _child(args.child)
    if args.floor:
        rows = floor_rows(args.repeats)
        write_csv(HERE / "results" / "memory_floor.csv", rows, list(rows[0]))
        block = f"{FLOOR_START}\n{floor_markdown(rows, args.repeats)}\n{FLOOR_END}"
        write_section(block, FLOOR_START, FLOOR_END, "Where the memory goes")
        return 0
    if not args.baseline:
        p.error("--baseline is required")
    if args.doc_only:
        with open(args.out, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    else:
        rows = []
        for classifier in args.classifiers.split(","):
            for tree, path in (("before", args.baseline), ("after", None)):
                rows += run(tree, path, classifier)
                print(json.dumps(rows[-len(ROLES) :]), flush=True)
        with open(args.out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    block = markdown(rows, _revision(args.baseline), _revision(None))
    write_section(f"{START}\n{block}\n{END}", START, END, "Where the memory goes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
