"""Trials on a Dask cluster, through scikit-learn's joblib idiom.

``with joblib.parallel_backend("dask"): clf.fit(X, y)`` makes every trial a
Dask task. The data is scattered to the workers once per ``fit``. A worker
that dies in the middle of a trial costs that trial only: the scheduler
reports ``KilledWorker`` for it and the search goes on. Dask runs tasks in
worker threads, which cannot be killed: a trial past its deadline is recorded
as ``timeout`` and its future cancelled, but a task already running finishes
on its worker in the background.

This is the only module that touches ``distributed``; it is imported lazily,
so Dask stays an optional extra (``pip install -e ".[distributed]"`` in the
checkout).
"""

from __future__ import annotations

import time

import cloudpickle

from ..records import StopCause, TrialStatus
from ._jobs import freeze, pack_model, run_job_safely, thaw
from ._result import TrialResult

__all__ = ["DaskRunner", "dask_client"]


def dask_client():
    """The Dask client of the active joblib backend, or ``None``."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if type(backend).__name__ != "DaskDistributedBackend":
        return None
    return backend.client


def _dask_task(job_bytes: bytes, data_bytes: bytes) -> TrialResult:
    """Run one job on a Dask worker (in the worker's own process)."""
    from distributed import get_worker

    started = time.perf_counter()
    try:
        data = thaw(data_bytes)
    except Exception as exc:
        result = TrialResult.failed(exc)
    else:
        result = pack_model(run_job_safely(cloudpickle.loads(job_bytes), data))
    return result.with_(worker=get_worker().address, duration=time.perf_counter() - started)


class DaskRunner:
    """Submit jobs to a Dask client one at a time; collect them as they finish."""

    def __init__(self, client, data):
        self.client = client
        # sent with every task rather than scattered once: a scattered replica
        # dies with its worker, and a lost input would cost more than one trial
        self._data = freeze(data)
        self._futures: dict = {}  # future -> (ticket, submitted, stop_at, cause)

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def submit(self, ticket: int, job, stop_at: float | None, cause: StopCause | None) -> None:
        future = self.client.submit(_dask_task, cloudpickle.dumps(job), self._data, pure=False)
        self._futures[future] = (ticket, time.monotonic(), stop_at, cause)

    def wait(self) -> list[tuple[int, TrialResult]]:
        """Wait for the first task to finish or reach its stop time."""
        from distributed import wait
        from distributed.client import FuturesCancelledError

        stops = [v[2] for v in self._futures.values() if v[2] is not None]
        timeout = max(0.0, min(stops) - time.monotonic()) if stops else None
        try:
            wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except (TimeoutError, FuturesCancelledError):
            pass  # each future's own status says what happened
        done = []
        now = time.monotonic()
        for future, (ticket, submitted, stop_at, cause) in list(self._futures.items()):
            if future.status in ("finished", "error", "cancelled"):
                result = _result_of(future, now - submitted)
            elif stop_at is not None and stop_at <= now:
                future.cancel()
                result = TrialResult.stopped(now - submitted, cause)
            else:
                continue
            del self._futures[future]
            done.append((ticket, result))
        return done

    def stop_by(self, ticket: int, when: float) -> None:
        """Stop the task ``ticket`` at ``when`` at the latest (for the budget)."""
        for future, (t, submitted, stop_at, _cause) in list(self._futures.items()):
            if t == ticket and (stop_at is None or when < stop_at):
                self._futures[future] = (t, submitted, when, StopCause.BUDGET)

    def stop_all(self, cause: StopCause, keep=frozenset()) -> list[tuple[int, TrialResult]]:
        """Cancel every task but those whose ticket is in ``keep``."""
        done = []
        now = time.monotonic()
        for future, (ticket, submitted, _, _) in list(self._futures.items()):
            if ticket in keep:
                continue
            future.cancel()
            done.append((ticket, TrialResult.stopped(now - submitted, cause)))
            del self._futures[future]
        return done

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
        self._futures = {}
        self._data = None


def _result_of(future, elapsed: float) -> TrialResult:
    if future.status == "finished":
        return future.result()
    if future.status == "error":
        exc = future.exception()
        why = f"{type(exc).__name__}: {exc} (the Dask task failed)"
    else:
        why = "the Dask task was cancelled"
    return TrialResult(TrialStatus.ERROR, error=why, duration=elapsed)
