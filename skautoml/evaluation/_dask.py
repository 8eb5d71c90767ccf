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
    """Submit jobs to a Dask client, collect results in order."""

    def __init__(self, client, data, trial_timeout=None):
        from ._executors import _freeze

        self.client = client
        self.trial_timeout = trial_timeout
        # sent with every task rather than scattered once: a scattered replica
        # dies with its worker, and a lost input would cost more than one trial
        self._data = _freeze(data)

    def run(self, jobs, deadline=None) -> list[dict]:
        from distributed import wait
        from distributed.client import FuturesCancelledError

        submitted = time.monotonic()
        futures = [
            self.client.submit(_dask_task, cloudpickle.dumps(job), self._data, pure=False)
            for job in jobs
        ]
        limits = [deadline]
        if self.trial_timeout:
            # tasks of a batch queue behind each other on busy workers
            limits.append(submitted + self.trial_timeout * max(1, len(jobs)))
        known = [t for t in limits if t is not None]
        timeout = max(0.0, min(known) - time.monotonic()) if known else None
        try:
            wait(futures, timeout=timeout)
        except (TimeoutError, FuturesCancelledError):
            pass  # each future's own status says what happened
        results = []
        for future in futures:
            if future.status == "finished":
                result = future.result()
            elif future.status == "error":
                exc = future.exception()
                result = {
                    "status": "error",
                    "error": f"{type(exc).__name__}: {exc} (the Dask task failed)",
                }
            elif future.status == "cancelled":
                result = {"status": "error", "error": "the Dask task was cancelled"}
            else:
                future.cancel()
                elapsed = time.monotonic() - submitted
                why = (
                    "the time budget ran out"
                    if deadline is not None and (time.monotonic() >= deadline - 0.05)
                    else "trial_time_limit"
                )
                result = {"status": "timeout", "error": f"stopped after {elapsed:.1f} s: {why}"}
            result.setdefault("duration", time.monotonic() - submitted)
            results.append(result)
        return results

    def close(self) -> None:
        self._data = None
