"""What a deployed model costs: its pickled size and its predict time per row."""

from __future__ import annotations

import time

import numpy as np

from ..nets import pickled_size  # torch-free

__all__ = ["pickled_size", "predict_ms_per_row", "predict_scores"]

#: rows timed per measurement, and measurements (the median is kept)
LATENCY_ROWS = 500
LATENCY_REPEATS = 3


def predict_scores(model, X):
    """``predict_proba`` where the model has it, else ``predict``."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X)


def predict_ms_per_row(model, X, *, rows: int = LATENCY_ROWS, repeats: int = LATENCY_REPEATS):
    """Median wall time of predicting up to ``rows`` rows of ``X``, in ms per row.

    Parameters
    ----------
    model : fitted estimator
    X : array-like or DataFrame
        The rows it predicts (the first ``rows`` are timed).
    rows, repeats : int
        How many rows one measurement predicts, and how many measurements
        the median is taken over.

    Returns
    -------
    ms : float
    """
    part = X.iloc[:rows] if hasattr(X, "iloc") else X[:rows]
    n = len(part)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predict_scores(model, part)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1000.0 / max(n, 1)
