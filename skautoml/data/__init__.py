"""Input validation and profiling."""

from ._images import ImageFormat, ImageRows, image_format, images_to_rows, load_image_folder
from ._profile import DataProfile, has_missing, profile_data, to_rows
from ._validation import categorical_columns, check_regression_y, check_weights, check_X, check_y

__all__ = [
    "DataProfile",
    "ImageFormat",
    "ImageRows",
    "categorical_columns",
    "check_X",
    "check_regression_y",
    "check_weights",
    "check_y",
    "has_missing",
    "image_format",
    "images_to_rows",
    "load_image_folder",
    "profile_data",
    "to_rows",
]
