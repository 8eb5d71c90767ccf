"""The image network: preprocessing + backbone + head, as one torch module.

Inputs are the canonical rows of :mod:`skautoml.data._images` (``float32``,
``(n, C * H * W)``, pixels in ``[0, 1]``). The module reshapes them, repeats
grey to the backbone's channels, resizes to the searched resolution,
augments (training mode only) and normalises, so that preprocessing is part
of the fitted pipeline and of the search.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ._backbones import input_channels, resolve_backbone
from ._efficientnet import EfficientNetLite
from ._registry import _load_lite
from ._small_cnn import SmallCNN

__all__ = [
    "AUGMENTATIONS",
    "FeatureHead",
    "ImageClassifier",
    "ImagePreprocess",
    "image_block_groups",
    "make_head",
]

AUGMENTATIONS = ("none", "flip", "crop", "flip_crop", "shift")


class ImagePreprocess(nn.Module):
    """Rows -> normalised image batch, with training-only augmentation.

    Parameters
    ----------
    image_shape : tuple of int
        ``(C, H, W)`` of the input rows.
    channels : int or None, default=None
        Channels the backbone takes; grey (1) is repeated, RGBA is cut to RGB.
        ``None`` keeps the input's.
    resolution : int or None, default=None
        Square output size (bilinear, antialiased when shrinking); ``None`` keeps
        the input size.
    mean, std : tuple of float or None, default=None
        Per-channel normalisation (a 1-tuple applies to every channel).
    augment : {"none", "flip", "crop", "flip_crop", "shift"}, default="none"
        Random horizontal flip and/or random resized crop (70-100 % of the
        side), or ``"shift"``: a random translation of up to 10 % of the side
        and scaling by 0.9-1.1, with black borders (for digits and other
        centred shapes that a flip or a tight crop would change), applied only
        while the module is in training mode.

    Examples
    --------
    >>> import torch
    >>> pre = ImagePreprocess((1, 8, 8), channels=3, resolution=16).eval()
    >>> pre(torch.zeros(2, 64)).shape
    torch.Size([2, 3, 16, 16])
    """

    def __init__(
        self, image_shape, channels=None, resolution=None, mean=None, std=None, augment="none"
    ):
        super().__init__()
        if augment not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {AUGMENTATIONS}; got {augment!r}")
        self.image_shape = tuple(int(s) for s in image_shape)
        self.channels = int(channels or self.image_shape[0])
        self.resolution = int(resolution) if resolution else None
        self.augment = augment
        c = self.channels
        if mean is not None:
            mean = torch.tensor(mean, dtype=torch.float32).expand(c).reshape(1, c, 1, 1).clone()
            std = torch.tensor(std, dtype=torch.float32).expand(c).reshape(1, c, 1, 1).clone()
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)

    def forward(self, x):
        x = x.reshape(x.shape[0], *self.image_shape)
        c = x.shape[1]
        if c != self.channels:
            if c == 1:
                x = x.expand(-1, self.channels, -1, -1)
            elif c > self.channels:
                x = x[:, : self.channels]
            else:
                raise ValueError(
                    f"the backbone takes {self.channels} channels; the images have {c}"
                )
        if self.resolution is not None and x.shape[-2:] != (self.resolution, self.resolution):
            shrink = self.resolution < min(x.shape[-2:])
            x = F.interpolate(
                x,
                size=(self.resolution, self.resolution),
                mode="bilinear",
                align_corners=False,
                antialias=shrink,
            )
        if self.training and self.augment != "none":
            x = self._augment(x)
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x

    def _augment(self, x):
        n = x.shape[0]
        theta = torch.zeros(n, 2, 3, dtype=x.dtype, device=x.device)
        scale = torch.ones(n, dtype=x.dtype, device=x.device)
        shift = torch.zeros(n, 2, dtype=x.dtype, device=x.device)
        if "crop" in self.augment:
            scale = torch.empty(n, dtype=x.dtype).uniform_(0.7, 1.0).to(x.device)
            shift = (torch.rand(n, 2, dtype=x.dtype).to(x.device) * 2 - 1) * (1 - scale)[:, None]
        if self.augment == "shift":
            scale = torch.empty(n, dtype=x.dtype).uniform_(0.9, 1.1).to(x.device)
            shift = (torch.rand(n, 2, dtype=x.dtype).to(x.device) * 2 - 1) * 0.2
        flip = torch.ones(n, dtype=x.dtype, device=x.device)
        if "flip" in self.augment:
            flip = torch.where(torch.rand(n) < 0.5, -1.0, 1.0).to(x.dtype).to(x.device)
        theta[:, 0, 0] = scale * flip
        theta[:, 1, 1] = scale
        theta[:, :, 2] = shift
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        padding = "zeros" if self.augment == "shift" else "reflection"
        return F.grid_sample(x, grid, mode="bilinear", padding_mode=padding, align_corners=False)


def make_head(in_features: int, n_classes: int, head="linear", dropout=0.0, hidden=256):
    """The classifier on top of the features: ``"linear"`` or ``"mlp"``."""
    if head == "linear":
        layers = [nn.Dropout(dropout)] if dropout else []
        return nn.Sequential(*layers, nn.Linear(in_features, n_classes))
    if head == "mlp":
        return nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )
    raise ValueError(f"head must be 'linear' or 'mlp'; got {head!r}")


class FeatureHead(nn.Module):
    """A head alone, trained on precomputed (cached) backbone features.

    Parameters
    ----------
    n_features, n_classes : int
        Set by :class:`~skautoml.nets.NetClassifier` at fit time.
    head : {"linear", "mlp"}, default="linear"
    dropout : float, default=0.0
    hidden : int, default=256

    Examples
    --------
    >>> import torch
    >>> FeatureHead(16, 3)(torch.zeros(2, 16)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features, n_classes, head="linear", dropout=0.0, hidden=256):
        super().__init__()
        self.head = make_head(n_features, n_classes, head, dropout, hidden)

    def forward(self, x):
        return self.head(x)


