"""Operations every stage uses: scheduling a case's next step, recording relief on the case, releasing from
detention, closing, and the plea's fate (set aside after a voluntariness finding, withdrawn, converted to a
trial anew). Each changes case state and emits the event observers count."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors import Defendant, DutyLawyer, Judge
from sim.model.actors.triage import picks
from sim.model.events import Closed, PleaSetAside, Released, Relief, Remanded, Withdrawn
from sim.model.kernel import jit, uniform32
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import CLASS_CODE, INITIATING, INVOLUNTARY_REASON, Reason, ReliefType
from sim.model.streams import CASE_COLUMN

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


# plain ints for the kernels
_TRIAL = int(CaseState.TRIAL)
_FAST, _SUMMARY = int(Procedure.FAST_TRACK), int(Procedure.SUMMARY)
_ORDINARY = int(Procedure.ORDINARY)
_DUE_TRIAL = int(Due.TRIAL)
_INNOCENT, _FALSE_ALARM = int(Reason.INNOCENT), int(Reason.FALSE_ALARM)
_MISINFORMATION = int(Reason.MISINFORMATION)
_FAST_LIMIT, _FAST_LONG = law.TRIAL_LIMIT_FAST, law.TRIAL_LIMIT_FAST_LONG
_SUMMARY_LIMIT, _SUMMARY_LONG = law.TRIAL_LIMIT_SUMMARY, law.TRIAL_LIMIT_SUMMARY_LONG
_WITHDRAWS = CASE_COLUMN["defendant.withdraws"]
_REVIEWED = CASE_COLUMN["triage.reviewed"]


@jit
def schedule_kernel(
    next_event: np.ndarray, next_day: np.ndarray, rows: np.ndarray, due: int, days: np.ndarray, today: int
) -> None:
    """``schedule``: ``days`` holds one day per row, or one for all; nothing falls due before tomorrow."""
    one = days.shape[0] != rows.shape[0]
    for i in range(rows.shape[0]):
        r = rows[i]
        next_event[r] = due
        next_day[r] = max(days[0 if one else i], today + 1)


def schedule(m: LeniencyModel, rows: np.ndarray, due: Due, day: np.ndarray | int) -> None:
    days = np.asarray(day).reshape(-1)
    schedule_kernel(m.docket.next_event, m.docket.next_day, rows, int(due), days, m.day)


@jit
def _initiate(
    relief_seen: np.ndarray,
    relief_class: np.ndarray,
    relief_cls_bits: np.ndarray,
    first_relief_day: np.ndarray,
    relief_reason: np.ndarray,
    rows: np.ndarray,
    reasons: np.ndarray,
    class_code: np.ndarray,
    bit: int,
    shift: int,
    keeps_reason: bool,
    day: int,
    initiation: np.ndarray,
) -> None:
    """The initiations among relief of an initiating kind: the case's first of the kind records its class
    (the 2-bit slot of ``cases.pack_class``), its first relief day and, for an appeal or protest, its
    reason. ``reasons`` holds one reason per row, or one for all."""
    one = reasons.shape[0] != rows.shape[0]
    for i in range(rows.shape[0]):
        r = rows[i]
        first = (relief_seen[r] & bit) == 0
        initiation[i] = first
        if not first:
            continue
        relief_seen[r] |= bit
        reason = reasons[0 if one else i]
        cls = class_code[reason]
        relief_class[r] = cls
        relief_cls_bits[r] |= ((int(cls) + 1) & 0xFFFF) << shift
        if first_relief_day[r] < 0:
            first_relief_day[r] = day
        if keeps_reason and relief_reason[r] < 0:
            relief_reason[r] = reason


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
        _initiate(
            d.relief_seen, d.relief_class, d.relief_cls_bits, d.first_relief_day, d.relief_reason, rows,
            given, CLASS_CODE, 1 << int(rtype), 2 * INITIATING.index(rtype),
            rtype in (ReliefType.APPEAL, ReliefType.PROTEST), m.day, initiation,
        )  # fmt: skip
    else:
        initiation = np.zeros(len(rows), dtype=bool)
    m.events.emit(Relief(rows, stage, rtype, np.broadcast_to(given, (len(rows),)), initiation))


@jit
def _detention_ends(
    detained: np.ndarray, det_since: np.ndarray, det_days: np.ndarray, rows: np.ndarray, day: int,
    out_rows: np.ndarray, out_days: np.ndarray,
) -> int:  # fmt: skip
    """Adds the spell of each detained case of ``rows`` to its detention days; the detained rows and their
    spells go to the front of ``out_rows`` and ``out_days``, their number is returned."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if detained[r]:
            days = np.int32(day - det_since[r])
            det_days[r] += days
            out_rows[k] = r
            out_days[k] = days
            k += 1
    return k


