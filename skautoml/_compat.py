"""Every touch of scikit-learn's private API, in one place."""

from __future__ import annotations

from sklearn.base import _fit_context as fit_context  # noqa: F401
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions  # noqa: F401
from sklearn.utils.validation import validate_data  # noqa: F401

__all__ = ["HasMethods", "Interval", "StrOptions", "fit_context", "validate_data"]
