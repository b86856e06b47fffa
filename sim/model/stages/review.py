"""Investigation and review: arrival, the start of review (the offer), the plea hearing (advice, decision,
signing with a lawyer present, Art. 174) and the end of review (withdrawal, non-prosecution or a charge
with a procedure, Arts. 172-177 and 222)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, DutyLawyer, Judge, Prosecutor, triage
from sim.model.events import Arrived, Charged, PleaHearing, ReviewConcluded
from sim.model.kernel import helper, jit, uniform32, uniform52
from sim.model.procedure import CaseState, Stage
from sim.model.stages.casework import Due, close, release, schedule, set_aside, to_trial, withdrawals
from sim.model.streams import CASE_COLUMN, FACT_COLUMN, FACT_SLOTS

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def arrive(m: LeniencyModel) -> int:
    """Today's new cases in every world: who, with what case, before which prosecutor and judge, each case
    from its world's arrival stream of the day (``sim.model.streams``). Returns how many arrived."""
    p, d = m.params, m.docket
    wp = m.world_params
    facts = m.streams.arrivals(m.day, wp.run.cases_per_day, m.worlds, Defendant.beta_shapes(m))
    n = facts.total
    if n == 0:
        return 0
    rows = d.add(n)
    first_id = m.next_case_id
    m.next_case_id += n
    # numpy's vectorised log, kept out of the kernel: the investigation days stay numpy's to the last bit
    inv = facts.exponential("case.investigation", max(p.case.investigation_days_mean - 3, 0.1))
    review_day = _arrive(
        d.case_id, d.arrival, d.arrival_seq, d.state, d.draws, d.district, d.prosecutor, d.judge_local,
        d.judge, d.retained, d.lawyer, d.relief_class, d.relief_reason, d.rec_reason, d.first_relief_day,
        rows, facts.raw, facts.counts, inv, first_id, m.day, m.districts_per_world,
        p.prosecutor.per_district, p.judge.per_district, p.lawyer.per_district, p.lawyer.retained_share,
    )  # fmt: skip
    Defendant.draw(m, rows, facts)
    schedule(m, rows, Due.REVIEW_START, review_day)
    m.events.emit(Arrived(rows))
    return n


Col = np.ndarray
_INVESTIGATION = int(CaseState.INVESTIGATION)
_FACTS = len(FACT_SLOTS)
_C_DISTRICT = FACT_COLUMN["case.district"]
_C_PROSECUTOR = FACT_COLUMN["case.prosecutor"]
_C_JUDGE = FACT_COLUMN["case.judge"]
_C_RETAINED = FACT_COLUMN["case.retained"]
_C_DUTY = FACT_COLUMN["case.duty_lawyer"]
_CHUNK = 64  # new cases whose behaviour words are copied together


@helper
def _pick(word: Any, k: int) -> int:
    """A fact word as an integer in [0, k) (as ``streams.Arrivals.integers``)."""
    return min(int(uniform52(word) * k), k - 1)


