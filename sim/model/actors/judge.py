"""The judge: procedure, voluntariness review, the court's view of the sentence, no-crime findings.

The bench (an ActorPool) owns each judge's personal sentencing norm, which drifts and turns over.

Each decision is a compiled kernel over docket rows (``sim.model.kernel``); the per-case pieces other kernels
need (the court's view of the facts, the contested discount, the suspension view) are compiled scalar
functions, so a stage's kernel can call them case by case."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors.pool import ActorPool, PoolAgent
from sim.model.kernel import helper, jit, normal32, normal52, uniform32, uniform52
from sim.model.streams import CASE_COLUMN

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel
    from sim.model.scenario import Scenario
    from sim.model.streams import ActorDraws

_FAST_TRACK, _SUMMARY, _ORDINARY = (
    int(p) for p in (law.Procedure.FAST_TRACK, law.Procedure.SUMMARY, law.Procedure.ORDINARY)
)
_COL_FAST = CASE_COLUMN["judge.fast_track"]
_COL_INVOLUNTARY = CASE_COLUMN["judge.finds_involuntary"]
_COL_NO_CRIME = CASE_COLUMN["judge.finds_no_crime"]
_TRIALS_REVIEWED = streams.SLOT["judge.finds_involuntary"].uses  # a word per trial of a case


class Bench(ActorPool):
    """The judges of all districts: workload and each judge's personal sentencing norm (a multiplier) and its
    log, kept beside it (both numpy's, once a day) so the kernels that read it take no logarithm."""

    def __init__(self, scenario: Scenario, setup: ActorDraws) -> None:
        p, w = scenario, scenario.workload
        super().__init__(
            p.run.districts * p.judge.per_district, p.judge.hours_per_day, w.corner_cutting, w.horizon_days
        )
        self.per_district = p.judge.per_district
        self.norm = np.exp(p.judge.norm_sd * setup.normal("judge.first_norm"))
        self.log_norm = np.log(self.norm)

    def drift(self, scenario: Scenario, draws: ActorDraws) -> np.ndarray:
        """One day of mean-reverting drift of the norms, and turnover; returns the judges who are new
        today."""
        jp = scenario.judge
        a = np.exp(-1.0 / jp.norm_persistence_days)
        x, new = _drift(
            self.log_norm,
            float(a),
            float(np.sqrt(1 - a * a) * jp.norm_sd),
            draws.words("judge.drift"),
            draws.words("judge.leaves"),
            jp.turnover_per_year / 365.0,
            jp.norm_sd,
            draws.words("judge.newcomer_norm"),
        )
        # exp and log of the whole bench stay numpy's: a norm is state that lives for years
        self.norm = np.exp(x)
        self.log_norm = np.log(self.norm)
        return new


@jit
def _drift(
    x: Any, a: float, c: float, drift: Any, leaves: Any, line: float, sd: float, newcomer: Any
) -> tuple[Any, Any]:
    """The log norms after a day's drift, newcomers' drawn afresh; and who is new."""
    out = np.empty_like(x)
    n_new = 0
    for j in range(x.shape[0]):
        if uniform52(leaves[j]) < line:
            out[j] = sd * normal52(newcomer[j])
            n_new += 1
        else:
            out[j] = a * x[j] + c * normal52(drift[j])
    new = np.empty(n_new, dtype=np.int64)
    k = 0
    for j in range(x.shape[0]):
        if uniform52(leaves[j]) < line:
            new[k] = j
            k += 1
    return out, new


@lru_cache(maxsize=64)
def suspension_line(share: float, view_sd: float) -> float:
    """``law.suspension_threshold`` of scalar parameters, computed once per value."""
    return float(law.suspension_threshold(share, view_sd))


# --- per case, callable from any kernel


@helper
def view_factor(factor: Any) -> float:
    """What only the trial shows, as a multiplier of the file's sentence: the docket's ``view_factor`` (exp of
    the court's case-specific view, float32), widened."""
    return np.float64(factor)


@helper
def contested_discount_at(mitigation: Any, mitigation_discount: float, combined_cap: float) -> float:
    """The discount a contested trial gives: mitigation only, within the combined cap."""
    d = mitigation_discount * (1.0 if mitigation else 0.0)
    return d if d <= combined_cap else combined_cap


@helper
def suspends_at(suitability: Any, word: Any, view_sd: float, threshold: float) -> bool:
    """Criminal Law Art. 72: the court finds the offender suitable for suspension."""
    return bool(suitability + view_sd * normal32(word) < threshold)  # float32 + float64: float64


@helper
def case_months_at(base: Any, factor: Any) -> float:
    """The sentence the facts as tried call for at the average norm: the file's figure times what only the
    trial shows (case-specific; the prosecutor sees it only by consulting the court)."""
    return base * view_factor(factor)


@helper
def view_at(base: Any, factor: Any, norm: float, discount: Any) -> float:
    """The sentence this judge (personal ``norm``) thinks right: the facts as tried, less ``discount``
    (float32 or float64: ``1 - discount`` keeps its dtype, as numpy's would)."""
    return base * view_factor(factor) * norm * np.float64(np.float32(1.0) - discount)


@helper
def expected_at(base: Any, mitigation: Any, md: float, cap: float) -> float:
    """What the file and the sentencing guideline say a contested trial gives this defendant: the charge's
    sentence at the average norm less the mitigation discount. What a defendant's own estimate and a lawyer's
    advice centre on; neither knows this judge's norm nor what only the trial shows."""
    return base * (1.0 - contested_discount_at(mitigation, md, cap))


@helper
def contested_at(base: Any, factor: Any, norm: float, mitigation: Any, md: float, cap: float) -> float:
    """The sentence this court (``norm``) gives after a contested trial."""
    keep = 1.0 - contested_discount_at(mitigation, md, cap)
    return base * view_factor(factor) * norm * keep


@jit
def _contested(
    rows: Any, base: Any, view_factor_col: Any, judge: Any, norm: Any, mitigation: Any, md: float, cap: float
) -> Any:
    """The contested sentence this court gives each case (``contested_at``)."""
    out = np.empty(rows.shape[0])
    for i in range(rows.shape[0]):
        r = rows[i]
        out[i] = contested_at(base[r], view_factor_col[r], norm[judge[r]], mitigation[r], md, cap)
    return out


@helper
def procedure_at(draws: Any, r: int, signed: Any, rec: Any, uptake: float) -> int:
    """Procedure of first instance for the case in docket row ``r``: fast-track for an eligible plea case
    the court takes up (Art. 222, the world's ``uptake``), summary for other plea cases, ordinary for
    contested ones (assumption: contested cases go ordinary)."""
    if not signed:
        return _ORDINARY
    if law.fast_track_eligible(rec) and uniform32(draws[r, _COL_FAST]) < uptake:
        return _FAST_TRACK
    return _SUMMARY


@jit
def _finds_involuntary(
    rows: Any,
    district: Any,
    dpw: int,
    procedure: Any,
    triaged: Any,
    recorded: Any,
    involuntary: Any,
    trials: Any,
    draws: Any,
    time_factor: Any,
    depth2: float,
    review_w: Any,
    fast: float,
    summary: float,
    visibility: float,
    false_rate: float,
) -> Any:
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        pf = 1.0
        if not triaged[r]:  # triage: a substantive review
            if procedure[r] == _FAST_TRACK:
                pf = fast
            elif procedure[r] == _SUMMARY:
                pf = summary
        seen = 1.0 + visibility * (1.0 if recorded[r] else 0.0)
        q = depth2 * review_w[district[r] // dpw] * pf * np.float64(time_factor[i]) * seen
        q = min(max(q, 0.0), 1.0)
        if trials[r] > _TRIALS_REVIEWED:  # Slot.uses: a case may not reuse a word
            raise RuntimeError("judge.finds_involuntary: a case made this decision too often")
        u = uniform32(draws[r, _COL_INVOLUNTARY + trials[r] - 1])
        out[i] = u < q if involuntary[r] else u < false_rate
    return out


@helper
def finds_no_crime_at(
    draws: Any, r: int, innocent: Any, evidence: Any, detection2: float, review_w: float
) -> bool:
    """Art. 201(1): in the pleaded case of an innocent (docket row ``r``), the court may still find no crime
    (float32 where numpy's was, the evidence column, as a single world computes it)."""
    if not innocent:
        return False
    x = np.float32(detection2) * (np.float32(1.0) - evidence) * np.float32(2.0)
    q = min(max(float(x * np.float32(review_w)), 0.0), 1.0)
    return uniform32(draws[r, _COL_NO_CRIME]) < q


class Judge(PoolAgent):
    """Reviews voluntariness, applies Art. 201, sentences, reasons, decides second instance."""

    pool_name = "judges"

    @property
    def sentencing_norm(self) -> float:
        return float(self.model.judges.norm[self.idx])

    @classmethod
    def contested_terms(cls, model: LeniencyModel) -> tuple[float, float]:
        """What a contested trial's discount reads (``contested_discount_at``): the mitigation discount and
        the combined cap."""
        p = model.params
        return p.prosecutor.mitigation_discount, p.law.combined_discount_cap

    @classmethod
    def contested_sentence(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """What this court would give these defendants after a contested trial today: the benchmark a
        knowing plea is judged against, and the sentence a contested trial gives."""
        d, p = model.docket, model.params
        md, cap = p.prosecutor.mitigation_discount, p.law.combined_discount_cap
        return _contested(rows, d.base, d.view_factor, d.judge, model.judges.norm, d.mitigation, md, cap)

    @classmethod
    def suspension_line(cls, model: LeniencyModel) -> tuple[float, float]:
        """The court's suspension view error and the line its view must fall below (Art. 72)."""
        p = model.params
        sd = p.judge.suspension_view_sd
        return sd, suspension_line(p.case.suspension_share, sd)

    @classmethod
    def finds_involuntary(cls, model: LeniencyModel, rows: np.ndarray, time_factor: np.ndarray) -> np.ndarray:
        """Art. 190: review of voluntariness; detection rises with review depth and time, falls with
        workload (each trial of a case its own draw)."""
        d, m, jp = model.docket, model, model.params.judge
        return _finds_involuntary(
            rows,
            d.district,
            m.districts_per_world,
            d.procedure,
            d.triaged,
            d.recorded,
            d.involuntary,
            d.trials,
            d.draws,
            time_factor,
            jp.review_depth * 2,
            m.per_world("power.judicial_review_depth"),
            jp.review_factor_fast,
            jp.review_factor_summary,
            jp.recording_visibility,
            jp.false_finding_rate,
        )

    @classmethod
    def no_crime_terms(cls, model: LeniencyModel) -> tuple[float, np.ndarray]:
        """What a no-crime finding reads (``finds_no_crime_at``): the detection of innocence (doubled) and
        the review depth per world."""
        return model.params.judge.innocence_detection * 2, model.per_world("power.judicial_review_depth")


__all__ = [
    "Bench",
    "Judge",
    "case_months_at",
    "contested_at",
    "contested_discount_at",
    "expected_at",
    "finds_no_crime_at",
    "procedure_at",
    "suspension_line",
    "suspends_at",
    "view_at",
    "view_factor",
]
