"""Run trials in worker processes that can be stopped.

Jobs are submitted one at a time and collected as they finish
(:meth:`TrialRunner.submit` / :meth:`TrialRunner.wait`), so the search loop
can hand a free worker its next trial at once, without waiting for the
slowest trial of a batch.

Each trial runs in its own process, started from a ``forkserver`` that has
already imported scikit-learn, so a start costs milliseconds. torch is
preloaded only when this process holds it already (image data, a user's
network component); otherwise a worker imports it when its trial builds a
network, so classical trials never carry it. The server starts booting as
soon as ``fit`` has profiled the data (:func:`start_worker_server`). A
trial that overruns its deadline is killed, not waited for; a worker that
dies (killed, segfault, out of memory) costs its own trial only.

The training data is written once per ``fit`` to a temporary folder and
memory-mapped by the workers; the folder is removed when the runner closes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import wait

import cloudpickle

from ..records import StopCause, TrialStatus
from ..space import COMPONENTS, Candidate
from ._budget import Budget
from ._cost import worker_threads
from ._dask import DaskRunner, dask_client
from ._jobs import Job, load_data, pack_model, run_job, run_job_safely, save_data
from ._result import TrialResult

__all__ = ["KeptModel", "TrialRunner", "start_worker_server"]

logger = logging.getLogger("skautoml")

#: what the worker server always imports before it forks workers (see _preload)
_PRELOAD = ["skautoml.evaluation._executors", "skautoml.space", "sklearn.ensemble"]


@dataclass(frozen=True)
class KeptModel:
    """The best trial's first-fold pipeline: what ``fit`` falls back on when
    the refit cannot finish in time (or the user interrupts it).

    A worker sends it pickled (:func:`~._jobs.pack_model`), and it stays so
    until :attr:`pipeline` is read: unpickling a network's pipeline would
    import torch into this process for a model that is rarely used.

    Attributes
    ----------
    candidate : Candidate
        The trial's pipeline description.
    score : float
        The trial's mean cross-validated score.
    model : object or bytes
        The fitted first-fold pipeline, or its ``cloudpickle`` bytes.
    n_train : int
        How many rows the first fold trained on.
    """

    candidate: Candidate
    score: float
    model: object  # the pipeline, or its cloudpickle bytes
    n_train: int

    @property
    def pipeline(self):
        """The fitted first-fold pipeline."""
        return cloudpickle.loads(self.model) if isinstance(self.model, bytes) else self.model


def _limit_threads(threads: int) -> None:
    from threadpoolctl import threadpool_limits

    threads = max(1, threads)
    # torch, when a network trial imports it later in this worker, reads its
    # thread count from the environment
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)
    if "torch" in sys.modules:  # preloaded by the server
        sys.modules["torch"].set_num_threads(threads)
    threadpool_limits(threads)


def _limit_memory(megabytes: float | None) -> None:
    if not megabytes:
        return
    import resource

    import psutil

    base = psutil.Process().memory_info().vms
    limit = int(base + megabytes * 1024 * 1024)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child_main(conn, data_dir: str, job_bytes: bytes, threads: int, memory_limit) -> None:
    """Entry point of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        _limit_threads(threads)
        data = load_data(data_dir)
        job = cloudpickle.loads(job_bytes)
        _limit_memory(memory_limit)
        result = pack_model(run_job(job, data))
    except BaseException as exc:  # report everything, including MemoryError
        result = TrialResult.failed(exc)
    try:
        conn.send_bytes(cloudpickle.dumps(result))
    except BaseException as exc:  # e.g. an unpicklable fitted pipeline
        conn.send_bytes(cloudpickle.dumps(TrialResult.failed(exc)))
    finally:
        conn.close()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class TrialRunner:
    """Run jobs in killable worker processes, ``n_workers`` at a time.

    Parameters
    ----------
    data : EvalData
        Training data, splits and scorer, shared by every job.
    budget : Budget, default=None
        The ``fit``'s one budget: when each job must stop. ``None``: no limit.
    n_workers : int
        Processes run at once.
    memory_limit : float or None
        Megabytes a worker may allocate beyond its start-up size.
    isolate : bool
        Run jobs in processes; when ``False`` (or when the current process
        may not start children), jobs run in this process and cannot be
        stopped at their deadline.
    """

    def __init__(self, data, budget=None, n_workers=1, memory_limit=None, isolate=True):
        self.data = data
        self.budget = budget if budget is not None else Budget.unlimited()
        self.n_workers = max(1, int(n_workers))
        self.memory_limit = memory_limit
        self.isolate = isolate and not mp.current_process().daemon
        self.threads = worker_threads(self.n_workers)
        self._dir = None
        self._live: list = []
        self._dask = None
        self._tickets = 0
        self._flight: dict[int, Job] = {}  # ticket -> job, until wait() returns it
        self._ready: list[tuple[int, TrialResult]] = []  # done, not yet returned by wait()
        self._running: dict = {}  # conn -> (ticket, proc, started, stop_at, cause)
        self.overhead = {"boot": 0.0, "start": 0.0, "transfer": 0.0}
        #: the first-fold pipeline of the best full evaluation so far
        self.kept: KeptModel | None = None
        #: ensembles: the best trials' out-of-fold predictions (:mod:`._pool`)
        self.pool = None

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self):
        if self.isolate:
            self._dir = tempfile.mkdtemp(prefix="skautoml-")
            save_data(self.data, self._dir)
            if dask_client() is None:
                self._warm_up()
        return self

    def _warm_up(self) -> None:
        """Boot the forkserver before any trial's clock starts.

        Its first start imports scikit-learn (seconds, more on a loaded
        machine); charged to the first trial, that could time it out. Once per
        Python process: later fits find the server running. When
        :func:`start_worker_server` started it earlier, only what is left of
        the boot is waited for (and reported as ``boot``).
        """
        t0 = time.perf_counter()
        with _main_not_reimported():
            proc = _forkserver().Process(target=_noop, daemon=True)
            proc.start()
        proc.join()
        self.overhead["boot"] += time.perf_counter() - t0

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self) -> None:
        """Kill any live worker and remove the temporary folder."""
        for proc, conn in self._live:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)
            conn.close()
        self._live = []
        self._running = {}
        self._flight = {}
        self._ready = []
        self.kept = None
        if self._dask is not None:
            self._dask.close()
            self._dask = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    @property
    def temp_dir(self) -> str | None:
        return self._dir

    # -- running ---------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Jobs submitted and not yet returned by :meth:`wait`."""
        return len(self._flight)

    @property
    def free(self) -> int:
        """How many more jobs may be submitted now (``n_workers`` run at once)."""
        return max(0, self.n_workers - self.in_flight)

    def submit(self, job: Job, until: float | None = None, limit: float | None = None) -> int:
        """Start ``job`` and return its ticket; :meth:`wait` hands its result back.

        The job is stopped when the budget says (:meth:`Budget.stop_at`:
        ``until`` in ``time.monotonic()`` seconds, the trial limit (``limit``
        seconds when given, the cost model's limit for this trial), or once
        its own refit could no longer fit), and then reported as a
        ``timeout`` with its :class:`~skautoml.records.StopCause`. A full
        evaluation is asked to send back its first-fold pipeline when it
        beats the best kept so far.

        Inside ``with joblib.parallel_backend("dask"):`` the job runs on the
        Dask cluster of that backend (see :mod:`._dask`); without worker
        processes (``isolate=False``) it runs here, at once.
        """
        job = self._keep_request(job)
        ticket = self._tickets
        self._tickets += 1
        self._flight[ticket] = job
        now = time.monotonic()
        stop_at, cause = self.budget.stop_at(until, now=now, refit=job.kind == "refit", limit=limit)
        client = dask_client()
        if stop_at is not None and stop_at <= now:
            self._ready.append((ticket, TrialResult.stopped(0.0, cause)))
        elif client is not None:
            if self._dask is None:
                self._dask = DaskRunner(client, self.data)
            self._dask.submit(ticket, job, stop_at, cause)
        elif not self.isolate:
            self._ready.append((ticket, run_job_safely(job, self.data)))
        else:
            proc, conn = self._start(job)
            self._live.append((proc, conn))
            self._running[conn] = (ticket, proc, now, stop_at, cause)
        return ticket

    def wait(self) -> list[tuple[int, TrialResult]]:
        """Block until at least one submitted job is done; return ``(ticket, result)``
        for every job done by then (a job past its stop time is killed first).

        Every result carries ``duration`` (wall seconds). Returns an empty
        list when nothing is in flight.
        """
        done, self._ready = self._ready, []
        if not done and self._running:
            done = self._wait_isolated()
        elif not done and self._dask is not None and self._dask.in_flight:
            done = self._dask.wait()
        return [(ticket, self._keep_best(self._flight.pop(ticket), r)) for ticket, r in done]

    def stop_by(self, ticket: int, when: float) -> None:
        """Stop the job ``ticket`` at ``when`` (monotonic seconds) at the latest,
        as a ``timeout`` for the budget, if it would otherwise run longer."""
        for conn, (t, proc, started, stop_at, _cause) in list(self._running.items()):
            if t == ticket and (stop_at is None or when < stop_at):
                self._running[conn] = (t, proc, started, when, StopCause.BUDGET)
        if self._dask is not None:
            self._dask.stop_by(ticket, when)

    def stop_all(
        self, cause: StopCause = StopCause.BUDGET, keep=frozenset()
    ) -> list[tuple[int, TrialResult]]:
        """Stop every job in flight but the tickets in ``keep``; return the
        stopped ones (and any already done) as results."""
        done, self._ready = self._ready, []
        now = time.monotonic()
        for conn, (ticket, proc, started, _, _) in list(self._running.items()):
            if ticket in keep:
                continue
            self._kill(conn, proc)
            done.append((ticket, TrialResult.stopped(now - started, cause)))
        if self._dask is not None:
            done += self._dask.stop_all(cause, keep)
        return [(ticket, self._keep_best(self._flight.pop(ticket), r)) for ticket, r in done]

    def run(self, jobs: list[Job], until: float | None = None) -> list[TrialResult]:
        """Run ``jobs``, ``n_workers`` at a time, and return their results in order.

        Interrupted (Ctrl-C), it stops the jobs it started before re-raising.
        """
        results: list[TrialResult | None] = [None] * len(jobs)
        pending = list(enumerate(jobs))
        mine: dict[int, int] = {}  # ticket -> index
        try:
            while pending or mine:
                while pending and self.free:
                    index, job = pending.pop(0)
                    mine[self.submit(job, until)] = index
                for ticket, result in self.wait():
                    results[mine.pop(ticket)] = result
        finally:
            if mine:
                self.stop_all(StopCause.INTERRUPTED)
        return results  # type: ignore[return-value]

    def _keep_request(self, job: Job) -> Job:
        if job.kind != "evaluate" or job.fidelity < 1.0:
            return job
        best = self.kept.score if self.kept is not None else float("-inf")
        pool_above = self.pool.threshold() if self.pool is not None else None
        return replace(job, keep_above=best, pool_above=pool_above)

    def _keep_best(self, job: Job, result: TrialResult) -> TrialResult:
        """Keep the result's first-fold model if it is the best yet, and its
        predictions in the ensemble pool; return the result without them (they
        stay here, not in the records)."""
        if result.oof is not None:
            if self.pool is not None:
                self.pool.offer(job.candidate, result)
            result = result.with_(oof=None, fold_models=None)
        if result.model is None:
            return result
        score = result.mean_score
        if result.ok and (self.kept is None or score > self.kept.score):
            n_train = len(self.data.splits[0][0]) if self.data.splits else 0
            self.kept = KeptModel(job.candidate, score, result.model, n_train)
        return result.with_(model=None)

    def _start(self, job: Job):
        ctx = _forkserver()
        # the refit runs alone, after the search: it may use every core
        threads = worker_threads(1) if job.kind == "refit" else self.threads
        t0 = time.perf_counter()
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_child_main,
            args=(child, self._dir, cloudpickle.dumps(job), threads, self.memory_limit),
            daemon=True,
        )
        with _main_not_reimported():
            proc.start()
        child.close()
        self.overhead["start"] += time.perf_counter() - t0
        return proc, parent

    def _wait_isolated(self) -> list[tuple[int, TrialResult]]:
        stops = [v[3] for v in self._running.values() if v[3] is not None]
        timeout = max(0.0, min(stops) - time.monotonic()) if stops else None
        done = []
        for conn in wait(list(self._running), timeout=timeout):
            ticket, proc, started, _, _ = self._running.pop(conn)
            done.append((ticket, self._collect(proc, conn, started)))
        now = time.monotonic()
        for conn, (ticket, proc, started, stop_at, cause) in list(self._running.items()):
            if stop_at is not None and stop_at <= now:
                self._kill(conn, proc)
                done.append((ticket, TrialResult.stopped(now - started, cause)))
        return done

    def _kill(self, conn, proc) -> None:
        self._running.pop(conn, None)
        proc.kill()
        proc.join(timeout=5)
        conn.close()
        self._forget(proc)

    def _collect(self, proc, conn, started: float) -> TrialResult:
        t0 = time.perf_counter()
        try:
            result = cloudpickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            proc.join(timeout=5)
            result = TrialResult(
                TrialStatus.ERROR, error=f"worker process died ({_describe_exit(proc.exitcode)})"
            )
        self.overhead["transfer"] += time.perf_counter() - t0
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        conn.close()
        self._forget(proc)
        return result.with_(duration=time.monotonic() - started)

    def _forget(self, proc) -> None:
        self._live = [(p, c) for p, c in self._live if p is not proc]


