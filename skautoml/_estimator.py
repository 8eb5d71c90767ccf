"""AutoFineTuneClassifier: validate -> search -> refit. Orchestration only."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections import Counter
from numbers import Integral, Real

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions
from ._progress import Progress
from ._version import __version__
from .data import categorical_columns, check_X, check_y
from .data._images import image_format, images_to_rows
from .evaluation import (
    EvalData,
    Job,
    SearchResult,
    TrialRunner,
    fit_candidate,
    run_search,
)
from .evaluation._executors import BUDGET_RAN_OUT
from .evaluation._fidelity import SuccessiveHalving
from .exceptions import AllTrialsFailedError, SearchWarning, TrialFailedWarning
from .nets import release_feature_cache, resolve_device
from .records import best_trial, candidate_params, cv_results, leaderboard_frame, open_checkpoint
from .space import PRESETS, BuildContext, SearchSpace, make_space
from .space._image_components import resolve_backbones
from .strategies import STRATEGIES, make_strategy

__all__ = ["AutoFineTuneClassifier"]

logger = logging.getLogger("skautoml")

#: seconds kept free for starting the refit process and returning its result
_REFIT_OVERHEAD = 2.0

#: multi_fidelity="auto" schedules cheap evaluations first from this many rows
_MULTI_FIDELITY_ROWS = 2000


class AutoFineTuneClassifier(ClassifierMixin, BaseEstimator):
    """Search pipelines and fine-tuned networks; refit the best one.

    ``fit`` searches over whole scikit-learn pipelines (imputation, scaling,
    feature transformation, and a final classifier that is a classical model
    or a skorch-trained network) with cross-validation, then refits the best
    candidate on all the data as :attr:`best_pipeline_`.

    Parameters
    ----------
    search : {"bayes", "random", "genetic"}, default="bayes"
        The strategy. ``"bayes"`` is scikit-optimize's ``gp_minimize`` driven
        through ``Optimizer`` ask/tell (batches of ``n_jobs`` trials);
        ``"random"`` samples the space; ``"genetic"`` evolves pipeline trees
        (chains, feature unions, out-of-fold stacking) with DEAP, NSGA-II on
        score against complexity; see ``docs/search.md``.
    max_trials : int, default=None
        Stop after this many evaluated candidates. ``None`` means no limit
        (``time_budget`` then bounds the search).
    time_budget : float, default=60
        Seconds for the whole ``fit``, refit included. A trial that would
        overrun it is stopped. ``None`` means no limit (``max_trials`` must
        then be set).
    cv : int or cross-validation splitter, default=3
        An int gives shuffled ``StratifiedKFold`` seeded by ``random_state``.
    scoring : str or callable, default=None
        A scikit-learn scorer name or ``scorer(estimator, X, y)``; ``None`` is
        accuracy. Higher is better.
    search_space : None, str, dict or SearchSpace, default=None
        ``None`` is the ``"default"`` preset for the data; presets are
        ``"default"``, ``"classical"``, ``"fast"`` and ``"nets"``. A dict maps
        roles (``"scaler"``, ``"transformer"``, ``"classifier"``, ...) to
        component names and overrides those slots.
    n_jobs : int, default=None
        Trials run at once, each in its own process. ``None`` means 1;
        ``-1`` means one per core.
    random_state : int, RandomState instance or None, default=None
        Seeds the splits, the strategy and every component. With an int and
        ``n_jobs=1`` the same trials and predictions come out again.
    verbose : int, default=0
        ``1`` shows a progress bar with the best score so far; details go to
        the ``"skautoml"`` logger at any level.
    population_size : int, default=20
        Genetic search: random trees in generation 0, then parents kept and
        offspring bred per generation (mu and lambda of mu + lambda).
    generations : int, default=None
        Genetic search: stop after this many generations bred after the
        initial population (``None``: ``max_trials``/``time_budget`` decide).
    mutation_rate : float, default=0.9
        Genetic search: probability that an offspring comes from mutation.
    crossover_rate : float, default=0.1
        Genetic search: probability that an offspring comes from crossover.
        Rates adding up to more than 1 are scaled to sum to 1; a remainder
        below 1 breeds fresh random trees.
    device : str, default="auto"
        Torch device for networks; ``"auto"`` uses a GPU when present.
    trial_time_limit : float, default=None
        Seconds one trial (all its CV folds) may run before it is stopped and
        recorded as ``"timeout"``. ``None`` means a third of ``time_budget``
        (no limit when ``time_budget`` is ``None`` too).
    memory_limit : float, default=None
        Megabytes one trial may allocate beyond its worker's start-up size; a
        trial that needs more is stopped and recorded as ``"memout"``.
        ``None`` means no limit.
    backbone : "auto", str, torch.nn.Module, type, path or list, default="auto"
        Image data: the networks to fine-tune. ``"auto"`` searches the small
        CNN and the pretrained EfficientNet-Lite0 (all installed
        EfficientNet-Lite variants on a GPU); a registered name
        (``"small_cnn"``, ``"efficientnet_lite0"``, ``"efficientnet_lite1"``,
        ``"efficientnet_lite2"``), ``"torchvision:<name>"``, ``"timm:<name>"``,
        a checkpoint path, a ``torch.nn.Module`` (instance or class) or a
        :class:`~skautoml.nets.CustomBackbone`, or a list of these (at most one
        custom), limits the choice. See ``docs/images.md``.
        Tabular data: a ``torch.nn.Module`` (instance or class),
        ``CustomBackbone(module, checkpoint=path)`` or the checkpoint path of a
        :class:`~skautoml.nets.TabularMLP` is a pretrained body that the
        ``finetune_tabular_custom`` component fine-tunes with a new head
        (searched wherever ``tabular_net`` is); registered image names
        (``"auto"``, ``"small_cnn"``, ...) are ignored. See
        ``docs/user_guide.md``.
    image_shape : tuple of int, default=None
        Read 2-D ``X`` as flattened images of this shape: ``(H, W)`` (grey) or
        ``(H, W, C)`` / ``(C, H, W)``; e.g. ``(8, 8)`` for scikit-learn's
        digits. ``None`` keeps 2-D data tabular. 3-D ``X`` ``(n, H, W)`` and
        4-D ``X`` are always images.
    channels : {"first", "last"}, default=None
        Where the channel axis of 4-D images is. ``None`` decides: the last
        axis when it has 1, 3 or 4 entries (also when the first has too),
        else the first when it has.
    multi_fidelity : bool or "auto", default="auto"
        Evaluate every candidate cheaply first (on a third of each fold's
        training rows; networks for a third of their epochs) and fully only
        when its cheap score is in the top third so far; once three networks
        have trained, stop a network whose validation curve falls below
        their median. Such trials are recorded as ``"pruned"``. ``"auto"``
        turns it on from 2,000 rows, where fits are costly enough to gain.
    checkpoint : str or path-like, default=None
        A file to which every finished trial is appended (JSON lines). Fitting
        again with the same file, settings and data resumes: recorded trials
        are not run again.
    resume : bool or "force", default=True
        With a ``checkpoint`` that exists: ``True`` resumes it, and refuses a
        file made with other settings, data or skautoml version; ``"force"``
        reuses its trials anyway; ``False`` starts the file afresh.

    Attributes
    ----------
    best_pipeline_ : sklearn.pipeline.Pipeline
        The best candidate, refit on all the data.
    best_params_ : dict
        Its steps and hyperparameters.
    best_score_ : float
        Its mean cross-validated score.
    cv_results_ : dict of arrays
        One entry per trial, in scikit-learn's ``cv_results_`` shape, with a
        ``status`` and ``error`` per trial.
    n_trials_ : int
        Number of candidates evaluated.
    classes_ : ndarray
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``X`` was a DataFrame with string column names.
    search_report_ : dict
        Why the search stopped, the time spent outside model fitting, and
        ``refit_source``: ``"refit"`` (the best candidate refit on all rows),
        ``"first_fold"`` (no time to refit: its pipeline fitted on the first
        CV fold's training rows during the search) or ``"fastest"`` (the
        fastest successful candidate refit, when no such pipeline was kept).
    pareto_front_ : list of dict
        Genetic search only: the evaluated candidates no other beats on both
        score and complexity, simplest first, each as ``{"candidate",
        "pipeline", "score", "complexity", "trial"}``. ``cv_results_`` and
        :meth:`leaderboard` then also hold ``generation``, ``operator`` and
        ``parents`` (trial numbers) per trial.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skautoml import AutoFineTuneClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoFineTuneClassifier(search="random", max_trials=3, cv=2,
    ...                              search_space="fast", random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        "search": [StrOptions({"bayes", "random", "genetic"})],
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

    # -- fit ---------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Search for the best pipeline and refit it on all of ``X, y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; DataFrame columns of any type are handled.
        y : array-like of shape (n_samples,)
            Class labels of any type.

        Returns
        -------
        self : AutoFineTuneClassifier
            The fitted estimator.
        """
        started = time.monotonic()
        deadline = None if self.time_budget is None else started + float(self.time_budget)
        self._check_settings()
        self.image_format_ = image_format(X, image_shape=self.image_shape, channels=self.channels)
        X = check_X(self, self._image_rows(X), reset=True)
        y = check_y(y, X.shape[0])
        self.classes_ = np.unique(y)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        ctx = BuildContext(
            n_samples=X.shape[0],
            n_features=X.shape[1],
            n_classes=len(self.classes_),
            categorical_columns=categorical_columns(X),
            has_missing=_has_missing(X),
            seed=seed,
            device=resolve_device(self.device),
            **self._image_context(resolve_device(self.device)),
        )
        space = make_space(self.search_space, ctx)
        splits = self._splits(X, y, seed)
        scorer = get_scorer(self.scoring if self.scoring is not None else "accuracy")
        data = EvalData(X, y, splits, scorer, ctx)
        strategy = make_strategy(
            self.search,
            space,
            seed,
            population_size=self.population_size,
            generations=self.generations,
            mutation_rate=self.mutation_rate,
            crossover_rate=self.crossover_rate,
        )
        n_workers = _n_workers(self.n_jobs)
        journal = open_checkpoint(
            self.checkpoint, self.resume, __version__, self._fingerprint(X, y)
        )
        trials: list = []
        with (
            Progress(self.verbose, self.max_trials, self.time_budget) as progress,
            TrialRunner(
                data,
                n_workers=n_workers,
                trial_timeout=self._trial_limit(),
                memory_limit=self.memory_limit,
            ) as runner,
            _removed_after(ctx.cache_dir),
        ):
            try:
                result = run_search(
                    strategy,
                    runner,
                    max_trials=self.max_trials,
                    deadline=deadline,
                    reserve=_refit_reserve(splits, X.shape[0]),
                    on_trial=progress.update,
                    on_new_trial=journal.append,
                    replay=journal.replay,
                    known=journal.known,
                    trials_out=trials,
                    scheduler=self._scheduler(X.shape[0]),
                )
            except KeyboardInterrupt:
                if best_trial(trials) is None:
                    raise
                result = SearchResult(trials, "interrupted", overhead=dict(runner.overhead))
                warnings.warn(
                    f"fit was interrupted after {len(trials)} trials; the estimator is "
                    "fitted with the best pipeline found so far",
                    SearchWarning,
                    stacklevel=3,
                )
            self._warn_failures(trials)
            best = best_trial(trials)
            if best is None:
                raise AllTrialsFailedError(_all_failed_message(trials))
            t0 = time.perf_counter()
            self.best_pipeline_, refit_source = self._refit(runner, best, trials, data, deadline)
            self.refit_time_ = time.perf_counter() - t0
            release_feature_cache(self.best_pipeline_)

        self._record(trials, best, result, strategy, len(splits), started)
        self.search_report_["refit_source"] = refit_source
        return self

    def _record(self, trials, best, result, strategy, n_splits, started):
        self.trials_ = trials
        self.n_trials_ = len(trials)
        self.best_candidate_ = best
        self.best_index_ = best.number
        self.best_score_ = best.mean_score
        self.best_params_ = candidate_params(best.candidate)
        self.cv_results_ = cv_results(trials, n_splits)
        pareto_front = getattr(strategy, "pareto_front", None)
        if pareto_front is not None:  # strategies with several objectives (genetic)
            self.pareto_front_ = pareto_front()
        self.search_report_ = {
            "stop_reason": result.stop_reason,
            "strategy_seconds": result.strategy_seconds,
            "repeated_proposals": result.repeats,
            "worker_boot_seconds": result.overhead.get("boot", 0.0),
            "worker_start_seconds": result.overhead.get("start", 0.0),
            "result_transfer_seconds": result.overhead.get("transfer", 0.0),
            "refit_seconds": self.refit_time_,
            "total_seconds": time.monotonic() - started,
        }

    def _fingerprint(self, X, y) -> str:
        """Hash of the data and of every setting that changes what a trial means."""
        ignored = {"checkpoint", "resume", "verbose", "n_jobs", "time_budget", "max_trials"}
        settings = {k: v for k, v in self.get_params().items() if k not in ignored}
        return joblib.hash((repr(sorted(settings.items())), X, y))

    def _image_rows(self, X):
        fmt = getattr(self, "image_format_", None)
        return X if fmt is None else images_to_rows(X, fmt)

    def _image_context(self, device) -> dict:
        fmt = self.image_format_
        if fmt is None:  # tabular: a user's network is fine-tuned, image names are ignored
            from .nets import resolve_tabular_backbones

            return {"backbones": resolve_tabular_backbones(self.backbone)}
        return {
            "kind": "image",
            "image_shape": fmt.shape,
            "backbones": resolve_backbones(self.backbone, device),
            "cache_dir": tempfile.mkdtemp(prefix="skautoml-features-"),
        }

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
        if isinstance(self.search_space, str) and self.search_space not in PRESETS:
            raise ValueError(
                f"search_space={self.search_space!r} is not a preset; choose one of "
                f"{sorted(PRESETS)}, a dict of role -> component names, or a SearchSpace"
            )

    def _scheduler(self, n_samples):
        on = self.multi_fidelity
        if on == "auto":
            on = n_samples >= _MULTI_FIDELITY_ROWS
        return SuccessiveHalving(eta=3) if on else None

    def _trial_limit(self):
        if self.trial_time_limit is not None:
            return float(self.trial_time_limit)
        if self.time_budget is not None:
            return float(self.time_budget) / 3
        return None

    def _splits(self, X, y, seed):
        if isinstance(self.cv, Integral):
            counts = Counter(y.tolist())
            smallest = min(counts.values())
            if smallest < 2:
                rare = [c for c, n in counts.items() if n < 2]
                raise ValueError(
                    f"class(es) {rare} have a single example; cross-validation needs at "
                    "least 2 examples of every class. Add examples or drop those rows."
                )
            n_splits = int(self.cv)
            if smallest < n_splits:
                warnings.warn(
                    f"the smallest class has {smallest} examples, fewer than cv={n_splits}; "
                    f"using {smallest} folds",
                    SearchWarning,
                    stacklevel=4,
                )
                n_splits = smallest
            cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        else:
            cv = check_cv(self.cv, y, classifier=True)
        return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y)]

    def _refit(self, runner, best, trials, data, deadline):
        """Refit ``best`` on all rows; fall back on a model fitted during the search.

        When the refit cannot finish before the deadline (or a second Ctrl-C
        stops it), ``best_pipeline_`` is the best trial's first-fold
        pipeline, kept by the runner; only when there is none is the fastest
        successful candidate refit here, outside the budget.
        """
        try:
            refit = runner.run([Job(best.candidate, "refit")], deadline=deadline)[0]
        except KeyboardInterrupt:
            refit = {"status": "interrupted", "error": "Ctrl-C during the refit"}
        if refit["status"] == "ok":
            return refit["pipeline"], "refit"
        why = (
            f"the refit of the best candidate ({best.candidate.describe()}) did not finish "
            f"({refit['status']}: {refit.get('error')})"
        )
        kept = runner.kept
        if kept is not None:
            warnings.warn(
                f"{why}; best_pipeline_ is {kept.candidate.describe()} (CV score "
                f"{kept.score:.4f}) as fitted on the training rows of the first CV fold "
                f"({kept.n_train} of {len(data.y)} rows). Raise time_budget to refit on "
                "all rows.",
                SearchWarning,
                stacklevel=4,
            )
            return kept.pipeline, "first_fold"
        fallback = min((t for t in trials if t.ok), key=lambda t: t.fit_time)
        warnings.warn(
            f"{why}; refitting the fastest successful candidate "
            f"({fallback.candidate.describe()}) instead",
            SearchWarning,
            stacklevel=4,
        )
        return fit_candidate(fallback.candidate, data), "fastest"

    @staticmethod
    def _warn_failures(trials):
        # pruned trials are the scheduler's choice, not failures; trials the
        # budget cut short get a warning of their own
        cut = {
            t.number for t in trials if t.status == "timeout" and BUDGET_RAN_OUT in (t.error or "")
        }
        failed = Counter(
            t.status for t in trials if t.status not in ("ok", "pruned") and t.number not in cut
        )
        if failed and any(t.ok for t in trials):
            summary = ", ".join(f"{n} {status}" for status, n in sorted(failed.items()))
            warnings.warn(
                f"{sum(failed.values())} of {len(trials)} trials did not succeed ({summary}); "
                "see cv_results_['status'] and ['error'] or leaderboard()",
                TrialFailedWarning,
                stacklevel=4,
            )
        if cut and any(t.ok for t in trials):
            warnings.warn(
                f"the time budget ran out while {len(cut)} trial(s) were running; they are "
                "recorded as 'timeout', and the estimator is fitted with the best pipeline "
                "found before. Raise time_budget to let such trials finish.",
                SearchWarning,
                stacklevel=4,
            )

    # -- predict -----------------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities from :attr:`best_pipeline_`, columns in ``classes_`` order.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        check_is_fitted(self, "best_pipeline_")
        X = check_X(self, self._image_rows(X), reset=False)
        return self.best_pipeline_.predict_proba(X)

    def predict(self, X):
        """Predict class labels (the most probable class of :meth:`predict_proba`).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, of the same type as the training labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def leaderboard(self):
        """One row per trial, best first, as a pandas DataFrame.

        Returns
        -------
        board : pandas.DataFrame
            Rank, pipeline, scores, fit time, status and error of every trial.
        """
        check_is_fitted(self, "cv_results_")
        return leaderboard_frame(self.cv_results_)

    def export(self, path=None):
        """Write :attr:`best_pipeline_` as a standalone Python script.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the script; ``None`` returns the source instead.

        Returns
        -------
        source : str
            The script's source.
        """
        check_is_fitted(self, "best_pipeline_")
        from .export import export_pipeline

        source = export_pipeline(
            self.best_pipeline_,
            cv_score=self.best_score_,
            **_export_scoring(self.scoring),
            skautoml_version=__version__,
            script_name=os.path.basename(os.fspath(path)) if path else "best_pipeline.py",
        )
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(source)
        return source

    def __sklearn_is_fitted__(self):
        return hasattr(self, "best_pipeline_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _refit_reserve(splits, n_samples):
    """Seconds to keep for the refit: 1.5x the best trial's fit, scaled to all rows."""
    train_fraction = np.mean([len(tr) for tr, _ in splits]) / n_samples

    def reserve(trials):
        best = best_trial(trials)
        fit_time = best.fit_time if best is not None else 0.0
        return _REFIT_OVERHEAD + 1.5 * fit_time / max(train_fraction, 1e-3)

    return reserve


def _export_scoring(scoring) -> dict:
    """What the exported script reports: the scorer by name, else ``model.score``."""
    if scoring is None or isinstance(scoring, str):
        return {"scoring": scoring or "accuracy"}
    name = getattr(scoring, "__name__", type(scoring).__name__)
    return {
        "scoring": None,
        "notes": (
            f"The CV score above comes from the custom scorer {name!r}; the script "
            "reports the pipeline's own score (accuracy).",
        ),
    }


def _has_missing(X) -> bool:
    if hasattr(X, "isna"):
        return bool(X.isna().to_numpy().any())
    return bool(np.isnan(X).any())


def _n_workers(n_jobs) -> int:
    cores = os.cpu_count() or 1
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return max(1, int(n_jobs))


def _all_failed_message(trials) -> str:
    lines = [f"all {len(trials)} trials failed; the first errors were:"]
    for t in trials[:5]:
        lines.append(f"  trial {t.number} ({t.candidate.describe()}): {t.status}: {t.error}")
    if not trials:
        lines = ["no trial could run within the budget; raise time_budget or max_trials"]
    return "\n".join(lines)


@contextlib.contextmanager
def _removed_after(folder):
    """Remove ``folder`` (the per-fit feature cache) when the block ends."""
    try:
        yield folder
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
