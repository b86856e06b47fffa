"""First instance: the voluntariness review (Art. 190), withdrawal, Art. 201 (adopt, ask to adjust, or
sentence independently), contested trials and the judgment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, Judge, Prosecutor
from sim.model.events import Judged, NoCrimeFound, PleaJudged
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import Reason, ReliefType
from sim.model.stages.casework import (
    Due,
    close,
    release,
    relief,
    retry_as_ordinary,
    schedule,
    set_aside,
    withdraw,
    withdrawals,
)
from sim.model.streams import uniform

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def trial(m: LeniencyModel, rows: np.ndarray) -> None:
    """First instance: voluntariness review (Art. 190), withdrawal, Art. 201, judgment."""
    d = m.docket
    tf = d.hearing_time[rows]
    plea = d.signed[rows]
    found = plea & Judge.finds_involuntary(m, rows, tf)
    set_aside(m, rows[found], Stage.TRIAL)
    withdrawals(m, rows[d.signed[rows]], Stage.TRIAL, m.params.defendant.trial_withdrawal_scale, occasion=1)
    converted = plea & ~d.signed[rows]
    retry_as_ordinary(m, rows[converted])
    rows = rows[~converted]
    pleaded, contested = rows[d.signed[rows]], rows[~d.signed[rows]]  # before a withdrawal in judge_plea
    judge_plea(m, pleaded)
    judge_contested(m, contested)


def judge_plea(m: LeniencyModel, rows: np.ndarray) -> None:
    """Art. 201: the court adopts, asks the prosecutor to adjust, or sentences on its own; a defendant
    facing a heavier sentence than agreed may withdraw the plea."""
    d, p = m.docket, m.params
    if not len(rows):
        return
    no_crime = Judge.finds_no_crime(m, rows)
    acq = rows[no_crime]
    relief(m, acq, Stage.TRIAL, ReliefType.NOT_ADOPTED, Reason.INNOCENT)
    m.events.emit(NoCrimeFound(acq))
    d.leniency_judged[acq] = True
    close(m, acq, CaseState.ACQUITTED)
    rows = rows[~no_crime]
    tol = p.judge.tolerance
    view = Judge.view(m, rows, d.legal_discount[rows])
    lawful = law.lawful_sentence(Judge.case_months(m, rows), d.legal_discount[rows])
    wrong_rec = law.off_lawful(d.rec[rows], lawful, tol)
    d.wrong_rec[rows] = wrong_rec
    adopt = law.art201_adopts(d.rec[rows], d.rec_lo[rows], d.rec_hi[rows], view, tol)
    # why the court asks, first that applies: the court would have adopted the recommendation without the
    # extra discount the application target drove; a recommendation off the lawful sentence (the system's
    # own error); a lawful one this judge sees differently (no prosecutor-judge communication)
    unboosted = (1.0 - d.discount[rows] + d.target_boost[rows]) / np.maximum(1.0 - d.discount[rows], 1e-9)
    adopt_unboosted = law.art201_adopts(
        d.rec[rows] * unboosted, d.rec_lo[rows] * unboosted, d.rec_hi[rows] * unboosted, view, tol
    )
    reason = np.select(
        [adopt_unboosted, wrong_rec], [Reason.TARGET_DRIVEN, Reason.MISCALIBRATED_REC], Reason.JUDGE_NORM
    ).astype(np.int8)
    d.rec_reason[rows] = np.where(adopt, -1, reason)
    ask = rows[~adopt]
    relief(m, ask, Stage.TRIAL, ReliefType.ADJUSTMENT_REQUEST, reason[~adopt])
    adjusted = np.zeros(len(rows), dtype=bool)
    adjusted[~adopt] = Prosecutor.adjusts(m, ask)
    _, hours, _ = m.prosecutors.book(d.prosecutor[ask], p.prosecutor.negotiation_hours)
    m.add_hours("prosecutor", Stage.TRIAL, ask, hours, relief=True)
    Prosecutor.learn(m, ask)  # the court's view is revealed to the prosecutor: informative feedback
    independent = ~adopt & ~adjusted
    relief(m, rows[independent], Stage.TRIAL, ReliefType.NOT_ADOPTED, reason[independent])
    # Facing a heavier sentence than agreed (adjusted upward, or the court's own), the defendant may withdraw
    # the plea (反悔): the case converts to ordinary procedure and is tried as contested, the discount lost.
    heavier = ~adopt & law.heavier_than_agreed(view, d.rec_hi[rows])
    wd = np.zeros(len(rows), dtype=bool)
    wd[heavier] = Defendant.withdraws_after_refusal(m, rows[heavier], view[heavier])
    if wd.any():
        conv = rows[wd]
        withdraw(m, conv, Stage.TRIAL, reason[wd])
        retry_as_ordinary(m, conv)
        keep = ~wd
        rows, view, lawful, adopt, adjusted = (
            rows[keep],
            view[keep],
            lawful[keep],
            adopt[keep],
            adjusted[keep],
        )
    # an adjustment the defendant accepts is the new agreement
    agreed = rows[adjusted]
    for col in (d.rec, d.rec_lo, d.rec_hi):
        col[agreed] = view[adjusted]
    # Art. 226: an agreed sentence above the fast-track limit takes the case out of fast-track procedure
    out = agreed[(d.procedure[agreed] == Procedure.FAST_TRACK) & ~law.fast_track_eligible(d.rec[agreed])]
    d.procedure[out] = Procedure.SUMMARY
    sentence = np.where(adopt, law.sentence_within_recommendation(d.rec_lo[rows], d.rec_hi[rows], view), view)
    # Art. 176: the agreement states suspension too; the court may adopt the term and refuse the suspension
    suspend = law.suspension_eligible(sentence) & Judge.suspends(m, rows)
    refused = d.rec_suspended[rows] & ~suspend
    d.suspension_refused[rows] = refused
    relief(m, rows[refused], Stage.TRIAL, ReliefType.NOT_ADOPTED, Reason.SUSPENSION_REFUSED)
    d.adopted[rows] = (adopt | adjusted) & ~refused
    d.promise_unfulfilled[rows] = law.heavier_than_agreed(sentence, d.rec_hi[rows]) | refused
    m.events.emit(PleaJudged(rows, adopt & ~refused, adjusted & ~refused))
    d.leniency_judged[rows] = True
    judgment(m, rows, sentence, lawful, suspend)
    # a reasoned judgment states the court's view too (learning from informative feedback only), and under
    # coordination the court tells the prosecutor its view on a share of adopted cases
    told = d.explained[rows] | (uniform(m, "judge.tells", rows) < m.params_at(rows).judge.feedback_share)
    Prosecutor.learn(m, rows[adopt & told])


def judge_contested(m: LeniencyModel, rows: np.ndarray) -> None:
    """A contested trial: conviction on the evidence, a sentence with the mitigation discount only."""
    d = m.docket
    if not len(rows):
        return
    convicted = uniform(m, "judge.convicts", rows) < d.p_conv[rows]
    close(m, rows[~convicted], CaseState.ACQUITTED)
    rows = rows[convicted]
    sentence = Judge.contested_sentence(m, rows)
    lawful = law.lawful_sentence(Judge.case_months(m, rows), Judge.contested_discount(m, rows))
    d.suspension_refused[rows] = False
    judgment(m, rows, sentence, lawful, law.suspension_eligible(sentence) & Judge.suspends(m, rows))


def judgment(
    m: LeniencyModel, rows: np.ndarray, sentence: np.ndarray, lawful: np.ndarray, suspended: np.ndarray
) -> None:
    """Conviction at first instance: reasons (for a share), suspension as decided, and the appeal window
    opens."""
    d, p = m.docket, m.params
    d.sentence[rows] = sentence
    d.first_sentence[rows] = sentence
    d.lawful[rows] = lawful
    d.convicted[rows] = True
    # Reasons are written for a share of judgments (reasoning effort), at a cost in judge hours.
    d.explained[rows] = uniform(m, "judge.reasons", rows) < m.params_at(rows).judge.reasoning_quality
    er = rows[d.explained[rows]]
    _, rh, _ = m.judges.book(d.judge[er], p.judge.reasoning_hours)
    m.add_hours("judge", Stage.TRIAL, er, rh)
    d.custodial[rows] = ~suspended
    release(m, rows[suspended])
    d.state[rows] = CaseState.APPEAL_WINDOW
    schedule(m, rows, Due.APPEAL_END, m.day + law.APPEAL_WINDOW_DAYS)
    m.events.emit(Judged(rows))
