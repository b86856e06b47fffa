"""The daily series of each world of a batched model (``LeniencyModel(worlds=K)``).

Every key of ``DAILY_KEYS`` is kept with one value per world: the day's events counted in the world of
their case, the states read from the docket at the end of the day, each world's own actors' backlogs, and
the running rates by ``sim.model.metrics.running_rates`` from the world's counters. ``frames`` splits the
collected days into one frame per world, shaped as an unbatched run's daily series.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.bookkeeping import DAILY_KEYS, RUNNING_RATES
from sim.model.ledger import ACTORS, ESSENTIAL_COL, NONESSENTIAL_COL
from sim.model.metrics import running_rates
from sim.model.procedure import CaseState, Stage
from sim.model.relief import ESSENTIAL, ReliefType

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

_STATES = len(CaseState)


class WorldDays:
    """Observer of a batched model's events; ``record_day`` fills ``today`` with one array per key."""

    def __init__(self, model: LeniencyModel) -> None:
        self.model = model
        k = model.worlds
        self.arrivals = np.zeros(k, dtype=np.int64)
        self.signed = np.zeros(k, dtype=np.int64)
        self.closed = np.zeros(k, dtype=np.int64)  # cumulative, warm-up included
        self.hours = np.zeros((k, len(ACTORS)))
        self.relief = np.zeros((k, len(ReliefType), 2), dtype=np.int64)
        self.today: dict[str, np.ndarray] = {}
        self.days: list[dict[str, np.ndarray]] = []

    def _bincount(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.model.world_of(rows), weights=weights, minlength=self.model.worlds)

    # --- events ---------------------------------------------------------------------------------------------
    def on_arrived(self, rows: np.ndarray) -> None:
        self.arrivals += self._bincount(rows)

    def on_hours(self, actor: str, stage: Stage, rows: np.ndarray, hours: np.ndarray, relief: bool) -> None:
        self.hours[:, ACTORS.index(actor)] += self._bincount(rows, hours)

    def on_relief(
        self, rows: np.ndarray, stage: Stage, rtype: ReliefType, reasons: np.ndarray, initiation: np.ndarray
    ) -> None:
        n = len(rows)
        ess = ESSENTIAL[np.broadcast_to(np.asarray(reasons, dtype=np.int8), (n,))]
        col = np.where(ess, ESSENTIAL_COL, NONESSENTIAL_COL)
        at: Any = (self.model.world_of(rows), int(rtype), col)
        np.add.at(self.relief, at, 1)

    def on_plea_hearing(self, rows: np.ndarray, signed: np.ndarray) -> None:
        self.signed += self._bincount(signed)

    def on_closed(self, rows: np.ndarray, state: CaseState) -> None:
        self.closed += self._bincount(rows)

    # --- the day's record -----------------------------------------------------------------------------------
    def record_day(self) -> None:
        """Fill ``today`` (fresh arrays: the collector keeps them) and reset the day's counters."""
        m = self.model
        d, k = m.docket, m.worlds
        rows = np.flatnonzero(d.active)
        world = m.world_of(rows)
        states = np.bincount(world * _STATES + d.state[rows], minlength=k * _STATES).reshape(k, _STATES)
        today: dict[str, np.ndarray] = {
            "arrivals": self.arrivals.copy(),
            "warmup": np.full(k, float(m.day < m.count_from)),
            "in_investigation": states[:, CaseState.INVESTIGATION],
            "in_review": states[:, CaseState.REVIEW],
            "in_trial": states[:, CaseState.TRIAL],
            "in_appeal": states[:, CaseState.APPEAL_WINDOW] + states[:, CaseState.SECOND_INSTANCE],
            "closed_total": self.closed.copy(),
            "detained_now": np.bincount(world[d.detained[rows]], minlength=k),
            "signed_today": self.signed.copy(),
            "relief_essential_today": self.relief[:, :, ESSENTIAL_COL].sum(axis=1),
            "relief_nonessential_today": self.relief[:, :, NONESSENTIAL_COL].sum(axis=1),
        }
        for rt in ReliefType:
            today[f"relief_{rt.name.lower()}_today"] = self.relief[:, rt].sum(axis=1)
        for i, (a, pool) in enumerate(zip(ACTORS, (m.prosecutors, m.lawyers, m.judges), strict=True)):
            today[f"hours_{a}_today"] = self.hours[:, i].copy()
            today[f"backlog_days_{a}"] = pool.backlog.reshape(k, -1).sum(axis=1) / pool.capacity.reshape(
                k, -1
            ).sum(axis=1)
        rates = running_rates(SimpleNamespace(**m.books.counts.arrays))
        for key in RUNNING_RATES:
            today[key] = rates[key]
        self.today = today
        self.days.append(today)
        for acc in (self.arrivals, self.signed, self.hours, self.relief):
            acc[...] = 0

    def frames(self) -> list[pd.DataFrame]:
        """One daily frame per world: ``day`` then every key of ``DAILY_KEYS``."""
        days = np.arange(len(self.days))
        stacked = {key: np.stack([t[key] for t in self.days]) if self.days else None for key in DAILY_KEYS}
        out = []
        for w in range(self.model.worlds):
            cols: dict[str, np.ndarray] = {"day": days}
            for key in DAILY_KEYS:
                col = stacked[key]
                cols[key] = col[:, w] if col is not None else np.zeros(0)
            out.append(pd.DataFrame(cols))
        return out
