"""What the shared-prefix cache saves.

Candidates that share a preprocessing prefix (same steps, same parameters)
fit it once per fold when trials run under a ``fit`` (the cache lives in the
runner's temporary folder). This script evaluates the same candidates with
and without the cache, in one process and one run, and reports the ratio.

    python benchmarks/bench_caching.py [--rows 6000] [--features 60]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from sklearn.datasets import make_classification
from sklearn.metrics import get_scorer
from sklearn.model_selection import StratifiedKFold

from skautoml.evaluation import EvalData, evaluate_candidate
from skautoml.space import BuildContext, Candidate, Step

PREFIX = (
    Step.make("quantile_transformer", {"output_distribution": "normal"}),
    Step.make("pca", {"variance": 0.95}),
)
CLASSIFIERS = [Step.make("logistic_regression", {"C": c}) for c in (0.01, 0.1, 1.0, 10.0)] + [
    Step.make("k_neighbors", {"n_neighbors": k, "weights": "uniform"}) for k in (5, 15)
]


def run(rows: int, features: int) -> dict:
    X, y = make_classification(
        n_samples=rows, n_features=features, n_informative=20, random_state=0
    )
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    ctx = BuildContext(n_samples=rows, n_features=features, n_classes=2)
    candidates = [Candidate((*PREFIX, clf)) for clf in CLASSIFIERS]
    timings = {}
    for label in ("without cache", "with cache"):
        with tempfile.TemporaryDirectory() as folder:
            data = EvalData(
                X,
                y,
                splits,
                get_scorer("accuracy"),
                ctx,
                cache_dir=folder if label == "with cache" else None,
            )
            started = time.perf_counter()
            scores = [evaluate_candidate(c, data).test_scores for c in candidates]
            timings[label] = time.perf_counter() - started
            timings[f"scores {label}"] = scores
    assert timings["scores with cache"] == timings["scores without cache"]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--features", type=int, default=60)
    args = parser.parse_args()
    t = run(args.rows, args.features)
    print(
        f"{len(CLASSIFIERS)} candidates sharing quantile_transformer -> pca, "
        f"{args.rows} x {args.features}, 3 folds: "
        f"without cache {t['without cache']:.2f} s, with cache {t['with cache']:.2f} s, "
        f"ratio {t['without cache'] / t['with cache']:.2f}x (identical scores)"
    )


if __name__ == "__main__":
    main()
