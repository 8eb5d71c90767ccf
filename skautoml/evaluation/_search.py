"""The search loop: ask -> evaluate on the runner -> record -> tell."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..space import Candidate
from ._executors import Job, TrialRunner
from ._fidelity import SuccessiveHalving
from ._trial import Trial

__all__ = ["SearchResult", "run_search"]

logger = logging.getLogger("skautoml")

#: stop after this many consecutive batches that held only repeats
_MAX_REPEAT_BATCHES = 25


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
    deadline: float | None,
    batch_size: int,
    reserve: Callable[[list[Trial]], float] = lambda trials: 0.0,
    on_trial: Callable[[Trial], None] | None = None,
    on_new_trial: Callable[[Trial], None] | None = None,
    replay: dict[Candidate, Trial] | None = None,
    known: list[Trial] = (),
    trials_out: list[Trial] | None = None,
    scheduler: SuccessiveHalving | None = None,
) -> SearchResult:
    """Run the search until ``max_trials`` trials, the deadline, or exhaustion.

    A candidate already evaluated is never evaluated again: the strategy is
    told the cached record instead. ``reserve(trials)`` is the time to keep
    free before ``deadline`` (the refit); trials are stopped at
    ``deadline - reserve``.

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
    ``scheduler`` turns on multi-fidelity evaluation (see :mod:`._fidelity`).
    """
    trials: list[Trial] = trials_out if trials_out is not None else []
    cache: dict[Candidate, Trial] = {}
    replay = dict(replay or {})
    strategy_seconds = 0.0
    if known:
        strategy.tell([_add_recorded(t, trials, cache, on_trial) for t in known])
    repeats = 0
    repeat_batches = 0
    stop_reason = "exhausted"
    while True:
        if max_trials is not None and len(trials) >= max_trials:
            stop_reason = "max_trials"
            break
        search_deadline = None
        if deadline is not None:
            search_deadline = deadline - reserve(trials)
            if time.monotonic() >= search_deadline:
                stop_reason = "time_budget"
                break
        n = batch_size if max_trials is None else min(batch_size, max_trials - len(trials))
        t0 = time.perf_counter()
        proposals = strategy.ask(n)
        strategy_seconds += time.perf_counter() - t0
        if not proposals:
            stop_reason = "exhausted"
            break
        if replay and any(
            p.candidate not in replay and p.candidate not in cache for p in proposals
        ):
            # the search has left the recorded path (another n_jobs, or no fixed
            # random_state): the records not replayed yet are told now, never run again
            t0 = time.perf_counter()
            told = [_add_recorded(t, trials, cache, on_trial) for t in replay.values()]
            replay.clear()
            logger.info("resume: %d recorded trials told to the strategy", len(told))
            strategy.tell(told)
            strategy_seconds += time.perf_counter() - t0
        fresh, seen = [], []
        for proposal in proposals:
            if proposal.candidate in cache or any(p.candidate == proposal.candidate for p in fresh):
                seen.append(cache.get(proposal.candidate))
            else:
                fresh.append(proposal)
        repeats += len(seen)
        if not fresh:
            repeat_batches += 1
            t0 = time.perf_counter()
            strategy.tell([t for t in seen if t is not None])
            strategy_seconds += time.perf_counter() - t0
            if repeat_batches >= _MAX_REPEAT_BATCHES:
                stop_reason = "exhausted"
                break
            continue
        repeat_batches = 0
        batch = []
        replayed = [p for p in fresh if p.candidate in replay]
        fresh = [p for p in fresh if p.candidate not in replay]
        for proposal in replayed:
            batch.append(_add_recorded(replay.pop(proposal.candidate), trials, cache, on_trial))
        results = _evaluate(runner, fresh, search_deadline, scheduler)
        for proposal, result in zip(fresh, results):
            trial = Trial(
                number=len(trials),
                candidate=proposal.candidate,
                status=result["status"],
                test_scores=tuple(result.get("test_scores", ())),
                fit_time=float(result.get("fit_time", 0.0)),
                score_time=float(result.get("score_time", 0.0)),
                duration=float(result.get("duration", 0.0)),
                error=result.get("error"),
                meta=tuple(sorted(_meta(proposal, result).items())),
            )
            cache[trial.candidate] = trial
            trials.append(trial)
            batch.append(trial)
            logger.info(
                "trial %d %s: %s score=%.4f",
                trial.number,
                trial.status,
                trial.candidate.describe(),
                trial.mean_score,
            )
            if on_new_trial is not None:
                on_new_trial(trial)
            if on_trial is not None:
                on_trial(trial)
        t0 = time.perf_counter()
        strategy.tell(batch + [t for t in seen if t is not None])
        strategy_seconds += time.perf_counter() - t0
    return SearchResult(trials, stop_reason, strategy_seconds, repeats, dict(runner.overhead))


def _evaluate(runner, proposals, deadline, scheduler) -> list[dict]:
    """Run a batch; with a scheduler, cheap first and full only for the promoted."""
    if scheduler is None:
        return runner.run([Job(p.candidate) for p in proposals], deadline=deadline)
    curve = scheduler.curve_thresholds()
    low = runner.run(
        [Job(p.candidate, fidelity=scheduler.fraction, prune_curve=curve) for p in proposals],
        deadline=deadline,
    )
    results = list(low)
    promoted = []
    for i, result in enumerate(low):
        if result["status"] != "ok":
            continue  # a failure at low fidelity is the trial's record
        score = float(np.mean(result["test_scores"]))
        if scheduler.promote(score):
            promoted.append(i)
        else:
            results[i] = {
                **result,
                "status": "pruned",
                "error": (
                    f"score {score:.4f} on {scheduler.fraction:.0%} of the rows is below "
                    "the top third of cheap scores so far"
                ),
                "fidelity": scheduler.fraction,
            }
    if promoted:
        full = runner.run(
            [Job(proposals[i].candidate, prune_curve=curve) for i in promoted], deadline=deadline
        )
        for i, result in zip(promoted, full):
            result["low_fidelity_score"] = float(np.mean(low[i]["test_scores"]))
            result["duration"] = result.get("duration", 0.0) + low[i].get("duration", 0.0)
            if result["status"] == "ok":
                scheduler.add_curve(result.get("curve"))
            results[i] = result
    return results


_RESULT_META = ("worker", "fidelity", "low_fidelity_score")


def _meta(proposal, result: dict) -> dict:
    """The proposal's details plus where and how cheaply the trial ran."""
    meta = dict(proposal.meta)
    for key in _RESULT_META:
        if result.get(key) is not None:
            meta[key] = result[key]
    return meta


def _add_recorded(trial: Trial, trials: list, cache: dict, on_trial) -> Trial:
    """Append a trial recorded by an earlier run (renumbered, marked resumed)."""
    trial = _renumber(trial, len(trials))
    cache[trial.candidate] = trial
    trials.append(trial)
    if on_trial is not None:
        on_trial(trial)
    return trial


def _renumber(trial: Trial, number: int) -> Trial:
    return Trial(
        number=number,
        candidate=trial.candidate,
        status=trial.status,
        test_scores=trial.test_scores,
        fit_time=trial.fit_time,
        score_time=trial.score_time,
        duration=trial.duration,
        error=trial.error,
        meta=tuple(sorted({**dict(trial.meta), "resumed": True}.items())),
    )


def best_trial(trials: list[Trial]) -> Trial | None:
    """The successful trial with the highest mean score (earliest wins ties)."""
    ok = [t for t in trials if t.ok and math.isfinite(t.mean_score)]
    if not ok:
        return None
    return max(ok, key=lambda t: (t.mean_score, -t.number))
