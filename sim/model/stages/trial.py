"""First instance: the voluntariness review (Art. 190), withdrawal, Art. 201 (adopt, ask to adjust, or
sentence independently), contested trials and the judgment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import Judge, Prosecutor
from sim.model.actors.defendant_kernels import withdraws_at
from sim.model.actors.judge import (
    case_months_at,
    contested_at,
    contested_discount_at,
    finds_no_crime_at,
    suspends_at,
    view_at,
)
from sim.model.actors.prosecutor_kernels import adjusts_at
from sim.model.events import Judged, NoCrimeFound, PleaJudged
from sim.model.kernel import helper, jit, uniform32
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import Reason, ReliefType
from sim.model.stages.casework import (
    close,
    release,
    relief,
    retry_as_ordinary,
    set_aside,
    withdraw,
    withdrawals,
)
from sim.model.stages.casework_kernels import Due, schedule_at
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
    withdrawals(m, rows, Stage.TRIAL, m.params.defendant.trial_withdrawal_scale, occasion=1)  # standing pleas
    signed = d.signed[rows]
    converted = plea & ~signed
    if converted.any():
        retry_as_ordinary(m, rows[converted])
        rows, signed = rows[~converted], signed[~converted]
    pleaded, contested = rows[signed], rows[~signed]  # before a withdrawal in judge_plea
    judge_plea(m, pleaded)
    judge_contested(m, contested)


def judge_plea(m: LeniencyModel, rows: np.ndarray) -> None:
    """Art. 201: the court adopts, asks the prosecutor to adjust, or sentences on its own; a defendant
    facing a heavier sentence than agreed may withdraw the plea."""
    d, p = m.docket, m.params
    n = len(rows)
    if not n:
        return
    kept, acq = np.empty_like(rows), np.empty_like(rows)
    view, lawful, reason = np.empty(n), np.empty(n), np.empty(n, dtype=np.int8)
    adopt, adjusted, wd, suits = (np.empty(n, dtype=np.bool_) for _ in range(4))
    k, a = _weigh(
        d.innocent, d.evidence, d.base, d.view_factor, d.judge, d.legal_discount, d.rec, d.rec_lo, d.rec_hi,
        d.discount, d.target_boost, d.wrong_rec, d.rec_reason, d.risk, d.belief_T, d.belief_p, d.taste,
        d.contests, d.suitability, d.district, d.draws, rows, m.districts_per_world, m.judges.norm,
        p.judge.tolerance, *Judge.no_crime_terms(m), p.prosecutor.adjust_propensity,
        p.defendant.trial_cost_months, p.defendant.denial_cost, *Judge.suspension_line(m), kept, acq, view,
        lawful, adopt, reason, adjusted, wd, suits,
    )  # fmt: skip
    if a:  # Art. 201(1): the court finds no crime
        acq = acq[:a]
        relief(m, acq, Stage.TRIAL, ReliefType.NOT_ADOPTED, Reason.INNOCENT)
        m.events.emit(NoCrimeFound(acq))
        d.leniency_judged[acq] = True
        close(m, acq, CaseState.ACQUITTED)
        rows, view, lawful, reason = kept[:k], view[:k], lawful[:k], reason[:k]
        adopt, adjusted, wd, suits = adopt[:k], adjusted[:k], wd[:k], suits[:k]
    asked = ~adopt
    ask = rows[asked]
    relief(m, ask, Stage.TRIAL, ReliefType.ADJUSTMENT_REQUEST, reason[asked])
    if len(ask):
        _, hours, _ = m.prosecutors.book(d.prosecutor[ask], p.prosecutor.negotiation_hours)
        m.add_hours("prosecutor", Stage.TRIAL, ask, hours, relief=True)
        Prosecutor.learn(m, ask)  # the court's view is revealed to the prosecutor: informative feedback
        independent = asked & ~adjusted
        relief(m, rows[independent], Stage.TRIAL, ReliefType.NOT_ADOPTED, reason[independent])
    # Facing a heavier sentence than agreed (adjusted upward, or the court's own), the defendant may withdraw
    # the plea (反悔): the case converts to ordinary procedure and is tried as contested, the discount lost.
    if wd.any():
        conv = rows[wd]
        withdraw(m, conv, Stage.TRIAL, reason[wd])
        retry_as_ordinary(m, conv)
        keep = ~wd
        rows, view, lawful, adopt = rows[keep], view[keep], lawful[keep], adopt[keep]
        adjusted, suits = adjusted[keep], suits[keep]
    # Art. 176: the agreement states suspension too; the court may adopt the term and refuse the suspension
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
    n = len(rows)
    if not n:
        return
    convicted, acquitted = np.empty_like(rows), np.empty_like(rows)
    sentence, lawful, suspended = np.empty(n), np.empty(n), np.empty(n, dtype=np.bool_)
    k, a = _contest(
        d.p_conv, d.base, d.view_factor, d.judge, d.mitigation, d.suitability, d.suspension_refused, d.draws,
        rows, m.judges.norm, *Judge.contested_terms(m), *Judge.suspension_line(m), convicted, acquitted,
        sentence, lawful, suspended,
    )  # fmt: skip
    close(m, acquitted[:a], CaseState.ACQUITTED)
    if k:
        judgment(m, convicted[:k], sentence[:k], lawful[:k], suspended[:k])


def judgment(
    m: LeniencyModel, rows: np.ndarray, sentence: np.ndarray, lawful: np.ndarray, suspended: np.ndarray
) -> None:
    """Conviction at first instance: reasons (for a share), suspension as decided, and the appeal window
    opens."""
    d, p = m.docket, m.params
    # Reasons are written for a share of judgments (reasoning effort), at a cost in judge hours.
    explained = _judge(
        d.sentence, d.first_sentence, d.lawful, d.convicted, d.explained, d.custodial, d.state, d.district,
        d.draws, d.next_event, d.next_day, rows, sentence, lawful, suspended,
        m.per_world("judge.reasoning_quality"), m.districts_per_world, m.day,
    )  # fmt: skip
    er = rows[explained]
    _, rh, _ = m.judges.book(d.judge[er], p.judge.reasoning_hours)
    m.add_hours("judge", Stage.TRIAL, er, rh)
    release(m, rows[suspended])
    m.events.emit(Judged(rows))


# --- kernels: each visits a case once, reading and writing its docket row

Col = np.ndarray
_R_TARGET, _R_MISCALIBRATED = int(Reason.TARGET_DRIVEN), int(Reason.MISCALIBRATED_REC)
_R_JUDGE_NORM = int(Reason.JUDGE_NORM)
_FAST_TRACK, _SUMMARY = int(Procedure.FAST_TRACK), int(Procedure.SUMMARY)
_APPEAL_WINDOW = int(CaseState.APPEAL_WINDOW)
_DUE_APPEAL_END = int(Due.APPEAL_END)
_W_TELLS = CASE_COLUMN["judge.tells"]
_W_CONVICTS = CASE_COLUMN["judge.convicts"]
_W_REASONS = CASE_COLUMN["judge.reasons"]
_W_SUSPENSION = CASE_COLUMN["judge.suspension_view"]
_ONE32 = np.float32(1.0)
_TINY32 = np.float32(1e-9)


@helper
def _adopts(rec: float, lo: float, hi: float, view: float, tol: float) -> bool:
    """Art. 201: a recommendation the court adopts (``procedure.art201_adopts``)."""
    return lo <= view * (1 + tol) and hi >= view * (1 - tol) and rec > 0


@jit
def _weigh(
    innocent: Col, evidence: Col, base: Col, view_factor: Col, judge: Col, legal_discount: Col, rec: Col,
    rec_lo: Col, rec_hi: Col, discount: Col, target_boost: Col, wrong_rec: Col, rec_reason: Col, risk: Col,
    belief_t: Col, belief_p: Col, taste: Col, contests: Col, suitability: Col, district: Col, draws: Col,
    rows: Col, dpw: int, norm: Col, tol: float, detection2: float, review_w: Col, adjust_propensity: float,
    trial_cost: float, denial_cost: float, suspension_sd: float, suspension_line: float, kept: Col, acq: Col,
    view: Col, lawful: Col, adopt: Col, reason: Col, adjusted: Col, wd: Col, suits: Col,
) -> tuple[int, int]:  # fmt: skip
    """Art. 201, case by case. The court may find no crime (to ``acq``); else (to the front of ``kept`` and
    of each output) it weighs the recommendation against its own view: the lawful sentence, adoption and,
    where it asks, why — first that applies: it would have adopted the recommendation without the extra
    discount the application target drove; a recommendation off the lawful sentence (the system's own error);
    a lawful one this judge sees differently (no prosecutor-judge communication). Asked, the prosecutor may
    adjust; facing a heavier sentence than agreed, the defendant may withdraw (``wd``); and whether the court
    finds the offender suitable for suspension. Returns the numbers kept and acquitted."""
    k = a = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if finds_no_crime_at(draws, r, innocent[r], evidence[r], detection2, review_w[district[r] // dpw]):
            acq[a] = r
            a += 1
            continue
        v = view_at(base[r], view_factor[r], norm[judge[r]], legal_discount[r])
        rc, lo, hi = rec[r], rec_lo[r], rec_hi[r]
        law_i = case_months_at(base[r], view_factor[r]) * np.float32(_ONE32 - legal_discount[r])
        wrong = abs(rc / law_i - 1.0) > tol
        wrong_rec[r] = wrong
        ok = _adopts(rc, lo, hi, v, tol)
        left = np.float32(_ONE32 - discount[r])
        unboosted = float(np.float32(np.float32(left + target_boost[r]) / max(left, _TINY32)))
        if _adopts(rc * unboosted, lo * unboosted, hi * unboosted, v, tol):
            why = _R_TARGET
        elif wrong:
            why = _R_MISCALIBRATED
        else:
            why = _R_JUDGE_NORM
        rec_reason[r] = -1 if ok else why
        heavier = not ok and v > hi * (1 + law.SAME_SENTENCE_RTOL)
        kept[k], view[k], lawful[k], adopt[k], reason[k] = r, v, law_i, ok, why
        adjusted[k] = not ok and adjusts_at(draws, r, adjust_propensity)
        wd[k] = heavier and withdraws_at(
            v, risk[r], belief_t[r], belief_p[r], taste[r], contests[r], trial_cost, denial_cost
        )
        suits[k] = suspends_at(suitability[r], draws[r, _W_SUSPENSION], suspension_sd, suspension_line)
        k += 1
    return k, a


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
        out[i] = adopt[i] and (explained[r] or uniform32(draws[r, _W_TELLS]) < share)
    return out


@jit
def _contest(
    p_conv: Col, base: Col, view_factor: Col, judge: Col, mitigation: Col, suitability: Col,
    suspension_refused: Col, draws: Col, rows: Col, norm: Col, md: float, cap: float, suspension_sd: float,
    suspension_line: float, convicted: Col, acquitted: Col, sentence: Col, lawful: Col, suspended: Col,
) -> tuple[int, int]:  # fmt: skip
    """A contested trial, case by case: conviction on the true chance (the convicted to the front of
    ``convicted``, their sentence with the mitigation discount only, the lawful one and suspension; the
    others to ``acquitted``). Returns the numbers convicted and acquitted."""
    k = a = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if not uniform32(draws[r, _W_CONVICTS]) < p_conv[r]:
            acquitted[a] = r
            a += 1
            continue
        s = contested_at(base[r], view_factor[r], norm[judge[r]], mitigation[r], md, cap)
        discount = contested_discount_at(mitigation[r], md, cap)
        convicted[k], sentence[k] = r, s
        lawful[k] = law.lawful_sentence(case_months_at(base[r], view_factor[r]), discount)
        suspension_refused[r] = False
        suspended[k] = law.suspension_eligible(s) and suspends_at(
            suitability[r], draws[r, _W_SUSPENSION], suspension_sd, suspension_line
        )
        k += 1
    return k, a


@jit
def _judge(
    sentence_: Col, first_sentence: Col, lawful_: Col, convicted: Col, explained: Col, custodial: Col,
    state: Col, district: Col, draws: Col, next_event: Col, next_day: Col, rows: Col, sentence: Col,
    lawful: Col, suspended: Col, reasoning_quality: Col, dpw: int, day: int,
) -> np.ndarray:  # fmt: skip
    """The judgment on file: sentence, conviction, custody, whether it gives reasons; the appeal window
    opens (its end falls due). Returns the reasoned ones."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        sentence_[r] = sentence[i]
        first_sentence[r] = sentence[i]
        lawful_[r] = lawful[i]
        convicted[r] = True
        e = uniform32(draws[r, _W_REASONS]) < reasoning_quality[district[r] // dpw]
        explained[r] = e
        out[i] = e
        custodial[r] = not suspended[i]
        state[r] = _APPEAL_WINDOW
        schedule_at(next_event, next_day, r, _DUE_APPEAL_END, day + law.APPEAL_WINDOW_DAYS, day)
    return out
