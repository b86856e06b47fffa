"""Bookkeeping: the tallies behind the summary figures, the relief ledger, the running state counts and the
daily series, all kept from the events the stages emit (``sim.model.events``).

Summary figures count only cases that arrived after the warm-up (``counted``); the daily series counts
every case. The definitions of the figures are in ``sim.model.metrics.METRICS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.counts import Counts
from sim.model.ledger import ACTORS, ESSENTIAL_COL, NONESSENTIAL_COL, ReliefLedger, Tally
from sim.model.metrics import running_rates
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import CLASS_CODE, ESSENTIAL, ReliefType

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
# the counter of each closing state besides ``closed``
_CLOSED_COUNTER = {
    CaseState.FINAL: "closed_final",
    CaseState.ACQUITTED: "acquitted",
    CaseState.NOT_PROSECUTED: "not_prosecuted",
}
RUNNING_RATES = ("application_rate", "adoption_rate", "relief_rate_essential", "relief_rate_nonessential")


class Bookkeeping:
    """Observer of every stage event that counts something."""

    def __init__(self, model: LeniencyModel, window: tuple[int, int] | None = None) -> None:
        self.model = model
        self.window = window  # arrival days [first, end) that count; None: from the warm-up's end on
        self.counts = Counts(model.worlds, model.world_of)  # the summary's counters, per world
        self.ledger = ReliefLedger()
        self.closed_by_state = dict.fromkeys(law.CLOSED_STATES, 0)
        # cases in each state (open states meaningful), then cases detained now (last slot)
        self.live = np.zeros(len(CaseState) + 1, dtype=np.int64)
        self.hours_today = np.zeros(len(ACTORS))
        self.signed_today = 0
        self.today: dict[str, float] = dict.fromkeys(DAILY_KEYS, 0.0)

    @property
    def tally(self) -> Tally:
        """The counters so far (all worlds together in a batched model)."""
        return self.counts.pooled()

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
        n, detained = len(rows), self.model.docket.detained[rows]
        if self.counts_day(self.model.day):
            self.counts.add("arrived", rows)
            self.counts.add("detained_at_arrival", rows, detained)
        self.live[CaseState.INVESTIGATION] += n
        self.live[-1] += int(detained.sum())

    def on_hours(self, actor: str, stage: Stage, rows: np.ndarray, hours: np.ndarray, relief: bool) -> None:
        a = ACTORS.index(actor)
        self.hours_today[a] += float(hours.sum())
        c = self.counted(rows)
        mine, h = rows[c], hours[c]
        self.counts.add_scalar("hours", mine, (a, stage), h)
        if relief:  # relief hours are attributed to the case's relief class
            cls = self.model.docket.relief_class[mine]
            ok = cls >= 0
            self.counts.add_at("relief_hours", mine[ok], (cls[ok], a), h[ok])

    def on_relief(
        self, rows: np.ndarray, stage: Stage, rtype: ReliefType, reasons: np.ndarray, initiation: np.ndarray
    ) -> None:
        m, n = self.model, len(rows)
        if n == 0:
            return
        reasons = np.broadcast_to(np.asarray(reasons, dtype=np.int8), (n,))
        initiation = np.broadcast_to(np.asarray(initiation, dtype=bool), (n,))
        self.ledger.add(m.day, stage, m.docket.case_id[rows], rtype, reasons, initiation)
        c = self.counted(rows)
        mine, cr, first = rows[c], reasons[c], initiation[c]
        k = self.counts
        k.add_at("initiations", mine[first], (rtype, CLASS_CODE[cr[first]]), 1)
        k.add_at("relief", mine, (rtype, np.where(ESSENTIAL[cr], ESSENTIAL_COL, NONESSENTIAL_COL)), 1)
        k.add_at("relief_reason", mine, (cr,), 1)

    def on_plea_hearing(self, rows: np.ndarray, signed: np.ndarray) -> None:
        d, k = self.model.docket, self.counts
        c = signed[self.counted(signed)]
        k.add("signed", c)
        k.add("determinate", c, d.determinate[c])
        k.add("discount_sum", c, d.discount[c])
        k.add("involuntary", c, d.involuntary[c])
        k.add_at("involuntary_cause", c, (d.inv_cause[c],), 1)
        self.signed_today += len(signed)

    def on_plea_set_aside(self, rows: np.ndarray, newly_found: np.ndarray) -> None:
        self.counts.add("involuntary_found", rows[self.counted(rows) & newly_found])

    def on_withdrawn(self, rows: np.ndarray) -> None:
        self.counts.add("withdrawals", rows[self.counted(rows)])

    def on_review_concluded(self, rows: np.ndarray) -> None:
        d, k, day = self.model.docket, self.counts, self.model.day
        c = rows[self.counted(rows)]
        k.add("review_concluded", c)
        k.add("pleas_at_charge", c, d.signed[c])
        k.add("innocent_review_concluded", c, d.innocent[c])
        k.add("innocent_signed", c, d.innocent[c] & d.ever_signed[c])
        k.add("review_days_sum", c, day - d.stage_start[c])

    def on_charged(self, rows: np.ndarray) -> None:
        d = self.model.docket
        fast = rows[d.procedure[rows] == Procedure.FAST_TRACK]
        fast = fast[self.counted(fast)]
        self.counts.add("review_fast_n", fast)
        self.counts.add("review_fast_days_sum", fast, self.model.day - d.stage_start[fast])

    def on_no_crime_found(self, rows: np.ndarray) -> None:
        self.counts.add("leniency_judged", rows[self.counted(rows)])

    def on_plea_judged(self, rows: np.ndarray, adopted: np.ndarray, adjusted: np.ndarray) -> None:
        d, k = self.model.docket, self.counts
        c = self.counted(rows) & ~d.remanded[rows]  # a retrial after remand is not a new leniency case
        k.add("leniency_judged", rows[c])
        k.add("adopted", rows[(adopted | adjusted) & c])
        k.add("adopted_as_signed", rows[adopted & c])
        k.add("fast_track", rows[(d.procedure[rows] == Procedure.FAST_TRACK) & c])
        k.add("suspension_refusals", rows[d.suspension_refused[rows] & c])

    def on_judged(self, rows: np.ndarray) -> None:
        c = self.counted(rows) & ~self.model.docket.remanded[rows]
        self.counts.add("convictions_first", rows[c])
        short = self.model.docket.sentence[rows] <= law.SHORT_SENTENCE_MONTHS
        self.counts.add("short_sentences", rows[short & c])

    def on_appeal_window_closed(
        self, rows: np.ndarray, appealed: np.ndarray, technical: np.ndarray, protested: np.ndarray
    ) -> None:
        k, d = self.counts, self.model.docket
        c = d.leniency_judged[rows] & self.counted(rows) & ~d.remanded[rows]  # each case's first judgment
        k.add("appeals", rows[appealed & c])
        k.add("technical_appeals", rows[technical & c])
        k.add("protests", rows[protested & c])
        k.add("appealed_or_protested", rows[(appealed | protested) & c])

    def on_remanded(self, rows: np.ndarray) -> None:
        d = self.model.docket
        self.counts.add("remands", rows[d.leniency_judged[rows] & self.counted(rows)])

    def on_released(self, rows: np.ndarray, days: np.ndarray) -> None:
        d, day = self.model.docket, self.model.day
        c = self.counted(rows)
        self.counts.add("detention_days", rows[c], days[c])
        # detention served after the first relief initiation is a cost of relief
        fr = d.first_relief_day[rows]
        extra = np.where(fr >= 0, day - np.maximum(d.det_since[rows], fr), 0)
        rc = c & (fr >= 0)
        self.counts.add_at("relief_detention_days", rows[rc], (d.relief_class[rows[rc]],), extra[rc])
        self.live[-1] -= len(rows)

    def on_closed(self, rows: np.ndarray, state: CaseState) -> None:
        d, k = self.model.docket, self.counts
        self.closed_by_state[state] += len(rows)
        c = rows[self.counted(rows)]
        k.add("closed", c)
        if state in _CLOSED_COUNTER:
            k.add(_CLOSED_COUNTER[state], c)
        k.add("days_to_final_sum", c, self.model.day - d.arrival[c])

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
        rates = running_rates(self.counts.pooled())
        for k in RUNNING_RATES:
            today[k] = float(rates[k])
