"""What a pipeline factory needs to know about the data."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BuildContext"]


@dataclass(frozen=True)
class BuildContext:
    """Facts about the training data that factories may use.

    Parameters
    ----------
    n_samples, n_features, n_classes : int
        Shape of the training data.
    categorical_columns : tuple
        Column names (or indices) of non-numeric columns, to be one-hot encoded.
    has_missing : bool
        Whether ``X`` holds missing values.
    kind : {"tabular", "image"}
        The data kind found by profiling.
    image_shape : tuple or None
        ``(C, H, W)`` for image data.
    seed : int
        Seed drawn from the estimator's ``random_state``, passed to every
        component with a ``random_state``.
    device : str
        Torch device for networks; ``"auto"`` is resolved (to ``"cuda"`` when
        a GPU is present, else ``"cpu"``) when a network is built, so that
        making the space and classical pipelines needs no torch.
    backbones : tuple
        Image data: the backbones to search (zoo names, or one custom spec).
    cache_dir : str or None
        Image data: folder shared by the trials for cached frozen-backbone
        features (created and removed by ``fit``).
    """

    n_samples: int
    n_features: int
    n_classes: int
    categorical_columns: tuple = ()
    has_missing: bool = False
    kind: str = "tabular"
    image_shape: tuple | None = None
    seed: int = 0
    device: str = "cpu"
    backbones: tuple = ()
    cache_dir: str | None = None
