"""The documentation against the code: what the pages show must be what the code does.

Each check reads a page as text and compares what it shows (defaults,
signatures, install commands, test and benchmark references, a verbatim
export) with the code, so that the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from skautoml import AutoFineTuneClassifier, AutoFineTuneRegressor
from skautoml._optional import install_hint
from skautoml.data import load_image_folder
from skautoml.export import export_pipeline

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [*DOCS, ROOT / "README.md"]


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def _constructor_block() -> ast.Call:
    """The ``AutoFineTuneClassifier(...)`` call of the user guide's "The estimator"."""
    section = _text(ROOT / "docs" / "user_guide.md").split("## The estimator", 1)[1]
    tree = ast.parse(_python_blocks(section)[0])
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "AutoFineTuneClassifier"
    ]
    assert len(calls) == 1
    return calls[0]


# -- the user guide's constructor block ----------------------------------------------------
@pytest.mark.parametrize("estimator", [AutoFineTuneClassifier, AutoFineTuneRegressor])
def test_user_guide_constructor_shows_every_parameter_at_its_default(estimator):
    shown = {kw.arg: ast.literal_eval(kw.value) for kw in _constructor_block().keywords}
    defaults = {
        name: p.default
        for name, p in inspect.signature(estimator).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    assert list(shown) == list(defaults), "parameters missing, extra or out of order"
    wrong = {name: (value, defaults[name]) for name, value in shown.items()}
    wrong = {k: v for k, v in wrong.items() if v[0] != v[1] or type(v[0]) is not type(v[1])}
    assert not wrong, f"shown vs real default: {wrong}"


# -- signatures ----------------------------------------------------------------------------
def test_load_image_folder_signature_is_shown_as_it_is():
    real = f"load_image_folder{inspect.signature(load_image_folder)}"
    for page in PAGES:
        for shown in re.findall(r"load_image_folder\(path[^)]*\)", _text(page)):
            assert shown == real, f"{page.name}: {shown} is not {real}"


# -- install commands ----------------------------------------------------------------------
def _paragraphs(text: str) -> list[str]:
    return re.split(r"\n\s*\n", text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_install_lines_give_the_checkout_form(page):
    # the project installs from its checkout (make demo / make test run
    # pip install -e ".[dev]" there): a package-index line alone misleads
    for paragraph in _paragraphs(_text(page)):
        for extra in re.findall(r'pip install "?skautoml\[(\w+)\]', paragraph):
            assert f'pip install -e ".[{extra}]"' in paragraph, paragraph


def test_missing_dependency_message_names_the_extra_and_the_checkout_form():
    hint = install_hint("images")
    assert hint.startswith('install the "images" extra')
    assert 'pip install -e ".[images]" in the skautoml checkout' in hint


# -- references to tests and benchmarks ----------------------------------------------------
def test_reliability_page_points_at_tests_that_exist():
    text = _text(ROOT / "docs" / "reliability.md")
    references = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(references) > 20
    for path, name in references:
        source = ROOT / path
        assert source.is_file(), path
        if name:
            assert re.search(rf"^def {name}\(", _text(source), flags=re.MULTILINE), (
                f"{path} has no test {name}"
            )
    # every test named in a table row is given with its file
    for row in text.splitlines():
        if row.startswith("|"):
            bare = re.findall(r"(?<![:\w/])`(test_\w+)`", row)
            components = {"test_sleeper", "test_spinner", "test_nan_net"}  # not tests
            assert not set(bare) - components, row


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_cited_benchmark_scripts_and_results_exist(page):
    text = _text(page)
    for path in re.findall(r"benchmarks/[\w/.-]+\.(?:py|md|csv|jsonl|json)\b", text):
        assert (ROOT / path).is_file(), f"{page.name} cites {path}, which does not exist"


# -- export -------------------------------------------------------------------------------
def test_export_page_shows_the_real_output():
    page = _text(ROOT / "docs" / "export.md").split("## A real exported script", 1)[1]
    code, shown = _python_blocks(page)[:2]
    namespace: dict = {}
    exec(compile(code, "docs/export.md", "exec"), namespace)  # noqa: S102 - our own page
    assert namespace["source"] == shown
    assert namespace["source"] == export_pipeline(
        namespace["pipeline"],
        cv_score=0.8125,
        target="churned",
        notes=["3 trials, 2-fold CV"],
        date="2025-01-01",
    )
