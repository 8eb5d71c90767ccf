"""Wrap a rendered pipeline in a complete, standalone script with a command line.

:func:`export_pipeline` asks :func:`~._source.pipeline_to_source`'s renderer for
the pipeline's constructor call and imports, then writes the header comment
(what the script needs at run time, where pretrained weights come from),
``make_pipeline()``, ``main(argv=None)`` and the ``__main__`` guard.
"""

from __future__ import annotations

import datetime
import shlex
import sys
import textwrap
from collections.abc import Iterable

from sklearn.base import is_regressor

from ..exceptions import ExportError
from ._imports import _Imports
from ._layout import _INDENT, _WIDTH, _comment, _layout, _str_literal
from ._source import _render

__all__ = ["export_pipeline", "scoring_of"]

#: Names the script defines or uses as locals; imports must not shadow them.
_SCRIPT_NAMES = (
    "make_pipeline",
    "main",
    "SCORING",
    "TARGET",
    "argv",
    "parser",
    "args",
    "data",
    "model",
    "score",
    "X",
    "y",
    "X_train",
    "X_test",
    "y_train",
    "y_test",
    "torch",
    "importlib",
    "os",
    "sys",
)

_MAIN = '''


def make_pipeline():
    """Return the winning pipeline, unfitted."""
{body}


def main(argv=None):
    """Fit the pipeline on a CSV file, print its held-out score, optionally save it."""
    parser = argparse.ArgumentParser(description="Fit the exported pipeline.")
    parser.add_argument("csv", help="CSV file with a header row, one row per sample")
{target_argument}
    parser.add_argument("--test-size", type=float, default=0.25, help="held-out share")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the split")
    parser.add_argument("--save", metavar="PATH", help="save the fitted pipeline here")
    args = parser.parse_args(argv)

    data = pd.read_csv(args.csv)
    y = data[args.target]
    X = data.drop(columns=[args.target])
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.random_state{stratify}
    )
{seed}    model = make_pipeline()
    model.fit(X_train, y_train)
    score = {score}
    print(f"held-out {{SCORING}}: {{score:.4f}} on {{len(y_test)}} rows")
    if args.save:
        joblib.dump(model, args.save)
        print(f"saved the fitted pipeline to {{args.save}}")
    return model


{guard}'''

_GUARD = """\
if __name__ == "__main__":
    main()
"""

#: With classes defined in the script, a model saved by ``python script.py`` would
#: refer to ``__main__.<class>``, which no other program can load.
_GUARD_IMPORTED = """\
if __name__ == "__main__":
    # Run main() from this file imported as a module, not as __main__: a model saved
    # with --save then refers to the classes defined above by this module's name,
    # and joblib.load finds them wherever this file is importable.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    importlib.import_module(os.path.splitext(os.path.basename(__file__))[0]).main()
"""

_SEED = "    torch.manual_seed(args.random_state)\n"

#: ``--target`` when the export was not told the target column: the user must name it
_TARGET_REQUIRED = '    parser.add_argument("--target", required=True, help="column to predict")'
#: ``--target`` when it was: optional, defaulting to the ``TARGET`` constant
_TARGET_DEFAULT = """\
    parser.add_argument(
        "--target",
        default=TARGET,
        help="column to predict (default: %(default)s)",
    )"""

#: Packages that a public skautoml module imports, so a script importing it needs them.
_SKAUTOML_NEEDS = {"skautoml.nets": ("torch", "skorch")}