@jit
def _free(detained: np.ndarray, det_since: np.ndarray, rows: np.ndarray) -> None:
    for i in range(rows.shape[0]):
        detained[rows[i]] = False
        det_since[rows[i]] = -1


def release(m: LeniencyModel, rows: np.ndarray) -> None:
    """End pre-trial detention (release, or the judgment becoming final)."""
    d = m.docket
    out, days = np.empty_like(rows), np.empty(len(rows), dtype=np.int32)
    k = _detention_ends(d.detained, d.det_since, d.det_days, rows, m.day, out, days)
    if not k:
        return
    rows, days = out[:k], days[:k]
    m.events.emit(Released(rows, days))  # observers read the spell's start
    _free(d.detained, d.det_since, rows)


def close(m: LeniencyModel, rows: np.ndarray, state: CaseState) -> None:
    """Close cases: observers read their rows, then the docket frees them."""
    if not len(rows):
        return
    release(m, rows)
    m.docket.state[rows] = state
    m.events.emit(Closed(rows, state))
    m.docket.release(rows)


@jit
def _finding(
    involuntary: np.ndarray, innocent: np.ndarray, inv_cause: np.ndarray, found_involuntary: np.ndarray,
    rows: np.ndarray, involuntary_reason: np.ndarray, reasons: np.ndarray, newly_found: np.ndarray,
) -> None:  # fmt: skip
    """A voluntariness finding's reason per case (a false alarm on a voluntary plea) and whether it finds an
    involuntary plea not found before."""
    for i in range(rows.shape[0]):
        r = rows[i]
        inv = involuntary[r]
        if inv and innocent[r]:
            reasons[i] = _INNOCENT
        elif inv:
            reasons[i] = involuntary_reason[inv_cause[r]]
        else:
            reasons[i] = _FALSE_ALARM
        newly_found[i] = inv and not found_involuntary[r]


