"""The defendant: attributes drawn at arrival, beliefs, the plea, withdrawal and appeal decisions.

Each batch decision is a compiled kernel (``sim.model.kernel``) over the docket rows due; the classmethods
gather its arguments (other actors' values first, so each kernel reads only the docket and parameters)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors.judge import Judge
from sim.model.actors.prosecutor import Prosecutor
from sim.model.kernel import exponential32, jit, normal32, uniform32
from sim.model.streams import CASE_COLUMN

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
        m, d, p = model, model.docket, model.params
        c, df = p.case, p.defendant
        _draw_kernel(
            rows, m.day, m.districts_per_world, facts.uniform("case.innocent"),
            facts.uniform("case.mitigation"), facts.uniform("case.overcharge"),
            facts.uniform("case.contests"), facts.uniform("case.detained"), facts.normal("case.base"),
            facts.normal("case.risk"), facts.normal("case.taste"), facts.normal("case.view"),
            facts.normal("case.suitability"), facts.beta("case.evidence"), facts.beta("case.literacy"),
            c.sentence_sigma, c.innocent_share, c.innocent_evidence_factor, c.innocent_conviction_prob,
            c.evidence_strength_mean, c.mitigation_share, p.prosecutor.overcharge_max, df.risk_aversion_mean,
            df.risk_aversion_sd, df.taste_sd, c.arrest_base, c.arrest_leverage_effect,
            c.arrest_severity_effect, m.per_world("case.sentence_median_months"),
            m.per_world("power.charge_leverage"), m.per_world("defendant.contest_share"),
            m.per_world("power.detention_leverage"), m.per_world("judge.case_view_sd"), d.district, d.base,
            d.innocent, d.evidence, d.p_conv, d.mitigation, d.overcharge, d.risk, d.literacy, d.taste,
            d.contests, d.detained, d.detained_at_arrival, d.det_since, d.view_noise, d.suitability,
        )  # fmt: skip

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
        d, p = model.docket, model.params
        _beliefs_kernel(
            rows, Judge.trial_expectation(model, rows), model.districts_per_world, p.defendant.belief_bias,
            p.defendant.belief_noise, _f32(p.prosecutor.conviction_overstatement),
            model.per_world("power.information_asymmetry"), d.district, d.draws, d.literacy, d.base,
            d.overcharge, d.p_conv, d.framed_T, d.belief_T, d.own_T, d.belief_p, d.own_p,
        )  # fmt: skip

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
        out = np.empty(len(rows))
        _utilities_kernel(
            rows, np.asarray(plea_months, dtype=np.float64), np.asarray(trial_months, dtype=np.float64),
            np.asarray(p_conv, dtype=np.float64), model.params.defendant.trial_cost_months, model.docket.risk,
            out,
        )  # fmt: skip
        return out

    @classmethod
    def decide_plea(cls, model: LeniencyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accept the offer? Returns (decision, decision of a knowing and free defendant); sets the cause.

        Knowing and free (v3): a plea is involuntary when the same defendant, knowing what the model's own
        contested trial would give them (this court's sentence with their mitigation, the true conviction
        chance) and without coercion above the threshold, would refuse. Denying the facts is a cost of
        pleading, not an immunity.
        """
        d, df = model.docket, model.params.defendant
        accept = np.empty(len(rows), dtype=np.bool_)
        accept_cf = np.empty(len(rows), dtype=np.bool_)
        _plea_kernel(
            rows, Judge.contested_sentence(model, rows), df.trial_cost_months, df.denial_cost,
            df.coercion_threshold, d.risk, d.determinate, d.rec, d.rec_lo, d.belief_T, d.belief_p, d.p_conv,
            d.own_T, d.own_p, d.taste, d.contests, d.pressure, d.inv_cause, accept, accept_cf,
        )  # fmt: skip
        return accept, accept_cf

    @classmethod
    def pressure(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Coercive pressure (log scale) at the first session: continued detention used as leverage.

        Substantive advice on rights shields the defendant (Bibas 2004; assumption on the size)."""
        d, p = model.docket, model.params
        out = np.empty(len(rows), dtype=np.float32)
        _pressure_kernel(
            rows, model.districts_per_world, p.defendant.detention_pressure,
            model.per_world("power.detention_leverage"), _f32(p.lawyer.rights_shield), d.district, d.detained,
            d.substantive, out,
        )  # fmt: skip
        return out

    @classmethod
    def insist(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """A prosecutor short of the target insists on a refuser: repeat sessions, threats (detention, a
        heavier charge) and more framing; a recorded hearing deters what would show on tape. Returns who
        was insisted on."""
        d, p = model.docket, model.params
        pp = p.prosecutor
        short = Prosecutor.shortfall(model, d.prosecutor[rows])
        pressure = Prosecutor.target_pressure(model, model.params_of_worlds())  # a number or one per world
        if not isinstance(pressure, np.ndarray):
            pressure = np.full(model.worlds, float(pressure))
        pressure = np.asarray(pressure, dtype=np.float64)
        go = np.empty(len(rows), dtype=np.bool_)
        _insist_kernel(
            rows, np.asarray(short, dtype=np.float64), pressure, model.districts_per_world,
            model.per_world("prosecutor.insist_base"), pp.insist_slope, pp.recording_deterrence,
            _f32(p.lawyer.rights_shield), _f32(pp.insistence_pressure), _f32(pp.insistence_framing),
            d.district, d.draws, d.recorded, d.substantive, d.literacy, d.framed_T, d.pressure, d.belief_T,
            d.insisted, go,
        )  # fmt: skip
        ins = rows[go]
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
        out = np.empty(len(rows), dtype=np.bool_)
        _withdraw_kernel(
            rows, np.asarray(court_months, dtype=np.float64), df.trial_cost_months, df.denial_cost, d.risk,
            d.belief_T, d.belief_p, d.taste, d.contests, out,
        )  # fmt: skip
        return out

    @classmethod
    def learns_truth(cls, model: LeniencyModel, rows: np.ndarray, scale: float, occasion: int) -> np.ndarray:
        """Does a defendant who signed on wrong beliefs come to see it (literacy and real advice help)?
        ``occasion``: 0 at the end of review, 1 at trial."""
        d = model.docket
        out = np.empty(len(rows), dtype=np.bool_)
        _learns_kernel(
            rows, _LEARNS + _occurrence("defendant.learns", occasion), float(scale),
            model.districts_per_world, model.per_world("defendant.learning_prob"), d.district, d.draws,
            d.literacy, d.substantive, out,
        )  # fmt: skip
        return out

    @classmethod
    def misinformed(cls, model: LeniencyModel, rows: np.ndarray, scale: float, occasion: int) -> np.ndarray:
        """Is a voluntary signer later misinformed into withdrawing (formalised advice leaves room for it)?"""
        df = model.params.defendant
        out = np.empty(len(rows), dtype=np.bool_)
        column = _MISINFORMED + _occurrence("defendant.misinformed", occasion)
        prob32 = _f32(df.misinformation_prob * scale)
        d = model.docket
        _misinformed_kernel(rows, column, prob32, _f32(df.misinformation_shield), d.draws, d.substantive, out)
        return out

    @classmethod
    def months_pending(cls, model: LeniencyModel, sentence: np.ndarray, remaining: np.ndarray) -> np.ndarray:
        """How much of a short remainder an appeal keeps in the detention house: all of it (up to 3 months)
        in the usual course; only the written decision's days when the court decides such appeals in writing
        (the defendant knows the court's practice, triage.written_lane_share)."""
        s = np.asarray(sentence, dtype=np.float64)
        r = np.asarray(remaining, dtype=np.float64)
        out = np.empty(len(s))
        _months_pending_kernel(s, r, *_lane(model), out)
        return out

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
        m, d, df = model, model.docket, model.params.defendant
        appeal = np.empty(len(rows), dtype=np.bool_)
        technical = np.empty(len(rows), dtype=np.bool_)
        _appeal_kernel(
            rows, np.asarray(anchor, dtype=np.float64), np.asarray(lawful_sentence, dtype=np.bool_),
            np.asarray(defect, dtype=np.bool_), np.asarray(eligible, dtype=np.bool_),
            np.asarray(remaining_months, dtype=np.float64), df.unfairness_sd, df.defect_grievance,
            1.0 - df.reasons_persuasion, df.appeal_success_lawful, df.appeal_success_belief, df.protest_prior,
            m.params.prosecutor.protest_increase, *_lane(model), m.districts_per_world,
            m.per_world("defendant.detention_house_value"), m.per_world("defendant.protest_awareness"),
            m.per_world("prosecutor.punitive_protest_prob"), m.per_world("defendant.appeal_threshold"),
            d.district, d.draws, d.sentence, d.explained, appeal, technical,
        )  # fmt: skip
        return appeal, technical


# --- kernels ---------------------------------------------------------------------------------------------
# numpy's dtypes are mirrored: a float32 column op a Python float stays float32 (NEP 50), so such a step is
# computed as ``np.float32(a * b)`` (one rounding of the exact double result, as float32 arithmetic rounds);
# everything else is float64.

_BELIEF = CASE_COLUMN["defendant.belief"]
_CONVICTION_BELIEF = CASE_COLUMN["defendant.conviction_belief"]
_INSISTS = CASE_COLUMN["prosecutor.insists"]
_LEARNS = CASE_COLUMN["defendant.learns"]
_MISINFORMED = CASE_COLUMN["defendant.misinformed"]
_GRIEVANCE = CASE_COLUMN["defendant.grievance"]
_APPEAL_COST = CASE_COLUMN["defendant.appeal_cost"]
_SEVERE = law.ARREST_SEVERE_MONTHS


def _f32(x: float) -> float:
    """A Python float as numpy meets it beside a float32 array: rounded to float32."""
    return float(np.float32(x))


def _occurrence(slot: str, occasion: int) -> int:
    """The word of a decision a case makes for the ``occasion``-th time (``streams.check_occurrence``)."""
    uses = streams.SLOT[slot].uses
    if not 0 <= occasion < uses:  # as streams.check_occurrence, without an array for one number
        raise RuntimeError(f"{slot}: a case made this decision more than {uses} times")
    return int(occasion)


def _lane(model: LeniencyModel) -> tuple[float, float, float]:
    """The written lane of appeals as a defendant expects it: (share, months of a written decision, the
    longest sentence it takes)."""
    tp = model.params.triage
    return tp.written_lane_share, tp.written_days / law.DAYS_PER_MONTH, tp.lane_max_months


@jit
def _gap(risk: Any, plea: float, trial: float, p: float, cost: float) -> float:
    """``Defendant.utilities`` of one case."""
    r1 = 1.0 + float(risk)
    u_plea = (1e-3 if plea < 1e-3 else plea) ** r1
    u_trial = p * (1e-3 if trial < 1e-3 else trial) ** r1 + cost**r1
    return math.log(u_plea) - math.log(u_trial)


@jit
def _utilities_kernel(rows, plea, trial, p, cost, risk, out):
    for i in range(rows.shape[0]):
        out[i] = _gap(risk[rows[i]], plea[i], trial[i], p[i], cost)


@jit
def _plea_kernel(
    rows, trial, cost, denial, threshold, risk, determinate, rec, rec_lo, belief_t, belief_p, p_conv, own_t,
    own_p, taste, contests, pressure, inv_cause, accept, accept_cf,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        perceived = rec[r] if determinate[r] else rec_lo[r]
        gap = _gap(risk[r], perceived, belief_t[r], float(belief_p[r]), cost)
        true_gap = _gap(risk[r], rec[r], trial[i], float(p_conv[r]), cost)
        like = float(taste[r]) - denial * (1.0 if contests[r] else 0.0)
        push = float(pressure[r])
        lawful = 0.0 if push > threshold else push
        a = gap <= like + push
        a_cf = true_gap <= like + lawful
        accept[i] = a
        accept_cf[i] = a_cf
        cause = 0
        if a and not a_cf:
            if push > threshold and gap > like + lawful:
                cause = 1
            elif _gap(risk[r], perceived, own_t[r], float(own_p[r]), cost) > like + push:
                cause = 2
            else:
                cause = 3
        inv_cause[r] = cause


@jit
def _beliefs_kernel(
    rows, expected, dpw, bias, noise_sd, overstate32, asymmetry, district, draws, literacy, base, overcharge,
    p_conv, framed_t, belief_t, own_t, belief_p, own_p,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        lit = float(literacy[r])
        framed = base[r] * float(np.float32(1.0 + float(overcharge[r])))
        framed_t[r] = framed
        noise = bias + noise_sd * (1 - 0.5 * lit) * normal32(draws[_BELIEF, r])
        log_b = math.log(expected[i]) + noise
        w = asymmetry[district[r] // dpw] * (1 - lit)
        belief_t[r] = math.exp((1 - w) * log_b + w * math.log(framed))
        own_t[r] = math.exp(log_b)
        pc = float(p_conv[r])
        own = pc + 0.15 * (1 - lit) * normal32(draws[_CONVICTION_BELIEF, r])
        own = min(max(own, 0.05), 1.0)
        framed_p = float(np.float32(pc + float(np.float32(overstate32 * float(np.float32(1.0 - pc))))))
        belief_p[r] = np.float32((1 - w) * own + w * framed_p)
        own_p[r] = np.float32(own)


@jit
def _pressure_kernel(rows, dpw, detention_pressure, leverage, shield32, district, detained, substantive, out):
    for i in range(rows.shape[0]):
        r = rows[i]
        raw = detention_pressure * leverage[district[r] // dpw] * (1.0 if detained[r] else 0.0)
        shield = float(np.float32(1.0 - float(np.float32(shield32 * float(substantive[r])))))
        out[i] = np.float32(raw * shield)


@jit
def _insist_kernel(
    rows, short, target_pressure, dpw, insist_base, slope, deterrence, shield32, push32, framing32, district,
    draws, recorded, substantive, literacy, framed_t, pressure, belief_t, insisted, go,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        w_ = district[r] // dpw
        chance = target_pressure[w_] * min(1.0, insist_base[w_] + slope * short[i])
        g = uniform32(draws[_INSISTS, r]) < chance
        go[i] = g
        if not g:
            continue
        deter = 1.0 - deterrence * (1.0 if recorded[r] else 0.0)
        shield = float(np.float32(1.0 - float(np.float32(shield32 * float(substantive[r])))))
        add = np.float32(float(np.float32(push32 * shield)) * deter)
        pressure[r] = np.float32(float(pressure[r]) + float(add))
        w = float(np.float32(framing32 * float(np.float32(1.0 - float(literacy[r]))))) * deter
        belief_t[r] = math.exp((1 - w) * math.log(belief_t[r]) + w * math.log(framed_t[r]))
        insisted[r] = True


@jit
def _withdraw_kernel(rows, court, cost, denial, risk, belief_t, belief_p, taste, contests, out):
    for i in range(rows.shape[0]):
        r = rows[i]
        gap = _gap(risk[r], court[i], belief_t[r], float(belief_p[r]), cost)
        out[i] = gap > float(taste[r]) - denial * (1.0 if contests[r] else 0.0)


@jit
def _learns_kernel(rows, column, scale, dpw, learning_prob, district, draws, literacy, substantive, out):
    for i in range(rows.shape[0]):
        r = rows[i]
        # float32 as numpy computes it with the scenario's value (the same in a batch of worlds)
        help32 = float(
            np.float32(
                float(np.float32(0.5 * float(literacy[r]))) + float(np.float32(0.5 * float(substantive[r])))
            )
        )
        prob = float(np.float32(float(np.float32(learning_prob[district[r] // dpw] * scale)) * help32))
        out[i] = uniform32(draws[column, r]) < prob


@jit
def _misinformed_kernel(rows, column, prob32, shield32, draws, substantive, out):
    for i in range(rows.shape[0]):
        r = rows[i]
        kept = float(np.float32(1.0 - float(np.float32(shield32 * float(substantive[r])))))
        out[i] = uniform32(draws[column, r]) < float(np.float32(prob32 * kept))


@jit
def _pending(sentence: float, remaining: float, share: float, written: float, lane_max: float) -> float:
    """``Defendant.months_pending`` of one case."""
    usual = min(remaining, 3.0)
    if share <= 0.0:
        return usual
    s = share * (1.0 if sentence <= lane_max else 0.0)
    return (1.0 - s) * usual + s * min(remaining, written)


@jit
def _months_pending_kernel(sentence, remaining, share, written, lane_max, out):
    for i in range(sentence.shape[0]):
        out[i] = _pending(sentence[i], remaining[i], share, written, lane_max)


@jit
def _appeal_kernel(
    rows, anchor, lawful_sentence, defect, eligible, remaining, unfair_sd, defect_grievance, persuaded,
    success_lawful, success_belief, prior, increase, share, written, lane_max, dpw, house_value, awareness,
    punitive_prob, threshold, district, draws, sentence, explained, appeal, technical,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        s = sentence[r]
        felt = math.log(s / anchor[i]) + unfair_sd * normal32(draws[_GRIEVANCE, r])
        if defect[i]:
            felt = felt + defect_grievance
        informed = explained[r] and lawful_sentence[i] and not defect[i]
        if informed:
            felt = felt * persuaded
        p_succ = success_lawful if informed else success_belief
        gain = p_succ * max(math.expm1(felt), 0.0) * s
        stay = 0.0
        loss = 0.0
        if eligible[i]:
            stay = house_value[w] * _pending(s, remaining[i], share, written, lane_max)
            aware = awareness[w]
            loss = ((1 - aware) * prior + aware * punitive_prob[w]) * increase * s
        cost = exponential32(draws[_APPEAL_COST, r], threshold[w]) * s
        a = gain + stay - loss > cost
        appeal[i] = a
        technical[i] = a and eligible[i] and gain - loss <= cost


@jit
def _draw_kernel(
    rows, day, dpw, u_innocent, u_mitigation, u_overcharge, u_contests, u_detained, z_base, z_risk, z_taste,
    z_view, z_suitability, evidence_draw, literacy_draw, sigma, innocent_share, innocent_factor,
    innocent_conv, evidence_mean, mitigation_share, overcharge_max, risk_mean, risk_sd, taste_sd, arrest_base,
    arrest_leverage, arrest_severity, median, charge_leverage, contest_share, detention_leverage, view_sd,
    district, base, innocent, evidence, p_conv, mitigation, overcharge, risk, literacy, taste, contests,
    detained, detained_at_arrival, det_since, view_noise, suitability,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        months = min(max(median[w] * math.exp(sigma * z_base[i]), 1.0), 300.0)
        base[r] = months
        inn = u_innocent[i] < innocent_share
        innocent[r] = inn
        ev = evidence_draw[i] * innocent_factor if inn else evidence_draw[i]  # weaker against the innocent
        evidence[r] = np.float32(ev)
        # In China conviction at trial is near-certain for the guilty (> 99 %, docs/domain.md §5).
        if inn:
            p_conv[r] = np.float32(min(max(innocent_conv * ev / evidence_mean, 0.0), 0.95))
        else:
            p_conv[r] = np.float32(0.97 + 0.03 * ev)
        mitigation[r] = u_mitigation[i] < mitigation_share and not inn
        overcharge[r] = np.float32(charge_leverage[w] * overcharge_max * u_overcharge[i])
        risk[r] = np.float32(max(risk_mean + risk_sd * z_risk[i], 0.0))
        literacy[r] = np.float32(literacy_draw[i])
        taste[r] = np.float32(taste_sd * z_taste[i])
        contests[r] = u_contests[i] < contest_share[w]
        # Arrest decision: severity and detention used as leverage (以捕促认) raise it
        # (assumption on the form).
        severe = 1.0 if months > _SEVERE else 0.0
        p_det = arrest_base + arrest_leverage * detention_leverage[w] + arrest_severity * severe
        det = u_detained[i] < min(max(p_det, 0.0), 0.95)
        detained[r] = det
        detained_at_arrival[r] = det
        det_since[r] = day if det else -1
        view_noise[r] = np.float32(view_sd[w] * z_view[i])
        suitability[r] = np.float32(z_suitability[i])
