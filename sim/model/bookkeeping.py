"""Bookkeeping: the tallies behind the summary figures, the relief ledger, the running state counts and the
daily series, all kept from the events the stages emit (``sim.model.events``).

Summary figures count only cases that arrived after the warm-up (``counted``); the daily series counts
every case. The definitions of the figures are in ``sim.model.metrics.METRICS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.ledger import ACTORS, ESSENTIAL_COL, NONESSENTIAL_COL, ReliefLedger, Tally
from sim.model.metrics import summarise
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import ReliefType

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

DAILY_KEYS = (
    "arrivals",
    "warmup",
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
    *(f"hours_{a}_today" for a in ACTORS),
    *(f"backlog_days_{a}" for a in ACTORS),
    "application_rate",
    "adoption_rate",
    "relief_rate_essential",
    "relief_rate_nonessential",
)
RUNNING_RATES = ("application_rate", "adoption_rate", "relief_rate_essential", "relief_rate_nonessential")


class Bookkeeping:
    """Observer of every stage event that counts something."""

    def __init__(self, model: LeniencyModel, window: tuple[int, int] | None = None) -> None:
        self.model = model
        self.window = window  # arrival days [first, end) that count; None: from the warm-up's end on
        self.tally = Tally()
        self.ledger = ReliefLedger(self.tally)
        self.closed_by_state = dict.fromkeys(law.CLOSED_STATES, 0)
        # cases in each state (open states meaningful), then cases detained now (last slot)
        self.live = np.zeros(len(CaseState) + 1, dtype=np.int64)
        self.hours_today = np.zeros(len(ACTORS))
        self.signed_today = 0
        self.today: dict[str, float] = dict.fromkeys(DAILY_KEYS, 0.0)

    def counted(self, rows: np.ndarray) -> np.ndarray:
        """Cases that arrived after the warm-up (or in ``window``): the only ones summary figures count."""
        arrival = self.model.docket.arrival[rows]
        if self.window is None:
            return arrival >= self.model.count_from
        return (arrival >= self.window[0]) & (arrival < self.window[1])

    def counts_day(self, day: int) -> bool:
        """Whether cases arriving on ``day`` count (as ``counted``)."""
        if self.window is None:
            return day >= self.model.count_from
        return self.window[0] <= day < self.window[1]

    # --- events ---------------------------------------------------------------------------------------------
    def on_arrived(self, rows: np.ndarray) -> None:
        n, detained = len(rows), int(self.model.docket.detained[rows].sum())
        if self.counts_day(self.model.day):
            self.tally.arrived += n
            self.tally.detained_at_arrival += detained
        self.live[CaseState.INVESTIGATION] += n
        self.live[-1] += detained

    def on_hours(self, actor: str, stage: Stage, rows: np.ndarray, hours: np.ndarray, relief: bool) -> None:
        a = ACTORS.index(actor)
        self.hours_today[a] += float(hours.sum())
        c = self.counted(rows)
        self.tally.hours[a, stage] += float(hours[c].sum())
        if relief:  # relief hours are attributed to the case's relief class
            cls = self.model.docket.relief_class[rows[c]]
            ok = cls >= 0
            np.add.at(self.tally.relief_hours[:, a], cls[ok], hours[c][ok])

    def on_relief(
        self, rows: np.ndarray, stage: Stage, rtype: ReliefType, reasons: np.ndarray, initiation: np.ndarray
    ) -> None:
        m = self.model
        self.ledger.add(m.day, stage, m.docket.case_id[rows], rtype, reasons, initiation, self.counted(rows))

    def on_plea_hearing(self, rows: np.ndarray, signed: np.ndarray) -> None:
        d, t = self.model.docket, self.tally
        c = signed[self.counted(signed)]
        t.signed += len(c)
        t.determinate += int(d.determinate[c].sum())
        t.discount_sum += float(d.discount[c].sum())
        t.involuntary += int(d.involuntary[c].sum())
        self.signed_today += len(signed)

    def on_plea_set_aside(self, rows: np.ndarray, newly_found: np.ndarray) -> None:
        self.tally.involuntary_found += int((self.counted(rows) & newly_found).sum())

    def on_withdrawn(self, rows: np.ndarray) -> None:
        self.tally.withdrawals += int(self.counted(rows).sum())

    def on_review_concluded(self, rows: np.ndarray) -> None:
        d, t, day = self.model.docket, self.tally, self.model.day
        c = rows[self.counted(rows)]
        t.review_concluded += len(c)
        t.pleas_at_charge += int(d.signed[c].sum())
        t.innocent_review_concluded += int(d.innocent[c].sum())
        t.innocent_signed += int((d.innocent[c] & d.ever_signed[c]).sum())
        t.review_days_sum += int((day - d.stage_start[c]).sum())

    def on_charged(self, rows: np.ndarray) -> None:
        d, t = self.model.docket, self.tally
        fast = rows[d.procedure[rows] == Procedure.FAST_TRACK]
        fast = fast[self.counted(fast)]
        t.review_fast_n += len(fast)
        t.review_fast_days_sum += int((self.model.day - d.stage_start[fast]).sum())

    def on_no_crime_found(self, rows: np.ndarray) -> None:
        self.tally.leniency_judged += int(self.counted(rows).sum())

    def on_plea_judged(self, rows: np.ndarray, adopted: np.ndarray, adjusted: np.ndarray) -> None:
        d, t = self.model.docket, self.tally
        c = self.counted(rows)
        t.leniency_judged += int(c.sum())
        t.adopted += int(((adopted | adjusted) & c).sum())
        t.adopted_as_signed += int((adopted & c).sum())
        t.fast_track += int(((d.procedure[rows] == Procedure.FAST_TRACK) & c).sum())

    def on_judged(self, rows: np.ndarray) -> None:
        c = self.counted(rows)
        self.tally.convictions_first += int(c.sum())
        short = self.model.docket.sentence[rows] <= law.SHORT_SENTENCE_MONTHS
        self.tally.short_sentences += int((short & c).sum())

    def on_appeal_window_closed(
        self, rows: np.ndarray, appealed: np.ndarray, technical: np.ndarray, protested: np.ndarray
    ) -> None:
        t = self.tally
        c = self.model.docket.leniency_judged[rows] & self.counted(rows)
        t.appeals += int((appealed & c).sum())
        t.technical_appeals += int((technical & c).sum())
        t.protests += int((protested & c).sum())
        t.appealed_or_protested += int(((appealed | protested) & c).sum())

    def on_released(self, rows: np.ndarray, days: np.ndarray) -> None:
        d, day = self.model.docket, self.model.day
        c = self.counted(rows)
        self.tally.detention_days += int(days[c].sum())
        # detention served after the first relief initiation is a cost of relief
        fr = d.first_relief_day[rows]
        extra = np.where(fr >= 0, day - np.maximum(d.det_since[rows], fr), 0)
        rc = c & (fr >= 0)
        np.add.at(self.tally.relief_detention_days, d.relief_class[rows[rc]], extra[rc])
        self.live[-1] -= len(rows)

    def on_closed(self, rows: np.ndarray, state: CaseState) -> None:
        d, t = self.model.docket, self.tally
        self.closed_by_state[state] += len(rows)
        c = self.counted(rows)
        n = int(c.sum())
        t.closed += n
        t.closed_final += n if state == CaseState.FINAL else 0
        t.acquitted += n if state == CaseState.ACQUITTED else 0
        t.not_prosecuted += n if state == CaseState.NOT_PROSECUTED else 0
        t.days_to_final_sum += int((self.model.day - d.arrival[rows[c]]).sum())

    # --- the day's record -----------------------------------------------------------------------------------
    def record_day(self, arrivals: int) -> None:
        """Fill ``today`` (the row the daily series collects) and reset the day's counters."""
        m = self.model
        c = self.live.tolist()
        today = self.today
        today["arrivals"] = arrivals
        today["in_investigation"] = c[CaseState.INVESTIGATION]
        today["in_review"] = c[CaseState.REVIEW]
        today["in_trial"] = c[CaseState.TRIAL]
        today["in_appeal"] = c[CaseState.APPEAL_WINDOW] + c[CaseState.SECOND_INSTANCE]
        today["closed_total"] = sum(self.closed_by_state.values())
        today["detained_now"] = c[-1]
        today["signed_today"] = self.signed_today
        self.signed_today = 0
        today["warmup"] = float(m.day < m.count_from)
        new = self.ledger.today
        today["relief_essential_today"] = int(new[:, ESSENTIAL_COL].sum())
        today["relief_nonessential_today"] = int(new[:, NONESSENTIAL_COL].sum())
        for rt in ReliefType:
            today[f"relief_{rt.name.lower()}_today"] = int(new[rt].sum())
        for i, (a, pool) in enumerate(zip(ACTORS, (m.prosecutors, m.lawyers, m.judges), strict=True)):
            today[f"hours_{a}_today"] = float(self.hours_today[i])
            today[f"backlog_days_{a}"] = pool.backlog_days()
        self.hours_today[:] = 0
        new[:] = 0
        s = summarise(self.tally, 0)
        for k in RUNNING_RATES:
            today[k] = s[k]
