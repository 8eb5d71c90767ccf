"""Knowledge distillation: a small student learns the fitted teacher's answers.

:func:`distill` labels ``X`` (and extra rows near it, :mod:`._augment`) with
the teacher's probabilities (or predictions, for a regressor), tries the
student families of :mod:`._students` within a time budget, scores each by
its agreement with the teacher on held-out rows, and returns the chosen
student as a fitted scikit-learn ``Pipeline`` that takes the teacher's raw
input. No labels are needed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..data import ImageRows, categorical_columns, has_missing
from ..space import BuildContext, build_pipeline
from ._augment import augment_rows
from ._measure import pickled_size, predict_ms_per_row, predict_scores
from ._students import fit_soft, is_network, student_candidates

__all__ = ["MAX_LATENCY_RATIO", "MAX_SIZE_RATIO", "Distillation", "distill"]

#: ``student="auto"`` prefers students at most this share of the teacher's pickled size...
MAX_SIZE_RATIO = 0.25
#: ... and of its predict time per row
MAX_LATENCY_RATIO = 0.5
#: held-out rows that score the students (a fifth of ``X``, at most this many)
MAX_HOLDOUT = 1000
#: a student is not started with less than this share of the budget left
MIN_SHARE_LEFT = 0.05
#: extra (augmented) rows per row of ``X``: one shifted copy per image, two MUNGE rows per row
AUGMENT_FACTOR = {"image": 1, "tabular": 2}
#: a student that cannot be stopped mid-fit (not a network) starts only with this share left
UNSTOPPABLE_SHARE_LEFT = 0.25
#: seconds kept at the end for measuring and choosing (at most this share of the budget)
RESERVE, RESERVE_SHARE = 3.0, 0.05


@dataclass
class Distillation:
    """The outcome of :func:`distill`: the student and one report row per student tried."""

    student: object
    rows: list = field(default_factory=list)
    teacher_size: int = 0
    teacher_ms: float = 0.0

    def report(self) -> pd.DataFrame:
        """One row per student tried: fidelity, size, latency, fit time, chosen."""
        return pd.DataFrame(self.rows)


def _teacher_targets(teacher, rows):
    """The teacher's probabilities (a regressor's predictions) on ``rows``; seconds taken."""
    model = teacher._predictor()
    predict = model.predict if teacher._task == "regression" else model.predict_proba
    t0 = time.perf_counter()
    out = np.asarray(predict(rows), dtype=np.float64)
    return out, time.perf_counter() - t0


def _fidelity(task, student, rows, targets) -> float:
    """Agreement with the teacher: same most probable class, or R² to its predictions."""
    if task == "regression":
        return float(r2_score(targets, student.predict(rows)))
    return float(np.mean(np.argmax(predict_scores(student, rows), axis=1) == targets.argmax(1)))


def _context(teacher, rows, seed) -> BuildContext:
    fmt = getattr(teacher, "image_format_", None)
    return BuildContext(
        n_samples=len(rows),
        n_features=rows.shape[1],
        n_classes=len(teacher.classes_) if teacher._task != "regression" else 1,
        categorical_columns=categorical_columns(rows),
        has_missing=has_missing(rows),
        kind="tabular" if fmt is None else "image",
        image_shape=None if fmt is None else fmt.shape,
        seed=seed,
        device=getattr(teacher, "device", "cpu"),
        task=teacher._task,
    )


def _take(X, idx):
    return X.iloc[idx].reset_index(drop=True) if hasattr(X, "iloc") else X[idx]


def _stack(a, b):
    if hasattr(a, "iloc"):
        return pd.concat([a, b], ignore_index=True)
    return np.concatenate([np.asarray(a), np.asarray(b)])


def _with_deadline(pipeline, deadline):
    """Give a network student a :class:`~skautoml.nets.Deadline`; return the
    callbacks to restore (``None`` for other students)."""
    net = pipeline.steps[-1][1]
    if not hasattr(net, "module"):
        return None
    from ..nets import Deadline

    kept = list(net.callbacks or [])
    net.set_params(callbacks=[*kept, ("deadline", Deadline(deadline))])
    return kept


def _train(pipeline, rows, targets, classes, deadline):
    """Fit within ``deadline``; a network's deadline callback is removed afterwards,
    so that a later ``fit`` of the student (or of its exported script) is not cut short."""
    kept = _with_deadline(pipeline, deadline)
    fit_soft(pipeline, rows, targets, classes)
    if kept is not None:
        _for_deployment(pipeline.steps[-1][1], kept)
    return pipeline


def _for_deployment(net, callbacks):
    """Drop a trained network's training state that a deployed student does not use.

    The deadline callback goes (a later ``fit`` must not stop at it); so does
    the optimizer (it pickles a copy of the weights, and its moment estimates
    are twice their size; ``fit`` makes a new one, ``partial_fit`` needs
    ``initialize_optimizer()`` first); the history keeps its epochs (losses,
    scores, durations) but not its per-batch entries.
    """
    net.set_params(callbacks=callbacks)
    net.optimizer_ = None
    for epoch in net.history_:
        epoch["batches"] = []


def _raw_input_model(teacher, pipeline):
    """The student as a pipeline taking the teacher's raw input (images to rows first)."""
    fmt = getattr(teacher, "image_format_", None)
    if fmt is None:
        return pipeline
    steps = pipeline.steps if isinstance(pipeline, Pipeline) else [("model", pipeline)]
    return Pipeline([("image_rows", ImageRows(**vars(fmt)).fit(None)), *steps])


