"""Input validation and profiling."""

from ._images import ImageFormat, image_format, images_to_rows, load_image_folder
from ._validation import categorical_columns, check_X, check_y

__all__ = [
    "ImageFormat",
    "categorical_columns",
    "check_X",
    "check_y",
    "image_format",
    "images_to_rows",
    "load_image_folder",
]
