"""Investigation and review: arrival, the start of review (the offer), the plea hearing (advice, decision,
signing with a lawyer present, Art. 174) and the end of review (withdrawal, non-prosecution or a charge
with a procedure, Arts. 172-177 and 222)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, DutyLawyer, Judge, Prosecutor, triage
from sim.model.events import Arrived, Charged, PleaHearing, ReviewConcluded
from sim.model.procedure import CaseState, Stage
from sim.model.stages.casework import Due, close, release, schedule, set_aside, to_trial, withdrawals
from sim.model.streams import uniform

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
    ids = np.arange(m.next_case_id, m.next_case_id + n)
    m.next_case_id += n
    d.case_id[rows] = ids
    d.arrival[rows] = m.day
    starts = np.cumsum(facts.counts) - facts.counts
    d.arrival_seq[rows] = np.arange(n) - np.repeat(starts, facts.counts)
    d.state[rows] = CaseState.INVESTIGATION
    d.put_block("draws", rows, facts.behaviour)
    dist = facts.world * m.districts_per_world + facts.integers("case.district", m.districts_per_world)
    d.district[rows] = dist
    pd_ = p.prosecutor.per_district
    d.prosecutor[rows] = dist * pd_ + facts.integers("case.prosecutor", pd_)
    jl = facts.integers("case.judge", p.judge.per_district)
    d.judge_local[rows] = jl
    d.judge[rows] = dist * p.judge.per_district + jl
    d.retained[rows] = facts.uniform("case.retained") < p.lawyer.retained_share
    duty = dist * p.lawyer.per_district + facts.integers("case.duty_lawyer", p.lawyer.per_district)
    d.lawyer[rows] = np.where(d.retained[rows], -1, duty)
    Defendant.draw(m, rows, facts)
    d.relief_class[rows] = -1
    d.relief_reason[rows] = -1
    d.rec_reason[rows] = -1
    d.first_relief_day[rows] = -1
    inv = 3 + facts.exponential("case.investigation", max(p.case.investigation_days_mean - 3, 0.1))
    schedule(m, rows, Due.REVIEW_START, m.day + np.round(inv).astype(np.int32))
    m.events.emit(Arrived(rows))
    return n


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
