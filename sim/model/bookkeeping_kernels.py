"""The bookkeeping's counting kernels (``sim.model.kernel``): one per event, a pass over the event's rows that
adds every counter the event touches in the case's world. ``Bookkeeping`` (``sim.model.bookkeeping``) gathers
their arguments from the events it observes."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model import procedure as law
from sim.model.counts import world_at, world_sums
from sim.model.kernel import jit
from sim.model.ledger import ESSENTIAL_COL, NONESSENTIAL_COL
from sim.model.procedure import Procedure

_FAST_TRACK = int(Procedure.FAST_TRACK)
_SHORT = float(law.SHORT_SENTENCE_MONTHS)
_F32, _F64 = np.float32(0.0), np.float64(0.0)  # zeros of the summed values' dtype (numpy's accumulator)


# --- kernels: one per event; each returns how many rows it counted ------------------------------------------
# Arguments: docket columns (whole), the event's rows and per-row arrays, the counted arrival days [lo, hi),
# districts per world (0 with one world: ``world_at``), then the counters (each with one row per world).


@jit
def count_kernel(arrival: Any, district: Any, rows: Any, lo: int, hi: int, dpw: int, out: Any) -> int:
    """One per counted row."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if lo <= arrival[r] < hi:
            out[world_at(district, r, dpw)] += 1
            k += 1
    return k


@jit
def count_rows_kernel(
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
def count_where_kernel(
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
def arrived_kernel(district: Any, detained: Any, rows: Any, dpw: int, arrived: Any, detained_at: Any) -> None:
    for i in range(rows.shape[0]):
        r = rows[i]
        w = world_at(district, r, dpw)
        arrived[w] += 1
        if detained[r]:
            detained_at[w] += 1


@jit
def hours_kernel(
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
    sums = world_sums(worlds, world[:k], values[:k], _F64)
    for w in range(worlds):
        by_stage[w, actor, stage] += sums[w]
    return k


@jit
def relief_kernel(
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
def plea_hearing_kernel(
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
    sums = world_sums(worlds, world[:k], values[:k], _F32)
    for w in range(worlds):
        discounts[w] += sums[w]
    return k


@jit
def review_concluded_kernel(
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
def charged_kernel(
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
def plea_judged_kernel(
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
def judged_kernel(
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
def appeal_window_closed_kernel(
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
def released_kernel(
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
def closed_kernel(
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
