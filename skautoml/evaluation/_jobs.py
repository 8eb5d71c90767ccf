"""What a worker runs and what it sends back: :class:`Job` -> :class:`TrialResult`.

Every executor (a worker process, the current process, a Dask worker) runs
:func:`run_job` on the data it restored with :func:`thaw` or
:func:`load_data`, and returns a :class:`TrialResult`. The runners sit above
this module; it imports none of them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import cloudpickle
import joblib

from ..records import TrialStatus
from ..space import COMPONENTS, Candidate
from ._cv import EvalData, evaluate_candidate, fit_candidate
from ._result import TrialResult

__all__ = [
    "Job",
    "Packed",
    "freeze",
    "load_data",
    "pack_model",
    "run_job",
    "run_job_safely",
    "save_data",
    "thaw",
    "unpacked",
]


@dataclass(frozen=True)
class Job:
    """One unit of work: ``kind`` is ``"evaluate"`` or ``"refit"``."""

    candidate: Candidate
    kind: str = "evaluate"
    fidelity: float = 1.0
    prune_curve: tuple | None = None
    #: return the first fold's fitted pipeline when the mean score beats this
    keep_above: float | None = None
    #: evaluate on the first ``folds`` CV splits only (``None``: all); ``1`` is
    #: the hold-out protocol of costly networks (see :mod:`._cost`)
    folds: int | None = None
    #: a network refit: train this many epochs on every row (no early stopping)
    epochs: int | None = None
    #: ensembles: return the out-of-fold predictions and fold models when the
    #: mean score beats this (see :mod:`._pool`); ``None``: ensembles are off
    pool_above: float | None = None


def run_job(job: Job, data: EvalData) -> TrialResult:
    """Run ``job`` here; a failing evaluation is a result, a failing refit raises."""
    if job.kind == "refit":
        t0 = time.perf_counter()
        pipe = fit_candidate(job.candidate, data, epochs=job.epochs)
        return TrialResult(TrialStatus.OK, pipeline=pipe, fit_time=time.perf_counter() - t0)
    return evaluate_candidate(
        job.candidate,
        data,
        job.fidelity,
        job.prune_curve,
        keep_above=job.keep_above,
        folds=job.folds,
        pool_above=job.pool_above,
    )


def run_job_safely(job: Job, data: EvalData) -> TrialResult:
    """:func:`run_job`, with any exception (a failing refit) turned into a result."""
    t0 = time.perf_counter()
    try:
        result = run_job(job, data)
    except Exception as exc:
        result = TrialResult.failed(exc)
    return result.with_(duration=time.perf_counter() - t0)


class Packed:
    """A refit pipeline as a worker sent it, pickled; unpickled once, when first used.

    The search's process unpickles refit pipelines only when every refit of
    the ``fit`` has finished (:func:`unpacked`): a network's pipeline
    imports torch, and a search process holding torch while a worker refits
    the next network would hold two copies of it at once.

    Parameters
    ----------
    data : bytes
        The pipeline, pickled with ``cloudpickle``.

    See Also
    --------
    unpacked : The pipeline of a ``Packed``, or any other value unchanged.
    """

    __slots__ = ("_data", "_value")

    def __init__(self, data: bytes):
        self._data = data
        self._value = None

    def load(self):
        """Unpickle the pipeline on the first call.

        Returns
        -------
        object
            The pipeline: the same object on every call (the bytes are
            dropped once it is unpickled).
        """
        if self._data is not None:
            self._value, self._data = cloudpickle.loads(self._data), None
        return self._value


def unpacked(value):
    """The pipeline ``value`` holds if it is :class:`Packed`, else ``value``.

    Parameters
    ----------
    value : Packed or object
        A refit result's pipeline, packed or not (``None`` passes through).

    Returns
    -------
    object
        ``value.load()`` for a :class:`Packed`, otherwise ``value`` itself.
    """
    return value.load() if isinstance(value, Packed) else value


def pack_model(result: TrialResult) -> TrialResult:
    """``result`` with its first-fold model (and its fold models) pickled, and
    its refit pipeline :class:`Packed`, for a worker to send back.

    The search's process unpickles them only if it uses them
    (:class:`~._executors.KeptModel`, an ensemble member); a network's
    pipeline would otherwise import torch there at every new best trial.
    """
    changes = {}
    if result.pipeline is not None and not isinstance(result.pipeline, Packed):
        changes["pipeline"] = Packed(cloudpickle.dumps(result.pipeline))
    if result.model is not None and not isinstance(result.model, bytes):
        changes["model"] = cloudpickle.dumps(result.model)
    if result.fold_models is not None and not isinstance(result.fold_models, bytes):
        changes["fold_models"] = cloudpickle.dumps(result.fold_models)
    return result.with_(**changes) if changes else result


# -- the data, shipped to workers -------------------------------------------------
# the component registry goes along, so components a user registered in a
# notebook or a test module exist in the workers too


def save_data(data: EvalData, folder: str) -> None:
    """Write the data for worker processes to memory-map from ``folder``."""
    arrays = {"X": data.X, "y": data.y, "sample_weight": data.sample_weight}
    joblib.dump(arrays, os.path.join(folder, "arrays.joblib"))
    rest = {"splits": data.splits, "scorer": data.scorer, "ctx": data.ctx}
    rest["components"] = dict(COMPONENTS)
    with open(os.path.join(folder, "rest.pkl"), "wb") as fh:
        cloudpickle.dump(rest, fh)


def load_data(folder: str) -> EvalData:
    """The data :func:`save_data` wrote, with the arrays memory-mapped."""
    arrays = joblib.load(os.path.join(folder, "arrays.joblib"), mmap_mode="r")
    with open(os.path.join(folder, "rest.pkl"), "rb") as fh:
        rest = cloudpickle.load(fh)
    COMPONENTS.update(rest["components"])
    return EvalData(
        arrays["X"],
        arrays["y"],
        rest["splits"],
        rest["scorer"],
        rest["ctx"],
        cache_dir=os.path.join(folder, "cache"),
        sample_weight=arrays["sample_weight"],
    )


def freeze(data: EvalData) -> bytes:
    """The data, scorer and registry as one picklable blob (for remote workers)."""
    return cloudpickle.dumps(
        {
            "X": data.X,
            "y": data.y,
            "splits": data.splits,
            "scorer": data.scorer,
            "ctx": data.ctx,
            "components": dict(COMPONENTS),
            "sample_weight": data.sample_weight,
        }
    )


def thaw(blob: bytes) -> EvalData:
    """The data :func:`freeze` packed."""
    state = cloudpickle.loads(blob)
    COMPONENTS.update(state["components"])
    return EvalData(
        state["X"],
        state["y"],
        state["splits"],
        state["scorer"],
        state["ctx"],
        sample_weight=state["sample_weight"],
    )
