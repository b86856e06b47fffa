"""Bookkeeping: the counters behind the summary figures (``sim.model.ledger.Count``, per world) and the relief
ledger, kept from the events the stages emit (``sim.model.events``).

Summary figures count only cases that arrived after the warm-up (``counted``); the daily series
(``sim.model.daily``) counts every case. The definitions of the figures are in ``sim.model.metrics.METRICS``.

Each event's counting is one compiled kernel (``sim.model.kernel``): a pass over the event's rows that adds
every counter the event touches in the case's world, instead of a numpy call per counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model.counts import Counts, add_sums, one_world_dpw, world_at
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
from sim.model.kernel import jit
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
_FAST_TRACK = int(Procedure.FAST_TRACK)
_SHORT = float(law.SHORT_SENTENCE_MONTHS)
_OPEN_END = 2**62  # the end of the counted arrival days when only the warm-up bounds them
_F32, _F64 = np.float32(0.0), np.float64(0.0)  # zeros of the summed values' dtype (numpy's accumulator)


# --- kernels: one per event; each returns how many rows it counted ------------------------------------------
# Arguments: docket columns (whole), the event's rows and per-row arrays, the counted arrival days [lo, hi),
# districts per world (0 with one world: ``world_at``), then the counters (each with one row per world).


@jit
def _count(arrival: Any, district: Any, rows: Any, lo: int, hi: int, dpw: int, out: Any) -> int:
    """One per counted row."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi:
            out[world_at(district, r, dpw)] += 1
            k += 1
    return k


@jit
def _count_rows(
    arrival: Any, district: Any, rows: Any, flag: Any, lo: int, hi: int, dpw: int, out: Any
) -> int:
    """One per counted row with the event's ``flag[i]``."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi and flag[i]:
            out[world_at(district, r, dpw)] += 1
            k += 1
    return k


@jit
def _count_where(
    arrival: Any, district: Any, rows: Any, column: Any, lo: int, hi: int, dpw: int, out: Any
) -> int:
    """One per counted row whose docket ``column`` is set."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi and column[r]:
            out[world_at(district, r, dpw)] += 1
            k += 1
    return k


@jit
def _arrived(district: Any, detained: Any, rows: Any, dpw: int, arrived: Any, detained_at: Any) -> None:
    for i in range(rows.shape[0]):
        r = rows[i]
        w = world_at(district, r, dpw)
        arrived[w] += 1
        if detained[r]:
            detained_at[w] += 1


@jit
def _hours(
    arrival: Any,
    district: Any,
    relief_class: Any,
    rows: Any,
    hours: Any,
    lo: int,
    hi: int,
    dpw: int,
    worlds: int,
    actor: int,
    stage: int,
    relief: bool,
    by_stage: Any,
    relief_hours: Any,
) -> int:
    n = rows.shape[0]
    values = np.empty(n)
    world = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        r = rows[i]
        if lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            h = hours[i]
            values[k] = h
            world[k] = w
            k += 1
            if relief:  # relief hours are attributed to the case's relief class
                cls = relief_class[r]
                if cls >= 0:
                    relief_hours[w, cls, actor] += h
    add_sums(by_stage[:, actor, stage], worlds, world, values, k, _F64)
    return k


