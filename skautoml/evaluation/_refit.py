"""The refit of the winner on all rows, and what to return when it cannot finish."""

from __future__ import annotations

import math
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, check_cv

from ..exceptions import SearchWarning
from ..nets import release_feature_cache  # torch-free
from ..records import StopCause, Trial
from ._bagging import bag_of_folds, reproducible_splitter
from ._cv import EvalData, fit_candidate
from ._ensemble import BAGS, select_ensemble, soft_vote
from ._executors import TrialRunner
from ._jobs import Job, unpacked
from ._result import TrialResult

__all__ = [
    "EnsembleFit",
    "Selected",
    "build_ensemble",
    "make_splits",
    "refit_best",
    "select_members",
]


def make_splits(cv, X, y, seed: int, *, stacklevel: int = 2, regression: bool = False) -> list:
    """The CV splits of a ``fit``: an int is shuffled ``StratifiedKFold``
    (``KFold`` for regression).

    Raises a clear error for a class with a single example, and uses fewer
    folds (with a warning) when the smallest class has fewer than ``cv``.
    """
    if regression:
        if isinstance(cv, Integral):
            if len(y) < max(2, int(cv)):
                raise ValueError(
                    f"cv={int(cv)} needs at least {max(2, int(cv))} rows, got "
                    f"n_samples = {len(y)}; add rows or lower cv"
                )
            cv = KFold(n_splits=int(cv), shuffle=True, random_state=seed)
        else:
            cv = check_cv(cv, y, classifier=False)
        return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y)]
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
    during the search. Returns ``(pipeline, source)``; a pipeline refit in a
    worker comes :class:`~._jobs.Packed` (:func:`~._jobs.unpacked` gives it),
    so that it is unpickled after the ensemble's refits.

    ``source`` is ``"refit"``; or ``"first_fold"`` when the refit cannot
    finish before the budget's deadline, is predicted not to (it is then not
    started), or a second Ctrl-C stops it: the best trial's first-fold
    pipeline kept by the runner; or ``"fastest"``
    when no such pipeline was kept: the fastest successful candidate refit
    here, outside the budget. Both fallbacks come from ``trials`` only (the
    estimator passes those within ``max_predict_latency``).
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
    if kept is not None and any(t.candidate == kept.candidate for t in trials):
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


@dataclass
class EnsembleFit:
    """What :func:`build_ensemble` returns.

    ``model`` is the fitted soft vote (``None`` when the ensemble has one
    member: :attr:`best_pipeline_`, or that member's model, predicts);
    ``members`` the public ``ensemble_`` list; ``score`` the out-of-fold
    score; ``report`` what ``search_report_["ensemble"]`` shows.
    """

    model: object
    members: list
    score: float
    report: dict
    single: object = None

    @classmethod
    def alone(cls, best: Trial, report: dict | None = None, pipeline=None) -> EnsembleFit:
        """The one-member ensemble of the best trial: ensembles off, or
        selection kept the best alone, or no other member could serve."""
        members = [{"trial": best.number, "weight": 1.0, "pipeline": best.candidate.describe()}]
        return cls(None, members, best.mean_score, report or {}, pipeline)

    def predictor(self, best_pipeline):
        """What predicts besides ``best_pipeline``: the vote, or a lone member
        other than the best; ``None`` when the best pipeline predicts."""
        if self.model is not None:
            return self.model
        return None if self.single is None or self.single is best_pipeline else self.single

    def weights(self, n_trials: int) -> np.ndarray:
        """Each trial's weight in the ensemble (0 for non-members)."""
        weights = np.zeros(n_trials)
        for member in self.members:
            weights[member["trial"]] = member["weight"]
        return weights


@dataclass(frozen=True)
class Selected:
    """What :func:`select_members` chose: ``(trial, pool entry, weight)`` per
    member, heaviest first (empty when the pool had no usable trial), the
    out-of-fold score and the report so far."""

    members: list
    score: float
    report: dict


def select_members(
    budget,
    pool,
    trials: list[Trial],
    best: Trial,
    data: EvalData,
    size: int,
    rng,
    max_latency: float | None = None,
) -> Selected:
    """Select the ensemble from ``pool`` (bagged Caruana selection, see
    :mod:`._ensemble`) over the trials scored on at least the best trial's
    splits. It runs before any refit, in the time the :class:`Budget` kept
    for it, so that a refit running late cannot cut the selection short.
    With ``max_latency`` (ms per row), only members within it take part,
    and the distinct members' summed prediction time stays within it."""
    t0 = time.monotonic()
    by_candidate = {t.candidate: t for t in trials if t.ok and _within(t, max_latency)}
    folds = len(best.test_scores)
    entries = [e for e in pool.entries() if e.candidate in by_candidate and e.n_folds >= folds]
    report = {"size": size, "pool": len(entries), "refit": [], "bagged": [], "dropped": []}
    if not entries:
        report["why"] = "no trial in the pool (no predict_proba, or none kept)"
        if max_latency is not None:
            report["why"] += " within max_predict_latency"
        return Selected([], best.mean_score, report)
    costs = [by_candidate[e.candidate].predict_ms for e in entries]
    until = None if budget.deadline is None else budget.deadline - _ASSEMBLY_SECONDS
    selection = select_ensemble(
        [e.oof for e in entries],
        data.y,
        data.splits[:folds],
        data.scorer,
        size,
        rng,
        until=until,
        bags=BAGS,
        regression=data.regression,
        sample_weight=data.sample_weight,
        costs=[math.nan if c is None else c for c in costs],
        max_cost=max_latency,
    )
    report["rounds"] = selection.rounds
    report["bags"] = selection.bags
    report["trajectory"] = [round(v, 6) for v in selection.trajectory]
    report["selection_seconds"] = time.monotonic() - t0
    members = [
        (by_candidate[entries[i].candidate], entries[i], float(selection.weights[i]))
        for i in np.argsort(-selection.weights, kind="stable")
        if selection.weights[i] > 0
    ]
    if max_latency is not None:
        report["predict_ms_per_row"] = sum(t.predict_ms or 0.0 for t, _, _ in members)
    return Selected(members, selection.score, report)


