"""The appeal window (Arts. 227-230: appeal and protest decided when the 10 days end) and second instance
(Art. 237: no heavier sentence on a defendant-only appeal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, Prosecutor, triage
from sim.model.actors.defendant_kernels import appeals_at
from sim.model.actors.prosecutor import MOTIVE_PUNITIVE
from sim.model.actors.prosecutor_kernels import protest_motive_at, protests_at
from sim.model.events import AppealWindowClosed, SecondInstance
from sim.model.kernel import jit, uniform32
from sim.model.procedure import CaseState, Stage
from sim.model.relief import INVOLUNTARY_REASON, Reason, ReliefType
from sim.model.stages.casework import close, relief, remand
from sim.model.stages.casework_kernels import Due, schedule_at
from sim.model.streams import CASE_COLUMN

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

Col = np.ndarray


def appeal_end(m: LeniencyModel, rows: np.ndarray) -> None:
    """Art. 230 window over: appeals (Art. 227) and protests (Art. 228) decided; others become final.

    A relief initiation is classed by what it can change (``sim.model.relief``): a defendant's appeal is
    essential only for a defect a lawful remedy can correct — innocence, an involuntary plea, a refused
    suspension, a sentence heavier than the lawful one (Art. 237 bars making it heavier, so an appeal
    against a sentence at or below the lawful one changes nothing else)."""
    d, p = m.docket, m.params
    n = len(rows)
    appeal, technical, protested = (np.empty(n, dtype=np.bool_) for _ in range(3))
    appeal_reason, protest_reason = np.empty(n, dtype=np.int8), np.empty(n, dtype=np.int8)
    _window(
        d.det_days, d.detained, d.det_since, d.sentence, d.custodial, d.lawful, d.involuntary,
        d.found_involuntary, d.signed, d.innocent, d.suspension_refused, d.leniency_judged, d.rec_hi,
        d.rec_lo, d.adopted, d.promise_unfulfilled, d.explained, d.inv_cause, d.district, d.draws, d.appealed,
        d.technical, d.grounded, d.protested, d.punitive, d.protest_motive, rows, m.day, p.judge.tolerance,
        m.districts_per_world, INVOLUNTARY_REASON, *Defendant.appeal_terms(m), *Prosecutor.protest_terms(m),
        appeal, technical, protested, appeal_reason, protest_reason,
    )  # fmt: skip
    plea = d.leniency_judged[rows]
    appealed, protests = appeal & plea, protested & plea
    relief(m, rows[appealed], Stage.APPEAL, ReliefType.APPEAL, appeal_reason[appealed])
    relief(m, rows[protests], Stage.APPEAL, ReliefType.PROTEST, protest_reason[protests])
    go = appeal | protested
    prow = rows[protested]
    _, hours, _ = m.prosecutors.book(d.prosecutor[prow], p.prosecutor.protest_hours)
    m.add_hours("prosecutor", Stage.APPEAL, prow, hours, relief=True)
    srows = rows[go]
    if len(srows):
        written = written_lane(m, srows)
        # The second-instance court: a judge of the district pool stands in for the intermediate court
        # (assumption).
        k = len(srows)
        upper, usual, std_h = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64), np.empty(k)
        tp, pj = p.triage, p.judge
        _second_court(
            d.district, d.draws, d.state, srows, written, pj.per_district, tp.written_hours,
            pj.second_instance_hours, tp.written_days, pj.second_instance_days, upper, usual, std_h,
        )  # fmt: skip
        wait, hours, _ = m.judges.book(upper, std_h)
        m.add_hours("judge", Stage.APPEAL, srows, hours, relief=True)
        _due(d.next_event, d.next_day, srows, m.day, usual, wait, 1, law.SECOND_INSTANCE_LIMIT)
    m.events.emit(AppealWindowClosed(rows, appeal, technical, protested))
    close(m, rows[~go], CaseState.FINAL)


def written_lane(m: LeniencyModel, rows: np.ndarray) -> np.ndarray:
    """Triage at second instance: a defendant's appeal that raises no new ground against a short sentence
    may be decided in writing; the screen reads the petition, so a real ground slips through at a rate."""
    d, tp = m.docket, m.params.triage
    if tp.written_lane_share <= 0.0:
        return np.zeros(len(rows), dtype=bool)
    screened = _screened(
        d.appealed, d.protested, d.sentence, d.grounded, d.draws, rows, tp.lane_max_months,
        tp.lane_screen_error,
    )  # fmt: skip
    written = triage.chosen(m, "triage.written", rows, screened, tp.written_lane_share)
    d.written_lane[rows] = written
    return written


def second_instance(m: LeniencyModel, rows: np.ndarray) -> None:
    """Second instance (Arts. 236-238) on what is on file — the petition's grounds, the protest, the
    sentence against the lawful one, the agreement — never a motive: a defect found is corrected (a wrong
    sentence amended, a refused suspension granted, an innocent acquitted) or, for an involuntary plea,
    the case is remanded for retrial once (Art. 236(2)); no heavier sentence on a defendant-only appeal
    (Art. 237), which a punitive protest lifts."""
    d, p = m.docket, m.params
    outcome = _decide(
        d.sentence, d.lawful, d.protested, d.punitive, d.grounded, d.involuntary, d.found_involuntary,
        d.signed, d.innocent, d.suspension_refused, d.written_lane, d.remanded, d.custodial, d.draws, rows,
        p.judge.tolerance, p.triage.written_correction, p.judge.correction_prob,
        p.prosecutor.protest_increase,
    )  # fmt: skip
    # a continuation: its reason is the reason of the appeal (or protest) it decides
    lr = rows[d.leniency_judged[rows]]
    relief(m, lr, Stage.APPEAL, ReliefType.SECOND_INSTANCE, d.relief_reason[lr])
    m.events.emit(SecondInstance(rows))
    close(m, rows[outcome == _ACQUIT], CaseState.ACQUITTED)
    remand(m, rows[outcome == _REMAND])
    close(m, rows[outcome == _FINAL], CaseState.FINAL)


# --- kernels: each visits a case once, reading and writing its docket row

_SECOND_INSTANCE = int(CaseState.SECOND_INSTANCE)
_MOTIVE_PUNITIVE = int(MOTIVE_PUNITIVE)
_R_INNOCENT, _R_REFUSED = int(Reason.INNOCENT), int(Reason.SUSPENSION_REFUSED)
_R_WRONG, _R_TECHNICAL = int(Reason.WRONG_SENTENCE), int(Reason.TECHNICAL)
_R_EXPLAINED, _R_UNEXPLAINED = int(Reason.EXPLAINED_DEPARTURE), int(Reason.UNEXPLAINED_DEPARTURE)
_R_UNFAIR, _R_PUNITIVE = int(Reason.PERCEIVED_UNFAIRNESS), int(Reason.PUNITIVE)
_R_NOT_ADOPTED = int(Reason.NOT_ADOPTED_PROTEST)
_W_UPPER = CASE_COLUMN["appeal.upper_judge"]
_W_SLIPS = CASE_COLUMN["triage.screen_slips"]
_W_CORRECTS = CASE_COLUMN["judge.corrects"]
_FINAL, _ACQUIT, _REMAND = 0, 1, 2
_DUE_SECOND = int(Due.SECOND_INSTANCE)  # second instance's outcome per case


@jit
def _window(
    det_days: Col, detained: Col, det_since: Col, sentence: Col, custodial: Col, lawful: Col,
    involuntary: Col, found_involuntary: Col, signed: Col, innocent: Col, suspension_refused: Col,
    leniency_judged: Col, rec_hi: Col, rec_lo: Col, adopted: Col, promise_unfulfilled: Col, explained: Col,
    inv_cause: Col, district: Col, draws: Col, appealed: Col, technical_: Col, grounded: Col,
    protested_: Col, punitive_: Col, protest_motive: Col, rows: Col, day: int, tol: float, dpw: int,
    involuntary_reason: Col, unfair_sd: float, defect_grievance: float, persuaded: float,
    success_lawful: float, success_belief: float, prior: float, increase: float, share: float,
    written: float, lane_max: float, house_value: Col, awareness: Col, punitive_prob: Col, threshold: Col,
    punitive_w: Col, supervisory_w: Col, appeal: Col, technical: Col, protested: Col, appeal_reason: Col,
    protest_reason: Col,
) -> None:  # fmt: skip
    """The window's end, case by case: what the defendant weighs (the custodial remainder: a technical
    appeal, served in the detention house; a defect a remedy can correct; the anchor, the promise or the
    lawful sentence), the defendant's appeal (``Defendant.appeal_terms``), the procuratorate's motive and
    protest (``Prosecutor.protest_terms``), the decisions on file and the reason of each appeal and protest
    (the first that applies)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        s, lw = sentence[r], lawful[r]
        served = det_days[r] + (day - det_since[r] if detained[r] else 0)
        left = s * law.DAYS_PER_MONTH - served
        eligible = custodial[r] and detained[r] and left <= law.TECHNICAL_APPEAL_REMAINING_DAYS and left > 0
        too_heavy = s > lw * (1.0 + tol)
        undetected = involuntary[r] and not found_involuntary[r] and signed[r]
        defect = innocent[r] or undetected or suspension_refused[r] or too_heavy
        anchor = rec_hi[r] if leniency_judged[r] else lw
        a, tech = appeals_at(
            draws, r, s, anchor, not too_heavy, defect, eligible, left / law.DAYS_PER_MONTH, explained[r],
            unfair_sd, defect_grievance, persuaded, success_lawful, success_belief, prior, increase, share,
            written, lane_max, house_value[w], awareness[w], punitive_prob[w], threshold[w],
        )  # fmt: skip
        stated = a and (defect or promise_unfulfilled[r])  # the petition names a ground the file can check
        motive = protest_motive_at(
            leniency_judged[r], adopted[r], promise_unfulfilled[r], s, rec_lo[r], lw, a, stated, tol
        )
        prot = protests_at(draws, r, motive, punitive_w[w], supervisory_w[w])
        appeal[i], technical[i], protested[i] = a, tech, prot
        punitive = prot and motive == _MOTIVE_PUNITIVE
        appealed[r] = a
        technical_[r] = tech
        grounded[r] = stated
        protested_[r] = prot
        punitive_[r] = punitive
        protest_motive[r] = motive if prot else 0
        if innocent[r]:
            why = _R_INNOCENT
        elif undetected:
            why = involuntary_reason[inv_cause[r]]
        elif suspension_refused[r]:
            why = _R_REFUSED
        elif too_heavy:
            why = _R_WRONG
        elif tech:
            why = _R_TECHNICAL
        elif promise_unfulfilled[r]:
            why = _R_EXPLAINED if explained[r] else _R_UNEXPLAINED
        else:
            why = _R_UNFAIR
        appeal_reason[i] = why
        if punitive:
            protest_reason[i] = _R_PUNITIVE
        elif abs(s / lw - 1.0) > tol:
            protest_reason[i] = _R_WRONG
        else:
            protest_reason[i] = _R_NOT_ADOPTED


