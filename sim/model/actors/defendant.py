"""The defendant: attributes drawn at arrival, beliefs, the plea, withdrawal and appeal decisions.

Each batch decision is a compiled kernel (``sim.model.actors.defendant_kernels``) over the docket rows due;
the classmethods gather its arguments (other actors' values first, so each kernel reads only the docket and
parameters)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors import defendant_kernels as kernels
from sim.model.actors.judge import Judge
from sim.model.actors.prosecutor import Prosecutor
from sim.model.streams import CASE_COLUMN

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel
    from sim.model.streams import Arrivals


# what ``Defendant.appeal_terms`` gives ``defendant_kernels.appeals_at``: ten numbers, then four per world
AppealTerms = tuple[
    float,
    float,
    float,
    float,
    float,
    float,
    float,
    float,
    float,
    float,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]


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
        kernels.draw_kernel(
            rows, m.day, m.districts_per_world, facts.raw, facts.beta("case.evidence"),
            facts.beta("case.literacy"),
            c.sentence_sigma, c.innocent_share, c.innocent_evidence_factor, c.innocent_conviction_prob,
            c.evidence_strength_mean, c.mitigation_share, p.prosecutor.overcharge_max, df.risk_aversion_mean,
            df.risk_aversion_sd, df.taste_sd, c.arrest_base, c.arrest_leverage_effect,
            c.arrest_severity_effect, m.per_world("case.sentence_median_months"),
            m.per_world("power.charge_leverage"), m.per_world("defendant.contest_share"),
            m.per_world("power.detention_leverage"), m.per_world("judge.case_view_sd"), d.district, d.base,
            d.innocent, d.evidence, d.p_conv, d.mitigation, d.overcharge, d.risk, d.literacy, d.taste,
            d.contests, d.detained, d.detained_at_arrival, d.det_since, d.view_noise, d.suitability,
        )  # fmt: skip
        # numpy's float32 exp, once per case: kept, so every kernel reads the very multiplier the court's view
        # gives (a last-bit difference would carry on through what prosecutors learn from the court)
        d.view_factor[rows] = np.exp(d.view_noise[rows])

    @classmethod
    def beta_shapes(cls, model: LeniencyModel) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The beta shapes (a, b) of the facts drawn by rejection (evidence, literacy), one per world
        (float64, from each world's parameters; kept until the parameters change, as ``per_world``)."""
        hit = model.derived.get("defendant.beta_shapes")
        if hit is not None and hit[0] is model.params:
            return hit[1]
        mean = model.per_world("case.evidence_strength_mean")
        k = model.per_world("case.evidence_concentration")
        lm = model.per_world("defendant.literacy_mean")
        shapes = {
            "case.evidence": (mean * k, (1 - mean) * k),
            "case.literacy": (np.maximum(lm * 4, 0.05), np.maximum((1 - lm) * 4, 0.05)),
        }
        model.derived["defendant.beta_shapes"] = (model.params, shapes)
        return shapes

    @classmethod
    def belief_terms(cls, model: LeniencyModel) -> tuple[float, float, float, np.ndarray]:
        """What beliefs about the trial read (``defendant_kernels.forms_beliefs_at``, which the plea hearing's
        kernel calls case by case): the bias and noise of a defendant's own estimate, the prosecutor's
        overstatement of the conviction chance (float32) and the information asymmetry per world."""
        p = model.params
        return (
            p.defendant.belief_bias, p.defendant.belief_noise, _f32(p.prosecutor.conviction_overstatement),
            model.per_world("power.information_asymmetry"),
        )  # fmt: skip

    @classmethod
    def decide_plea(cls, model: LeniencyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Accept the offer? Returns (decision, decision of a knowing and free defendant); sets the cause.

        Knowing and free (v3): a plea is involuntary when the same defendant, knowing what the model's own
        contested trial would give them (this court's sentence with their mitigation, the true conviction
        chance) and without coercion above the threshold, would refuse. Denying the facts is a cost of
        pleading, not an immunity.
        """
        d = model.docket
        accept = np.empty(len(rows), dtype=np.bool_)
        accept_cf = np.empty(len(rows), dtype=np.bool_)
        kernels.plea_kernel(
            rows, Judge.contested_sentence(model, rows), *cls.plea_terms(model), d.risk, d.determinate, d.rec,
            d.rec_lo, d.belief_T, d.belief_p, d.p_conv, d.own_T, d.own_p, d.taste, d.contests, d.pressure,
            d.inv_cause, accept, accept_cf,
        )  # fmt: skip
        return accept, accept_cf

    @classmethod
    def pressure(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Coercive pressure (log scale) at the first session: continued detention used as leverage.

        Substantive advice on rights shields the defendant (Bibas 2004; assumption on the size)."""
        d = model.docket
        out = np.empty(len(rows), dtype=np.float32)
        kernels.pressure_kernel(
            rows, model.districts_per_world, *cls.pressure_terms(model), d.district, d.detained,
            d.substantive, out,
        )  # fmt: skip
        return out

    @classmethod
    def pressure_terms(cls, model: LeniencyModel) -> tuple[float, np.ndarray, float]:
        """What pressure reads (``defendant_kernels.pressure_at``): detention's pressure, its leverage per
        world and the shield of substantive advice (float32)."""
        p = model.params
        leverage = model.per_world("power.detention_leverage")
        return p.defendant.detention_pressure, leverage, _f32(p.lawyer.rights_shield)

    @classmethod
    def plea_terms(cls, model: LeniencyModel) -> tuple[float, float, float]:
        """What the plea decision reads besides the docket (``defendant_kernels.plea_at``): the cost of a
        trial in months, the cost of denying the facts and the coercion threshold."""
        df = model.params.defendant
        return df.trial_cost_months, df.denial_cost, df.coercion_threshold

    @classmethod
    def insist(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """A prosecutor short of the target insists on a refuser: repeat sessions, threats (detention, a
        heavier charge) and more framing; a recorded hearing deters what would show on tape. Returns who
        was insisted on."""
        d, p = model.docket, model.params
        pp = p.prosecutor
        short = Prosecutor.shortfall(model, d.prosecutor[rows])
        go = np.empty(len(rows), dtype=np.bool_)
        kernels.insist_kernel(
            rows, np.asarray(short, dtype=np.float64), Prosecutor.target_pressure(model),
            model.districts_per_world,
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
    def second_thoughts(
        cls, model: LeniencyModel, scale: float, occasion: int
    ) -> tuple[int, float, np.ndarray, int, float, float]:
        """What a standing plea's second thoughts read (``defendant_kernels.learns_at`` and
        ``misinformed_at``, which the withdrawal kernel calls case by case): does a defendant who signed on
        wrong beliefs come to see it, is a voluntary signer misinformed? ``occasion``: 0 at the end of review,
        1 at trial. Returns
        (the learning word's column, ``scale``, the learning chance per world, the misinformation word's
        column, its chance and the shield of substantive advice as float32)."""
        df = model.params.defendant
        return (
            _LEARNS + _occurrence("defendant.learns", occasion),
            float(scale),
            model.per_world("defendant.learning_prob"),
            _MISINFORMED + _occurrence("defendant.misinformed", occasion),
            _f32(df.misinformation_prob * scale),
            _f32(df.misinformation_shield),
        )

    @classmethod
    def appeal_terms(cls, model: LeniencyModel) -> AppealTerms:
        """What the appeal decision reads (``defendant_kernels.appeals_at``, which the window's kernel calls
        case by case), in its order: the felt unfairness's spread, a defect's grievance, what reasons leave of
        it, the believed chances of success, the protest prior and the increase a protest brings, the written
        lane (``_lane``), then per world the detention house's value, the awareness of punitive protests,
        their chance and the appeal threshold."""
        m, df = model, model.params.defendant
        return (
            df.unfairness_sd, df.defect_grievance, 1.0 - df.reasons_persuasion, df.appeal_success_lawful,
            df.appeal_success_belief, df.protest_prior, m.params.prosecutor.protest_increase, *_lane(model),
            m.per_world("defendant.detention_house_value"), m.per_world("defendant.protest_awareness"),
            m.per_world("prosecutor.punitive_protest_prob"), m.per_world("defendant.appeal_threshold"),
        )  # fmt: skip


_LEARNS = CASE_COLUMN["defendant.learns"]
_MISINFORMED = CASE_COLUMN["defendant.misinformed"]


def _f32(x: float) -> float:
    """A Python float as numpy meets it beside a float32 array: rounded to float32."""
    return float(np.float32(x))


def _occurrence(slot: str, occasion: int) -> int:
    """The word of a decision a case makes for the ``occasion``-th time (at most ``Slot.uses`` times: past
    that it would reuse a draw)."""
    uses = streams.SLOT[slot].uses
    if not 0 <= occasion < uses:  # a case may not reuse a word (Slot.uses)
        raise RuntimeError(f"{slot}: a case made this decision more than {uses} times")
    return int(occasion)


def _lane(model: LeniencyModel) -> tuple[float, float, float]:
    """The written lane of appeals as a defendant expects it: (share, months of a written decision, the
    longest sentence it takes)."""
    tp = model.params.triage
    return tp.written_lane_share, tp.written_days / law.DAYS_PER_MONTH, tp.lane_max_months