class ImageClassifier(nn.Module):
    """Preprocessing, a backbone from the zoo, and a new head.

    Parameters
    ----------
    backbone : str, torch.nn.Module, type or spec, default="small_cnn"
        Anything :func:`~skautoml.nets.resolve_backbone` accepts.
    image_shape : tuple of int, default=(3, 32, 32)
        ``(C, H, W)`` of the input rows.
    n_classes : int, default=2
        Set by :class:`~skautoml.nets.NetClassifier` at fit time.
    resolution : int or None, default=None
        Input size fed to the backbone; ``None`` is the backbone's native size,
        or the images' own size for backbones without one.
    head : {"linear", "mlp"}, default="linear"
    head_dropout : float, default=0.0
    head_hidden : int, default=256
    augment : {"none", "flip", "crop", "flip_crop", "shift"}, default="none"
        Training-only augmentation (see :class:`ImagePreprocess`).
    backbone_params : dict or None, default=None
        Extra keyword arguments of a registered backbone's loader (e.g.
        ``{"width": 16, "depth": 2}`` for ``"small_cnn"``).
    bn_stats : {"auto", "frozen", "train"}, default="auto"
        Whether batch-norm running statistics update during training.
        ``"auto"`` freezes them for pretrained backbones: with a few hundred
        images and EfficientNet's slow momentum (0.01) they would otherwise
        lag far behind the adapted weights and ruin evaluation-mode
        predictions.

    Notes
    -----
    A batch-norm layer whose parameters are all frozen (``requires_grad``
    False), or any batch-norm layer when ``bn_stats`` freezes statistics,
    stays in evaluation mode during training, so that its running statistics
    do not change.

    Examples
    --------
    >>> import torch
    >>> net = ImageClassifier("small_cnn", image_shape=(1, 8, 8), n_classes=3).eval()
    >>> net(torch.zeros(2, 64)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        backbone="small_cnn",
        image_shape=(3, 32, 32),
        n_classes=2,
        resolution=None,
        head="linear",
        head_dropout=0.0,
        head_hidden=256,
        augment="none",
        backbone_params=None,
        bn_stats="auto",
    ):
        super().__init__()
        if bn_stats not in ("auto", "frozen", "train"):
            raise ValueError(f"bn_stats must be 'auto', 'frozen' or 'train'; got {bn_stats!r}")
        spec = resolve_backbone(backbone)
        self.freeze_bn_stats = spec.pretrained if bn_stats == "auto" else bn_stats == "frozen"
        if backbone_params:
            from dataclasses import replace

            spec = replace(spec, params={**spec.params, **backbone_params})
        image_shape = tuple(int(s) for s in image_shape)
        self.backbone = spec.load(spec.in_channels or image_shape[0])
        channels = input_channels(self.backbone) or spec.in_channels or image_shape[0]
        _drop_classifier(self.backbone)
        if not resolution:
            resolution = spec.resolution
        self.preprocess = ImagePreprocess(
            image_shape, channels, resolution, spec.mean, spec.std, augment
        )
        self.head = make_head(self.backbone.feature_dim, n_classes, head, head_dropout, head_hidden)

    def forward(self, x):
        return self.head(self.backbone.forward_features(self.preprocess(x)))

    def train(self, mode: bool = True):
        super().train(mode)
        if mode:
            for module in self.modules():
                params = list(module.parameters(recurse=False))
                if isinstance(module, _BatchNorm) and (
                    self.freeze_bn_stats or (params and not any(p.requires_grad for p in params))
                ):
                    module.eval()
        return self

    def block_groups(self):
        """Glob patterns of the parameter groups, from the input to the head.

        Returns
        -------
        groups : list of tuple of str
            The backbone's groups (prefixed ``backbone.``, empty ones left out),
            then ``("head.*",)``.
        """
        groups = []
        for patterns, modules in self.backbone.block_groups():
            if any(True for m in modules for _ in m.parameters()):
                groups.append(tuple(f"backbone.{p}" for p in patterns))
        groups.append(("head.*",))
        return groups


def _drop_classifier(backbone: nn.Module) -> None:
    """Replace a zoo backbone's own classifier, which the new head supersedes."""
    if isinstance(backbone, EfficientNetLite):
        backbone._fc = nn.Identity()
    elif isinstance(backbone, SmallCNN):
        backbone.head = nn.Identity()