def distill(teacher, X, *, student="auto", time_budget=60, random_state=None) -> Distillation:
    """Train a small student on a fitted estimator's answers over ``X``; see
    :meth:`skautoml.AutoFineTuneClassifier.distill`."""
    check_is_fitted(teacher, "best_pipeline_")
    if not (isinstance(time_budget, (int, float)) and time_budget > 0):
        raise ValueError(f"time_budget must be a positive number of seconds, got {time_budget!r}")
    start = time.monotonic()
    # the students train until ``deadline``; the reserve after it measures and chooses
    deadline = start + float(time_budget) - min(RESERVE, RESERVE_SHARE * time_budget)
    if teacher._task != "regression" and not hasattr(teacher._predictor(), "predict_proba"):
        raise ValueError(
            "distill learns the model's class probabilities, and the winning pipeline "
            f"({teacher.best_candidate_.candidate.describe()}) gives none; search "
            "classifiers with predict_proba"
        )
    rows = teacher._rows(X)
    if len(rows) < 2:
        raise ValueError(f"distill needs at least 2 rows in X, got {len(rows)}")
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(np.iinfo(np.int32).max))
    ctx = _context(teacher, rows, seed)
    candidates = student_candidates(ctx, student)
    classes = None if teacher._task == "regression" else teacher.classes_
    targets, seconds = _teacher_targets(teacher, rows)

    # rows that score the students (only when there is a choice to make)
    order = rng.permutation(len(rows))
    n_hold = min(MAX_HOLDOUT, len(rows) // 5) if len(candidates) > 1 else 0
    hold, train = order[:n_hold], order[n_hold:]
    train_rows, train_targets = _take(rows, train), targets[train]
    extra = augment_rows(
        train_rows, ctx.kind, ctx.image_shape, rng, factor=AUGMENT_FACTOR[ctx.kind]
    )
    fit_rows = _stack(train_rows, extra)
    fit_targets = np.concatenate([train_targets, _teacher_targets(teacher, extra)[0]])
    score_rows, score_targets = (_take(rows, hold), targets[hold]) if n_hold else (None, None)

    timing_rows = score_rows if n_hold else rows
    result = Distillation(
        student=None,
        teacher_size=pickled_size(teacher._predictor()),
        # the labelling of X was one batch prediction of the teacher: its time per row
        teacher_ms=1000.0 * seconds / len(rows),
    )
    fitted = []
    for i, (name, candidate, share) in enumerate(candidates):
        left = deadline - time.monotonic()
        row = {"student": name, "pipeline": candidate.describe(), "status": "ok"}
        needed = MIN_SHARE_LEFT if is_network(candidate) else UNSTOPPABLE_SHARE_LEFT
        if i and left < needed * time_budget:
            result.rows.append({**row, "status": "skipped", "error": "the time budget ran out"})
            continue
        t0 = time.perf_counter()
        try:
            model = _train(
                build_pipeline(candidate, ctx),
                fit_rows,
                fit_targets,
                classes,
                time.monotonic() + share * left,
            )
        except Exception as exc:  # recorded; the next student is tried
            result.rows.append({**row, "status": "error", "error": f"{type(exc).__name__}: {exc}"})
            continue
        row["fit_time"] = time.perf_counter() - t0
        row["size_bytes"] = pickled_size(model)
        row["predict_ms_per_row"] = predict_ms_per_row(model, timing_rows)
        row["fidelity"] = (
            _fidelity(ctx.task, model, score_rows, score_targets) if n_hold else math.nan
        )
        result.rows.append(row)
        fitted.append((row, candidate, model))
    if not fitted:
        errors = "; ".join(f"{r['student']}: {r.get('error')}" for r in result.rows)
        raise RuntimeError(f"no student could be trained ({errors})")
    row, candidate, model = _choose(fitted, result)
    row["chosen"] = True
    # with time left, the chosen student learns from the held-out rows too
    if n_hold and deadline - time.monotonic() > 1.5 * row["fit_time"]:
        all_rows = _stack(rows, extra)
        all_targets = np.concatenate([targets, fit_targets[len(train) :]])
        try:
            model = _train(build_pipeline(candidate, ctx), all_rows, all_targets, classes, deadline)
            row["refit_on_all_rows"] = True
            row["size_bytes"] = pickled_size(model)
        except Exception as exc:  # keep the student trained without them
            row["refit_error"] = f"{type(exc).__name__}: {exc}"
    for r in result.rows:
        r.setdefault("chosen", False)
        r.setdefault("refit_on_all_rows", False)
    result.student = _raw_input_model(teacher, model)
    return result


def _choose(fitted, result: Distillation):
    """The most faithful student within a quarter of the teacher's size and half
    its latency; when none is, the most faithful one; ties go to the smaller."""

    def compact(row):
        return (
            row["size_bytes"] <= MAX_SIZE_RATIO * result.teacher_size
            and row["predict_ms_per_row"] <= MAX_LATENCY_RATIO * result.teacher_ms
        )

    pool = [f for f in fitted if compact(f[0])] or fitted
    return max(pool, key=lambda f: (np.nan_to_num(f[0]["fidelity"], nan=-1.0), -f[0]["size_bytes"]))
