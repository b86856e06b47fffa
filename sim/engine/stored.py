"""Units whose results are kept in the engine's store: calibration's fit and check seeds and the posterior's
draws. One row per evaluated unit in ``runs.parquet``, its ``run_id`` a digest of what decides the unit's
result (the scenario, the seed, the worlds and their overrides, the metrics kept), so an interrupted
calibration or posterior finds every finished unit again and runs only what is missing; the numbers come
back as they were stored (JSON text, every bit of a float), so a resumed run gives the numbers of an
uninterrupted one. A unit is deterministic, so a row is never stale for the inputs its id names."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.engine.store import LOCK, OWNED, ResultStore
from sim.engine.unit import Unit, run_units, unit_metrics

Job = tuple[Unit, tuple[str, ...] | None]  # a unit and the metrics kept of it (None: all)
Worlds = list[dict[str, float]]  # what ``unit_metrics`` gives: each world's metrics, in world order


def unit_id(job: Job) -> str:
    """The key of a unit's row: a digest of everything that decides its metrics."""
    unit, metrics = job
    doc = [unit.scenario, unit.seed, unit.worlds, unit.overrides, unit.daily, unit.cases, metrics]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:32]


class StoredUnits:
    """The finished units of a calibration or posterior in a ``ResultStore`` folder, and the one way their
    units run (``run``): what the store holds is read back, the rest runs on the executor and each unit is
    committed as it finishes."""

    def __init__(self, root: Path) -> None:
        self.store = ResultStore(root)
        self.done: dict[str, Worlds] = {}
        self.earlier = 0  # units found in the store when it was opened
        self.ran = 0  # units run since

    def load(self) -> int:
        """Read the units finished earlier (an interrupted or earlier run). Returns how many."""
        runs = self.store.read_runs(["run_id", "worlds"], ok_only=True)
        self.done = {r.run_id: json.loads(r.worlds) for r in runs.itertuples(index=False)}
        self.earlier = len(self.done)
        return self.earlier

    def run(self, jobs: Mapping[Any, Job], executor: Executor | None = None) -> dict[Any, Worlds]:
        """Every job's worlds, by key: from the store, or run (a unit asked for twice runs once)."""
        ids = {key: unit_id(job) for key, job in jobs.items()}
        todo: dict[str, Job] = {}
        for key, job in jobs.items():
            if ids[key] not in self.done:
                todo.setdefault(ids[key], job)
        for uid, worlds in run_units(unit_metrics, todo, executor):
            self._record(uid, todo[uid], [{m: float(v) for m, v in w.items()} for w in worlds])
        return {key: self.done[ids[key]] for key in jobs}

    def _record(self, uid: str, job: Job, worlds: Worlds) -> None:
        text = json.dumps(worlds)
        unit = job[0]
        row = {
            "run_id": uid,
            "attempt": uuid.uuid4().hex,
            "status": "ok",
            "seed": unit.seed,
            "worlds_n": unit.worlds,
            "worlds": text,
        }
        self.store.append([row])
        self.done[uid] = json.loads(text)  # the numbers as a resumed run reads them back
        self.ran += 1


def discard(root: Path) -> None:
    """--force: remove the store's own tables in ``root`` (its lock and anything else stay)."""
    for name in OWNED:
        p = root / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)


@contextmanager
def stored_units(root: Path, *, force: bool = False) -> Iterator[StoredUnits]:
    """The store in ``root`` opened for one writer (its lock held), with what it holds loaded (nothing with
    ``force``: its tables are discarded first); compacted and unlocked at the end, however it ends."""
    units = StoredUnits(root)
    units.store.acquire_lock()
    try:
        if force:
            discard(root)
        units.load()
        yield units
    finally:
        try:
            units.store.compact()
        finally:
            units.store.release_lock()


def holds_units(root: Path) -> bool:
    """Does ``root`` hold stored units (finished or interrupted)?"""
    return ResultStore(root).has_runs()


__all__ = ["LOCK", "StoredUnits", "discard", "holds_units", "stored_units", "unit_id"]
