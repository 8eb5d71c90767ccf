"""The search estimators: AutoFineTuneClassifier and AutoFineTuneRegressor.

Each adds its target handling and prediction to the shared
:class:`~._estimator_base.AutoFineTuneBase`; their docstrings share one
text (:mod:`._docs`).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if

from ._docs import CLASSIFIER_DOC, REGRESSOR_DOC
from ._estimator_base import AutoFineTuneBase, search_fit_context
from .compress import CompressMixin
from .data import check_regression_y, check_y
from .evaluation import make_splits

__all__ = ["AutoFineTuneClassifier", "AutoFineTuneRegressor"]


def _has_proba(clf) -> bool:
    """Unfitted, or the model that predicts gives class probabilities."""
    if not hasattr(clf, "best_pipeline_") or hasattr(clf._predictor(), "predict_proba"):
        return True
    raise AttributeError(
        f"the winning pipeline ({clf.best_candidate_.candidate.describe()}) gives no class "
        "probabilities, so predict_proba is not available; predict and score work. "
        "Search classifiers with predict_proba to get probabilities."
    )


class AutoFineTuneClassifier(ClassifierMixin, CompressMixin, AutoFineTuneBase):
    __doc__ = CLASSIFIER_DOC

    _default_scoring = "accuracy"

    @search_fit_context
    def fit(self, X, y, sample_weight=None):
        """Search for the best pipeline and refit it on all of ``X, y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; DataFrame columns of any type are handled.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights. They reach every step whose ``fit``
            takes ``sample_weight`` and weight the CV scores and the
            ensemble selection; classifiers whose ``fit`` takes none are
            left out of the search (see :meth:`leaderboard`).

        Returns
        -------
        self : AutoFineTuneClassifier
            The fitted estimator.
        """
        return self._search_and_refit(X, y, sample_weight)

    def _check_target(self, y, n_samples):
        y = check_y(y, n_samples)
        self.classes_ = np.unique(y)
        return y

    def _target_facts(self, y, sample_weight) -> dict:
        codes = np.searchsorted(self.classes_, y)
        sizes = np.bincount(codes, weights=sample_weight, minlength=len(self.classes_))
        return {"n_classes": len(self.classes_), "class_sizes": tuple(sizes.tolist())}

    def _make_splits(self, X, y, seed):
        return make_splits(self.cv, X, y, seed, stacklevel=5)

    # -- predict -----------------------------------------------------------------
    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities, columns in ``classes_`` order.

        From the ensemble (:attr:`ensemble_model_`) when it has several
        members, else from :attr:`best_pipeline_`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.

        Raises
        ------
        AttributeError
            When the model that predicts has no ``predict_proba`` (a custom
            classifier such as ``RidgeClassifierCV``); ``hasattr`` is then
            False.
        """
        model = self._predictor()
        return model.predict_proba(self._rows(X))

    def predict(self, X):
        """Predict class labels: the most probable class of :meth:`predict_proba`,
        or the model's own ``predict`` when it gives no probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, of the same type as the training labels.
        """
        model = self._predictor()
        if not hasattr(model, "predict_proba"):
            return np.asarray(model.predict(self._rows(X)))
        proba = model.predict_proba(self._rows(X))
        return self.classes_[np.argmax(proba, axis=1)]


class AutoFineTuneRegressor(RegressorMixin, CompressMixin, AutoFineTuneBase):
    __doc__ = REGRESSOR_DOC

    _default_scoring = "r2"
    _task = "regression"

    @search_fit_context
    def fit(self, X, y, sample_weight=None):
        """Search for the best pipeline and refit it on all of ``X, y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data; DataFrame columns of any type are handled.
        y : array-like of shape (n_samples,)
            The numeric target: finite, and not constant.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights. They reach every step whose ``fit``
            takes ``sample_weight`` and weight the CV scores and the
            ensemble selection; regressors whose ``fit`` takes none are
            left out of the search (see :meth:`leaderboard`).

        Returns
        -------
        self : AutoFineTuneRegressor
            The fitted estimator.
        """
        return self._search_and_refit(X, y, sample_weight)

    def _check_target(self, y, n_samples):
        return check_regression_y(y, n_samples)

    def _target_facts(self, y, sample_weight) -> dict:
        return {"n_classes": 1}

    def _make_splits(self, X, y, seed):
        return make_splits(self.cv, X, y, seed, stacklevel=5, regression=True)

    def predict(self, X):
        """Predict the target: the ensemble's weighted mean of its members'
        predictions (:attr:`ensemble_model_`), else :attr:`best_pipeline_`'s.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predictions.
        """
        return np.asarray(self._predictor().predict(self._rows(X)), dtype=np.float64)
