"""The field benchmark's output: its CSV, the targets it checks, its doc table.

Split from ``bench_field.py`` (which re-exports these names for the other
benchmark scripts).
"""

from __future__ import annotations

import csv
import math
import os
import platform
from pathlib import Path

from _field_common import (
    DATASETS,
    DEFAULT_DATASETS,
    DOC,
    END,
    FIELDS,
    IMAGE_SHAPES,
    PEERS,
    SKAUTOML,
    SKLEARN,
    START,
    TOOLS,
    _fmt,
)


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
