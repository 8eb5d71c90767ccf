"""Image inputs: array-form detection, validation, and an image-folder loader.

Every accepted image form is turned into one canonical form before the
search: a 2-D ``float32`` array of shape ``(n, C * H * W)`` holding the
channels-first pixels, scaled to ``[0, 1]``. Classical models read these rows
as pixel features; image networks reshape them to ``(n, C, H, W)`` with the
``(C, H, W)`` shape recorded in :class:`ImageFormat`.

The rules, in order:

1. ``(n, H, W)`` is grey.
2. ``(n, a, b, c)`` is channels-last when only ``c`` is a channel count
   (1, 3 or 4), channels-first when only ``a`` is, and **channels-last when
   both are** (the numpy / Pillow convention); pass ``channels="first"`` or
   ``"last"`` to decide yourself. When neither is, ``channels`` is required.
3. ``(n, d)`` is tabular unless ``image_shape`` is given; then each row is a
   flattened image, reshaped (C order) to ``image_shape``: ``(H, W)`` is grey,
   and a 3-tuple is read with rule 2 (e.g. ``(8, 8)`` for scikit-learn's digits).
4. Pixels: ``uint8`` is divided by 255; other dtypes are kept when their
   training maximum is at most 1, and otherwise divided by the training
   maximum (digits: 16). The same scale is applied at predict time.
   Four channels are read as RGBA and the alpha channel is dropped.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._optional import import_optional

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageFormat",
    "image_format",
    "images_to_rows",
    "load_image_folder",
    "ImageRows",
]

_CHANNEL_COUNTS = (1, 3, 4)

#: File name endings :func:`load_image_folder` reads; other files are ignored.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")


@dataclass(frozen=True)
class ImageFormat:
    """How the training images were laid out, and how to canonicalise new ones.

    Parameters
    ----------
    layout : {"grey", "first", "last"}
        Axis layout of one image after ``image_shape`` reshaping.
    sample_shape : tuple of int
        Shape of one sample as given (``(d,)`` for flattened rows).
    reshape : tuple of int or None
        ``image_shape`` used to unflatten 2-D rows, else ``None``.
    shape : tuple of int
        Canonical ``(C, H, W)``, after dropping an alpha channel.
    scale : float
        Pixels are divided by this.
    """

    layout: str
    sample_shape: tuple
    reshape: tuple | None
    shape: tuple
    scale: float

    @property
    def n_features(self) -> int:
        c, h, w = self.shape
        return int(c * h * w)


def _check_one_size(X) -> None:
    """Raise a clear error for a list of 2-D / 3-D image arrays of different shapes."""
    if not isinstance(X, list | tuple) or not X:
        return
    shapes = [getattr(item, "shape", None) for item in X]
    if any(s is None or len(s) not in (2, 3) for s in shapes):
        return  # not a list of image arrays: left to the other checks
    shapes = [tuple(int(d) for d in s) for s in shapes]
    distinct = list(dict.fromkeys(shapes))
    if len(distinct) == 1:
        return
    (common, _), *_ = Counter(shapes).most_common()
    odd = next(i for i, s in enumerate(shapes) if s != common)
    raise ValueError(
        f"the {len(X)} images have different sizes ({len(distinct)} shapes: "
        f"{', '.join(map(str, distinct[:4]))}{', ...' if len(distinct) > 4 else ''}); e.g. "
        f"image {odd} has shape {shapes[odd]} where most have {common}. Resize them all to "
        "one size first, e.g. with Pillow: "
        "np.asarray(Image.fromarray(img).resize((width, height))), or read them from a "
        "folder with load_image_folder(path, size=(height, width))."
    )


def _as_array(X) -> np.ndarray:
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    _check_one_size(X)
    X = np.asarray(X)
    if X.dtype == object:
        raise ValueError(
            "image arrays must be numeric (uint8 or float); got dtype=object. Stack the "
            "images into one array of a single shape first, e.g. np.stack(images)."
        )
    if X.dtype.kind not in "biuf":
        raise ValueError(f"image arrays must be numeric (uint8 or float); got dtype={X.dtype}")
    return X


def _layout_4d(a: int, b: int, c: int, channels: str | None) -> str:
    if channels in ("first", "last"):
        return channels
    last_ok, first_ok = c in _CHANNEL_COUNTS, a in _CHANNEL_COUNTS
    if last_ok:
        return "last"
    if first_ok:
        return "first"
    raise ValueError(
        f"cannot tell where the channels are in images of shape {(a, b, c)}: neither the "
        f"first nor the last axis has 1, 3 or 4 entries. Pass channels='first' for "
        "(n, C, H, W) or channels='last' for (n, H, W, C)."
    )


def image_format(X, *, image_shape=None, channels=None) -> ImageFormat | None:
    """Detect the image layout of training data, or ``None`` for tabular data.

    Parameters
    ----------
    X : array-like
        ``(n, H, W)``, ``(n, H, W, C)``, ``(n, C, H, W)``, or ``(n, d)`` rows.
    image_shape : tuple of int or None, default=None
        Shape each 2-D row is a flattened image of: ``(H, W)``, ``(H, W, C)``
        or ``(C, H, W)``. ``None`` leaves 2-D data tabular.
    channels : {"first", "last"} or None, default=None
        Where the channel axis is in 4-D data (or 3-tuple ``image_shape``);
        ``None`` applies the documented rule.

    Returns
    -------
    fmt : ImageFormat or None
        ``None`` when ``X`` is tabular (2-D without ``image_shape``).

    Raises
    ------
    ValueError
        With the reason and the fix, for shapes that are not images.

    Examples
    --------
    >>> import numpy as np
    >>> image_format(np.zeros((5, 8, 8, 3), dtype=np.uint8)).shape
    (3, 8, 8)
    >>> image_format(np.zeros((5, 64)), image_shape=(8, 8)).shape
    (1, 8, 8)
    >>> image_format(np.zeros((5, 64))) is None
    True
    """
    if channels not in (None, "first", "last"):
        raise ValueError(f"channels must be None, 'first' or 'last'; got {channels!r}")
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        _check_one_size(X)
        try:
            ndim = np.asarray(X).ndim
        except (ValueError, TypeError):  # ragged lists: left to the tabular validation
            return None
    if ndim < 2 or (ndim == 2 and image_shape is None):
        return None  # tabular (or invalid), validated by check_X
    X = _as_array(X)
    if X.shape[0] == 0:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}); need at least 1")
    reshape = None
    sample = tuple(int(s) for s in X.shape[1:])
    if X.ndim == 2:
        if image_shape is None:
            return None
        reshape = tuple(int(s) for s in image_shape)
        if len(reshape) not in (2, 3) or min(reshape) < 1:
            raise ValueError(
                f"image_shape must be (H, W), (H, W, C) or (C, H, W) with positive sizes; "
                f"got {image_shape!r}"
            )
        if int(np.prod(reshape)) != sample[0]:
            raise ValueError(
                f"image_shape={reshape} holds {int(np.prod(reshape))} pixels but the rows of "
                f"X have {sample[0]} columns; give the shape the rows were flattened from "
                "(scikit-learn's digits: image_shape=(8, 8))"
            )
        one = reshape
    elif X.ndim in (3, 4):
        if image_shape is not None and tuple(image_shape) != sample:
            raise ValueError(
                f"image_shape={tuple(image_shape)} is for flattened 2-D rows; X already has "
                f"image shape {sample}. Leave image_shape=None."
            )
        one = sample
    else:
        raise ValueError(
            f"X has {X.ndim} dimensions (shape {X.shape}); images must be (n, H, W), "
            "(n, H, W, C) or (n, C, H, W)"
        )
    if len(one) == 2:
        layout, (h, w), c = "grey", one, 1
    else:
        layout = _layout_4d(*one, channels)
        c, h, w = one if layout == "first" else (one[2], one[0], one[1])
    if c == 4:
        c = 3  # RGBA: alpha is dropped
    values = X.astype(np.float64, copy=False) if X.dtype.kind == "b" else X
    if X.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError("images contain NaN or infinity; replace them with finite pixel values")
    if X.dtype == np.uint8:
        scale = 255.0
    else:
        top = float(np.max(values))
        if float(np.min(values)) < 0:
            raise ValueError(
                "image pixels must be non-negative (uint8 0-255, or floats in [0, 1] or "
                f"[0, max]); the minimum here is {float(np.min(values))}"
            )
        scale = 1.0 if top <= 1.0 else top
    return ImageFormat(layout, sample, reshape, (int(c), int(h), int(w)), float(scale))


def images_to_rows(X, fmt: ImageFormat) -> np.ndarray:
    """Canonical ``float32`` rows ``(n, C * H * W)`` (channels first, in [0, 1]).

    Parameters
    ----------
    X : array-like
        Images in the layout recorded by ``fmt``.
    fmt : ImageFormat
        From :func:`image_format` on the training data.

    Returns
    -------
    rows : ndarray of shape (n, C * H * W), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> X = np.full((2, 4, 4, 3), 255, dtype=np.uint8)
    >>> images_to_rows(X, image_format(X)).shape
    (2, 48)
    """
    X = _as_array(X)
    sample = tuple(int(s) for s in X.shape[1:])
    if sample != fmt.sample_shape:
        raise ValueError(
            f"X has samples of shape {sample}, but the estimator was fitted on images of "
            f"shape {fmt.sample_shape}; resize them to that shape"
        )
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError("images contain NaN or infinity; replace them with finite pixel values")
    X = X.astype(np.float32, copy=False)
    if fmt.reshape is not None:
        X = X.reshape((X.shape[0], *fmt.reshape))
    if fmt.layout == "grey":
        X = X[:, None, :, :]
    elif fmt.layout == "last":
        X = np.moveaxis(X, -1, 1)
    X = X[:, : fmt.shape[0]]  # drop alpha
    rows = np.ascontiguousarray(X.reshape(X.shape[0], -1), dtype=np.float32)
    if fmt.scale != 1.0:
        rows = rows / np.float32(fmt.scale)
    return rows


class ImageRows(TransformerMixin, BaseEstimator):
    """Images in the layout of :class:`ImageFormat` to canonical rows, as a pipeline step.

    The first step of a model that takes the same raw images as the
    estimator it was made from (a distilled student, for instance). It
    learns nothing: ``fit`` only checks the parameters. Rows that are
    already flat (``n, prod(sample_shape)``, as read from a CSV file) are
    taken as well.

    Parameters
    ----------
    layout, sample_shape, reshape, shape, scale
        The fields of the :class:`ImageFormat` of the training images.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.full((2, 4, 4, 3), 255, dtype=np.uint8)
    >>> fmt = image_format(X)
    >>> ImageRows(**vars(fmt)).fit_transform(X).shape
    (2, 48)
    """

    def __init__(self, layout="grey", sample_shape=(), reshape=None, shape=(), scale=1.0):
        self.layout = layout
        self.sample_shape = sample_shape
        self.reshape = reshape
        self.shape = shape
        self.scale = scale

    def _format(self) -> ImageFormat:
        return ImageFormat(
            self.layout,
            tuple(self.sample_shape),
            None if self.reshape is None else tuple(self.reshape),
            tuple(self.shape),
            float(self.scale),
        )

    def fit(self, X, y=None):
        """Check the parameters; nothing is learnt.

        Parameters
        ----------
        X : array-like
            Images (ignored).
        y : ignored

        Returns
        -------
        self : ImageRows
        """
        if self.layout not in ("grey", "first", "last"):
            raise ValueError(f'layout must be "grey", "first" or "last", got {self.layout!r}')
        self.n_features_out_ = self._format().n_features
        return self

    def transform(self, X):
        """Canonical ``float32`` rows ``(n, C * H * W)``, as :func:`images_to_rows`.

        Parameters
        ----------
        X : array-like
            Images of ``sample_shape``, or rows of ``prod(sample_shape)`` values.

        Returns
        -------
        rows : ndarray of shape (n, C * H * W)
        """
        X = _as_array(X)
        sample = tuple(self.sample_shape)
        if X.ndim == 2 and len(sample) > 1 and X.shape[1] == int(np.prod(sample)):
            X = X.reshape((X.shape[0], *sample))  # flattened rows, e.g. from a CSV file
        return images_to_rows(X, self._format())


def load_image_folder(path, *, size=None, mode=None):
    """Read a folder laid out one sub-folder per class into arrays.

    Parameters
    ----------
    path : str or os.PathLike
        ``path/<class name>/<image file>``; files whose names do not end in one
        of ``IMAGE_EXTENSIONS`` (and hidden files) are ignored.
    size : tuple of (int, int) or None, default=None
        ``(height, width)`` to resize every image to. ``None`` requires all
        images to have the same size.
    mode : {"RGB", "L"} or None, default=None
        Colour mode; ``None`` gives ``"L"`` (grey) when every image is grey and
        ``"RGB"`` otherwise.

    Returns
    -------
    X : ndarray of shape (n, H, W, C), dtype uint8
        The images, channels last (C is 1 or 3).
    y : ndarray of shape (n,), dtype str
        The class (sub-folder) names.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a folder.
    ValueError
        If the folder has no class sub-folders or no images, a file cannot be
        read as an image (the message names it), or the images differ in size
        and ``size`` is None.

    Examples
    --------
    >>> X, y = load_image_folder("path/to/images")  # doctest: +SKIP
    """
    # the one Pillow import
    Image = import_optional("PIL.Image", extra="images", purpose="reading an image folder")
    UnidentifiedImageError = Image.UnidentifiedImageError

    root = os.fspath(path)
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"image folder {root!r} does not exist or is not a folder; expected "
            "path/<class>/<image files>"
        )
    classes = sorted(
        d
        for d in os.listdir(root)
        if not d.startswith(".") and os.path.isdir(os.path.join(root, d))
    )
    if not classes:
        raise ValueError(
            f"image folder {root!r} has no sub-folders; lay it out one sub-folder per class "
            "(path/cat/1.png, path/dog/2.png, ...)"
        )
    files = []
    for label in classes:
        folder = os.path.join(root, label)
        for name in sorted(os.listdir(folder)):
            if name.startswith(".") or not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            files.append((os.path.join(folder, name), label))
    if not files:
        raise ValueError(
            f"no image files ({', '.join(IMAGE_EXTENSIONS)}) under the class folders of {root!r}"
        )
    images, labels, modes = [], [], []
    for file, label in files:
        try:
            with Image.open(file) as img:
                img.load()
                images.append(img.copy())
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValueError(f"cannot read {file!r} as an image ({exc}); fix or remove it") from exc
        labels.append(label)
        modes.append(images[-1].mode)
    if mode is None:
        mode = "L" if all(m in ("L", "1", "I;16", "I", "F") for m in modes) else "RGB"
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB', 'L' or None; got {mode!r}")
    if size is None:
        sizes = Counter(img.size for img in images)
        if len(sizes) > 1:
            (common, _), *_ = sizes.most_common()
            odd = [f for (f, _), img in zip(files, images) if img.size != common][:3]
            raise ValueError(
                f"the images in {root!r} have {len(sizes)} different sizes (width x height: "
                f"{', '.join(f'{w}x{h}' for w, h in list(sizes)[:5])}); e.g. {odd} differ from "
                f"the most common {common[0]}x{common[1]}. Resize them all: pass "
                "size=(height, width) to load_image_folder, or --image-size HxW to "
                "'skautoml fit'."
            )
    arrays = []
    for img in images:
        img = img.convert(mode)
        if size is not None:
            img = img.resize((int(size[1]), int(size[0])), Image.Resampling.BILINEAR)
        arr = np.asarray(img, dtype=np.uint8)
        arrays.append(arr[:, :, None] if arr.ndim == 2 else arr)
    return np.stack(arrays), np.asarray(labels)
