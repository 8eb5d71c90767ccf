"""Golden files: the exported scripts of four fixed pipelines, byte for byte.

A change in the export (or in a scikit-learn/skorch default) shows up as a diff.
To accept a new output, regenerate the files and review the diff::

    SKAUTOML_REGEN_GOLDEN=1 python -m pytest tests/export/test_export_golden.py
    git diff tests/golden
"""

from __future__ import annotations

import ast
import os

import pytest
from export_support import GOLDEN_CASES, GOLDEN_HEADER, ROOT, ruff_check, ruff_format_check

from skautoml.export import export_pipeline

GOLDEN_DIR = ROOT / "tests" / "golden"
REGENERATE = os.environ.get("SKAUTOML_REGEN_GOLDEN") == "1"


def _export(name):
    factory, options = GOLDEN_CASES[name]
    return export_pipeline(factory(), **options, **GOLDEN_HEADER)


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_export_matches_golden_file(name):
    source = _export(name)
    path = GOLDEN_DIR / f"{name}.py"
    if REGENERATE:
        path.write_text(source, encoding="utf-8")
    assert path.exists(), f"missing {path}; run with SKAUTOML_REGEN_GOLDEN=1"
    assert source == path.read_text(encoding="utf-8"), (
        f"export of {name!r} differs from {path}; if intended, regenerate with "
        "SKAUTOML_REGEN_GOLDEN=1 and review the diff"
    )


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_script_is_lint_and_format_clean(name, tmp_path):
    path = tmp_path / f"{name}.py"
    path.write_text(_export(name), encoding="utf-8")
    ruff_check(path)
    ruff_format_check(path)


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_script_imports(name):
    """Classical scripts import nothing from skautoml; only the net needs torch/skorch."""
    tree = ast.parse(_export(name))
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert "skautoml" not in modules
    if name == "skorch_net":
        assert {"torch", "skorch", "export_support"} <= modules
    else:
        assert modules == {"argparse", "joblib", "pandas", "sklearn"} | (
            {"numpy"} if "numpy" in modules else set()
        )
        assert "torch" not in modules and "skorch" not in modules


def test_date_is_injectable_and_defaults_to_today():
    import datetime

    factory, options = GOLDEN_CASES["classical"]
    fixed = export_pipeline(factory(), date=datetime.date(2024, 2, 29), skautoml_version="9")
    assert "skautoml 9 on 2024-02-29." in fixed
    today = export_pipeline(factory())
    assert f"on {datetime.date.today().isoformat()}." in today
