"""Which selection rule: plain greedy, bagged greedy, top-k averaging, the
bagged selection gated by a held-out check against the single best
(``gated25``: see :func:`_gate`), or the bagged selection over a pool with at
most k trials per final estimator (``capK``: see :func:`_capped`), on
development splits; scikit-learn's default logistic regression on the same
split is the reference column ``logreg``.

For each data set and seed, one ``fit`` (``time_budget=--budget``) on the
*development* split (stratified 75/25 with ``random_state=1``, never the
reported split's 0) keeps its ensemble pool beside a checkpoint; the pool's
out-of-fold predictions are then selected from with each rule, and each
selection is scored on the development test rows with the members' fold
models (bagging), so that every rule is compared on the same trials.

    .venv/bin/python benchmarks/study_ensemble_selection.py --seeds 0,1,2,3,4 --jobs 2

Writes ``benchmarks/results/ensemble_selection.csv`` and the table between
``<!-- ensemble-selection:start -->`` and ``<!-- ensemble-selection:end -->``
in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_ensemble as bench  # noqa: E402
import bench_field as field  # noqa: E402

OUT = HERE / "results" / "ensemble_selection.csv"
START, END = "<!-- ensemble-selection:start -->", "<!-- ensemble-selection:end -->"
RULES = ["single", "greedy25", "bagged25", "top3", "top5", "gated25", "cap5", "cap2", "cap1"]
#: the reference: scikit-learn's default logistic regression on the same split
REFERENCE = "logreg"
#: how many trials each fit keeps for the study (the rules then pick their pool
#: of 20 from these; the ``capK`` rules need more than 20 to choose from)
STUDY_POOL = 100
DATASETS = ["pima", "credit", "breast_cancer", "wine", "digits", "iris"]


def dev_split(dataset: str):
    """The development split of ``dataset``: stratified 75/25, ``random_state=1``."""
    from _run_peer import DATASETS as LOADERS
    from sklearn.model_selection import train_test_split

    X, y = LOADERS[dataset]()
    return train_test_split(
        np.asarray(X, dtype=float), y, test_size=0.25, stratify=y, random_state=1
    )


def fit_keeping_pool(X, y, budget: float, seed: int, folder: str):
    """A default ``fit`` whose ensemble pool stays in ``folder`` (beside its
    checkpoint); returns the fitted estimator and its :class:`EnsemblePool`."""
    from skautoml import AutoFineTuneClassifier
    from skautoml.evaluation import EnsemblePool

    checkpoint = os.path.join(folder, "search.jsonl")
    clf = AutoFineTuneClassifier(time_budget=budget, random_state=seed, checkpoint=checkpoint)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    return clf, EnsemblePool(checkpoint + ".pool")


def one(dataset: str, seed: int, budget: float) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import get_scorer

    from skautoml.evaluation import POOL_SIZE, EnsemblePool, make_splits, select_ensemble

    X_tr, X_te, y_tr, y_te = dev_split(dataset)
    # keep STUDY_POOL trials instead of POOL_SIZE (the default is bound at definition)
    EnsemblePool.__init__.__defaults__ = (None, STUDY_POOL, False)
    with tempfile.TemporaryDirectory() as folder:
        clf, pool = fit_keeping_pool(X_tr, y_tr, budget, seed, folder)
        ok = {t.candidate for t in clf.trials_ if t.ok}
        kept = [e for e in pool.entries() if e.candidate in ok and e.n_folds == clf.cv]
        entries = kept[:POOL_SIZE]  # the pool a default fit keeps
        capped = {k: _capped(kept, k, POOL_SIZE) for k in (5, 2, 1)}
        fit_seed = int(np.random.RandomState(seed).randint(np.iinfo(np.int32).max))
        splits = make_splits(clf.cv, X_tr, y_tr, fit_seed)
        classes = np.unique(y_tr)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            used = {id(e): e for e in [*entries, *(e for c in capped.values() for e in c)]}
            tests = {
                i: np.mean([m.predict_proba(X_te) for m in e.fold_models()], axis=0)
                for i, e in used.items()
            }
    test = [tests[id(e)] for e in entries]
    oofs = [e.oof for e in entries]
    accuracy = get_scorer("accuracy")

    def score(weights, members=test) -> float:
        proba = sum(w * p for w, p in zip(weights, members) if w > 0)
        return float(np.mean(classes[np.argmax(proba, axis=1)] == y_te))

    row = {"dataset": dataset, "seed": seed, "pool": len(entries), "kept": len(kept)}
    row["families"] = len({e.candidate.final.name for e in entries})
    row[REFERENCE] = float(LogisticRegression().fit(X_tr, y_tr).score(X_te, y_te))
    for k, members in capped.items():
        rng = np.random.RandomState(seed)
        sel = select_ensemble([e.oof for e in members], y_tr, splits, accuracy, 25, rng, bags=20)
        row[f"cap{k}"] = score(sel.weights, [tests[id(e)] for e in members])
    row["single"] = score(np.eye(len(entries))[0])
    rng = np.random.RandomState(seed)
    row["greedy25"] = score(select_ensemble(oofs, y_tr, splits, accuracy, 25, rng).weights)
    rng = np.random.RandomState(seed)
    row["bagged25"] = score(select_ensemble(oofs, y_tr, splits, accuracy, 25, rng, bags=20).weights)
    for k in (3, 5):
        k_ = min(k, len(entries))
        row[f"top{k}"] = score(np.r_[np.full(k_, 1 / k_), np.zeros(len(entries) - k_)])
    bagged = select_ensemble(oofs, y_tr, splits, accuracy, 25, np.random.RandomState(seed), bags=20)
    keep, row["gate_margin"] = _gate(oofs, y_tr, splits, classes, seed)
    row["gated25"] = score(bagged.weights if keep else np.eye(len(entries))[0])
    return row


def _capped(entries, per_family: int, size: int) -> list:
    """The best ``size`` of ``entries`` (best first) with at most ``per_family``
    of each final estimator: a pool of varied models rather than the
    variants of one that a search converging on it keeps."""
    counts: dict[str, int] = {}
    chosen = []
    for e in entries:
        family = e.candidate.final.name
        if counts.get(family, 0) < per_family:
            counts[family] = counts.get(family, 0) + 1
            chosen.append(e)
        if len(chosen) == size:
            break
    return chosen


def _gate(oofs, y, splits, classes, seed, repeats: int = 5) -> tuple[bool, float]:
    """Whether the bagged selection beats the single best out of sample.

    The selection is scored on the out-of-fold rows it was chosen on, so its
    score is optimistic. Here the rows are halved (stratified, ``repeats``
    times): the ensemble and the single best are chosen on one half and
    scored on the other, both ways. The ensemble is kept when its mean
    held-out accuracy is higher; returns that and the margin (points).
    """
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import StratifiedKFold

    from skautoml.evaluation import select_ensemble

    accuracy = get_scorer("accuracy")
    y = np.asarray(y)
    rows = np.concatenate([te for _, te in splits])

    def held_out(weights, half) -> float:
        proba = sum(w * p for w, p in zip(weights, oofs) if w > 0)
        return float(np.mean(classes[np.argmax(proba[half], axis=1)] == y[half]))

    gains = []
    for r in range(repeats):
        halves = StratifiedKFold(2, shuffle=True, random_state=seed * 100 + r)
        for pick, judge in halves.split(rows, y[rows]):
            pick, judge = rows[pick], rows[judge]
            chosen = [(tr, np.intersect1d(te, pick)) for tr, te in splits]
            rng = np.random.RandomState(seed + r)
            ens = select_ensemble(oofs, y, chosen, accuracy, 25, rng, bags=20).weights
            single = select_ensemble(oofs, y, chosen, accuracy, 1, rng).weights
            gains.append(held_out(ens, judge) - held_out(single, judge))
    margin = 100 * float(np.mean(gains))
    return margin > 0, round(margin, 3)


def dev_fits(script: str, one_fit, argv=None, description: str = ""):
    """Parse a study's arguments and run ``one_fit(dataset, seed, budget)`` for
    every data set and seed, each in a fresh ``script --_one`` process with one
    core, ``--jobs`` at a time. Returns ``(args, rows)``, or ``(args, None)``
    in a ``--_one`` child, which prints its row and is done."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--budget", type=float, default=30)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--_one", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._one:
        spec = json.loads(args._one)
        print(json.dumps(one_fit(spec["dataset"], spec["seed"], spec["budget"])), flush=True)
        return args, None
    items = [(d, int(s)) for s in args.seeds.split(",") for d in DATASETS]

    def run(item):
        spec = json.dumps({"dataset": item[0], "seed": item[1], "budget": args.budget})
        out = subprocess.run(
            [sys.executable, script, "--_one", spec],
            capture_output=True,
            text=True,
            env={**os.environ, **bench._ONE_CORE},
        )
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        row = json.loads(lines[-1]) if lines else {"dataset": item[0], "seed": item[1]}
        print(json.dumps(row), flush=True)
        return row

    return args, list(bench._run_grid(items, args.jobs, run))


