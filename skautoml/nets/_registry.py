"""The backbone registry, without torch.

The registry maps a name to a :class:`BackboneSpec`: how to load the backbone,
the channels and normalisation it expects, its native resolution and whether
its weights are pretrained. The search space reads it when it registers its
components, at import: so this module imports no torch. The built-in loaders
(EfficientNet-Lite, :class:`~skautoml.nets.SmallCNN`) import their networks,
and torch with them, when they are called; the loaders of anything else
(modules, checkpoints, torchvision and timm) live in :mod:`._backbones`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._lite_specs import EFFICIENTNET_LITE_MEAN, EFFICIENTNET_LITE_SPECS, EFFICIENTNET_LITE_STD

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "AUTO_CHOICES",
    "BACKBONES",
    "BackboneSpec",
    "backbone_available",
    "register_backbone",
]

#: values of :attr:`BackboneSpec.auto`
AUTO_CHOICES = (None, "always", "accelerator")


@dataclass(frozen=True)
class BackboneSpec:
    """A registered backbone.

    Parameters
    ----------
    name : str
        Registry name.
    loader : callable
        Module-level ``loader(in_channels, **params) -> nn.Module``; the module
        has ``forward_features``, ``feature_dim`` and ``block_groups()``.
    in_channels : int or None
        Channels the backbone needs (3 for ImageNet models; grey images are
        repeated); ``None`` adapts to the data.
    mean, std : tuple of float or None
        Per-channel normalisation of ``[0, 1]`` pixels; ``None`` skips it.
    resolution : int or None
        Native input size; ``None`` means the data's own size.
    pretrained : bool
        Whether the loader gives trained weights (fine-tuning strategies and
        the frozen-feature probe only make sense then).
    requires : str or None
        Importable module the weights come from; checked by
        :func:`backbone_available`.
    params : dict
        Extra keyword arguments of ``loader``.
    auto : {"always", "accelerator"} or None
        Whether ``backbone="auto"`` searches it (when its weights are
        available): ``"always"``, ``"accelerator"`` (only off the CPU, for
        backbones too slow to fine-tune there) or ``None`` (only when named).

    Examples
    --------
    >>> from skautoml.nets import BACKBONES
    >>> BACKBONES["efficientnet_lite0"].auto, BACKBONES["small_cnn"].auto
    ('always', None)
    """

    name: str
    loader: Callable[..., nn.Module]
    in_channels: int | None = 3
    mean: tuple | None = None
    std: tuple | None = None
    resolution: int | None = None
    pretrained: bool = True
    requires: str | None = None
    params: dict = field(default_factory=dict)
    auto: str | None = None

    def __post_init__(self):
        if self.auto not in AUTO_CHOICES:
            raise ValueError(f"auto must be one of {AUTO_CHOICES}; got {self.auto!r}")

    def load(self, in_channels: int) -> nn.Module:
        """A fresh backbone for ``in_channels``-channel inputs (after grey->RGB).

        Parameters
        ----------
        in_channels : int
            Channels of the input images.

        Returns
        -------
        module : torch.nn.Module
        """
        return self.loader(in_channels, **self.params)


BACKBONES: dict[str, BackboneSpec] = {}


def register_backbone(spec: BackboneSpec) -> BackboneSpec:
    """Add a backbone to the zoo (a later entry with the same name replaces it).

    The search space gives a registered backbone its own components
    (``finetune_<name>``, and ``probe_<name>`` when it is pretrained), made
    from the spec when a space that uses it is built.

    Parameters
    ----------
    spec : BackboneSpec

    Returns
    -------
    spec : BackboneSpec
        The same spec.
    """
    BACKBONES[spec.name] = spec
    return spec


def backbone_available(name: str) -> bool:
    """Whether a registered backbone's weights can be had here without a download.

    Parameters
    ----------
    name : str
        A registered backbone name.

    Returns
    -------
    available : bool
    """
    spec = BACKBONES[name]
    return spec.requires is None or importlib.util.find_spec(spec.requires) is not None


# -- the built-in loaders (module level, so that everything pickles) --------------
# They import their network, and torch, when a backbone is built.
def _load_lite(in_channels, variant="lite0", checkpoint=None):
    from ._efficientnet import load_efficientnet_lite

    return load_efficientnet_lite(variant, num_classes=1, checkpoint=checkpoint)


def _load_small_cnn(in_channels, width=32, depth=2, checkpoint=None):
    from ._checkpoint import load_checkpoint
    from ._small_cnn import SmallCNN

    net = SmallCNN(in_channels=in_channels, num_classes=1, width=width, depth=depth)
    if checkpoint is not None:
        load_checkpoint(net, checkpoint, strict=False)
    return net


for _variant, _spec in EFFICIENTNET_LITE_SPECS.items():
    register_backbone(
        BackboneSpec(
            name=f"efficientnet_{_variant}",
            loader=_load_lite,
            in_channels=3,
            mean=EFFICIENTNET_LITE_MEAN,
            std=EFFICIENTNET_LITE_STD,
            resolution=_spec["resolution"],
            pretrained=True,
            requires=_spec["package"],
            params={"variant": _variant},
            # the larger variants are too slow to fine-tune on a CPU
            auto="always" if _variant == "lite0" else "accelerator",
        )
    )
register_backbone(
    BackboneSpec(
        name="small_cnn",
        loader=_load_small_cnn,
        in_channels=None,
        mean=(0.5,),
        std=(0.5,),
        resolution=None,
        pretrained=False,
    )
)
