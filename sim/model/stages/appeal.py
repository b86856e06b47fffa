"""The appeal window (Arts. 227-230: appeal and protest decided when the 10 days end) and second instance
(Art. 237: no heavier sentence on a defendant-only appeal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors import Defendant, Prosecutor, triage
from sim.model.procedure import CaseState, Stage
from sim.model.relief import INVOLUNTARY_REASON, Reason, ReliefType
from sim.model.stages.casework import Due, close, relief, schedule

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def appeal_end(m: LeniencyModel, rows: np.ndarray) -> None:
    """Art. 230 window over: appeals (Art. 227) and protests (Art. 228) decided; others become final."""
    d, p = m.docket, m.params
    served = d.det_days[rows] + np.where(d.detained[rows], m.day - d.det_since[rows], 0)
    remaining = d.sentence[rows] * law.DAYS_PER_MONTH - served
    eligible = law.technical_appeal_eligible(d.custodial[rows] & d.detained[rows], remaining)
    lawful = d.lawful[rows]
    wrong = law.off_lawful(d.sentence[rows], lawful, p.judge.tolerance)
    undetected = d.involuntary[rows] & ~d.found_involuntary[rows] & d.signed[rows]
    innocent = d.innocent[rows]
    defect = innocent | undetected | wrong
    plea = d.leniency_judged[rows]
    anchor = np.where(plea, d.rec_hi[rows], lawful)  # what was promised, or what seems fair
    appeal, technical = Defendant.decide_appeal(
        m, rows, anchor, ~wrong, defect, eligible, remaining / law.DAYS_PER_MONTH
    )
    punitive, supervisory = Prosecutor.protests(m, rows, technical, wrong)
    departed = d.promise_unfulfilled[rows]
    departure = np.select(
        [d.wrong_rec[rows], d.explained[rows]],
        [Reason.MISCALIBRATED_REC, Reason.EXPLAINED_DEPARTURE],
        Reason.UNEXPLAINED_DEPARTURE,
    )
    defect_reason = np.select(
        [innocent, undetected, wrong, departed],
        [Reason.INNOCENT, INVOLUNTARY_REASON[d.inv_cause[rows]], Reason.WRONG_SENTENCE, departure],
        Reason.PERCEIVED_UNFAIRNESS,
    )
    appeal_reason = np.where(technical, Reason.TECHNICAL, defect_reason)
    protest_reason = np.where(punitive, Reason.PUNITIVE, Reason.WRONG_SENTENCE)
    protested = punitive | supervisory
    d.appealed[rows] = appeal
    d.technical[rows] = technical
    d.grounded[rows] = appeal & ~technical & defect
    d.protested[rows] = protested
    d.punitive[rows] = punitive
    relief(m, rows[appeal & plea], Stage.APPEAL, ReliefType.APPEAL, appeal_reason[appeal & plea])
    relief(m, rows[protested & plea], Stage.APPEAL, ReliefType.PROTEST, protest_reason[protested & plea])
    go = appeal | protested
    prow = rows[protested]
    _, hours, _ = m.prosecutors.book(d.prosecutor[prow], p.prosecutor.protest_hours)
    m.add_hours("prosecutor", Stage.APPEAL, prow, hours, relief=True)
    srows = rows[go]
    written = written_lane(m, srows)
    # The second-instance court: a judge of the district pool stands in for the intermediate court
    # (assumption).
    pdj = p.judge.per_district
    upper = d.district[srows] * pdj + streams.integers(m, "appeal.upper_judge", srows, pdj)
    tp = p.triage
    std_h = np.where(written, tp.written_hours, p.judge.second_instance_hours)
    wait, hours, _ = m.judges.book(upper, std_h)
    m.add_hours("judge", Stage.APPEAL, srows, hours, relief=True)
    d.state[srows] = CaseState.SECOND_INSTANCE
    usual = np.round(np.where(written, tp.written_days, p.judge.second_instance_days)).astype(np.int32)
    days = np.clip(usual + wait, 1, law.SECOND_INSTANCE_LIMIT)
    schedule(m, srows, Due.SECOND_INSTANCE, m.day + days)
    m.events.emit("appeal_window_closed", rows, appeal, technical, protested)
    close(m, rows[~go], CaseState.FINAL)


def written_lane(m: LeniencyModel, rows: np.ndarray) -> np.ndarray:
    """Triage at second instance: a defendant's appeal that raises no new ground against a short sentence
    may be decided in writing; the screen reads the petition, so a real ground slips through at a rate."""
    d, tp = m.docket, m.params.triage
    if tp.written_lane_share <= 0.0:
        return np.zeros(len(rows), dtype=bool)
    short = d.appealed[rows] & ~d.protested[rows] & (d.sentence[rows] <= tp.lane_max_months)
    slips = streams.uniform(m, "triage.screen_slips", rows) < tp.lane_screen_error
    written = triage.chosen(
        m, "triage.written", rows, short & (~d.grounded[rows] | slips), tp.written_lane_share
    )
    d.written_lane[rows] = written
    return written


def second_instance(m: LeniencyModel, rows: np.ndarray) -> None:
    """Second instance: correct real defects; no heavier sentence on a defendant-only appeal (Art. 237)."""
    d, p = m.docket, m.params
    first = d.sentence[rows]
    lawful = d.lawful[rows]
    defect = d.grounded[rows] | (d.protested[rows] & ~d.punitive[rows])
    keeps = np.where(d.written_lane[rows], p.triage.written_correction, 1.0)  # a written decision looks less
    correct = defect & (streams.uniform(m, "judge.corrects", rows) < p.judge.correction_prob * keeps)
    proposed = np.where(correct, lawful, first)
    proposed = np.where(d.punitive[rows], first * (1 + p.prosecutor.protest_increase), proposed)
    d.sentence[rows] = law.second_instance_sentence(first, proposed, d.protested[rows])
    acquit = correct & d.innocent[rows]
    # a continuation: its reason is the reason of the appeal (or protest) it decides
    lr = rows[d.leniency_judged[rows]]
    relief(m, lr, Stage.APPEAL, ReliefType.SECOND_INSTANCE, d.relief_reason[lr])
    m.events.emit("second_instance", rows)
    close(m, rows[acquit], CaseState.ACQUITTED)
    close(m, rows[~acquit], CaseState.FINAL)
