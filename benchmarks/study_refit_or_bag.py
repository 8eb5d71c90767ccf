"""Refit on all rows, or vote with the fold models? On development splits.

``fit`` refits each ensemble member (and the single best) on all training
rows when the budget allows, and falls back on the soft vote of the member's
cross-validation fold models (bagging, as AutoGluon predicts by default)
only when it does not. On small data a bag of models that each saw two
thirds of the rows may predict better than one model refit on all of them,
or worse. This study compares the two on the *same* fit:

- ``fit``: the fitted estimator's own predictions (its ensemble, members
  refit where the budget allowed: ``refit_share`` says how many were);
- ``bagged``: the same members with the same weights, each the soft vote of
  its fold models (read from the fit's ensemble pool);
- ``fit_single``: ``best_pipeline_`` (refit on all rows);
- ``single``: the best trial's fold models, soft-voted.

For each data set and seed, one ``fit`` (``time_budget=--budget``, default
options) on the *development* split (stratified 75/25 with
``random_state=1``, never the reported split's 0), 2 at a time with one core
each; test accuracy on the development test rows.

    .venv/bin/python benchmarks/study_refit_or_bag.py --seeds 0,1,2,3,4 --jobs 2

Writes ``benchmarks/results/refit_or_bag.csv`` and the table between
``<!-- refit-or-bag:start -->`` and ``<!-- refit-or-bag:end -->`` in
``docs/benchmarks.md``.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_ensemble as bench  # noqa: E402
import bench_field as field  # noqa: E402
from study_ensemble_selection import DATASETS, dev_fits, dev_split, fit_keeping_pool  # noqa: E402

OUT = HERE / "results" / "refit_or_bag.csv"
START, END = "<!-- refit-or-bag:start -->", "<!-- refit-or-bag:end -->"
COLUMNS = ["fit", "bagged", "fit_single", "single"]


def one(dataset: str, seed: int, budget: float) -> dict:
    X_tr, X_te, y_tr, y_te = dev_split(dataset)
    classes = np.unique(y_tr)
    with tempfile.TemporaryDirectory() as folder:
        clf, kept = fit_keeping_pool(X_tr, y_tr, budget, seed, folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pool = {e.candidate: e for e in kept.entries()}

            def bag(trial_number: int):
                entry = pool[clf.trials_[trial_number].candidate]
                return np.mean([m.predict_proba(X_te) for m in entry.fold_models()], axis=0)

            proba = sum(m["weight"] * bag(m["trial"]) for m in clf.ensemble_)
            row = {
                "dataset": dataset,
                "seed": seed,
                "trials": len(clf.trials_),
                "members": len(clf.ensemble_),
                "fit": float(clf.score(X_te, y_te)),
                "bagged": float(np.mean(classes[np.argmax(proba, axis=1)] == y_te)),
                "fit_single": float(clf.best_pipeline_.score(X_te, y_te)),
                "single": float(np.mean(classes[np.argmax(bag(clf.best_index_), axis=1)] == y_te)),
            }
    report = clf.search_report_.get("ensemble", {})
    row["refit_share"] = f"{len(report.get('refit', []))}/{len(clf.ensemble_)}"
    return row


def main(argv=None) -> int:
    args, rows = dev_fits(__file__, one, argv, __doc__)
    if rows is None:
        return 0
    field.write_csv(OUT, rows, ["dataset", "seed", "trials", "members", "refit_share", *COLUMNS])
    lines = [
        START,
        f"Development splits (`random_state=1`), one fit of {args.budget:g} s per data set "
        f"and seed (seeds {args.seeds}), {args.jobs} at a time with one core each; test "
        "accuracy of the fit's ensemble as it predicts (**fit**: members refit on all rows "
        "where the budget allowed) and of the same members and weights as bags of their "
        "fold models (**bagged**); the same for the single best. Command: "
        "`.venv/bin/python benchmarks/study_refit_or_bag.py "
        f"--seeds {args.seeds} --budget {args.budget:g} --jobs {args.jobs}`.",
        "",
        "| data set | " + " | ".join(COLUMNS) + " | bagged - fit (points) |",
        "|---|" + "---|" * (len(COLUMNS) + 1),
    ]
    means = {c: [] for c in COLUMNS}
    for d in DATASETS:
        sel = [r for r in rows if r["dataset"] == d and "fit" in r]
        cells = {c: bench._mean([r[c] for r in sel]) for c in COLUMNS}
        for c in COLUMNS:
            means[c].append(cells[c])
        diff = 100 * (cells["bagged"] - cells["fit"])
        lines.append(
            f"| {d} | " + " | ".join(f"{cells[c]:.4f}" for c in COLUMNS) + f" | {diff:+.2f} |"
        )
    mean = {c: bench._mean(means[c]) for c in COLUMNS}
    lines.append(
        "| **mean** | "
        + " | ".join(f"{mean[c]:.4f}" for c in COLUMNS)
        + f" | {100 * (mean['bagged'] - mean['fit']):+.2f} |"
    )
    lines.append(END)
    field.write_section("\n".join(lines), START, END, "Refit or bag")
    return 0


if __name__ == "__main__":
    sys.exit(main())
