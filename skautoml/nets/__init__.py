"""Networks and the skorch wrapper used by skautoml.

This module is public: exported scripts of pipelines that contain a network
import :class:`NetClassifier` (or :class:`NetRegressor`) and the module
classes from here.

Its names load lazily (PEP 562): ``import skautoml.nets`` imports no torch,
and ``from skautoml.nets import NetClassifier`` imports the submodule that
defines the name, with torch, on first use. The backbone registry
(``BACKBONES``, :class:`BackboneSpec`, :func:`register_backbone`,
:func:`backbone_available`, :func:`resolve_backbones` for registered names),
:func:`pretrained_weights_info`, :func:`release_feature_cache` and the
EfficientNet-Lite tables need no torch, so that the search space can register
its components, and a classical trial run, without it.
"""

from importlib import import_module as _import_module

#: every public name -> the submodule that defines it
_LAZY = {
    "BACKBONES": "._registry",
    "BackboneSpec": "._registry",
    "backbone_available": "._registry",
    "register_backbone": "._registry",
    "CustomBackbone": "._backbones",
    "TimmBackbone": "._backbones",
    "TorchvisionBackbone": "._backbones",
    "resolve_backbone": "._backbones",
    "load_checkpoint": "._checkpoint",
    "read_state_dict": "._checkpoint",
    "EFFICIENTNET_LITE_MEAN": "._lite_specs",
    "EFFICIENTNET_LITE_SPECS": "._lite_specs",
    "EFFICIENTNET_LITE_STD": "._lite_specs",
    "EfficientNetLite": "._efficientnet",
    "load_efficientnet_lite": "._efficientnet",
    "BackboneFeatures": "._feature_cache",
    "release_feature_cache": "._release",
    "L2SP": "._finetune",
    "LinearProbeInit": "._finetune",
    "STRATEGIES": "._finetune",
    "Freeze": "._finetune",
    "GradualUnfreeze": "._finetune",
    "layerwise_param_groups": "._finetune",
    "strategy_callbacks": "._finetune",
    "FeatureHead": "._image_net",
    "ImageClassifier": "._image_net",
    "ImagePreprocess": "._image_net",
    "image_block_groups": "._image_net",
    "MedianCurvePruner": "._pruning",
    "ClassAwareValidSplit": "._skorch",
    "Deadline": "._skorch",
    "NetClassifier": "._skorch",
    "NetRegressor": "._skorch",
    "PreciseBatchNorm": "._skorch",
    "pickled_size": "._compress",
    "prune_magnitude": "._compress",
    "quantize_dynamic": "._compress",
    "quantize_static": "._compress",
    "torch_nets": "._compress",
    "weight_sparsity": "._compress",
    "image_flops": "._throughput",
    "image_step_seconds": "._throughput",
    "StopOnNaN": "._skorch",
    "resolve_device": "._skorch",
    "SmallCNN": "._small_cnn",
    "PretrainedTabularNet": "._tabular",
    "TabularMLP": "._tabular",
    "load_tabular_body": "._tabular",
    "resolve_tabular_backbones": "._tabular",
    "resolve_tabular_body": "._tabular",
    "tabular_block_groups": "._tabular",
    "pretrained_weights_info": "._weights",
    "resolve_backbones": "._zoo",
}

__all__ = [
    "BACKBONES",
    "EFFICIENTNET_LITE_MEAN",
    "EFFICIENTNET_LITE_SPECS",
    "EFFICIENTNET_LITE_STD",
    "L2SP",
    "LinearProbeInit",
    "STRATEGIES",
    "BackboneFeatures",
    "BackboneSpec",
    "ClassAwareValidSplit",
    "CustomBackbone",
    "Deadline",
    "EfficientNetLite",
    "FeatureHead",
    "Freeze",
    "GradualUnfreeze",
    "ImageClassifier",
    "ImagePreprocess",
    "MedianCurvePruner",
    "NetClassifier",
    "NetRegressor",
    "PreciseBatchNorm",
    "PretrainedTabularNet",
    "SmallCNN",
    "StopOnNaN",
    "TabularMLP",
    "TimmBackbone",
    "TorchvisionBackbone",
    "backbone_available",
    "image_block_groups",
    "image_flops",
    "image_step_seconds",
    "layerwise_param_groups",
    "load_checkpoint",
    "load_efficientnet_lite",
    "load_tabular_body",
    "pickled_size",
    "pretrained_weights_info",
    "prune_magnitude",
    "quantize_dynamic",
    "quantize_static",
    "read_state_dict",
    "register_backbone",
    "release_feature_cache",
    "resolve_backbone",
    "resolve_backbones",
    "resolve_device",
    "resolve_tabular_backbones",
    "resolve_tabular_body",
    "strategy_callbacks",
    "tabular_block_groups",
    "torch_nets",
    "weight_sparsity",
]


def __getattr__(name: str):
    """Load a public name from its submodule on first use (PEP 562).

    Parameters
    ----------
    name : str
        An attribute of :mod:`skautoml.nets`.

    Returns
    -------
    value : object
        The name's value, kept in this module's namespace from then on.

    Raises
    ------
    AttributeError
        If ``name`` is not a public name of this module.
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the ones not loaded yet included.

    Returns
    -------
    names : list of str
    """
    return sorted({*globals(), *_LAZY})
