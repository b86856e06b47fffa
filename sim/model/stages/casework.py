"""Operations every stage uses: scheduling a case's next step, recording relief on the case, releasing from
detention, closing, and the plea's fate (set aside after a voluntariness finding, withdrawn, converted to a
trial anew). Each changes case state and emits the event observers count."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from sim.model import streams
from sim.model.actors import Defendant, DutyLawyer, Judge, triage
from sim.model.cases import pack_class
from sim.model.events import Closed, PleaSetAside, Released, Relief, Remanded, Withdrawn
from sim.model.procedure import CaseState, Procedure, Stage, trial_limit
from sim.model.relief import CLASS_CODE, INITIATING, INVOLUNTARY_REASON, Reason, ReliefType

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


class Due(IntEnum):
    """What falls due for a case on its ``next_day`` (the docket's ``next_event``)."""

    REVIEW_START = 1
    PLEA_HEARING = 2
    CHARGE = 3
    TRIAL = 4
    APPEAL_END = 5
    SECOND_INSTANCE = 6


def schedule(m: LeniencyModel, rows: np.ndarray, due: Due, day: np.ndarray | int) -> None:
    m.docket.next_event[rows] = due
    m.docket.next_day[rows] = np.maximum(day, m.day + 1)


def relief(
    m: LeniencyModel, rows: np.ndarray, stage: Stage, rtype: ReliefType, reasons: np.ndarray | int
) -> None:
    """Relief on these cases: the first of its kind in a case is an initiation; the case remembers its class
    (hours and detention days spent on relief are attributed to it)."""
    if not len(rows):
        return
    d = m.docket
    reasons = np.broadcast_to(np.asarray(reasons, dtype=np.int8), (len(rows),))
    bit = np.uint8(1 << int(rtype))
    initiation = np.zeros(len(rows), dtype=bool)
    if rtype in INITIATING:
        initiation = (d.relief_seen[rows] & bit) == 0
        d.relief_seen[rows] |= bit
        ir = rows[initiation]
        d.relief_class[ir] = CLASS_CODE[reasons[initiation]]
        d.relief_cls_bits[ir] = pack_class(d.relief_cls_bits[ir], INITIATING.index(rtype), d.relief_class[ir])
        d.first_relief_day[ir] = np.where(d.first_relief_day[ir] < 0, m.day, d.first_relief_day[ir])
        if rtype in (ReliefType.APPEAL, ReliefType.PROTEST):
            first = d.relief_reason[ir] < 0
            d.relief_reason[ir[first]] = reasons[initiation][first]
    m.events.emit(Relief(rows, stage, rtype, reasons, initiation))


def release(m: LeniencyModel, rows: np.ndarray) -> None:
    """End pre-trial detention (release, or the judgment becoming final)."""
    d = m.docket
    rows = rows[d.detained[rows]]
    if not len(rows):
        return
    days = m.day - d.det_since[rows]
    d.det_days[rows] += days
    m.events.emit(Released(rows, days))
    d.detained[rows] = False
    d.det_since[rows] = -1


def close(m: LeniencyModel, rows: np.ndarray, state: CaseState) -> None:
    """Close cases: observers read their rows, then the docket frees them."""
    if not len(rows):
        return
    release(m, rows)
    m.docket.state[rows] = state
    m.events.emit(Closed(rows, state))
    m.docket.release(rows)


def set_aside(m: LeniencyModel, rows: np.ndarray, stage: Stage) -> None:
    """A voluntariness finding: the plea is set aside; the defendant decides again with accurate beliefs."""
    if not len(rows):
        return
    d = m.docket
    reasons = np.where(d.involuntary[rows], INVOLUNTARY_REASON[d.inv_cause[rows]], Reason.FALSE_ALARM)
    reasons = np.where(d.involuntary[rows] & d.innocent[rows], Reason.INNOCENT, reasons)
    relief(m, rows, stage, ReliefType.VOLUNTARINESS_FINDING, reasons)
    newly_found = d.involuntary[rows] & ~d.found_involuntary[rows]
    # the prosecutor re-reviews the case with the defendant's new decision (relief hours)
    _, hours, _ = m.prosecutors.book(d.prosecutor[rows], m.params.prosecutor.withdrawal_hours)
    m.add_hours("prosecutor", stage, rows, hours, relief=True)
    knows(m, rows)
    m.events.emit(PleaSetAside(rows, newly_found))


def knows(m: LeniencyModel, rows: np.ndarray) -> None:
    """An involuntariness finding: the defendant now knows what a contested trial would bring, the pressure
    is lifted, and the plea stands only if a knowing and free defendant would make it."""
    d = m.docket
    d.found_involuntary[rows] = True
    d.belief_T[rows] = Judge.contested_sentence(m, rows)
    d.belief_p[rows] = d.p_conv[rows]
    d.pressure[rows] = 0.0
    d.signed[rows] = d.accept_cf[rows]


def withdraw(m: LeniencyModel, rows: np.ndarray, stage: Stage, reasons: np.ndarray) -> None:
    """The defendant withdraws the plea (反悔): the discount is lost."""
    if not len(rows):
        return
    d = m.docket
    d.signed[rows] = False
    d.withdrawn[rows] = True
    relief(m, rows, stage, ReliefType.WITHDRAWAL, reasons)
    _, hours, _ = m.prosecutors.book(d.prosecutor[rows], m.params.prosecutor.withdrawal_hours)
    m.add_hours("prosecutor", stage, rows, hours, relief=True)
    m.events.emit(Withdrawn(rows))


def withdrawals(m: LeniencyModel, rows: np.ndarray, stage: Stage, scale: float, occasion: int) -> None:
    """Withdrawal of a standing plea: essential if the plea was involuntary, else driven by misinformation.
    ``occasion``: 0 at the end of review, 1 at trial (each its own draws)."""
    d, p = m.docket, m.params
    standing = rows[d.signed[rows]]
    inv = d.involuntary[standing] & ~d.found_involuntary[standing]
    learn = inv & Defendant.learns_truth(m, standing, scale, occasion)
    misinf = ~inv & Defendant.misinformed(m, standing, scale, occasion)
    acts = streams.uniform(m, "defendant.withdraws", standing, occasion) < p.defendant.withdrawal_propensity
    go = (learn | misinf) & acts
    g = standing[go]
    inv_reason = np.where(d.innocent[g], Reason.INNOCENT, INVOLUNTARY_REASON[d.inv_cause[g]])
    reasons = np.where(learn[go], inv_reason, Reason.MISINFORMATION)
    withdraw(m, standing[go], stage, reasons)


def to_trial(m: LeniencyModel, rows: np.ndarray, as_relief: bool = False) -> None:
    """Send cases to first instance; ``as_relief`` marks a re-trial after a plea was lost (its hours are
    relief)."""
    if not len(rows):
        return
    d, jp = m.docket, m.params.judge
    d.trials[rows] += 1
    streams.check_occurrence("judge.finds_involuntary", d.trials[rows] - 1)
    d.state[rows] = CaseState.TRIAL
    d.stage_start[rows] = m.day
    proc = d.procedure[rows]
    fast, summ = proc == Procedure.FAST_TRACK, proc == Procedure.SUMMARY
    std_h = np.select([fast, summ], [jp.fast_track_hours, jp.summary_hours], jp.ordinary_hours)
    # the court examines the recorded plea hearing when there is one (voluntariness safeguards)
    std_h = std_h + m.params_at(rows).judge.record_review_hours * (d.recorded[rows] & d.signed[rows])
    # triage: at-risk plea cases get a substantive voluntariness review, at its cost in judge time
    tp = m.params.triage
    if tp.review_share > 0.0:
        d.triaged[rows] = triage.chosen(
            m, "triage.reviewed", rows, d.signed[rows] & d.at_risk[rows], tp.review_share, d.trials[rows] - 1
        )
        std_h = std_h + tp.review_hours * d.triaged[rows]
    std_d = np.select([fast, summ], [jp.trial_days_fast, jp.trial_days_summary], jp.trial_days_ordinary)
    wait, hours, tf = m.judges.book(d.judge[rows], std_h)
    m.add_hours("judge", Stage.TRIAL, rows, hours, relief=as_relief)
    d.hearing_time[rows] = tf
    limit = trial_limit(proc, d.rec[rows])
    schedule(m, rows, Due.TRIAL, m.day + np.clip(np.round(std_d).astype(np.int32) + wait, 1, limit))
    DutyLawyer.continue_to_trial(m, rows[d.signed[rows]], as_relief)


def retry_as_ordinary(m: LeniencyModel, rows: np.ndarray) -> None:
    """Art. 226: a plea case that loses its plea converts to ordinary procedure and is tried anew (relief)."""
    m.docket.procedure[rows] = Procedure.ORDINARY
    to_trial(m, rows, as_relief=True)


def remand(m: LeniencyModel, rows: np.ndarray) -> None:
    """Remand for retrial (发回重审, Art. 236): the involuntary plea found on appeal is set aside and the
    case is tried anew at first instance (its hours are relief). The defendant now decides knowing the
    truth; the retried case draws fresh behaviour from its own remand stream, so its new decisions are
    not the first trial's."""
    if not len(rows):
        return
    d = m.docket
    d.remanded[rows] = True
    d.put_block("draws", rows, m.streams.refill(m.world_of(rows), d.arrival[rows], d.arrival_seq[rows]))
    d.trials[rows] = 0
    knows(m, rows)
    first_round = (d.convicted, d.appealed, d.technical, d.grounded, d.protested, d.punitive, d.written_lane)
    for col in (*first_round, d.adopted, d.promise_unfulfilled, d.suspension_refused, d.explained, d.triaged):
        col[rows] = False
    d.protest_motive[rows] = 0
    d.procedure[rows] = np.where(d.signed[rows], Procedure.SUMMARY, Procedure.ORDINARY)
    m.events.emit(Remanded(rows))
    to_trial(m, rows, as_relief=True)
