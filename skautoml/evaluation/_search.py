"""The search loop: ask -> evaluate on the runner -> record -> tell, asynchronously."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from threadpoolctl import ThreadpoolController

from ..records import StopCause, Trial, TrialStatus
from ..space import Candidate
from ._executors import TrialRunner
from ._fidelity import SuccessiveHalving
from ._jobs import Job
from ._result import TrialResult

__all__ = ["SearchResult", "run_search"]

logger = logging.getLogger("skautoml")

#: stop after this many consecutive asks that returned only repeats
_MAX_REPEAT_ASKS = 25


@dataclass
class SearchResult:
    """What the loop produced and why it stopped."""

    trials: list[Trial]
    stop_reason: str
    strategy_seconds: float = 0.0
    repeats: int = 0
    overhead: dict = field(default_factory=dict)


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
    """
    budget = runner.budget
    loop = _Loop(strategy, runner, scheduler, on_trial, on_new_trial, trials_out)
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
            if stop_reason is None or stop_reason == "max_trials":
                loop.start_promoted(search_deadline)
            n = runner.free - len(loop.promoted)
            if max_trials is not None:
                n = min(n, max_trials - loop.started)
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
                fresh, seen, replayed = [], [], []
                for proposal in proposals:
                    candidate = proposal.candidate
                    if candidate in loop.cache or loop.running(candidate):
                        seen.append(loop.cache.get(candidate))
                    elif candidate in replay:
                        replayed.append(loop.add_recorded(replay.pop(candidate)))
                    else:
                        fresh.append(proposal)
                        loop.start(proposal, search_deadline)
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

    def __init__(self, strategy, runner, scheduler, on_trial, on_new_trial, trials_out):
        self.strategy = strategy
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
    def start(self, proposal, deadline) -> None:
        """Start a new candidate: its cheap evaluation first, when scheduling."""
        if self.scheduler is None:
            job = Job(proposal.candidate)
            low = None
        else:
            curve = self.scheduler.curve_thresholds()
            job = Job(proposal.candidate, fidelity=self.scheduler.fraction, prune_curve=curve)
            low = False  # the cheap evaluation is running
        self.flight[self.runner.submit(job, deadline)] = (proposal, low)

    def start_promoted(self, deadline) -> None:
        while self.promoted and self.runner.free:
            proposal, low = self.promoted.pop(0)
            job = Job(proposal.candidate, prune_curve=self.scheduler.curve_thresholds())
            self.flight[self.runner.submit(job, deadline)] = (proposal, low)

    def stop_all(self) -> None:
        """The budget is spent: stop what runs, record promoted ones as cut."""
        done = self.runner.stop_all(StopCause.BUDGET)
        for proposal, low in self.promoted:
            self.record(proposal, _merge_low(TrialResult.stopped(0.0, StopCause.BUDGET), low))
        self.promoted = []
        self.collect(done)

    def collect(self, done: list) -> None:
        """Record finished jobs (promote cheap ones that earn it); tell the strategy."""
        told = []
        for ticket, result in done:
            proposal, low = self.flight.pop(ticket)
            if low is False:  # a cheap evaluation finished
                result = self._judge_cheap(proposal, result)
                if result is None:
                    continue  # promoted: its full evaluation comes next
            elif low is not None:
                result = _merge_low(result, low)
                if result.ok:
                    self.scheduler.add_curve(result.curve)
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
            meta=tuple(sorted(_meta(proposal, result).items())),
            stop_cause=result.stop_cause,
        )
        self.cache[trial.candidate] = trial
        self.trials.append(trial)
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


_RESULT_META = ("worker", "fidelity", "low_fidelity_score")


def _meta(proposal, result: TrialResult) -> dict:
    """The proposal's details plus where and how cheaply the trial ran."""
    meta = dict(proposal.meta)
    for key in _RESULT_META:
        value = getattr(result, key)
        if value is not None:
            meta[key] = value
    return meta
