"""Actor pools: the vectorized state of one actor type (capacity, a FIFO backlog of hours, work done), and the
Mesa agent that is the public face of one row of a pool."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.counts import pairwise_sum
from sim.model.kernel import helper, jit

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


@jit
def book_kernel(
    backlog: np.ndarray,
    capacity: np.ndarray,
    hours_done: np.ndarray,
    cases: np.ndarray,
    actors: np.ndarray,
    std_hours: np.ndarray,
    corner_cutting: float,
    horizon: float,
    wait: np.ndarray,
    hours: np.ndarray,
    tf: np.ndarray,
) -> None:
    """``ActorPool.book`` on the pool's columns; fills ``wait``, ``hours`` and ``tf`` (one per task).
    ``std_hours`` holds one value per task, or one for all."""
    n = actors.shape[0]
    one = std_hours.shape[0] != n
    for i in range(n):  # every task sees the backlog as it stood before this batch
        a = actors[i]
        over = backlog[a] / (capacity[a] * horizon) - 1.0  # load above horizon days of work
        if over < 0.0:
            over = 0.0
        tf[i] = 1.0 / (1.0 + corner_cutting * over)
        hours[i] = std_hours[0 if one else i] * tf[i]
    # FIFO per actor: the hours queued before a task by earlier tasks of its actor, summed as the running
    # total over the batch in (actor, arrival) order less that total at the actor's first task (the bits of
    # numpy's exclusive cumsum over a stable sort). The order is a counting sort over the pool's actors:
    # stable, so the same order as numpy's mergesort (which compiled for ~1.5 s)
    slot = np.zeros(backlog.shape[0] + 1, dtype=np.int64)  # then each actor's next place in ``order``
    for i in range(n):
        slot[actors[i] + 1] += 1
    for a in range(backlog.shape[0]):
        slot[a + 1] += slot[a]
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        a = actors[i]
        order[slot[a]] = i
        slot[a] += 1
    total = 0.0
    first_excl = 0.0
    prev = -1
    for k in range(n):
        i = order[k]
        a = actors[i]
        total += hours[i]
        excl = total - hours[i]
        if k == 0 or a != prev:
            first_excl = excl
            prev = a
        wait[i] = np.int32(math.floor((backlog[a] + (excl - first_excl)) / capacity[a]))
    for i in range(n):  # in task order, as np.add.at
        a = actors[i]
        backlog[a] += hours[i]
        hours_done[a] += hours[i]
        cases[a] += 1


@jit
def end_day_kernel(backlog: np.ndarray, capacity: np.ndarray) -> None:
    """Work off one day of capacity (an empty backlog stays empty)."""
    for i in range(backlog.shape[0]):
        b = backlog[i] - capacity[i]
        if b < 0.0:
            b = 0.0
        backlog[i] = b


@helper
def backlog_days_at(backlog: np.ndarray, capacity: np.ndarray, w: int, worlds: int) -> float:
    """World ``w``'s backlog over its capacity (worlds hold equal blocks of actors), summed as numpy's
    ``reshape(worlds, -1).sum(axis=1)`` sums."""
    n = backlog.shape[0] // worlds
    lo, hi = w * n, (w + 1) * n
    return pairwise_sum(backlog[lo:hi], 0.0) / pairwise_sum(capacity[lo:hi], 0.0)


_NO_WAIT, _NO_HOURS = np.empty(0, dtype=np.int32), np.empty(0)  # what booking no task gives


class ActorPool:
    """Capacity, FIFO backlog of hours and work done of every actor of one type."""

    def __init__(self, n: int, hours_per_day: float, corner_cutting: float, horizon_days: float) -> None:
        self.n = n
        self.capacity = np.full(n, hours_per_day, dtype=np.float64)
        self.backlog = np.zeros(n, dtype=np.float64)
        self.hours_done = np.zeros(n, dtype=np.float64)
        self.cases = np.zeros(n, dtype=np.int64)
        self.corner_cutting = corner_cutting
        self.horizon = horizon_days

    def end_day(self) -> None:
        """Work off one day of capacity."""
        end_day_kernel(self.backlog, self.capacity)

    def book(
        self, actors: np.ndarray, std_hours: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Queue tasks FIFO per actor. Returns (wait days, hours spent, time factor).

        Overloaded actors cut corners: time per task shrinks by 1 / (1 + c * (load - 1)), and what remains
        queues behind the actor's backlog.
        """
        n = len(actors)
        if not n:
            return _NO_WAIT, _NO_HOURS, _NO_HOURS
        wait = np.empty(n, dtype=np.int32)
        hours, tf = np.empty(n), np.empty(n)
        std = np.asarray(std_hours, dtype=np.float64).reshape(-1)
        actors = np.asarray(actors, dtype=np.int32)  # as the docket's columns: one compiled kernel
        book_kernel(
            self.backlog, self.capacity, self.hours_done, self.cases, actors, std,
            self.corner_cutting, self.horizon, wait, hours, tf,
        )  # fmt: skip
        return wait, hours, tf


class PoolAgent(mesa.Agent):
    """A Mesa agent standing for one row of its type's ActorPool (``pool_name`` names the model's pool)."""

    pool_name = ""

    def __init__(self, model: LeniencyModel, idx: int, district: int) -> None:
        super().__init__(model)
        self.idx = idx
        self.district = district

    @property
    def pool(self) -> ActorPool:
        return getattr(self.model, self.pool_name)

    @property
    def hours_worked(self) -> float:
        return float(self.pool.hours_done[self.idx])

    @property
    def cases_handled(self) -> int:
        return int(self.pool.cases[self.idx])
