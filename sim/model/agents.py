"""Mesa agents: Defendant, Prosecutor, DutyLawyer, Judge. Behaviour lives with the actor.

Each actor type keeps its state in arrays (an ``ActorPool``) so a day's batch of cases is handled in vectorized
passes; the Mesa agent objects are views onto one row of those arrays (``agent.backlog_hours`` etc.). The batch
methods are classmethods taking the model and the docket rows they act on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model import procedure as law

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

OVERCHARGE_MAX = 0.5  # assumption: full charge leverage overstates the trial sentence by up to 50 %
RELEASE_ON_PLEA = 0.6  # assumption: with full detention leverage, 60 % of detained who plead are released
NEGOTIATION_MIN_SUBSTANCE = 0.3  # assumption: below this a lawyer only witnesses and does not bargain


class ActorPool:
    """Vectorized state of one actor type: capacity, FIFO backlog of hours, work done."""

    def __init__(self, n: int, hours_per_day: float, corner_cutting: float, horizon_days: float) -> None:
        self.n = n
        self.capacity = np.full(n, hours_per_day, dtype=np.float64)
        self.backlog = np.zeros(n, dtype=np.float64)
        self.hours_done = np.zeros(n, dtype=np.float64)
        self.cases = np.zeros(n, dtype=np.int64)
        self.corner_cutting = corner_cutting
        self.horizon = horizon_days

    def end_day(self) -> None:
        """Work off one day of capacity."""
        np.subtract(self.backlog, self.capacity, out=self.backlog)
        np.maximum(self.backlog, 0.0, out=self.backlog)

    def load(self, actors: np.ndarray) -> np.ndarray:
        """Backlog in units of the 'normal' backlog (horizon days of capacity); > 1 means overloaded."""
        return self.backlog[actors] / (self.capacity[actors] * self.horizon)

    def book(self, actors: np.ndarray, std_hours: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Queue tasks FIFO per actor. Returns (wait days, hours spent, time factor).

        Overloaded actors cut corners: time per task shrinks by 1 / (1 + c * (load - 1)) (assumption), and what
        remains queues behind the actor's backlog.
        """
        n = len(actors)
        if n == 0:
            z = np.zeros(0)
            return z.astype(np.int32), z, z
        backlog, capacity = self.backlog[actors], self.capacity[actors]
        tf = 1.0 / (1.0 + self.corner_cutting * np.maximum(backlog / (capacity * self.horizon) - 1.0, 0.0))  # load()
        hours = np.asarray(std_hours, dtype=np.float64) * tf
        if n == 1:
            wait = np.floor(backlog / capacity).astype(np.int32)
        else:
            # A stable sort keeps FIFO order within an actor; on 16-bit keys numpy's stable sort is a radix sort.
            order = np.argsort(actors.astype(np.uint16) if n > 64 and self.n <= 65536 else actors, kind="stable")
            a_sorted, h_sorted = actors[order], hours[order]
            excl = np.cumsum(h_sorted)
            excl -= h_sorted  # hours booked before each task in this batch
            first = np.empty(n, dtype=bool)  # first task of its actor in sorted order
            first[0] = True
            np.not_equal(a_sorted[1:], a_sorted[:-1], out=first[1:])
            start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
            before = excl - excl[start]  # hours queued before the task by earlier tasks of the same actor
            wait = np.empty(n, dtype=np.int32)
            wait[order] = np.floor((backlog[order] + before) / capacity[order])
        np.add.at(self.backlog, actors, hours)
        np.add.at(self.hours_done, actors, hours)
        np.add.at(self.cases, actors, 1)
        return wait, hours, tf


class _PoolAgent(mesa.Agent):
    """A Mesa agent standing for one row of its type's ActorPool."""

    pool_name = ""

    def __init__(self, model: LeniencyModel, idx: int, district: int) -> None:
        super().__init__(model)
        self.idx = idx
        self.district = district

    @property
    def _pool(self) -> ActorPool:
        return getattr(self.model, self.pool_name)

    @property
    def backlog_hours(self) -> float:
        return float(self._pool.backlog[self.idx])

    @property
    def hours_worked(self) -> float:
        return float(self._pool.hours_done[self.idx])

    @property
    def cases_handled(self) -> int:
        return int(self._pool.cases[self.idx])


