"""Actor pools: the vectorized state of one actor type (capacity, a FIFO backlog of hours, work done), and the
Mesa agent that is the public face of one row of a pool."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


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
        np.subtract(self.backlog, self.capacity, out=self.backlog)
        np.maximum(self.backlog, 0.0, out=self.backlog)

    def backlog_days(self, worlds: int) -> np.ndarray:
        """Days of work queued across each world's actors (the daily series' backlog figure); a batched
        model's pool holds its worlds' actors in blocks of equal size."""
        return self.backlog.reshape(worlds, -1).sum(axis=1) / self.capacity.reshape(worlds, -1).sum(axis=1)

    def book(
        self, actors: np.ndarray, std_hours: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Queue tasks FIFO per actor. Returns (wait days, hours spent, time factor).

        Overloaded actors cut corners: time per task shrinks by 1 / (1 + c * (load - 1)), and what remains
        queues behind the actor's backlog.
        """
        n = len(actors)
        if n == 0:
            z = np.zeros(0)
            return z.astype(np.int32), z, z
        backlog, capacity = self.backlog[actors], self.capacity[actors]
        over = np.maximum(backlog / (capacity * self.horizon) - 1.0, 0.0)  # load above horizon days of work
        tf = 1.0 / (1.0 + self.corner_cutting * over)
        hours = np.asarray(std_hours, dtype=np.float64) * tf
        if n == 1:
            wait = np.floor(backlog / capacity).astype(np.int32)
        else:
            # A stable sort keeps FIFO order within an actor; on 16-bit keys numpy's stable sort is a radix
            # sort.
            keys = actors.astype(np.uint16) if n > 64 and self.n <= 65536 else actors
            order = np.argsort(keys, kind="stable")
            a_sorted, h_sorted = actors[order], hours[order]
            excl = np.cumsum(h_sorted)
            excl -= h_sorted  # hours booked before each task in this batch
            first = np.empty(n, dtype=bool)  # first task of its actor in sorted order
            first[0] = True
            np.not_equal(a_sorted[1:], a_sorted[:-1], out=first[1:])
            start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
            before = excl - excl[start]  # hours queued before the task by earlier tasks of the same actor
            wait = np.empty(n, dtype=np.int32)
            wait[order] = np.floor((backlog[order] + before) / capacity[order])
        np.add.at(self.backlog, actors, hours)
        np.add.at(self.hours_done, actors, hours)
        np.add.at(self.cases, actors, 1)
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
