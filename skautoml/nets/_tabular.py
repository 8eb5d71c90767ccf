"""Networks for tabular data."""

from __future__ import annotations

from torch import nn

__all__ = ["TabularMLP"]


class TabularMLP(nn.Module):
    """A multi-layer perceptron for tabular features.

    Parameters
    ----------
    n_features : int
        Number of input features (set by :class:`NetClassifier` at fit time).
    n_classes : int
        Number of classes (set by :class:`NetClassifier` at fit time).
    hidden_units : int, default=128
        Width of every hidden layer.
    n_layers : int, default=2
        Number of hidden layers.
    dropout : float, default=0.1
        Dropout after every hidden layer.
    batch_norm : bool, default=True
        Whether to normalise every hidden layer.

    Examples
    --------
    >>> import torch
    >>> net = TabularMLP(n_features=4, n_classes=3)
    >>> net(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_units: int = 128,
        n_layers: int = 2,
        dropout: float = 0.1,
        batch_norm: bool = True,
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for _ in range(n_layers):
            layers.append(nn.Linear(width, hidden_units))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden_units))
            layers.append(nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = hidden_units
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.head(self.body(x))
