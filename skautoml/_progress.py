"""A progress bar with the best score so far (``verbose >= 1``)."""

from __future__ import annotations

import math

from tqdm.auto import tqdm

__all__ = ["Progress"]


class Progress:
    """Count trials on a tqdm bar; silent when ``verbose`` is 0.

    The bar shows the best score so far, the last trial's status, and the
    kind of the trial started last with its predicted cost (``running=
    finetune holdout ~18 s``).
    """

    def __init__(self, verbose, max_trials, time_budget):
        self.verbose = verbose
        self.max_trials = max_trials
        self.time_budget = time_budget
        self.best = -math.inf
        self._bar = None
        self._running = ""

    def __enter__(self):
        if self.verbose:
            budget = f" (budget {self.time_budget:g} s)" if self.time_budget else ""
            self._bar = tqdm(total=self.max_trials, desc=f"skautoml{budget}", unit="trial")
        return self

    def started(self, plan) -> None:
        """A trial started: show its kind and, when predicted, its cost."""
        if self._bar is None:
            return
        cost = f" ~{plan.seconds:.0f} s" if plan.seconds is not None else ""
        protocol = " holdout" if plan.protocol == "holdout" else ""
        self._running = f"{plan.kind}{protocol}{cost}"
        self._show(None)

    def update(self, trial) -> None:
        if trial.ok:
            self.best = max(self.best, trial.mean_score)
        if self._bar is not None:
            self._show(trial)
            self._bar.update(1)

    def _show(self, trial) -> None:
        best = f"{self.best:.4f}" if math.isfinite(self.best) else "-"
        postfix = {"best": best}
        if trial is not None:
            postfix["last"] = trial.status
        if self._running:
            postfix["running"] = self._running
        self._bar.set_postfix(postfix)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
        return False