@jit
def _arrive(
    case_id: Col, arrival: Col, arrival_seq: Col, state: Col, draws: Col, district: Col, prosecutor: Col,
    judge_local: Col, judge: Col, retained: Col, lawyer: Col, relief_class: Col, relief_reason: Col,
    rec_reason: Col, first_relief_day: Col, rows: Col, raw: Col, counts: Col, inv: Col, first_id: int,
    day: int, dpw: int, pros_pd: int, judge_pd: int, lawyer_pd: int, retained_share: float,
) -> np.ndarray:  # fmt: skip
    """Write each new case's row in one visit: identity, place, staff, its behaviour block (the top 32 bits
    of each behaviour word, ``streams``) and the empty relief marks. Returns the day its review starts."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    i = 0
    for w in range(counts.shape[0]):
        for seq in range(counts[w]):
            r = rows[i]
            f = raw[i]
            case_id[r] = first_id + i
            arrival[r] = day
            arrival_seq[r] = seq
            state[r] = _INVESTIGATION
            dist = w * dpw + _pick(f[_C_DISTRICT], dpw)
            district[r] = dist
            prosecutor[r] = dist * pros_pd + _pick(f[_C_PROSECUTOR], pros_pd)
            jl = _pick(f[_C_JUDGE], judge_pd)
            judge_local[r] = jl
            judge[r] = dist * judge_pd + jl
            ret = uniform52(f[_C_RETAINED]) < retained_share
            retained[r] = ret
            duty = dist * lawyer_pd + _pick(f[_C_DUTY], lawyer_pd)
            lawyer[r] = -1 if ret else duty
            relief_class[r] = -1
            relief_reason[r] = -1
            rec_reason[r] = -1
            first_relief_day[r] = -1
            out[i] = day + round(3.0 + inv[i])  # as int(np.round()): half to even (np.round compiles ~0.1 s)
            i += 1
    # The behaviour block a few dozen cases at a time (their raw words stay in cache), word by word within
    # them: a case's words sit a whole row apart (a power-of-two stride: case by case they would contend
    # for one cache set).
    n = rows.shape[0]
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        for j in range(draws.shape[0]):
            block = draws[j]
            for i in range(lo, hi):
                block[rows[i]] = np.uint32(raw[i, _FACTS + j] >> np.uint64(32))
    return out


def review_start(m: LeniencyModel, rows: np.ndarray) -> None:
    """The prosecutor takes up the file and prepares a recommendation."""
    d, p = m.docket, m.params
    Prosecutor.offer(m, rows)
    n, pp = len(rows), p.prosecutor
    std, half, limit = np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    _take_up(
        d.state, d.stage_start, d.rec, d.district, rows, m.day, pp.review_hours_fast, pp.review_hours_other,
        pp.negotiation_hours, m.per_world("prosecutor.review_days_fast"), pp.review_days_other,
        m.districts_per_world, std, half, limit,
    )  # fmt: skip
    wait, hours, _ = m.prosecutors.book(d.prosecutor[rows], std)
    m.add_hours("prosecutor", Stage.REVIEW, rows, hours)
    schedule(m, rows, Due.PLEA_HEARING, _hearing_day(m.day, half, wait, limit))


def plea_hearing(m: LeniencyModel, rows: np.ndarray) -> None:
    """Lawyer advice, the offer and the defendant's decision; signing with a lawyer present (Art. 174)."""
    d = m.docket
    Defendant.form_beliefs(m, rows)
    _records(
        d.recorded, d.district, d.draws, rows, m.per_world("prosecutor.recorded_hearing_share"),
        m.districts_per_world,
    )  # fmt: skip
    d.at_risk[rows] = triage.at_risk(m, rows)
    lawyer_wait = DutyLawyer.advise(m, rows)
    d.pressure[rows] = Defendant.pressure(m, rows)
    accept, accept_cf = Defendant.decide_plea(m, rows)
    bargain = ~accept & Prosecutor.will_negotiate(m, rows)
    if bargain.any():
        Prosecutor.negotiate(m, rows[bargain])
        accept[bargain], accept_cf[bargain] = Defendant.decide_plea(m, rows[bargain])
    refused = np.nonzero(~accept)[0]
    if len(refused):
        go = Defendant.insist(m, rows[refused])
        again = refused[go]
        if len(again):
            accept[again], accept_cf[again] = Defendant.decide_plea(m, rows[again])
    srows = rows[
        _sign(d.signed, d.ever_signed, d.accept_cf, d.involuntary, d.lawyer_present, rows, accept, accept_cf)
    ]
    m.events.emit(PleaHearing(rows, srows))
    set_aside(m, srows[Prosecutor.finds_involuntary(m, srows)], Stage.REVIEW)
    pp = m.params.prosecutor
    charge_day = _charge_day(
        d.stage_start, d.rec, d.district, rows, lawyer_wait, m.day,
        m.per_world("prosecutor.review_days_fast"), pp.review_days_other, m.districts_per_world,
    )  # fmt: skip
    schedule(m, rows, Due.CHARGE, charge_day)


