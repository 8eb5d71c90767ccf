"""The import floors of skautoml.space and skautoml.nets: no circles, no reaching up."""

import ast
import pathlib

import pytest

import skautoml
from skautoml.space import PRESETS, check_preset, make_space
from skautoml.space._context import BuildContext

PACKAGE = pathlib.Path(skautoml.__file__).parent

#: each space module and the space modules it may import (lower floors only)
SPACE_FLOORS = {
    "_candidate": set(),
    "_context": set(),
    "_dimensions": set(),
    "_training": {"_context", "_dimensions"},
    "_components": {"_context", "_dimensions", "_training"},
    "_composite": {"_candidate", "_components", "_dimensions"},
    "_image_components": {"_components", "_context", "_dimensions", "_training"},
    "_regressors": {"_components", "_context", "_dimensions", "_training"},
    "_image_regressors": {
        "_components",
        "_context",
        "_dimensions",
        "_image_components",
        "_regressors",
        "_training",
    },
    "_space": {"_candidate", "_components", "_context", "_dimensions"},
    "_portfolio": {"_candidate", "_components", "_space"},
    "_presets": {
        "_candidate",
        "_components",
        "_context",
        "_image_components",
        "_image_regressors",
        "_portfolio",
        "_regressors",
        "_space",
    },
    "_workload": {"_components", "_context", "_image_components", "_image_regressors", "_space"},
}


def _relative_imports(path: pathlib.Path) -> set[tuple[int, str]]:
    """``(level, module)`` of every import, at any depth of the file.

    Absolute imports of ``skautoml.x`` count as ``(2, "x")``.
    """
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.module:
                out.add((node.level, node.module))
            else:  # from . import x
                out.update((node.level, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("skautoml."):
            out.add((2, node.module.split(".", 1)[1]))
        elif isinstance(node, ast.Import):
            out.update(
                (2, a.name.split(".", 1)[1]) for a in node.names if a.name.startswith("skautoml.")
            )
    return out


@pytest.mark.parametrize("module", sorted(SPACE_FLOORS))
def test_space_modules_import_only_lower_floors(module):
    imports = _relative_imports(PACKAGE / "space" / f"{module}.py")
    inside = {name for level, name in imports if level == 1}
    assert inside <= SPACE_FLOORS[module]
    outside = {name.split(".")[0] for level, name in imports if level == 2}
    assert outside <= {"nets", "exceptions"}


def test_every_space_module_has_a_floor():
    modules = {p.stem for p in (PACKAGE / "space").glob("_*.py") if p.stem != "__init__"}
    assert modules == set(SPACE_FLOORS)


@pytest.mark.parametrize("path", sorted((PACKAGE / "nets").glob("*.py")), ids=lambda p: p.name)
def test_nets_import_no_higher_layer(path):
    outside = {name.split(".")[0] for level, name in _relative_imports(path) if level == 2}
    assert not outside & {"space", "strategies", "evaluation", "records", "export"}


@pytest.mark.parametrize("folder", ["space", "nets"])
def test_modules_stay_short(folder):
    long = {
        p.name: n
        for p in (PACKAGE / folder).glob("*.py")
        if (n := len(p.read_text().splitlines())) >= 600
    }
    assert not long


def test_check_preset():
    assert check_preset(None) == "default"
    assert all(check_preset(name) == name for name in PRESETS)
    with pytest.raises(ValueError, match="'huge' is not a preset"):
        check_preset("huge")


@pytest.mark.parametrize("kind", ["tabular", "image"])
def test_unknown_preset_raises_for_both_kinds(kind):
    extra = {"kind": "image", "image_shape": (1, 8, 8)} if kind == "image" else {}
    ctx = BuildContext(n_samples=40, n_features=64, n_classes=2, **extra)
    with pytest.raises(ValueError, match="is not a preset"):
        make_space("huge", ctx)
    for name in PRESETS:  # every preset exists for both kinds
        assert make_space(name, ctx).slots[-1].role == "classifier"
