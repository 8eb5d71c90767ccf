"""Extra rows for distillation: the teacher labels them, the student learns from them.

A student learns the teacher's function best where it sees the teacher
answer. Rows near the training rows are the cheapest such places:

- images: small shifts (up to 2 pixels, zero padding), and mirror images for
  colour photos (flips change what a digit or a letter means, so grey images
  are only shifted);
- tables: MUNGE (Bucilua, Caruana and Niculescu-Mizil, 2006), as AutoGluon's
  distillation does: each new row starts from a training row and, column by
  column with probability ``p``, takes a value near its nearest neighbour's
  (numeric: drawn from a normal around it with a spread of ``|a - b| / s``;
  other columns: the neighbour's value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

__all__ = ["augment_rows", "munge", "shift_images"]

#: most rows distillation adds, whatever the factor
MAX_EXTRA_ROWS = 20_000


def shift_images(rows: np.ndarray, image_shape: tuple, rng, *, flips: bool) -> np.ndarray:
    """One shifted (and, with ``flips``, possibly mirrored) copy of each image.

    Parameters
    ----------
    rows : ndarray of shape (n, C * H * W)
        Canonical image rows (channels first).
    image_shape : tuple of int
        ``(C, H, W)``.
    rng : numpy.random.Generator
    flips : bool
        Mirror half of the copies left to right.

    Returns
    -------
    extra : ndarray of shape (n, C * H * W), dtype float32
    """
    c, h, w = image_shape
    images = rows.reshape(-1, c, h, w)
    pad = 2 if min(h, w) >= 8 else 1
    padded = np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dy = rng.integers(0, 2 * pad + 1, size=len(images))
    dx = rng.integers(0, 2 * pad + 1, size=len(images))
    out = np.empty_like(images, dtype=np.float32)
    for i, (oy, ox) in enumerate(zip(dy, dx)):
        out[i] = padded[i, :, oy : oy + h, ox : ox + w]
    if flips:
        mirror = rng.random(len(images)) < 0.5
        out[mirror] = out[mirror, :, :, ::-1]
    return out.reshape(len(images), -1)


def munge(X, n_new: int, rng, *, p: float = 0.5, s: float = 1.0):
    """``n_new`` MUNGE rows made from the rows of ``X``.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n, d)
        Training rows; DataFrame columns that are not numeric are swapped,
        never perturbed. Missing values stay missing.
    n_new : int
        Rows to make.
    rng : numpy.random.Generator
    p : float, default=0.5
        Chance that a column of a new row moves towards the neighbour.
    s : float, default=1.0
        Numeric spread: a moved value is drawn from ``N(b, |a - b| / s)``.

    Returns
    -------
    extra : same type as ``X``, of ``n_new`` rows
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    values = frame[numeric].to_numpy(dtype=np.float64)
    # neighbours in standardised numeric space (missing values at the column mean)
    filled = np.where(np.isnan(values), np.nanmean(values, axis=0), values)
    filled = np.nan_to_num(filled)
    scale = filled.std(axis=0)
    scale[scale == 0] = 1.0
    z = (filled - filled.mean(axis=0)) / scale
    if len(frame) < 2:
        raise ValueError("MUNGE needs at least 2 rows to find neighbours")
    _, idx = NearestNeighbors(n_neighbors=2).fit(z).kneighbors(z)
    neighbour = idx[:, 1]
    base = rng.integers(0, len(frame), size=n_new)
    new = frame.iloc[base].reset_index(drop=True).copy()
    near = frame.iloc[neighbour[base]].reset_index(drop=True)
    for col in frame.columns:
        move = rng.random(n_new) < p
        if col in numeric:
            a = new[col].to_numpy(dtype=np.float64)
            b = near[col].to_numpy(dtype=np.float64)
            drawn = rng.normal(b, np.abs(a - b) / s)
            drawn = np.where(np.isnan(drawn), b, drawn)
            if pd.api.types.is_integer_dtype(frame[col]):
                drawn = np.rint(drawn)
            new[col] = np.where(move, drawn, a).astype(frame[col].dtype, copy=False)
        else:
            new.loc[move, col] = near.loc[move, col]
    if isinstance(X, pd.DataFrame):
        return new
    return new.to_numpy(dtype=np.asarray(X).dtype)


def augment_rows(X, kind: str, image_shape, rng, *, factor: int = 1):
    """Extra rows for the data kind: shifted images, or MUNGE rows for tables.

    Parameters
    ----------
    X : ndarray or DataFrame
        Canonical rows (images flattened channels first).
    kind : {"image", "tabular"}
    image_shape : tuple of int or None
        ``(C, H, W)`` for images.
    rng : numpy.random.Generator
    factor : int, default=1
        Extra rows per row (at most :data:`MAX_EXTRA_ROWS` in all).

    Returns
    -------
    extra : same type as ``X``
    """
    n = len(X)
    if kind == "image":
        flips = image_shape[0] == 3  # colour photos are mirrored, digits are not
        copies = [shift_images(np.asarray(X), image_shape, rng, flips=flips) for _ in range(factor)]
        extra = np.concatenate(copies)
        return extra[: max(MAX_EXTRA_ROWS, n)]
    return munge(X, min(factor * n, MAX_EXTRA_ROWS), rng)
