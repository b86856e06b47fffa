"""The daily series of every world: one row per day per world, for any number of worlds (an unbatched model is
a batch of one).

Every key of ``DAILY_KEYS`` is kept with one value per world: the day's events counted in the world of their
case (every case, warm-up included), the cases in each state and detained now (running counts the day's
due rows keep current, not a scan of the docket), each world's own actors' backlogs, and the running rates
by ``sim.model.metrics.running_rates`` from the world's counters. ``frames`` gives one frame per world;
``today`` is the first world's day as plain numbers, what Mesa's DataCollector (the app, ``mesa.batch_run``)
reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model import procedure as law
from sim.model.counts import PerWorld
from sim.model.events import Arrived, Closed, Hours, PleaHearing, Released, Relief
from sim.model.ledger import ACTORS, ESSENTIAL_COL, NONESSENTIAL_COL
from sim.model.metrics import running_rates
from sim.model.procedure import CaseState
from sim.model.relief import ESSENTIAL, ReliefType

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

RUNNING_RATES = ("application_rate", "adoption_rate", "relief_rate_essential", "relief_rate_nonessential")
# whole numbers of cases or events (int64 columns), then real-valued figures (float64 columns)
INT_KEYS: tuple[str, ...] = (
    "arrivals",
    "in_investigation",
    "in_review",
    "in_trial",
    "in_appeal",
    "closed_total",
    "detained_now",
    "signed_today",
    "relief_essential_today",
    "relief_nonessential_today",
    *(f"relief_{t.name.lower()}_today" for t in ReliefType),
)
FLOAT_KEYS: tuple[str, ...] = (
    "warmup",
    *(f"hours_{a}_today" for a in ACTORS),
    *(f"backlog_days_{a}" for a in ACTORS),
    *RUNNING_RATES,
)
DAILY_KEYS: tuple[str, ...] = (
    "arrivals",
    "warmup",
    *INT_KEYS[1:],
    *FLOAT_KEYS[1:],
)
_STATES = len(CaseState)
_DETAINED = _STATES  # the last column of ``live``: cases detained now
_IN = [CaseState.INVESTIGATION, CaseState.REVIEW, CaseState.TRIAL]
_HOURS = slice(1, 1 + len(ACTORS))
_BACKLOG = slice(1 + len(ACTORS), 1 + 2 * len(ACTORS))
_RATES = slice(1 + 2 * len(ACTORS), len(FLOAT_KEYS))


class DailySeries(PerWorld):
    """Observer of every event the daily series counts; ``record_day`` closes the day."""

    def __init__(self, model: LeniencyModel) -> None:
        super().__init__(model.worlds, model.world_of)
        self.model = model
        k = model.worlds
        # cases in each state (open states meaningful), then cases detained now; warm-up included
        self.live = np.zeros((k, _STATES + 1), dtype=np.int64)
        self.closed = np.zeros((k, _STATES), dtype=np.int64)  # cases closed so far, by closing state
        self.arrivals = np.zeros(k, dtype=np.int64)  # the day's counts, reset by record_day
        self.signed = np.zeros(k, dtype=np.int64)
        self.hours = np.zeros((k, len(ACTORS)))
        self.relief = np.zeros((k, len(ReliefType), 2), dtype=np.int64)
        self.today: dict[str, float] = dict.fromkeys(DAILY_KEYS, 0.0)
        self.days: list[tuple[np.ndarray, np.ndarray]] = []  # each day's (INT_KEYS, FLOAT_KEYS) by world

    def states(self, rows: np.ndarray) -> np.ndarray:
        """The rows by world and state, (worlds, states)."""
        key = self.world_of(rows) * _STATES + self.model.docket.state[rows]
        return np.bincount(key, minlength=self.worlds * _STATES).reshape(self.worlds, _STATES)

    def leave(self, rows: np.ndarray) -> None:
        """The rows due today leave their state (``enter`` counts them in their new one)."""
        self.live[:, :_STATES] -= self.states(rows)

    def enter(self, rows: np.ndarray) -> None:
        self.live[:, :_STATES] += self.states(rows)

    # --- events ---------------------------------------------------------------------------------------------
    def on_arrived(self, event: Arrived) -> None:
        rows, w = event.rows, self.each
        n = self.count(rows)
        self.arrivals[w] += n
        self.live[w, CaseState.INVESTIGATION] += n
        self.live[w, _DETAINED] += self.count(rows[self.model.docket.detained[rows]])

    def on_hours(self, event: Hours) -> None:
        self.hours[self.each, ACTORS.index(event.actor)] += self.sum(event.rows, event.hours)

    def on_relief(self, event: Relief) -> None:
        key = self.world_of(event.rows) * 2 + np.where(
            ESSENTIAL[event.reasons], ESSENTIAL_COL, NONESSENTIAL_COL
        )
        per_world = np.bincount(key, minlength=2 * self.worlds).reshape(self.worlds, 2)
        self.relief[self.each, event.rtype] += per_world[self.each]

    def on_plea_hearing(self, event: PleaHearing) -> None:
        self.signed[self.each] += self.count(event.signed)

    def on_released(self, event: Released) -> None:
        self.live[self.each, _DETAINED] -= self.count(event.rows)

    def on_closed(self, event: Closed) -> None:
        self.closed[self.each, event.state] += self.count(event.rows)

    # --- the day's record -----------------------------------------------------------------------------------
    def record_day(self) -> None:
        """Keep the day's row of every world, fill ``today`` with the first world's, and reset the day's
        counts."""
        m, k, live = self.model, self.worlds, self.live
        ints = np.empty((k, len(INT_KEYS)), dtype=np.int64)
        ints[:, 0] = self.arrivals
        ints[:, 1:4] = live[:, _IN]
        ints[:, 4] = live[:, CaseState.APPEAL_WINDOW] + live[:, CaseState.SECOND_INSTANCE]
        ints[:, 5] = self.closed.sum(axis=1)
        ints[:, 6] = live[:, _DETAINED]
        ints[:, 7] = self.signed
        ints[:, 8] = self.relief[:, :, ESSENTIAL_COL].sum(axis=1)
        ints[:, 9] = self.relief[:, :, NONESSENTIAL_COL].sum(axis=1)
        ints[:, 10:] = self.relief.sum(axis=2)
        floats = np.empty((k, len(FLOAT_KEYS)))
        floats[:, 0] = float(m.day < m.count_from)
        floats[:, _HOURS] = self.hours
        for i, pool in enumerate((m.prosecutors, m.lawyers, m.judges)):
            floats[:, _BACKLOG.start + i] = pool.backlog_days(k)
        rates = running_rates(m.books.counts.by_world)
        for i, key in enumerate(RUNNING_RATES):
            floats[:, _RATES.start + i] = rates[key]
        self.days.append((ints, floats))
        self.today.update(zip(INT_KEYS, ints[0].tolist(), strict=True))
        self.today.update(zip(FLOAT_KEYS, floats[0].tolist(), strict=True))
        for acc in (self.arrivals, self.signed, self.hours, self.relief):
            acc[...] = 0

    def closed_by_state(self) -> dict[CaseState, int]:
        """Cases closed so far in each closing state, all worlds together."""
        total = self.closed.sum(axis=0)
        return {s: int(total[s]) for s in law.CLOSED_STATES}

    def frames(self) -> list[pd.DataFrame]:
        """One daily frame per world: ``day`` then every key of ``DAILY_KEYS``."""
        k, days = self.worlds, len(self.days)
        ints = np.stack([i for i, _ in self.days]) if days else np.zeros((0, k, len(INT_KEYS)), np.int64)
        floats = np.stack([f for _, f in self.days]) if days else np.zeros((0, k, len(FLOAT_KEYS)))
        where = {key: (ints, j) for j, key in enumerate(INT_KEYS)}
        where.update({key: (floats, j) for j, key in enumerate(FLOAT_KEYS)})
        out = []
        for w in range(k):
            cols: dict[str, np.ndarray] = {"day": np.arange(days)}
            for key in DAILY_KEYS:
                block, j = where[key]
                cols[key] = block[:, w, j]
            out.append(pd.DataFrame(cols))
        return out
