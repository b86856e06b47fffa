"""The worker side of a sweep (one run, in a worker process or on a Dask worker) and the watch that notices a
cluster with no worker left."""

from __future__ import annotations

import math
import os
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.engine.unit import Unit, run_unit
from sim.experiments.design.spec import SpecError


class StallWatch:
    """What the sweep does when no run finishes for ``timeout`` seconds: ask the executor how many workers it
    has; with none, say so once (and again when they come back), then keep waiting or stop as asked."""

    def __init__(
        self, live_workers: Callable[[], int] | None, timeout: float = 60.0, stop: bool = False
    ) -> None:
        self.live_workers = live_workers
        self.timeout = timeout
        self.stop = stop
        self.since: float | None = None
        self.warned = False

    def stalled(self, bar: Any) -> None:
        now = time.monotonic()
        self.since = self.since if self.since is not None else now - self.timeout
        if self.live_workers is None:
            return
        try:
            n = self.live_workers()
        except Exception:  # the scheduler itself is unreachable: same as no worker
            n = 0
        if n > 0:
            return
        waited = now - self.since
        if self.stop:
            raise SpecError(
                f"no worker has been connected for {waited:.0f} s: stopped (--no-workers stop); "
                "finished runs are stored, rerun with --resume once workers are back"
            )
        if not self.warned:
            self.warned = True
            _say(
                bar,
                f"no worker has been connected for {waited:.0f} s; waiting for workers to join "
                "(Ctrl-C stops; finished runs are stored and --resume continues)",
            )

    def progressed(self) -> None:
        self.since = None
        self.warned = False


def _say(bar: Any, text: str) -> None:
    """A line on stderr that does not break the progress bar."""
    write = getattr(bar, "write", None)
    if callable(write):
        write(text, file=sys.stderr)
    else:
        print(text, file=sys.stderr, flush=True)


Result = tuple[dict[str, Any], pd.DataFrame | None, pd.DataFrame | None]
IDENT_COLUMNS = ("run_id", "attempt", "arm", "point", "replication")  # prefixed to a run's daily and cases


@dataclass(frozen=True, slots=True)
class SweepUnit:
    """What a worker needs for one unit of a sweep: the engine's unit, each run's identity (its world in
    ``world``) and the outcomes kept."""

    unit: Unit
    idents: tuple[dict[str, Any], ...]
    outcomes: tuple[str, ...]


def _attach(frame: pd.DataFrame | None, row: dict[str, Any]) -> pd.DataFrame | None:
    if frame is None:
        return None
    frame = frame.copy()
    for k in IDENT_COLUMNS:
        frame.insert(0, k, row[k])
    return frame


def execute_unit(job: SweepUnit) -> list[Result]:
    """Do one unit of a sweep (in a worker): one run, or the worlds of one batch, one result per run. Never
    raises for a model error: it fails every run of the unit, each a row with its error and traceback."""
    t0 = time.perf_counter()
    rows = [{**ident, "attempt": uuid.uuid4().hex} for ident in job.idents]
    out: list[Result] = []
    try:
        worlds = run_unit(job.unit)
        for row in rows:
            world = worlds[int(row["world"])]
            row.update(status="ok", error=None, traceback=None)
            row.update({o: float(world.summary.get(o, math.nan)) for o in job.outcomes})
            out.append((row, _attach(world.daily, row), _attach(world.cases, row)))
    except Exception as exc:  # a failing unit is data: every run of it fails with the error
        out = []
        for row in rows:
            row.update(
                status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
            )
            row.update({o: math.nan for o in job.outcomes})
            out.append((row, None, None))
    share = (time.perf_counter() - t0) / max(len(rows), 1)  # each run's share of the unit's time
    for row, _, _ in out:
        row.update(duration_s=share, worker=f"{socket.gethostname()}:{os.getpid()}", finished_at=time.time())
    return out
