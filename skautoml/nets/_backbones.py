"""The backbone zoo: loading feature extractors for images.

A backbone is any ``torch.nn.Module`` with ``forward_features(x) -> (n, d)``,
a ``feature_dim`` attribute and ``block_groups()`` (glob patterns of its
parameter groups, from the input to the output). The registry of named
backbones (:class:`BackboneSpec`, ``BACKBONES``, :func:`register_backbone`)
lives in :mod:`._registry`, which imports no torch; its names are importable
from here too.

Besides registered names, :func:`resolve_backbone` accepts

* any ``torch.nn.Module`` instance or subclass (wrapped by
  :class:`CustomBackbone`, optionally with a checkpoint);
* a path to a state-dict file of a zoo architecture (EfficientNet-Lite or
  :class:`SmallCNN`, recognised from its keys);
* ``"torchvision:<name>"`` and ``"timm:<name>"``, when those packages import;
  their weights come from a local file or the local torch-hub cache, never
  from the network.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import re
from dataclasses import dataclass

import torch
from torch import nn

from ..exceptions import MissingDependencyError
from ._checkpoint import load_checkpoint, read_state_dict
from ._efficientnet import EfficientNetLite
from ._lite_specs import EFFICIENTNET_LITE_MEAN, EFFICIENTNET_LITE_SPECS, EFFICIENTNET_LITE_STD
from ._registry import (  # noqa: F401 - the registry's names stay importable from here
    AUTO_CHOICES,
    BACKBONES,
    BackboneSpec,
    _load_lite,
    _load_small_cnn,
    backbone_available,
    register_backbone,
)
from ._small_cnn import SmallCNN

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "CustomBackbone",
    "backbone_available",
    "register_backbone",
    "resolve_backbone",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# -- user-supplied modules ---------------------------------------------------
class _ModuleAdapter(nn.Module):
    """Give any module the backbone interface (``forward_features``, groups)."""

    def __init__(self, net: nn.Module, feature_dim: int):
        super().__init__()
        self.net = net
        self.feature_dim = int(feature_dim)

    def forward_features(self, x):
        if hasattr(self.net, "forward_features"):
            out = self.net.forward_features(x)
        else:
            out = self.net(x)
        if out.ndim > 2:  # feature maps: global average pooling
            out = out.flatten(2).mean(-1)
        return out

    def forward(self, x):
        return self.forward_features(x)

    def block_groups(self):
        if hasattr(self.net, "block_groups"):
            return [
                (tuple(f"net.{p}" for p in pats), mods) for pats, mods in self.net.block_groups()
            ]
        return [((f"net.{name}.*",), [child]) for name, child in self.net.named_children()]


def input_channels(backbone: nn.Module) -> int | None:
    """Channels the first ``Conv2d`` of ``backbone`` takes (``None`` without one)."""
    for module in backbone.modules():
        if isinstance(module, nn.Conv2d):
            return int(module.in_channels)
    return None


def _feature_dim(module: nn.Module, in_channels: int, resolution: int) -> int:
    if hasattr(module, "feature_dim"):
        return int(module.feature_dim)
    was_training = module.training
    module.eval()
    with torch.no_grad():
        x = torch.zeros(2, in_channels, resolution, resolution)
        out = module.forward_features(x) if hasattr(module, "forward_features") else module(x)
    module.train(was_training)
    return int(out.flatten(2).mean(-1).shape[1] if out.ndim > 2 else out.shape[1])


@dataclass(frozen=True)
class CustomBackbone:
    """A user-supplied network used as a backbone.

    Parameters
    ----------
    module : torch.nn.Module instance or subclass
        The network. A subclass is instantiated with no arguments (or with
        ``in_channels`` when it takes it). Features are ``forward_features(x)``
        when the module has it, else ``forward(x)`` (feature maps are
        average-pooled). ``block_groups()`` is used when present, else the top-level
        children form the groups.
    checkpoint : str or os.PathLike or None, default=None
        A state dict file loaded into the module with ``weights_only=True``.
    in_channels : int or None, default=None
        Channels the module takes; ``None`` reads them from its first
        ``Conv2d`` (else the data's). Grey images are repeated to match.
    resolution : int or None, default=None
        Input size it expects; ``None`` keeps the data's size.
    mean, std : tuple of float or None, default=None
        Normalisation of ``[0, 1]`` pixels; ``None`` skips it.
    pretrained : bool, default=True
        Whether the weights are trained (enables probes and freezing).
    name : str, default="custom"
        Shown in candidates and the leaderboard.

    Examples
    --------
    >>> import torch
    >>> spec = CustomBackbone(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), resolution=8)
    >>> spec.load(3).feature_dim
    4
    """

    module: object
    checkpoint: object = None
    in_channels: int | None = None
    resolution: int | None = None
    mean: tuple | None = None
    std: tuple | None = None
    pretrained: bool = True
    name: str = "custom"

    def load(self, in_channels: int) -> nn.Module:
        module = self.module
        if isinstance(module, type) or (callable(module) and not isinstance(module, nn.Module)):
            takes = inspect.signature(module).parameters
            module = module(in_channels=in_channels) if "in_channels" in takes else module()
        else:
            module = copy.deepcopy(module)
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"a custom backbone must be a torch.nn.Module or subclass; got "
                f"{type(module).__name__}"
            )
        if self.checkpoint is not None:
            load_checkpoint(module, self.checkpoint)
        if all(hasattr(module, a) for a in ("forward_features", "feature_dim", "block_groups")):
            return module
        dim = _feature_dim(
            module, self.in_channels or input_channels(module) or in_channels, self.resolution or 32
        )
        return _ModuleAdapter(module, dim)


# -- checkpoint files of zoo architectures ------------------------------------
def _spec_from_checkpoint(path: str) -> CustomBackbone:
    state = read_state_dict(path)
    keys = set(state)
    if any(k.startswith("_conv_stem") for k in keys):
        for variant in EFFICIENTNET_LITE_SPECS:
            if set(EfficientNetLite(variant).state_dict()) == keys:
                return CustomBackbone(
                    _LiteFactory(variant),
                    checkpoint=path,
                    resolution=EFFICIENTNET_LITE_SPECS[variant]["resolution"],
                    mean=EFFICIENTNET_LITE_MEAN,
                    std=EFFICIENTNET_LITE_STD,
                    name=f"efficientnet_{variant}@{os.path.basename(path)}",
                )
    if "blocks.0.conv1.weight" in keys:
        depth = 1 + max(int(m.group(1)) for k in keys if (m := re.match(r"blocks\.(\d+)\.", k)))
        first = state["blocks.0.conv1.weight"]
        n_classes = state["head.weight"].shape[0] if "head.weight" in state else 1
        return CustomBackbone(
            _SmallCNNFactory(int(first.shape[0]), depth, int(n_classes)),
            checkpoint=path,
            in_channels=int(first.shape[1]),
            mean=(0.5,),
            std=(0.5,),
            name=f"small_cnn@{os.path.basename(path)}",
        )
    raise ValueError(
        f"cannot tell which architecture the checkpoint {path!r} is for (it matches neither "
        "EfficientNet-Lite nor SmallCNN); pass CustomBackbone(YourModule(), checkpoint=path)"
    )


@dataclass(frozen=True)
class _LiteFactory:
    variant: str

    def __call__(self):
        return EfficientNetLite(self.variant, num_classes=1000)


@dataclass(frozen=True)
class _SmallCNNFactory:
    width: int
    depth: int
    num_classes: int

    def __call__(self, in_channels=3):
        return SmallCNN(in_channels, self.num_classes, width=self.width, depth=self.depth)


# -- torchvision and timm ---------------------------------------------------------
def _import_optional(name: str):
    try:
        return importlib.import_module(name)
    except Exception as exc:  # ImportError, or a binary mismatch with this torch
        raise MissingDependencyError(
            f"{name!r} does not import here ({type(exc).__name__}: {exc}); install a "
            f"{name} build that matches torch {torch.__version__}, or pass the network as a "
            "torch.nn.Module with CustomBackbone(module, checkpoint=path)"
        ) from exc


def _hub_file(filename: str) -> str | None:
    path = os.path.join(torch.hub.get_dir(), "checkpoints", filename)
    return path if os.path.isfile(path) else None


@dataclass(frozen=True)
class TorchvisionBackbone:
    """``torchvision.models.<name>`` with weights from a local file or the hub cache.

    Parameters
    ----------
    model : str
        A torchvision model name (``"resnet18"``, ``"mobilenet_v3_small"``, ...).
    checkpoint : str or None, default=None
        A state dict file; ``None`` looks for the default weights' file in
        ``torch.hub.get_dir()/checkpoints``.
    """

    model: str
    checkpoint: object = None
    in_channels: int = 3
    resolution: int | None = 224
    mean: tuple | None = IMAGENET_MEAN
    std: tuple | None = IMAGENET_STD
    pretrained: bool = True

    @property
    def name(self) -> str:
        return f"torchvision:{self.model}"

    def load(self, in_channels: int) -> nn.Module:
        models = _import_optional("torchvision").models
        net = models.get_model(self.model, weights=None)
        path = self.checkpoint
        if path is None:
            weights = models.get_model_weights(self.model).DEFAULT
            path = _hub_file(os.path.basename(weights.url))
            if path is None:
                raise FileNotFoundError(
                    f"the {self.name} weights are not in the local torch hub cache "
                    f"({torch.hub.get_dir()}/checkpoints/{os.path.basename(weights.url)}) and "
                    "skautoml does not download. Copy the file there, or pass "
                    f"TorchvisionBackbone({self.model!r}, checkpoint=PATH)."
                )
        load_checkpoint(net, path)
        for attr in ("fc", "classifier", "heads", "head"):
            if hasattr(net, attr):
                setattr(net, attr, nn.Identity())
                break
        return _ModuleAdapter(net, _feature_dim(net, 3, self.resolution or 224))


@dataclass(frozen=True)
class TimmBackbone:
    """``timm.create_model(<name>)`` with weights from a local file.

    Parameters
    ----------
    model : str
        A timm model name.
    checkpoint : str or None, default=None
        A state dict file; ``None`` looks in ``torch.hub.get_dir()/checkpoints``
        for ``<name>.pth``.
    """

    model: str
    checkpoint: object = None
    in_channels: int = 3
    resolution: int | None = 224
    mean: tuple | None = IMAGENET_MEAN
    std: tuple | None = IMAGENET_STD
    pretrained: bool = True

    @property
    def name(self) -> str:
        return f"timm:{self.model}"

    def load(self, in_channels: int) -> nn.Module:
        timm = _import_optional("timm")
        net = timm.create_model(self.model, pretrained=False)
        path = self.checkpoint or _hub_file(f"{self.model}.pth")
        if path is None:
            raise FileNotFoundError(
                f"no local weights for {self.name}: skautoml does not download. Save the "
                f"state dict to {torch.hub.get_dir()}/checkpoints/{self.model}.pth or pass "
                f"TimmBackbone({self.model!r}, checkpoint=PATH)."
            )
        load_checkpoint(net, path, strict=False)
        net.reset_classifier(0)
        return _ModuleAdapter(net, int(net.num_features))


def resolve_backbone(backbone):
    """Turn a backbone argument into a spec with ``load(in_channels)``.

    Parameters
    ----------
    backbone : str, os.PathLike, torch.nn.Module, type or spec
        A registered name (see ``BACKBONES``), ``"torchvision:<name>"``,
        ``"timm:<name>"``, a checkpoint path, a module instance or subclass, or
        an object with ``load`` (:class:`CustomBackbone`, ...).

    Returns
    -------
    spec : BackboneSpec, CustomBackbone, TorchvisionBackbone or TimmBackbone

    Examples
    --------
    >>> resolve_backbone("small_cnn").pretrained
    False
    """
    if isinstance(backbone, BackboneSpec | CustomBackbone | TorchvisionBackbone | TimmBackbone):
        return backbone
    if isinstance(backbone, nn.Module) or (
        isinstance(backbone, type) and issubclass(backbone, nn.Module)
    ):
        return CustomBackbone(backbone)
    if isinstance(backbone, str | os.PathLike):
        text = os.fspath(backbone)
        if text in BACKBONES:
            return BACKBONES[text]
        if text.startswith("torchvision:"):
            return TorchvisionBackbone(text.split(":", 1)[1])
        if text.startswith("timm:"):
            return TimmBackbone(text.split(":", 1)[1])
        if os.path.isfile(text):
            return _spec_from_checkpoint(text)
        if text.endswith((".pt", ".pth", ".bin", ".ckpt")):
            raise FileNotFoundError(f"backbone checkpoint {text!r} does not exist")
        raise ValueError(
            f"unknown backbone {text!r}; choose one of {sorted(BACKBONES)}, "
            "'torchvision:<name>', 'timm:<name>', a checkpoint path or a torch.nn.Module"
        )
    if hasattr(backbone, "load"):
        return backbone
    raise TypeError(
        "backbone must be a name, a checkpoint path, a torch.nn.Module (instance or "
        f"class) or a CustomBackbone; got {type(backbone).__name__}"
    )