@functools.lru_cache(maxsize=16)
def _zoo_groups(backbone: str, image_shape: tuple, params: tuple):
    spec = resolve_backbone(backbone)
    if getattr(spec, "loader", None) is _load_lite:  # the architecture alone, no weights
        arch = EfficientNetLite(spec.params["variant"], num_classes=1)
        _drop_classifier(arch)
        groups = [
            tuple(f"backbone.{p}" for p in pats)
            for pats, mods in arch.block_groups()
            if any(True for m in mods for _ in m.parameters())
        ]
        return tuple([*groups, ("head.*",)])
    net = ImageClassifier(backbone, image_shape, 2, backbone_params=dict(params) or None)
    return tuple(net.block_groups())


def image_block_groups(backbone, image_shape, backbone_params=None):
    """Parameter-group glob patterns of an :class:`ImageClassifier`, input to head.

    Parameters
    ----------
    backbone : str or spec
        As for :class:`ImageClassifier`.
    image_shape : tuple of int
        ``(C, H, W)``.
    backbone_params : dict or None, default=None

    Returns
    -------
    groups : list of tuple of str
        What :meth:`ImageClassifier.block_groups` returns, found without
        loading pretrained weights for zoo names.
    """
    params = tuple(sorted((backbone_params or {}).items()))
    if isinstance(backbone, str):
        return list(_zoo_groups(backbone, tuple(image_shape), params))
    net = ImageClassifier(backbone, image_shape, 2, backbone_params=dict(params) or None)
    return net.block_groups()