def _preload(torch: bool = False) -> list[str]:
    """What the worker server imports before it forks workers.

    scikit-learn and the space always. torch when asked (image data) or when
    this process holds it already (a user's network component): then most
    trials need it, and each worker importing it would cost seconds. The
    modules of components registered outside skautoml go along, so that a
    worker does not import them (and what they import) on every trial.
    """
    extra = ["torch"] if torch or "torch" in sys.modules else []
    for component in COMPONENTS.values():
        module = getattr(component.factory, "__module__", None)
        if module and module != "__main__" and not module.startswith("skautoml."):
            extra.append(module)
    return [*_PRELOAD, *dict.fromkeys(extra)]


def start_worker_server(torch: bool = False) -> None:
    """Start booting the worker server now, without waiting for it.

    Its boot (a new process importing scikit-learn, and torch with
    ``torch=True``) then overlaps the rest of ``fit``'s preparation (splits,
    the space, the strategy, saving the data); :meth:`TrialRunner.__enter__`
    waits only for what is left. A no-op when the server runs already, inside
    a Dask backend (trials run on the cluster) and in a daemon process (which
    may not start children). What the server preloads is fixed at its first
    boot, once per Python process.
    """
    if dask_client() is not None or mp.current_process().daemon:
        return
    from multiprocessing import forkserver

    with _main_not_reimported():
        _forkserver(torch)
        forkserver.ensure_running()


def _forkserver(torch: bool = False):
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(_preload(torch))  # used when the server (re)starts
    return ctx


def _noop() -> None:
    """A worker that does nothing (starts the forkserver)."""


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _main_not_reimported():
    """Start a worker without it re-running the user's ``__main__`` module.

    ``multiprocessing`` makes a forkserver child import the parent's main
    script (or ``-m`` module) first. A script that calls ``fit`` at top
    level, with no ``if __name__ == "__main__":`` guard, would then call
    ``fit`` again in every worker, and every trial would die. Workers need
    nothing from ``__main__``: the job (and any class or component defined
    there) reaches them by value through cloudpickle. So the main module's
    ``__file__`` and ``__spec__``, from which ``multiprocessing`` finds it,
    are hidden while the worker starts.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _MAIN_LOCK:
        saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
        main.__dict__.pop("__file__", None)
        main.__dict__["__spec__"] = None
        try:
            yield
        finally:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)
