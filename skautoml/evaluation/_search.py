"""The search loop: ask -> evaluate on the runner -> record -> tell, asynchronously."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from threadpoolctl import ThreadpoolController

from ..records import StopCause, Trial, TrialStatus, best_trial
from ..space import Candidate
from ._budget import REFIT_OVERHEAD
from ._cost import IMAGE_NET_KINDS, CostModel, Plan, fits
from ._executors import TrialRunner
from ._fidelity import SuccessiveHalving
from ._jobs import Job
from ._result import TrialResult

__all__ = ["SearchResult", "run_search"]

logger = logging.getLogger("skautoml")

#: stop after this many consecutive asks that returned only repeats
_MAX_REPEAT_ASKS = 25
#: after this many consecutive candidates predicted not to fit the time left,
#: ask for no more until a running trial ends (stop when none runs)
_MAX_SKIPS = 10


@dataclass
class SearchResult:
    """What the loop produced and why it stopped."""

    trials: list[Trial]
    stop_reason: str
    strategy_seconds: float = 0.0
    repeats: int = 0
    overhead: dict = field(default_factory=dict)

    def report(self, refit_seconds: float, total_seconds: float) -> dict:
        """The estimator's ``search_report_``: why the search stopped, and where
        the time outside model fitting went."""
        return {
            "stop_reason": self.stop_reason,
            "strategy_seconds": self.strategy_seconds,
            "repeated_proposals": self.repeats,
            "worker_boot_seconds": self.overhead.get("boot", 0.0),
            "worker_start_seconds": self.overhead.get("start", 0.0),
            "result_transfer_seconds": self.overhead.get("transfer", 0.0),
            "refit_seconds": refit_seconds,
            "total_seconds": total_seconds,
        }


def run_search(
    strategy,
    runner: TrialRunner,
    *,
    max_trials: int | None,
    on_trial: Callable[[Trial], None] | None = None,
    on_new_trial: Callable[[Trial], None] | None = None,
    replay: dict[Candidate, Trial] | None = None,
    known: list[Trial] = (),
    trials_out: list[Trial] | None = None,
    scheduler: SuccessiveHalving | None = None,
    cost: CostModel | None = None,
    on_start: Callable[[Plan], None] | None = None,
) -> SearchResult:
    """Run the search until ``max_trials`` trials, the deadline, or exhaustion.

    The loop is asynchronous: whenever one of the runner's workers is free,
    the strategy is asked for one more candidate (``ask(k)`` for ``k`` free
    workers) and the candidate starts at once; each result is told to the
    strategy as soon as it arrives. No worker waits for the slowest trial of
    a batch. With one worker this is the plain sequential ask -> evaluate ->
    tell loop, so a seeded search with ``n_jobs=1`` is reproducible.

    A candidate already evaluated (or running) is never evaluated again: the
    strategy is told the cached record instead. The runner's
    :class:`~skautoml.evaluation.Budget` says when the search must end so
    that the best trial's refit still fits (``search_deadline``); trials are
    stopped then, and no new one starts after it.

    Resuming: a proposal found in ``replay`` (trials of an earlier run with
    the same settings) takes that record instead of running, so a resumed
    search follows the interrupted one exactly. Once a proposal misses the
    records (the run differs: another ``n_jobs``, no fixed ``random_state``),
    every record left is told to the strategy at once, so none is run again.
    ``known`` trials (from a run with other settings) are told to the
    strategy before the first ask.
    ``on_trial`` sees every trial; ``on_new_trial`` only those evaluated now.
    ``trials_out``, when given, is the list trials are appended to, so that a
    caller still holds them if the loop is interrupted.
    ``scheduler`` turns on multi-fidelity evaluation (see :mod:`._fidelity`):
    a candidate's cheap evaluation runs first, and a promoted candidate's
    full evaluation takes the next free worker before any new candidate.
    ``cost`` (see :mod:`._cost`) plans each new candidate: its protocol, its
    own time limit, and whether it can finish before the search must stop
    (if not, it is recorded as ``"skipped"`` and never started);
    ``on_start`` sees the plan of every trial that starts.
    """
    budget = runner.budget
    loop = _Loop(strategy, runner, scheduler, on_trial, on_new_trial, trials_out, cost, on_start)
    replay = dict(replay or {})
    if known:
        loop.tell([loop.add_recorded(t) for t in known])
    repeats = 0
    stop_reason = None
    try:
        while True:
            search_deadline = budget.search_deadline(loop.trials)
            if stop_reason is None:
                if max_trials is not None and loop.started >= max_trials:
                    stop_reason = "max_trials"
                elif search_deadline is not None and time.monotonic() >= search_deadline:
                    stop_reason = "time_budget"
                    loop.stop_all()
                elif loop.skips >= _MAX_SKIPS and loop.idle:
                    stop_reason = "time_budget"  # nothing proposed fits the time left
            if stop_reason is None or stop_reason == "max_trials":
                loop.start_promoted(search_deadline)
            n = runner.free - len(loop.promoted)
            if max_trials is not None:
                n = min(n, max_trials - loop.started)
            if loop.skips >= _MAX_SKIPS:
                n = 0  # nothing proposed fits: let what runs finish
            if stop_reason is None and n > 0:
                proposals = loop.ask(n)
                if not proposals and loop.idle:
                    stop_reason = "exhausted"
                if replay and any(
                    p.candidate not in replay
                    and p.candidate not in loop.cache
                    and not loop.running(p.candidate)
                    for p in proposals
                ):
                    # the search has left the recorded path (another n_jobs, or no fixed
                    # random_state): the records not replayed yet are told now, never run
                    told = [loop.add_recorded(t) for t in replay.values()]
                    replay.clear()
                    logger.info("resume: %d recorded trials told to the strategy", len(told))
                    loop.tell(told)
                fresh, seen, replayed, skipped = [], [], [], 0
                for proposal in proposals:
                    candidate = proposal.candidate
                    if candidate in loop.cache or loop.running(candidate):
                        seen.append(loop.cache.get(candidate))
                    elif candidate in replay:
                        replayed.append(loop.add_recorded(replay.pop(candidate)))
                    else:
                        fresh.append(proposal)
                        skipped += not loop.start(proposal, search_deadline)
                repeats += len(seen)
                loop.tell(replayed + [t for t in seen if t is not None])
                if proposals and not fresh and not replayed:
                    loop.repeat_asks += 1
                    if loop.repeat_asks < _MAX_REPEAT_ASKS:
                        continue  # ask again at once
                    if loop.idle:
                        stop_reason = "exhausted"
                elif proposals:
                    loop.repeat_asks = 0
                if skipped and runner.free and loop.skips < _MAX_SKIPS:
                    continue  # a worker left free by a skipped candidate: ask again
            if loop.idle:
                if stop_reason is not None:
                    break
                continue
            loop.collect(runner.wait())
    finally:
        if not loop.idle:  # interrupted: leave no worker running
            runner.stop_all(StopCause.INTERRUPTED)
    return SearchResult(
        loop.trials, stop_reason, loop.strategy_seconds, repeats, dict(runner.overhead)
    )


class _Loop:
    """The search loop's state: trials, the cache, and what is in flight."""

    def __init__(
        self, strategy, runner, scheduler, on_trial, on_new_trial, trials_out, cost, on_start
    ):
        self.strategy = strategy
        self.cost = cost
        self.on_start = on_start
        #: when the search began (each trial records when it finished, after it)
        self.began = time.monotonic()
        #: candidate -> its plan (kind, predicted seconds, limit, folds)
        self.plans: dict[Candidate, Plan] = {}
        #: consecutive candidates skipped as predicted not to fit
        self.skips = 0
        #: planned network trials the search deadline may spare (see stop_all):
        #: ticket -> (when it started, its predicted seconds)
        self.graced: dict[int, tuple] = {}
        self.runner = runner
        self.scheduler = scheduler
        self.on_trial = on_trial
        self.on_new_trial = on_new_trial
        self.trials: list[Trial] = trials_out if trials_out is not None else []
        self.cache: dict[Candidate, Trial] = {}
        self.strategy_seconds = 0.0
        self.repeat_asks = 0
        #: ticket -> (proposal, cheap result or None); a candidate's current job
        self.flight: dict[int, tuple] = {}
        #: promoted candidates waiting for a worker: (proposal, cheap result)
        self.promoted: list[tuple] = []
        self._blas = ThreadpoolController()

    @property
    def started(self) -> int:
        """Trials recorded or under way (each becomes exactly one trial)."""
        return len(self.trials) + len(self.flight) + len(self.promoted)

    @property
    def idle(self) -> bool:
        return not self.flight and not self.promoted

    def running(self, candidate: Candidate) -> bool:
        return any(p.candidate == candidate for p, _ in self.flight.values()) or any(
            p.candidate == candidate for p, _ in self.promoted
        )

    # -- the strategy --------------------------------------------------------------
    # The strategy runs with one BLAS thread: its matrices (a Gaussian process
    # over tens of points) are tiny, and threads only add synchronisation,
    # more so while the workers keep every core busy (3x slower measured).
    def ask(self, n: int) -> list:
        t0 = time.perf_counter()
        with self._blas.limit(limits=1):
            proposals = self.strategy.ask(n)
        self.strategy_seconds += time.perf_counter() - t0
        return proposals

    def tell(self, trials: list[Trial]) -> None:
        if not trials:
            return
        t0 = time.perf_counter()
        with self._blas.limit(limits=1):
            self.strategy.tell(trials)
        self.strategy_seconds += time.perf_counter() - t0

    # -- the runner ----------------------------------------------------------------
    def start(self, proposal, deadline) -> bool:
        """Start a new candidate as planned: its cheap evaluation first, when
        scheduling (not for a network on the hold-out protocol, already cheap);
        a candidate predicted not to finish before ``deadline`` is skipped
        (recorded, told to the strategy; returns ``False``)."""
        candidate = proposal.candidate
        plan = self.cost.plan(candidate) if self.cost is not None else Plan("classical")
        self.plans[candidate] = plan
        if not fits(plan, time.monotonic(), deadline):
            self.skips += 1
            left = max(0.0, deadline - time.monotonic())
            result = TrialResult(
                TrialStatus.SKIPPED,
                error=(
                    f"not started: predicted to take {plan.seconds:.0f} s, and the search "
                    f"must stop in {left:.0f} s"
                ),
            )
            self.tell([self.record(proposal, result)])
            return False
        self.skips = 0
        if self.scheduler is None or plan.folds == 1:
            curve = self.scheduler.curve_thresholds() if self.scheduler is not None else None
            job = Job(candidate, prune_curve=curve, folds=plan.folds)
            low = None
        else:
            curve = self.scheduler.curve_thresholds()
            job = Job(candidate, fidelity=self.scheduler.fraction, prune_curve=curve)
            low = False  # the cheap evaluation is running
        self._submit(job, proposal, low, plan, deadline)
        if self.on_start is not None:
            self.on_start(plan)
        return True

    def start_promoted(self, deadline) -> None:
        while self.promoted and self.runner.free:
            proposal, low = self.promoted.pop(0)
            plan = self.plans.get(proposal.candidate, Plan("classical"))
            job = Job(
                proposal.candidate, prune_curve=self.scheduler.curve_thresholds(), folds=plan.folds
            )
            self._submit(job, proposal, low, plan, deadline)

    def _submit(self, job: Job, proposal, low, plan: Plan, deadline) -> None:
        """Submit ``job`` as planned; a planned network's full evaluation runs to
        the ``fit``'s deadline (less the refit's start-up), not the search's, and
        may be spared when the search must stop (see :meth:`stop_all`)."""
        graced = job.fidelity == 1.0 and plan.limit is not None
        hard = self.runner.budget.deadline
        until = deadline
        if graced and hard is not None and deadline is not None:
            until = max(deadline, hard - REFIT_OVERHEAD)
        ticket = self.runner.submit(job, until, limit=plan.limit)
        self.flight[ticket] = (proposal, low)
        if graced:
            self.graced[ticket] = (time.monotonic(), plan.seconds)

    def _grace(self) -> set[int]:
        budget = self.runner.budget
        if budget.deadline is None:
            return set()
        best = best_trial(self.trials)
        cutoff = budget.deadline - budget.expected_refit(best)
        keep = set()
        for ticket, (started, seconds) in self.graced.items():
            if seconds is not None and started + seconds <= cutoff:
                keep.add(ticket)
                self.runner.stop_by(ticket, cutoff)
        return keep

    def stop_all(self) -> None:
        """The search's time is spent: stop what runs, record promoted ones as cut.

        A network trial the cost model planned keeps running if it is
        predicted to end while the refit of the best trial so far still fits
        after it; it is then stopped by that time at the latest. It may well
        become the best, and then its first-split model stands in if its own
        refit does not fit (see :func:`._refit.refit_best`).
        """
        keep = self._grace()
        done = self.runner.stop_all(StopCause.BUDGET, keep=keep)
        for proposal, low in self.promoted:
            self.record(proposal, _merge_low(TrialResult.stopped(0.0, StopCause.BUDGET), low))
        self.promoted = []
        self.collect(done)

    def collect(self, done: list) -> None:
        """Record finished jobs (promote cheap ones that earn it); tell the strategy."""
        told = []
        if done:
            self.skips = 0  # time has passed, the strategy has learnt: ask again
        for ticket, result in done:
            proposal, low = self.flight.pop(ticket)
            self.graced.pop(ticket, None)
            if low is False:  # a cheap evaluation finished
                result = self._judge_cheap(proposal, result)
                if result is None:
                    continue  # promoted: its full evaluation comes next
            elif low is not None:
                result = _merge_low(result, low)
                if result.ok:
                    self.scheduler.add_curve(result.curve)
            if result.ok and result.curve and self.cost is not None:
                self.cost.observe_epochs(proposal.candidate, result)
            told.append(self.record(proposal, result))
        self.tell(told)

    def _judge_cheap(self, proposal, result: TrialResult) -> TrialResult | None:
        if not result.ok:
            return result  # a failure at low fidelity is the trial's record
        score = result.mean_score
        if self.scheduler.promote(score):
            self.promoted.append((proposal, result))
            return None
        return result.with_(
            status=TrialStatus.PRUNED,
            error=(
                f"score {score:.4f} on {self.scheduler.fraction:.0%} of the rows is below "
                "the top third of cheap scores so far"
            ),
            fidelity=self.scheduler.fraction,
        )

    # -- the records -----------------------------------------------------------
    def record(self, proposal, result: TrialResult) -> Trial:
        trial = Trial(
            number=len(self.trials),
            candidate=proposal.candidate,
            status=result.status,
            test_scores=tuple(result.test_scores),
            fit_time=float(result.fit_time),
            score_time=float(result.score_time),
            duration=float(result.duration),
            error=result.error,
            meta=tuple(
                sorted(
                    {
                        **_meta(proposal, result, self.plans.get(proposal.candidate)),
                        "finished": round(time.monotonic() - self.began, 3),
                    }.items()
                )
            ),
            stop_cause=result.stop_cause,
            size_bytes=result.size_bytes,
            predict_ms=result.predict_ms,
        )
        self.cache[trial.candidate] = trial
        self.trials.append(trial)
        if self.cost is not None:
            self.cost.observe(trial)
        logger.info(
            "trial %d %s: %s score=%.4f",
            trial.number,
            trial.status,
            trial.candidate.describe(),
            trial.mean_score,
        )
        if self.on_new_trial is not None:
            self.on_new_trial(trial)
        if self.on_trial is not None:
            self.on_trial(trial)
        return trial

    def add_recorded(self, trial: Trial) -> Trial:
        """Append a trial recorded by an earlier run (renumbered, marked resumed)."""
        trial = trial.renumbered(len(self.trials))
        self.cache[trial.candidate] = trial
        self.trials.append(trial)
        if self.on_trial is not None:
            self.on_trial(trial)
        return trial


def _merge_low(result: TrialResult, low: TrialResult | None) -> TrialResult:
    """A full evaluation's result, with its cheap evaluation's score and time."""
    if not low:
        return result
    return result.with_(low_fidelity_score=low.mean_score, duration=result.duration + low.duration)


_RESULT_META = ("worker", "fidelity", "low_fidelity_score", "protocol")


def _meta(proposal, result: TrialResult, plan: Plan | None) -> dict:
    """The proposal's details plus where and how cheaply the trial ran, its
    kind and, when the cost model predicted it, the predicted seconds."""
    meta = dict(proposal.meta)
    if plan is not None:
        meta["kind"] = plan.kind
        if plan.seconds is not None:
            meta["predicted_seconds"] = round(float(plan.seconds), 2)
        if plan.kind in IMAGE_NET_KINDS and result.best_epoch is not None:
            # the refit trains this many epochs on every row (see _refit)
            meta["best_epoch"] = int(result.best_epoch)
            meta["epochs"] = len(result.curve or ()) or None
    for key in _RESULT_META:
        value = getattr(result, key)
        if value is not None:
            meta[key] = value
    return meta
