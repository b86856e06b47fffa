"""The appeal window (Arts. 227-230: appeal and protest decided when the 10 days end) and second instance
(Art. 237: no heavier sentence on a defendant-only appeal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors import Defendant, Prosecutor, triage
from sim.model.actors.prosecutor import MOTIVE_PUNITIVE
from sim.model.events import AppealWindowClosed, SecondInstance
from sim.model.procedure import CaseState, Stage
from sim.model.relief import INVOLUNTARY_REASON, Reason, ReliefType
from sim.model.stages.casework import Due, close, relief, remand, schedule

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def appeal_end(m: LeniencyModel, rows: np.ndarray) -> None:
    """Art. 230 window over: appeals (Art. 227) and protests (Art. 228) decided; others become final.

    A relief initiation is classed by what it can change (``sim.model.relief``): a defendant's appeal is
    essential only for a defect a lawful remedy can correct — innocence, an involuntary plea, a refused
    suspension, a sentence heavier than the lawful one (Art. 237 bars making it heavier, so an appeal
    against a sentence at or below the lawful one changes nothing else)."""
    d, p = m.docket, m.params
    served = d.det_days[rows] + np.where(d.detained[rows], m.day - d.det_since[rows], 0)
    remaining = d.sentence[rows] * law.DAYS_PER_MONTH - served
    eligible = law.technical_appeal_eligible(d.custodial[rows] & d.detained[rows], remaining)
    lawful, sentence, tol = d.lawful[rows], d.sentence[rows], p.judge.tolerance
    too_heavy = law.heavier_than_lawful(sentence, lawful, tol)
    undetected = d.involuntary[rows] & ~d.found_involuntary[rows] & d.signed[rows]
    innocent = d.innocent[rows]
    refused = d.suspension_refused[rows]
    defect = innocent | undetected | refused | too_heavy
    plea = d.leniency_judged[rows]
    anchor = np.where(plea, d.rec_hi[rows], lawful)  # what was promised, or what seems fair
    appeal, technical = Defendant.decide_appeal(
        m, rows, anchor, ~too_heavy, defect, eligible, remaining / law.DAYS_PER_MONTH
    )
    departed = d.promise_unfulfilled[rows]
    stated = appeal & (defect | departed)  # the petition names a ground the file can check
    motive = Prosecutor.protest_motives(m, rows, appeal, stated)
    protested = Prosecutor.protests(m, rows, motive)
    punitive = protested & (motive == MOTIVE_PUNITIVE)
    departure = np.where(d.explained[rows], Reason.EXPLAINED_DEPARTURE, Reason.UNEXPLAINED_DEPARTURE)
    appeal_reason = np.select(
        [innocent, undetected, refused, too_heavy, technical, departed],
        [
            Reason.INNOCENT,
            INVOLUNTARY_REASON[d.inv_cause[rows]],
            Reason.SUSPENSION_REFUSED,
            Reason.WRONG_SENTENCE,
            Reason.TECHNICAL,
            departure,
        ],
        Reason.PERCEIVED_UNFAIRNESS,
    )
    off = law.off_lawful(sentence, lawful, tol)
    protest_reason = np.select(
        [punitive, off], [Reason.PUNITIVE, Reason.WRONG_SENTENCE], Reason.NOT_ADOPTED_PROTEST
    )
    d.appealed[rows] = appeal
    d.technical[rows] = technical
    d.grounded[rows] = stated
    d.protested[rows] = protested
    d.punitive[rows] = punitive
    d.protest_motive[rows] = np.where(protested, motive, 0)
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
    m.events.emit(AppealWindowClosed(rows, appeal, technical, protested))
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
    """Second instance (Arts. 236-238) on what is on file — the petition's grounds, the protest, the
    sentence against the lawful one, the agreement — never a motive: a defect found is corrected (a wrong
    sentence amended, a refused suspension granted, an innocent acquitted) or, for an involuntary plea,
    the case is remanded for retrial once (Art. 236(2)); no heavier sentence on a defendant-only appeal
    (Art. 237), which a punitive protest lifts."""
    d, p = m.docket, m.params
    first, lawful, tol = d.sentence[rows], d.lawful[rows], p.judge.tolerance
    protested, punitive, grounds = d.protested[rows], d.punitive[rows], d.grounded[rows]
    supervisory = protested & ~punitive
    wrong = np.where(
        supervisory, law.off_lawful(first, lawful, tol), grounds & law.heavier_than_lawful(first, lawful, tol)
    )
    involuntary = grounds & d.involuntary[rows] & ~d.found_involuntary[rows] & d.signed[rows]
    innocent = grounds & d.innocent[rows]
    refused = grounds & d.suspension_refused[rows]
    keeps = np.where(d.written_lane[rows], p.triage.written_correction, 1.0)  # a written decision looks less
    finds = streams.uniform(m, "judge.corrects", rows) < p.judge.correction_prob * keeps
    acquit = finds & innocent
    remand_ = finds & involuntary & ~acquit & (d.remanded[rows] < law.MAX_REMANDS)  # Art. 236(2)
    amend = finds & ~acquit & ~remand_ & (wrong | involuntary)
    proposed = np.where(amend, lawful, first)
    proposed = np.where(punitive, first * (1 + p.prosecutor.protest_increase), proposed)
    d.sentence[rows] = law.second_instance_sentence(first, proposed, protested)
    grant = finds & refused & ~acquit & ~remand_ & law.suspension_eligible(d.sentence[rows])
    d.custodial[rows[grant]] = False
    # a continuation: its reason is the reason of the appeal (or protest) it decides
    lr = rows[d.leniency_judged[rows]]
    relief(m, lr, Stage.APPEAL, ReliefType.SECOND_INSTANCE, d.relief_reason[lr])
    m.events.emit(SecondInstance(rows))
    close(m, rows[acquit], CaseState.ACQUITTED)
    remand(m, rows[remand_])
    close(m, rows[~acquit & ~remand_], CaseState.FINAL)
