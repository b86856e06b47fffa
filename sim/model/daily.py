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

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model import procedure as law
from sim.model.actors.pool import backlog_days_at
from sim.model.counts import one_world_dpw, world_at, world_sums
from sim.model.events import Arrived, Closed, Hours, PleaHearing, Released, Relief
from sim.model.kernel import jit
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
_F64 = np.float64(0.0)  # the hours' zero (``world_sums``)
_DETAINED = _STATES  # the last column of ``live``: cases detained now
_IN_INVESTIGATION, _IN_REVIEW, _IN_TRIAL = (
    int(s) for s in (CaseState.INVESTIGATION, CaseState.REVIEW, CaseState.TRIAL)
)
_APPEAL_WINDOW, _SECOND_INSTANCE = int(CaseState.APPEAL_WINDOW), int(CaseState.SECOND_INSTANCE)
_BACKLOG_AT = 1 + len(ACTORS)  # the first backlog column of FLOAT_KEYS, then the running rates'
_RATES_AT = 1 + 2 * len(ACTORS)


# --- kernels: each event counted in the world of its case (``district // dpw``) -----------------------------


# A counter table is passed whole with the column to count in: a column of a table of one world is a
# contiguous array, of several worlds a strided one, and each would compile the kernel once.


@jit
def _tally(district: Any, rows: Any, dpw: int, table: Any, col: int, step: int) -> None:
    """Add ``step`` per row to ``table[:, col]`` (one row per world) at the row's world."""
    for i in range(rows.shape[0]):
        table[world_at(district, rows[i], dpw), col] += step


@jit
def _shift_states(district: Any, state: Any, rows: Any, dpw: int, live: Any, step: int) -> None:
    """Add ``step`` per row to the count of its world and state."""
    for i in range(rows.shape[0]):
        r = rows[i]
        live[world_at(district, r, dpw), state[r]] += step


@jit
def _arrived(district: Any, detained: Any, rows: Any, dpw: int, arrivals: Any, live: Any) -> None:
    for i in range(rows.shape[0]):
        r = rows[i]
        w = world_at(district, r, dpw)
        arrivals[w] += 1
        live[w, _IN_INVESTIGATION] += 1
        if detained[r]:
            live[w, _DETAINED] += 1


@jit
def _hours(district: Any, rows: Any, hours: Any, dpw: int, worlds: int, table: Any, col: int) -> None:
    n = rows.shape[0]
    world = np.empty(n, dtype=np.int64)
    for i in range(n):
        world[i] = world_at(district, rows[i], dpw)
    sums = world_sums(worlds, world, hours, _F64)
    for w in range(worlds):
        table[w, col] += sums[w]


@jit
def _relief(district: Any, rows: Any, reasons: Any, essential: Any, dpw: int, table: Any, rtype: int) -> None:
    """``table``: the day's relief events, (worlds, relief types, 2) by essentiality."""
    for i in range(rows.shape[0]):
        ess = ESSENTIAL_COL if essential[reasons[i]] else NONESSENTIAL_COL
        table[world_at(district, rows[i], dpw), rtype, ess] += 1


@jit
def _close_day(
    arrivals: Any, live: Any, closed: Any, signed: Any, relief: Any, hours: Any, warmup: float, backlogs: Any,
    rates: Any, ints: Any, floats: Any,
) -> None:  # fmt: skip
    """Fill the day's whole-number keys (``INT_KEYS``) and real-valued ones (``FLOAT_KEYS``: the warm-up
    flag, hours, each pool's backlog days ``pool.backlog_days_at``, the running rates) of every world, then
    reset the day's counts. ``backlogs``: each pool's (backlog, capacity) in ``ACTORS`` order."""
    worlds = ints.shape[0]
    for w in range(worlds):
        floats[w, 0] = warmup
        for a in range(len(backlogs)):
            backlog, capacity = backlogs[a]
            floats[w, _BACKLOG_AT + a] = backlog_days_at(backlog, capacity, w, worlds)
        for j in range(rates.shape[1]):
            floats[w, _RATES_AT + j] = rates[w, j]
        ints[w, 0] = arrivals[w]
        ints[w, 1] = live[w, _IN_INVESTIGATION]
        ints[w, 2] = live[w, _IN_REVIEW]
        ints[w, 3] = live[w, _IN_TRIAL]
        ints[w, 4] = live[w, _APPEAL_WINDOW] + live[w, _SECOND_INSTANCE]
        total = 0
        for s in range(closed.shape[1]):
            total += closed[w, s]
        ints[w, 5] = total
        ints[w, 6] = live[w, _DETAINED]
        ints[w, 7] = signed[w]
        essential = nonessential = 0
        for t in range(relief.shape[1]):
            essential += relief[w, t, ESSENTIAL_COL]
            nonessential += relief[w, t, NONESSENTIAL_COL]
            ints[w, 10 + t] = relief[w, t, 0] + relief[w, t, 1]
            relief[w, t, 0] = relief[w, t, 1] = 0
        ints[w, 8] = essential
        ints[w, 9] = nonessential
        for a in range(hours.shape[1]):
            floats[w, 1 + a] = hours[w, a]
            hours[w, a] = 0.0
        arrivals[w] = signed[w] = 0


