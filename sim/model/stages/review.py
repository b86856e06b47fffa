"""Investigation and review: arrival, the start of review (the offer), the plea hearing (advice, decision,
signing with a lawyer present, Art. 174) and the end of review (withdrawal, non-prosecution or a charge
with a procedure, Arts. 172-177 and 222)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, DutyLawyer, Judge, Prosecutor, triage
from sim.model.actors.defendant_kernels import forms_beliefs_at, plea_at, pressure_at
from sim.model.actors.judge import contested_at, expected_at, procedure_at
from sim.model.actors.prosecutor_kernels import (
    declines_at,
    finds_involuntary_at,
    record_outcomes,
    releases_at,
    will_negotiate_at,
)
from sim.model.actors.triage import flags_at
from sim.model.events import Arrived, Charged, PleaHearing, ReviewConcluded
from sim.model.kernel import helper, jit, uniform32, uniform52
from sim.model.procedure import CaseState, Stage
from sim.model.stages.casework import close, release, set_aside, to_trial, withdrawals
from sim.model.stages.casework_kernels import Due, schedule_at
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
    _arrive(
        d.case_id, d.arrival, d.arrival_seq, d.state, d.draws, d.district, d.prosecutor, d.judge_local,
        d.judge, d.retained, d.lawyer, d.relief_class, d.relief_reason, d.rec_reason, d.first_relief_day,
        d.next_event, d.next_day, rows, facts.raw, facts.counts, inv, first_id, m.day, m.districts_per_world,
        p.prosecutor.per_district, p.judge.per_district, p.lawyer.per_district, p.lawyer.retained_share,
    )  # fmt: skip
    Defendant.draw(m, rows, facts)
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


@helper
def _pick(word: Any, k: int) -> int:
    """A fact word as an integer in [0, k) (as ``streams.Arrivals.integers``)."""
    return min(int(uniform52(word) * k), k - 1)


@jit
def _arrive(
    case_id: Col, arrival: Col, arrival_seq: Col, state: Col, draws: Col, district: Col, prosecutor: Col,
    judge_local: Col, judge: Col, retained: Col, lawyer: Col, relief_class: Col, relief_reason: Col,
    rec_reason: Col, first_relief_day: Col, next_event: Col, next_day: Col, rows: Col, raw: Col,
    counts: Col, inv: Col, first_id: int, day: int, dpw: int, pros_pd: int, judge_pd: int, lawyer_pd: int,
    retained_share: float,
) -> None:  # fmt: skip
    """Write each new case's row in one visit: identity, place, staff, its behaviour block (the top 32 bits
    of each behaviour word, ``streams``), the empty relief marks and the day its review starts."""
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
            review = day + round(3.0 + inv[i])  # as int(np.round()): half to even (np.round compiles ~0.1 s)
            schedule_at(next_event, next_day, r, _DUE_REVIEW_START, review, day)
            block = draws[r]  # the case's behaviour words: one contiguous run
            for j in range(block.shape[0]):
                block[j] = np.uint32(f[_FACTS + j] >> np.uint64(32))
            i += 1


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
    _hearing_day(d.next_event, d.next_day, rows, m.day, half, wait, limit)


def plea_hearing(m: LeniencyModel, rows: np.ndarray) -> None:
    """Beliefs, the recording and the at-risk screen; lawyer advice; pressure, the offer and the defendant's
    decision; signing with a lawyer present (Art. 174) and the review-stage check of voluntariness."""
    d, p = m.docket, m.params
    n, dpw = len(rows), m.districts_per_world
    expected = np.empty(n)
    md, cap = Judge.contested_terms(m)
    low_literacy, deep_discount, weak_evidence, flags = triage.screen_terms(m)
    _opens(
        d.base, d.mitigation, d.detained, d.literacy, d.discount, d.evidence, d.overcharge, d.p_conv,
        d.framed_T, d.belief_T, d.own_T, d.belief_p, d.own_p, d.recorded, d.at_risk, d.district, d.draws,
        rows, dpw, md, cap, *Defendant.belief_terms(m),
        m.per_world("prosecutor.recorded_hearing_share"), low_literacy, deep_discount, weak_evidence, flags,
        expected,
    )  # fmt: skip
    lawyer_wait = DutyLawyer.advise(m, rows, expected)
    accept, accept_cf, bargain = (np.empty(n, dtype=np.bool_) for _ in range(3))
    _decides(
        d.detained, d.substantive, d.pressure, d.base, d.view_factor, d.judge, d.mitigation, d.risk,
        d.determinate, d.rec, d.rec_lo, d.belief_T, d.belief_p, d.p_conv, d.own_T, d.own_p, d.taste,
        d.contests, d.inv_cause, d.district, rows, dpw, *Defendant.pressure_terms(m), m.judges.norm, md,
        cap, *Defendant.plea_terms(m), p.prosecutor.negotiation_min_substance, accept,
        accept_cf, bargain,
    )  # fmt: skip
    if bargain.any():
        Prosecutor.negotiate(m, rows[bargain])
        accept[bargain], accept_cf[bargain] = Defendant.decide_plea(m, rows[bargain])
    refused = np.nonzero(~accept)[0]
    if len(refused):
        go = Defendant.insist(m, rows[refused])
        again = refused[go]
        if len(again):
            accept[again], accept_cf[again] = Defendant.decide_plea(m, rows[again])
    sign, found = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    _sign(
        d.signed, d.ever_signed, d.accept_cf, d.involuntary, d.lawyer_present, d.recorded, d.substantive,
        d.draws, rows, accept, accept_cf, *Prosecutor.check_terms(m), sign, found,
    )  # fmt: skip
    m.events.emit(PleaHearing(rows, rows[sign]))
    set_aside(m, rows[found], Stage.REVIEW)
    _charge_day(
        d.next_event, d.next_day, d.stage_start, d.rec, d.district, rows, lawyer_wait, m.day,
        m.per_world("prosecutor.review_days_fast"), p.prosecutor.review_days_other, dpw,
    )  # fmt: skip


def charge(m: LeniencyModel, rows: np.ndarray) -> None:
    """End of review: withdrawal, non-prosecution or prosecution with a procedure (Arts. 172-177, 222)."""
    d = m.docket
    withdrawals(m, rows, Stage.REVIEW, 1.0, occasion=0)
    m.events.emit(ReviewConcluded(rows))
    kept, dropped, freed = np.empty_like(rows), np.empty_like(rows), np.empty_like(rows)
    procedure = np.empty(len(rows), dtype=np.int8)
    k, a, b = _charge(
        d.prosecutor, d.signed, d.rec, d.innocent, d.evidence, d.detained, d.district, d.draws, rows,
        m.districts_per_world, m.prosecutors.rate, *Prosecutor.charge_terms(m),
        m.per_world("judge.fast_track_uptake"), kept, dropped, freed, procedure,
    )  # fmt: skip
    close(m, dropped[:a], CaseState.NOT_PROSECUTED)
    rows = kept[:k]
    release(m, freed[:b])
    d.procedure[rows] = procedure[:k]
    m.events.emit(Charged(rows))
    to_trial(m, rows)


_REVIEW = int(CaseState.REVIEW)
_DUE_REVIEW_START, _DUE_HEARING, _DUE_CHARGE = int(Due.REVIEW_START), int(Due.PLEA_HEARING), int(Due.CHARGE)
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
def _hearing_day(
    next_event: Col, next_day: Col, rows: Col, day: int, half: Col, wait: Col, limit: Col
) -> None:  # fmt: skip
    """The plea hearing falls due after the prosecutor's wait and half the usual review, within the limit."""
    for i in range(rows.shape[0]):
        hearing = day + min(max(wait[i] + half[i], 1), limit[i] - 2)
        schedule_at(next_event, next_day, rows[i], _DUE_HEARING, hearing, day)


