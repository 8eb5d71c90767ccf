"""Composite components: feature unions and out-of-fold stacking.

Both take nested :class:`~skautoml.space.Candidate` values as parameters;
:func:`~skautoml.space.build_pipeline` builds those into pipelines before the
factory runs. Their role is ``"transformer"``, so they may stand wherever a
transformer may. The genetic search builds them from its trees; the linear
spaces of the Bayesian and random searches use them only when a user puts
them in a slot, and then choose among the few defaults declared here.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion
from sklearn.utils.validation import check_is_fitted

from ._candidate import Candidate, Step
from ._components import Component, register
from ._dimensions import Categorical

__all__ = ["StackingTransformer"]


class StackingTransformer(TransformerMixin, BaseEstimator):
    """Append a classifier's class probabilities to the features, out of fold.

    ``fit_transform(X, y)`` (what a :class:`~sklearn.pipeline.Pipeline` calls
    while fitting) appends *out-of-fold* probabilities from
    :func:`~sklearn.model_selection.cross_val_predict`, so the next step never
    sees predictions made on the rows the classifier was trained on (TPOT's
    ``StackingEstimator`` appends in-sample predictions, which leaks the labels
    into the features). The classifier is then refit on all rows;
    ``transform(X)`` (at predict time) appends that model's probabilities.

    Parameters
    ----------
    estimator : classifier
        Any estimator with ``predict_proba``, e.g. a pipeline ending in a
        classifier.
    cv : int, default=3
        Folds of the shuffled :class:`~sklearn.model_selection.StratifiedKFold`
        used for the out-of-fold predictions.
    random_state : int or None, default=None
        Seeds the fold shuffling.

    Attributes
    ----------
    estimator_ : classifier
        The clone of ``estimator`` fitted on all the rows.
    classes_ : ndarray
        The class labels, in the order of the appended columns.
    n_features_in_ : int
        Number of input features.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skautoml.space import StackingTransformer
    >>> X, y = load_iris(return_X_y=True)
    >>> stack = StackingTransformer(LogisticRegression(max_iter=500), random_state=0)
    >>> stack.fit_transform(X, y).shape
    (150, 7)
    """

    def __init__(self, estimator, *, cv=3, random_state=None):
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state

    def _splitter(self, y):
        _, counts = np.unique(y, return_counts=True)
        n_splits = int(max(2, min(self.cv, counts.min())))
        return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)

    def fit(self, X, y):
        """Fit the classifier on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        self : StackingTransformer
            The fitted transformer.
        """
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit on all rows, and return ``X`` with out-of-fold probabilities appended.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels.
        **fit_params : dict
            Ignored; accepted for the transformer API.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features + n_classes)
            The features and the out-of-fold class probabilities.
        """
        if y is None:
            raise ValueError("StackingTransformer needs y to fit")
        oof = cross_val_predict(
            clone(self.estimator), X, y, cv=self._splitter(y), method="predict_proba"
        )
        self.fit(X, y)
        return np.hstack([_dense(X), oof])

    def transform(self, X):
        """Return ``X`` with the refit classifier's probabilities appended.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_features + n_classes)
            The features and the class probabilities.
        """
        check_is_fitted(self, "estimator_")
        return np.hstack([_dense(X), self.estimator_.predict_proba(X)])


def _dense(X):
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=float)


def _feature_union(ctx, branches=()):
    if len(branches) < 2:
        raise ValueError("feature_union needs at least two branches")
    parts = []
    for i, pipe in enumerate(branches):
        # an empty branch keeps the input features as they are
        parts.append((f"branch{i}", pipe if pipe.steps else "passthrough"))
    return FeatureUnion(parts)


def _stacking(ctx, estimator=None):
    if estimator is None or not estimator.steps:
        raise ValueError("stacking needs an estimator candidate ending in a classifier")
    return StackingTransformer(estimator, cv=3, random_state=ctx.seed)


_IDENTITY = Candidate(())

#: what a linear slot may choose when a user puts ``feature_union`` in it
UNION_BRANCHES = Categorical(
    (
        (_IDENTITY, Candidate((Step.make("pca", {"variance": 0.9}),))),
        (_IDENTITY, Candidate((Step.make("select_percentile", {"percentile": 50}),))),
        (
            Candidate((Step.make("pca", {"variance": 0.9}),)),
            Candidate((Step.make("select_percentile", {"percentile": 50}),)),
        ),
    )
)

#: what a linear slot may choose when a user puts ``stacking`` in it
STACKED_ESTIMATORS = Categorical(
    (
        Candidate((Step.make("logistic_regression", {"C": 1.0}),)),
        Candidate((Step.make("k_neighbors", {"n_neighbors": 10, "weights": "distance"}),)),
        Candidate((Step.make("random_forest", {}),)),
    )
)

register(
    Component(
        "feature_union",
        "transformer",
        _feature_union,
        {"branches": UNION_BRANCHES},
        kinds=frozenset({"tabular", "image"}),
        cost=2.0,
    )
)
register(
    Component(
        "stacking",
        "transformer",
        _stacking,
        {"estimator": STACKED_ESTIMATORS},
        kinds=frozenset({"tabular", "image"}),
        cost=3.0,
    )
)
