"""The one time budget of a ``fit``: made once, passed down, never rebuilt.

:class:`Budget` holds the deadline of the whole ``fit``, the limit of one
trial and the time kept free for the refit. The search loop asks it when to
stop starting trials, the runner asks it when to stop each job, and the
refit asks it how long it may take. A cost-aware scheduler needs exactly
these answers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..records import StopCause, Trial, best_trial

__all__ = ["Budget"]

#: seconds kept free for starting the refit process and returning its result
REFIT_OVERHEAD = 2.0

#: the refit of a candidate is reserved this many times its scaled fit time
REFIT_MARGIN = 1.5

#: seconds kept free for ensemble selection and assembling the vote (at most
#: this share of the budget, so that a tiny budget still runs trials)
ENSEMBLE_RESERVE = 2.0
ENSEMBLE_RESERVE_SHARE = 0.05


@dataclass(frozen=True)
class Budget:
    """Deadlines of one ``fit``, in ``time.monotonic()`` seconds.

    Parameters
    ----------
    started : float
        When the ``fit`` started.
    deadline : float or None
        When the whole ``fit``, refit included, must end; ``None``: no limit.
    trial_limit : float or None
        Seconds one trial (all its folds) may run; ``None``: no limit.
    train_fraction : float, default=1.0
        The mean share of rows a CV fold trains on: a trial's fit time over
        this is the estimate of its refit on all rows.
    refit : bool, default=True
        Whether a refit follows the search; ``False`` keeps no time for it.
    ensemble : bool, default=False
        Whether an ensemble is selected and assembled after the search: it
        keeps :data:`ENSEMBLE_RESERVE` seconds more. Members other than the
        best are refit in whatever time is left, else bagged.
    """

    started: float
    deadline: float | None
    trial_limit: float | None = None
    train_fraction: float = 1.0
    refit: bool = True
    ensemble: bool = False

    @classmethod
    def unlimited(cls) -> Budget:
        """No deadline, no trial limit, no refit reserve."""
        return cls(started=time.monotonic(), deadline=None, refit=False)

    @classmethod
    def start(
        cls,
        time_budget: float | None,
        trial_time_limit: float | None = None,
        *,
        train_fraction: float = 1.0,
        now: float | None = None,
        ensemble: bool = False,
    ) -> Budget:
        """The budget of a ``fit`` starting now.

        ``trial_time_limit=None`` gives a trial a third of ``time_budget``
        (no limit when both are ``None``).
        """
        now = time.monotonic() if now is None else now
        if trial_time_limit is None and time_budget is not None:
            trial_time_limit = float(time_budget) / 3
        return cls(
            started=now,
            deadline=None if time_budget is None else now + float(time_budget),
            trial_limit=None if trial_time_limit is None else float(trial_time_limit),
            train_fraction=max(float(train_fraction), 1e-3),
            ensemble=bool(ensemble),
        )

    # -- the refit ---------------------------------------------------------------
    def refit_estimate(self, trial: Trial | None) -> float:
        """Seconds to keep for refitting ``trial`` on all rows (its measured fit,
        scaled from a fold's rows to all rows, with a margin, plus start-up; for
        an image network refit for its best epoch count, scaled by that count
        over the epochs the trial ran)."""
        if not self.refit:
            return 0.0
        fit_time = trial.fit_time if trial is not None else 0.0
        meta = dict(trial.meta) if trial is not None else {}
        if meta.get("best_epoch") and meta.get("epochs"):
            # an image network is refit for its best epoch count only
            fit_time *= min(1.0, meta["best_epoch"] / meta["epochs"])
        return REFIT_OVERHEAD + REFIT_MARGIN * fit_time / self.train_fraction

    def expected_refit(self, trial: Trial | None) -> float:
        """:meth:`refit_estimate` without its margin: the refit's likely seconds,
        for deciding whether it can still run (rather than what to keep free)."""
        return self.refit_estimate(trial) / REFIT_MARGIN

    def reserve(self, trials: Sequence[Trial]) -> float:
        """Seconds kept free for the refit of the best trial so far (and for
        assembling the ensemble)."""
        extra = 0.0
        if self.ensemble and self.refit:
            extra = ENSEMBLE_RESERVE
            if self.deadline is not None:
                extra = min(extra, ENSEMBLE_RESERVE_SHARE * (self.deadline - self.started))
        return self.refit_estimate(best_trial(trials)) + extra

    def search_deadline(self, trials: Sequence[Trial]) -> float | None:
        """When the search must stop so that the best trial's refit still fits."""
        return None if self.deadline is None else self.deadline - self.reserve(trials)

    # -- one job -----------------------------------------------------------------
    def stop_at(
        self,
        until: float | None,
        *,
        now: float | None = None,
        refit: bool = False,
        limit: float | None = None,
    ) -> tuple[float | None, StopCause | None]:
        """When a job started ``now`` must be stopped, and what the stop means.

        ``until`` is the deadline the caller gives the job (the search
        deadline for a trial, :attr:`deadline` for the refit); a trial is
        also stopped at :attr:`trial_limit`, or at ``limit`` seconds when
        the cost model set the trial's own limit; the refit is not.
        """
        now = time.monotonic() if now is None else now
        stops: list[tuple[float, StopCause]] = []
        if until is not None:
            stops.append((until, StopCause.BUDGET))
        limit = self.trial_limit if limit is None else limit
        if not refit and limit is not None:
            stops.append((now + limit, StopCause.TRIAL_LIMIT))
        if not stops:
            return None, None
        return min(stops, key=lambda s: s[0])
