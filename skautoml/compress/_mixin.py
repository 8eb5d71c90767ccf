"""``distill`` and ``compress`` as methods of the fitted search estimators."""

from __future__ import annotations

from ._compress import compress
from ._distill import distill

__all__ = ["CompressMixin"]


class CompressMixin:
    """Adds :meth:`distill` and :meth:`compress` to a fitted search estimator."""

    def distill(self, X, *, student="auto", time_budget=60, random_state=None):
        """Train a small, fast student on this fitted model's answers over ``X``.

        The student learns the teacher's class probabilities (a regressor's
        predictions) over ``X`` and over extra rows near it: one shifted
        copy of each image (mirrored too for colour images), or two MUNGE
        rows per table row (values moved towards the nearest neighbour's).
        ``X`` needs no labels; the training rows are the usual choice.

        With ``student="auto"``, every student family for the data kind is
        tried in turn within ``time_budget`` (images: the small CNN at width
        16, then 8, then a linear model on the pixels; tables: a linear
        model, shallow gradient boosting, a one-layer tabular net), scored
        by its agreement with the teacher on a held-out fifth of ``X`` (at
        most 1,000 rows). The most faithful student that is at most a
        quarter of the teacher's pickled size and at most half its predict
        time per row is chosen (the most faithful of all, when none is); it
        then learns from the held-out rows too when the time left allows.

        Parameters
        ----------
        X : array-like, DataFrame, or images
            Rows in the form ``fit`` took (images included), at least 2.
        student : str or list of str, default="auto"
            ``"auto"``, or the names of the students to try
            (:data:`skautoml.compress.STUDENTS`).
        time_budget : float, default=60
            Seconds for labelling, augmenting and training; a network stops
            at its share of the time left, and a student that cannot start
            in time is skipped.
        random_state : int or None, default=None
            Seed of the held-out rows, the extra rows and the students.

        Returns
        -------
        student : sklearn.pipeline.Pipeline
            Fitted, with the teacher's ``classes_``, ``predict`` and
            ``predict_proba`` (a regressor's student: ``predict``); it takes
            the teacher's raw input (images are turned into rows by its first
            step, :class:`~skautoml.data.ImageRows`). It pickles, works in a
            ``Pipeline`` and exports with
            :func:`skautoml.export.export_pipeline`.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If ``X`` has the wrong shape or fewer than 2 rows, or a student
            name is unknown or not for this data.

        Notes
        -----
        Sets :attr:`distillation_report_`: one row per student tried, with
        its fidelity (agreement with the teacher on the held-out rows; R²
        for a regressor), pickled size, predict time per row, fit time,
        status and whether it was chosen.
        """
        result = distill(
            self, X, student=student, time_budget=time_budget, random_state=random_state
        )
        self.distillation_report_ = result.report()
        return result.student

    def compress(self, X, y, *, max_accuracy_drop=0.01, time_budget=60, random_state=None):
        """The smallest variant of the fitted model that scores within a drop of it.

        Variants: the model itself; for an ensemble, its best single
        pipeline (:attr:`best_pipeline_`); for each torch network in it, int8
        dynamic quantisation of its linear layers, int8 static quantisation
        calibrated on ``X`` (convolutions included), and magnitude pruning
        to 50 % and 80 % sparsity with a one-epoch recovery fine-tune on
        ``(X, y)`` (pruned weights are pickled sparsely); a student from
        :meth:`distill` (with about three quarters of the budget), and its
        int8 forms when it is a network. Each is scored on ``(X, y)`` with
        the estimator's scorer. Held-out rows give an honest score; the
        training rows flatter the teacher.

        Parameters
        ----------
        X : array-like, DataFrame, or images
            Rows in the form ``fit`` took.
        y : array-like of shape (n_samples,)
            Their targets.
        max_accuracy_drop : float, default=0.01
            The largest score drop allowed (in the scorer's units: 0.01 is
            one accuracy point).
        time_budget : float, default=60
            Seconds for all variants.
        random_state : int or None, default=None
            Seed of the distillation.

        Returns
        -------
        model : estimator
            Fitted, taking the raw input ``fit`` took; never larger than the
            model itself, which is returned when no variant keeps the score.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If ``X`` or ``y`` are malformed, or the settings are out of range.

        Notes
        -----
        Sets :attr:`compression_report_`, a DataFrame with one row per
        variant: ``method``, ``status``, ``size_bytes`` (pickled),
        ``predict_ms_per_row`` (median over three timings of up to 500 rows),
        ``score``, ``score_drop``, ``within`` (the drop is allowed),
        ``chosen``, ``build_time`` and ``error``; and
        :attr:`distillation_report_`.
        """
        result = compress(
            self,
            X,
            y,
            max_accuracy_drop=max_accuracy_drop,
            time_budget=time_budget,
            random_state=random_state,
        )
        self.compression_report_ = result.report
        if result.distillation is not None:
            self.distillation_report_ = result.distillation
        return result.model
