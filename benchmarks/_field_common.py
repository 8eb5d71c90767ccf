"""What ``bench_field.py`` and its report share: the tools, the columns, the paths.

Split from ``bench_field.py`` (which re-exports these names for the other
benchmark scripts).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _run_peer import DATASETS, IMAGE_SHAPES, load_split  # noqa: E402, F401

ENVS = HERE / "envs"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- field:start -->", "<!-- field:end -->"

#: skautoml variants: tool name -> estimator settings
SKAUTOML = {
    "skautoml-bayes": {"search": "bayes", "n_jobs": 1},
    # ensembles off: the single best pipeline (bench_ensemble.py compares)
    "skautoml-bayes-ens1": {"search": "bayes", "n_jobs": 1, "ensemble_size": 1},
    "skautoml-random": {"search": "random", "n_jobs": 1},
    "skautoml-random-nj2": {"search": "random", "n_jobs": 2},
    "skautoml-genetic": {"search": "genetic", "n_jobs": 1},
    # image datasets read as images (image_shape): CNN / EfficientNet fine-tuning
    "skautoml-bayes-img": {"search": "bayes", "n_jobs": 1, "images": True},
}
SKLEARN = ["sklearn-hgb", "sklearn-logreg", "sklearn-rf"]
PEERS = ["flaml", "tpot"]
TOOLS = [*SKAUTOML, *SKLEARN, *PEERS]
DEFAULT_TOOLS = [t for t in TOOLS if t != "skautoml-bayes-img"]
DEFAULT_DATASETS = ["digits", "breast_cancer", "wine", "mnist", "iris"]

FIELDS = [
    "tool",
    "dataset",
    "budget_s",
    "seed",
    "n_jobs",
    "status",
    "test_accuracy",
    "fit_seconds",
    "process_seconds",
    "trials",
    "trials_per_min",
    "peak_mem_mb",
    "overhead_s",
    "overhead_pct",
    "strategy_s",
    "worker_boot_s",
    "worker_start_s",
    "transfer_s",
    "refit_s",
    "refit_source",
    "stop_reason",
    "best",
    "version",
    "note",
    # skautoml: the single best pipeline's test accuracy from the same fit, its
    # CV score, the ensemble's out-of-fold score and its number of members
    "single_accuracy",
    "cv_score",
    "ensemble_score",
    "ensemble_members",
]


def _fmt(x, digits=1):
    if x in ("", None) or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{float(x):.{digits}f}"
