"""Cross-validated scoring of one candidate, with failures turned into records."""

from __future__ import annotations

import logging
import math
import os
import pickle
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any

import joblib
import numpy as np
from sklearn.base import clone

from ..exceptions import DivergedError
from ..records import TrialStatus
from ..space import BuildContext, Candidate, build_pipeline, takes_weights
from ._fidelity import subsample
from ._result import TrialResult

__all__ = ["EvalData", "evaluate_candidate", "fit_candidate", "protocol_name"]

logger = logging.getLogger("skautoml")


@dataclass
class EvalData:
    """Everything a trial needs besides its candidate."""

    X: Any
    y: Any
    splits: list  # list of (train_indices, test_indices)
    scorer: Any
    ctx: BuildContext
    #: folder shared by the trials of one ``fit`` for caching fitted prefixes
    cache_dir: str | None = None
    #: ``fit``'s ``sample_weight`` (float64, one per row), or ``None``
    sample_weight: Any = None

    @property
    def regression(self) -> bool:
        return self.ctx.task == "regression"

    def weights(self, idx):
        """The weights of rows ``idx`` (``None`` when ``fit`` got none)."""
        return None if self.sample_weight is None else self.sample_weight[idx]

    def fit(self, pipe, idx=None):
        """Fit ``pipe`` on rows ``idx`` (all when ``None``), weighted when ``fit`` was."""
        X, y = (self.X, self.y) if idx is None else (_take(self.X, idx), _take(self.y, idx))
        w = self.sample_weight if idx is None else self.weights(idx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pipe.fit(X, y, **weight_params(pipe, w))

    def score(self, pipe, idx) -> float:
        """The scorer on rows ``idx``, weighted when ``fit`` was."""
        w = self.weights(idx)
        extra = {} if w is None else {"sample_weight": w}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(self.scorer(pipe, _take(self.X, idx), _take(self.y, idx), **extra))


def weight_params(pipe, sample_weight) -> dict:
    """``fit`` keyword arguments that give ``sample_weight`` to every step of
    the pipeline whose ``fit`` takes it (the others fit unweighted)."""
    if sample_weight is None:
        return {}
    return {
        f"{name}__sample_weight": sample_weight
        for name, step in pipe.steps
        if step not in (None, "passthrough") and takes_weights(step)
    }


def _take(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def evaluate_candidate(
    candidate: Candidate,
    data: EvalData,
    fidelity: float = 1.0,
    prune_curve=None,
    keep_above: float | None = None,
    folds: int | None = None,
    pool_above: float | None = None,
) -> TrialResult:
    """Score ``candidate`` on every split; never raises for a failing candidate.

    ``fidelity < 1`` trains on that stratified fraction of each fold's rows
    (and a network for that fraction of its epochs). ``prune_curve`` holds
    per-epoch validation accuracies below which a network is stopped.

    Returns a :class:`TrialResult` with the fold scores, ``fit_time`` and
    ``score_time`` (means per fold) and, for networks, ``curve`` (the
    validation accuracy per epoch of the first fold). With ``keep_above``, a
    trial whose mean score beats it also returns its first fold's fitted
    pipeline as ``model`` (the fallback when the refit cannot finish in
    time), cleared of the search's prefix cache. ``folds`` limits the
    evaluation to the first splits (``1``: the hold-out protocol); the
    result's ``protocol`` says which was used. With ``pool_above`` (ensembles
    on), a full-fidelity trial whose mean score beats it also returns its
    out-of-fold class probabilities (``oof``: float32, one row per row of
    ``X``, NaN on rows no scored split validated, the mean over the splits
    that validated a row more than once, as a repeated splitter does) and
    every fold's fitted
    pipeline (``fold_models``), for :mod:`._pool`. A full-fidelity trial
    also reports its first fold's pipeline's pickled ``size_bytes`` and
    ``predict_ms``, its prediction time per validation row in milliseconds
    (``None`` when either cannot be measured).
    """
    scores, fit_times, score_times = [], [], []
    curve = None
    best_epoch = None
    first_model = None
    collect = pool_above is not None and fidelity >= 1.0
    oof, fold_models = None, []
    size_bytes = predict_ms = None
    try:
        ctx = data.ctx
        if fidelity < 1.0:
            # components size themselves from the rows they will see (k-NN
            # clips n_neighbors to them): a cheap evaluation sees a fraction
            ctx = replace(ctx, n_samples=max(2, math.ceil(ctx.n_samples * fidelity)))
        template = build_pipeline(candidate, ctx)
        _apply_fidelity(template, fidelity, prune_curve)
        if data.cache_dir is not None and len(template.steps) > 1:
            # candidates that share a prefix (same steps, same parameters) fit
            # it once per fold: joblib.Memory keys it by the steps and the data
            template.memory = joblib.Memory(os.path.join(data.cache_dir, "prefix"), verbose=0)
        splits = data.splits if folds is None else data.splits[: max(1, int(folds))]
        for train, test in splits:
            if fidelity < 1.0:
                train = subsample(
                    train, data.y, fidelity, data.ctx.seed, stratified=not data.regression
                )
            pipe = clone(template)
            t0 = time.perf_counter()
            data.fit(pipe, train)
            t1 = time.perf_counter()
            score = data.score(pipe, test)
            score_times.append(time.perf_counter() - t1)
            fit_times.append(t1 - t0)
            if score != score:  # NaN score: the model predicts garbage
                raise DivergedError("the score is NaN; the model's predictions are not finite")
            scores.append(score)
            # a classifier without predict_proba joins no ensemble
            collect = collect and (data.regression or hasattr(pipe, "predict_proba"))
            seconds = None
            if collect:
                oof, seconds = _out_of_fold(pipe, data, test, oof)
                fold_models.append(pipe)
            if first_model is None:
                first_model = pipe
                curve = _valid_curve(pipe)
                best_epoch = _best_epoch(pipe)
                if fidelity >= 1.0:
                    size_bytes, predict_ms = _footprint(pipe, data, test, seconds)
    except Exception as exc:  # a failing candidate is a record, not a crash
        logger.info("trial failed: %s: %s", candidate.describe(), exc)
        return TrialResult.failed(exc, fit_time=_mean(fit_times), score_time=_mean(score_times))
    keep = keep_above is not None and _mean(scores) > keep_above
    pooled = collect and oof is not None and _mean(scores) > pool_above
    oof = _mean_of_folds(oof) if pooled else None
    return TrialResult(
        TrialStatus.OK,
        test_scores=tuple(scores),
        curve=None if curve is None else tuple(curve),
        best_epoch=best_epoch,
        fit_time=_mean(fit_times),
        score_time=_mean(score_times),
        model=_without_search_state(first_model) if keep else None,
        protocol=protocol_name(len(splits), len(data.splits)),
        oof=oof,
        fold_models=[_without_search_state(m) for m in fold_models] if pooled else None,
        size_bytes=size_bytes,
        predict_ms=predict_ms,
    )


def _footprint(pipe, data: EvalData, test, seconds: float | None = None):
    """``(size_bytes, predict_ms)``: the fitted ``pipe`` pickled, in bytes, and
    its prediction time on the ``test`` rows in milliseconds per row (class
    probabilities when it gives them, else predictions); ``seconds`` is that
    time when the out-of-fold predictions measured it already. Either is
    ``None`` when it cannot be measured: the trial does not fail for it."""
    if seconds is None:
        X = _take(data.X, test)
        try:
            seconds = _timed_predict(pipe, X, data.regression)[1]
        except Exception as exc:  # the scorer predicted; a second call may still fail
            logger.info("prediction time not measured: %s", exc)
    try:
        size = len(pickle.dumps(_without_search_state(pipe), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:  # a lambda, a lock, an open file: unknown size
        logger.info("pickled size not measured: %s", exc)
        size = None
    per_row = None if seconds is None or not len(test) else 1000.0 * seconds / len(test)
    return size, per_row


def _timed_predict(pipe, X, regression: bool):
    """``(output, seconds)`` of ``pipe.predict_proba(X)`` (``predict`` for a
    regressor, or a classifier without probabilities)."""
    proba = not regression and hasattr(pipe, "predict_proba")
    predict = pipe.predict_proba if proba else pipe.predict
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        out = predict(X)
        return out, time.perf_counter() - t0


def _out_of_fold(pipe, data: EvalData, test, oof):
    """``(oof, seconds)``: ``oof``, a pair ``(sums, counts)`` made on the first
    fold, with the fold's class probabilities on its ``test`` rows added,
    columns in the order of every class of ``data.y`` (for regression, one
    column of predictions), and the seconds the prediction took."""
    pred, seconds = _timed_predict(pipe, _take(data.X, test), data.regression)
    if data.regression:
        block = np.asarray(pred, dtype=np.float32).reshape(-1, 1)
    else:
        classes = np.unique(data.y)
        block = np.zeros((len(test), len(classes)), dtype=np.float32)
        block[:, np.searchsorted(classes, pipe.classes_)] = pred
    if oof is None:
        oof = (np.zeros((len(data.y), block.shape[1]), np.float32), np.zeros(len(data.y), np.int32))
    sums, counts = oof
    sums[test] += block  # a split's test rows are distinct: no index repeats
    counts[test] += 1
    return oof, seconds


def _mean_of_folds(oof):
    """The out-of-fold predictions of ``(sums, counts)``: float32, the mean
    over the splits that validated each row, NaN on rows none validated."""
    sums, counts = oof
    out = np.full(sums.shape, np.nan, dtype=np.float32)
    seen = counts > 0
    out[seen] = sums[seen] / counts[seen, None]
    return out


def protocol_name(used: int, available: int) -> str:
    """``"cv"`` when every split was scored, ``"holdout"`` for the first alone,
    else ``"cv<used>"``."""
    if used >= available:
        return "cv"
    return "holdout" if used == 1 else f"cv{used}"


def _without_search_state(pipe):
    """The pipeline as a user may get it: no trace of the search's prefix cache,
    whose folder is removed when ``fit`` ends (it would not pickle or export)."""
    pipe.memory = None
    return pipe


def fit_candidate(candidate: Candidate, data: EvalData, epochs: int | None = None):
    """Fit ``candidate`` on all of the data (the refit); exceptions propagate.

    ``epochs``, for a network, trains exactly that many epochs on every row,
    with no validation split and no early stopping: the epoch at which the
    trial's validation loss was lowest, as AutoGluon's ``refit_full`` does.
    """
    pipe = build_pipeline(candidate, data.ctx)
    net = _final_net(pipe)
    if epochs is not None and net is not None:
        net.set_params(max_epochs=int(epochs), train_split=None, callbacks__early_stopping=None)
    return data.fit(pipe)


def _final_net(pipe):
    final = pipe.steps[-1][1]
    return final if hasattr(final, "callbacks") and hasattr(final, "max_epochs") else None


def _apply_fidelity(pipe, fidelity: float, prune_curve) -> None:
    """Fewer epochs at low fidelity; the curve pruner for networks."""
    net = _final_net(pipe)
    if net is None:
        return
    if fidelity < 1.0:
        net.set_params(max_epochs=max(2, int(round(net.max_epochs * fidelity))))
    if prune_curve:
        from ..nets import MedianCurvePruner  # skorch: imported for networks only

        callbacks = list(net.callbacks or []) + [("prune", MedianCurvePruner(prune_curve))]
        net.set_params(callbacks=callbacks)


def _best_epoch(pipe) -> int | None:
    """The epoch (from 1) with the lowest validation loss, for a network."""
    net = _final_net(pipe)
    if net is None or not hasattr(net, "history_"):
        return None
    try:
        losses = [float(v) for v in net.history[:, "valid_loss"]]
    except KeyError:
        return None
    return int(min(range(len(losses)), key=losses.__getitem__)) + 1 if losses else None


def _valid_curve(pipe):
    net = _final_net(pipe)
    if net is None or not hasattr(net, "history_"):
        return None
    try:
        return [float(v) for v in net.history[:, "valid_acc"]]
    except KeyError:  # trained without a validation split
        return None


def _mean(values) -> float:
    return float(sum(values) / len(values)) if values else 0.0