@jit
def _screened(
    appealed: Col, protested: Col, sentence: Col, grounded: Col, draws: Col, rows: Col, lane_max: float,
    screen_error: float,
) -> np.ndarray:  # fmt: skip
    """Appeals the written lane may take: a defendant-only appeal against a short sentence whose petition
    shows no ground, or whose ground the screen misses."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        short = appealed[r] and not protested[r] and sentence[r] <= lane_max
        slips = uniform32(draws[r, _W_SLIPS]) < screen_error
        out[i] = short and (not grounded[r] or slips)
    return out


@jit
def _second_court(
    district: Col, draws: Col, state: Col, rows: Col, written: Col, judges_pd: int, written_hours: float,
    hearing_hours: float, written_days: float, hearing_days: float, upper: Col, usual: Col, std_h: Col,
) -> None:  # fmt: skip
    """The case goes up: its second-instance judge (one of its district's, by its own draw), the hours and
    usual days of a written or a heard decision."""
    written_usual, heard_usual = round(written_days), round(hearing_days)
    for i in range(rows.shape[0]):
        r = rows[i]
        u = uniform32(draws[r, _W_UPPER])
        upper[i] = district[r] * judges_pd + min(int(u * judges_pd), judges_pd - 1)
        std_h[i] = written_hours if written[i] else hearing_hours
        usual[i] = written_usual if written[i] else heard_usual
        state[r] = _SECOND_INSTANCE


@jit
def _due(
    next_event: Col, next_day: Col, rows: Col, day: int, usual: Col, wait: Col, lo: int, hi: int
) -> None:  # fmt: skip
    """Second instance falls due after its usual days plus the wait for its judge, held within [lo, hi]
    days."""
    for i in range(rows.shape[0]):
        due = day + min(max(usual[i] + wait[i], lo), hi)
        schedule_at(next_event, next_day, rows[i], _DUE_SECOND, due, day)


@jit
def _decide(
    sentence: Col, lawful: Col, protested: Col, punitive: Col, grounded: Col, involuntary: Col,
    found_involuntary: Col, signed: Col, innocent: Col, suspension_refused: Col, written_lane: Col,
    remanded: Col, custodial: Col, draws: Col, rows: Col, tol: float, written_correction: float,
    correction_prob: float, protest_increase: float,
) -> np.ndarray:  # fmt: skip
    """Second instance on what is on file: a defect found is corrected, an involuntary plea remanded once;
    the sentence stands, is amended or (on a punitive protest) raised. Returns each case's outcome."""
    out = np.empty(rows.shape[0], dtype=np.int8)
    raise_by = 1.0 + protest_increase
    for i in range(rows.shape[0]):
        r = rows[i]
        first, lw = sentence[r], lawful[r]
        prot, grounds = protested[r], grounded[r]
        if prot and not punitive[r]:
            wrong = abs(first / lw - 1.0) > tol
        else:
            wrong = grounds and first > lw * (1.0 + tol)
        inv = grounds and involuntary[r] and not found_involuntary[r] and signed[r]
        keeps = written_correction if written_lane[r] else 1.0  # a written decision looks less
        finds = uniform32(draws[r, _W_CORRECTS]) < correction_prob * keeps
        acquit = finds and grounds and innocent[r]
        remand_ = finds and inv and not acquit and int(remanded[r]) < law.MAX_REMANDS  # Art. 236(2)
        amend = finds and not acquit and not remand_ and (wrong or inv)
        proposed = lw if amend else first
        if punitive[r]:
            proposed = first * raise_by
        s = proposed if prot else min(first, proposed)  # Art. 237
        sentence[r] = s
        grant = finds and grounds and suspension_refused[r] and not acquit and not remand_
        if grant and s <= law.SUSPENSION_MAX_MONTHS:
            custodial[r] = False
        out[i] = _ACQUIT if acquit else _REMAND if remand_ else _FINAL
    return out