@jit
def _relief(
    arrival: Any,
    district: Any,
    rows: Any,
    reasons: Any,
    initiation: Any,
    lo: int,
    hi: int,
    dpw: int,
    rtype: int,
    class_code: Any,
    essential: Any,
    initiations: Any,
    relief: Any,
    by_reason: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            cr = reasons[i]
            if initiation[i]:
                initiations[w, rtype, class_code[cr]] += 1
            relief[w, rtype, ESSENTIAL_COL if essential[cr] else NONESSENTIAL_COL] += 1
            by_reason[w, cr] += 1
            k += 1
    return k


@jit
def _plea_hearing(
    arrival: Any,
    district: Any,
    determinate: Any,
    discount: Any,
    involuntary: Any,
    inv_cause: Any,
    rows: Any,
    lo: int,
    hi: int,
    dpw: int,
    worlds: int,
    signed: Any,
    determinates: Any,
    discounts: Any,
    involuntaries: Any,
    causes: Any,
) -> int:
    n = rows.shape[0]
    values = np.empty(n, dtype=np.float32)
    world = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        r = rows[i]
        if lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            signed[w] += 1
            determinates[w] += determinate[r]
            involuntaries[w] += involuntary[r]
            causes[w, inv_cause[r]] += 1
            values[k] = discount[r]
            world[k] = w
            k += 1
    add_sums(discounts, worlds, world, values, k, _F32)
    return k


@jit
def _review_concluded(
    arrival: Any,
    district: Any,
    signed: Any,
    innocent: Any,
    ever_signed: Any,
    stage_start: Any,
    rows: Any,
    day: int,
    lo: int,
    hi: int,
    dpw: int,
    concluded: Any,
    pleas: Any,
    innocents: Any,
    innocent_signed: Any,
    days: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            concluded[w] += 1
            pleas[w] += signed[r]
            innocents[w] += innocent[r]
            innocent_signed[w] += innocent[r] and ever_signed[r]
            days[w] += day - stage_start[r]
            k += 1
    return k


@jit
def _charged(
    arrival: Any,
    district: Any,
    procedure: Any,
    stage_start: Any,
    rows: Any,
    day: int,
    lo: int,
    hi: int,
    dpw: int,
    fast: Any,
    days: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if procedure[r] == _FAST_TRACK and lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            fast[w] += 1
            days[w] += day - stage_start[r]
            k += 1
    return k


@jit
def _plea_judged(
    arrival: Any,
    district: Any,
    remanded: Any,
    procedure: Any,
    suspension_refused: Any,
    rows: Any,
    adopted: Any,
    adjusted: Any,
    lo: int,
    hi: int,
    dpw: int,
    judged: Any,
    adoptions: Any,
    as_signed: Any,
    fast: Any,
    refusals: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi and not remanded[r]:  # a retrial after remand is not a new leniency case
            w = world_at(district, r, dpw)
            judged[w] += 1
            adoptions[w] += adopted[i] or adjusted[i]
            as_signed[w] += adopted[i]
            fast[w] += procedure[r] == _FAST_TRACK
            refusals[w] += suspension_refused[r]
            k += 1
    return k


@jit
def _judged(
    arrival: Any,
    district: Any,
    remanded: Any,
    sentence: Any,
    rows: Any,
    lo: int,
    hi: int,
    dpw: int,
    convictions: Any,
    short: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi and not remanded[r]:
            w = world_at(district, r, dpw)
            convictions[w] += 1
            short[w] += sentence[r] <= _SHORT
            k += 1
    return k


@jit
def _appeal_window_closed(
    arrival: Any,
    district: Any,
    leniency_judged: Any,
    remanded: Any,
    rows: Any,
    appealed: Any,
    technical: Any,
    protested: Any,
    lo: int,
    hi: int,
    dpw: int,
    appeals: Any,
    technicals: Any,
    protests: Any,
    either: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if leniency_judged[r] and lo <= arrival[r] < hi and not remanded[r]:  # each case's first judgment
            w = world_at(district, r, dpw)
            appeals[w] += appealed[i]
            technicals[w] += technical[i]
            protests[w] += protested[i]
            either[w] += appealed[i] or protested[i]
            k += 1
    return k


@jit
def _released(
    arrival: Any,
    district: Any,
    first_relief_day: Any,
    det_since: Any,
    relief_class: Any,
    rows: Any,
    days: Any,
    day: int,
    lo: int,
    hi: int,
    dpw: int,
    detention: Any,
    after_relief: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            detention[w] += days[i]
            fr = first_relief_day[r]
            if fr >= 0:  # detention served after the first relief initiation is a cost of relief
                after_relief[w, relief_class[r]] += day - max(det_since[r], fr)
            k += 1
    return k


@jit
def _closed(
    arrival: Any,
    district: Any,
    rows: Any,
    day: int,
    lo: int,
    hi: int,
    dpw: int,
    closed: Any,
    by_state: Any,
    state_counted: bool,
    days: Any,
) -> int:
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi:
            w = world_at(district, r, dpw)
            closed[w] += 1
            if state_counted:
                by_state[w] += 1
            days[w] += day - arrival[r]
            k += 1
    return k


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
            _arrived(
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
            _hours(
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
            _relief(
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
            _plea_hearing(
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
            _count_rows(d.arrival, d.district, event.rows, event.newly_found, lo, hi, dpw, out)
        )

    def on_withdrawn(self, event: Withdrawn) -> None:
        d = self.model.docket
        lo, hi, dpw = self._span()
        self._counted_some(
            _count(d.arrival, d.district, event.rows, lo, hi, dpw, self.counts.arrays[Count.WITHDRAWALS])
        )

    def on_review_concluded(self, event: ReviewConcluded) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            _review_concluded(
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
            _charged(
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
        self._counted_some(_count(d.arrival, d.district, event.rows, lo, hi, dpw, out))

    def on_plea_judged(self, event: PleaJudged) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            _plea_judged(
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
            _judged(
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
            _appeal_window_closed(
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
            _count_where(d.arrival, d.district, event.rows, d.leniency_judged, lo, hi, dpw, out)
        )

    def on_released(self, event: Released) -> None:
        d, a = self.model.docket, self.counts.arrays
        lo, hi, dpw = self._span()
        self._counted_some(
            _released(
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
            _closed(
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
