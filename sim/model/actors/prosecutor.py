"""The prosecutor: recommendations under a target, insistence, learning judges' norms, adjustment, protest.

The office (an ActorPool) owns the state: each prosecutor's beliefs about the norms of the district's judges
(log scale) and the running application rate the target is measured on. Each decision over cases is a
compiled kernel (``sim.model.kernel``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model.actors.judge import Judge, normal52, suspends_at, suspension_line, uniform52, view_factor
from sim.model.actors.pool import ActorPool, PoolAgent
from sim.model.kernel import jit, normal32, uniform32
from sim.model.streams import CASE_COLUMN

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
        _turnover(
            draws.words("prosecutor.leaves"),
            per_year / 365.0,
            draws.words("prosecutor.newcomer_belief"),
            self.belief_sd,
            self.norm_belief,
            self.rate,
            self.target,
        )


@jit
def _turnover(
    leaves: Any, line: float, newcomer: Any, belief_sd: Any, belief: Any, rate: Any, target: float
) -> None:
    for i in range(leaves.shape[0]):
        if uniform52(leaves[i]) < line:
            for j in range(belief.shape[1]):
                belief[i, j] = belief_sd[i] * normal52(newcomer[i, j])
            rate[i] = target


# A procuratorate's motive to protest, on file (docket ``protest_motive``).
MOTIVE_NONE, MOTIVE_PUNITIVE, MOTIVE_NOT_ADOPTED, MOTIVE_OFF_LAWFUL = 0, 1, 2, 3

_COL_CONSULTS = CASE_COLUMN["prosecutor.consults"]
_COL_DETERMINATE = CASE_COLUMN["prosecutor.determinate"]
_COL_SUSPENSION = CASE_COLUMN["prosecutor.suspension_view"]
_COL_FINDS = CASE_COLUMN["prosecutor.finds_involuntary"]
_COL_MINOR = CASE_COLUMN["prosecutor.minor_drop"]
_COL_WEAK = CASE_COLUMN["prosecutor.weak_drop"]
_COL_RELEASES = CASE_COLUMN["prosecutor.releases"]
_COL_OBSERVES = CASE_COLUMN["prosecutor.observes"]
_COL_ADJUSTS = CASE_COLUMN["prosecutor.adjusts"]
_COL_PROTESTS = CASE_COLUMN["prosecutor.protests"]
_COL_JUDGE_SUSPENSION = CASE_COLUMN["judge.suspension_view"]
_SUSPENSION_MAX, _MINOR = law.SUSPENSION_MAX_MONTHS, law.MINOR_CASE_MONTHS
_BELOW_REC = 1 - law.SAME_SENTENCE_RTOL


@jit
def shortfall_at(rate: float, target: float) -> float:
    """Relative shortfall of a running application rate below the target (none without a target)."""
    if target <= 0:
        return 0.0
    short = target - rate
    return (short if short > 0.0 else 0.0) / target


@jit
def _shortfall(prosecutors: Any, rate: Any, target: float) -> Any:
    out = np.empty(prosecutors.shape[0])
    for i in range(prosecutors.shape[0]):
        out[i] = shortfall_at(rate[prosecutors[i]], target)
    return out


@jit
def _offer(
    rows: Any,
    district: Any,
    dpw: int,
    prosecutor: Any,
    judge: Any,
    judge_local: Any,
    mitigation: Any,
    base: Any,
    view_noise: Any,
    suitability: Any,
    draws: Any,
    legal_discount: Any,
    discount: Any,
    target_boost: Any,
    determinate: Any,
    rec: Any,
    offer: Any,
    rec_lo: Any,
    rec_hi: Any,
    rec_suspended: Any,
    belief: Any,
    rate: Any,
    norm: Any,
    plea_cap: float,
    combined_cap: float,
    base_discount: float,
    mitigation_discount: float,
    boost_w: Any,
    pressure_w: Any,
    target: float,
    consult_w: Any,
    determinate_w: Any,
    half_width: float,
    own_sd: float,
    own_line: float,
    court_sd: float,
    court_line: float,
) -> Any:
    """Art. 176 in one pass per case: the discount (the target's boost within the cap), the estimate of the
    trial sentence (the believed norm, or the court's own view where it consults), the recommendation and
    whether it suspends. Returns which cases consulted (they book time)."""
    consulted = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        pr = prosecutor[r]
        cap = combined_cap if mitigation[r] else plea_cap
        lawful = base_discount + mitigation_discount * (1.0 if mitigation[r] else 0.0)
        legal_discount[r] = lawful if lawful <= cap else cap
        pressure = pressure_w[w] if target > 0 else 0.0
        boosted = lawful + boost_w[w] * pressure * (1.0 + shortfall_at(rate[pr], target))
        discount[r] = boosted if boosted <= cap else cap
        target_boost[r] = discount[r] - legal_discount[r]  # float32, as the columns
        consult = uniform32(draws[_COL_CONSULTS, r]) < consult_w[w]
        consulted[i] = consult
        if consult:  # the court's norm and its view of this case
            est = base[r] * (norm[judge[r]] * view_factor(view_noise[r]))
        else:
            est = base[r] * math.exp(belief[pr, judge_local[r]])
        centre = est * np.float64(np.float32(1.0) - discount[r])
        det = uniform32(draws[_COL_DETERMINATE, r]) < determinate_w[w]
        determinate[r] = det
        rec[r] = centre
        offer[r] = centre
        hw = 0.0 if det else half_width
        rec_lo[r] = centre * (1 - hw)
        rec_hi[r] = centre * (1 + hw)
        if consult:  # a consultation tells it the court's view of suspension
            suspend = suspends_at(suitability[r], draws[_COL_JUDGE_SUSPENSION, r], court_sd, court_line)
        else:
            suspend = suspends_at(suitability[r], draws[_COL_SUSPENSION, r], own_sd, own_line)
        rec_suspended[r] = centre <= _SUSPENSION_MAX and suspend
    return consulted


@jit
def _negotiate(
    rows: Any,
    mitigation: Any,
    substantive: Any,
    discount: Any,
    rec: Any,
    rec_lo: Any,
    rec_hi: Any,
    plea_cap: float,
    combined_cap: float,
    step: float,
) -> None:
    for i in range(rows.shape[0]):
        r = rows[i]
        cap = combined_cap if mitigation[r] else plea_cap
        old = discount[r]
        wanted = np.float64(old + np.float32(step) * substantive[r])
        new = wanted if wanted <= cap else cap
        left = np.float32(1.0) - old
        floor = np.float32(1e-9)
        scale = (1.0 - new) / np.float64(left if left >= floor else floor)
        discount[r] = new
        rec[r] = rec[r] * scale
        rec_lo[r] = rec_lo[r] * scale
        rec_hi[r] = rec_hi[r] * scale


@jit
def _will_negotiate(rows: Any, substantive: Any, least: float) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        out[i] = substantive[rows[i]] > np.float32(least)  # float32, as numpy compares the column
    return out


@jit
def _record_outcome(prosecutors: Any, pleaded: Any, rate: Any, alpha: float) -> None:
    """All decays, then all increments, in order (as ``np.multiply.at`` then ``np.add.at``)."""
    for i in range(prosecutors.shape[0]):
        rate[prosecutors[i]] *= 1 - alpha
    for i in range(prosecutors.shape[0]):
        rate[prosecutors[i]] += alpha * pleaded[i]


@jit
def _finds_involuntary(
    rows: Any,
    recorded: Any,
    substantive: Any,
    involuntary: Any,
    draws: Any,
    visibility: float,
    check_depth: float,
    false_rate: float,
) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        seen = 1.0 + visibility * (1.0 if recorded[r] else 0.0)
        help32 = np.float32(check_depth) * (np.float32(0.5) + np.float32(0.5) * substantive[r])
        depth = min(max(np.float64(help32) * seen, 0.0), 1.0)
        u = uniform32(draws[_COL_FINDS, r])
        out[i] = u < depth if involuntary[r] else u < false_rate * depth
    return out


@jit
def _declines(
    rows: Any,
    signed: Any,
    rec: Any,
    innocent: Any,
    evidence: Any,
    draws: Any,
    minor_share: float,
    weak_drop: float,
) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        minor = signed[r] and rec[r] <= _MINOR and uniform32(draws[_COL_MINOR, r]) < minor_share
        weak_line = np.float32(weak_drop) * (np.float32(1.0) - evidence[r])
        weak = innocent[r] and uniform32(draws[_COL_WEAK, r]) < weak_line
        out[i] = minor or weak
    return out


@jit
def _releases_on_plea(
    rows: Any,
    district: Any,
    dpw: int,
    signed: Any,
    detained: Any,
    draws: Any,
    release: float,
    leverage_w: Any,
) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        chance = release * leverage_w[district[r] // dpw]
        out[i] = signed[r] and detained[r] and uniform32(draws[_COL_RELEASES, r]) < chance
    return out


@jit
def _learn(
    rows: Any,
    prosecutor: Any,
    judge: Any,
    judge_local: Any,
    draws: Any,
    log_norm: Any,
    belief: Any,
    noise_sd: float,
    eta: float,
) -> None:
    """Every step from the beliefs before any of today's lessons, then added in order (as ``np.add.at``)."""
    n = rows.shape[0]
    step = np.empty(n)
    for i in range(n):
        r = rows[i]
        observed = log_norm[judge[r]] + noise_sd * normal32(draws[_COL_OBSERVES, r])
        step[i] = eta * (observed - belief[prosecutor[r], judge_local[r]])
    for i in range(n):
        r = rows[i]
        belief[prosecutor[r], judge_local[r]] += step[i]


@jit
def _adjusts(rows: Any, draws: Any, propensity: float) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        out[i] = uniform32(draws[_COL_ADJUSTS, rows[i]]) < propensity
    return out


@jit
def _protests(
    rows: Any, district: Any, dpw: int, draws: Any, motive: Any, punitive_w: Any, supervisory_w: Any
) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        chance = punitive_w[w] if motive[i] == MOTIVE_PUNITIVE else supervisory_w[w]
        out[i] = motive[i] != MOTIVE_NONE and uniform32(draws[_COL_PROTESTS, r]) < chance
    return out


@jit
def _protest_motives(
    rows: Any,
    leniency_judged: Any,
    adopted: Any,
    promise_unfulfilled: Any,
    sentence: Any,
    rec_lo: Any,
    lawful: Any,
    appeal: Any,
    stated_ground: Any,
    tolerance: float,
) -> Any:
    out = np.empty(rows.shape[0], dtype=np.int8)
    for i in range(rows.shape[0]):
        r = rows[i]
        plea = leniency_judged[r]
        own = plea and adopted[r]
        kept = own and not promise_unfulfilled[r]
        if appeal[i] and kept and not stated_ground[i]:
            out[i] = MOTIVE_PUNITIVE
        elif plea and not adopted[r] and sentence[r] < rec_lo[r] * _BELOW_REC:
            out[i] = MOTIVE_NOT_ADOPTED
        elif not own and abs(sentence[r] / lawful[r] - 1.0) > tolerance:  # law.off_lawful
            out[i] = MOTIVE_OFF_LAWFUL
        else:
            out[i] = MOTIVE_NONE
    return out


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
        return _shortfall(prosecutors, model.prosecutors.rate, target)

    @classmethod
    def target_pressure(cls, model: LeniencyModel, p: Any) -> Any:
        """How hard the application target presses (``power.target_pressure``, per world in a batch): not at
        all where there is no target (``prosecutor.application_target = 0``, e.g. before the SPP's 70 % of
        August 2019)."""
        return p.power.target_pressure if model.params.prosecutor.application_target > 0 else 0.0

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
        consult = _offer(
            rows,
            d.district,
            m.districts_per_world,
            d.prosecutor,
            d.judge,
            d.judge_local,
            d.mitigation,
            d.base,
            d.view_noise,
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
    def finds_involuntary(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The review-stage plea hearing (recorded since 2022 under the safeguards reform) may uncover
        coercion; a defendant with real help speaks up more readily (assumption on the form). A record shows
        what happened in the session."""
        d, p = model.docket, model.params
        return _finds_involuntary(
            rows,
            d.recorded,
            d.substantive,
            d.involuntary,
            d.draws,
            p.judge.recording_visibility,
            p.prosecutor.voluntariness_check_depth,
            p.judge.false_finding_rate,
        )

    @classmethod
    def will_negotiate(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """After a refusal the prosecutor bargains only with a defence that has substance to bargain with."""
        return _will_negotiate(
            rows, model.docket.substantive, model.params.prosecutor.negotiation_min_substance
        )

    @classmethod
    def declines(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Non-prosecution at the end of review: minor pleaded cases (relative non-prosecution, Art. 177) and
        weak cases against the innocent (evidentiary non-prosecution; assumption on the rate)."""
        d, c = model.docket, model.params.case
        return _declines(
            rows,
            d.signed,
            d.rec,
            d.innocent,
            d.evidence,
            d.draws,
            c.minor_nonprosecution_share,
            c.weak_case_drop,
        )

    @classmethod
    def releases_on_plea(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Arrest as leverage (以捕促认): a detained defendant who pleads may be released (assumption)."""
        d, m = model.docket, model
        return _releases_on_plea(
            rows,
            d.district,
            m.districts_per_world,
            d.signed,
            d.detained,
            d.draws,
            m.params.prosecutor.release_on_plea,
            m.per_world("power.detention_leverage"),
        )

    @classmethod
    def negotiate(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """After a refusal, a substantive defence wins an extra discount (within the caps); the
        recommendation scales with it."""
        d, p = model.docket, model.params
        _negotiate(
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
    def record_outcome(cls, model: LeniencyModel, prosecutors: np.ndarray, pleaded: np.ndarray) -> None:
        """Running application rate per prosecutor (what the target is measured on)."""
        pleaded = np.asarray(pleaded, dtype=np.float64)
        _record_outcome(prosecutors, pleaded, model.prosecutors.rate, model.params.prosecutor.rate_smoothing)

    @classmethod
    def learn(cls, model: LeniencyModel, rows: np.ndarray) -> None:
        """Learn each judge's norm from judgments (faster with prosecutor-judge communication)."""
        d, pp = model.docket, model.params.prosecutor
        _learn(
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
    def adjusts(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Art. 201: asked to adjust an obviously improper recommendation, does the prosecutor do so?"""
        return _adjusts(rows, model.docket.draws, model.params.prosecutor.adjust_propensity)

    @classmethod
    def protests(cls, model: LeniencyModel, rows: np.ndarray, motive: np.ndarray) -> np.ndarray:
        """Art. 228: protest where the file gives the procuratorate a motive (``protest_motives``): a punitive
        protest of a groundless appeal against a kept agreement, or a supervisory protest."""
        m = model
        return _protests(
            rows,
            m.docket.district,
            m.districts_per_world,
            m.docket.draws,
            motive,
            m.per_world("prosecutor.punitive_protest_prob"),
            m.per_world("prosecutor.supervisory_protest_prob"),
        )

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
        d = model.docket
        return _protest_motives(
            rows,
            d.leniency_judged,
            d.adopted,
            d.promise_unfulfilled,
            d.sentence,
            d.rec_lo,
            d.lawful,
            appeal,
            stated_ground,
            model.params.judge.tolerance,
        )
