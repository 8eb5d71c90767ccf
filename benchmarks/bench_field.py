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
import csv
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _run_peer import DATASETS, IMAGE_SHAPES, load_split  # noqa: E402

ENVS = HERE / "envs"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- field:start -->", "<!-- field:end -->"

#: skautoml variants: tool name -> estimator settings
SKAUTOML = {
    "skautoml-bayes": {"search": "bayes", "n_jobs": 1},
    # ensembles off: the single best pipeline (bench_ensemble.py compares)
    "skautoml-bayes-ens1": {"search": "bayes", "n_jobs": 1, "ensemble_size": 1},
    "skautoml-random": {"search": "random", "n_jobs": 1},
    "skautoml-random-nj2": {"search": "random", "n_jobs": 2},
    "skautoml-genetic": {"search": "genetic", "n_jobs": 1},
    # image datasets read as images (image_shape): CNN / EfficientNet fine-tuning
    "skautoml-bayes-img": {"search": "bayes", "n_jobs": 1, "images": True},
}
SKLEARN = ["sklearn-hgb", "sklearn-logreg", "sklearn-rf"]
PEERS = ["flaml", "tpot"]
TOOLS = [*SKAUTOML, *SKLEARN, *PEERS]
DEFAULT_TOOLS = [t for t in TOOLS if t != "skautoml-bayes-img"]
DEFAULT_DATASETS = ["digits", "breast_cancer", "wine", "mnist", "iris"]

FIELDS = [
    "tool",
    "dataset",
    "budget_s",
    "seed",
    "n_jobs",
    "status",
    "test_accuracy",
    "fit_seconds",
    "process_seconds",
    "trials",
    "trials_per_min",
    "peak_mem_mb",
    "overhead_s",
    "overhead_pct",
    "strategy_s",
    "worker_boot_s",
    "worker_start_s",
    "transfer_s",
    "refit_s",
    "refit_source",
    "stop_reason",
    "best",
    "version",
    "note",
    # skautoml: the single best pipeline's test accuracy from the same fit, its
    # CV score, the ensemble's out-of-fold score and its number of members
    "single_accuracy",
    "cv_score",
    "ensemble_score",
    "ensemble_members",
]


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


def _fmt(x, digits=1):
    if x in ("", None) or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{float(x):.{digits}f}"


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


# --------------------------------------------------------------------------- output


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[dict], fields: list[str] = FIELDS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _key(row) -> tuple:
    return (row["tool"], row["dataset"], str(row["budget_s"]), str(row["seed"]))


def _num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _num0(x) -> float:
    """``_num`` with missing values (rows from before a column existed) as 0."""
    value = _num(x)
    return 0.0 if math.isnan(value) else value


def _is(row, tool, dataset) -> bool:
    return row["tool"] == tool and row["dataset"] == dataset


def _mean(values):
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan


