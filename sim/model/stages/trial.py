"""First instance: the voluntariness review (Art. 190), withdrawal, Art. 201 (adopt, ask to adjust, or
sentence independently), contested trials and the judgment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Defendant, Judge, Prosecutor
from sim.model.events import Judged, NoCrimeFound, PleaJudged
from sim.model.kernel import helper, jit, uniform32
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
from sim.model.streams import CASE_COLUMN

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
    if len(acq):
        relief(m, acq, Stage.TRIAL, ReliefType.NOT_ADOPTED, Reason.INNOCENT)
        m.events.emit(NoCrimeFound(acq))
        d.leniency_judged[acq] = True
        close(m, acq, CaseState.ACQUITTED)
        rows = rows[~no_crime]
    view = Judge.view(m, rows, d.legal_discount[rows])
    n = len(rows)
    lawful, adopt, heavier = np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    reason = np.empty(n, dtype=np.int8)
    _weigh(
        d.rec, d.rec_lo, d.rec_hi, d.legal_discount, d.discount, d.target_boost, d.wrong_rec, d.rec_reason,
        rows, view, Judge.case_months(m, rows), p.judge.tolerance, lawful, adopt, reason, heavier,
    )  # fmt: skip
    ask = rows[~adopt]
    relief(m, ask, Stage.TRIAL, ReliefType.ADJUSTMENT_REQUEST, reason[~adopt])
    adjusted = np.zeros(n, dtype=bool)
    adjusted[~adopt] = Prosecutor.adjusts(m, ask)
    _, hours, _ = m.prosecutors.book(d.prosecutor[ask], p.prosecutor.negotiation_hours)
    m.add_hours("prosecutor", Stage.TRIAL, ask, hours, relief=True)
    Prosecutor.learn(m, ask)  # the court's view is revealed to the prosecutor: informative feedback
    independent = ~adopt & ~adjusted
    relief(m, rows[independent], Stage.TRIAL, ReliefType.NOT_ADOPTED, reason[independent])
    # Facing a heavier sentence than agreed (adjusted upward, or the court's own), the defendant may withdraw
    # the plea (反悔): the case converts to ordinary procedure and is tried as contested, the discount lost.
    wd = np.zeros(n, dtype=bool)
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
    # Art. 176: the agreement states suspension too; the court may adopt the term and refuse the suspension
    suits = Judge.suspends(m, rows)
    n = len(rows)
    sentence, suspend, refused = np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    _settle(
        d.rec, d.rec_lo, d.rec_hi, d.procedure, d.rec_suspended, d.suspension_refused, d.adopted,
        d.promise_unfulfilled, d.leniency_judged, rows, view, adopt, adjusted, suits, sentence, suspend,
        refused,
    )  # fmt: skip
    relief(m, rows[refused], Stage.TRIAL, ReliefType.NOT_ADOPTED, Reason.SUSPENSION_REFUSED)
    m.events.emit(PleaJudged(rows, adopt & ~refused, adjusted & ~refused))
    judgment(m, rows, sentence, lawful, suspend)
    # a reasoned judgment states the court's view too (learning from informative feedback only), and under
    # coordination the court tells the prosecutor its view on a share of adopted cases
    told = _told(
        d.explained, d.district, d.draws, rows, adopt, m.per_world("judge.feedback_share"),
        m.districts_per_world,
    )  # fmt: skip
    Prosecutor.learn(m, rows[told])


def judge_contested(m: LeniencyModel, rows: np.ndarray) -> None:
    """A contested trial: conviction on the evidence, a sentence with the mitigation discount only."""
    d = m.docket
    if not len(rows):
        return
    convicted = _convicts(d.p_conv, d.draws, rows)
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
    # Reasons are written for a share of judgments (reasoning effort), at a cost in judge hours.
    explained = _judge(
        d.sentence, d.first_sentence, d.lawful, d.convicted, d.explained, d.custodial, d.state, d.district,
        d.draws, rows, sentence, lawful, suspended, m.per_world("judge.reasoning_quality"),
        m.districts_per_world,
    )  # fmt: skip
    er = rows[explained]
    _, rh, _ = m.judges.book(d.judge[er], p.judge.reasoning_hours)
    m.add_hours("judge", Stage.TRIAL, er, rh)
    release(m, rows[suspended])
    schedule(m, rows, Due.APPEAL_END, m.day + law.APPEAL_WINDOW_DAYS)
    m.events.emit(Judged(rows))


# --- kernels: each visits a case once, reading and writing its docket row

Col = np.ndarray
_R_TARGET, _R_MISCALIBRATED = int(Reason.TARGET_DRIVEN), int(Reason.MISCALIBRATED_REC)
_R_JUDGE_NORM = int(Reason.JUDGE_NORM)
_FAST_TRACK, _SUMMARY = int(Procedure.FAST_TRACK), int(Procedure.SUMMARY)
_APPEAL_WINDOW = int(CaseState.APPEAL_WINDOW)
_W_TELLS = CASE_COLUMN["judge.tells"]
_W_CONVICTS = CASE_COLUMN["judge.convicts"]
_W_REASONS = CASE_COLUMN["judge.reasons"]
_ONE32 = np.float32(1.0)
_TINY32 = np.float32(1e-9)


@helper
def _adopts(rec: float, lo: float, hi: float, view: float, tol: float) -> bool:
    """Art. 201: a recommendation the court adopts (``procedure.art201_adopts``)."""
    return lo <= view * (1 + tol) and hi >= view * (1 - tol) and rec > 0


@jit
def _weigh(
    rec: Col, rec_lo: Col, rec_hi: Col, legal_discount: Col, discount: Col, target_boost: Col, wrong_rec: Col,
    rec_reason: Col, rows: Col, view: Col, months: Col, tol: float, lawful: Col, adopt: Col, reason: Col,
    heavier: Col,
) -> None:  # fmt: skip
    """The court weighs the recommendation against its own view: the lawful sentence, adoption (Art. 201)
    and, where it asks, why — first that applies: it would have adopted the recommendation without the
    extra discount the application target drove; a recommendation off the lawful sentence (the system's own
    error); a lawful one this judge sees differently (no prosecutor-judge communication)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        v, rc, lo, hi = view[i], rec[r], rec_lo[r], rec_hi[r]
        law_i = months[i] * np.float32(_ONE32 - legal_discount[r])  # float32 discount, as numpy
        lawful[i] = law_i
        wrong = abs(rc / law_i - 1.0) > tol
        wrong_rec[r] = wrong
        ok = _adopts(rc, lo, hi, v, tol)
        adopt[i] = ok
        left = np.float32(_ONE32 - discount[r])
        unboosted = float(np.float32(np.float32(left + target_boost[r]) / max(left, _TINY32)))
        if _adopts(rc * unboosted, lo * unboosted, hi * unboosted, v, tol):
            why = _R_TARGET
        elif wrong:
            why = _R_MISCALIBRATED
        else:
            why = _R_JUDGE_NORM
        reason[i] = why
        rec_reason[r] = -1 if ok else why
        heavier[i] = not ok and v > hi * (1 + law.SAME_SENTENCE_RTOL)


