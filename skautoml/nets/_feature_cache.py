"""Frozen-backbone features, computed once and cached on disk.

A linear probe trains only a head on top of a frozen backbone, so the
backbone's output for a given set of images never changes. During a search,
the same (backbone, resolution, fold) comes back in many trials, each in its
own worker process; :class:`BackboneFeatures` stores the features in a folder
shared by the workers, under a key that covers everything the features depend
on, so that a cached entry can never be stale:

* a SHA-256 of every backbone tensor (parameters and buffers);
* the preprocessing (channels, resolution, normalisation) and image shape;
* a SHA-256 of the input array's bytes, its shape and dtype;
* the torch version and a format version.

Entries are written to a temporary name and renamed, so concurrent workers
never read a half-written file. The estimator creates the folder per ``fit``
and removes it afterwards.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._image_net import ImageClassifier
from ._release import release_feature_cache

__all__ = ["BackboneFeatures", "release_feature_cache"]

logger = logging.getLogger("skautoml")

_FORMAT = "skautoml-features-v1"


def _weights_hash(module: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        digest.update(name.encode())
        digest.update(str(t.dtype).encode())
        digest.update(str(tuple(t.shape)).encode())
        if t.dtype == torch.bfloat16:
            t = t.float()
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def _array_hash(X: np.ndarray) -> str:
    X = np.ascontiguousarray(X)
    digest = hashlib.sha256()
    digest.update(f"{X.shape}{X.dtype.str}".encode())
    digest.update(memoryview(X).cast("B"))
    return digest.hexdigest()


class BackboneFeatures(TransformerMixin, BaseEstimator):
    """Pooled features of a frozen backbone, with an optional disk cache.

    Parameters
    ----------
    backbone : str, torch.nn.Module, type or spec, default="efficientnet_lite0"
        Anything :func:`~skautoml.nets.resolve_backbone` accepts.
    image_shape : tuple of int, default=(3, 32, 32)
        ``(C, H, W)`` of the input rows.
    resolution : int or None, default=None
        Input size fed to the backbone (``None``: its native size).
    backbone_params : dict or None, default=None
        Extra loader arguments of a registered backbone.
    batch_size : int, default=64
        Images per forward pass.
    device : str, default="cpu"
        Torch device.
    cache_dir : str or None, default=None
        Folder for cached features; ``None`` (or a folder that no longer
        exists) computes them every time.

    Attributes
    ----------
    extractor_ : ImageClassifier
        Preprocessing and backbone, in evaluation mode.
    weights_hash_ : str
        SHA-256 of the backbone's tensors, part of every cache key.

    Examples
    --------
    >>> import numpy as np
    >>> feats = BackboneFeatures("small_cnn", image_shape=(1, 8, 8))
    >>> feats.fit_transform(np.zeros((4, 64), dtype=np.float32)).shape
    (4, 64)
    """

    def __init__(
        self,
        backbone="efficientnet_lite0",
        image_shape=(3, 32, 32),
        resolution=None,
        backbone_params=None,
        batch_size=64,
        device="cpu",
        cache_dir=None,
    ):
        self.backbone = backbone
        self.image_shape = image_shape
        self.resolution = resolution
        self.backbone_params = backbone_params
        self.batch_size = batch_size
        self.device = device
        self.cache_dir = cache_dir

    def fit(self, X, y=None):
        """Load the backbone (its weights are never trained here).

        Parameters
        ----------
        X : array-like of shape (n_samples, C * H * W)
            Ignored apart from its width.
        y : ignored

        Returns
        -------
        self : BackboneFeatures
        """
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)  # deterministic weights for backbones without pretraining
            net = ImageClassifier(
                self.backbone,
                self.image_shape,
                n_classes=1,
                resolution=self.resolution,
                backbone_params=self.backbone_params,
            )
        net.head = torch.nn.Identity()
        for p in net.parameters():
            p.requires_grad_(False)
        self.extractor_ = net.eval().to(self.device)
        self.weights_hash_ = _weights_hash(net)
        self.n_features_in_ = int(np.prod(self.image_shape))
        return self

    def _key(self, X: np.ndarray) -> str:
        pre = self.extractor_.preprocess
        mean = None if pre.mean is None else pre.mean.flatten().tolist()
        std = None if pre.std is None else pre.std.flatten().tolist()
        parts = [
            _FORMAT,
            torch.__version__,
            self.weights_hash_,
            repr((pre.image_shape, pre.channels, pre.resolution, mean, std)),
            _array_hash(X),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def _compute(self, X: np.ndarray) -> np.ndarray:
        out = []
        net = self.extractor_.eval()
        with torch.no_grad():
            for start in range(0, X.shape[0], int(self.batch_size)):
                batch = torch.as_tensor(X[start : start + int(self.batch_size)]).to(self.device)
                out.append(net.backbone.forward_features(net.preprocess(batch)).cpu().numpy())
        return np.concatenate(out).astype(np.float32, copy=False)

    def transform(self, X):
        """Backbone features of ``X``, from the cache when it has them.

        Parameters
        ----------
        X : array-like of shape (n_samples, C * H * W)
            Canonical image rows (pixels in [0, 1]).

        Returns
        -------
        features : ndarray of shape (n_samples, feature_dim), dtype float32
        """
        check_is_fitted(self, "extractor_")
        X = np.ascontiguousarray(np.asarray(X, dtype=np.float32))
        folder = self.cache_dir
        if not folder or not os.path.isdir(folder):
            return self._compute(X)
        path = os.path.join(folder, self._key(X) + ".npy")
        if os.path.isfile(path):
            logger.debug("feature cache hit %s", path)
            return np.load(path)
        features = self._compute(X)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, features)
            os.replace(tmp, path)
        except OSError:
            logger.warning("could not write the feature cache entry %s", path)
            if os.path.exists(tmp):
                os.remove(tmp)
        return features
