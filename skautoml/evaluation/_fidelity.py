"""Multi-fidelity scheduling: cheap evaluations first, full ones for the promising.

Two mechanisms, both recorded as status ``"pruned"``:

* **Successive halving (ASHA-style, two rungs).** Every new candidate is
  first scored on a stratified ``1/eta`` of each fold's training rows
  (networks also train for ``1/eta`` of their epochs), on the full test
  fold. It is promoted to the full evaluation only if its cheap score is in
  the top ``1/eta`` of all cheap scores so far (the first ``eta`` always
  are). Promotion is asynchronous: it never waits for a rung to fill.
* **Learning-curve pruning for networks.** Once three networks have trained
  fully, every network gets the per-epoch median of their validation
  accuracy curves; a network below that median after ``warmup`` epochs is
  stopped (:class:`skautoml.nets.MedianCurvePruner`, a skorch callback that
  :func:`._cv.evaluate_candidate` imports only for networks).
"""

from __future__ import annotations

import math

import numpy as np

# TrialPruned lives with the library's errors (the networks' pruner raises it);
# re-exported here, where the trial results look for it
from ..exceptions import TrialPruned

__all__ = ["SuccessiveHalving", "TrialPruned", "subsample"]


def subsample(
    train: np.ndarray, y, fraction: float, seed: int, *, stratified: bool = True
) -> np.ndarray:
    """A stratified (2+ per class), seeded ``fraction`` of the training indices;
    a plain random one (at least 2 rows) with ``stratified=False`` (regression)."""
    rng = np.random.default_rng(seed)
    if not stratified:
        n = min(len(train), max(2, math.ceil(fraction * len(train))))
        return np.sort(rng.choice(train, size=n, replace=False))
    labels = np.asarray(y)[train]
    keep = []
    for label in np.unique(labels):
        rows = train[labels == label]
        n = min(len(rows), max(2, math.ceil(fraction * len(rows))))
        keep.append(rng.choice(rows, size=n, replace=False))
    return np.sort(np.concatenate(keep))


class SuccessiveHalving:
    """The promotion rule of the two-rung scheme.

    Parameters
    ----------
    eta : int, default=3
        Reduction factor: the cheap rung uses ``1/eta`` of the rows, and the
        top ``1/eta`` of cheap scores are promoted.
    """

    def __init__(self, eta: int = 3):
        self.eta = int(eta)
        self.low_scores: list[float] = []
        self.curves: list[tuple[float, ...]] = []

    @property
    def fraction(self) -> float:
        return 1.0 / self.eta

    def promote(self, low_score: float) -> bool:
        """Record a cheap score; ``True`` when it earns the full evaluation."""
        self.low_scores.append(low_score)
        if len(self.low_scores) <= self.eta:
            return True
        cut = float(np.quantile(self.low_scores, 1.0 - 1.0 / self.eta))
        return low_score >= cut

    def add_curve(self, curve) -> None:
        if curve:
            self.curves.append(tuple(curve))

    def curve_thresholds(self) -> tuple[float, ...] | None:
        """Per-epoch medians of the recorded curves, once three exist."""
        if len(self.curves) < 3:
            return None
        length = max(len(c) for c in self.curves)
        medians = []
        for epoch in range(length):
            values = [c[epoch] for c in self.curves if len(c) > epoch]
            if len(values) < 3:
                break
            medians.append(float(np.median(values)))
        return tuple(medians)
