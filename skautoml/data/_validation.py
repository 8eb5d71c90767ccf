"""Input validation and profiling for tabular data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from .._compat import validate_data

__all__ = ["categorical_columns", "check_X", "check_y"]


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
    if y is None:
        raise ValueError(
            "requires y to be passed, but the target y is None; pass the class labels to fit"
        )
    y = column_or_1d(
        check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=False), warn=True
    )
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_samples}, y has {len(y)}"
        )
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
