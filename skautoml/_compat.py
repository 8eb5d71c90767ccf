"""Every touch of scikit-learn's private API, in one place.

One more touch lives where it must: :class:`~._estimator_results.SearchResultsMixin`
overrides ``_html_repr``, the hook scikit-learn's ``ReprHTMLMixin`` documents for
an estimator's HTML repr (a notebook shows the winning pipeline's diagram).
"""

from __future__ import annotations

from sklearn.base import _fit_context as fit_context  # noqa: F401
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions  # noqa: F401
from sklearn.utils.validation import validate_data  # noqa: F401

__all__ = ["HasMethods", "Interval", "StrOptions", "fit_context", "validate_data"]
