"""skautoml against the field: peers, scikit-learn defaults, every strategy.

Protocol: each dataset (all ship inside installed packages) is split 75/25,
stratified, ``random_state=0``; every tool fits on the 75 % within the budget
and is scored (accuracy) on the 25 %. Each run is a fresh subprocess, so a
crash costs one row and peak memory is per run. FLAML and TPOT run in their own
virtual environments (``bash benchmarks/setup_peers.sh`` makes them) through
``benchmarks/_run_peer.py``; a tool that is not installed is skipped and the
reason recorded. Searches use ``n_jobs=1`` except ``skautoml-random-nj2``
(random search, ``n_jobs=2``), which measures the parallel speed-up against
``skautoml-random`` in the same invocation.

    python benchmarks/bench_field.py                       # full grid: 60/300 s, seeds 0,1,2
    python benchmarks/bench_field.py --budgets 60 --seeds 0 --datasets digits,mnist

Writes ``benchmarks/results/field.csv`` (``--out``) after every run and the
table between ``<!-- field:start -->`` and ``<!-- field:end -->`` in
``docs/benchmarks.md``. Columns: test accuracy, fit wall time, trials
evaluated, trials per minute, peak memory (summed RSS of the run's process
tree, sampled every 0.25 s) and, for skautoml, the framework overhead (strategy
ask/tell + worker start-up + result transfer, from ``search_report_``) as a
percentage of the budget.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _field_common import (  # noqa: E402
    DEFAULT_DATASETS,
    DEFAULT_TOOLS,
    ENVS,
    FIELDS,
    IMAGE_SHAPES,
    PEERS,
    ROOT,
    SKAUTOML,
    SKLEARN,
    TOOLS,
    load_split,
)
from _field_report import (  # noqa: E402, F401  (the other benchmark scripts use these)
    _fmt,
    _key,
    _mean,
    _num,
    markdown,
    read_csv,
    write_csv,
    write_doc,
    write_section,
)
from _run_peer import DATASETS  # noqa: E402

# --------------------------------------------------------------------------- child


def _run_skautoml(
    tool: str, dataset: str, budget: float, seed: int, report_errors: bool = True
) -> dict:
    """Runs inside a fresh subprocess of the project's own python."""
    import warnings

    import numpy as np

    import skautoml
    from skautoml import AutoFineTuneClassifier

    settings = dict(SKAUTOML[tool])
    images = settings.pop("images", False)
    if images and dataset not in IMAGE_SHAPES:
        raise SystemExit(f"{dataset} is not an image dataset")
    X_tr, X_te, y_tr, y_te = load_split(dataset)
    clf = AutoFineTuneClassifier(
        time_budget=budget,
        random_state=seed,
        verbose=0,
        image_shape=IMAGE_SHAPES[dataset] if images else None,
        **settings,
    )
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X_tr, y_tr)
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result row, with its time
        if not report_errors:
            raise
        message = " ".join(str(exc).split())
        return {
            "error": f"{type(exc).__name__}: {message}"[:500],
            "fit_seconds": time.perf_counter() - started,
        }
    fit_seconds = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accuracy = float(np.mean(clf.predict(X_te) == y_te))
        single = float(np.mean(clf.best_pipeline_.predict(X_te) == y_te))
    rep = clf.search_report_
    # the leaderboard, to explain a result; git-ignored (benchmarks/results/tmp*)
    board = HERE / "results" / "tmp_leaderboards" / f"{tool}_{dataset}_{budget:g}_{seed}.csv"
    board.parent.mkdir(parents=True, exist_ok=True)
    clf.leaderboard().to_csv(board, index=False)
    statuses = {}
    for s in clf.cv_results_["status"]:
        statuses[str(s)] = statuses.get(str(s), 0) + 1
    return {
        "test_accuracy": accuracy,
        "fit_seconds": fit_seconds,
        "trials": int(clf.n_trials_),
        "strategy_s": rep.get("strategy_seconds", 0.0),
        "worker_boot_s": rep.get("worker_boot_seconds", 0.0),
        "worker_start_s": rep.get("worker_start_seconds", 0.0),
        "refit_source": rep.get("refit_source", ""),
        "transfer_s": rep.get("result_transfer_seconds", 0.0),
        "refit_s": rep.get("refit_seconds", 0.0),
        "stop_reason": rep.get("stop_reason", ""),
        "best": clf.best_candidate_.candidate.describe(),
        "version": f"skautoml {skautoml.__version__}",
        "note": "trial status: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        "single_accuracy": single,
        "cv_score": float(clf.best_score_),
        "ensemble_score": float(getattr(clf, "ensemble_score_", clf.best_score_)),
        "ensemble_members": len(getattr(clf, "ensemble_", [])) or 1,
    }


