"""Trials on a Dask cluster, through scikit-learn's joblib idiom.

``with joblib.parallel_backend("dask"): clf.fit(X, y)`` makes every trial a
Dask task. The data is scattered to the workers once per ``fit``. A worker
that dies in the middle of a trial costs that trial only: the scheduler
reports ``KilledWorker`` for it and the search goes on. Dask runs tasks in
worker threads, which cannot be killed: a trial past its deadline is recorded
as ``timeout`` and its future cancelled, but a task already running finishes
on its worker in the background.

This is the only module that touches ``distributed``; it is imported lazily,
so Dask stays an optional extra (``pip install "skautoml[distributed]"``).
"""

from __future__ import annotations

import time

import cloudpickle

__all__ = ["DaskRunner", "dask_client"]


def dask_client():
    """The Dask client of the active joblib backend, or ``None``."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if type(backend).__name__ != "DaskDistributedBackend":
        return None
    return backend.client


def _dask_task(job_bytes: bytes, data_bytes: bytes) -> dict:
    """Run one job on a Dask worker (in the worker's own process)."""
    from distributed import get_worker

    from ._cv import error_text, status_of
    from ._executors import _restore, run_job

    started = time.perf_counter()
    try:
        data = _restore(data_bytes)
        result = run_job(cloudpickle.loads(job_bytes), data)
    except Exception as exc:
        result = {"status": status_of(exc), "error": error_text(exc)}
    result["worker"] = get_worker().address
    result["duration"] = time.perf_counter() - started
    return result


class DaskRunner:
    """Submit jobs to a Dask client one at a time; collect them as they finish."""

    def __init__(self, client, data):
        from ._executors import _freeze

        self.client = client
        # sent with every task rather than scattered once: a scattered replica
        # dies with its worker, and a lost input would cost more than one trial
        self._data = _freeze(data)
        self._futures: dict = {}  # future -> (ticket, submitted, stop_at, deadline)

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def submit(self, ticket: int, job, stop_at: float | None, deadline: float | None) -> None:
        future = self.client.submit(_dask_task, cloudpickle.dumps(job), self._data, pure=False)
        self._futures[future] = (ticket, time.monotonic(), stop_at, deadline)

    def wait(self) -> list[tuple[int, dict]]:
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
        for future, (ticket, submitted, stop_at, deadline) in list(self._futures.items()):
            if future.status in ("finished", "error", "cancelled"):
                result = _result_of(future)
            elif stop_at is not None and stop_at <= now:
                from ._executors import _why_stopped

                future.cancel()
                why = _why_stopped(now - submitted, stop_at, deadline)
                result = {"status": "timeout", "error": why}
            else:
                continue
            del self._futures[future]
            result.setdefault("duration", now - submitted)
            done.append((ticket, result))
        return done

    def stop_all(self, why: str) -> list[tuple[int, dict]]:
        done = []
        now = time.monotonic()
        for future, (ticket, submitted, _, _) in self._futures.items():
            future.cancel()
            elapsed = now - submitted
            done.append(
                (
                    ticket,
                    {
                        "status": "timeout",
                        "error": f"stopped after {elapsed:.1f} s: {why}",
                        "duration": elapsed,
                    },
                )
            )
        self._futures = {}
        return done

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
        self._futures = {}
        self._data = None


def _result_of(future) -> dict:
    if future.status == "finished":
        return future.result()
    if future.status == "error":
        exc = future.exception()
        return {"status": "error", "error": f"{type(exc).__name__}: {exc} (the Dask task failed)"}
    return {"status": "error", "error": "the Dask task was cancelled"}
