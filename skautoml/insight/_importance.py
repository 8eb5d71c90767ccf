"""Which inputs the fitted model relies on: permutation importance, occlusion for images."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["feature_importance", "occlusion_map"]

#: an image is occluded on a grid of about this many patches per side
_GRID = 7


def _scorer(estimator, scoring=None):
    return get_scorer(estimator._scoring_used() if scoring is None else scoring)


def feature_importance(estimator, X, y, *, n_repeats=5, random_state=None, scoring=None):
    """Permutation importance of the fitted model on the original columns.

    See :meth:`skautoml.AutoFineTuneClassifier.feature_importance`.
    """
    check_is_fitted(estimator, "best_pipeline_")
    if getattr(estimator, "image_format_", None) is not None:
        return occlusion_map(estimator, X, y, scoring=scoring)
    if n_repeats < 1:
        raise ValueError(f"n_repeats={n_repeats!r} must be a positive integer")
    # the estimator itself is scored: its own input checks, and the ensemble
    # when one predicts, see every permuted copy of the original columns
    result = permutation_importance(
        estimator,
        X,
        y,
        scoring=_scorer(estimator, scoring),
        n_repeats=n_repeats,
        random_state=check_random_state(random_state),
    )
    names = _column_names(estimator, X)
    table = pd.DataFrame(
        {"importance_mean": result.importances_mean, "importance_std": result.importances_std},
        index=pd.Index(names, name="feature"),
    )
    return table.sort_values("importance_mean", ascending=False, kind="stable")


def _column_names(estimator, X) -> list:
    if hasattr(X, "columns"):
        return [str(c) for c in X.columns]
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(c) for c in names]
    return [f"x{i}" for i in range(np.shape(X)[1])]


def occlusion_map(estimator, X, y, *, scoring=None):
    """How much the score drops when each patch of the images is hidden.

    The images are cut into a grid of square patches, about seven per
    side (one pixel per patch for images up to 7 pixels wide). Each patch
    in turn is replaced, in every image, by the images' mean value of each
    channel, and the estimator's scorer is computed again; a patch's value
    is the score without occlusion minus the score with it.

    Parameters
    ----------
    estimator : AutoFineTuneClassifier or AutoFineTuneRegressor
        Fitted on images.
    X : images
        In the form ``fit`` took.
    y : array-like of shape (n_samples,)
        Their labels (targets).
    scoring : str, callable or None, default=None
        The score whose drop is measured; ``None`` is the estimator's own.

    Returns
    -------
    drops : ndarray of shape (height, width)
        The score drop of the patch each pixel belongs to (canonical image
        size, as in ``image_format_.shape``); positive where hiding the
        patch hurts the score.
    """
    rows = estimator._rows(X)
    y = np.asarray(y)
    model, scorer = estimator._predictor(), _scorer(estimator, scoring)
    channels, height, width = estimator.image_format_.shape
    images = np.asarray(rows, dtype=np.float32).reshape(-1, channels, height, width)
    fill = images.mean(axis=(0, 2, 3))[:, None, None]
    baseline = scorer(model, rows, y)
    side = max(1, math.ceil(min(height, width) / _GRID))
    drops = np.zeros((height, width))
    for top in range(0, height, side):
        for left in range(0, width, side):
            hidden = images.copy()
            hidden[:, :, top : top + side, left : left + side] = fill
            score = scorer(model, hidden.reshape(len(rows), -1), y)
            drops[top : top + side, left : left + side] = baseline - score
    return drops
