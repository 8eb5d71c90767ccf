"""Learning-curve pruning of a network during a search.

The search's multi-fidelity schedule (:mod:`skautoml.evaluation._fidelity`)
computes, once three networks have trained fully, the per-epoch median of
their validation accuracy; :class:`MedianCurvePruner` is the skorch callback
that stops a network below it. It lives here, with the other skorch code, so
that the evaluation package imports skorch (and torch) only in a trial that
trains a network.
"""

from __future__ import annotations

from skorch.callbacks import Callback

from ..exceptions import TrialPruned

__all__ = ["MedianCurvePruner"]


class MedianCurvePruner(Callback):
    """Stop a network whose validation accuracy falls below earlier networks' median.

    Parameters
    ----------
    thresholds : tuple of float
        Median validation accuracy of earlier networks after each epoch.
    warmup : int, default=3
        Epochs before any decision.

    Raises
    ------
    TrialPruned
        At the end of an epoch (from ``warmup`` on) whose validation accuracy
        is below that epoch's threshold.
    """

    def __init__(self, thresholds=(), warmup=3):
        self.thresholds = thresholds
        self.warmup = warmup

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch < self.warmup or epoch > len(self.thresholds):
            return
        score = net.history[-1].get("valid_acc")
        if score is not None and score < self.thresholds[epoch - 1]:
            raise TrialPruned(
                f"validation accuracy {score:.4f} after epoch {epoch} is below the median "
                f"{self.thresholds[epoch - 1]:.4f} of earlier networks"
            )
