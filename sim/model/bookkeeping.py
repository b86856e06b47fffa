"""Bookkeeping: the counters behind the summary figures (``sim.model.ledger.Count``, per world) and the relief
ledger, kept from the events the stages emit (``sim.model.events``).

Summary figures count only cases that arrived after the warm-up (``counted``); the daily series
(``sim.model.daily``) counts every case. The definitions of the figures are in ``sim.model.metrics.METRICS``.

Each event's counting is one compiled kernel (``sim.model.bookkeeping_kernels``): a pass over the event's rows
that adds every counter the event touches in the case's world, instead of a numpy call per counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import bookkeeping_kernels as kernels
from sim.model.counts import Counts, one_world_dpw
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
from sim.model.ledger import ACTORS, Count, ReliefLedger, Tally
from sim.model.procedure import CaseState
from sim.model.relief import CLASS_CODE, ESSENTIAL

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

# the counter of each closing state besides ``CLOSED``
_CLOSED_COUNTER = {
    CaseState.FINAL: Count.CLOSED_FINAL,
    CaseState.ACQUITTED: Count.ACQUITTED,
    CaseState.NOT_PROSECUTED: Count.NOT_PROSECUTED,
}
_OPEN_END = 2**62  # the end of the counted arrival days when only the warm-up bounds them


class Bookkeeping:
    """Observer of every stage event that counts something."""

    def __init__(self, model: LeniencyModel, window: tuple[int, int] | None = None) -> None:
        self.model = model
        self.window = window  # arrival days [first, end) that count; None: from the warm-up's end on
        self.counts = Counts(model.worlds)  # the summary's counters, per world
        self.ledger = ReliefLedger()
        self.dpw = one_world_dpw(model)  # the kernels' districts per world (``world_at``)

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

    def _span(self) -> tuple[int, int, int]:
        """The counted arrival days [lo, hi) and the districts per world, as every kernel takes them."""
        lo, hi = self.window if self.window is not None else (self.model.count_from, _OPEN_END)
        return lo, hi, self.dpw

    def _counted_some(self, k: int) -> None:
        if k:
            self.counts.version += 1

    # --- events ---------------------------------------------------------------------------------------------
    def on_arrived(self, event: Arrived) -> None:
        if self.counts_day(self.model.day) and len(event.rows):
            d, a = self.model.docket, self.counts.arrays
            kernels.arrived_kernel(
                d.district,
                d.detained,
                event.rows,
                self.dpw,
                a[Count.ARRIVED],
                a[Count.DETAINED_AT_ARRIVAL],
            )
            self.counts.version += 1

    def on_hours(self, event: Hours) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.hours_kernel(
                d.arrival,
                d.district,
                d.relief_class,
                event.rows,
                event.hours,
                lo,
                hi,
                dpw,
                self.counts.worlds,
                ACTORS.index(event.actor),
                int(event.stage),
                event.relief,
                a[Count.HOURS],
                a[Count.RELIEF_HOURS],
            )
        )

    def on_relief(self, event: Relief) -> None:
        m, rows = self.model, event.rows
        if len(rows) == 0:
            return
        self.ledger.add(
            m.day, event.stage, m.docket.case_id[rows], event.rtype, event.reasons, event.initiation
        )
        d, a = m.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.relief_kernel(
                d.arrival,
                d.district,
                rows,
                event.reasons,
                event.initiation,
                lo,
                hi,
                dpw,
                int(event.rtype),
                CLASS_CODE,
                ESSENTIAL,
                a[Count.INITIATIONS],
                a[Count.RELIEF],
                a[Count.RELIEF_REASON],
            )
        )

    def on_plea_hearing(self, event: PleaHearing) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.plea_hearing_kernel(
                d.arrival,
                d.district,
                d.determinate,
                d.discount,
                d.involuntary,
                d.inv_cause,
                event.signed,
                lo,
                hi,
                dpw,
                self.counts.worlds,
                a[Count.SIGNED],
                a[Count.DETERMINATE],
                a[Count.DISCOUNT_SUM],
                a[Count.INVOLUNTARY],
                a[Count.INVOLUNTARY_CAUSE],
            )
        )

    def on_plea_set_aside(self, event: PleaSetAside) -> None:
        d = self.model.docket
        lo, hi, dpw = self._span()
        out = self.counts.arrays[Count.INVOLUNTARY_FOUND]
        self._counted_some(
            kernels.count_rows_kernel(d.arrival, d.district, event.rows, event.newly_found, lo, hi, dpw, out)
        )

    def on_withdrawn(self, event: Withdrawn) -> None:
        d = self.model.docket
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.count_kernel(
                d.arrival, d.district, event.rows, lo, hi, dpw, self.counts.arrays[Count.WITHDRAWALS]
            )
        )

    def on_review_concluded(self, event: ReviewConcluded) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.review_concluded_kernel(
                d.arrival,
                d.district,
                d.signed,
                d.innocent,
                d.ever_signed,
                d.stage_start,
                event.rows,
                self.model.day,
                lo,
                hi,
                dpw,
                a[Count.REVIEW_CONCLUDED],
                a[Count.PLEAS_AT_CHARGE],
                a[Count.INNOCENT_REVIEW_CONCLUDED],
                a[Count.INNOCENT_SIGNED],
                a[Count.REVIEW_DAYS_SUM],
            )
        )

    def on_charged(self, event: Charged) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.charged_kernel(
                d.arrival,
                d.district,
                d.procedure,
                d.stage_start,
                event.rows,
                self.model.day,
                lo,
                hi,
                dpw,
                a[Count.REVIEW_FAST_N],
                a[Count.REVIEW_FAST_DAYS_SUM],
            )
        )

    def on_no_crime_found(self, event: NoCrimeFound) -> None:
        d = self.model.docket
        lo, hi, dpw = self._span()
        out = self.counts.arrays[Count.LENIENCY_JUDGED]
        self._counted_some(kernels.count_kernel(d.arrival, d.district, event.rows, lo, hi, dpw, out))

    def on_plea_judged(self, event: PleaJudged) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.plea_judged_kernel(
                d.arrival,
                d.district,
                d.remanded,
                d.procedure,
                d.suspension_refused,
                event.rows,
                event.adopted,
                event.adjusted,
                lo,
                hi,
                dpw,
                a[Count.LENIENCY_JUDGED],
                a[Count.ADOPTED],
                a[Count.ADOPTED_AS_SIGNED],
                a[Count.FAST_TRACK],
                a[Count.SUSPENSION_REFUSALS],
            )
        )

    def on_judged(self, event: Judged) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.judged_kernel(
                d.arrival,
                d.district,
                d.remanded,
                d.sentence,
                event.rows,
                lo,
                hi,
                dpw,
                a[Count.CONVICTIONS_FIRST],
                a[Count.SHORT_SENTENCES],
            )
        )

    def on_appeal_window_closed(self, event: AppealWindowClosed) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.appeal_window_closed_kernel(
                d.arrival,
                d.district,
                d.leniency_judged,
                d.remanded,
                event.rows,
                event.appealed,
                event.technical,
                event.protested,
                lo,
                hi,
                dpw,
                a[Count.APPEALS],
                a[Count.TECHNICAL_APPEALS],
                a[Count.PROTESTS],
                a[Count.APPEALED_OR_PROTESTED],
            )
        )

    def on_remanded(self, event: Remanded) -> None:
        d = self.model.docket
        lo, hi, dpw = self._span()
        out = self.counts.arrays[Count.REMANDS]
        self._counted_some(
            kernels.count_where_kernel(d.arrival, d.district, event.rows, d.leniency_judged, lo, hi, dpw, out)
        )

    def on_released(self, event: Released) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            kernels.released_kernel(
                d.arrival,
                d.district,
                d.first_relief_day,
                d.det_since,
                d.relief_class,
                event.rows,
                event.days,
                self.model.day,
                lo,
                hi,
                dpw,
                a[Count.DETENTION_DAYS],
                a[Count.RELIEF_DETENTION_DAYS],
            )
        )

    def on_closed(self, event: Closed) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        by_state = _CLOSED_COUNTER.get(event.state)
        self._counted_some(
            kernels.closed_kernel(
                d.arrival,
                d.district,
                event.rows,
                self.model.day,
                lo,
                hi,
                dpw,
                a[Count.CLOSED],
                a[by_state if by_state is not None else Count.CLOSED],
                by_state is not None,
                a[Count.DAYS_TO_FINAL_SUM],
            )
        )