def _runtime_lines(imports: _Imports) -> list[str]:
    """Header lines that say which packages the script needs at run time."""
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    packages = imports.top_level_packages() - set(sys.stdlib_module_names)
    skautoml_modules = {
        module for module, _ in imports.from_imports() if module.split(".")[0] == "skautoml"
    }
    for module in skautoml_modules:  # what those skautoml modules import in turn
        packages |= set(_SKAUTOML_NEEDS.get(module, ()))
    packages -= {"sklearn", "numpy", "pandas", "joblib", "skautoml", "builtins", ""}
    named = {name: distributions.get(name, [None])[0] for name in packages}
    extra = {dist for dist in named.values() if dist}
    extra |= {dist for dist, _ in imports.weights.values() if dist}
    needed = ["numpy", "pandas", "scikit-learn"]  # joblib comes with scikit-learn
    needed += sorted(extra, key=str.lower)
    lines = [f"Needs at run time: {', '.join(needed)}."]
    own = sorted(name for name, dist in named.items() if not dist)
    if own:
        lines.append(f"It imports your own code from: {', '.join(own)} (keep it importable).")
    skautoml_names = sorted(
        f"{module}.{name}"
        for module, name in imports.from_imports()
        if module.split(".")[0] == "skautoml"
    )
    if skautoml_names:
        lines.append(
            f"It imports {', '.join(skautoml_names)} from skautoml's public modules, "
            "so skautoml must be installed too."
        )
    else:
        lines.append("It does not import skautoml.")
    for inline, (local, _) in imports.inline.items():
        lines.append(
            f"It defines {local} itself (a copy of {inline.public}). A model saved "
            "with --save refers to it through this file: load the model where this "
            "file is importable (same folder or PYTHONPATH)."
        )
    lines += [how for _, how in imports.weights.values()]
    return lines


def export_pipeline(
    pipeline,
    *,
    cv_score=None,
    scoring="accuracy",
    target=None,
    skautoml_version=None,
    notes=(),
    date=None,
    script_name="best_pipeline.py",
) -> str:
    """Write a standalone Python script that rebuilds and fits ``pipeline``.

    The script holds a header comment, sorted imports, ``make_pipeline()``
    (returns the unfitted pipeline) and ``main(argv=None)``: it reads a CSV file
    with pandas (text columns included), holds out a stratified test split, fits,
    prints the held-out score and, with ``--save PATH``, saves the fitted
    pipeline with joblib. Importing the script runs nothing.

    Parameters
    ----------
    pipeline : object
        The winning estimator, usually ``best_pipeline_``. Rendered with
        :func:`pipeline_to_source`.
    cv_score : float, default=None
        Cross-validated score of the winning candidate, quoted in the header.
    scoring : str or None, default="accuracy"
        Scorer name (see ``sklearn.metrics.get_scorer``) the script reports. With
        None the script reports ``pipeline.score``.
    target : str, default=None
        Name of the target column. When given, the header's usage line names
        it and the script's ``--target`` defaults to it (a ``TARGET``
        constant), so it may be left out; when None, the usage line says
        ``--target COLUMN`` and ``--target`` is required.
    skautoml_version : str, default=None
        Version quoted in the header; None reads the installed version.
    notes : iterable of str, default=()
        Extra lines for the header (leaderboard summary, search settings...).
    date : datetime.date or str, default=None
        Date quoted in the header; None means today. Tests inject a fixed date.
    script_name : str, default="best_pipeline.py"
        File name shown in the header's usage line.

    Returns
    -------
    source : str
        The script. It passes ``ruff check`` and, for classical pipelines,
        imports nothing from skautoml.

    Raises
    ------
    ExportError
        If a parameter value cannot be written as source.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> source = export_pipeline(LogisticRegression(), cv_score=0.9, date="2025-01-01")
    >>> "def make_pipeline():" in source and "LogisticRegression()" in source
    True
    """
    if scoring is not None and type(scoring) is not str:
        raise ExportError(
            f"cannot export scoring={scoring!r}: the script needs a scorer name. "
            "Pass a string accepted by sklearn.metrics.get_scorer, or None to report "
            "the pipeline's own score method."
        )
    imports = _Imports()
    imports.reserve(*_SCRIPT_NAMES)
    imports.add_module("argparse")
    imports.add_module("joblib")
    imports.add_module("pandas")
    imports.add_from("sklearn.model_selection", "train_test_split")
    if scoring is None:
        score, label = "model.score(X_test, y_test)", "score"
    else:
        imports.add_from("sklearn.metrics", "get_scorer")
        score, label = "get_scorer(SCORING)(model, X_test, y_test)", scoring
    node = _render(pipeline, imports)
    seed = ""
    if "torch" in imports.top_level_packages() or "skorch" in imports.top_level_packages():
        imports.add_module("torch")
        seed = _SEED
    guard = _GUARD
    if imports.inline:
        for module in ("importlib", "os", "sys"):
            imports.add_module(module)
        guard = _GUARD_IMPORTED

    if skautoml_version is None:
        skautoml_version = _installed_version()
    if date is None:
        date = datetime.date.today()
    if isinstance(date, datetime.date):
        date = date.isoformat()
    command = f"python {shlex.quote(script_name)} data.csv --target {_column(target)}"
    score_text = "not recorded" if cv_score is None else f"{float(cv_score):.4f}"
    header = [
        f"Winning pipeline exported by skautoml {skautoml_version} on {date}.",
        f"Cross-validated {label} of this pipeline during the search: {score_text}",
        "",
        "Run it:",
        f"    {command} [--save model.pkl]",
        _target_line(target),
        "It reads the CSV with pandas (text columns are fine), holds out --test-size of",
        "the rows (stratified, seeded by --random-state), fits the pipeline on the rest,",
        f"prints the held-out {label} and, with --save, saves the fitted pipeline",
        "with joblib. Other code can import this file and call make_pipeline().",
        "",
        *_runtime_lines(imports),
    ]
    if seed:
        header.append("torch's generator is seeded with --random-state before fitting.")
    notes = _as_lines(notes)
    if notes:
        header += ["", "Notes:", *(f"  {note}" for note in notes)]
    out = [f"# {line}".rstrip() for line in _wrap_comment(header)]
    for section in imports.sections():
        out += [""] + section
    out.append("")
    for definition in imports.definitions():
        out += ["", definition.rstrip("\n"), "", ""]
    if scoring is not None:
        out.append(f"SCORING = {_str_literal(scoring)}")
    else:
        out.append('SCORING = "score"')
    if target is not None:
        out.append(f"TARGET = {_str_literal(str(target))}")
    body = "\n".join(_layout(node, _INDENT, "return "))
    # class labels keep their proportions in both parts; a numeric target cannot
    stratify = "" if is_regressor(pipeline) else ", stratify=y"
    main = _MAIN.format(
        body=body,
        seed=seed,
        score=score,
        guard=guard,
        stratify=stratify,
        target_argument=_TARGET_REQUIRED if target is None else _TARGET_DEFAULT,
    )
    return "\n".join(out) + main


