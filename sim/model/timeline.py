"""A run on a calendar: the scenario's ``[[timeline]]`` overlays switched on at their dates, and the yearly
figures (one bookkeeping per calendar year of arrival, summarised with the same definitions as the run's
summary, ``sim.model.metrics.summarise``).

Both exist only when the scenario has a calendar (``run.start_date``); a run without one pays nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from sim.model.bookkeeping import Bookkeeping
from sim.model.events import Relief
from sim.model.scenario import Scenario, timeline_states

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


class Timeline:
    """The parameters in force from each entry's day on; ``apply_due`` switches them in at the start of that
    day (before staff changes and arrivals), so the day itself runs under the new policy."""

    def __init__(self, scenario: Scenario) -> None:
        self.states = timeline_states(scenario)
        self.applied = 0  # entries already in force

    def apply_due(self, model: LeniencyModel) -> None:
        while self.applied < len(self.states) and self.states[self.applied][0] <= model.day:
            model.params = self.states[self.applied][1]
            retune(model)
            self.applied += 1


def retune(model: LeniencyModel) -> None:
    """Hand the new parameters to what the actor pools copied when they were built (capacity, corner-cutting,
    the normal backlog, newcomers' belief error, the target newcomers start from); everything else is read
    from ``model.params`` where it is used. Staff numbers are fixed (``STARTUP_KEYS``)."""
    p = model.params
    w = p.workload
    for pool, hours in (
        (model.prosecutors, p.prosecutor.hours_per_day),
        (model.lawyers, p.lawyer.hours_per_day),
        (model.judges, p.judge.hours_per_day),
    ):
        pool.capacity[:] = hours
        pool.corner_cutting = w.corner_cutting
        pool.horizon = w.horizon_days
    model.prosecutors.belief_sd[:] = p.prosecutor.norm_belief_sd
    model.prosecutors.target = p.prosecutor.application_target


def year_windows(scenario: Scenario, first_day: int) -> list[tuple[int, int, int]]:
    """(year, first day, end day) of each calendar year holding counted arrival days [first_day, run.days)."""
    start = dt.date.fromisoformat(scenario.run.start_date)
    last = start + dt.timedelta(days=scenario.run.days - 1)
    first = start + dt.timedelta(days=first_day)
    out = []
    for year in range(first.year, last.year + 1):
        lo = (dt.date(year, 1, 1) - start).days
        hi = (dt.date(year + 1, 1, 1) - start).days
        out.append((year, max(lo, first_day), min(hi, scenario.run.days)))
    return out


class CohortBooks(Bookkeeping):
    """The bookkeeping of the cases arriving in one window of days (a calendar year); its relief ledger keeps
    only the cohort's own events."""

    def on_relief(self, event: Relief) -> None:
        c = self.counted(event.rows)
        if c.any():
            super().on_relief(
                replace(event, rows=event.rows[c], reasons=event.reasons[c], initiation=event.initiation[c])
            )


class YearlyBooks:
    """One ``CohortBooks`` per calendar year of arrival after the warm-up."""

    def __init__(self, model: LeniencyModel) -> None:
        self.model = model
        windows = year_windows(model.params, model.count_from)
        self.years = [(year, CohortBooks(model, (lo, hi))) for year, lo, hi in windows]

    def attach(self) -> None:
        for _, books in self.years:
            self.model.events.attach(books)

    def frame(self) -> pd.DataFrame:
        """One row per year: ``year``, the arrival days it covers (``first_day``, ``days``), then every
        summary metric over the cases that arrived in it."""
        rows = []
        for year, books in self.years:
            lo, hi = books.window or (0, 0)
            figures = self.model.window_summary(books.tally, lo, hi)
            rows.append({"year": year, "first_day": lo, "days": hi - lo, **figures})
        return pd.DataFrame(rows)
