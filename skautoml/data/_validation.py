"""Input validation and profiling for tabular data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from .._compat import validate_data

__all__ = [
    "categorical_columns",
    "check_X",
    "check_regression_y",
    "check_weights",
    "check_y",
]


def _is_frame(X) -> bool:
    return isinstance(X, pd.DataFrame)


def categorical_columns(X) -> tuple:
    """Names of the non-numeric (and non-boolean) columns of a DataFrame."""
    if not _is_frame(X):
        return ()
    return tuple(
        c
        for c in X.columns
        if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
    )


def check_X(estimator, X, *, reset: bool):
    """Validate ``X`` (and record ``n_features_in_`` / ``feature_names_in_`` on reset).

    DataFrames stay DataFrames so that the pipeline can encode their
    categorical columns; numeric columns must hold no infinity.
    Everything else becomes a 2-D float array; NaN is allowed (imputed),
    infinity is not.
    """
    if _is_frame(X):
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
            )
        numeric = X.select_dtypes(include="number")
        if numeric.shape[1] and np.isinf(numeric.to_numpy(dtype=float, na_value=np.nan)).any():
            bad = [c for c in numeric.columns if np.isinf(numeric[c].to_numpy(dtype=float)).any()]
            raise ValueError(
                f"Input X contains infinity in column(s) {bad}; replace it with NaN "
                "(which is imputed) or a finite value."
            )
        cats = categorical_columns(X)
        if cats:
            mixed = [c for c in cats if X[c].dropna().map(type).nunique() > 1]
            if mixed:
                X = X.copy()
                for c in mixed:  # mixed types (e.g. 1 and "a") are read as text
                    X[c] = X[c].where(X[c].isna(), X[c].astype(str))
        return X
    return validate_data(
        estimator,
        X,
        reset=reset,
        dtype="numeric",
        ensure_all_finite="allow-nan",
        ensure_2d=True,
        accept_sparse=False,
    )


def check_y(y, n_samples: int):
    """Validate classification labels; returns a 1-D array."""
    y = _as_1d(y, n_samples, "class labels")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("y contains NaN; drop those rows or give them a label")
    if y.dtype == object and pd.isna(y).any():
        raise ValueError("y contains missing labels (None/NaN); drop those rows or label them")
    if y.dtype == object and len({type(v) for v in y}) > 1:
        kinds = sorted({type(v).__name__ for v in y})
        raise ValueError(
            f"y mixes label types ({', '.join(kinds)}); convert the labels to one type, "
            "e.g. y.astype(str)"
        )
    check_classification_targets(y)
    if type_of_target(y) not in ("binary", "multiclass"):
        raise ValueError(f"y must be binary or multiclass labels, got {type_of_target(y)!r}")
    if np.unique(y).size < 2:
        raise ValueError(
            f"y has only one class ({y[0]!r}); classification needs at least 2 classes"
        )
    return y


def _as_1d(y, n_samples: int, what: str):
    if y is None:
        raise ValueError(
            f"requires y to be passed, but the target y is None; pass the {what} to fit"
        )
    y = column_or_1d(
        check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=False), warn=True
    )
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_samples}, y has {len(y)}"
        )
    return y


def check_regression_y(y, n_samples: int):
    """Validate a numeric regression target; returns a 1-D float64 array.

    Raises a ``ValueError`` that says what to do for a non-numeric target
    (class labels belong to the classifier), NaN or infinite values, and a
    constant target (there is nothing to learn).

    Examples
    --------
    >>> check_regression_y([1, 2.5, 3], 3)
    array([1. , 2.5, 3. ])
    >>> check_regression_y(["a", "b"], 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y must be numeric for regression...
    """
    y = _as_1d(y, n_samples, "numeric target")
    if y.dtype.kind not in "biuf":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"y must be numeric for regression, got values such as {y[0]!r}; "
                "for class labels use AutoFineTuneClassifier, else convert y to numbers"
            ) from None
    y = y.astype(np.float64)
    if np.isnan(y).any():
        raise ValueError(
            f"y contains NaN in {int(np.isnan(y).sum())} row(s); drop those rows or "
            "fill in their target"
        )
    if np.isinf(y).any():
        raise ValueError(
            f"y contains infinity in {int(np.isinf(y).sum())} row(s); drop those rows "
            "or replace the values by finite ones"
        )
    if n_samples > 1 and np.ptp(y) == 0:
        raise ValueError(
            f"y is constant ({y[0]!r} in every row): there is nothing to learn; "
            "check the target column"
        )
    return y


def check_weights(sample_weight, n_samples: int):
    """Validate ``sample_weight``; returns a 1-D float64 array, or ``None``.

    Weights must be finite, non-negative, one per row, and not all zero.

    Examples
    --------
    >>> check_weights([1, 2, 0], 3)
    array([1., 2., 0.])
    >>> check_weights([1, -1], 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: sample_weight has 1 negative value(s)...
    """
    if sample_weight is None:
        return None
    if np.isscalar(sample_weight):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    w = check_array(sample_weight, ensure_2d=False, dtype=np.float64, ensure_all_finite=False)
    if w.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D (one weight per row), got shape {w.shape}; "
            "pass a flat array"
        )
    if len(w) != n_samples:
        raise ValueError(
            f"sample_weight has {len(w)} values but X has {n_samples} rows; pass one weight per row"
        )
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity; give every row a finite weight")
    if (w < 0).any():
        raise ValueError(
            f"sample_weight has {int((w < 0).sum())} negative value(s); weights must be >= 0"
        )
    if not (w > 0).any():
        raise ValueError(
            "sample_weight is zero for every row, so no row counts; give some rows a "
            "positive weight"
        )
    return w