def _column(target) -> str:
    """The target column as the header's usage line shows it: shell-quoted, or
    ``COLUMN`` when unknown, too long or unprintable to quote in a comment."""
    if target is None:
        return "COLUMN"
    column = shlex.quote(str(target))
    if len(column) > 30 or _comment(column) != column:
        return "COLUMN"
    return column


def _target_line(target) -> str:
    """The header line under the usage line: what ``--target`` must be."""
    if target is None:
        return "COLUMN is the column to predict; --target is required (the export was not told it)."
    column = _column(target)
    if column == "COLUMN":
        return "COLUMN is the column to predict; --target may be left out: it defaults to TARGET."
    return f"--target may be left out: it defaults to {column}."


def _wrap_comment(lines: list[str]) -> list[str]:
    """Escape unprintable characters and wrap lines so ``# line`` fits the width."""
    wrapped = []
    for line in map(_comment, lines):
        indent = " " * (len(line) - len(line.lstrip(" ")))
        wrapped += textwrap.wrap(
            line, _WIDTH - 2, subsequent_indent=indent + "  ", break_on_hyphens=False
        ) or [""]
    return wrapped


def _as_lines(notes: Iterable[str] | str) -> list[str]:
    if isinstance(notes, str):
        notes = [notes]
    return [line for note in notes for line in str(note).splitlines() or [""]]


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("skautoml")
    except PackageNotFoundError:
        return "(unknown version)"


def scoring_of(scoring, default: str) -> dict:
    """The ``scoring`` and ``notes`` arguments of :func:`export_pipeline` for a
    search's ``scoring``: the scorer by name, else the model's own ``score``
    (``default``), with a note saying so."""
    if scoring is None or isinstance(scoring, str):
        return {"scoring": scoring or default}
    name = getattr(scoring, "__name__", type(scoring).__name__)
    return {
        "scoring": None,
        "notes": (
            f"The CV score above comes from the custom scorer {name!r}; the script "
            f"reports the pipeline's own score ({default}).",
        ),
    }
