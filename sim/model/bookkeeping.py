"""Bookkeeping: the counters behind the summary figures (``sim.model.ledger.Count``, per world) and the relief
ledger, kept from the events the stages emit (``sim.model.events``).

Summary figures count only cases that arrived after the warm-up (``counted``); the daily series
(``sim.model.daily``) counts every case. The definitions of the figures are in ``sim.model.metrics.METRICS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.counts import Counts
from sim.model.events import (
    AppealWindowClosed,
    Arrived,
    Charged,
    Closed,
    Hours,
    Judged,
    NoCrimeFound,
    PleaHearing,
    PleaJudged,
    PleaSetAside,
    Released,
    Relief,
    Remanded,
    ReviewConcluded,
    Withdrawn,
)
from sim.model.ledger import ACTORS, ESSENTIAL_COL, NONESSENTIAL_COL, Count, ReliefLedger, Tally
from sim.model.procedure import CaseState, Procedure
from sim.model.relief import CLASS_CODE, ESSENTIAL

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

# the counter of each closing state besides ``CLOSED``
_CLOSED_COUNTER = {
    CaseState.FINAL: Count.CLOSED_FINAL,
    CaseState.ACQUITTED: Count.ACQUITTED,
    CaseState.NOT_PROSECUTED: Count.NOT_PROSECUTED,
}


class Bookkeeping:
    """Observer of every stage event that counts something."""

    def __init__(self, model: LeniencyModel, window: tuple[int, int] | None = None) -> None:
        self.model = model
        self.window = window  # arrival days [first, end) that count; None: from the warm-up's end on
        self.counts = Counts(model.worlds, model.world_of)  # the summary's counters, per world
        self.ledger = ReliefLedger()

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
    def on_arrived(self, event: Arrived) -> None:
        rows = event.rows
        if self.counts_day(self.model.day):
            self.counts.add(Count.ARRIVED, rows)
            self.counts.add(Count.DETAINED_AT_ARRIVAL, rows, self.model.docket.detained[rows])

    def on_hours(self, event: Hours) -> None:
        a = ACTORS.index(event.actor)
        c = self.counted(event.rows)
        mine, h = event.rows[c], event.hours[c]
        self.counts.add_scalar(Count.HOURS, mine, (a, event.stage), h)
        if event.relief:  # relief hours are attributed to the case's relief class
            cls = self.model.docket.relief_class[mine]
            ok = cls >= 0
            self.counts.add_at(Count.RELIEF_HOURS, mine[ok], (cls[ok], a), h[ok])

    def on_relief(self, event: Relief) -> None:
        m, rows = self.model, event.rows
        if len(rows) == 0:
            return
        self.ledger.add(
            m.day, event.stage, m.docket.case_id[rows], event.rtype, event.reasons, event.initiation
        )
        c = self.counted(rows)
        mine, cr, first = rows[c], event.reasons[c], event.initiation[c]
        k, rtype = self.counts, event.rtype
        k.add_at(Count.INITIATIONS, mine[first], (rtype, CLASS_CODE[cr[first]]), 1)
        k.add_at(Count.RELIEF, mine, (rtype, np.where(ESSENTIAL[cr], ESSENTIAL_COL, NONESSENTIAL_COL)), 1)
        k.add_at(Count.RELIEF_REASON, mine, (cr,), 1)

    def on_plea_hearing(self, event: PleaHearing) -> None:
        d, k = self.model.docket, self.counts
        c = event.signed[self.counted(event.signed)]
        k.add(Count.SIGNED, c)
        k.add(Count.DETERMINATE, c, d.determinate[c])
        k.add(Count.DISCOUNT_SUM, c, d.discount[c])
        k.add(Count.INVOLUNTARY, c, d.involuntary[c])
        k.add_at(Count.INVOLUNTARY_CAUSE, c, (d.inv_cause[c],), 1)

    def on_plea_set_aside(self, event: PleaSetAside) -> None:
        rows = event.rows
        self.counts.add(Count.INVOLUNTARY_FOUND, rows[self.counted(rows) & event.newly_found])

    def on_withdrawn(self, event: Withdrawn) -> None:
        self.counts.add(Count.WITHDRAWALS, event.rows[self.counted(event.rows)])

    def on_review_concluded(self, event: ReviewConcluded) -> None:
        d, k, day = self.model.docket, self.counts, self.model.day
        c = event.rows[self.counted(event.rows)]
        k.add(Count.REVIEW_CONCLUDED, c)
        k.add(Count.PLEAS_AT_CHARGE, c, d.signed[c])
        k.add(Count.INNOCENT_REVIEW_CONCLUDED, c, d.innocent[c])
        k.add(Count.INNOCENT_SIGNED, c, d.innocent[c] & d.ever_signed[c])
        k.add(Count.REVIEW_DAYS_SUM, c, day - d.stage_start[c])

    def on_charged(self, event: Charged) -> None:
        d, rows = self.model.docket, event.rows
        fast = rows[d.procedure[rows] == Procedure.FAST_TRACK]
        fast = fast[self.counted(fast)]
        self.counts.add(Count.REVIEW_FAST_N, fast)
        self.counts.add(Count.REVIEW_FAST_DAYS_SUM, fast, self.model.day - d.stage_start[fast])

    def on_no_crime_found(self, event: NoCrimeFound) -> None:
        self.counts.add(Count.LENIENCY_JUDGED, event.rows[self.counted(event.rows)])

    def on_plea_judged(self, event: PleaJudged) -> None:
        d, k, rows = self.model.docket, self.counts, event.rows
        c = self.counted(rows) & ~d.remanded[rows]  # a retrial after remand is not a new leniency case
        k.add(Count.LENIENCY_JUDGED, rows[c])
        k.add(Count.ADOPTED, rows[(event.adopted | event.adjusted) & c])
        k.add(Count.ADOPTED_AS_SIGNED, rows[event.adopted & c])
        k.add(Count.FAST_TRACK, rows[(d.procedure[rows] == Procedure.FAST_TRACK) & c])
        k.add(Count.SUSPENSION_REFUSALS, rows[d.suspension_refused[rows] & c])

    def on_judged(self, event: Judged) -> None:
        d, rows = self.model.docket, event.rows
        c = self.counted(rows) & ~d.remanded[rows]
        self.counts.add(Count.CONVICTIONS_FIRST, rows[c])
        short = d.sentence[rows] <= law.SHORT_SENTENCE_MONTHS
        self.counts.add(Count.SHORT_SENTENCES, rows[short & c])

    def on_appeal_window_closed(self, event: AppealWindowClosed) -> None:
        k, d, rows = self.counts, self.model.docket, event.rows
        c = d.leniency_judged[rows] & self.counted(rows) & ~d.remanded[rows]  # each case's first judgment
        k.add(Count.APPEALS, rows[event.appealed & c])
        k.add(Count.TECHNICAL_APPEALS, rows[event.technical & c])
        k.add(Count.PROTESTS, rows[event.protested & c])
        k.add(Count.APPEALED_OR_PROTESTED, rows[(event.appealed | event.protested) & c])

    def on_remanded(self, event: Remanded) -> None:
        d, rows = self.model.docket, event.rows
        self.counts.add(Count.REMANDS, rows[d.leniency_judged[rows] & self.counted(rows)])

    def on_released(self, event: Released) -> None:
        d, day, rows = self.model.docket, self.model.day, event.rows
        c = self.counted(rows)
        self.counts.add(Count.DETENTION_DAYS, rows[c], event.days[c])
        # detention served after the first relief initiation is a cost of relief
        fr = d.first_relief_day[rows]
        extra = np.where(fr >= 0, day - np.maximum(d.det_since[rows], fr), 0)
        rc = c & (fr >= 0)
        self.counts.add_at(Count.RELIEF_DETENTION_DAYS, rows[rc], (d.relief_class[rows[rc]],), extra[rc])

    def on_closed(self, event: Closed) -> None:
        d, k = self.model.docket, self.counts
        c = event.rows[self.counted(event.rows)]
        k.add(Count.CLOSED, c)
        if event.state in _CLOSED_COUNTER:
            k.add(_CLOSED_COUNTER[event.state], c)
        k.add(Count.DAYS_TO_FINAL_SUM, c, self.model.day - d.arrival[c])
