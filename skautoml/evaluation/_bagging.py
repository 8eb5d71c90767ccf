"""A member of the ensemble kept as its cross-validation fold models (bagging).

When the budget leaves no time to refit an ensemble member on all rows, the
member is the average of the models the search fitted on its folds, as
AutoGluon's bagged models are. :class:`FoldBag` is that member as a plain
scikit-learn estimator: fitting it trains a clone of the pipeline on the
training rows of each split of ``cv``, and it predicts the average. The
search builds it fitted, from the fold models it already has
(:func:`bag_of_folds`); an exported script defines a copy of the class
(``skautoml.export._inline``) and, fitted on the same rows, gets the same
fold models and so the same predictions.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["FoldBag", "bag_of_folds", "first_fold_form", "reproducible_splitter"]


def _estimator_has_proba(self) -> bool:
    return hasattr(self.estimator, "predict_proba")


class FoldBag(BaseEstimator):
    """One pipeline fitted on each cross-validation fold, its models averaged.

    Parameters
    ----------
    estimator : estimator
        The pipeline; a clone of it is fitted on the training rows of each
        split. A classifier makes the bag a classifier, a regressor a
        regressor.
    cv : cross-validation splitter
        Any object with ``split(X, y)``, such as a shuffled
        :class:`~sklearn.model_selection.StratifiedKFold` with a fixed
        ``random_state``, so that the same rows give the same folds.
    n_folds : int, default=None
        Fit on the first ``n_folds`` splits only (``None``: all of them).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted fold models, in split order.
    classes_ : ndarray of shape (n_classes,)
        The class labels (classifiers only).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import StratifiedKFold
    >>> X, y = load_iris(return_X_y=True)
    >>> bag = FoldBag(
    ...     LogisticRegression(max_iter=500),
    ...     cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ... ).fit(X, y)
    >>> len(bag.estimators_), bag.predict_proba(X[:1]).shape
    (3, (1, 3))
    """

    #: the fold models see the bag's own input (compression calibrates them on it)
    _passes_input_through = True

    def __init__(self, estimator, *, cv, n_folds=None):
        self.estimator = estimator
        self.cv = cv
        self.n_folds = n_folds

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        return tags

    def fit(self, X, y):
        """Fit a clone of ``estimator`` on the training rows of each split.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows.
        y : array-like of shape (n_samples,)
            The target.

        Returns
        -------
        self : FoldBag
            The fitted bag.
        """
        if not hasattr(self.cv, "split"):
            raise ValueError(
                f"FoldBag needs a cross-validation splitter with split(X, y) as cv, "
                f"got {self.cv!r}; pass for example StratifiedKFold(3, shuffle=True, "
                "random_state=0)"
            )
        splits = list(self.cv.split(X, y))[: self.n_folds]
        self.estimators_ = [
            clone(self.estimator).fit(_safe_indexing(X, train), _safe_indexing(y, train))
            for train, _ in splits
        ]
        return self._with_classes()

    def _with_classes(self):
        first = self.estimators_[0]
        if hasattr(first, "classes_"):
            self.classes_ = first.classes_
        return self

    @available_if(_estimator_has_proba)
    def predict_proba(self, X):
        """The fold models' class probabilities, averaged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The mean of the fold models' ``predict_proba``.
        """
        check_is_fitted(self, "estimators_")
        return np.mean([model.predict_proba(X) for model in self.estimators_], axis=0)

    def predict(self, X):
        """The class of highest mean probability, or the mean prediction.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Classifiers: the class whose averaged probability is highest.
            Regressors: the mean of the fold models' predictions. A bag of
            one model predicts what that model predicts.
        """
        check_is_fitted(self, "estimators_")
        if len(self.estimators_) == 1:  # ties and classifiers without probabilities alike
            return self.estimators_[0].predict(X)
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return np.mean([model.predict(X) for model in self.estimators_], axis=0)


def reproducible_splitter(data):
    """The splitter that gives ``data.splits`` again from the same rows, or None.

    A ``cv`` given as an int is a shuffled ``StratifiedKFold`` (``KFold`` for
    regression) seeded with the fit's seed; it is returned only when it
    reproduces every split exactly. Another splitter (groups, a list of
    splits) cannot be rebuilt from the rows alone: ``None``.
    """
    kind = KFold if data.regression else StratifiedKFold
    splitter = kind(n_splits=len(data.splits), shuffle=True, random_state=data.ctx.seed)
    try:
        again = list(splitter.split(data.X, data.y))
    except ValueError:  # fewer rows or class members than folds: not this splitter
        return None
    same = all(
        np.array_equal(tr, tr2) and np.array_equal(te, te2)
        for (tr, te), (tr2, te2) in zip(data.splits, again)
    )
    return splitter if same else None


def bag_of_folds(fold_models: list, splitter) -> FoldBag:
    """A fitted :class:`FoldBag` made of models already fitted on the first
    ``len(fold_models)`` splits of ``splitter`` (nothing is refit)."""
    bag = FoldBag(clone(fold_models[0]), cv=splitter, n_folds=len(fold_models))
    bag.estimators_ = list(fold_models)
    return bag._with_classes()


def first_fold_form(pipeline, data):
    """The unfitted estimator an exported script builds for a best pipeline
    fitted on the first split's training rows only (its refit did not fit
    the budget): ``FoldBag(pipeline, cv=splitter, n_folds=1)``, which trains
    on those same rows and so predicts the same; ``None`` when the search's
    splits cannot be made again from the rows (the script then trains the
    pipeline on all of them)."""
    splitter = reproducible_splitter(data)
    return None if splitter is None else FoldBag(clone(pipeline), cv=splitter, n_folds=1)