@jit
def _settle(
    rec: Col, rec_lo: Col, rec_hi: Col, procedure: Col, rec_suspended: Col, suspension_refused: Col,
    adopted: Col, promise_unfulfilled: Col, leniency_judged: Col, rows: Col, view: Col, adopt: Col,
    adjusted: Col, suits: Col, sentence: Col, suspend: Col, refused: Col,
) -> None:  # fmt: skip
    """The sentence: an adjustment the defendant accepts is the new agreement (Art. 226: above the
    fast-track limit it leaves fast-track procedure); an adopted range holds the court's view; suspension
    (Art. 176) as the court judges the offender, which may refuse what was agreed."""
    for i in range(rows.shape[0]):
        r = rows[i]
        v = view[i]
        if adjusted[i]:
            rec[r] = v
            rec_lo[r] = v
            rec_hi[r] = v
            if procedure[r] == _FAST_TRACK and not law.fast_track_eligible(v):
                procedure[r] = _SUMMARY
        s = min(max(v, rec_lo[r]), rec_hi[r]) if adopt[i] else v
        sentence[i] = s
        sus = s <= law.SUSPENSION_MAX_MONTHS and suits[i]
        suspend[i] = sus
        ref = rec_suspended[r] and not sus
        refused[i] = ref
        suspension_refused[r] = ref
        adopted[r] = (adopt[i] or adjusted[i]) and not ref
        promise_unfulfilled[r] = s > rec_hi[r] * (1 + law.SAME_SENTENCE_RTOL) or ref
        leniency_judged[r] = True


@jit
def _told(
    explained: Col, district: Col, draws: Col, rows: Col, adopt: Col, feedback_share: Col, dpw: int
) -> np.ndarray:
    """Adopted cases whose judgment states the court's view: reasoned, or told under coordination."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        share = feedback_share[district[r] // dpw]
        out[i] = adopt[i] and (explained[r] or uniform32(draws[_W_TELLS, r]) < share)
    return out


@jit
def _convicts(p_conv: Col, draws: Col, rows: Col) -> np.ndarray:
    """Conviction at a contested trial, on the true chance."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        out[i] = uniform32(draws[_W_CONVICTS, r]) < p_conv[r]
    return out


@jit
def _judge(
    sentence_: Col, first_sentence: Col, lawful_: Col, convicted: Col, explained: Col, custodial: Col,
    state: Col, district: Col, draws: Col, rows: Col, sentence: Col, lawful: Col, suspended: Col,
    reasoning_quality: Col, dpw: int,
) -> np.ndarray:  # fmt: skip
    """The judgment on file: sentence, conviction, custody, whether it gives reasons; the appeal window
    opens. Returns the reasoned ones."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        sentence_[r] = sentence[i]
        first_sentence[r] = sentence[i]
        lawful_[r] = lawful[i]
        convicted[r] = True
        e = uniform32(draws[_W_REASONS, r]) < reasoning_quality[district[r] // dpw]
        explained[r] = e
        out[i] = e
        custodial[r] = not suspended[i]
        state[r] = _APPEAL_WINDOW
    return out
