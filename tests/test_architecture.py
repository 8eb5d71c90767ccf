"""Architecture rules that import-linter cannot state (see pyproject.toml for the rest).

The layers, the forbidden imports and the absence of circles between sibling
packages are import-linter contracts, checked by ``make lint``. Here: no
import circle between any two modules (a sub-package's ``__init__`` and its
own modules included), and files short enough that each keeps one job.
"""

from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "skautoml"

#: No module of the library is longer than this (lines).
MAX_MODULE_LINES = 600
#: The estimators orchestrate only (skautoml/_estimator*.py).
MAX_ESTIMATOR_LINES = 400


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    imported = sorted(graph.find_modules_directly_imported_by(child))
                    work.append((child, iter(imported)))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _lines(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in fh)


def test_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_import_cycle_between_modules():
    # function-level (lazy) imports count: a circle hidden in a function is still one
    graph = grimp.build_graph("skautoml", cache_dir=None)
    cycles = _cycles(graph)
    assert not cycles, "import circles among skautoml modules:\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


@pytest.mark.parametrize(
    ("pattern", "limit"),
    [("**/*.py", MAX_MODULE_LINES), ("_estimator*.py", MAX_ESTIMATOR_LINES)],
)
def test_modules_stay_short(pattern, limit):
    files = sorted(PACKAGE.glob(pattern))
    assert files, f"no skautoml/{pattern}"
    too_long = {str(f.relative_to(PACKAGE.parent)): _lines(f) for f in files if _lines(f) > limit}
    assert not too_long, f"longer than {limit} lines: {too_long}"
