"""The notebooks in examples/ run, top to bottom, in a real Jupyter kernel.

Each notebook is executed with nbclient in an ipykernel of this interpreter,
with the working directory set to a temporary folder (a notebook writes
nothing into the checkout). A cell that raises fails the test with nbclient's
``CellExecutionError``, which shows the cell and its traceback. The notebooks
are committed without outputs, and README.md links every one of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

# nbclient, nbformat, ipykernel (the test extra), matplotlib, ipywidgets (the
# notebook extra) and dask (the distributed extra) are all in the dev extra that
# `make test` installs: a missing one fails here, it never skips a notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))


def run_notebook(nb, cwd: Path):
    """Execute ``nb`` in place in a fresh ``python3`` kernel started in ``cwd``.

    jupyter_client starts a kernel spec whose command is ``python`` with
    ``sys.executable``, so the kernel runs this interpreter (checked below).
    """
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return nb


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def test_there_are_notebooks():
    assert [p.name for p in NOTEBOOKS], "no notebooks in examples/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    run_notebook(nb, tmp_path)  # raises CellExecutionError on the first failing cell
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs; clear them"
            assert cell.execution_count is None, f"{path.name}: clear the execution counts"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"(examples/{path.name})" in readme, f"README.md does not link {path.name}"


def test_a_failing_cell_fails_the_run(tmp_path):
    """The guard itself: an error in any cell raises, naming the error."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("x / 0")]
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        run_notebook(nb, tmp_path)


def test_the_kernel_runs_this_interpreter_in_the_given_folder(tmp_path):
    nb = nbformat.v4.new_notebook()
    source = "import os, sys\nprint(sys.executable)\nprint(os.getcwd())"
    nb.cells = [nbformat.v4.new_code_cell(source)]
    run_notebook(nb, tmp_path)
    executable, cwd = _stdout(nb.cells[0]).splitlines()
    assert Path(executable) == Path(sys.executable)
    assert Path(cwd).resolve() == tmp_path.resolve()


def test_docs_link_every_notebook():
    page = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"(../examples/{path.name})" in page, f"docs/notebooks.md does not link {path.name}"
    assert "(notebooks.md)" in (ROOT / "docs" / "user_guide.md").read_text(encoding="utf-8")
