"""A small convolutional network for tiny images, trained from scratch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SmallCNN"]


class _ConvStage(nn.Module):
    """Two 3x3 conv-BN-ReLU layers, then 2x2 max pooling while the map is >= 2 px."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        if min(x.shape[-2:]) >= 2:
            x = F.max_pool2d(x, 2)
        return x


class SmallCNN(nn.Module):
    """A small CNN for tiny images (8x8 to 64x64, grey or colour).

    ``depth`` stages of two 3x3 convolutions with batch norm and ReLU, each
    followed by 2x2 max pooling (skipped once the map is a single pixel) and
    doubling the width; global average pooling, dropout and a linear
    classifier. Any input of at least 1x1 pixels works; 8x8 and up is sensible.

    Parameters
    ----------
    in_channels : int, default=3
        Number of image channels (1 for grey, 3 for RGB).
    num_classes : int, default=10
        Number of output logits.
    width : int, default=32
        Channels of the first stage; every later stage doubles it.
    depth : int, default=2
        Number of stages.
    dropout : float, default=0.2
        Dropout before the classifier.

    Attributes
    ----------
    feature_dim : int
        Width of :meth:`forward_features` output, ``width * 2 ** (depth - 1)``.
    blocks : torch.nn.ModuleList
        The convolutional stages.
    head : torch.nn.Linear
        The classifier.

    Examples
    --------
    >>> import torch
    >>> net = SmallCNN(in_channels=1, num_classes=4).eval()
    >>> net(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 4])
    >>> net.feature_dim
    64
    """

    def __init__(self, in_channels=3, num_classes=10, width=32, depth=2, dropout=0.2):
        super().__init__()
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        channels = [in_channels] + [width * 2**i for i in range(depth)]
        self.blocks = nn.ModuleList(
            _ConvStage(c_in, c_out) for c_in, c_out in zip(channels[:-1], channels[1:])
        )
        self.feature_dim = channels[-1]
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.feature_dim, num_classes)

    def forward_features(self, x):
        """Pooled features before the classifier.

        Parameters
        ----------
        x : torch.Tensor of shape (n, in_channels, height, width)

        Returns
        -------
        features : torch.Tensor of shape (n, feature_dim)
        """
        for block in self.blocks:
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def forward(self, x):
        """Class logits of shape (n, num_classes)."""
        return self.head(self.dropout(self.forward_features(x)))

    def block_groups(self):
        """Parameter groups in order from the input to the classifier.

        Returns
        -------
        groups : list of (tuple of str, list of torch.nn.Module)
            For each group, the glob patterns that match its parameter names
            (``"blocks.<i>.*"``, then ``"head.*"``) and its modules.
        """
        groups = [((f"blocks.{i}.*",), [block]) for i, block in enumerate(self.blocks)]
        groups.append((("head.*",), [self.head]))
        return groups
