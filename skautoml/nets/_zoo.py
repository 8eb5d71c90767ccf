"""Which backbones a search uses: the estimator's ``backbone`` parameter, resolved.

Registered names stay names (the search space gives each its components);
anything else (a module, a checkpoint path, ``torchvision:``/``timm:`` names,
a spec object) becomes a spec and is loaded once here, so that a bad backbone
fails before the search starts.
"""

from __future__ import annotations

from .._optional import install_hint
from ..exceptions import MissingDependencyError
from ._registry import BACKBONES, backbone_available

__all__ = ["resolve_backbones"]


def _auto_backbones(device: str) -> tuple[str, ...]:
    """Registered backbones that ``backbone="auto"`` searches on ``device``."""
    wanted = ("always",) if device == "cpu" else ("always", "accelerator")
    return tuple(
        name for name, spec in BACKBONES.items() if spec.auto in wanted and backbone_available(name)
    )


def resolve_backbones(backbone, device: str = "cpu") -> tuple:
    """The estimator's ``backbone`` parameter as a tuple of zoo names / specs.

    ``"auto"`` is ``small_cnn`` plus the registered backbones whose spec asks
    for it (:attr:`BackboneSpec.auto`) and whose weights are installed: the
    pretrained EfficientNet-Lite variants, only ``lite0`` on a CPU, where the
    larger variants are too slow to fine-tune. Explicit registered names whose
    weights are missing raise at once.

    Parameters
    ----------
    backbone : "auto", str, os.PathLike, torch.nn.Module, type, spec, or a list of them
        Registered names (see ``BACKBONES``), and at most one custom backbone:
        anything :func:`resolve_backbone` accepts.
    device : str, default="cpu"
        The device the search trains on.

    Returns
    -------
    backbones : tuple
        Registered names as strings, the custom backbone as its spec.

    Raises
    ------
    MissingDependencyError
        A named backbone's weight package is not installed.
    ValueError
        An empty list, an unknown name, or more than one custom backbone.

    Examples
    --------
    >>> resolve_backbones(["small_cnn"])
    ('small_cnn',)
    """
    if isinstance(backbone, str) and backbone == "auto":
        return ("small_cnn", *(n for n in _auto_backbones(device) if n != "small_cnn"))
    items = list(backbone) if isinstance(backbone, list | tuple) else [backbone]
    if not items:
        raise ValueError("backbone is an empty list; give at least one backbone or 'auto'")
    out, custom = [], 0
    for item in items:
        if isinstance(item, str) and item in BACKBONES:
            if not backbone_available(item):
                raise MissingDependencyError(
                    f"backbone {item!r} needs its pretrained weights from the package "
                    f"{BACKBONES[item].requires!r}, which is not installed; "
                    f"{install_hint('pretrained')}, or pass a checkpoint path as backbone."
                )
            out.append(item)
            continue
        from ._backbones import resolve_backbone  # torch: for custom backbones only

        spec = resolve_backbone(item)  # unknown names and bad paths raise here
        spec.load(3 if spec.in_channels is None else spec.in_channels)  # fail at once
        custom += 1
        out.append(spec)
    if custom > 1:
        raise ValueError(
            "at most one custom backbone (module, checkpoint path, torchvision/timm model) "
            "can be searched at a time; registered names can be added freely"
        )
    return tuple(out)