class DailySeries:
    """Observer of every event the daily series counts; ``record_day`` closes the day."""

    def __init__(self, model: LeniencyModel) -> None:
        self.model = model
        self.worlds = k = model.worlds
        self.dpw = one_world_dpw(model)  # the kernels' districts per world (``world_at``)
        # cases in each state (open states meaningful), then cases detained now; warm-up included
        self.live = np.zeros((k, _STATES + 1), dtype=np.int64)
        self.closed = np.zeros((k, _STATES), dtype=np.int64)  # cases closed so far, by closing state
        self.arrivals = np.zeros(k, dtype=np.int64)  # the day's counts, reset by record_day
        self.signed = np.zeros(k, dtype=np.int64)
        self._signed_table = self.signed.reshape(k, 1)  # a view: ``_tally`` counts in a table's column
        self.hours = np.zeros((k, len(ACTORS)))
        self.relief = np.zeros((k, len(ReliefType), 2), dtype=np.int64)
        self.today: dict[str, float] = dict.fromkeys(DAILY_KEYS, 0.0)
        self.days: list[tuple[np.ndarray, np.ndarray]] = []  # each day's (INT_KEYS, FLOAT_KEYS) by world
        # the running rates, recomputed only when the summary's counters have changed (``Counts.version``)
        self.rates = np.zeros((k, len(RUNNING_RATES)))
        # each pool's backlog and capacity (updated in place), in ACTORS order: the backlog days of the day
        pools = (model.prosecutors, model.lawyers, model.judges)
        self.backlogs = tuple((pool.backlog, pool.capacity) for pool in pools)
        self.rates_version = -1

    def leave(self, rows: np.ndarray) -> None:
        """The rows due today leave their state (``enter`` counts them in their new one)."""
        d = self.model.docket
        _shift_states(d.district, d.state, rows, self.dpw, self.live, -1)

    def enter(self, rows: np.ndarray) -> None:
        d = self.model.docket
        _shift_states(d.district, d.state, rows, self.dpw, self.live, 1)

    # --- events ---------------------------------------------------------------------------------------------
    def on_arrived(self, event: Arrived) -> None:
        d = self.model.docket
        _arrived(d.district, d.detained, event.rows, self.dpw, self.arrivals, self.live)

    def on_hours(self, event: Hours) -> None:
        col, dpw = ACTORS.index(event.actor), self.dpw
        _hours(self.model.docket.district, event.rows, event.hours, dpw, self.worlds, self.hours, col)

    def on_relief(self, event: Relief) -> None:
        d, dpw = self.model.docket, self.dpw
        _relief(d.district, event.rows, event.reasons, ESSENTIAL, dpw, self.relief, int(event.rtype))

    def on_plea_hearing(self, event: PleaHearing) -> None:
        dpw = self.dpw
        _tally(self.model.docket.district, event.signed, dpw, self._signed_table, 0, 1)

    def on_released(self, event: Released) -> None:
        dpw = self.dpw
        _tally(self.model.docket.district, event.rows, dpw, self.live, _DETAINED, -1)

    def on_closed(self, event: Closed) -> None:
        dpw = self.dpw
        _tally(self.model.docket.district, event.rows, dpw, self.closed, int(event.state), 1)

    # --- the day's record -----------------------------------------------------------------------------------
    def record_day(self) -> None:
        """Keep the day's row of every world, fill ``today`` with the first world's, and reset the day's
        counts."""
        m, k = self.model, self.worlds
        ints = np.empty((k, len(INT_KEYS)), dtype=np.int64)
        floats = np.empty((k, len(FLOAT_KEYS)))
        counts = m.books.counts
        if counts.version != self.rates_version:  # the rates follow from the counters alone
            # one world's as plain numbers (the same divisions, without numpy's per-call cost)
            rates = running_rates(counts.first if k == 1 else counts.by_world)
            for i, key in enumerate(RUNNING_RATES):
                self.rates[:, i] = rates[key]
            self.rates_version = counts.version
        _close_day(
            self.arrivals, self.live, self.closed, self.signed, self.relief, self.hours,
            float(m.day < m.count_from), self.backlogs, self.rates, ints, floats,
        )  # fmt: skip
        self.days.append((ints, floats))
        self.today.update(zip(INT_KEYS, ints[0].tolist(), strict=True))
        self.today.update(zip(FLOAT_KEYS, floats[0].tolist(), strict=True))

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
