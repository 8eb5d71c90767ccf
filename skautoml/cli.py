"""The ``skautoml`` command line: ``skautoml fit data.csv --target COLUMN``.

A numeric target with many distinct values runs the regressor, any other the
classifier (``--task`` overrides). ``skautoml fit FOLDER`` reads an image
folder (one sub-folder per class); ``--image-size HxW`` resizes its images to
one size.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import warnings

from .exceptions import AllTrialsFailedError

__all__ = ["detect_task", "main"]


class CLIError(Exception):
    """A user error the command line reports in one line, with exit code 2."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _image_size(text: str) -> tuple[int, int]:
    """``"32x48"`` -> ``(32, 48)`` (height, width); ``"32"`` -> ``(32, 32)``."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        size = ()
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an image size; give HEIGHTxWIDTH in pixels, e.g. 32x32 (or 32)"
        )
    return size


#: a numeric target with more distinct values than this (and than this share of
#: the rows), or with fractional values, is read as a regression target
_MANY_VALUES = 20
_MANY_SHARE = 0.05


def detect_task(y) -> tuple[str, str]:
    """``(task, why)`` for a target column: ``"regression"`` for numbers with
    many distinct values (or fractions), else ``"classification"``.

    Examples
    --------
    >>> import numpy as np
    >>> detect_task(np.arange(100) * 1.5)[0]
    'regression'
    >>> detect_task(np.array(["cat", "dog"] * 50))[0]
    'classification'
    """
    import numpy as np
    import pandas as pd

    values = pd.Series(y).dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification", "the target is not numeric"
    distinct = values.nunique()
    fractional = bool((values != np.round(values)).any())
    if fractional or distinct > max(_MANY_VALUES, _MANY_SHARE * len(values)):
        kind = "fractional values" if fractional else f"{distinct} distinct values"
        return "regression", f"a numeric target with {kind}"
    return "classification", f"a numeric target with only {distinct} distinct values"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skautoml",
        description="AutoML that fine-tunes pretrained neural networks, the scikit-learn way.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    fit = sub.add_parser(
        "fit",
        help="search for the best pipeline on a CSV file (or an image folder) and save it",
    )
    fit.add_argument("data", help="a CSV file, or a folder with one sub-folder of images per class")
    fit.add_argument("--target", help="name of the label column (CSV input)")
    fit.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="auto (default): regression for a numeric target with many distinct values "
        f"(more than {_MANY_VALUES} and more than {_MANY_SHARE:.0%} of the rows, or "
        "fractional values), else classification",
    )
    fit.add_argument(
        "--image-size",
        type=_image_size,
        default=None,
        metavar="HxW",
        help="image folder input: resize every image to HEIGHTxWIDTH pixels, e.g. 32x32 "
        "(or 32 for a square); needed when the images differ in size",
    )
    fit.add_argument("--time-budget", type=float, default=60.0, help="seconds (default 60)")
    fit.add_argument(
        "--max-trials", type=int, default=None, help="stop after this many trials (default: none)"
    )
    fit.add_argument("--search", default="bayes", help="bayes, random or genetic")
    fit.add_argument(
        "--search-space", default=None, help="a preset: default, classical, fast, nets"
    )
    fit.add_argument("--cv", type=int, default=3, help="cross-validation folds (default 3)")
    fit.add_argument("--scoring", default=None, help="a scikit-learn scorer name")
    fit.add_argument(
        "--n-jobs", type=int, default=None, help="trials run at once; -1: one per core (default 1)"
    )
    fit.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    fit.add_argument(
        "--ensemble-size",
        type=int,
        default=None,
        help="rounds of ensemble selection; 1 keeps the single best pipeline "
        "(default: the estimator's)",
    )
    fit.add_argument(
        "--output",
        default="skautoml_model.pkl",
        help="where to save the fitted model (default skautoml_model.pkl)",
    )
    fit.add_argument(
        "--export",
        default=None,
        metavar="PATH",
        help="also write the best pipeline as a standalone Python script (see docs/export.md)",
    )
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _load_csv(path: str, target: str | None):
    import pandas as pd

    if target is None:
        raise CLIError("--target is required for CSV input: name the label column")
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read {path!r} as CSV: {exc}") from exc
    if target not in frame.columns:
        raise CLIError(
            f"--target {target!r} is not a column of {path!r}; columns are {list(frame.columns)}"
        )
    y = frame.pop(target)  # a named Series: the export names the target
    if len(frame.columns) == 0:
        raise CLIError(f"{path!r} has no feature columns besides the target {target!r}")
    return frame, y


def _load(path: str, target: str | None, image_size=None):
    if not os.path.exists(path):
        raise CLIError(f"{path!r} does not exist")
    if os.path.isdir(path):
        from .data import load_image_folder

        return load_image_folder(path, size=image_size)
    if image_size is not None:
        raise CLIError(
            f"--image-size applies to an image folder, but {path!r} is a file; drop the option"
        )
    return _load_csv(path, target)


def _check_writable(option: str, path: str | None) -> None:
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"{option} {path!r}: the folder {folder!r} does not exist; create it")
    if os.path.isdir(path):
        raise CLIError(f"{option} {path!r} is a folder; give a file name")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{option} {path!r}: the folder {folder!r} is not writable")


def _estimator_class(args, y):
    from . import AutoFineTuneClassifier, AutoFineTuneRegressor

    task = args.task
    if task == "auto":
        if os.path.isdir(args.data):  # an image folder's sub-folders are classes
            task, why = "classification", "an image folder has one sub-folder per class"
        else:
            task, why = detect_task(y)
        _out(f"task: {task} ({why}; --task overrides)")
    elif task == "regression" and os.path.isdir(args.data):
        raise CLIError(
            "--task regression needs a CSV file with a numeric target column; an image "
            "folder's sub-folders are class labels"
        )
    return AutoFineTuneRegressor if task == "regression" else AutoFineTuneClassifier


def _fit(args) -> int:
    for option, path in (("--output", args.output), ("--export", args.export)):
        _check_writable(option, path)  # before the search, not after it
    X, y = _load(args.data, args.target, args.image_size)
    estimator = _estimator_class(args, y)
    clf = estimator(
        search=args.search,
        max_trials=args.max_trials,
        time_budget=args.time_budget,
        cv=args.cv,
        scoring=args.scoring,
        search_space=args.search_space,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
    )
    if args.ensemble_size is not None:
        clf.set_params(ensemble_size=args.ensemble_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
    columns = ["rank", "pipeline", "score", "std", "mean_fit_time", "status", "ensemble_weight"]
    board = clf.leaderboard()[columns]
    _out(board.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    _out()
    _out(f"best: {clf.best_candidate_.candidate.describe()}  cv score {clf.best_score_:.4f}")
    if len(clf.ensemble_) > 1:
        _out(
            f"ensemble: {len(clf.ensemble_)} pipelines, out-of-fold score "
            f"{clf.ensemble_score_:.4f} (weights in the leaderboard's ensemble_weight)"
        )
    for w in caught:
        sys.stderr.write(f"warning: {w.message}\n")
    with open(args.output, "wb") as fh:
        pickle.dump(clf, fh)
    _out(f"model saved to {args.output}")
    if args.export:
        clf.export(args.export, target=args.target)
        _out(f"pipeline exported to {args.export}")
    return 0


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "fit":
            return _fit(args)
    except CLIError as exc:
        sys.stderr.write(f"skautoml: error: {exc}\n")
        return 2
    except ValueError as exc:  # the estimator's own input errors
        sys.stderr.write(f"skautoml: error: {exc}\n")
        return 2
    except AllTrialsFailedError as exc:  # one line: the count and the first error
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        text = lines[0].rstrip(":;") + (f"; the first: {lines[1]}" if len(lines) > 1 else "")
        for name in ("time_budget", "max_trials"):  # the options' names, not the parameters'
            text = text.replace(f"raise {name}", f"raise --{name.replace('_', '-')}")
        text = text.replace("or max_trials", "or --max-trials")
        sys.stderr.write(f"skautoml: error: {text}\n")
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