def _within(trial: Trial, max_latency: float | None) -> bool:
    """Whether ``trial`` predicts within ``max_latency`` ms per row (unknown: yes)."""
    return max_latency is None or trial.predict_ms is None or trial.predict_ms <= max_latency


def build_ensemble(
    runner: TrialRunner,
    selected: Selected,
    best: Trial,
    best_pipeline,
    best_source: str,
    data: EvalData,
) -> EnsembleFit:
    """Fit the ensemble :func:`select_members` chose, within the budget.

    The best trial's refit (``best_pipeline`` when ``best_source`` is
    ``"refit"``) serves as its member; every other member is refit on all
    rows when its predicted refit fits before the deadline (largest weight
    first, ``n_workers`` at a time), else it is the soft vote of its fold
    models (bagging), loaded from the pool. A member whose fold models cannot
    be used is dropped and the weights renormalised. ``report`` says which
    member got what.
    """
    t0 = time.monotonic()
    members, report = selected.members, dict(selected.report)
    if not members:
        return EnsembleFit.alone(best, report, unpacked(best_pipeline))
    if len(members) == 1 and members[0][0] is best:
        fit = EnsembleFit.alone(best, report, unpacked(best_pipeline))
        fit.score = selected.score
        return fit
    models = _member_models(runner, members, best, best_pipeline, best_source, data, report)
    kept = [(trial, w) for (trial, _, w) in members if trial.number in models]
    if not kept:  # every member dropped: the single best predicts
        return EnsembleFit.alone(best, report, unpacked(best_pipeline))
    total = sum(w for _, w in kept)
    public = [
        {"trial": t.number, "weight": w / total, "pipeline": t.candidate.describe()}
        for t, w in kept
    ]
    named = [(f"trial{t.number}", models[t.number]) for t, _ in kept]
    if len(named) == 1:
        model = None
        single = named[0][1]
    else:
        weights = [m["weight"] for m in public]
        model = soft_vote(named, weights, data.X, data.y, regression=data.regression)
        single = None
    report["seconds"] = time.monotonic() - t0
    release_feature_cache(model)  # the search's cache folder goes when fit ends
    release_feature_cache(single)
    return EnsembleFit(model, public, selected.score, report, single)


#: seconds kept before the deadline for loading fold models and assembling the vote
_ASSEMBLY_SECONDS = 1.0


def _member_models(runner, members, best, best_pipeline, best_source, data, report) -> dict:
    """trial number -> the fitted model standing for that member."""
    budget = runner.budget
    models: dict = {}
    jobs, waiting = [], []
    now = time.monotonic()
    left = math.inf if budget.deadline is None else budget.deadline - _ASSEMBLY_SECONDS - now
    lanes = [0.0] * runner.n_workers  # predicted busy seconds per worker
    splitter = reproducible_splitter(data)
    for trial, entry, _ in members:
        if trial is best and best_source == "refit":
            models[trial.number] = best_pipeline
            report["refit"].append(trial.number)
            continue
        needs = budget.expected_refit(trial)
        lane = min(range(len(lanes)), key=lanes.__getitem__)
        if lanes[lane] + needs <= left:
            lanes[lane] += needs
            epochs = dict(trial.meta).get("best_epoch")
            jobs.append(Job(trial.candidate, "refit", epochs=epochs))
            waiting.append((trial, entry))
        else:
            _bag(trial, entry, data, models, report, splitter)
    if jobs:
        until = None if budget.deadline is None else budget.deadline - _ASSEMBLY_SECONDS
        try:
            results = runner.run(jobs, until=until)
        except KeyboardInterrupt:
            results = [TrialResult.stopped(0.0, StopCause.INTERRUPTED)] * len(jobs)
        for (trial, entry), result in zip(waiting, results):
            if result.ok:
                models[trial.number] = result.pipeline
                report["refit"].append(trial.number)
            else:
                _bag(trial, entry, data, models, report, splitter)
    # unpickled now that no worker refits (a network's pipeline imports torch)
    return {number: unpacked(model) for number, model in models.items()}


def _bag(trial, entry, data, models: dict, report: dict, splitter) -> None:
    """The member as the average of its fold models, if they can serve: a
    :class:`FoldBag` when ``splitter`` makes the search's splits again, else
    a soft vote of the fold models (which an exported script cannot rebuild)."""
    classes = None if data.regression else np.unique(data.y)
    try:
        folds = [
            m for m in entry.fold_models() if classes is None or np.array_equal(m.classes_, classes)
        ]
    except Exception as exc:  # a lost or unreadable file: the member is dropped
        report["dropped"].append({"trial": trial.number, "why": f"{type(exc).__name__}: {exc}"})
        return
    if not folds:
        why = "no fold model saw every class"
        report["dropped"].append({"trial": trial.number, "why": why})
        return
    if splitter is not None and len(folds) == entry.n_folds:
        # the splits can be made again from the rows: an exported script
        # refits the same fold models and predicts the same
        models[trial.number] = bag_of_folds(folds, splitter)
    elif len(folds) == 1:
        models[trial.number] = folds[0]
    else:
        models[trial.number] = soft_vote(
            [(f"fold{i}", m) for i, m in enumerate(folds)],
            None,
            data.X,
            data.y,
            regression=data.regression,
        )
    report["bagged"].append(trial.number)
