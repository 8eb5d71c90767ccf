"""Speed-up of the frozen-backbone feature cache on a probe search.

Fits the same EfficientNet-Lite0 linear-probe pipeline (64 px, logistic head)
on 3 cross-validation folds of 300 digits, twice: with an empty cache (every
fold's features computed) and again with the cache filled by the first pass,
as a second probe trial of a search would. Run::

    python benchmarks/bench_feature_cache.py
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold

from skautoml.data._images import image_format, images_to_rows
from skautoml.space import COMPONENTS, BuildContext, Candidate, Step, build_pipeline


def one_trial(pipe, X, y, splits):
    t0 = time.perf_counter()
    scores = []
    for tr, te in splits:
        p = clone(pipe).fit(X[tr], y[tr])
        scores.append(p.score(X[te], y[te]))
    return time.perf_counter() - t0, float(np.mean(scores))


def main():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    fmt = image_format(X, image_shape=(8, 8))
    R = images_to_rows(X, fmt)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(R, y))
    with tempfile.TemporaryDirectory() as cache:
        ctx = BuildContext(
            n_samples=300,
            n_features=64,
            n_classes=10,
            kind="image",
            image_shape=fmt.shape,
            cache_dir=cache,
        )
        params = {**COMPONENTS["probe_efficientnet_lite0"].default_params()}
        params.update(resolution=64, head="logistic", C=0.5)
        pipe = build_pipeline(Candidate((Step.make("probe_efficientnet_lite0", params),)), ctx)
        cold, s1 = one_trial(pipe, R, y, splits)
        warm, s2 = one_trial(pipe, R, y, splits)
    assert s1 == s2
    print(f"cold {cold:.1f} s, warm {warm:.1f} s, speed-up x{cold / warm:.1f}, cv acc {s1:.3f}")


if __name__ == "__main__":
    main()
