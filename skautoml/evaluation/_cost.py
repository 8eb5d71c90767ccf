"""The cost model: what a trial will cost, how it is evaluated, and its time limit.

Image networks are the costly trials of a search. Before one starts, the
search asks :meth:`CostModel.plan`, which predicts its seconds from the
throughput of this machine (:func:`skautoml.nets.image_step_seconds`:
a few real training steps per backbone, measured once per process, scaled by
FLOPs) and the candidate's workload (backbone, resolution, epochs:
:func:`skautoml.space.network_workload`). From that prediction:

* **the protocol**: a network whose full cross-validation would take more
  than :data:`HOLDOUT_SHARE` of the budget is scored on the first split only
  (``"holdout"``); everything else on every split (``"cv"``). How the two
  are compared fairly: :func:`skautoml.records.best_trial`;
* **its own time limit**: :data:`LIMIT_MARGIN` times the prediction with
  every epoch run (plus :data:`LIMIT_SLACK`), not a flat third of the budget;
* **whether to start it at all**: a trial predicted to end after the search
  must stop is not started; it is recorded as ``"skipped"`` with the
  prediction, so the strategy learns it is out of reach.

Other candidates (classical models, tabular networks, a user's own
backbone) keep the budget's flat trial limit and every split, and are never
skipped; their predicted seconds (the mean of the trials of the same
component so far) are only shown.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass

from ..records import Trial
from ..space import COMPONENTS, Candidate, network_workload
from ._cv import EvalData

__all__ = [
    "IMAGE_NET_KINDS",
    "CostModel",
    "Plan",
    "trial_kind",
    "usable_cores",
    "worker_threads",
]

#: the kinds of image network trials (the others: ``"classical"``, ``"network"``)
IMAGE_NET_KINDS = frozenset({"small_cnn", "probe", "finetune"})

logger = logging.getLogger("skautoml")

#: a network whose cross-validation is predicted to take more than this share
#: of the time budget is scored on a hold-out split
HOLDOUT_SHARE = 0.2
#: the time limit of a network trial: this many times its prediction with
#: every epoch run, plus :data:`LIMIT_SLACK` seconds
LIMIT_MARGIN = 1.5
LIMIT_SLACK = 5.0
#: share of the most epochs that early stopping is expected to run
EXPECTED_EPOCHS = 0.7
#: seconds a network trial spends outside its epochs per fold (building, the
#: validation split, scoring set-up), and more to load pretrained weights
NET_OVERHEAD = 2.0
PRETRAINED_OVERHEAD = 1.0
#: a forward pass costs about this share of a training step
FORWARD_SHARE = 1 / 3
#: the network's own validation split (see ``net_training_kwargs``)
VALID_SHARE = 0.15


@dataclass(frozen=True)
class Plan:
    """How one trial is run.

    Attributes
    ----------
    kind : str
        ``"classical"``, ``"network"`` (tabular), ``"small_cnn"``, ``"probe"``
        or ``"finetune"``.
    seconds : float or None
        Predicted wall seconds of the trial (``None``: no prediction yet).
    limit : float or None
        The trial's own time limit (``None``: the budget's trial limit).
    folds : int or None
        Splits to score (``None``: all of them; ``1``: the hold-out).
    """

    kind: str
    seconds: float | None = None
    limit: float | None = None
    folds: int | None = None

    @property
    def protocol(self) -> str:
        return "holdout" if self.folds == 1 else "cv"


def usable_cores() -> int:
    """Cores this process may use: joblib's count, as ``n_jobs=-1`` sees it
    in scikit-learn (the CPU affinity and a cgroup quota, not only the
    machine's cores)."""
    from joblib import cpu_count

    return max(1, int(cpu_count()))


def _thread_cap() -> int | None:
    """``OMP_NUM_THREADS`` of this process's environment, when it is set."""
    value = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    try:
        threads = int(value)
    except ValueError:
        return None
    return threads if threads > 0 else None


def n_workers(n_jobs: int | None) -> int:
    """Worker processes for ``n_jobs``: ``None`` is 1, ``-1`` one per core."""
    cores = usable_cores()
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return max(1, int(n_jobs))


def worker_threads(n_workers: int) -> int:
    """Threads each of ``n_workers`` worker processes uses.

    The usable cores shared out (:func:`usable_cores`), and never more than
    an ``OMP_NUM_THREADS`` set in this process's environment: a user, a
    cluster scheduler or a benchmark harness that set it asked for at most
    that many threads per process, and a worker sets the thread counts of
    torch, OpenMP and BLAS from this number.
    """
    threads = usable_cores() // max(1, int(n_workers))
    cap = _thread_cap()
    return max(1, min(threads, cap) if cap is not None else threads)


def trial_kind(candidate: Candidate, ctx) -> str:
    """The kind of a candidate, by its final step (see :class:`Plan`)."""
    workload = network_workload(candidate.steps[-1], ctx) if candidate.steps else None
    if workload is not None:
        return workload.kind
    component = COMPONENTS.get(candidate.steps[-1].name) if candidate.steps else None
    return "network" if component is not None and component.is_net else "classical"


class CostModel:
    """Predicts trials' seconds on this machine and plans how each runs.

    Parameters
    ----------
    data : EvalData
        The search's data (rows per split, the build context).
    threads : int
        Torch threads of one worker.
    time_budget : float or None
        Seconds of the whole ``fit`` (``None``: no budget; then every trial
        gets every split and the budget's limits).
    measure : bool, default=True
        Measure throughput for image networks; ``False`` predicts nothing for
        them. Only image data on the CPU is measured: the measurement runs in
        this process, on its CPU, so it would say nothing of a GPU.
    """

    def __init__(self, data: EvalData, threads: int, time_budget, *, measure: bool = True):
        self.data = data
        self.threads = max(1, int(threads))
        self.time_budget = time_budget
        self.measure = (
            measure and data.ctx.kind == "image" and str(data.ctx.device).startswith("cpu")
        )
        self._seen: dict[str, list[float]] = {}
        self._ratios: list[float] = []

    def prepare(self, candidates) -> None:
        """Measure the throughput the ``candidates``' networks need, now.

        Called before any trial starts, so that the few timed training steps
        do not compete with trials for the cores. The worker server boots at
        the same time; the fastest step counts, yet predictions made so came
        out up to 1.4 times those of an idle machine.
        """
        if not self.measure:
            return
        t0 = time.perf_counter()
        for candidate in candidates:
            fold = self._network_fold_seconds(candidate)
            if fold is not None:
                logger.info(
                    "cost model: %s predicted %.1f s per split (%.1f s with every epoch)",
                    candidate.describe(),
                    *fold,
                )
        logger.info("cost model: throughput measured in %.1f s", time.perf_counter() - t0)

    # -- learning from finished trials --------------------------------------------
    def observe(self, trial: Trial) -> None:
        """Remember a finished trial's seconds per split, by its final component."""
        if not trial.ok or not trial.candidate.steps or not trial.test_scores:
            return
        per_split = trial.duration / len(trial.test_scores)
        self._seen.setdefault(trial.candidate.steps[-1].name, []).append(per_split)

    # -- planning -------------------------------------------------------------------
    def plan(self, candidate: Candidate) -> Plan:
        """How to run ``candidate``: its kind, predicted seconds, limit and folds."""
        kind = trial_kind(candidate, self.data.ctx)
        n_splits = max(1, len(self.data.splits))
        fold = self._network_fold_seconds(candidate) if self.measure else None
        if fold is None:
            seen = self._seen.get(candidate.steps[-1].name) if candidate.steps else None
            seconds = n_splits * sum(seen) / len(seen) if seen else None
            return Plan(kind, seconds)
        expected, upper = fold
        folds = None
        if self.time_budget is not None and n_splits * expected > HOLDOUT_SHARE * self.time_budget:
            folds = 1
        used = 1 if folds == 1 else n_splits
        return Plan(kind, used * expected, LIMIT_MARGIN * used * upper + LIMIT_SLACK, folds)

    def observe_epochs(self, candidate: Candidate, result) -> None:
        """Learn from a finished image network how far off the predictions are.

        The trial's fit time per split is compared with the prediction for the
        epochs it actually ran (its validation curve's length); the running
        mean of that ratio (kept between 0.5 and 4) scales every later
        prediction. Workers that share the cores with each other and with the
        search run slower than the idle measurement says.
        """
        parts = self._network_parts(candidate) if self.measure else None
        if parts is None or parts[0].mode != "train" or not result.curve or result.fit_time <= 0:
            return
        _, fixed, per_epoch, _ = parts
        predicted = fixed + per_epoch * len(result.curve)
        self._ratios.append(min(4.0, max(0.5, result.fit_time / predicted)))

    @property
    def correction(self) -> float:
        """The factor applied to predictions (1 until a network trial finished)."""
        return sum(self._ratios) / len(self._ratios) if self._ratios else 1.0

    def _network_fold_seconds(self, candidate: Candidate) -> tuple[float, float] | None:
        """(expected, upper) seconds of one split of an image network, or ``None``."""
        parts = self._network_parts(candidate)
        if parts is None:
            return None
        workload, fixed, per_epoch, scoring = parts
        epochs = workload.epochs
        factor = self.correction
        expected = fixed + scoring + per_epoch * max(1.0, EXPECTED_EPOCHS * epochs)
        upper = fixed + scoring + per_epoch * epochs
        return factor * expected, factor * upper

    def _network_parts(self, candidate: Candidate):
        """(workload, fixed, per-epoch and scoring seconds) of one split, or ``None``
        (also when measuring fails: the candidate then runs unplanned, with the
        budget's own limits, and the failure is logged)."""
        try:
            return self._measured_parts(candidate)
        except Exception as exc:  # a backbone that cannot be timed is no reason to fail
            logger.info("cost model: no prediction for %s: %s", candidate.describe(), exc)
            return None

    def _measured_parts(self, candidate: Candidate):
        if not candidate.steps:
            return None
        ctx = self.data.ctx
        workload = network_workload(candidate.steps[-1], ctx)
        if workload is None:
            return None
        from ..nets import BACKBONES, image_step_seconds  # torch: image data only

        step = image_step_seconds(
            workload.backbone,
            tuple(ctx.image_shape),
            workload.resolution,
            workload.backbone_params,
            threads=self.threads,
        )
        train, test = self.data.splits[0]
        n_fit, n_test = len(train), len(test)
        fixed = NET_OVERHEAD
        if BACKBONES[workload.backbone].pretrained:
            fixed += PRETRAINED_OVERHEAD
        forward = step * FORWARD_SHARE
        if workload.mode == "features":  # one pass of the frozen backbone, a cheap head
            return workload, fixed + 1.0, (n_fit + n_test) * forward, 0.0
        per_epoch = n_fit * (1 - VALID_SHARE) * step + n_fit * VALID_SHARE * forward
        return workload, fixed, per_epoch, n_test * forward


def fits(plan: Plan, now: float, deadline: float | None) -> bool:
    """Whether a trial planned so may finish before ``deadline``.

    Only measured predictions (image networks) decide; a classical trial's
    prediction from earlier trials is shown, never acted on.
    """
    if deadline is None or plan.seconds is None or plan.limit is None:
        return True
    if not math.isfinite(plan.seconds):
        return True
    return now + plan.seconds <= deadline