def charge(m: LeniencyModel, rows: np.ndarray) -> None:
    """End of review: withdrawal, non-prosecution or prosecution with a procedure (Arts. 172-177, 222)."""
    d = m.docket
    withdrawals(m, rows, Stage.REVIEW, 1.0, occasion=0)
    m.events.emit(ReviewConcluded(rows))
    Prosecutor.record_outcome(m, d.prosecutor[rows], d.signed[rows].astype(float))
    drop = Prosecutor.declines(m, rows)
    close(m, rows[drop], CaseState.NOT_PROSECUTED)
    rows = rows[~drop]
    release(m, rows[Prosecutor.releases_on_plea(m, rows)])
    d.procedure[rows] = Judge.procedure_for(m, rows)
    m.events.emit(Charged(rows))
    to_trial(m, rows)


_REVIEW = int(CaseState.REVIEW)
_W_RECORDS = CASE_COLUMN["prosecutor.records"]


@helper
def _usual_days(likely: float, fast_days: float, other_days: float) -> float:
    """The usual review days: the fast-track-eligible ones, or the others."""
    return fast_days if law.fast_track_eligible(likely) else other_days


@jit
def _take_up(
    state: Col, stage_start: Col, rec: Col, district: Col, rows: Col, day: int, hours_fast: float,
    hours_other: float, negotiation_hours: float, days_fast: Col, days_other: float, dpw: int, std: Col,
    half: Col, limit: Col,
) -> None:  # fmt: skip
    """Review begins on the likely sentence the offer states: the prosecutor's hours, half the usual review
    days before the hearing, and the review's time limit."""
    for i in range(rows.shape[0]):
        r = rows[i]
        state[r] = _REVIEW
        stage_start[r] = day
        likely = rec[r]
        fast = law.fast_track_eligible(likely)
        std[i] = (hours_fast if fast else hours_other) + negotiation_hours
        half[i] = round(0.5 * _usual_days(likely, days_fast[district[r] // dpw], days_other))
        limit[i] = law.review_limit(likely)


@jit
def _hearing_day(day: int, half: Col, wait: Col, limit: Col) -> np.ndarray:
    """The plea hearing: after the prosecutor's wait and half the usual review, within the limit."""
    out = np.empty(half.shape[0], dtype=np.int64)
    for i in range(half.shape[0]):
        out[i] = day + min(max(wait[i] + half[i], 1), limit[i] - 2)
    return out


@jit
def _records(recorded: Col, district: Col, draws: Col, rows: Col, share: Col, dpw: int) -> None:
    """The hearing is recorded (audio-visual) for a share of cases."""
    for i in range(rows.shape[0]):
        r = rows[i]
        recorded[r] = uniform32(draws[_W_RECORDS, r]) < share[district[r] // dpw]


@jit
def _sign(
    signed: Col, ever_signed: Col, accept_cf_: Col, involuntary: Col, lawyer_present: Col, rows: Col,
    accept: Col, accept_cf: Col,
) -> np.ndarray:  # fmt: skip
    """Art. 174: an accepted offer is signed only with a lawyer present; a signature the defendant would
    not give with accurate beliefs and no coercion is involuntary. Returns the signing cases."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        sign = accept[i] and lawyer_present[r]
        out[i] = sign
        accept_cf_[r] = accept_cf[i]
        if sign:
            signed[r] = True
            ever_signed[r] = True
            involuntary[r] = not accept_cf[i]
    return out


@jit
def _charge_day(
    stage_start: Col, rec: Col, district: Col, rows: Col, lawyer_wait: Col, day: int, days_fast: Col,
    days_other: float, dpw: int,
) -> np.ndarray:  # fmt: skip
    """Review ends after the usual days and the lawyer's wait, within the time limit (Art. 172)."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for i in range(rows.shape[0]):
        r = rows[i]
        start, likely = stage_start[r], rec[r]
        usual = round(_usual_days(likely, days_fast[district[r] // dpw], days_other))
        out[i] = min(max(day + 1 + lawyer_wait[i], start + usual), start + law.review_limit(likely))
    return out