@jit
def _opens(
    base: Col, mitigation: Col, detained: Col, literacy: Col, discount: Col, evidence: Col, overcharge: Col,
    p_conv: Col, framed_t: Col, belief_t: Col, own_t: Col, belief_p: Col, own_p: Col, recorded: Col,
    at_risk: Col, district: Col, draws: Col, rows: Col, dpw: int, md: float, cap: float, bias: float,
    noise_sd: float, overstate32: float, asymmetry: Col, recorded_share: Col, low_literacy: np.float32,
    deep_discount: np.float32, weak_evidence: np.float32, risk_flags: int, expected: Col,
) -> None:  # fmt: skip
    """The hearing opens, case by case: what the file and guideline say a trial gives (``expected``,
    ``judge.expected_at``), the defendant's beliefs (``Defendant.belief_terms``), whether the hearing
    is recorded (audio-visual, for a share of cases) and the at-risk screen (``triage.screen_terms``)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        e = expected_at(base[r], mitigation[r], md, cap)
        expected[i] = e
        forms_beliefs_at(
            r, e, bias, noise_sd, overstate32, asymmetry[w], draws, literacy, base, overcharge, p_conv,
            framed_t, belief_t, own_t, belief_p, own_p,
        )  # fmt: skip
        recorded[r] = uniform32(draws[r, _W_RECORDS]) < recorded_share[w]
        flags = flags_at(
            detained[r], literacy[r], discount[r], evidence[r], low_literacy, deep_discount, weak_evidence
        )
        at_risk[r] = flags >= risk_flags


@jit
def _decides(
    detained: Col, substantive: Col, pressure: Col, base: Col, view_factor: Col, judge: Col, mitigation: Col,
    risk: Col, determinate: Col, rec: Col, rec_lo: Col, belief_t: Col, belief_p: Col, p_conv: Col,
    own_t: Col, own_p: Col, taste: Col, contests: Col, inv_cause: Col, district: Col, rows: Col, dpw: int,
    detention_pressure: float, leverage: Col, shield32: float, norm: Col, md: float, cap: float,
    trial_cost: float, denial: float, threshold: float, least_substance: float, accept: Col,
    accept_cf: Col, bargain: Col,
) -> None:  # fmt: skip
    """After the advice, case by case: the pressure on the defendant (``Defendant.pressure_terms``), the
    plea decision against what this court would give after a contested trial (``Defendant.plea_terms``),
    and whether the prosecutor bargains over a refusal."""
    for i in range(rows.shape[0]):
        r = rows[i]
        pressure[r] = pressure_at(
            detained[r], substantive[r], detention_pressure, leverage[district[r] // dpw], shield32
        )
        trial = contested_at(base[r], view_factor[r], norm[judge[r]], mitigation[r], md, cap)
        a, a_cf = plea_at(
            r, trial, trial_cost, denial, threshold, risk, determinate, rec, rec_lo, belief_t, belief_p,
            p_conv, own_t, own_p, taste, contests, pressure, inv_cause,
        )  # fmt: skip
        accept[i], accept_cf[i] = a, a_cf
        bargain[i] = not a and will_negotiate_at(substantive[r], least_substance)


@jit
def _sign(
    signed: Col, ever_signed: Col, accept_cf_: Col, involuntary: Col, lawyer_present: Col, recorded: Col,
    substantive: Col, draws: Col, rows: Col, accept: Col, accept_cf: Col, visibility: float,
    check_depth: float, false_rate: float, sign: Col, found: Col,
) -> None:  # fmt: skip
    """Art. 174: an accepted offer is signed only with a lawyer present; a signature the defendant would
    not give with accurate beliefs and no coercion is involuntary. The review-stage check may then find it
    so (``found``, ``Prosecutor.check_terms``)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        s = accept[i] and lawyer_present[r]
        sign[i] = s
        accept_cf_[r] = accept_cf[i]
        found[i] = False
        if s:
            signed[r] = True
            ever_signed[r] = True
            involuntary[r] = not accept_cf[i]
            found[i] = finds_involuntary_at(
                draws, r, recorded[r], substantive[r], involuntary[r], visibility, check_depth, false_rate
            )


