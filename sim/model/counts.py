"""Counters kept per world: every ``Count`` as an array with one row per world, and the sums the compiled
bookkeeping kernels add to them.

A model usually holds one world. A batched model (``LeniencyModel(worlds=K)``) holds K independent copies of
the scenario's districts in one docket, so the cost of a simulated day is paid once for all K; its bookkeeping
then counts every event in the world of the case it concerns (``district // districts_per_world``), and
``tally(k)`` gives world k's ``Tally``, from which ``summarise`` forms its figures exactly as for an unbatched
run.

Sums of real numbers keep the arithmetic each kind of run has always had, to the bit: with one world numpy's
pairwise sum of the rows (``ndarray.sum``), in a batch each world's rows in order (a weighted bincount).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.kernel import helper
from sim.model.ledger import Count, Tally, zeros

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

_BLOCK = 128  # numpy's pairwise block (PW_BLOCKSIZE)


def one_world_dpw(model: LeniencyModel) -> int:
    """The districts per world a counting kernel takes: 0 for an unbatched model (``world_at``)."""
    return model.districts_per_world if model.worlds > 1 else 0


@helper
def world_at(district: Any, r: int, dpw: int) -> int:
    """Docket row ``r``'s world: its district's block of ``dpw`` districts. ``dpw`` 0 stands for one world,
    whose rows are all in world 0: the district is not read (a scattered read, a cache miss per row at
    national scale, saved)."""
    return 0 if dpw == 0 else district[r] // dpw


@helper
def _block_sum(values: Any, lo: int, n: int, zero: Any) -> Any:
    """numpy's sum of at most 128 values: 8 accumulators over whole groups of 8, combined pairwise, then the
    rest in order (fewer than 8 values: in order)."""
    if n < 8:
        res = zero
        for i in range(n):
            res += values[lo + i]
        return res
    r0, r1, r2, r3 = values[lo], values[lo + 1], values[lo + 2], values[lo + 3]
    r4, r5, r6, r7 = values[lo + 4], values[lo + 5], values[lo + 6], values[lo + 7]
    i, end = 8, n - n % 8
    while i < end:
        j = lo + i
        r0 += values[j]
        r1 += values[j + 1]
        r2 += values[j + 2]
        r3 += values[j + 3]
        r4 += values[j + 4]
        r5 += values[j + 5]
        r6 += values[j + 6]
        r7 += values[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += values[lo + i]
        i += 1
    return res


@helper
def pairwise_sum(values: Any, zero: Any) -> Any:
    """``values.sum()`` exactly as numpy forms it (``pairwise_sum`` of its umath loops): blocks of at most 128
    (``_block_sum``), the halves (the first a multiple of 8) of a longer run summed apart and added. ``zero``
    (0 of the values' dtype) sets the accumulators' type: float32 values sum in float32, as numpy's do. The
    halving runs on an explicit stack (a cached recursive kernel is not safe in numba)."""
    n = values.shape[0]
    if n <= _BLOCK:
        # the start as ``n``'s type: a literal 0 would compile another specialization of ``_block_sum``
        return _block_sum(values, n - n, n, zero)
    starts = np.empty(64, dtype=np.int64)  # frames: (start, length, phase), depth < log2(n)
    lengths = np.empty(64, dtype=np.int64)
    phases = np.empty(64, dtype=np.int64)
    sums = np.empty(64, dtype=values.dtype)  # the sums of finished halves, a stack
    starts[0], lengths[0], phases[0] = 0, n, 0
    top, done = 1, 0
    while top:
        f = top - 1
        start, length = starts[f], lengths[f]
        half = length // 2
        half -= half % 8
        if length <= _BLOCK:
            sums[done] = _block_sum(values, start, length, zero)
            done += 1
            top -= 1
        elif phases[f] == 0:  # the first half
            phases[f] = 1
            starts[top], lengths[top], phases[top] = start, half, 0
            top += 1
        elif phases[f] == 1:  # then the second
            phases[f] = 2
            starts[top], lengths[top], phases[top] = start + half, length - half, 0
            top += 1
        else:  # both done: their sum
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
            top -= 1
    return sums[0]


@helper
def world_sums(worlds: int, world: Any, values: Any, zero: Any) -> Any:
    """Each world's sum of ``values`` (``world[i]``: value i's world), in float64: numpy's pairwise sum with
    one world (in the values' dtype, then widened), each world's values in order in float64 in a batch (as
    ``np.bincount`` weighs).

    Callers pass whole C-contiguous arrays (a slice ``values[:k]`` is one): every caller's arguments then
    have one of two types (float64 or float32 values), each compiled once."""
    acc = np.zeros(worlds)
    if worlds == 1:
        acc[0] = pairwise_sum(values, zero)
        return acc
    for i in range(values.shape[0]):
        acc[world[i]] += float(values[i])
    return acc


_BY_NAME = {c.name.lower(): c for c in Count}  # what ``FirstWorld`` reads by name


class FirstWorld:
    """The first world's counters by name, read when asked (numpy scalars, a table as a view): what a
    formula of ``sim.model.metrics`` reads of an unbatched model without numpy's per-call cost on
    one-element arrays, and without copying a whole ``Tally``."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays

    def __getattr__(self, name: str) -> Any:
        c = _BY_NAME.get(name)
        if c is None:
            raise AttributeError(name)
        return self.arrays[c][0]


class Counts:
    """The counters of each of ``worlds`` worlds: ``arrays[c]`` is ``Count`` c with one row per world.
    ``version`` grows whenever a counter may have changed (what the daily series' running rates follow)."""

    def __init__(self, worlds: int) -> None:
        self.worlds = worlds
        self.arrays: list[np.ndarray] = [zeros(c, worlds) for c in Count]
        self.version = 0
        # every counter by name with one value per world (what ``running_rates`` reads elementwise); the
        # arrays are only ever added to in place, so this view stays current
        self.by_world = SimpleNamespace(
            **{c.name.lower(): a for c, a in zip(Count, self.arrays, strict=True)}
        )
        self.first = FirstWorld(self.arrays)

    def tally(self, world: int) -> Tally:
        """World ``world``'s counters as a fresh ``Tally`` (plain Python numbers, arrays copied)."""
        values: list[Any] = [a[world].copy() if a.ndim > 1 else a[world].item() for a in self.arrays]
        return Tally(*values)

    def pooled(self) -> Tally:
        """All worlds' counters summed."""
        values: list[Any] = [a.sum(axis=0) if a.ndim > 1 else a.sum().item() for a in self.arrays]
        return Tally(*values)
