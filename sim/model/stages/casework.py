"""Operations every stage uses: recording relief on the case, releasing from detention, closing, and the
plea's fate (set aside after a voluntariness finding, withdrawn, converted to a trial anew). Each changes case
state and emits the event observers count. A stage schedules a case's next step in the kernel that computes
its day (``casework_kernels.schedule_at``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.actors import Defendant, DutyLawyer, Judge
from sim.model.events import Closed, PleaSetAside, Released, Relief, Remanded, Withdrawn
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import CLASS_CODE, INITIATING, INVOLUNTARY_REASON, ReliefType
from sim.model.stages import casework_kernels as kernels

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def relief(
    m: LeniencyModel, rows: np.ndarray, stage: Stage, rtype: ReliefType, reasons: np.ndarray | int
) -> None:
    """Relief on these cases: the first of its kind in a case is an initiation; the case remembers its class
    (hours and detention days spent on relief are attributed to it)."""
    if not len(rows):
        return
    d = m.docket
    given = np.asarray(reasons, dtype=np.int8).reshape(-1)
    if rtype in INITIATING:
        initiation = np.empty(len(rows), dtype=bool)
        kernels.initiate_kernel(
            d.relief_seen, d.relief_class, d.relief_cls_bits, d.first_relief_day, d.relief_reason, rows,
            given, CLASS_CODE, 1 << int(rtype), 2 * INITIATING.index(rtype),
            rtype in (ReliefType.APPEAL, ReliefType.PROTEST), m.day, initiation,
        )  # fmt: skip
    else:
        initiation = np.zeros(len(rows), dtype=bool)
    each = np.empty(len(rows), dtype=np.int8)  # each row's reason: a contiguous array whether one reason was
    each[:] = given  # given for all or one per row (the kernels that read it then compile once)
    m.events.emit(Relief(rows, stage, rtype, each, initiation))


def release(m: LeniencyModel, rows: np.ndarray) -> None:
    """End pre-trial detention (release, or the judgment becoming final)."""
    if not len(rows):
        return
    d = m.docket
    out, days = np.empty_like(rows), np.empty(len(rows), dtype=np.int32)
    k = kernels.detention_ends_kernel(d.detained, d.det_since, d.det_days, rows, m.day, out, days)
    if not k:
        return
    rows, days = out[:k], days[:k]
    m.events.emit(Released(rows, days))  # observers read the spell's start
    kernels.free_kernel(d.detained, d.det_since, rows)


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
    reasons = np.empty(len(rows), dtype=np.int8)
    newly_found = np.empty(len(rows), dtype=bool)
    kernels.finding_kernel(
        d.involuntary,
        d.innocent,
        d.inv_cause,
        d.found_involuntary,
        rows,
        INVOLUNTARY_REASON,
        reasons,
        newly_found,
    )
    relief(m, rows, stage, ReliefType.VOLUNTARINESS_FINDING, reasons)
    # the prosecutor re-reviews the case with the defendant's new decision (relief hours)
    _, hours, _ = m.prosecutors.book(d.prosecutor[rows], m.params.prosecutor.withdrawal_hours)
    m.add_hours("prosecutor", stage, rows, hours, relief=True)
    knows(m, rows)
    m.events.emit(PleaSetAside(rows, newly_found))


def knows(m: LeniencyModel, rows: np.ndarray) -> None:
    """An involuntariness finding: the defendant now knows what a contested trial would bring, the pressure
    is lifted, and the plea stands only if a knowing and free defendant would make it."""
    d = m.docket
    kernels.knows_kernel(
        d.found_involuntary, d.belief_T, d.belief_p, d.p_conv, d.pressure, d.signed, d.accept_cf, rows,
        Judge.contested_sentence(m, rows),
    )  # fmt: skip


def withdraw(m: LeniencyModel, rows: np.ndarray, stage: Stage, reasons: np.ndarray) -> None:
    """The defendant withdraws the plea (反悔): the discount is lost."""
    if not len(rows):
        return
    d = m.docket
    kernels.withdrawn_kernel(d.signed, d.withdrawn, rows)
    relief(m, rows, stage, ReliefType.WITHDRAWAL, reasons)
    _, hours, _ = m.prosecutors.book(d.prosecutor[rows], m.params.prosecutor.withdrawal_hours)
    m.add_hours("prosecutor", stage, rows, hours, relief=True)
    m.events.emit(Withdrawn(rows))


def withdrawals(m: LeniencyModel, rows: np.ndarray, stage: Stage, scale: float, occasion: int) -> None:
    """Withdrawal of a standing plea: essential if the plea was involuntary, else driven by misinformation.
    ``occasion``: 0 at the end of review, 1 at trial (each its own draws)."""
    d, p = m.docket, m.params
    go, reasons = np.empty_like(rows), np.empty(len(rows), dtype=np.int8)
    k = kernels.who_withdraws_kernel(
        d.signed, d.involuntary, d.found_involuntary, d.innocent, d.inv_cause, d.district, d.literacy,
        d.substantive, d.draws, rows, m.districts_per_world, *Defendant.second_thoughts(m, scale, occasion),
        occasion, p.defendant.withdrawal_propensity, INVOLUNTARY_REASON, go, reasons,
    )  # fmt: skip
    withdraw(m, go[:k], stage, reasons[:k])


def to_trial(m: LeniencyModel, rows: np.ndarray, as_relief: bool = False) -> None:
    """Send cases to first instance; ``as_relief`` marks a re-trial after a plea was lost (its hours are
    relief)."""
    if not len(rows):
        return
    d, jp, tp = m.docket, m.params.judge, m.params.triage
    std_h, judges = np.empty(len(rows)), np.empty(len(rows), dtype=np.int32)
    kernels.trial_opens_kernel(
        d.trials, d.state, d.stage_start, d.procedure, d.recorded, d.signed, d.at_risk, d.triaged, d.judge,
        d.district, d.draws, rows, m.day, m.districts_per_world,
        float(jp.fast_track_hours), float(jp.summary_hours), float(jp.ordinary_hours),
        m.per_world("judge.record_review_hours"),
        float(tp.review_share), float(tp.review_hours), std_h, judges,
    )  # fmt: skip
    wait, hours, tf = m.judges.book(judges, std_h)
    m.add_hours("judge", Stage.TRIAL, rows, hours, relief=as_relief)
    signed = np.empty_like(rows)
    k = kernels.trial_scheduled_kernel(
        d.hearing_time, d.next_event, d.next_day, d.procedure, d.rec, d.signed, rows, tf, wait, m.day,
        round(jp.trial_days_fast), round(jp.trial_days_summary), round(jp.trial_days_ordinary), signed,
    )  # fmt: skip
    DutyLawyer.continue_to_trial(m, signed[:k], as_relief)


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
    d.put_block("draws", rows, m.streams.refill(m.world_of(rows), d.arrival[rows], d.arrival_seq[rows]))
    knows(m, rows)
    kernels.retried_kernel(
        d.remanded, d.trials, d.convicted, d.appealed, d.technical, d.grounded, d.protested, d.punitive,
        d.written_lane, d.adopted, d.promise_unfulfilled, d.suspension_refused, d.explained, d.triaged,
        d.protest_motive, d.procedure, d.signed, rows,
    )  # fmt: skip
    m.events.emit(Remanded(rows))
    to_trial(m, rows, as_relief=True)