@jit
def _charge_day(
    next_event: Col, next_day: Col, stage_start: Col, rec: Col, district: Col, rows: Col, lawyer_wait: Col,
    day: int, days_fast: Col, days_other: float, dpw: int,
) -> None:  # fmt: skip
    """Review ends (the charge falls due) after the usual days and the lawyer's wait, within the time limit
    (Art. 172)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        start, likely = stage_start[r], rec[r]
        usual = round(_usual_days(likely, days_fast[district[r] // dpw], days_other))
        end = min(max(day + 1 + lawyer_wait[i], start + usual), start + law.review_limit(likely))
        schedule_at(next_event, next_day, r, _DUE_CHARGE, end, day)


@jit
def _charge(
    prosecutor: Col, signed: Col, rec: Col, innocent: Col, evidence: Col, detained: Col, district: Col,
    draws: Col, rows: Col, dpw: int, rate: Col, smoothing: float, minor_share: float, weak_drop: float,
    release_on_plea: float, leverage: Col, uptake: Col, kept: Col, dropped: Col, freed: Col, procedure: Col,
) -> tuple[int, int, int]:  # fmt: skip
    """The end of review: the prosecutors' running application rates (``record_outcomes``), then case by
    case non-prosecution (to ``dropped``), release on a plea (to ``freed``) and the procedure of first
    instance of the cases prosecuted (to the front of ``kept`` and ``procedure``). Returns the numbers kept,
    dropped and freed."""
    record_outcomes(rows, prosecutor, signed, rate, smoothing)
    k = a = b = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if declines_at(draws, r, signed[r], rec[r], innocent[r], evidence[r], minor_share, weak_drop):
            dropped[a] = r
            a += 1
            continue
        w = district[r] // dpw
        kept[k] = r
        procedure[k] = procedure_at(draws, r, signed[r], rec[r], uptake[w])
        k += 1
        if releases_at(draws, r, signed[r], detained[r], release_on_plea * leverage[w]):
            freed[b] = r
            b += 1
    return k, a, b