def main(argv=None) -> int:
    args, rows = dev_fits(__file__, one, argv, __doc__)
    if rows is None:
        return 0
    columns = [*RULES, REFERENCE]
    field.write_csv(
        OUT, rows, ["dataset", "seed", "pool", "kept", "families", *columns, "gate_margin"]
    )
    lines = [
        START,
        f"Development splits (`random_state=1`), one fit of {args.budget:g} s per data set "
        f"and seed (seeds {args.seeds}), {args.jobs} at a time with one core each; every rule "
        "selects from the same fit's pool (25 rounds; bagged: 20 bags of half the pool) and "
        "is scored on the development test rows with the members' fold models. Command: "
        "`.venv/bin/python benchmarks/study_ensemble_selection.py "
        f"--seeds {args.seeds} --budget {args.budget:g} --jobs {args.jobs}`.",
        "",
        "| data set | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    means = {r: [] for r in columns}
    for d in DATASETS:
        sel = [r for r in rows if r["dataset"] == d and "single" in r]
        cells = [bench._mean([r[k] for r in sel]) for k in columns]
        for k, c in zip(columns, cells):
            means[k].append(c)
        lines.append(f"| {d} | " + " | ".join(f"{c:.4f}" for c in cells) + " |")
    mean_cells = " | ".join(f"{bench._mean(means[k]):.4f}" for k in columns)
    lines.append(f"| **mean** | {mean_cells} |")
    lines.append(END)
    field.write_section("\n".join(lines), START, END, "Choosing the selection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
