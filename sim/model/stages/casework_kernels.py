"""casework's operations over docket rows as compiled kernels (``sim.model.kernel``): one pass per case,
called by the operations of ``sim.model.stages.casework``, which gather their arguments and emit the events.
``Due`` lives here because the kernels write its codes into the docket's ``next_event``."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.model import procedure as law
from sim.model.actors.defendant_kernels import learns_at, misinformed_at
from sim.model.actors.triage import picks
from sim.model.kernel import helper, jit, uniform32
from sim.model.procedure import CaseState, Procedure
from sim.model.relief import Reason
from sim.model.streams import CASE_COLUMN, SLOT


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
_WITHDRAWS = CASE_COLUMN["defendant.withdraws"]
_REVIEWED = CASE_COLUMN["triage.reviewed"]
_TRIALS = SLOT["judge.finds_involuntary"].uses  # trials a case may begin: a word each


@helper
def schedule_at(next_event: np.ndarray, next_day: np.ndarray, r: int, due: int, day: int, today: int) -> None:
    """The case in docket row ``r`` falls due for ``due`` on ``day``: nothing falls due before tomorrow."""
    next_event[r] = due
    next_day[r] = max(day, today + 1)


@jit
def initiate_kernel(
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
    (its 2-bit slot, 0 = none, as ``cases`` reads it), its first relief day and, for an appeal or protest,
    its reason. ``reasons`` holds one reason per row, or one for all."""
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


@jit
def detention_ends_kernel(
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
def free_kernel(detained: np.ndarray, det_since: np.ndarray, rows: np.ndarray) -> None:
    for i in range(rows.shape[0]):
        detained[rows[i]] = False
        det_since[rows[i]] = -1


@jit
def finding_kernel(
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


@jit
def knows_kernel(
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


@jit
def withdrawn_kernel(signed: np.ndarray, withdrawn: np.ndarray, rows: np.ndarray) -> None:
    for i in range(rows.shape[0]):
        signed[rows[i]] = False
        withdrawn[rows[i]] = True


@jit
def who_withdraws_kernel(
    signed: np.ndarray, involuntary: np.ndarray, found_involuntary: np.ndarray, innocent: np.ndarray,
    inv_cause: np.ndarray, district: np.ndarray, literacy: np.ndarray, substantive: np.ndarray,
    draws: np.ndarray, rows: np.ndarray, dpw: int, learn_column: int, scale: float, learning_prob: np.ndarray,
    misinformed_column: int, misinformed32: float, shield32: float, occasion: int, propensity: float,
    involuntary_reason: np.ndarray, out: np.ndarray, reasons: np.ndarray,
) -> int:  # fmt: skip
    """The standing pleas withdrawn (to the front of ``out``, their reasons in ``reasons``; returns their
    number): an involuntary signer who learns the truth, or a voluntary one misinformed (the defendant's
    rules, ``Defendant.second_thoughts``), who acts on it."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if not signed[r]:
            continue
        inv = involuntary[r] and not found_involuntary[r]
        if inv:
            prob = learning_prob[district[r] // dpw]
            if not learns_at(literacy[r], substantive[r], prob, scale, draws[r, learn_column]):
                continue
        elif not misinformed_at(substantive[r], misinformed32, shield32, draws[r, misinformed_column]):
            continue
        if not uniform32(draws[r, _WITHDRAWS + occasion]) < propensity:
            continue
        out[k] = r
        if not inv:
            reasons[k] = _MISINFORMATION
        elif innocent[r]:
            reasons[k] = _INNOCENT
        else:
            reasons[k] = involuntary_reason[inv_cause[r]]
        k += 1
    return k


@jit
def trial_opens_kernel(
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
        # a case's trial count keys its draws at trial (both slots allow the same number of trials)
        if trials[r] >= _TRIALS:  # Slot.uses: a case may not reuse a word
            raise RuntimeError("judge.finds_involuntary: a case made this decision too often")
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
            word = draws[r, _REVIEWED + int(trials[r]) - 1]
            triaged[r] = picks(signed[r] and at_risk[r], word, review_share)
            h = h + review_hours * (1.0 if triaged[r] else 0.0)
        std_h[i] = h
        judges[i] = judge[r]


@jit
def trial_scheduled_kernel(
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
        days = fast_days if proc == _FAST else summary_days if proc == _SUMMARY else ordinary_days
        span = min(max(days + int(wait[i]), 1), law.trial_limit(proc, rec[r]))
        next_event[r] = _DUE_TRIAL
        next_day[r] = max(day + span, day + 1)
        if signed[r]:
            out[k] = r
            k += 1
    return k


@jit
def retried_kernel(
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
