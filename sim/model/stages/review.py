"""Investigation and review: arrival, the start of review (the offer), the plea hearing (advice, decision,
signing with a lawyer present, Art. 174) and the end of review (withdrawal, non-prosecution or a charge
with a procedure, Arts. 172-177 and 222)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, DutyLawyer, Judge, Prosecutor, triage
from sim.model.events import Arrived, Charged, PleaHearing, ReviewConcluded
from sim.model.kernel import jit
from sim.model.procedure import CaseState, Stage
from sim.model.stages.casework import Due, close, release, schedule, set_aside, to_trial, withdrawals
from sim.model.streams import FACT_COLUMN, FACT_SLOTS, uniform

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def arrive(m: LeniencyModel) -> int:
    """Today's new cases in every world: who, with what case, before which prosecutor and judge, each case
    from its world's arrival stream of the day (``sim.model.streams``). Returns how many arrived."""
    p, d = m.params, m.docket
    wp = m.world_params
    facts = m.streams.arrivals(
        m.day, wp.run.cases_per_day, m.worlds, Defendant.beta_shapes(m.params_of_worlds())
    )
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


@jit
def _open52(word: Any) -> float:
    """A 64-bit fact word as its uniform (as ``streams.Arrivals.uniform``)."""
    return (float(word >> np.uint64(12)) + 0.5) * 2.0**-52


@jit
def _pick(word: Any, k: int) -> int:
    """A fact word as an integer in [0, k) (as ``streams.Arrivals.integers``)."""
    return min(int(_open52(word) * k), k - 1)


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
    width = draws.shape[0]
    i = 0
    for w in range(counts.shape[0]):
        for seq in range(counts[w]):
            r = rows[i]
            f = raw[i]
            case_id[r] = first_id + i
            arrival[r] = day
            arrival_seq[r] = seq
            state[r] = _INVESTIGATION
            for j in range(width):
                draws[j, r] = np.uint32(f[_FACTS + j] >> np.uint64(32))
            dist = w * dpw + _pick(f[_C_DISTRICT], dpw)
            district[r] = dist
            prosecutor[r] = dist * pros_pd + _pick(f[_C_PROSECUTOR], pros_pd)
            jl = _pick(f[_C_JUDGE], judge_pd)
            judge_local[r] = jl
            judge[r] = dist * judge_pd + jl
            ret = _open52(f[_C_RETAINED]) < retained_share
            retained[r] = ret
            duty = dist * lawyer_pd + _pick(f[_C_DUTY], lawyer_pd)
            lawyer[r] = -1 if ret else duty
            relief_class[r] = -1
            relief_reason[r] = -1
            rec_reason[r] = -1
            first_relief_day[r] = -1
            out[i] = day + int(np.round(3.0 + inv[i]))
            i += 1
    return out


def review_start(m: LeniencyModel, rows: np.ndarray) -> None:
    """The prosecutor takes up the file and prepares a recommendation."""
    d, p = m.docket, m.params
    d.state[rows] = CaseState.REVIEW
    d.stage_start[rows] = m.day
    Prosecutor.offer(m, rows)
    likely = d.rec[rows]
    fast = law.fast_track_eligible(likely)
    std = np.where(fast, p.prosecutor.review_hours_fast, p.prosecutor.review_hours_other)
    wait, hours, _ = m.prosecutors.book(d.prosecutor[rows], std + p.prosecutor.negotiation_hours)
    m.add_hours("prosecutor", Stage.REVIEW, rows, hours)
    limit = law.review_limit(likely)
    pp = m.params_at(rows).prosecutor
    half = np.round(0.5 * np.where(fast, pp.review_days_fast, pp.review_days_other))
    schedule(m, rows, Due.PLEA_HEARING, m.day + np.clip(wait + half.astype(np.int32), 1, limit - 2))


def plea_hearing(m: LeniencyModel, rows: np.ndarray) -> None:
    """Lawyer advice, the offer and the defendant's decision; signing with a lawyer present (Art. 174)."""
    d = m.docket
    Defendant.form_beliefs(m, rows)
    d.recorded[rows] = (
        uniform(m, "prosecutor.records", rows) < m.params_at(rows).prosecutor.recorded_hearing_share
    )
    d.at_risk[rows] = triage.at_risk(m, rows)
    lawyer_wait = DutyLawyer.advise(m, rows)
    d.pressure[rows] = Defendant.pressure(m, rows)
    accept, accept_cf = Defendant.decide_plea(m, rows)
    bargain = ~accept & Prosecutor.will_negotiate(m, rows)
    if bargain.any():
        Prosecutor.negotiate(m, rows[bargain])
        accept[bargain], accept_cf[bargain] = Defendant.decide_plea(m, rows[bargain])
    refused = np.flatnonzero(~accept)
    if len(refused):
        go = Defendant.insist(m, rows[refused])
        again = refused[go]
        if len(again):
            accept[again], accept_cf[again] = Defendant.decide_plea(m, rows[again])
    sign = accept & law.may_sign(d.lawyer_present[rows])
    srows = rows[sign]
    d.signed[srows] = True
    d.ever_signed[srows] = True
    d.accept_cf[rows] = accept_cf
    d.involuntary[srows] = ~accept_cf[sign]
    m.events.emit(PleaHearing(rows, srows))
    set_aside(m, srows[Prosecutor.finds_involuntary(m, srows)], Stage.REVIEW)
    start, pp = d.stage_start[rows], m.params_at(rows).prosecutor
    limit = law.review_limit(d.rec[rows])
    usual = np.where(law.fast_track_eligible(d.rec[rows]), pp.review_days_fast, pp.review_days_other)
    charge_day = np.maximum(m.day + 1 + lawyer_wait, start + np.round(usual).astype(np.int32))
    schedule(m, rows, Due.CHARGE, np.minimum(charge_day, start + limit))


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