def _child(spec: str) -> int:
    args = json.loads(spec)
    out = _run_skautoml(
        args["tool"], args["dataset"], args["budget"], args["seed"], args.get("errors", False)
    )
    print(json.dumps(out), flush=True)
    return 0


# --------------------------------------------------------------------------- parent


def genetic_available() -> bool:
    from skautoml.strategies import STRATEGIES

    return "genetic" in STRATEGIES


def peer_python(tool: str) -> tuple[Path | None, str]:
    """The peer venv's python, or None and the reason it is skipped."""
    env = ENVS / tool
    python = env / "bin" / "python"
    if (env / "SKIPPED").exists():
        return None, (env / "SKIPPED").read_text().strip()
    if not python.exists():
        return None, f"not installed (no {python.relative_to(ROOT)}; run benchmarks/setup_peers.sh)"
    probe = subprocess.run(
        [str(python), "-c", f"import {tool}"], capture_output=True, text=True, timeout=300
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"cannot import {tool} in {env.relative_to(ROOT)}: {last}"
    return python, ""


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _kill_tree(proc: psutil.Process) -> None:
    try:
        procs = [*proc.children(recursive=True), proc]
    except psutil.Error:
        procs = [proc]
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def run_one(
    cmd: list[str], limit: float, pythonpath: str | None = None
) -> tuple[dict | None, float, float, str]:
    """Run ``cmd``; return (json result, seconds, peak tree RSS MB, error).

    ``pythonpath`` goes first on the child's ``PYTHONPATH`` (another checkout's
    ``skautoml``, for before/after runs); the child then runs in that folder,
    since a worker server started from this checkout's root would find this
    checkout's ``skautoml`` first.
    """
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
    started = time.perf_counter()
    popen = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=pythonpath or ROOT,
        env=env,
    )
    proc = psutil.Process(popen.pid)
    peak = 0
    killed = False
    while popen.poll() is None:
        peak = max(peak, _tree_rss(proc))
        if time.perf_counter() - started > limit:
            _kill_tree(proc)
            killed = True
            break
        time.sleep(0.25)
    stdout, stderr = popen.communicate()
    seconds = time.perf_counter() - started
    peak_mb = peak / 2**20
    if killed:
        return None, seconds, peak_mb, f"killed after {limit:.0f} s"
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line), seconds, peak_mb, ""
            except json.JSONDecodeError:
                break
    tail = " | ".join(stderr.strip().splitlines()[-3:])[-400:]
    return None, seconds, peak_mb, f"exit {popen.returncode}: {tail}"


def command(tool: str, dataset: str, budget: float, seed: int) -> tuple[list[str] | None, str]:
    if tool in SKAUTOML:
        if tool == "skautoml-genetic" and not genetic_available():
            return None, "the genetic strategy is not in skautoml.strategies.STRATEGIES yet"
        if SKAUTOML[tool].get("images") and dataset not in IMAGE_SHAPES:
            return None, "not an image dataset"
        spec = {"tool": tool, "dataset": dataset, "budget": budget, "seed": seed, "errors": True}
        spec = json.dumps(spec)
        return [sys.executable, str(HERE / "bench_field.py"), "--_child", spec], ""
    if tool in SKLEARN:
        python = sys.executable
    else:
        python, reason = peer_python(tool)
        if python is None:
            return None, reason
    n_jobs = "1"
    return [
        str(python),
        str(HERE / "_run_peer.py"),
        tool,
        dataset,
        str(budget),
        str(seed),
        n_jobs,
    ], ""


