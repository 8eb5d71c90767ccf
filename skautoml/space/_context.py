"""What a pipeline factory needs to know about the data."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

__all__ = ["IMBALANCE_RATIO", "BuildContext", "context_for"]

#: classes count as imbalanced when the largest has this many times the smallest
IMBALANCE_RATIO = 3.0


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
    task : {"classification", "regression"}
        What the final estimator predicts: its slot's role is
        ``"classifier"`` or ``"regressor"``.
    imbalanced : bool
        Classification: the largest class has at least
        :data:`IMBALANCE_RATIO` times the rows (or weight) of the smallest;
        the portfolio then starts from ``class_weight="balanced"``.
    weighted : bool
        ``fit`` got ``sample_weight``: final estimators whose ``fit`` takes no
        weights are left out of the search.
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
    task: str = "classification"
    imbalanced: bool = False
    weighted: bool = False

    @property
    def final_role(self) -> str:
        """The role of the last step: ``"classifier"`` or ``"regressor"``."""
        return "regressor" if self.task == "regression" else "classifier"


def context_for(
    profile,
    seed: int,
    n_classes: int,
    *,
    device: str,
    backbone,
    task: str = "classification",
    class_sizes=None,
    weighted: bool = False,
) -> BuildContext:
    """The context of a ``fit`` on data profiled as ``profile``.

    ``class_sizes`` (classification: rows or total weight per class) sets
    ``imbalanced``; ``weighted`` says that ``fit`` got ``sample_weight``.

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
        task=task,
        imbalanced=_imbalanced(class_sizes),
        weighted=weighted,
        **image,
    )


def _imbalanced(class_sizes) -> bool:
    if class_sizes is None or len(class_sizes) < 2:
        return False
    smallest = min(class_sizes)
    return smallest <= 0 or max(class_sizes) / smallest >= IMBALANCE_RATIO
