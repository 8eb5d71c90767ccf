"""Plots and feature importance as methods of the fitted search estimators."""

from __future__ import annotations

from ._importance import feature_importance
from ._plots import plot_history, plot_learning_curves, plot_pareto_front

__all__ = ["InsightMixin"]


class InsightMixin:
    """Adds :meth:`feature_importance` and the ``plot_*`` methods to a search estimator."""

    def feature_importance(self, X, y, *, n_repeats=5, random_state=None, scoring=None):
        """Permutation importance of the fitted model on the original columns.

        Each column of ``X`` as given to ``fit`` (before one-hot encoding,
        imputation or PCA) is shuffled ``n_repeats`` times, and the drop of
        the estimator's score (its ``scoring``, or ``scoring`` given here)
        is recorded. The model that
        predicts is scored, so an ensemble is measured as a whole. Uses
        :func:`sklearn.inspection.permutation_importance`.

        For images, a table of pixels would say little: an **occlusion
        map** is returned instead. The images are cut into about 7 x 7
        square patches; each patch in turn is replaced by the images' mean
        value of each channel in every image, and its value is the score
        drop. ``n_repeats`` and ``random_state`` play no part there.

        Parameters
        ----------
        X : array-like, DataFrame, or images
            Rows in the form ``fit`` took, ideally not the training rows
            (held-out rows show what generalises).
        y : array-like of shape (n_samples,)
            Their labels (targets).
        n_repeats : int, default=5
            Shuffles per column.
        random_state : int, RandomState instance or None, default=None
            Seed of the shuffles.
        scoring : str, callable or None, default=None
            The score whose drop is measured (a scikit-learn scorer name or
            callable); ``None`` uses the estimator's ``scoring``. On a small
            test set, accuracy moves in steps of one row; a smooth score
            such as ``"neg_log_loss"`` separates weak columns better.

        Returns
        -------
        importance : pandas.DataFrame or ndarray
            For tables: one row per input column, indexed by the column
            names (``x0``, ``x1``, ... for arrays without names), with
            ``importance_mean`` and ``importance_std`` (over the repeats),
            most important first. For images: an ndarray of shape
            ``(height, width)`` holding each pixel's patch's score drop.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skautoml import AutoFineTuneClassifier
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> clf = AutoFineTuneClassifier(max_trials=2, time_budget=None,
        ...                              random_state=0).fit(X, y)
        >>> clf.feature_importance(X, y, random_state=0).columns.tolist()
        ['importance_mean', 'importance_std']
        """
        return feature_importance(
            self, X, y, n_repeats=n_repeats, random_state=random_state, scoring=scoring
        )

    def plot_history(self, *, x="time", ax=None):
        """Plot the search: best-so-far score against time or trial number.

        Each successful trial is a dot coloured by its final model (the
        pipeline's last step), the best score so far a black step line;
        failed trials are marked with a red ``x`` and pruned ones with a
        grey triangle along the bottom. Needs matplotlib (the ``plots``
        extra).

        Parameters
        ----------
        x : {"time", "trial"}, default="time"
            The horizontal axis: seconds since the search began, when each
            trial finished, or the order in which the trials finished.
        ax : matplotlib.axes.Axes, default=None
            Where to draw; a new figure when ``None``.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes drawn on.
        """
        return plot_history(self, x=x, ax=ax)

    def plot_pareto_front(self, *, ax=None):
        """Plot a genetic search's trials, score against complexity, with its front.

        Needs ``search="genetic"`` and matplotlib (the ``plots`` extra).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Where to draw; a new figure when ``None``.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes drawn on: the trials as grey dots, the Pareto front
            (:attr:`pareto_front_`) as a red step line.

        Raises
        ------
        ValueError
            If the search was not genetic.
        """
        return plot_pareto_front(self, ax=ax)

    def plot_learning_curves(self, *, ax=None):
        """Plot the winning network's loss by epoch.

        The training loss of :attr:`best_pipeline_`'s network per epoch of
        its refit on all rows, and the validation loss when the refit kept
        a validation split. Needs matplotlib (the ``plots`` extra).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Where to draw; a new figure when ``None``.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes drawn on.

        Raises
        ------
        ValueError
            If the best pipeline holds no network.
        """
        return plot_learning_curves(self, ax=ax)
