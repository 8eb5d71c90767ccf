"""A progress bar with the best score so far (``verbose >= 1``)."""

from __future__ import annotations

import math

from tqdm.auto import tqdm

__all__ = ["Progress"]


class Progress:
    """Count trials on a tqdm bar; silent when ``verbose`` is 0."""

    def __init__(self, verbose, max_trials, time_budget):
        self.verbose = verbose
        self.max_trials = max_trials
        self.time_budget = time_budget
        self.best = -math.inf
        self._bar = None

    def __enter__(self):
        if self.verbose:
            budget = f" (budget {self.time_budget:g} s)" if self.time_budget else ""
            self._bar = tqdm(total=self.max_trials, desc=f"skautoml{budget}", unit="trial")
        return self

    def update(self, trial) -> None:
        if trial.ok:
            self.best = max(self.best, trial.mean_score)
        if self._bar is not None:
            best = f"{self.best:.4f}" if math.isfinite(self.best) else "-"
            self._bar.set_postfix(best=best, last=trial.status)
            self._bar.update(1)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
        return False
