"""The fitted search's results: its records, what predicts, the leaderboard and export.

A mixin of :class:`~._estimator_base.AutoFineTuneBase`: the search writes
its results through :meth:`SearchResultsMixin._record` and
:meth:`SearchResultsMixin._record_ensemble`; users read them through
:meth:`SearchResultsMixin.leaderboard` and :meth:`SearchResultsMixin.export`.
"""

from __future__ import annotations

import html
import os
import time

from sklearn.utils import estimator_html_repr
from sklearn.utils.validation import check_is_fitted

from ._version import __version__
from .evaluation import export_form
from .records import candidate_params, cv_results, leaderboard_frame

__all__ = ["SearchResultsMixin"]

#: the exported script's header when the best pipeline was not refit on all rows
_FIRST_FOLD_NOTE = (
    "The budget left no time to refit the pipeline on all rows: like the",
    "estimator, the script trains it on the first CV fold's training rows",
    "(FoldBag with n_folds=1). To train on every row, return the pipeline",
    "alone from make_pipeline().",
)


class SearchResultsMixin:
    """The fitted attributes of a search, the leaderboard and the export.

    Expects ``scoring`` and ``_default_scoring`` on the estimator.
    """

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
        self.search_report_ = result.report(self.refit_time_, time.monotonic() - started)

    def _record_ensemble(self, ensemble, best) -> None:
        """``ensemble_``, ``ensemble_score_``, ``ensemble_model_`` and the
        members' weights in ``cv_results_`` (one member: the single best)."""
        self.ensemble_, self.ensemble_score_ = ensemble.members, float(ensemble.score)
        self.ensemble_model_ = ensemble.predictor(self.best_pipeline_)
        self.cv_results_["ensemble_weight"] = ensemble.weights(len(self.trials_))
        if ensemble.report:
            self.search_report_["ensemble"] = ensemble.report

    def _scoring_used(self):
        """The scoring the search uses: ``scoring``, or the estimator's default."""
        return self.scoring if self.scoring is not None else self._default_scoring

    def _predictor(self):
        """What predicts: the ensemble when it has several members, else the best."""
        check_is_fitted(self, "best_pipeline_")
        model = getattr(self, "ensemble_model_", None)
        return self.best_pipeline_ if model is None else model

    def leaderboard(self):
        """One row per trial, best first, as a pandas DataFrame.

        Returns
        -------
        board : pandas.DataFrame
            Rank, pipeline, scores, fit time, status and error of every
            trial, and for each successful one its fitted size
            (``size_bytes``, pickled) and prediction latency
            (``predict_ms_per_row``, milliseconds per row), both measured
            on the first CV fold's model and validation rows (NaN where
            unknown); below them, one ``"skipped"`` row per component left
            out of the search, with the reason in ``error`` (with
            ``sample_weight``: the final estimators whose ``fit`` takes no
            weights).
        """
        check_is_fitted(self, "cv_results_")
        left_out = getattr(self, "search_report_", {}).get("left_out", {})
        return leaderboard_frame(self.cv_results_, tuple(left_out.items()))

    def _html_repr(self):
        """scikit-learn's diagram of the settings and, once fitted, of the winner.

        The hook scikit-learn's HTML repr calls (a notebook's display of
        the estimator): below the estimator's own diagram, the winning
        pipeline's, with its CV score, and the ensemble's members.
        """
        shown = estimator_html_repr(self)
        if not hasattr(self, "best_pipeline_"):
            return shown
        best = self.best_candidate_
        title = (
            f"Winning pipeline: trial {best.number}, {html.escape(best.candidate.describe())}, "
            f"CV score {self.best_score_:.4f}"
        )
        ensemble = getattr(self, "ensemble_", [])
        if len(ensemble) > 1:
            members = ", ".join(f"trial {m['trial']} ({m['weight']:.2f})" for m in ensemble)
            title += (
                f"; predictions come from an ensemble of {len(ensemble)} trials, "
                f"CV score {self.ensemble_score_:.4f}: {html.escape(members)}"
            )
        return f"{shown}<p>{title}</p>{estimator_html_repr(self.best_pipeline_)}"

    def export(self, path=None, *, target=None):
        """Write the fitted model as a standalone Python script.

        The script builds :attr:`best_pipeline_`, or, when an ensemble of
        several members predicts, a soft-voting
        :class:`~sklearn.ensemble.VotingClassifier` of the members'
        pipelines with their weights (scikit-learn parts only). When the
        budget left no time to refit the best pipeline on all rows
        (``search_report_["refit_source"] == "first_fold"``), the script
        trains it on the first CV fold's training rows, as the estimator
        did, so that it predicts the same.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the script; ``None`` returns the source instead.
        target : str, default=None
            The target column of the CSV the script reads: its header names
            it and its ``--target`` defaults to it. ``None`` takes the name
            of the pandas Series ``fit`` was given as ``y``; when that had
            no name either, the script requires ``--target COLUMN``.

        Returns
        -------
        source : str
            The script's source.
        """
        check_is_fitted(self, "best_pipeline_")
        from .export import export_pipeline, scoring_of

        ensemble = getattr(self, "ensemble_model_", None)
        model = self.best_pipeline_ if ensemble is None else export_form(ensemble)
        scoring = scoring_of(self.scoring, self._default_scoring)
        first_fold = getattr(self, "_first_fold_form", None)
        if ensemble is None and first_fold is not None:
            model = first_fold
            scoring["notes"] = (*scoring.get("notes", ()), *_FIRST_FOLD_NOTE)
        source = export_pipeline(
            model,
            cv_score=self.best_score_ if ensemble is None else self.ensemble_score_,
            **scoring,
            skautoml_version=__version__,
            target=target if target is not None else getattr(self, "_target_name", None),
            script_name=os.path.basename(os.fspath(path)) if path else "best_pipeline.py",
        )
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(source)
        return source
