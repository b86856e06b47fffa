"""Counters kept per world: every field of ``Tally`` as an array with one row per world.

A model usually holds one world. A batched model (``LeniencyModel(worlds=K)``) holds K independent copies of
the scenario's districts in one docket, so the cost of a simulated day is paid once for all K; its bookkeeping
then counts every event in the world of the case it concerns, and ``tally(k)`` gives world k's ``Tally``,
from which ``summarise`` forms its figures exactly as for an unbatched run.

With one world the additions are the very arithmetic of a scalar tally (same order, same float sums), so an
unbatched run's figures do not change by a bit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import numpy as np

from sim.model.ledger import Tally

_PROTO = Tally()
TALLY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Tally))


def _zeros(name: str, worlds: int) -> np.ndarray:
    proto = getattr(_PROTO, name)
    if isinstance(proto, np.ndarray):
        return np.zeros((worlds, *proto.shape), dtype=proto.dtype)
    return np.zeros(worlds, dtype=np.float64 if isinstance(proto, float) else np.int64)


class Counts:
    """The tally of each of ``worlds`` worlds; ``world_of(rows)`` maps docket rows to their world."""

    def __init__(self, worlds: int, world_of: Callable[[np.ndarray], np.ndarray]) -> None:
        self.worlds = worlds
        self.world_of = world_of
        self.arrays: dict[str, np.ndarray] = {f: _zeros(f, worlds) for f in TALLY_FIELDS}

    def add(self, name: str, rows: np.ndarray, values: np.ndarray | None = None) -> None:
        """Add one per row (``values`` None) or each row's value to a scalar counter."""
        a = self.arrays[name]
        if self.worlds == 1:
            a[0] += len(rows) if values is None else values.sum()
            return
        w = self.world_of(rows)
        if values is None:
            a += np.bincount(w, minlength=self.worlds)
        elif a.dtype.kind == "f":
            a += np.bincount(w, weights=values, minlength=self.worlds)
        else:
            np.add.at(a, w, values)

    def add_scalar(self, name: str, rows: np.ndarray, index: tuple[int, ...], values: np.ndarray) -> None:
        """Add the rows' values (all at one ``index`` of an array counter) as one sum per world."""
        a = self.arrays[name]
        if self.worlds == 1:
            a[(0, *index)] += values.sum()
            return
        sums = np.bincount(self.world_of(rows), weights=values, minlength=self.worlds)
        at: Any = (slice(None), *index)
        a[at] += sums if a.dtype.kind == "f" else sums.astype(a.dtype)

    def add_at(
        self, name: str, rows: np.ndarray, index: tuple[np.ndarray | int, ...], values: np.ndarray | int
    ) -> None:
        """``np.add.at`` into an array counter, each row at its own ``index`` in its own world."""
        a = self.arrays[name]
        at: Any = index if self.worlds == 1 else (self.world_of(rows), *index)
        np.add.at(a[0] if self.worlds == 1 else a, at, values)

    def tally(self, world: int) -> Tally:
        """World ``world``'s counters as a fresh ``Tally`` (plain Python numbers, arrays copied)."""
        out = Tally()
        for name in TALLY_FIELDS:
            v = self.arrays[name][world]
            setattr(out, name, v.copy() if v.ndim else v.item())
        return out

    def pooled(self) -> Tally:
        """All worlds' counters summed (the daily series of a batched model)."""
        if self.worlds == 1:
            return self.tally(0)
        out = Tally()
        for name in TALLY_FIELDS:
            v = self.arrays[name].sum(axis=0)
            setattr(out, name, v if v.ndim else v.item())
        return out
