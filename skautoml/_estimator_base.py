"""The search estimators' shared base: validate -> search -> refit -> record.

Orchestration only: every step is one call into the room that does it
(``data`` profiles, ``space`` builds the space, ``strategies`` propose,
``evaluation`` runs and refits within one :class:`~skautoml.evaluation.Budget`,
``records`` keeps the trials). The classifier (and the coming regressor) add
their target handling and prediction on top.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import warnings
from numbers import Integral, Real

import joblib
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import get_scorer
from sklearn.utils import check_random_state

from ._compat import Interval, StrOptions, fit_context
from ._estimator_results import SearchResultsMixin
from ._progress import Progress
from ._version import __version__
from .data import check_weights, check_X, profile_data, to_rows
from .evaluation import (
    Budget,
    CostModel,
    EnsembleFit,
    EnsemblePool,
    EvalData,
    SearchResult,
    SuccessiveHalving,
    TrialRunner,
    build_ensemble,
    first_fold_form,
    n_workers,
    refit_best,
    run_search,
    select_members,
    start_worker_server,
    unpacked,
    worker_threads,
)
from .exceptions import AllTrialsFailedError, SearchWarning
from .insight import InsightMixin
from .nets import release_feature_cache  # torch-free
from .records import (
    all_failed_message,
    best_trial,
    open_checkpoint,
    warn_failures,
    within_latency,
)
from .space import SearchSpace, check_preset, context_for, make_space
from .strategies import STRATEGIES, make_strategy, strategy_options

__all__ = ["AutoFineTuneBase"]

#: multi_fidelity="auto" schedules cheap evaluations first from this many rows
_MULTI_FIDELITY_ROWS = 2000

#: settings that do not change what a trial means (left out of the checkpoint key)
_NOT_FINGERPRINTED = {
    "checkpoint",
    "resume",
    "verbose",
    "n_jobs",
    "time_budget",
    "max_trials",
    "ensemble_size",
    # it changes which trial wins, not what a trial means
    "max_predict_latency",
}

#: rounds of ensemble selection by default (chosen by benchmarks/bench_ensemble.py)
DEFAULT_ENSEMBLE_SIZE = 25


class AutoFineTuneBase(SearchResultsMixin, InsightMixin, BaseEstimator):
    """Shared machinery of the search estimators; see :class:`AutoFineTuneClassifier`.

    Subclasses set :attr:`_default_scoring` and :attr:`_task` and implement
    :meth:`_check_target` (validate ``y``, set target attributes),
    :meth:`_target_facts` and :meth:`_make_splits`.
    """

    _default_scoring = "accuracy"
    _task = "classification"

    _parameter_constraints: dict = {
        "search": [str],
        "max_trials": [Interval(Integral, 1, None, closed="left"), None],
        "time_budget": [Interval(Real, 0, None, closed="neither"), None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set()), str, callable, None],
        "search_space": [str, dict, SearchSpace, None],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "generations": [Interval(Integral, 1, None, closed="left"), None],
        "mutation_rate": [Interval(Real, 0, 1, closed="both")],
        "crossover_rate": [Interval(Real, 0, 1, closed="both")],
        "device": [str],
        "trial_time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "memory_limit": [Interval(Real, 0, None, closed="neither"), None],
        "multi_fidelity": ["boolean", StrOptions({"auto"})],
        "checkpoint": [str, os.PathLike, None],
        "resume": ["boolean", StrOptions({"force"})],
        "backbone": "no_validation",
        "image_shape": [tuple, list, None],
        "channels": [StrOptions({"first", "last"}), None],
        "ensemble_size": [Interval(Integral, 1, None, closed="left")],
        "max_predict_latency": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        search="bayes",
        max_trials=None,
        time_budget=60,
        cv=3,
        scoring=None,
        search_space=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
        population_size=20,
        generations=None,
        mutation_rate=0.9,
        crossover_rate=0.1,
        device="auto",
        trial_time_limit=None,
        memory_limit=None,
        multi_fidelity="auto",
        checkpoint=None,
        resume=True,
        backbone="auto",
        image_shape=None,
        channels=None,
        ensemble_size=DEFAULT_ENSEMBLE_SIZE,
        max_predict_latency=None,
    ):
        self.search = search
        self.max_trials = max_trials
        self.time_budget = time_budget
        self.cv = cv
        self.scoring = scoring
        self.search_space = search_space
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.population_size = population_size
        self.generations = generations
        self.mutation_rate = mutation_rate
        self.crossover_rate = crossover_rate
        self.device = device
        self.trial_time_limit = trial_time_limit
        self.memory_limit = memory_limit
        self.multi_fidelity = multi_fidelity
        self.checkpoint = checkpoint
        self.resume = resume
        self.backbone = backbone
        self.image_shape = image_shape
        self.channels = channels
        self.ensemble_size = ensemble_size
        self.max_predict_latency = max_predict_latency

    # -- the search --------------------------------------------------------------
    def _search_and_refit(self, X, y, sample_weight=None):
        """The body of ``fit``: profile, search within the budget, refit, record."""
        started = time.monotonic()
        self._check_settings()
        X, profile = profile_data(self, X, image_shape=self.image_shape, channels=self.channels)
        self.image_format_ = profile.image_format
        images = profile.image_format is not None
        # the worker server boots while the rest is prepared (torch for images)
        start_worker_server(torch=images)
        # a named target (a pandas Series) names the exported script's --target
        name = getattr(y, "name", None)
        self._target_name = name if isinstance(name, str) else None
        y = self._check_target(y, X.shape[0])
        weights = check_weights(sample_weight, X.shape[0])
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        ctx = context_for(
            profile,
            seed,
            device=self.device,
            backbone=self.backbone,
            task=self._task,
            weighted=weights is not None,
            **self._target_facts(y, weights),
        )
        splits = self._make_splits(X, y, seed)
        budget = Budget.start(
            self.time_budget,
            self.trial_time_limit,
            train_fraction=np.mean([len(tr) for tr, _ in splits]) / X.shape[0],
            now=started,
            ensemble=self.ensemble_size > 1,
        )
        scorer = get_scorer(self._scoring_used())
        data = EvalData(X, y, splits, scorer, ctx, sample_weight=weights)
        space = make_space(self.search_space, ctx)
        workers = n_workers(self.n_jobs)
        cost = CostModel(data, worker_threads(workers), self.time_budget)
        if images:  # the networks' throughput, timed before any trial runs
            cost.prepare(space.portfolio())
        params = self.get_params(deep=False)
        # only the estimator parameters the chosen strategy reads (genetic: population
        # size and rates); any other would raise TypeError
        options = {k: params[k] for k in strategy_options(self.search) if k in params}
        strategy = make_strategy(self.search, space, seed, **options)
        pool = EnsemblePool.for_fit(self.ensemble_size, self.checkpoint, self.resume)
        journal = open_checkpoint(
            self.checkpoint, self.resume, __version__, self._fingerprint(X, y, weights)
        )
        trials: list = []
        with (
            contextlib.ExitStack() as cleanup,
            Progress(self.verbose, self.max_trials, self.time_budget) as progress,
            TrialRunner(data, budget, n_workers=workers, memory_limit=self.memory_limit) as runner,
        ):
            if ctx.cache_dir:  # the per-fit feature cache
                cleanup.callback(shutil.rmtree, ctx.cache_dir, ignore_errors=True)
            if pool is not None:  # its temporary folder
                cleanup.callback(pool.close)
            runner.pool = pool
            try:
                result = run_search(
                    strategy,
                    runner,
                    max_trials=self.max_trials,
                    on_trial=progress.update,
                    on_new_trial=journal.append,
                    replay=journal.replay,
                    known=journal.known,
                    trials_out=trials,
                    scheduler=self._scheduler(X.shape[0]),
                    cost=cost,
                    on_start=progress.started,
                )
            except KeyboardInterrupt:
                if best_trial(trials) is None:
                    raise
                result = SearchResult(trials, "interrupted", overhead=dict(runner.overhead))
                warnings.warn(
                    f"fit was interrupted after {len(trials)} trials; the estimator is "
                    "fitted with the best pipeline found so far",
                    SearchWarning,
                    stacklevel=4,
                )
            warn_failures(trials, stacklevel=5)
            if best_trial(trials) is None:
                raise AllTrialsFailedError(all_failed_message(trials))
            # the winner, its stand-ins and the ensemble come from the trials
            # that predict within max_predict_latency
            eligible, latency = within_latency(trials, self.max_predict_latency, stacklevel=5)
            best = best_trial(eligible)
            t0 = time.perf_counter()
            # the selection first (pure computation, in the time kept for it),
            # then the refits: a late refit cannot cut the selection short
            selected = None
            if pool is not None:
                rng = np.random.RandomState(seed)
                selected = select_members(
                    budget, pool, eligible, best, data, self.ensemble_size, rng, latency["limit"]
                )
            # a pipeline refit in a worker stays pickled until the members' refits end
            best_model, refit_source = refit_best(runner, best, eligible, data, stacklevel=4)
            ensemble = EnsembleFit.alone(best)
            if selected is not None:
                ensemble = build_ensemble(runner, selected, best, best_model, refit_source, data)
            self.best_pipeline_ = unpacked(best_model)
            # fitted on the first fold's rows: the script trains on those rows too
            self._first_fold_form = (
                first_fold_form(self.best_pipeline_, data) if refit_source == "first_fold" else None
            )
            self.refit_time_ = time.perf_counter() - t0
            release_feature_cache(self.best_pipeline_)
        self._record(trials, best, result, strategy, len(splits), started)
        self._record_ensemble(ensemble, best)
        self.search_report_["refit_source"] = refit_source
        self.search_report_["left_out"] = dict(space.left_out)
        self.search_report_["max_predict_latency"] = latency
        return self

    def _fingerprint(self, X, y, sample_weight=None) -> str:
        """Hash of the data (weights included) and of every setting that changes
        what a trial means."""
        settings = {k: v for k, v in self.get_params().items() if k not in _NOT_FINGERPRINTED}
        data = (X, y) if sample_weight is None else (X, y, sample_weight)
        if self._task != "classification":
            data = (self._task, *data)
        return joblib.hash((repr(sorted(settings.items())), *data))

    def _rows(self, X):
        """Validate prediction input like the training input (images to rows)."""
        return check_X(self, to_rows(X, getattr(self, "image_format_", None)), reset=False)

    def _check_settings(self):
        if self.max_trials is None and self.time_budget is None:
            raise ValueError(
                "max_trials and time_budget are both None, so nothing would stop the "
                "search; set at least one of them (e.g. time_budget=60)"
            )
        if self.search not in STRATEGIES:
            raise ValueError(
                f"search={self.search!r} is not available in this version; "
                f"choose one of {sorted(STRATEGIES)}"
            )
        if isinstance(self.search_space, str):
            check_preset(self.search_space)

    def _scheduler(self, n_samples):
        on = self.multi_fidelity
        if on == "auto":
            on = n_samples >= _MULTI_FIDELITY_ROWS
        return SuccessiveHalving(eta=3) if on else None

    def __sklearn_is_fitted__(self):
        return hasattr(self, "best_pipeline_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


# sklearn's fit context (parameter validation, nested-validation skipping),
# applied by the subclasses' fit
search_fit_context = fit_context(prefer_skip_nested_validation=True)