def set_aside(m: LeniencyModel, rows: np.ndarray, stage: Stage) -> None:
    """A voluntariness finding: the plea is set aside; the defendant decides again with accurate beliefs."""
    if not len(rows):
        return
    d = m.docket
    reasons = np.empty(len(rows), dtype=np.int8)
    newly_found = np.empty(len(rows), dtype=bool)
    _finding(
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
    _knows(
        d.found_involuntary, d.belief_T, d.belief_p, d.p_conv, d.pressure, d.signed, d.accept_cf, rows,
        Judge.contested_sentence(m, rows),
    )  # fmt: skip


@jit
def _knows(
    found_involuntary: np.ndarray, belief_T: np.ndarray, belief_p: np.ndarray, p_conv: np.ndarray,
    pressure: np.ndarray, signed: np.ndarray, accept_cf: np.ndarray, rows: np.ndarray, contested: np.ndarray,
) -> None:  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        found_involuntary[r] = True
        belief_T[r] = contested[i]
        belief_p[r] = p_conv[r]
        pressure[r] = 0.0
        signed[r] = accept_cf[r]


def withdraw(m: LeniencyModel, rows: np.ndarray, stage: Stage, reasons: np.ndarray) -> None:
    """The defendant withdraws the plea (反悔): the discount is lost."""
    if not len(rows):
        return
    d = m.docket
    _withdrawn(d.signed, d.withdrawn, rows)
    relief(m, rows, stage, ReliefType.WITHDRAWAL, reasons)
    _, hours, _ = m.prosecutors.book(d.prosecutor[rows], m.params.prosecutor.withdrawal_hours)
    m.add_hours("prosecutor", stage, rows, hours, relief=True)
    m.events.emit(Withdrawn(rows))


@jit
def _withdrawn(signed: np.ndarray, withdrawn: np.ndarray, rows: np.ndarray) -> None:
    for i in range(rows.shape[0]):
        signed[rows[i]] = False
        withdrawn[rows[i]] = True


@jit
def _standing(signed: np.ndarray, rows: np.ndarray, out: np.ndarray) -> int:
    """The rows whose plea stands, to the front of ``out``; returns their number."""
    k = 0
    for i in range(rows.shape[0]):
        if signed[rows[i]]:
            out[k] = rows[i]
            k += 1
    return k


@jit
def _who_withdraws(
    involuntary: np.ndarray, found_involuntary: np.ndarray, innocent: np.ndarray, inv_cause: np.ndarray,
    draws: np.ndarray, standing: np.ndarray, learns: np.ndarray, misinformed: np.ndarray, occasion: int,
    propensity: float, involuntary_reason: np.ndarray, out: np.ndarray, reasons: np.ndarray,
) -> int:  # fmt: skip
    """The standing pleas withdrawn (to the front of ``out``, their reasons in ``reasons``; returns their
    number): an involuntary signer who learns the truth, or a voluntary one misinformed, who acts on it."""
    k = 0
    for i in range(standing.shape[0]):
        r = standing[i]
        inv = involuntary[r] and not found_involuntary[r]
        learn = inv and learns[i]
        if not (learn or (not inv and misinformed[i])):
            continue
        if not uniform32(draws[_WITHDRAWS + occasion, r]) < propensity:
            continue
        out[k] = r
        if not learn:
            reasons[k] = _MISINFORMATION
        elif innocent[r]:
            reasons[k] = _INNOCENT
        else:
            reasons[k] = involuntary_reason[inv_cause[r]]
        k += 1
    return k


def withdrawals(m: LeniencyModel, rows: np.ndarray, stage: Stage, scale: float, occasion: int) -> None:
    """Withdrawal of a standing plea: essential if the plea was involuntary, else driven by misinformation.
    ``occasion``: 0 at the end of review, 1 at trial (each its own draws)."""
    d, p = m.docket, m.params
    standing = np.empty_like(rows)
    standing = standing[: _standing(d.signed, rows, standing)]
    learns = Defendant.learns_truth(m, standing, scale, occasion)
    misinformed = Defendant.misinformed(m, standing, scale, occasion)
    go, reasons = np.empty_like(standing), np.empty(len(standing), dtype=np.int8)
    k = _who_withdraws(
        d.involuntary, d.found_involuntary, d.innocent, d.inv_cause, d.draws, standing, learns, misinformed,
        occasion, p.defendant.withdrawal_propensity, INVOLUNTARY_REASON, go, reasons,
    )  # fmt: skip
    withdraw(m, go[:k], stage, reasons[:k])


def to_trial(m: LeniencyModel, rows: np.ndarray, as_relief: bool = False) -> None:
    """Send cases to first instance; ``as_relief`` marks a re-trial after a plea was lost (its hours are
    relief)."""
    if not len(rows):
        return
    d, jp, tp = m.docket, m.params.judge, m.params.triage
    # a case's trial count keys its draws at trial (both slots allow the same number of trials)
    streams.check_occurrence("judge.finds_involuntary", d.trials[rows])
    std_h, judges = np.empty(len(rows)), np.empty(len(rows), dtype=np.int32)
    _trial_opens(
        d.trials, d.state, d.stage_start, d.procedure, d.recorded, d.signed, d.at_risk, d.triaged, d.judge,
        d.district, d.draws, rows, m.day, m.districts_per_world,
        float(jp.fast_track_hours), float(jp.summary_hours), float(jp.ordinary_hours),
        m.per_world("judge.record_review_hours"),
        float(tp.review_share), float(tp.review_hours), std_h, judges,
    )  # fmt: skip
    wait, hours, tf = m.judges.book(judges, std_h)
    m.add_hours("judge", Stage.TRIAL, rows, hours, relief=as_relief)
    signed = np.empty_like(rows)
    k = _trial_scheduled(
        d.hearing_time, d.next_event, d.next_day, d.procedure, d.rec, d.signed, rows, tf, wait, m.day,
        int(np.round(jp.trial_days_fast)), int(np.round(jp.trial_days_summary)),
        int(np.round(jp.trial_days_ordinary)), signed,
    )  # fmt: skip
    DutyLawyer.continue_to_trial(m, signed[:k], as_relief)


@jit
def _trial_opens(
    trials: np.ndarray, state: np.ndarray, stage_start: np.ndarray, procedure: np.ndarray,
    recorded: np.ndarray, signed: np.ndarray, at_risk: np.ndarray, triaged: np.ndarray, judge: np.ndarray,
    district: np.ndarray, draws: np.ndarray, rows: np.ndarray, day: int, dpw: int,
    fast_hours: float, summary_hours: float, ordinary_hours: float, record_review_hours: np.ndarray,
    review_share: float, review_hours: float, std_h: np.ndarray, judges: np.ndarray,
) -> None:  # fmt: skip
    """A trial begins: the judge's standard hours by procedure, with the review of a recorded plea hearing
    (voluntariness safeguards) and triage's substantive review of an at-risk plea (``review_share`` of
    them, each case's own draw)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        trials[r] += 1
        state[r] = _TRIAL
        stage_start[r] = day
        proc = procedure[r]
        if proc == _FAST:
            h = fast_hours
        elif proc == _SUMMARY:
            h = summary_hours
        else:
            h = ordinary_hours
        h = h + record_review_hours[district[r] // dpw] * (1.0 if recorded[r] and signed[r] else 0.0)
        if review_share > 0.0:
            word = draws[_REVIEWED + int(trials[r]) - 1, r]
            triaged[r] = picks(signed[r] and at_risk[r], word, review_share)
            h = h + review_hours * (1.0 if triaged[r] else 0.0)
        std_h[i] = h
        judges[i] = judge[r]


@jit
def _trial_scheduled(
    hearing_time: np.ndarray, next_event: np.ndarray, next_day: np.ndarray, procedure: np.ndarray,
    rec: np.ndarray, signed: np.ndarray, rows: np.ndarray, tf: np.ndarray, wait: np.ndarray, day: int,
    fast_days: int, summary_days: int, ordinary_days: int, out: np.ndarray,
) -> int:  # fmt: skip
    """The trial's day: its standard days by procedure after the judge's queue, within the time limit
    (``procedure.trial_limit``). The signed cases go to the front of ``out``; returns their number."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        hearing_time[r] = tf[i]
        proc = procedure[r]
        if proc == _FAST:
            days = fast_days
            limit = _FAST_LONG if rec[r] > law.LONGER_LIMIT_MONTHS else _FAST_LIMIT
        elif proc == _SUMMARY:
            days = summary_days
            limit = _SUMMARY_LONG if rec[r] > law.SUMMARY_LONG_MONTHS else _SUMMARY_LIMIT
        else:
            days = ordinary_days
            limit = law.TRIAL_LIMIT_ORDINARY
        span = min(max(days + int(wait[i]), 1), limit)
        next_event[r] = _DUE_TRIAL
        next_day[r] = max(day + span, day + 1)
        if signed[r]:
            out[k] = r
            k += 1
    return k


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
    _retried(
        d.remanded, d.trials, d.convicted, d.appealed, d.technical, d.grounded, d.protested, d.punitive,
        d.written_lane, d.adopted, d.promise_unfulfilled, d.suspension_refused, d.explained, d.triaged,
        d.protest_motive, d.procedure, d.signed, rows,
    )  # fmt: skip
    m.events.emit(Remanded(rows))
    to_trial(m, rows, as_relief=True)


@jit
def _retried(
    remanded: np.ndarray, trials: np.ndarray, convicted: np.ndarray, appealed: np.ndarray,
    technical: np.ndarray, grounded: np.ndarray, protested: np.ndarray, punitive: np.ndarray,
    written_lane: np.ndarray, adopted: np.ndarray, promise_unfulfilled: np.ndarray,
    suspension_refused: np.ndarray, explained: np.ndarray, triaged: np.ndarray, protest_motive: np.ndarray,
    procedure: np.ndarray, signed: np.ndarray, rows: np.ndarray,
) -> None:  # fmt: skip
    """A remanded case starts its first round anew (its trials, the first round's outcome and relief
    marks), in summary procedure if its plea stands."""
    for i in range(rows.shape[0]):
        r = rows[i]
        remanded[r] = True
        trials[r] = 0
        convicted[r] = appealed[r] = technical[r] = grounded[r] = protested[r] = False
        punitive[r] = written_lane[r] = adopted[r] = promise_unfulfilled[r] = False
        suspension_refused[r] = explained[r] = triaged[r] = False
        protest_motive[r] = 0
        procedure[r] = _SUMMARY if signed[r] else _ORDINARY