class Defendant(mesa.Agent):
    """The accused. Attributes read the docket row; decisions are made in batches by the classmethods."""

    def __init__(self, model: LeniencyModel, row: int, case_id: int) -> None:
        super().__init__(model)
        self.row = row
        self.case_id = case_id

    def _col(self, name: str) -> object:
        return getattr(self.model.docket, name)[self.row].item()

    @property
    def state(self) -> law.CaseState:
        return law.CaseState(self._col("state"))

    @property
    def detained(self) -> bool:
        return bool(self._col("detained"))

    @property
    def signed(self) -> bool:
        return bool(self._col("signed"))

    @property
    def involuntary(self) -> bool:
        return bool(self._col("involuntary"))

    @property
    def believed_trial_months(self) -> float:
        return float(self._col("belief_T"))

    @property
    def true_trial_months(self) -> float:
        return float(self._col("base"))

    def record(self) -> dict[str, object]:
        return self.model.docket.record(self.row)

    # --- batch behaviour ---------------------------------------------------------------------------------------
    @classmethod
    def draw(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Heterogeneous attributes at arrival: offence, guilt, evidence, detention, risk attitude, literacy.

        Drawn from the case stream (``model.case_rng``): the same seed gives the same defendants in every arm."""
        p, d, rng, n = model.params, model.docket, model.case_rng, len(rows)
        c, df = p.case, p.defendant
        d.base[rows] = np.clip(c.sentence_median_months * np.exp(c.sentence_sigma * rng.standard_normal(n)), 1.0, 300.0)
        d.innocent[rows] = rng.random(n) < c.innocent_share
        k = 12.0  # beta concentration (assumption)
        ev = rng.beta(c.evidence_strength_mean * k, (1 - c.evidence_strength_mean) * k, n)
        ev = np.where(d.innocent[rows], ev * 0.7, ev)  # weaker evidence against the innocent (assumption)
        d.evidence[rows] = ev
        # In China conviction at trial is near-certain for the guilty (> 99 %, domain.md §5).
        guilty_p = 0.97 + 0.03 * ev
        innocent_p = np.clip(c.innocent_conviction_prob * ev / c.evidence_strength_mean, 0.0, 0.95)
        d.p_conv[rows] = np.where(d.innocent[rows], innocent_p, guilty_p)
        d.mitigation[rows] = (rng.random(n) < c.mitigation_share) & ~d.innocent[rows]
        d.overcharge[rows] = p.power.charge_leverage * OVERCHARGE_MAX * rng.random(n)
        d.risk[rows] = np.maximum(df.risk_aversion_mean + df.risk_aversion_sd * rng.standard_normal(n), 0.0)
        lm = df.literacy_mean
        d.literacy[rows] = rng.beta(max(lm * 4, 0.05), max((1 - lm) * 4, 0.05), n)
        d.taste[rows] = df.taste_sd * rng.standard_normal(n)
        d.contests[rows] = rng.random(n) < df.contest_share
        # Arrest decision: severity and detention used as leverage (以捕促认) raise it (assumption on the form).
        severe = d.base[rows] > law.ARREST_SEVERE_MONTHS
        p_det = np.clip(0.18 + 0.4 * p.power.detention_leverage + 0.25 * severe, 0.0, 0.95)
        det = rng.random(n) < p_det
        d.detained[rows] = det
        d.detained_at_arrival[rows] = det
        d.det_since[rows] = np.where(det, model.day, -1)
        d.view_noise[rows] = p.judge.case_view_sd * rng.standard_normal(n)

    @classmethod
    def form_beliefs(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Beliefs about the trial: own noisy estimate, pulled toward the prosecutor's framing by information asymmetry."""
        p, d, rng, n = model.params, model.docket, model.rng, len(rows)
        lit = d.literacy[rows].astype(np.float64)
        d.framed_T[rows] = d.base[rows] * (1.0 + d.overcharge[rows])
        noise = p.defendant.belief_bias + p.defendant.belief_noise * (1 - 0.5 * lit) * rng.standard_normal(n)
        log_b = np.log(d.base[rows]) + noise
        w = p.power.information_asymmetry * (1 - lit)  # Bibas: missing information bends the bargain
        d.belief_T[rows] = np.exp((1 - w) * log_b + w * np.log(d.framed_T[rows]))
        d.own_T[rows] = np.exp(log_b)
        own_p = np.clip(d.p_conv[rows] + 0.15 * (1 - lit) * rng.standard_normal(n), 0.05, 1.0)
        p_conv = d.p_conv[rows]
        framed_p = p_conv + p.prosecutor.conviction_overstatement * (1.0 - p_conv)  # "conviction is certain"
        d.belief_p[rows] = (1 - w) * own_p + w * framed_p
        d.own_p[rows] = own_p

    @classmethod
    def utilities(
        cls, model: LeniencyModel, rows: np.ndarray, plea_months: np.ndarray, trial_months: np.ndarray, p_conv: np.ndarray
    ) -> np.ndarray:
        """Log of (plea disutility / trial disutility): Landes (1971) with risk aversion (Grossman & Katz 1983)."""
        d = model.docket
        r1 = 1.0 + d.risk[rows].astype(np.float64)
        cost = model.params.defendant.trial_cost_months
        u_plea = np.power(np.maximum(plea_months, 1e-3), r1)
        u_trial = p_conv * np.power(np.maximum(trial_months, 1e-3), r1) + np.power(cost, r1)
        return np.log(u_plea) - np.log(u_trial)

    @classmethod
    def decide_plea(cls, model: LeniencyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accept the offer? Returns (decision, decision of a knowing and free defendant); sets the cause.

        Knowing and free (v2): a plea is involuntary when the same defendant, with accurate beliefs and without
        coercion above the threshold, would refuse. Denying the facts is a cost of pleading, not an immunity.
        """
        d, df = model.docket, model.params.defendant
        perceived = np.where(d.determinate[rows], d.rec[rows], d.rec_lo[rows])
        gap = cls.utilities(model, rows, perceived, d.belief_T[rows], d.belief_p[rows].astype(np.float64))
        true_gap = cls.utilities(model, rows, d.rec[rows], d.base[rows], d.p_conv[rows].astype(np.float64))
        own_gap = cls.utilities(model, rows, perceived, d.own_T[rows], d.own_p[rows].astype(np.float64))
        taste = d.taste[rows] - df.denial_cost * d.contests[rows]
        pressure = d.pressure[rows].astype(np.float64)
        lawful = np.where(pressure > df.coercion_threshold, 0.0, pressure)
        accept = gap <= taste + pressure
        accept_cf = true_gap <= taste + lawful
        coerced = (pressure > df.coercion_threshold) & (gap > taste + lawful)
        framed = own_gap > taste + pressure
        inv = accept & ~accept_cf
        d.inv_cause[rows] = np.where(inv, np.select([coerced, framed], [1, 2], 3), 0)
        return accept, accept_cf

    @classmethod
    def pressure(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Coercive pressure (log scale) at the first session: continued detention used as leverage.

        Substantive advice on rights shields the defendant (Bibas 2004; assumption on the size)."""
        p, d = model.params, model.docket
        raw = p.defendant.detention_pressure * p.power.detention_leverage * d.detained[rows]
        return (raw * (1.0 - 0.8 * d.substantive[rows])).astype(np.float32)

    @classmethod
    def insist(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """A prosecutor short of the target insists on a refuser: repeat sessions, threats (detention, a heavier
        charge) and more framing; a recorded hearing deters what would show on tape. Returns who was insisted on."""
        p, d, rng = model.params, model.docket, model.rng
        pp = p.prosecutor
        short = Prosecutor.shortfall(model, d.prosecutor[rows])
        chance = p.power.target_pressure * np.minimum(1.0, pp.insist_base + pp.insist_slope * short)
        go = rng.random(len(rows)) < chance
        ins = rows[go]
        deter = 1.0 - pp.recording_deterrence * d.recorded[ins]
        shield = 1.0 - 0.8 * d.substantive[ins]
        d.pressure[ins] += (pp.insistence_pressure * shield * deter).astype(np.float32)
        w = pp.insistence_framing * (1 - d.literacy[ins]) * deter
        d.belief_T[ins] = np.exp((1 - w) * np.log(d.belief_T[ins]) + w * np.log(d.framed_T[ins]))
        d.insisted[ins] = True
        _, hours, _ = model.prosecutors.book(d.prosecutor[ins], pp.insistence_hours)
        model.add_hours("prosecutor", law.Stage.REVIEW, ins, hours)
        return go

    @classmethod
    def withdraws_after_refusal(cls, model: LeniencyModel, rows: np.ndarray, court_months: np.ndarray) -> np.ndarray:
        """The court will not give the agreed sentence: withdraw the plea and contest, or take the court's
        sentence? The same comparison as the plea decision (beliefs as they stand, denial a cost), without pressure."""
        d, df = model.docket, model.params.defendant
        gap = cls.utilities(model, rows, court_months, d.belief_T[rows], d.belief_p[rows].astype(np.float64))
        return gap > d.taste[rows] - df.denial_cost * d.contests[rows]

    @classmethod
    def learns_truth(cls, model: LeniencyModel, rows: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Does a defendant who signed on wrong beliefs come to see it (literacy and real advice help)?"""
        d = model.docket
        prob = model.params.defendant.learning_prob * scale * (0.5 * d.literacy[rows] + 0.5 * d.substantive[rows])
        return model.rng.random(len(rows)) < prob

    @classmethod
    def misinformed(cls, model: LeniencyModel, rows: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Is a voluntary signer later misinformed into withdrawing (formalised advice leaves room for it)?"""
        d = model.docket
        prob = model.params.defendant.misinformation_prob * scale * (1.0 - d.substantive[rows])
        return model.rng.random(len(rows)) < prob

    @classmethod
    def decide_appeal(
        cls, model: LeniencyModel, rows: np.ndarray, anchor: np.ndarray, lawful_sentence: np.ndarray,
        defect: np.ndarray, eligible: np.ndarray, remaining_months: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Appeal within 10 days? An expected-utility choice (Landes 1971 applied to the appeal). Returns
        (appeal, technical).

        Gain: the believed chance of success times the felt excess of the sentence over what was promised (the
        recommendation) or seems fair; for a short custodial remainder, the value of serving it in the detention house
        (留所服刑) while the judgment is not final. Loss: the believed chance of a punitive protest times the increase
        it brings (上诉不加刑 protects only a defendant-only appeal). Cost: an idiosyncratic hassle. A reasoned judgment
        is information: a lawful sentence explained lowers the felt excess and the believed chance of success.
        """
        p, d, rng, n = model.params, model.docket, model.rng, len(rows)
        df = p.defendant
        S = d.sentence[rows]
        felt = np.log(S / anchor) + df.unfairness_sd * rng.standard_normal(n)
        felt = np.where(defect, felt + df.defect_grievance, felt)
        informed = d.explained[rows] & lawful_sentence & ~defect
        felt = np.where(informed, felt * (1.0 - df.reasons_persuasion), felt)
        p_succ = np.where(informed, df.appeal_success_lawful, df.appeal_success_belief)
        gain = p_succ * np.maximum(np.expm1(felt), 0.0) * S
        stay = np.where(eligible, df.detention_house_value * np.minimum(remaining_months, 3.0), 0.0)
        aware = df.protest_awareness
        p_prot = (1 - aware) * df.protest_prior + aware * p.prosecutor.punitive_protest_prob
        loss = np.where(eligible, p_prot * p.prosecutor.protest_increase * S, 0.0)
        cost = rng.exponential(df.appeal_threshold, n) * S  # relative to the stakes
        appeal = gain + stay - loss > cost
        technical = appeal & eligible & (gain - loss <= cost)
        return appeal, technical

class Prosecutor(_PoolAgent):
    """Reviews cases, offers recommendations under a target, learns judges' norms, adjusts, protests."""

    pool_name = "prosecutors"

    @property
    def application_rate(self) -> float:
        return float(self.model.prosecutor_rate[self.idx])

    @property
    def norm_beliefs(self) -> np.ndarray:
        return np.exp(self.model.norm_belief[self.idx])

    @classmethod
    def shortfall(cls, model: LeniencyModel, prosecutors: np.ndarray) -> np.ndarray:
        """Relative shortfall of a prosecutor's running application rate below the target."""
        target = model.params.prosecutor.application_target
        if target <= 0:
            return np.zeros(len(prosecutors))
        return np.maximum(target - model.prosecutor_rate[prosecutors], 0.0) / target

    @classmethod
    def estimate_trial(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The prosecutor's estimate of the trial sentence: the charge as brought, times the believed judge norm.

        With a consultation (coordination) the judge's own norm is known.
        """
        d, p = model.docket, model.params
        believed = np.exp(model.norm_belief[d.prosecutor[rows], d.judge_local[rows]])
        consult = model.rng.random(len(rows)) < p.prosecutor.consult_prob
        # a consultation reveals how this court sees this case; it costs both sides time
        crow = rows[consult]
        _, hp, _ = model.prosecutors.book(d.prosecutor[crow], p.prosecutor.consult_hours)
        model.add_hours("prosecutor", law.Stage.REVIEW, crow, hp)
        _, hj, _ = model.judges.book(d.judge[crow], p.judge.consult_hours)
        model.add_hours("judge", law.Stage.REVIEW, crow, hj)
        norm = np.where(consult, model.judge_norm[d.judge[rows]] * np.exp(d.view_noise[rows]), believed)
        return d.base[rows] * norm  # v2: the charge threat frames the defendant; it is not part of the recommendation

    @classmethod
    def offer(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Art. 176: a recommendation with a discount within the caps; under target pressure a larger discount."""
        d, p, rng, n = model.docket, model.params, model.rng, len(rows)
        pp = p.prosecutor
        cap = law.discount_cap(d.mitigation[rows], p.law.plea_discount_cap, p.law.combined_discount_cap)
        lawful = pp.base_discount + pp.mitigation_discount * d.mitigation[rows]
        d.legal_discount[rows] = law.capped_discount(lawful, cap)
        # under the application-rate target a larger discount to secure the plea (a miscalibration the court sees)
        boost = pp.target_discount_boost * p.power.target_pressure * (1.0 + cls.shortfall(model, d.prosecutor[rows]))
        d.discount[rows] = law.capped_discount(lawful + boost, cap)
        est = cls.estimate_trial(model, rows)
        centre = est * (1.0 - d.discount[rows])
        det = rng.random(n) < pp.determinate_share
        d.determinate[rows] = det
        d.rec[rows] = centre
        d.offer[rows] = centre
        hw = np.where(det, 0.0, pp.range_half_width)
        d.rec_lo[rows] = centre * (1 - hw)
        d.rec_hi[rows] = centre * (1 + hw)

    @classmethod
    def finds_involuntary(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The review-stage plea hearing (recorded since 2022 under the safeguards reform) may uncover coercion;
        a defendant with real help speaks up more readily (assumption on the form)."""
        d, p = model.docket, model.params
        seen = 1.0 + p.judge.recording_visibility * d.recorded[rows]  # a record shows what happened in the session
        depth = np.clip(p.prosecutor.voluntariness_check_depth * (0.5 + 0.5 * d.substantive[rows]) * seen, 0, 1)
        u = model.rng.random(len(rows))
        return np.where(d.involuntary[rows], u < depth, u < p.judge.false_finding_rate * depth)

    @classmethod
    def will_negotiate(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """After a refusal the prosecutor bargains only with a defence that has substance to bargain with."""
        return model.docket.substantive[rows] > NEGOTIATION_MIN_SUBSTANCE

    @classmethod
    def declines(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Non-prosecution at the end of review: minor pleaded cases (relative non-prosecution, Art. 177) and
        weak cases against the innocent (evidentiary non-prosecution; assumption on the rate)."""
        d, rng, n = model.docket, model.rng, len(rows)
        minor = d.signed[rows] & (d.rec[rows] <= law.MINOR_CASE_MONTHS)
        minor &= rng.random(n) < model.params.case.minor_nonprosecution_share
        weak = d.innocent[rows] & (rng.random(n) < 0.5 * (1 - d.evidence[rows]))
        return minor | weak

    @classmethod
    def releases_on_plea(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Arrest as leverage (以捕促认): a detained defendant who pleads may be released (assumption)."""
        d = model.docket
        chance = RELEASE_ON_PLEA * model.params.power.detention_leverage
        return d.signed[rows] & d.detained[rows] & (model.rng.random(len(rows)) < chance)

    @classmethod
    def negotiate(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """After a refusal, a substantive defence wins an extra discount (within the caps)."""
        d, p = model.docket, model.params
        cap = law.discount_cap(d.mitigation[rows], p.law.plea_discount_cap, p.law.combined_discount_cap)
        new = law.capped_discount(d.discount[rows] + p.prosecutor.negotiation_step * d.substantive[rows], cap)
        scale = (1.0 - new) / np.maximum(1.0 - d.discount[rows], 1e-9)
        d.discount[rows] = new
        for col in (d.rec, d.rec_lo, d.rec_hi):
            col[rows] = col[rows] * scale

    @classmethod
    def record_outcome(cls, model: LeniencyModel, prosecutors: np.ndarray, pleaded: np.ndarray) -> None:
        """Running application rate per prosecutor (what the target is measured on)."""
        alpha = 0.02
        np.multiply.at(model.prosecutor_rate, prosecutors, 1 - alpha)
        np.add.at(model.prosecutor_rate, prosecutors, alpha * pleaded)

    @classmethod
    def learn(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Learn each judge's norm from judgments (faster with prosecutor-judge communication)."""
        d = model.docket
        pr, jl = d.prosecutor[rows], d.judge_local[rows]
        observed = np.log(model.judge_norm[d.judge[rows]]) + 0.03 * model.rng.standard_normal(len(rows))
        eta = model.params.prosecutor.learning_rate
        np.add.at(model.norm_belief, (pr, jl), eta * (observed - model.norm_belief[pr, jl]))

    @classmethod
    def adjusts(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Art. 201: asked to adjust an obviously improper recommendation, does the prosecutor do so?"""
        return model.rng.random(len(rows)) < model.params.prosecutor.adjust_propensity

    @classmethod
    def protests(cls, model: LeniencyModel, rows: np.ndarray, technical: np.ndarray, wrong: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Art. 228: (punitive protest of a technical appeal, supervisory protest of a wrong sentence)."""
        pp, u = model.params.prosecutor, model.rng.random(len(rows))
        punitive = technical & (u < pp.punitive_protest_prob)
        supervisory = ~punitive & wrong & (u < pp.supervisory_protest_prob)
        return punitive, supervisory


class DutyLawyer(_PoolAgent):
    """Advises and witnesses the signing. Time per case shrinks with caseload, and with it substance."""

    pool_name = "lawyers"

    @classmethod
    def substantiveness(cls, model: LeniencyModel, minutes: np.ndarray) -> np.ndarray:
        """0-1: enough minutes, file access and private meetings make help substantive (assumption on the form)."""
        lp = model.params.lawyer
        time_part = np.sqrt(np.minimum(minutes / lp.substantive_minutes, 1.0))
        return time_part * (0.5 + 0.25 * lp.file_access + 0.25 * lp.private_meeting)

    @classmethod
    def advise(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Consult before the plea; returns the lawyer wait in days. Moves beliefs toward truth or framing."""
        d, p = model.docket, model.params
        lp = p.lawyer
        wait = np.zeros(len(rows), dtype=np.int32)
        duty = ~d.retained[rows]
        drows = rows[duty]
        rush = 1.0 - p.prosecutor.rush_share * p.power.target_pressure * Prosecutor.shortfall(model, d.prosecutor[drows])
        planned = lp.consultation_minutes * (0.5 + p.power.defence_capacity) * rush
        w, hours, tf = model.lawyers.book(d.lawyer[drows], (planned + lp.signing_minutes) / 60.0)
        model.add_hours("lawyer", law.Stage.REVIEW, drows, hours)
        wait[duty] = w
        d.lawyer_minutes[drows] = planned * tf
        d.substantive[drows] = cls.substantiveness(model, d.lawyer_minutes[drows])
        d.substantive[rows[~duty]] = lp.retained_substantiveness
        d.lawyer_minutes[rows[~duty]] = lp.substantive_minutes
        s = d.substantive[rows].astype(np.float64)
        m = lp.misleading_strength * (1.0 - s)  # formalised advice echoes the prosecutor's framing
        log_b = (1 - m) * np.log(d.belief_T[rows]) + m * np.log(d.framed_T[rows])
        d.belief_T[rows] = np.exp((1 - s) * log_b + s * np.log(d.base[rows]))
        d.belief_p[rows] = (1 - s) * d.belief_p[rows] + s * d.p_conv[rows]
        d.lawyer_present[rows] = True  # Art. 174: the consultation ends with the lawyer present at signing
        return wait

    @classmethod
    def continue_to_trial(cls, model: LeniencyModel, rows: np.ndarray, relief: bool = False) -> None:
        """Continuity: the same lawyer stays, or a new duty lawyer with little time takes over."""
        d, p = model.docket, model.params
        changes = ~d.retained[rows] & (model.rng.random(len(rows)) >= p.lawyer.continuity)
        d.substantive[rows[changes]] *= 0.5
        duty = rows[~d.retained[rows]]
        _, hours, _ = model.lawyers.book(d.lawyer[duty], p.lawyer.trial_hours)
        model.add_hours("lawyer", law.Stage.TRIAL, duty, hours, relief=relief)


class Judge(_PoolAgent):
    """Reviews voluntariness, applies Art. 201, sentences, reasons, decides second instance."""

    pool_name = "judges"

    @property
    def sentencing_norm(self) -> float:
        return float(self.model.judge_norm[self.idx])

    @classmethod
    def case_months(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The sentence the facts as tried call for at the average norm: the file's figure times what only the
        trial shows (case-specific; the prosecutor sees it only by consulting the court)."""
        d = model.docket
        return d.base[rows] * np.exp(d.view_noise[rows])

    @classmethod
    def view(cls, model: LeniencyModel, rows: np.ndarray, discount: np.ndarray) -> np.ndarray:
        """The sentence this judge thinks right: the facts as tried, personal norm, the lawful discount."""
        d = model.docket
        return cls.case_months(model, rows) * model.judge_norm[d.judge[rows]] * (1.0 - discount)

    @classmethod
    def procedure_for(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Procedure of first instance: fast-track for eligible plea cases the court takes up (Art. 222), summary
        for other plea cases, ordinary for contested ones (assumption: contested cases go ordinary)."""
        d = model.docket
        plea = d.signed[rows]
        uptake = model.rng.random(len(rows)) < model.params.judge.fast_track_uptake
        fast = plea & law.fast_track_eligible(d.rec[rows]) & uptake
        return np.select([fast, plea], [law.Procedure.FAST_TRACK, law.Procedure.SUMMARY], law.Procedure.ORDINARY)

    @classmethod
    def finds_involuntary(cls, model: LeniencyModel, rows: np.ndarray, time_factor: np.ndarray) -> np.ndarray:
        """Art. 190: review of voluntariness; detection rises with review depth and time, falls with workload."""
        d, p = model.docket, model.params
        proc_factor = np.select(
            [d.procedure[rows] == law.Procedure.FAST_TRACK, d.procedure[rows] == law.Procedure.SUMMARY], [0.4, 0.7], 1.0
        )
        seen = 1.0 + p.judge.recording_visibility * d.recorded[rows]  # the review can watch the recorded plea hearing
        q = np.clip(p.judge.review_depth * 2 * p.power.judicial_review_depth * proc_factor * time_factor * seen, 0, 1)
        u = model.rng.random(len(rows))
        return np.where(d.involuntary[rows], u < q, u < p.judge.false_finding_rate)

    @classmethod
    def finds_no_crime(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Art. 201(1): in a pleaded case of an innocent, the court may still find no crime."""
        d, p = model.docket, model.params
        q = np.clip(p.judge.innocence_detection * 2 * (1 - d.evidence[rows]) * 2 * p.power.judicial_review_depth, 0, 1)
        return d.innocent[rows] & (model.rng.random(len(rows)) < q)
