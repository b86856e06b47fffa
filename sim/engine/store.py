"""The engine's Parquet result store: ``runs.parquet/`` (one row per run) and ``daily.parquet/`` (one row
per run and day), each a folder of part files, plus the spec and metadata beside them. Sweeps keep their
runs here, and the search its archive of evaluated candidates.

Every batch of finished runs becomes a new part, written to a hidden temporary file and renamed into place,
so a ``kill -9`` loses at most the runs in flight and a reader never sees half a file. A run's daily rows
are written before its run row and carry the same ``attempt`` id; readers keep, per ``run_id``, the last
attempt recorded and only the daily rows of that attempt, so a crash between the two writes or a retried
run never duplicates data.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine.signals import alive
from sim.model.errors import ScenarioError

RUNS = "runs.parquet"
DAILY = "daily.parquet"
CASES = "cases.parquet"
META = "experiment.json"
SPEC = "spec.toml"
DESIGN = "design.parquet"
OWNED = (RUNS, DAILY, CASES, META, SPEC, DESIGN)
LOCK = ".sweep.lock"


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a failed write leaves no temporary file behind


class ResultStore:
    """Append-only, crash-safe run and daily tables in a folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._seq = 0

    # -- writing ---------------------------------------------------------------------------------------------
    def _part_name(self) -> str:
        self._seq += 1
        return f"part-{time.time_ns():020d}-{os.getpid()}-{self._seq:06d}.parquet"

    def append(
        self,
        rows: Sequence[dict[str, Any]],
        daily: Iterable[pd.DataFrame | None] = (),
        cases: Iterable[pd.DataFrame | None] = (),
    ) -> None:
        """Record finished runs (daily series and case tables first, then the run rows that commit them)."""
        if not rows:
            return
        for name, parts in ((DAILY, daily), (CASES, cases)):
            frames = [d for d in parts if d is not None and len(d)]
            if frames:
                folder = self.root / name
                folder.mkdir(parents=True, exist_ok=True)
                table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
                _atomic_write_table(table, folder / self._part_name())
        folder = self.root / RUNS
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write_table(_runs_table(rows), folder / self._part_name())

    def write_meta(self, meta: dict[str, Any], spec_text: str | None, design: pd.DataFrame | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.root / META, json.dumps(meta, indent=2, default=str) + "\n")
        if spec_text is not None:
            atomic_write_text(self.root / SPEC, spec_text)
        if design is not None:
            _atomic_write_table(pa.Table.from_pandas(design, preserve_index=False), self.root / DESIGN)

    def compact(self, max_rows: int = 100_000) -> None:
        """Merge small part files into files of about ``max_rows`` rows (at most 500 parts at a time), in
        order (later attempts stay later). Memory is bounded by one merged file; readers dedupe, so a crash
        in the middle (new file renamed in, old parts not yet removed) costs nothing."""
        for name in (RUNS, DAILY, CASES):
            group: list[tuple[Path, pa.Table]] = []
            rows = 0
            for p in self._parts(name):
                t = pq.read_table(p)
                group.append((p, t))
                rows += t.num_rows
                if rows >= max_rows or len(group) >= 500:
                    self._merge(name, group)
                    group, rows = [], 0
            self._merge(name, group)

    def _merge(self, name: str, group: list[tuple[Path, pa.Table]]) -> None:
        if len(group) < 2:
            return
        table = pa.concat_tables([t for _, t in group], promote_options="permissive")
        _atomic_write_table(table, self.root / name / self._part_name())
        for p, _ in group:
            p.unlink(missing_ok=True)

    def acquire_lock(self) -> None:
        """One sweep, search or calibration writes to a folder at a time. A lock left by a killed one on
        this host is taken over."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / LOCK
        me = f"{socket.gethostname()} {os.getpid()}"
        for _ in range(3):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                host, _, pid = path.read_text(encoding="utf-8").partition(" ")
                if host == socket.gethostname() and pid.isdigit() and not alive(int(pid)):
                    path.unlink(missing_ok=True)
                    continue
                raise ScenarioError(
                    f"--out {self.root}: another sweep, search or calibration (host {host}, pid {pid}) is "
                    f"writing here; if it is gone, delete {path}"
                ) from None
            with os.fdopen(fd, "w") as fh:
                fh.write(me)
            self._discard_unfinished_writes()
            return
        raise ScenarioError(f"--out {self.root}: cannot take the lock {path}")

    def _discard_unfinished_writes(self) -> None:
        """Remove temporaries that a killed sweep left mid-write. Only this store's own pattern
        (``.part-*.parquet.<hex>.tmp`` in its table folders) is touched, and only while holding the lock."""
        for name in (RUNS, DAILY, CASES):
            folder = self.root / name
            if folder.is_dir():
                for p in folder.glob(".part-*.parquet.*.tmp"):
                    p.unlink(missing_ok=True)

    def writing(self) -> bool:
        """Is a sweep writing here now (a lock held by a live process; one on another host counts)?"""
        try:
            host, _, pid = (self.root / LOCK).read_text(encoding="utf-8").partition(" ")
        except OSError:
            return False
        return host != socket.gethostname() or not pid.isdigit() or alive(int(pid))

    def release_lock(self) -> None:
        path = self.root / LOCK
        try:
            if path.read_text(encoding="utf-8") == f"{socket.gethostname()} {os.getpid()}":
                path.unlink()
        except FileNotFoundError:
            pass

    # -- reading ---------------------------------------------------------------------------------------------
    def _parts(self, name: str) -> list[Path]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("part-*.parquet"))

    def has_runs(self) -> bool:
        return bool(self._parts(RUNS))

    def meta(self) -> dict[str, Any]:
        p = self.root / META
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

    def design(self) -> pd.DataFrame | None:
        p = self.root / DESIGN
        return pd.read_parquet(p) if p.is_file() else None

    def read_runs(
        self, columns: Sequence[str] | None = None, *, ok_only: bool = False, current: bool = False
    ) -> pd.DataFrame:
        """The runs table, one row per run_id (its last recorded attempt); ``columns`` limits what is read.
        ``current`` keeps only runs of the scenarios the latest spec resolves to (``scenario_keys`` in the
        metadata): runs of an arm whose scenario has since changed (say a recalibrated baseline) are not
        mixed in."""
        keys = set(self.meta().get("scenario_keys", [])) if current else set()
        need = (
            None
            if columns is None
            else list(
                dict.fromkeys(["run_id", "attempt", "status", *columns, *(["scenario_hash"] if keys else [])])
            )
        )
        tables = []
        for p in self._parts(RUNS):
            names = pq.read_schema(p).names
            tables.append(pq.read_table(p, columns=None if need is None else [c for c in need if c in names]))
        if not tables:
            return pd.DataFrame(
                {c: pd.Series(dtype="object") for c in (need or ["run_id", "attempt", "status"])}
            )
        df = pa.concat_tables(tables, promote_options="permissive").to_pandas()
        df = df.drop_duplicates("run_id", keep="last").reset_index(drop=True)
        if keys:
            df = df[df["scenario_hash"].str[:16].isin(keys)].reset_index(drop=True)
        if ok_only:
            df = df[df["status"] == "ok"].reset_index(drop=True)
        if columns is not None:
            for c in columns:
                if c not in df:
                    df[c] = pd.NA
            df = df[list(dict.fromkeys(columns))]
        return df

    def done_ids(self) -> set[str]:
        """run_ids finished successfully."""
        runs = self.read_runs(["run_id", "status"])
        return set(runs.loc[runs["status"] == "ok", "run_id"])

    def read_daily(self, columns: Sequence[str] | None = None, *, current: bool = False) -> pd.DataFrame:
        """Daily rows of the recorded attempt of each successful run (``columns`` plus run_id, arm, day)."""
        return self._read_attached(DAILY, ["day"], columns, current)

    def read_cases(self, columns: Sequence[str] | None = None, *, current: bool = False) -> pd.DataFrame:
        """Per-case rows (specs with ``cases = true``) of the recorded attempt of each successful run."""
        return self._read_attached(CASES, ["case_id"], columns, current)

    def _read_attached(
        self, name: str, keys: list[str], columns: Sequence[str] | None, current: bool
    ) -> pd.DataFrame:
        """Rows of a table attached to runs, only those of each run's recorded attempt (no duplicates)."""
        runs = self.read_runs(["run_id", "attempt", "status"], ok_only=True, current=current)
        keep = set(runs["attempt"])
        ident = ["run_id", "attempt", "arm", "point", "replication", *keys]
        need = None if columns is None else list(dict.fromkeys([*ident, *columns]))
        frames = []
        for p in self._parts(name):
            names = pq.read_schema(p).names
            t = pq.read_table(p, columns=None if need is None else [c for c in need if c in names])
            df = t.to_pandas()
            frames.append(df[df["attempt"].isin(keep)])
        if not frames:
            return pd.DataFrame(columns=need or ["run_id", *keys])
        return pd.concat(frames, ignore_index=True)


def _runs_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    df = pd.DataFrame(list(rows))
    for c in ("error", "traceback", "worker", "status", "arm", "run_id", "attempt", "scenario_hash"):
        if c in df:
            df[c] = df[c].astype("string")
    return pa.Table.from_pandas(df, preserve_index=False)
