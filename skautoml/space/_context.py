"""What a pipeline factory needs to know about the data."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

__all__ = ["BuildContext", "context_for"]


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


def context_for(profile, seed: int, n_classes: int, *, device: str, backbone) -> BuildContext:
    """The context of a ``fit`` on data profiled as ``profile``.

    Tabular data imports no torch: ``device`` stays as given (``"auto"`` is
    resolved by a network factory, in the worker that builds the network),
    and the default ``backbone`` means no custom body; only a user's network
    is resolved. Image data resolves the device and the backbones, and makes
    the folder of cached backbone features (``fit`` removes it).
    """
    from ..nets import resolve_backbones  # torch-free

    if profile.image_format is None:  # tabular: a user's network is fine-tuned
        if isinstance(backbone, str) and backbone == "auto":
            image: dict = {"backbones": ()}
        else:
            from ..nets import resolve_tabular_backbones

            image = {"backbones": resolve_tabular_backbones(backbone)}
    else:
        from ..nets import resolve_device  # imports torch: image data only

        device = resolve_device(device)
        image = {
            "kind": "image",
            "image_shape": profile.image_format.shape,
            "backbones": resolve_backbones(backbone, device),
            "cache_dir": tempfile.mkdtemp(prefix="skautoml-features-"),
        }
    return BuildContext(
        n_samples=profile.n_samples,
        n_features=profile.n_features,
        n_classes=n_classes,
        categorical_columns=profile.categorical_columns,
        has_missing=profile.has_missing,
        seed=seed,
        device=device,
        **image,
    )
