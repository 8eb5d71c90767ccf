"""The refit of the winner on all rows, and what to return when it cannot finish."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.model_selection import StratifiedKFold, check_cv

from ..exceptions import SearchWarning
from ..records import StopCause, Trial
from ._cv import EvalData, fit_candidate
from ._executors import TrialRunner
from ._jobs import Job
from ._result import TrialResult

__all__ = ["make_splits", "refit_best"]


def make_splits(cv, X, y, seed: int, *, stacklevel: int = 2) -> list:
    """The CV splits of a ``fit``: an int is shuffled ``StratifiedKFold``.

    Raises a clear error for a class with a single example, and uses fewer
    folds (with a warning) when the smallest class has fewer than ``cv``.
    """
    if isinstance(cv, Integral):
        counts = Counter(y.tolist())
        smallest = min(counts.values())
        if smallest < 2:
            rare = [c for c, n in counts.items() if n < 2]
            raise ValueError(
                f"class(es) {rare} have a single example; cross-validation needs at "
                "least 2 examples of every class. Add examples or drop those rows."
            )
        n_splits = int(cv)
        if smallest < n_splits:
            warnings.warn(
                f"the smallest class has {smallest} examples, fewer than cv={n_splits}; "
                f"using {smallest} folds",
                SearchWarning,
                stacklevel=stacklevel + 1,
            )
            n_splits = smallest
        cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    else:
        cv = check_cv(cv, y, classifier=True)
    return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y)]


def refit_best(
    runner: TrialRunner, best: Trial, trials: list[Trial], data: EvalData, *, stacklevel: int = 2
) -> tuple[object, str]:
    """Refit ``best`` on all rows within the budget; fall back on a model fitted
    during the search. Returns ``(pipeline, source)``.

    ``source`` is ``"refit"``; or ``"first_fold"`` when the refit cannot
    finish before the budget's deadline, is predicted not to (it is then not
    started), or a second Ctrl-C stops it: the best trial's first-fold
    pipeline kept by the runner; or ``"fastest"``
    when no such pipeline was kept: the fastest successful candidate refit
    here, outside the budget.
    """
    # an image network is refit for the epochs its trial found best, on every
    # row (no validation split, no patience spent); other models as they are
    epochs = dict(best.meta).get("best_epoch")
    budget = runner.budget
    needs = budget.expected_refit(best)
    left = None if budget.deadline is None else budget.deadline - time.monotonic()
    try:
        kept = runner.kept
        own = kept is not None and kept.candidate == best.candidate
        if own and left is not None and needs > left:
            # a refit predicted to be cut is not started: the best trial's own
            # first-split model stands in
            refit = TrialResult.stopped(
                0.0, StopCause.BUDGET, why=f"predicted to take {needs:.0f} s, {left:.0f} s left"
            )
        else:
            job = Job(best.candidate, "refit", epochs=epochs)
            refit = runner.run([job], until=budget.deadline)[0]
    except KeyboardInterrupt:
        refit = TrialResult.stopped(0.0, StopCause.INTERRUPTED, why="Ctrl-C during the refit")
    if refit.ok:
        return refit.pipeline, "refit"
    why = (
        f"the refit of the best candidate ({best.candidate.describe()}) did not finish "
        f"({refit.status}: {refit.error})"
    )
    kept = runner.kept
    if kept is not None:
        warnings.warn(
            f"{why}; best_pipeline_ is {kept.candidate.describe()} (CV score "
            f"{kept.score:.4f}) as fitted on the training rows of the first CV fold "
            f"({kept.n_train} of {len(data.y)} rows). Raise time_budget to refit on "
            "all rows.",
            SearchWarning,
            stacklevel=stacklevel + 1,
        )
        return kept.pipeline, "first_fold"
    fallback = min((t for t in trials if t.ok), key=lambda t: t.fit_time)
    warnings.warn(
        f"{why}; refitting the fastest successful candidate "
        f"({fallback.candidate.describe()}) instead",
        SearchWarning,
        stacklevel=stacklevel + 1,
    )
    return fit_candidate(fallback.candidate, data), "fastest"
