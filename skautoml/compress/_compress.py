"""Compression of the fitted winner: int8 networks, pruned networks, a distilled student.

:func:`compress` makes every variant it can within a time budget, scores
each on ``(X, y)`` with the estimator's scorer, measures its pickled size
and predict time per row, and returns the smallest variant whose score is
within ``max_accuracy_drop`` of the teacher's (the teacher itself is always a
candidate, so the result is never larger and never worse than allowed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import get_scorer
from sklearn.utils.validation import check_is_fitted

from ..data import check_regression_y, check_y
from ._distill import _raw_input_model, distill
from ._measure import pickled_size, predict_ms_per_row

__all__ = ["Compression", "compress"]

#: sparsities tried by magnitude pruning (each with a one-epoch recovery fine-tune)
PRUNE_SPARSITIES = (0.5, 0.8)
#: share of the budget kept for distillation (the network variants take the rest, if any)
DISTILL_SHARE = 0.75
#: share of the budget (at most ``STUDENT_INT8_SECONDS``) kept after distillation
#: for the student's int8 forms
STUDENT_INT8_SHARE, STUDENT_INT8_SECONDS = 0.15, 10.0


@dataclass
class Compression:
    """The outcome of :func:`compress`: the chosen model and the report."""

    model: object
    report: pd.DataFrame
    distillation: pd.DataFrame | None = None


def _net_variants(model, X, y):
    """(name, build) of every network variant; none when the model has no torch network."""
    from ..nets import prune_magnitude, quantize_dynamic, quantize_static

    if not _has_nets(model):
        return []
    variants = [
        ("int8_dynamic", lambda: quantize_dynamic(model)),
        ("int8_static", lambda: quantize_static(model, X)),
    ]
    for s in PRUNE_SPARSITIES:
        variants.append(
            (f"pruned_{round(s * 100)}", lambda s=s: prune_magnitude(model, s, X=X, y=y))
        )
    return variants


def _latency(model, X, seconds: float) -> float:
    """Predict time per row (ms): the scoring pass over ``X``; a quick pass
    (under a second) is the median with two more timings of up to 500 rows."""
    per_row = [1000.0 * seconds / len(X)]
    if seconds < 1.0:
        per_row += [predict_ms_per_row(model, X, repeats=1) for _ in range(2)]
    return float(np.median(per_row))


def _has_nets(model) -> bool:
    from ..nets import torch_nets

    return bool(torch_nets(model))


def compress(
    teacher, X, y, *, max_accuracy_drop=0.01, time_budget=60, random_state=None
) -> Compression:
    """Make and measure the compressed variants of a fitted estimator; see
    :meth:`skautoml.AutoFineTuneClassifier.compress`."""
    check_is_fitted(teacher, "best_pipeline_")
    if not (isinstance(max_accuracy_drop, (int, float)) and max_accuracy_drop >= 0):
        raise ValueError(
            f"max_accuracy_drop must be a non-negative number, got {max_accuracy_drop!r}"
        )
    if not (isinstance(time_budget, (int, float)) and time_budget > 0):
        raise ValueError(f"time_budget must be a positive number of seconds, got {time_budget!r}")
    deadline = time.monotonic() + float(time_budget)
    rows = teacher._rows(X)
    n = len(rows)
    y = check_regression_y(y, n) if teacher._task == "regression" else check_y(y, n)
    scorer = get_scorer(teacher._scoring_used())
    base = _raw_input_model(teacher, teacher._predictor())
    records: list[dict] = []
    models: dict[str, object] = {}

    def measure(name, build):
        row = {"method": name, "status": "ok", "error": ""}
        t0 = time.perf_counter()
        try:
            model = build()
            row["build_time"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            row["score"] = float(scorer(model, X, y))
            row["predict_ms_per_row"] = _latency(model, X, time.perf_counter() - t0)
            row["size_bytes"] = pickled_size(model)
            models[name] = model
        except Exception as exc:  # recorded; the next variant is tried
            row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        records.append(row)
        return models.get(name)

    measure("teacher", lambda: base)
    if getattr(teacher, "ensemble_model_", None) is not None:  # an ensemble: its best member
        measure("single_best", lambda: _raw_input_model(teacher, teacher.best_pipeline_))
    variants = _net_variants(base, X, y)
    if not variants:
        records.append(
            {
                "method": "int8 / pruning",
                "status": "not applicable",
                "error": "the model has no torch network to quantise or prune",
            }
        )

    def skipped(name):
        records.append({"method": name, "status": "skipped", "error": "the time budget ran out"})

    for name, build in variants:
        if time.monotonic() > deadline - DISTILL_SHARE * time_budget:
            skipped(name)
            continue
        measure(name, build)

    distilled = None
    kept = min(STUDENT_INT8_SECONDS, STUDENT_INT8_SHARE * time_budget)
    left = deadline - time.monotonic() - kept
    if left > 1.0:
        outcome = []

        def student_of():
            outcome.append(distill(teacher, X, time_budget=left, random_state=random_state))
            return outcome[0].student

        student = measure("distilled", student_of)
        distilled = outcome[0].report() if outcome else None
        if student is not None and _has_nets(student):
            from ..nets import quantize_dynamic, quantize_static

            for name, build in (
                ("distilled_int8_dynamic", lambda: quantize_dynamic(student)),
                ("distilled_int8_static", lambda: quantize_static(student, X)),
            ):
                if time.monotonic() < deadline:
                    measure(name, build)
                else:
                    skipped(name)
    else:
        skipped("distilled")

    report = pd.DataFrame(records)
    for column in ("score", "size_bytes", "predict_ms_per_row", "build_time"):
        if column not in report:
            report[column] = np.nan
    teacher_score = report.loc[report["method"] == "teacher", "score"].iloc[0]
    report["score_drop"] = teacher_score - report["score"]
    report["within"] = (report["status"] == "ok") & (
        report["score_drop"] <= max_accuracy_drop + 1e-12
    )
    ok = report[report["within"]].sort_values(["size_bytes", "score_drop"], kind="stable")
    chosen = ok["method"].iloc[0]
    report["chosen"] = report["method"] == chosen
    columns = [
        "method",
        "status",
        "size_bytes",
        "predict_ms_per_row",
        "score",
        "score_drop",
        "within",
        "chosen",
        "build_time",
        "error",
    ]
    return Compression(models[chosen], report[columns], distilled)
