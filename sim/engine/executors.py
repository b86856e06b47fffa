"""Where runs execute: any ``concurrent.futures.Executor``. Local processes by default; Dask distributed
(``--dask local`` starts a LocalCluster, ``--dask ADDRESS`` joins a running scheduler) through
``Client.get_executor()``, so the sweep engine has one code path for a laptop and a cluster."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sim.engine.signals import die_with
from sim.model.errors import ScenarioError


@dataclass
class ExecutorInfo:
    """What the sweep is running on, for the progress bar and the summary."""

    executor: Executor
    workers: int
    description: str
    live_workers: Callable[[], int] | None = None  # workers connected now (None: not knowable, e.g. a pool)


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _warm(owner: int, stop: Any) -> None:
    """Import the model once per worker process, not once per run (the forkserver it is forked from has
    loaded the model and its kernels: ``sim.engine.preload``); exit when the command's process is gone (killed
    by SIGKILL, its workers would otherwise run on, holding memory, for minutes) or asks its workers to stop
    (``stop`` set: Ctrl-C or SIGTERM)."""
    import sim.model  # noqa: F401

    die_with(owner, stop)


@contextmanager
def local_processes(workers: int | None = None) -> Iterator[ExecutorInfo]:
    """A process pool; forkserver rather than fork, because the parent has threads (progress bar, Dask)."""
    n = workers or default_workers()
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.engine.preload"])  # the model and its kernels, loaded once (preload.py)
    stop = ctx.Event()
    pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_warm, initargs=(os.getpid(), stop))
    try:
        yield ExecutorInfo(pool, n, f"local processes x{n}")
    except BaseException:
        stop.set()  # interrupted: the runs in flight are not stored anyway, so the workers stop at once
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_executor(address: str, workers: int | None = None) -> Iterator[ExecutorInfo]:
    """A Dask executor: ``local`` starts a LocalCluster of single-threaded worker processes, anything else
    is a scheduler address (its workers need leniency-sim installed)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ScenarioError("--dask needs Dask distributed: pip install 'leniency-sim[dask]'") from None
    cluster = None
    try:
        if address == "local":
            n = workers or default_workers()
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ScenarioError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
        try:
            n = len(client.scheduler_info().get("workers", {})) or (workers or 1)
            where = "LocalCluster" if cluster is not None else address

            def live() -> int:
                return len(client.scheduler_info().get("workers", {}))

            yield ExecutorInfo(client.get_executor(pure=False), n, f"dask {where} x{n}", live)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def max_workers() -> int:
    """More processes than four per core only cost memory (each holds a model): the cap of --workers."""
    return max(8, 4 * default_workers())


def check_workers(workers: int | None, dask: str | None = None) -> None:
    """--workers on this machine (local processes or a LocalCluster): a whole number from 1 to
    ``max_workers()``; a remote Dask scheduler has its own workers, so only the lower bound applies."""
    if workers is None:
        return
    top = max_workers() if dask in (None, "local") else None
    if workers < 1 or (top is not None and workers > top):
        allowed = f"from 1 to {top} (4 per core, at least 8)" if top is not None else "at least 1"
        raise ScenarioError(f"--workers {workers}: must be a whole number {allowed}")


@contextmanager
def open_executor(workers: int | None = None, dask: str | None = None) -> Iterator[ExecutorInfo]:
    """The executor the command line asks for."""
    check_workers(workers, dask)
    cm = dask_executor(dask, workers) if dask else local_processes(workers)
    with cm as info:
        yield info
