"""The defendant: attributes drawn at arrival, beliefs, the plea, withdrawal and appeal decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors.judge import Judge
from sim.model.actors.prosecutor import Prosecutor

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel
    from sim.model.streams import Arrivals


class Defendant(mesa.Agent):
    """The accused. Attributes read the docket row; decisions are made in batches by the classmethods."""

    def __init__(self, model: LeniencyModel, row: int, case_id: int) -> None:
        super().__init__(model)
        self.row = row
        self.case_id = case_id

    def _col(self, name: str) -> Any:
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
    def true_trial_months(self) -> float:
        return float(self._col("base"))

    def record(self) -> dict[str, object]:
        return self.model.docket.record(self.row)

    # --- batch behaviour
    # ---------------------------------------------------------------------------------------
    @classmethod
    def draw(cls, model: LeniencyModel, rows: np.ndarray, facts: Arrivals) -> None:
        """Heterogeneous attributes at arrival: offence, guilt, evidence, detention, risk attitude, literacy.

        Drawn from each case's arrival stream (``sim.model.streams``): the same seed gives the same
        defendants in every arm."""
        p, d = model.params_at(rows), model.docket
        c, df = p.case, p.defendant
        d.base[rows] = np.clip(
            c.sentence_median_months * np.exp(c.sentence_sigma * facts.normal("case.base")), 1.0, 300.0
        )
        d.innocent[rows] = facts.uniform("case.innocent") < c.innocent_share
        ev = facts.beta("case.evidence")
        ev = np.where(d.innocent[rows], ev * c.innocent_evidence_factor, ev)  # weaker against the innocent
        d.evidence[rows] = ev
        # In China conviction at trial is near-certain for the guilty (> 99 %, docs/domain.md §5).
        guilty_p = 0.97 + 0.03 * ev
        innocent_p = np.clip(c.innocent_conviction_prob * ev / c.evidence_strength_mean, 0.0, 0.95)
        d.p_conv[rows] = np.where(d.innocent[rows], innocent_p, guilty_p)
        d.mitigation[rows] = (facts.uniform("case.mitigation") < c.mitigation_share) & ~d.innocent[rows]
        d.overcharge[rows] = (
            p.power.charge_leverage * p.prosecutor.overcharge_max * facts.uniform("case.overcharge")
        )
        d.risk[rows] = np.maximum(
            df.risk_aversion_mean + df.risk_aversion_sd * facts.normal("case.risk"), 0.0
        )
        d.literacy[rows] = facts.beta("case.literacy")
        d.taste[rows] = df.taste_sd * facts.normal("case.taste")
        d.contests[rows] = facts.uniform("case.contests") < df.contest_share
        # Arrest decision: severity and detention used as leverage (以捕促认) raise it
        # (assumption on the form).
        severe = d.base[rows] > law.ARREST_SEVERE_MONTHS
        p_det = np.clip(
            c.arrest_base
            + c.arrest_leverage_effect * p.power.detention_leverage
            + c.arrest_severity_effect * severe,
            0.0,
            0.95,
        )
        det = facts.uniform("case.detained") < p_det
        d.detained[rows] = det
        d.detained_at_arrival[rows] = det
        d.det_since[rows] = np.where(det, model.day, -1)
        d.view_noise[rows] = p.judge.case_view_sd * facts.normal("case.view")
        d.suitability[rows] = facts.normal("case.suitability")

    @classmethod
    def beta_shapes(cls, p: Any) -> dict[str, tuple[Any, Any]]:
        """The beta shapes (a, b) of the facts drawn by rejection (evidence, literacy), from parameters
        ``p`` (a scenario, or one value per world)."""
        c, lm = p.case, p.defendant.literacy_mean
        k = c.evidence_concentration
        return {
            "case.evidence": (c.evidence_strength_mean * k, (1 - c.evidence_strength_mean) * k),
            "case.literacy": (np.maximum(lm * 4, 0.05), np.maximum((1 - lm) * 4, 0.05)),
        }

    @classmethod
    def form_beliefs(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Beliefs about the trial: own noisy estimate, pulled toward the prosecutor's framing by information
        asymmetry."""
        p, d = model.params_at(rows), model.docket
        lit = d.literacy[rows].astype(np.float64)
        d.framed_T[rows] = d.base[rows] * (1.0 + d.overcharge[rows])
        z = streams.normal(model, "defendant.belief", rows)
        noise = p.defendant.belief_bias + p.defendant.belief_noise * (1 - 0.5 * lit) * z
        log_b = np.log(Judge.trial_expectation(model, rows)) + noise
        w = p.power.information_asymmetry * (1 - lit)  # Bibas: missing information bends the bargain
        d.belief_T[rows] = np.exp((1 - w) * log_b + w * np.log(d.framed_T[rows]))
        d.own_T[rows] = np.exp(log_b)
        zp = streams.normal(model, "defendant.conviction_belief", rows)
        own_p = np.clip(d.p_conv[rows] + 0.15 * (1 - lit) * zp, 0.05, 1.0)
        p_conv = d.p_conv[rows]
        framed_p = p_conv + p.prosecutor.conviction_overstatement * (1.0 - p_conv)  # "conviction is certain"
        d.belief_p[rows] = (1 - w) * own_p + w * framed_p
        d.own_p[rows] = own_p

    @classmethod
    def utilities(
        cls,
        model: LeniencyModel,
        rows: np.ndarray,
        plea_months: np.ndarray,
        trial_months: np.ndarray,
        p_conv: np.ndarray,
    ) -> np.ndarray:
        """Log of (plea disutility / trial disutility): Landes (1971) with risk aversion (Grossman & Katz
        1983)."""
        d = model.docket
        r1 = 1.0 + d.risk[rows].astype(np.float64)
        cost = model.params.defendant.trial_cost_months
        u_plea = np.power(np.maximum(plea_months, 1e-3), r1)
        u_trial = p_conv * np.power(np.maximum(trial_months, 1e-3), r1) + np.power(cost, r1)
        return np.log(u_plea) - np.log(u_trial)

    @classmethod
    def decide_plea(cls, model: LeniencyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accept the offer? Returns (decision, decision of a knowing and free defendant); sets the cause.

        Knowing and free (v3): a plea is involuntary when the same defendant, knowing what the model's own
        contested trial would give them (this court's sentence with their mitigation, the true conviction
        chance) and without coercion above the threshold, would refuse. Denying the facts is a cost of
        pleading, not an immunity.
        """
        d, df = model.docket, model.params.defendant
        perceived = np.where(d.determinate[rows], d.rec[rows], d.rec_lo[rows])
        gap = cls.utilities(model, rows, perceived, d.belief_T[rows], d.belief_p[rows].astype(np.float64))
        trial = Judge.contested_sentence(model, rows)
        true_gap = cls.utilities(model, rows, d.rec[rows], trial, d.p_conv[rows].astype(np.float64))
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
        p, d = model.params_at(rows), model.docket
        raw = p.defendant.detention_pressure * p.power.detention_leverage * d.detained[rows]
        return (raw * (1.0 - p.lawyer.rights_shield * d.substantive[rows])).astype(np.float32)

    @classmethod
    def insist(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """A prosecutor short of the target insists on a refuser: repeat sessions, threats (detention, a
        heavier charge) and more framing; a recorded hearing deters what would show on tape. Returns who
        was insisted on."""
        p, d = model.params_at(rows), model.docket
        pp = p.prosecutor
        short = Prosecutor.shortfall(model, d.prosecutor[rows])
        pressure = Prosecutor.target_pressure(model, p)
        chance = pressure * np.minimum(1.0, pp.insist_base + pp.insist_slope * short)
        go = streams.uniform(model, "prosecutor.insists", rows) < chance
        ins = rows[go]
        deter = 1.0 - pp.recording_deterrence * d.recorded[ins]
        shield = 1.0 - p.lawyer.rights_shield * d.substantive[ins]
        d.pressure[ins] += (pp.insistence_pressure * shield * deter).astype(np.float32)
        w = pp.insistence_framing * (1 - d.literacy[ins]) * deter
        d.belief_T[ins] = np.exp((1 - w) * np.log(d.belief_T[ins]) + w * np.log(d.framed_T[ins]))
        d.insisted[ins] = True
        _, hours, _ = model.prosecutors.book(d.prosecutor[ins], pp.insistence_hours)
        model.add_hours("prosecutor", law.Stage.REVIEW, ins, hours)
        return go

    @classmethod
    def withdraws_after_refusal(
        cls, model: LeniencyModel, rows: np.ndarray, court_months: np.ndarray
    ) -> np.ndarray:
        """The court will not give the agreed sentence: withdraw the plea and contest, or take the court's
        sentence? The same comparison as the plea decision (beliefs as they stand, denial a cost), without
        pressure."""
        d, df = model.docket, model.params.defendant
        gap = cls.utilities(model, rows, court_months, d.belief_T[rows], d.belief_p[rows].astype(np.float64))
        return gap > d.taste[rows] - df.denial_cost * d.contests[rows]

    @classmethod
    def learns_truth(cls, model: LeniencyModel, rows: np.ndarray, scale: float, occasion: int) -> np.ndarray:
        """Does a defendant who signed on wrong beliefs come to see it (literacy and real advice help)?
        ``occasion``: 0 at the end of review, 1 at trial."""
        d = model.docket
        prob = (
            model.params_at(rows).defendant.learning_prob
            * scale
            * (0.5 * d.literacy[rows] + 0.5 * d.substantive[rows])
        )
        return streams.uniform(model, "defendant.learns", rows, occasion) < prob

    @classmethod
    def misinformed(cls, model: LeniencyModel, rows: np.ndarray, scale: float, occasion: int) -> np.ndarray:
        """Is a voluntary signer later misinformed into withdrawing (formalised advice leaves room for it)?"""
        d = model.docket
        df = model.params.defendant
        prob = df.misinformation_prob * scale * (1.0 - df.misinformation_shield * d.substantive[rows])
        return streams.uniform(model, "defendant.misinformed", rows, occasion) < prob

    @classmethod
    def months_pending(cls, model: LeniencyModel, sentence: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        """How much of a short remainder an appeal keeps in the detention house: all of it (up to 3 months)
        in the usual course; only the written decision's days when the court decides such appeals in writing
        (the defendant knows the court's practice, triage.written_lane_share)."""
        usual = np.minimum(remaining, 3.0)
        tp = model.params.triage
        if tp.written_lane_share <= 0.0:
            return usual
        lane = np.minimum(remaining, tp.written_days / law.DAYS_PER_MONTH)
        s = tp.written_lane_share * (sentence <= tp.lane_max_months)
        return (1.0 - s) * usual + s * lane

    @classmethod
    def decide_appeal(
        cls,
        model: LeniencyModel,
        rows: np.ndarray,
        anchor: np.ndarray,
        lawful_sentence: np.ndarray,
        defect: np.ndarray,
        eligible: np.ndarray,
        remaining_months: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Appeal within 10 days? An expected-utility choice (Landes 1971 applied to the appeal). Returns
        (appeal, technical).

        Gain: the believed chance of success times the felt excess of the sentence over what was promised
        (the recommendation) or seems fair; for a short custodial remainder, the value of serving it in the
        detention house (留所服刑) while the judgment is not final. Loss: the believed chance of a punitive
        protest times the increase it brings (上诉不加刑 protects only a defendant-only appeal). Cost: an
        idiosyncratic hassle. A reasoned judgment is information: a lawful sentence explained lowers the
        felt excess and the believed chance of success.
        """
        p, d = model.params_at(rows), model.docket
        df = p.defendant
        S = d.sentence[rows]
        felt = np.log(S / anchor) + df.unfairness_sd * streams.normal(model, "defendant.grievance", rows)
        felt = np.where(defect, felt + df.defect_grievance, felt)
        informed = d.explained[rows] & lawful_sentence & ~defect
        felt = np.where(informed, felt * (1.0 - df.reasons_persuasion), felt)
        p_succ = np.where(informed, df.appeal_success_lawful, df.appeal_success_belief)
        gain = p_succ * np.maximum(np.expm1(felt), 0.0) * S
        stay = np.where(
            eligible, df.detention_house_value * cls.months_pending(model, S, remaining_months), 0.0
        )
        aware = df.protest_awareness
        p_prot = (1 - aware) * df.protest_prior + aware * p.prosecutor.punitive_protest_prob
        loss = np.where(eligible, p_prot * p.prosecutor.protest_increase * S, 0.0)
        cost = (
            streams.exponential(model, "defendant.appeal_cost", rows, df.appeal_threshold) * S
        )  # of the stakes
        appeal = gain + stay - loss > cost
        technical = appeal & eligible & (gain - loss <= cost)
        return appeal, technical
