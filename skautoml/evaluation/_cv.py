"""Cross-validated scoring of one candidate, with failures turned into records."""

from __future__ import annotations

import logging
import os
import time
import traceback
import warnings
from dataclasses import dataclass
from typing import Any

import joblib
from sklearn.base import clone

from ..exceptions import DivergedError
from ..space import BuildContext, Candidate, build_pipeline

__all__ = ["EvalData", "evaluate_candidate", "fit_candidate", "status_of"]

logger = logging.getLogger("skautoml")


@dataclass
class EvalData:
    """Everything a trial needs besides its candidate."""

    X: Any
    y: Any
    splits: list  # list of (train_indices, test_indices)
    scorer: Any
    ctx: BuildContext
    #: folder shared by the trials of one ``fit`` for caching fitted prefixes
    cache_dir: str | None = None


def _take(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def status_of(exc: BaseException) -> str:
    """Map an exception raised by a trial to its record status."""
    if isinstance(exc, DivergedError):
        return "diverged"
    if isinstance(exc, MemoryError):
        return "memout"
    if isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc):
        return "memout"
    return "error"


def error_text(exc: BaseException) -> str:
    """``Type: message`` plus the innermost frame, short enough for a table."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def evaluate_candidate(candidate: Candidate, data: EvalData) -> dict:
    """Score ``candidate`` on every split; never raises for a failing candidate.

    Returns a dict with ``status``, ``test_scores``, ``fit_time``,
    ``score_time`` (means per fold) and ``error``.
    """
    scores, fit_times, score_times = [], [], []
    try:
        template = build_pipeline(candidate, data.ctx)
        if data.cache_dir is not None and len(template.steps) > 1:
            # candidates that share a prefix (same steps, same parameters) fit
            # it once per fold: joblib.Memory keys it by the steps and the data
            template.memory = joblib.Memory(os.path.join(data.cache_dir, "prefix"), verbose=0)
        for train, test in data.splits:
            pipe = clone(template)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipe.fit(_take(data.X, train), _take(data.y, train))
            t1 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                score = float(data.scorer(pipe, _take(data.X, test), _take(data.y, test)))
            score_times.append(time.perf_counter() - t1)
            fit_times.append(t1 - t0)
            if score != score:  # NaN score: the model predicts garbage
                raise DivergedError("the score is NaN; the model's predictions are not finite")
            scores.append(score)
    except Exception as exc:  # a failing candidate is a record, not a crash
        logger.info("trial failed: %s: %s", candidate.describe(), exc)
        return {
            "status": status_of(exc),
            "test_scores": (),
            "fit_time": _mean(fit_times),
            "score_time": _mean(score_times),
            "error": error_text(exc),
        }
    return {
        "status": "ok",
        "test_scores": tuple(scores),
        "fit_time": _mean(fit_times),
        "score_time": _mean(score_times),
        "error": None,
    }


def fit_candidate(candidate: Candidate, data: EvalData):
    """Fit ``candidate`` on all of the data (the refit); exceptions propagate."""
    pipe = build_pipeline(candidate, data.ctx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(data.X, data.y)
    return pipe


def _mean(values) -> float:
    return float(sum(values) / len(values)) if values else 0.0
