"""Input validation and profiling."""

from ._validation import categorical_columns, check_X, check_y

__all__ = ["categorical_columns", "check_X", "check_y"]
