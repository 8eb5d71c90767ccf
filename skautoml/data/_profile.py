"""One call from raw input to what the search needs to know about it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._images import ImageFormat, image_format, images_to_rows
from ._validation import categorical_columns, check_X

__all__ = ["DataProfile", "has_missing", "profile_data", "to_rows"]


@dataclass(frozen=True)
class DataProfile:
    """What a ``fit``'s search space and networks depend on in the input.

    Attributes
    ----------
    n_samples, n_features : int
        Rows and columns after images were flattened into rows.
    categorical_columns : tuple
        Names of the non-numeric columns of a DataFrame.
    has_missing : bool
        Whether any value is missing (NaN or None).
    image_format : ImageFormat or None
        How the input holds images; ``None`` for tabular data.
    """

    n_samples: int
    n_features: int
    categorical_columns: tuple
    has_missing: bool
    image_format: ImageFormat | None


def has_missing(X) -> bool:
    """Whether ``X`` (array or DataFrame) holds a missing value."""
    if hasattr(X, "isna"):
        return bool(X.isna().to_numpy().any())
    return bool(np.isnan(X).any())


def to_rows(X, fmt: ImageFormat | None):
    """Images in ``fmt`` as flattened rows; tabular ``X`` unchanged."""
    return X if fmt is None else images_to_rows(X, fmt)


def profile_data(estimator, X, *, image_shape=None, channels=None):
    """Validate training input and profile it, in one call.

    Parameters
    ----------
    estimator : BaseEstimator
        Gets ``n_features_in_`` (and ``feature_names_in_`` for DataFrames).
    X : array-like, DataFrame, or images
        Training input.
    image_shape : tuple of int, default=None
        Read 2-D ``X`` as flattened images of this shape.
    channels : {"first", "last"}, default=None
        Where the channel axis of 4-D images is.

    Returns
    -------
    X : ndarray or DataFrame
        The validated rows (images flattened).
    profile : DataProfile
        What the search needs to know about them.
    """
    fmt = image_format(X, image_shape=image_shape, channels=channels)
    X = check_X(estimator, to_rows(X, fmt), reset=True)
    profile = DataProfile(
        n_samples=X.shape[0],
        n_features=X.shape[1],
        categorical_columns=categorical_columns(X),
        has_missing=has_missing(X),
        image_format=fmt,
    )
    return X, profile
