"""Counters kept per world: every ``Count`` as an array with one row per world.

A model usually holds one world. A batched model (``LeniencyModel(worlds=K)``) holds K independent copies of
the scenario's districts in one docket, so the cost of a simulated day is paid once for all K; its bookkeeping
then counts every event in the world of the case it concerns, and ``tally(k)`` gives world k's ``Tally``,
from which ``summarise`` forms its figures exactly as for an unbatched run.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from sim.model.ledger import Count, Tally, zeros


class PerWorld:
    """Sums over docket rows, one per world (``world_of(rows)``: each row's world). The one path for any
    number of worlds; with one world a sum is numpy's (pairwise) sum of the rows, the arithmetic an unbatched
    run has always had, and a batch sums each world's rows in order (a weighted bincount): the two differ
    in the last bits of a float, so both are kept to leave every figure unchanged to the bit."""

    def __init__(self, worlds: int, world_of: Callable[[np.ndarray], np.ndarray]) -> None:
        self.worlds = worlds
        self.world_of = world_of
        # the row of every world in an array kept per world: 0 with one world (numpy's scalar arithmetic,
        # several times cheaper than a ufunc on a one-element array, and the same sums), else all rows
        self.each: int | slice = 0 if worlds == 1 else slice(None)

    def count(self, rows: np.ndarray) -> np.ndarray | int:
        """The number of rows in each world."""
        if self.worlds == 1:
            return len(rows)
        return np.bincount(self.world_of(rows), minlength=self.worlds)

    def sum(self, rows: np.ndarray, values: np.ndarray, dtype: Any = np.float64) -> Any:
        """Each world's sum of ``values`` (one per row), as ``dtype`` (a batch sums in floats, exact for
        integer counts)."""
        if self.worlds == 1:
            return values.sum()
        return np.bincount(self.world_of(rows), weights=values, minlength=self.worlds).astype(
            dtype, copy=False
        )


class Counts(PerWorld):
    """The counters of each of ``worlds`` worlds: ``arrays[c]`` is ``Count`` c with one row per world."""

    def __init__(self, worlds: int, world_of: Callable[[np.ndarray], np.ndarray]) -> None:
        super().__init__(worlds, world_of)
        self.arrays: list[np.ndarray] = [zeros(c, worlds) for c in Count]
        # every counter by name with one value per world (what ``running_rates`` reads elementwise); the
        # arrays are only ever added to in place, so this view stays current
        self.by_world = SimpleNamespace(
            **{c.name.lower(): a for c, a in zip(Count, self.arrays, strict=True)}
        )

    def add(self, c: Count, rows: np.ndarray, values: np.ndarray | None = None) -> None:
        """Add one per row (``values`` None) or each row's value to a counter that is one number."""
        a = self.arrays[c]
        a[self.each] += self.count(rows) if values is None else self.sum(rows, values, a.dtype)

    def add_scalar(self, c: Count, rows: np.ndarray, index: tuple[int, ...], values: np.ndarray) -> None:
        """Add the rows' values, all at one ``index`` of a table, as one sum per world."""
        a = self.arrays[c]
        at: Any = (self.each, *index)
        a[at] += self.sum(rows, values, a.dtype)

    def add_at(
        self, c: Count, rows: np.ndarray, index: tuple[np.ndarray | int, ...], values: np.ndarray | int
    ) -> None:
        """``np.add.at`` into a table, each row at its own ``index`` in its own world."""
        at: Any = (self.world_of(rows), *index)
        np.add.at(self.arrays[c], at, values)

    def tally(self, world: int) -> Tally:
        """World ``world``'s counters as a fresh ``Tally`` (plain Python numbers, arrays copied)."""
        values: list[Any] = [a[world].copy() if a.ndim > 1 else a[world].item() for a in self.arrays]
        return Tally(*values)

    def pooled(self) -> Tally:
        """All worlds' counters summed."""
        values: list[Any] = [a.sum(axis=0) if a.ndim > 1 else a.sum().item() for a in self.arrays]
        return Tally(*values)
