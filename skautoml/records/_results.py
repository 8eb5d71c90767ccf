"""Trial records -> cv_results_ dict, best_params_, the leaderboard and failure reports."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from ..exceptions import SearchWarning, TrialFailedWarning
from ..space import Candidate
from ._trial import StopCause, TrialStatus

__all__ = [
    "all_failed_message",
    "candidate_params",
    "cv_results",
    "hyperparameters",
    "leaderboard_frame",
    "warn_failures",
    "within_latency",
]


def candidate_params(candidate: Candidate) -> dict:
    """Flat parameters of a candidate: ``{"steps": (...), "<step>__<param>": value}``."""
    params: dict = {"steps": tuple(s.name for s in candidate.steps if s.name != "passthrough")}
    for step in candidate.steps:
        for key, value in step.params:
            params[f"{step.name}__{key}"] = (
                value.describe()
                if isinstance(value, Candidate)
                else (
                    tuple(v.describe() if isinstance(v, Candidate) else v for v in value)
                    if isinstance(value, tuple)
                    else value
                )
            )
    return params


def hyperparameters(candidate: Candidate) -> str:
    """The searched hyperparameters of a candidate, readable in one line.

    Steps without parameters are left out; floats keep three significant
    digits; a nested candidate (a stacking's members) shows as its pipeline.

    Examples
    --------
    >>> from skautoml.space import Candidate
    >>> svc = Candidate.of(("standard_scaler", {}), ("svc", {"C": 3.16228, "kernel": "rbf"}))
    >>> hyperparameters(svc)
    'svc: C=3.16, kernel=rbf'
    """
    parts = []
    for step in candidate.steps:
        if step.params:
            shown = ", ".join(f"{key}={_readable(value)}" for key, value in step.params)
            parts.append(f"{step.name}: {shown}")
    return "; ".join(parts)


def _readable(value) -> str:
    if isinstance(value, Candidate):
        return f"[{value.describe()}]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_readable(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def cv_results(trials, n_splits: int) -> dict:
    """scikit-learn's ``cv_results_`` shape, plus per-trial status and error."""
    means = np.array([t.mean_score for t in trials], dtype=float)
    results: dict = {
        "params": [candidate_params(t.candidate) for t in trials],
        "pipeline": np.array([t.candidate.describe() for t in trials], dtype=object),
        "hyperparameters": np.array([hyperparameters(t.candidate) for t in trials], dtype=object),
        "mean_test_score": means,
        "std_test_score": np.array([t.std_score for t in trials], dtype=float),
        "rank_test_score": _rank(means),
        "mean_fit_time": np.array([t.fit_time for t in trials], dtype=float),
        "mean_score_time": np.array([t.score_time for t in trials], dtype=float),
        "duration": np.array([t.duration for t in trials], dtype=float),
        "status": np.array([t.status.value for t in trials], dtype=object),
        "error": np.array([t.error for t in trials], dtype=object),
        "complexity": np.array([t.candidate.complexity() for t in trials], dtype=int),
        "size_bytes": _known([t.size_bytes for t in trials]),
        "predict_ms_per_row": _known([t.predict_ms for t in trials]),
    }
    for i in range(n_splits):
        results[f"split{i}_test_score"] = np.array(
            [t.test_scores[i] if len(t.test_scores) > i else math.nan for t in trials], dtype=float
        )
    meta_keys = sorted({k for t in trials for k, _ in t.meta})
    for key in meta_keys:
        results[key] = np.array([dict(t.meta).get(key) for t in trials], dtype=object)
    return results


def _known(values) -> np.ndarray:
    """Floats, NaN where unknown (``None``)."""
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def _rank(means: np.ndarray) -> np.ndarray:
    """Rank 1 is best; failed trials (NaN) share the last rank."""
    if means.size == 0:
        return np.array([], dtype=np.int32)
    filled = np.where(np.isnan(means), -np.inf, means)
    ranks = rankdata(-filled, method="min").astype(np.int32)
    return ranks


def leaderboard_frame(results: dict, left_out=()) -> pd.DataFrame:
    """The leaderboard: one row per trial, best first; then one row per
    ``(component, why)`` of ``left_out`` (status ``"skipped"``, no trial
    number), the components the search left out for this data."""
    columns = [
        "rank_test_score",
        "pipeline",
        "hyperparameters",
        "mean_test_score",
        "std_test_score",
        "mean_fit_time",
        "size_bytes",
        "predict_ms_per_row",
        "status",
        "error",
    ]
    # what kind of model, how it was scored and what it cost (wall seconds, and
    # the cost model's prediction for image networks)
    shown = ("kind", "protocol", "duration", "predicted_seconds", "ensemble_weight")
    extra = [k for k in (*shown, "generation", "operator", "parents", "fidelity") if k in results]
    # results made before size and latency were measured lack them
    known = [c for c in columns if c in results]
    frame = pd.DataFrame({c: results[c] for c in known + extra})
    frame.insert(0, "trial", np.arange(len(frame)))
    frame = frame.rename(
        columns={"rank_test_score": "rank", "mean_test_score": "score", "std_test_score": "std"}
    )
    frame["params"] = results["params"]
    frame = frame.sort_values(["rank", "trial"], kind="stable").reset_index(drop=True)
    if left_out:
        skipped = pd.DataFrame(
            {
                "pipeline": [name for name, _ in left_out],
                "status": "skipped",
                "error": [f"left out of the search: {why}" for _, why in left_out],
            }
        )
        frame = pd.concat([frame, skipped], ignore_index=True)
    return frame


def warn_failures(trials, stacklevel: int = 5) -> None:
    """One summary warning for failed trials, one for trials the budget cut short.

    Pruned trials are the scheduler's choice, not failures.
    """
    if not any(t.ok for t in trials):
        return
    cut = [t for t in trials if t.stop_cause is StopCause.BUDGET]
    failed = Counter(
        t.status.value
        for t in trials
        if t.status not in (TrialStatus.OK, TrialStatus.PRUNED, TrialStatus.SKIPPED)
        and t.stop_cause is not StopCause.BUDGET
    )
    if failed:
        summary = ", ".join(f"{n} {status}" for status, n in sorted(failed.items()))
        warnings.warn(
            f"{sum(failed.values())} of {len(trials)} trials did not succeed ({summary}); "
            "see cv_results_['status'] and ['error'] or leaderboard()",
            TrialFailedWarning,
            stacklevel=stacklevel,
        )
    if cut:
        warnings.warn(
            f"the time budget ran out while {len(cut)} trial(s) were running; they are "
            "recorded as 'timeout', and the estimator is fitted with the best pipeline "
            "found before. Raise time_budget to let such trials finish.",
            SearchWarning,
            stacklevel=stacklevel,
        )


def within_latency(trials, limit: float | None, *, stacklevel: int = 5) -> tuple[list, dict]:
    """The successful trials the winner and the ensemble may come from.

    With ``limit`` (``max_predict_latency``, milliseconds per row), a trial
    whose measured ``predict_ms`` exceeds it is left out; a trial whose
    latency is unknown (a record of an earlier version) is kept. When every
    successful trial is over the limit, the fastest is kept alone, with a
    :class:`~skautoml.exceptions.SearchWarning` that names the limit and its
    latency.

    Returns
    -------
    eligible : list of Trial
        The successful trials within the limit (every successful trial when
        ``limit`` is ``None``).
    report : dict
        ``{"limit": limit, "over": <trials over it>, "met": bool}``, for
        ``search_report_["max_predict_latency"]``.
    """
    ok = [t for t in trials if t.ok]
    if limit is None:
        return ok, {"limit": None, "over": 0, "met": True}
    eligible = [t for t in ok if t.predict_ms is None or t.predict_ms <= limit]
    report = {"limit": limit, "over": len(ok) - len(eligible), "met": bool(eligible)}
    if not eligible and ok:
        fastest = min(ok, key=lambda t: (t.predict_ms, t.number))
        warnings.warn(
            f"no successful trial predicts within max_predict_latency={limit:g} ms per "
            f"row; the fastest, trial {fastest.number} ({fastest.candidate.describe()}), "
            f"takes {fastest.predict_ms:.3g} ms per row and is used alone. Raise "
            "max_predict_latency or search faster models.",
            SearchWarning,
            stacklevel=stacklevel,
        )
        eligible = [fastest]
    return eligible, report


def all_failed_message(trials) -> str:
    """The text of :class:`~skautoml.exceptions.AllTrialsFailedError`."""
    if not trials:
        return "no trial could run within the budget; raise time_budget or max_trials"
    lines = [f"all {len(trials)} trials failed; the first errors were:"]
    for t in trials[:5]:
        lines.append(f"  trial {t.number} ({t.candidate.describe()}): {t.status}: {t.error}")
    return "\n".join(lines)
