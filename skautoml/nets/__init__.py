"""Networks and the skorch wrapper used by skautoml.

This module is public: exported scripts of pipelines that contain a network
import :class:`NetClassifier` and the module classes from here.
"""

from ._backbones import (
    BACKBONES,
    BackboneSpec,
    CustomBackbone,
    TimmBackbone,
    TorchvisionBackbone,
    backbone_available,
    register_backbone,
    resolve_backbone,
)
from ._checkpoint import load_checkpoint, read_state_dict
from ._efficientnet import (
    EFFICIENTNET_LITE_MEAN,
    EFFICIENTNET_LITE_SPECS,
    EFFICIENTNET_LITE_STD,
    EfficientNetLite,
    load_efficientnet_lite,
)
from ._feature_cache import BackboneFeatures, release_feature_cache
from ._finetune import (
    L2SP,
    STRATEGIES,
    Freeze,
    GradualUnfreeze,
    layerwise_param_groups,
    strategy_callbacks,
)
from ._image_net import FeatureHead, ImageClassifier, ImagePreprocess, image_block_groups
from ._skorch import ClassAwareValidSplit, NetClassifier, StopOnNaN, resolve_device
from ._small_cnn import SmallCNN
from ._tabular import (
    PretrainedTabularNet,
    TabularMLP,
    load_tabular_body,
    resolve_tabular_backbones,
    resolve_tabular_body,
    tabular_block_groups,
)
from ._weights import pretrained_weights_info
from ._zoo import resolve_backbones

__all__ = [
    "BACKBONES",
    "EFFICIENTNET_LITE_MEAN",
    "EFFICIENTNET_LITE_SPECS",
    "EFFICIENTNET_LITE_STD",
    "L2SP",
    "STRATEGIES",
    "BackboneFeatures",
    "BackboneSpec",
    "ClassAwareValidSplit",
    "CustomBackbone",
    "EfficientNetLite",
    "FeatureHead",
    "Freeze",
    "GradualUnfreeze",
    "ImageClassifier",
    "ImagePreprocess",
    "NetClassifier",
    "PretrainedTabularNet",
    "SmallCNN",
    "StopOnNaN",
    "TabularMLP",
    "TimmBackbone",
    "TorchvisionBackbone",
    "backbone_available",
    "image_block_groups",
    "layerwise_param_groups",
    "load_checkpoint",
    "load_efficientnet_lite",
    "load_tabular_body",
    "pretrained_weights_info",
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
]