def make_row(tool, dataset, budget, seed) -> dict:
    row = dict.fromkeys(FIELDS, "")
    n_jobs = SKAUTOML[tool]["n_jobs"] if tool in SKAUTOML else 1
    row.update(tool=tool, dataset=dataset, budget_s=budget, seed=seed, n_jobs=n_jobs)
    return row


def execute(tool, dataset, budget, seed, skip_reason_cache) -> dict:
    row = make_row(tool, dataset, "" if tool in SKLEARN else budget, seed)
    if tool in skip_reason_cache:
        row.update(status="skipped", note=skip_reason_cache[tool])
        return row
    cmd, reason = command(tool, dataset, budget, seed)
    if cmd is None:
        if tool in PEERS or tool == "skautoml-genetic":
            skip_reason_cache[tool] = reason
        row.update(status="skipped", note=reason)
        return row
    limit = 3 * budget + 120 if tool not in SKLEARN else 1800
    result, seconds, peak_mb, error = run_one(cmd, limit)
    row.update(process_seconds=round(seconds, 1), peak_mem_mb=round(peak_mb))
    if result is None:
        row.update(status="failed", note=error)
        return row
    if "error" in result:  # the tool ran and raised: keep its fit time
        row.update(
            status="failed", note=result["error"], fit_seconds=round(result["fit_seconds"], 1)
        )
        return row
    row.update(status="ok")
    for key, value in result.items():
        if key in row:
            row[key] = round(value, 4) if isinstance(value, float) else value
    trials = result.get("trials")
    if trials not in ("", None) and result["fit_seconds"] > 0:
        row["trials_per_min"] = round(trials / (result["fit_seconds"] / 60), 1)
    if tool in SKAUTOML:
        overhead = (
            result["strategy_s"]
            + result.get("worker_boot_s", 0.0)
            + result["worker_start_s"]
            + result["transfer_s"]
        )
        row["overhead_s"] = round(overhead, 2)
        row["overhead_pct"] = round(100 * overhead / budget, 2)
    return row


# --------------------------------------------------------------------------- main


def _list(value: str, known: list[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)}; known: {', '.join(known)}")
    return items


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tools", default=",".join(DEFAULT_TOOLS), help=f"comma list of {TOOLS}")
    p.add_argument(
        "--datasets", default=",".join(DEFAULT_DATASETS), help=f"comma list of {list(DATASETS)}"
    )
    p.add_argument("--budgets", default="60,300", help="seconds, comma list")
    p.add_argument("--seeds", default="0,1,2", help="comma list")
    p.add_argument("--out", default=str(HERE / "results" / "field.csv"))
    p.add_argument(
        "--append",
        action="store_true",
        help="keep rows of other runs in --out (same keys are replaced)",
    )
    p.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument("--note", default="", help="a paragraph for the doc (e.g. machine load)")
    p.add_argument(
        "--doc-only", action="store_true", help="rewrite the doc section from --out; run nothing"
    )
    p.add_argument("--_child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        return _child(args._child)
    tools = _list(args.tools, TOOLS, "tools")
    datasets = _list(args.datasets, list(DATASETS), "datasets")
    budgets = [float(b) if "." in b else int(b) for b in args.budgets.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    out = Path(args.out)
    if args.doc_only:
        write_doc(markdown(read_csv(out), args.note))
        return 0
    rows = read_csv(out) if args.append else []
    skip_cache: dict[str, str] = {}
    done_defaults = set()
    for budget in budgets:
        for seed in seeds:
            for tool in tools:
                for ds in datasets:
                    if tool in SKLEARN:  # no budget: one fit per seed
                        if (tool, ds, seed) in done_defaults:
                            continue
                        done_defaults.add((tool, ds, seed))
                    row = execute(tool, ds, budget, seed, skip_cache)
                    print(json.dumps({k: row[k] for k in FIELDS if row[k] != ""}), flush=True)
                    rows = [r for r in rows if _key(r) != _key(row)] + [row]
                    write_csv(out, rows)
                    if not args.no_doc:
                        write_doc(markdown(rows, args.note))
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"done; children max RSS {ru.ru_maxrss / 1024:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