def targets(rows: list[dict], budget: str) -> list[str]:
    """Check the issue's targets at ``budget`` from the rows; plain statements."""
    ok = [r for r in rows if r["status"] == "ok"]
    at = [r for r in ok if str(r["budget_s"]) in (budget, "")]
    failed = [r for r in rows if r["status"] == "failed" and str(r["budget_s"]) == budget]
    out = []
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in [*at, *failed])]
    sk_tools = [t for t in SKAUTOML if any(r["tool"] == t for r in [*at, *failed])]

    def acc(tool, ds):
        return _mean(
            [_num(r["test_accuracy"]) for r in at if r["tool"] == tool and r["dataset"] == ds]
        )

    peers = [t for t in [*SKLEARN, *PEERS] if any(r["tool"] == t for r in at)]
    for ds in datasets:
        best_peer = max(((acc(t, ds), t) for t in peers), default=(math.nan, ""))
        sk = [(acc(t, ds), t) for t in sk_tools]
        if math.isnan(best_peer[0]):
            continue
        image = " (image set: must be higher)" if ds in IMAGE_SHAPES else ""
        parts = []
        for a, t in sk:
            if math.isnan(a):
                if any(_is(r, t, ds) for r in failed):
                    parts.append(f"{t} failed, no model (MISSED)")
                continue
            need_higher = ds in IMAGE_SHAPES
            met = a > best_peer[0] if need_higher else a >= best_peer[0]
            parts.append(f"{t} {a:.4f} {'met' if met else 'MISSED'}")
        out.append(
            f"- accuracy on {ds}{image}: best peer {best_peer[1]} {best_peer[0]:.4f}; "
            + "; ".join(parts)
        )
    for ds in datasets:
        one = _mean(
            [
                _num(r["trials_per_min"])
                for r in at
                if r["tool"] == "skautoml-random" and r["dataset"] == ds
            ]
        )
        two = _mean(
            [
                _num(r["trials_per_min"])
                for r in at
                if r["tool"] == "skautoml-random-nj2" and r["dataset"] == ds
            ]
        )
        if not (math.isnan(one) or math.isnan(two)) and one > 0:
            ratio = two / one
            out.append(
                f"- n_jobs=2 vs n_jobs=1 trials/min on {ds} (random search): "
                f"{two:.1f} / {one:.1f} = {ratio:.2f}x "
                f"({'met' if ratio >= 1.7 else 'MISSED'}, target 1.7x)"
            )
    sk_rows = [r for r in [*at, *failed] if r["tool"] in SKAUTOML and r["fit_seconds"] != ""]
    if sk_rows:
        b = float(budget)
        worst = max(sk_rows, key=lambda r: _num(r["fit_seconds"]))
        over = [r for r in sk_rows if _num(r["fit_seconds"]) > b + 3]
        out.append(
            f"- a {budget} s budget ends within {float(budget) + 3:g} s: longest fit "
            f"{_num(worst['fit_seconds']):.1f} s ({worst['tool']} on {worst['dataset']}); "
            f"{len(over)} of {len(sk_rows)} skautoml runs over ({'met' if not over else 'MISSED'})"
        )
    sk_rows = [r for r in sk_rows if r["overhead_pct"] != ""]
    if sk_rows:
        worst = max(sk_rows, key=lambda r: _num(r["overhead_pct"]))
        over = [r for r in sk_rows if _num(r["overhead_pct"]) >= 5]
        out.append(
            "- framework overhead under 5 % of the budget: highest "
            f"{_num(worst['overhead_pct']):.2f} % "
            f"({worst['tool']} on {worst['dataset']}: strategy {_num(worst['strategy_s']):.1f} s, "
            f"forkserver boot {_num0(worst.get('worker_boot_s')):.1f} s, "
            f"worker start {_num(worst['worker_start_s']):.1f} s, "
            f"transfer {_num(worst['transfer_s']):.1f} s); "
            f"{len(over)} of {len(sk_rows)} runs at or over ({'met' if not over else 'MISSED'})"
        )
        steady = [
            100 * (_num(r["overhead_s"]) - _num0(r.get("worker_boot_s"))) / _num(r["budget_s"])
            for r in sk_rows
            if _num(r.get("budget_s", "")) > 0
        ]
        if steady:
            out.append(
                "- the same without the forkserver boot (paid once per Python process; a "
                "second fit in the same process, e.g. in a notebook, does not pay it): "
                f"highest {max(steady):.2f} %, {sum(v >= 5 for v in steady)} of {len(steady)} "
                "runs at or over"
            )
    return out


FULL_COMMAND = "bash benchmarks/setup_peers.sh && .venv/bin/python benchmarks/bench_field.py"


def _not_run(rows: list[dict]) -> list[str]:
    """What of the full protocol (default tools/datasets, 60+300 s, seeds 0-2) has no row."""
    ran = [r for r in rows if r["status"] != "skipped"]
    gaps = []
    budgets = {str(r["budget_s"]) for r in ran if str(r["budget_s"])}
    seeds = {str(r["seed"]) for r in ran}
    missing = [b for b in ("60", "300") if b not in budgets]
    if missing:
        gaps.append("budgets " + ", ".join(f"{b} s" for b in missing))
    missing = [s for s in ("0", "1", "2") if s not in seeds]
    if missing:
        gaps.append("seeds " + ", ".join(missing))
    missing = [d for d in DEFAULT_DATASETS if not any(r["dataset"] == d for r in ran)]
    if missing:
        gaps.append("datasets " + ", ".join(missing))
    return gaps


def _command_of(rows: list[dict]) -> str:
    """The bench_field.py command that re-runs exactly the grid in ``rows``."""
    ran = rows
    budgets = sorted({str(r["budget_s"]) for r in ran if str(r["budget_s"])}, key=float)
    seeds = sorted({str(r["seed"]) for r in ran}, key=int)
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in ran)]
    tools = [t for t in TOOLS if any(r["tool"] == t for r in ran)]
    return (
        ".venv/bin/python benchmarks/bench_field.py "
        f"--budgets {','.join(budgets)} --seeds {','.join(seeds)} "
        f"--datasets {','.join(datasets)} --tools {','.join(tools)}"
    )


