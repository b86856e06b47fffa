"""The prosecutor: recommendations under a target, insistence, learning judges' norms, adjustment, protest.

The office (an ActorPool) owns the state: each prosecutor's beliefs about the norms of the district's judges
(log scale) and the running application rate the target is measured on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors.judge import Judge
from sim.model.actors.pool import ActorPool, PoolAgent

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
        """New judges: the prosecutors of their districts start afresh on them (uninformed beliefs)."""
        if not len(judges):
            return
        for j in judges.tolist():
            dist, jl = divmod(j, judges_per_district)
            prs = np.arange(dist * self.per_district, (dist + 1) * self.per_district)
            fresh = draws.normal("prosecutor.fresh_belief", prs)[:, jl]
            self.norm_belief[prs, jl] = self.belief_sd[prs] * fresh

    def turnover(self, per_year: float, draws: ActorDraws) -> None:
        """Prosecutors leave and are replaced by newcomers with uninformed beliefs and the target's rate."""
        new = draws.uniform("prosecutor.leaves") < per_year / 365.0
        if new.any():
            sd = self.belief_sd[new][:, None]
            self.norm_belief[new] = sd * draws.normal("prosecutor.newcomer_belief", new)
            self.rate[new] = self.target


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
        if target <= 0:
            return np.zeros(len(prosecutors))
        return np.maximum(target - model.prosecutors.rate[prosecutors], 0.0) / target

    @classmethod
    def target_pressure(cls, model: LeniencyModel, p: Any) -> Any:
        """How hard the application target presses (``power.target_pressure``, per world in a batch): not at
        all where there is no target (``prosecutor.application_target = 0``, e.g. before the SPP's 70 % of
        August 2019)."""
        return p.power.target_pressure if model.params.prosecutor.application_target > 0 else 0.0

    @classmethod
    def estimate_trial(cls, model: LeniencyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The prosecutor's estimate of the trial sentence (the charge as brought, times the believed judge
        norm) and whether it consulted the court, which reveals the judge's own norm and view of the case."""
        d, p = model.docket, model.params
        believed = np.exp(model.prosecutors.norm_belief[d.prosecutor[rows], d.judge_local[rows]])
        consult = (
            streams.uniform(model, "prosecutor.consults", rows)
            < model.params_at(rows).prosecutor.consult_prob
        )
        # a consultation reveals how this court sees this case; it costs both sides time
        crow = rows[consult]
        _, hp, _ = model.prosecutors.book(d.prosecutor[crow], p.prosecutor.consult_hours)
        model.add_hours("prosecutor", law.Stage.REVIEW, crow, hp)
        _, hj, _ = model.judges.book(d.judge[crow], p.judge.consult_hours)
        model.add_hours("judge", law.Stage.REVIEW, crow, hj)
        norm = np.where(consult, model.judges.norm[d.judge[rows]] * np.exp(d.view_noise[rows]), believed)
        # v2: the charge threat frames the defendant; it is not part of the recommendation
        return d.base[rows] * norm, consult

    @classmethod
    def offer(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Art. 176: a recommendation with a discount within the caps; under target pressure a larger
        discount."""
        d, p = model.docket, model.params_at(rows)
        pp = p.prosecutor
        cap = law.discount_cap(d.mitigation[rows], p.law.plea_discount_cap, p.law.combined_discount_cap)
        lawful = pp.base_discount + pp.mitigation_discount * d.mitigation[rows]
        d.legal_discount[rows] = law.capped_discount(lawful, cap)
        # the target channel: under the application-rate target a larger discount to secure the plea, deeper
        # the further the prosecutor is short of the target (a bent recommendation the court may see)
        boost = (
            pp.target_discount_boost
            * cls.target_pressure(model, p)
            * (1.0 + cls.shortfall(model, d.prosecutor[rows]))
        )
        d.discount[rows] = law.capped_discount(lawful + boost, cap)
        d.target_boost[rows] = d.discount[rows] - d.legal_discount[rows]
        est, consult = cls.estimate_trial(model, rows)
        centre = est * (1.0 - d.discount[rows])
        det = streams.uniform(model, "prosecutor.determinate", rows) < pp.determinate_share
        d.determinate[rows] = det
        d.rec[rows] = centre
        d.offer[rows] = centre
        hw = np.where(det, 0.0, pp.range_half_width)
        d.rec_lo[rows] = centre * (1 - hw)
        d.rec_hi[rows] = centre * (1 + hw)
        d.rec_suspended[rows] = law.suspension_eligible(centre) & cls.expects_suspension(model, rows, consult)

    @classmethod
    def expects_suspension(cls, model: LeniencyModel, rows: np.ndarray, consult: np.ndarray) -> np.ndarray:
        """Art. 176: the recommendation states whether the sentence should be suspended. The prosecutor
        judges the offender's suitability with its own error; a consultation tells it the court's view."""
        d, p = model.docket, model.params_at(rows)
        sd = p.prosecutor.suspension_view_sd
        own = d.suitability[rows] + sd * streams.normal(model, "prosecutor.suspension_view", rows)
        mine = own < law.suspension_threshold(p.case.suspension_share, sd)
        return np.where(consult, Judge.suspends(model, rows), mine)

    @classmethod
    def finds_involuntary(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The review-stage plea hearing (recorded since 2022 under the safeguards reform) may uncover
        coercion; a defendant with real help speaks up more readily (assumption on the form)."""
        d, p = model.docket, model.params
        # a record shows what happened in the session
        seen = 1.0 + p.judge.recording_visibility * d.recorded[rows]
        depth = np.clip(
            p.prosecutor.voluntariness_check_depth * (0.5 + 0.5 * d.substantive[rows]) * seen, 0, 1
        )
        u = streams.uniform(model, "prosecutor.finds_involuntary", rows)
        return np.where(d.involuntary[rows], u < depth, u < p.judge.false_finding_rate * depth)

    @classmethod
    def will_negotiate(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """After a refusal the prosecutor bargains only with a defence that has substance to bargain with."""
        return model.docket.substantive[rows] > model.params.prosecutor.negotiation_min_substance

    @classmethod
    def declines(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Non-prosecution at the end of review: minor pleaded cases (relative non-prosecution, Art. 177) and
        weak cases against the innocent (evidentiary non-prosecution; assumption on the rate)."""
        d, c = model.docket, model.params.case
        minor = d.signed[rows] & (d.rec[rows] <= law.MINOR_CASE_MONTHS)
        minor &= streams.uniform(model, "prosecutor.minor_drop", rows) < c.minor_nonprosecution_share
        weak_u = streams.uniform(model, "prosecutor.weak_drop", rows)
        weak = d.innocent[rows] & (weak_u < c.weak_case_drop * (1 - d.evidence[rows]))
        return minor | weak

    @classmethod
    def releases_on_plea(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Arrest as leverage (以捕促认): a detained defendant who pleads may be released (assumption)."""
        d, p = model.docket, model.params_at(rows)
        chance = p.prosecutor.release_on_plea * p.power.detention_leverage
        return (
            d.signed[rows] & d.detained[rows] & (streams.uniform(model, "prosecutor.releases", rows) < chance)
        )

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
        alpha = model.params.prosecutor.rate_smoothing
        np.multiply.at(model.prosecutors.rate, prosecutors, 1 - alpha)
        np.add.at(model.prosecutors.rate, prosecutors, alpha * pleaded)

    @classmethod
    def learn(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Learn each judge's norm from judgments (faster with prosecutor-judge communication)."""
        d = model.docket
        pr, jl = d.prosecutor[rows], d.judge_local[rows]
        noise = model.params.prosecutor.observation_noise * streams.normal(model, "prosecutor.observes", rows)
        observed = np.log(model.judges.norm[d.judge[rows]]) + noise
        eta = model.params.prosecutor.learning_rate
        np.add.at(
            model.prosecutors.norm_belief, (pr, jl), eta * (observed - model.prosecutors.norm_belief[pr, jl])
        )

    @classmethod
    def adjusts(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Art. 201: asked to adjust an obviously improper recommendation, does the prosecutor do so?"""
        return streams.uniform(model, "prosecutor.adjusts", rows) < model.params.prosecutor.adjust_propensity

    @classmethod
    def protests(cls, model: LeniencyModel, rows: np.ndarray, motive: np.ndarray) -> np.ndarray:
        """Art. 228: protest where the file gives the procuratorate a motive (``protest_motives``): a punitive
        protest of a groundless appeal against a kept agreement, or a supervisory protest."""
        pp, u = model.params_at(rows).prosecutor, streams.uniform(model, "prosecutor.protests", rows)
        chance = np.where(motive == MOTIVE_PUNITIVE, pp.punitive_protest_prob, pp.supervisory_protest_prob)
        return (motive != MOTIVE_NONE) & (u < chance)

    @classmethod
    def protest_motives(
        cls, model: LeniencyModel, rows: np.ndarray, appeal: np.ndarray, stated_ground: np.ndarray
    ) -> np.ndarray:
        """What on file moves a procuratorate to protest (Art. 228; SPP practice, docs/domain.md §1), first
        that applies:

        - ``MOTIVE_PUNITIVE``: the defendant appeals a judgment that kept the plea agreement (adopted, no
          promise broken) and names no ground: the plea's basis is gone (the Guangzhou example).
        - ``MOTIVE_NOT_ADOPTED``: the court did not adopt the recommendation and sentenced below it.
        - ``MOTIVE_OFF_LAWFUL``: no recommendation of its own was adopted and the sentence is off the lawful
          one by more than the tolerance (either way).

        A judgment that adopted the procuratorate's own recommendation gives no supervisory motive."""
        d, tol = model.docket, model.params.judge.tolerance
        plea = d.leniency_judged[rows]
        own = plea & d.adopted[rows]
        kept = own & ~d.promise_unfulfilled[rows]
        sentence = d.sentence[rows]
        below = plea & ~d.adopted[rows] & (sentence < d.rec_lo[rows] * (1 - law.SAME_SENTENCE_RTOL))
        off = ~own & law.off_lawful(sentence, d.lawful[rows], tol)
        return np.select(
            [appeal & kept & ~stated_ground, below, off],
            [MOTIVE_PUNITIVE, MOTIVE_NOT_ADOPTED, MOTIVE_OFF_LAWFUL],
            MOTIVE_NONE,
        ).astype(np.int8)


# A procuratorate's motive to protest, on file (docket ``protest_motive``).
MOTIVE_NONE, MOTIVE_PUNITIVE, MOTIVE_NOT_ADOPTED, MOTIVE_OFF_LAWFUL = 0, 1, 2, 3
