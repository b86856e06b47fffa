"""The prosecutor: recommendations under a target, insistence, learning judges' norms, adjustment, protest.

The office (an ActorPool) owns the state: each prosecutor's beliefs about the norms of the district's judges
(log scale) and the running application rate the target is measured on. Each decision over cases is a
compiled kernel (``sim.model.actors.prosecutor_kernels``); the methods here gather its arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import prosecutor_kernels as kernels
from sim.model.actors.judge import Judge, suspension_line
from sim.model.actors.pool import ActorPool, PoolAgent
from sim.model.actors.prosecutor_kernels import (
    MOTIVE_NONE,
    MOTIVE_NOT_ADOPTED,
    MOTIVE_OFF_LAWFUL,
    MOTIVE_PUNITIVE,
)

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel
    from sim.model.scenario import Scenario
    from sim.model.streams import ActorDraws


class ProsecutorOffice(ActorPool):
    """The prosecutors of all districts: workload, beliefs about their judges' norms, running application
    rates."""

    def __init__(self, scenario: Scenario) -> None:
        p, w = scenario, scenario.workload
        super().__init__(
            p.run.districts * p.prosecutor.per_district,
            p.prosecutor.hours_per_day,
            w.corner_cutting,
            w.horizon_days,
        )
        self.per_district = p.prosecutor.per_district
        # newcomers' belief error, per prosecutor (the worlds of a batch may differ in it)
        self.belief_sd = np.full(self.n, p.prosecutor.norm_belief_sd)
        self.target = p.prosecutor.application_target
        self.norm_belief = np.zeros((self.n, p.judge.per_district))
        self.rate = np.full(self.n, self.target)

    def meet_judges(self, judge_norm: np.ndarray, judges_per_district: int, setup: ActorDraws) -> None:
        """Initial beliefs: each judge's true norm, blurred (log scale)."""
        nd = self.n // self.per_district
        own = np.log(judge_norm).reshape(nd, judges_per_district)[np.arange(self.n) // self.per_district]
        self.norm_belief = own + self.belief_sd[:, None] * setup.normal("prosecutor.first_belief")

    def forget_judges(self, judges: np.ndarray, judges_per_district: int, draws: ActorDraws) -> None:
        """New judges: the prosecutors of their districts start afresh on them (uninformed beliefs), on the
        words of those prosecutors only."""
        if not len(judges):
            return
        dist = np.asarray(judges, dtype=np.int64) // judges_per_district
        prosecutors = (dist[:, None] * self.per_district + np.arange(self.per_district)).ravel()
        kernels.forget_judges_kernel(
            judges,
            judges_per_district,
            self.per_district,
            draws.words_at("prosecutor.fresh_belief", prosecutors),
            self.belief_sd,
            self.norm_belief,
        )

    def turnover(self, per_year: float, draws: ActorDraws) -> None:
        """Prosecutors leave and are replaced by newcomers with uninformed beliefs and the target's rate: the
        newcomers' words are computed only on a day someone leaves, and only theirs."""
        leavers = kernels.leavers_kernel(draws.words("prosecutor.leaves"), per_year / 365.0)
        if len(leavers):
            kernels.turnover_kernel(
                leavers,
                draws.words_at("prosecutor.newcomer_belief", leavers),
                self.belief_sd,
                self.norm_belief,
                self.rate,
                self.target,
            )


class Prosecutor(PoolAgent):
    """Reviews cases, offers recommendations under a target, learns judges' norms, adjusts, protests."""

    pool_name = "prosecutors"

    @property
    def application_rate(self) -> float:
        return float(self.model.prosecutors.rate[self.idx])

    @classmethod
    def shortfall(cls, model: LeniencyModel, prosecutors: np.ndarray) -> np.ndarray:
        """Relative shortfall of a prosecutor's running application rate below the target."""
        target = model.params.prosecutor.application_target
        return kernels.shortfall_kernel(prosecutors, model.prosecutors.rate, target)

    @classmethod
    def target_pressure(cls, model: LeniencyModel) -> np.ndarray:
        """How hard the application target presses in each world (``power.target_pressure``, float64): not at
        all where there is no target (``prosecutor.application_target = 0``, e.g. before the SPP's 70 % of
        August 2019)."""
        if model.params.prosecutor.application_target > 0:
            return model.per_world("power.target_pressure")
        return np.zeros(model.worlds)

    @classmethod
    def offer(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Art. 176: a recommendation with a discount within the caps; under target pressure a larger
        discount, deeper the further the prosecutor is short of the target (a bent recommendation the court
        may see).

        The recommendation centres on the prosecutor's estimate of the trial sentence: the charge as brought
        times the believed judge norm, or, where it consults the court, the judge's own norm and view of the
        case (the consultation costs both sides time). It states whether the sentence should be suspended:
        the prosecutor judges the offender's suitability with its own error, or learns the court's view by
        consulting. The charge threat frames the defendant; it is not part of the recommendation (v2)."""
        d, m, p = model.docket, model, model.params
        pp = p.prosecutor
        court_sd, court_line = Judge.suspension_line(model)
        own_sd = pp.suspension_view_sd
        consult = kernels.offer_kernel(
            rows,
            d.district,
            m.districts_per_world,
            d.prosecutor,
            d.judge,
            d.judge_local,
            d.mitigation,
            d.base,
            d.view_factor,
            d.suitability,
            d.draws,
            d.legal_discount,
            d.discount,
            d.target_boost,
            d.determinate,
            d.rec,
            d.offer,
            d.rec_lo,
            d.rec_hi,
            d.rec_suspended,
            m.prosecutors.norm_belief,
            m.prosecutors.rate,
            m.judges.norm,
            p.law.plea_discount_cap,
            p.law.combined_discount_cap,
            pp.base_discount,
            pp.mitigation_discount,
            m.per_world("prosecutor.target_discount_boost"),
            m.per_world("power.target_pressure"),
            pp.application_target,
            m.per_world("prosecutor.consult_prob"),
            m.per_world("prosecutor.determinate_share"),
            pp.range_half_width,
            own_sd,
            suspension_line(p.case.suspension_share, own_sd),
            court_sd,
            court_line,
        )
        crow = rows[consult]
        if len(crow):
            _, hp, _ = m.prosecutors.book(d.prosecutor[crow], pp.consult_hours)
            m.add_hours("prosecutor", law.Stage.REVIEW, crow, hp)
            _, hj, _ = m.judges.book(d.judge[crow], p.judge.consult_hours)
            m.add_hours("judge", law.Stage.REVIEW, crow, hj)

    @classmethod
    def check_terms(cls, model: LeniencyModel) -> tuple[float, float, float]:
        """What the review-stage check of voluntariness reads (``prosecutor_kernels.finds_involuntary_at``,
        which the plea hearing's kernel calls case by case): a record's visibility, the check's depth and the
        false finding rate."""
        p = model.params
        return (
            p.judge.recording_visibility,
            p.prosecutor.voluntariness_check_depth,
            p.judge.false_finding_rate,
        )

    @classmethod
    def charge_terms(cls, model: LeniencyModel) -> tuple[float, float, float, float, np.ndarray]:
        """What the end of review reads (``record_outcomes``, ``declines_at``, ``releases_at``, which the
        charge's kernel calls): the application rate's smoothing, the shares of minor and weak cases dropped,
        the release on a plea and the detention leverage per world."""
        m, c, pp = model, model.params.case, model.params.prosecutor
        return (
            pp.rate_smoothing, c.minor_nonprosecution_share, c.weak_case_drop, pp.release_on_plea,
            m.per_world("power.detention_leverage"),
        )  # fmt: skip

    @classmethod
    def negotiate(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """After a refusal, a substantive defence wins an extra discount (within the caps); the
        recommendation scales with it."""
        d, p = model.docket, model.params
        kernels.negotiate_kernel(
            rows,
            d.mitigation,
            d.substantive,
            d.discount,
            d.rec,
            d.rec_lo,
            d.rec_hi,
            p.law.plea_discount_cap,
            p.law.combined_discount_cap,
            p.prosecutor.negotiation_step,
        )

    @classmethod
    def learn(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Learn each judge's norm from judgments (faster with prosecutor-judge communication)."""
        d, pp = model.docket, model.params.prosecutor
        kernels.learn_kernel(
            rows,
            d.prosecutor,
            d.judge,
            d.judge_local,
            d.draws,
            model.judges.log_norm,
            model.prosecutors.norm_belief,
            pp.observation_noise,
            pp.learning_rate,
        )

    @classmethod
    def protest_terms(cls, model: LeniencyModel) -> tuple[np.ndarray, np.ndarray]:
        """What the protest decision reads (``prosecutor_kernels.protests_at``, after ``protest_motive_at``,
        which the window's kernel calls case by case): the chance of a punitive and of a supervisory protest,
        per world."""
        punitive = model.per_world("prosecutor.punitive_protest_prob")
        return punitive, model.per_world("prosecutor.supervisory_protest_prob")


__all__ = [
    "MOTIVE_NONE",
    "MOTIVE_NOT_ADOPTED",
    "MOTIVE_OFF_LAWFUL",
    "MOTIVE_PUNITIVE",
    "Prosecutor",
    "ProsecutorOffice",
]