def markdown(rows: list[dict], note: str = "") -> str:
    lines = [
        START,
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}. "
        f"Command for the rows below: `{_command_of(rows)}`. "
        "Results: `benchmarks/results/field.csv`.",
        "",
        "Protocol: stratified 75/25 split (`random_state=0`), accuracy on the 25 %; each run "
        "in a fresh subprocess; searches at `n_jobs=1` except `skautoml-random-nj2`. "
        "scikit-learn defaults have no budget (one fit). Peak memory is the summed RSS of "
        "the run's process tree sampled every 0.25 s (shared pages of forked workers count "
        "more than once). Overhead = strategy ask/tell + forkserver boot (once per Python "
        "process) + worker start-up + result transfer from `search_report_`, as % of the "
        "budget (skautoml only).",
        "",
    ]
    gaps = _not_run(rows)
    lines += [
        "Full protocol (all tools and datasets, budgets 60 s and 300 s, seeds 0, 1, 2): "
        f"`{FULL_COMMAND}`. "
        + (
            f"**Not run for this table: {'; '.join(gaps)}.**"
            if gaps
            else "Every part of it is in this table."
        ),
        "",
    ]
    if note:
        lines += [note, ""]
    ok_or_failed = [r for r in rows if r["status"] != "skipped"]
    budgets = sorted({str(r["budget_s"]) for r in ok_or_failed if str(r["budget_s"])}, key=float)
    seeds = sorted({str(r["seed"]) for r in ok_or_failed})
    for budget in budgets:
        lines += [
            f"### Budget {budget} s (seeds: {', '.join(seeds)}; mean over seeds)",
            "",
            "| dataset | tool | test accuracy | fit wall (s) | trials | trials/min | peak mem (MB) "
            "| overhead (% budget) | stop | best pipeline |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        datasets = [d for d in DATASETS if any(r["dataset"] == d for r in ok_or_failed)]
        for ds in datasets:
            for tool in TOOLS:
                sel = [
                    r
                    for r in ok_or_failed
                    if r["tool"] == tool
                    and r["dataset"] == ds
                    and str(r["budget_s"]) in (budget, "")
                ]
                if not sel:
                    continue
                good = [r for r in sel if r["status"] == "ok"]
                if not good:
                    r = sel[0]
                    why = r["note"].replace("|", "/")[:160]
                    lines.append(
                        f"| {ds} | {tool} | **failed**: {why} | {_fmt(r['fit_seconds'])} "
                        f"| | | {_fmt(r['peak_mem_mb'], 0)} | | | |"
                    )
                    continue

                def m(key, rs=good):
                    return _mean([_num(r[key]) for r in rs])

                acc = m("test_accuracy")
                failed = len(sel) - len(good)
                best = good[0]["best"] if len(good) == 1 else ""
                short = " ".join(best.split())[:80].replace("|", "/")
                lines.append(
                    f"| {ds} | {tool} | {_fmt(acc, 4)}{f' ({failed} failed)' if failed else ''} "
                    f"| {_fmt(m('fit_seconds'))} | {_fmt(m('trials'), 0)} "
                    f"| {_fmt(m('trials_per_min'))} "
                    f"| {_fmt(m('peak_mem_mb'), 0)} | {_fmt(m('overhead_pct'), 2)} "
                    f"| {good[0]['stop_reason']} | {short} |"
                )
        lines += ["", f"Targets at {budget} s, computed from these rows:", ""]
        lines += targets(rows, budget) or ["- (not enough rows to check)"]
        lines.append("")
    skipped = {}
    for r in rows:
        if r["status"] == "skipped" and r["note"] != "not an image dataset":
            skipped.setdefault(r["tool"], r["note"])
    if skipped:
        lines += ["Skipped tools:", ""]
        lines += [f"- {t}: {why}" for t, why in skipped.items()]
        lines.append("")
    versions = sorted(
        {v for r in rows if r["status"] == "ok" for v in r["version"].split("; ") if v}
    )
    if versions:
        lines.append("Versions: " + "; ".join(versions) + ".")
    lines.append(END)
    return "\n".join(lines)


def write_section(section: str, start: str, end: str, heading: str, path: Path = DOC) -> None:
    """Put ``section`` (which begins with ``start`` and ends with ``end``) in the doc:
    in place of the old one, or under a new ``heading`` at the end."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + section + "\n"
    path.write_text(text)


def write_doc(block: str, path: Path = DOC) -> None:
    write_section(block, START, END, "Against the field", path)


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
