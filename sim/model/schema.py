"""The scenario schema: every parameter with its unit, range, default and meaning — here and nowhere else.

Anything wrong raises :class:`ScenarioError` naming the source, the key path and what is allowed. How scenario
files, reforms and scales are read and merged is in ``sim.model.scenario``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from sim.model import procedure

# The six reforms of the source study (docs/domain.md §4), in a fixed order used by sweeps and reports.
REFORMS: tuple[str, ...] = (
    "voluntariness_safeguards",
    "substantive_duty_lawyers",
    "power_rebalancing",
    "prosecutor_judge_coordination",
    "judgment_reasoning",
    "appeal_countermeasures",
)
SCALES: tuple[str, ...] = ("classroom", "district", "national")
POWER_PRESETS: tuple[str, ...] = ("power_low", "power_high")


def P(default: Any, lo: float | None, hi: float | None, unit: str, description: str) -> Any:
    """A documented parameter: default, inclusive range, unit and a one-line description."""
    return Field(default, ge=lo, le=hi, description=description, json_schema_extra={"unit": unit})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    @field_validator("*", mode="before")
    @classmethod
    def _a_real_number(cls, value: Any, info: ValidationInfo) -> Any:
        """true/false is not a number (pydantic would read it as 1/0), and NaN or infinity is no parameter
        value."""
        annotation = cls.model_fields[info.field_name].annotation if info.field_name else None
        if annotation in (int, float):
            if isinstance(value, bool):
                raise ValueError("a number is needed, not true/false")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("not a finite number")
        return value


class RunParams(_Section):
    days: int = P(
        545, 1, 7300, "days", "days on which new cases arrive, warm-up included (one model step is one day)"
    )
    warmup_days: int = P(
        180,
        0,
        3650,
        "days",
        "warm-up: cases arriving before this day are simulated but not counted in any summary figure (the "
        "world settles: learning, turnover, backlogs)",
    )
    drain_days: int = P(
        240, 0, 1000, "days", "days simulated after arrivals stop, so cases in flight can finish"
    )
    cases_per_day: float = P(
        15.0, 0.1, 20000.0, "cases/day", "mean arrivals of new criminal cases per day (Poisson)"
    )
    districts: int = P(
        1, 1, 5000, "districts", "court districts; each has its own prosecutors, duty lawyers and judges"
    )


class CaseParams(_Section):
    sentence_median_months: float = P(
        15.0,
        1.0,
        240.0,
        "months",
        "median of the sentence a court would give after a contested trial (lognormal)",
    )
    sentence_sigma: float = P(1.0, 0.1, 2.5, "log-months", "log-scale dispersion of that sentence")
    innocent_share: float = P(0.01, 0.0, 0.2, "share", "share of accused persons who are factually innocent")
    evidence_strength_mean: float = P(
        0.85, 0.05, 0.99, "0-1", "mean strength of the prosecution's evidence (beta-distributed)"
    )
    innocent_conviction_prob: float = P(
        0.55,
        0.0,
        1.0,
        "probability",
        "chance an innocent is convicted at a contested trial when evidence is at its mean (scaled by "
        "evidence)",
    )
    mitigation_share: float = P(
        0.35,
        0.0,
        1.0,
        "share",
        "share of cases with surrender, restitution or victim forgiveness (extra discount allowed)",
    )
    investigation_days_mean: float = P(
        30.0, 1.0, 365.0, "days", "mean duration of the investigation stage (exponential + 3 days)"
    )
    minor_nonprosecution_share: float = P(
        0.12,
        0.0,
        1.0,
        "probability",
        "chance a pleaded case with a likely sentence <= 6 months is not prosecuted (relative "
        "non-prosecution)",
    )
    suspension_share: float = P(
        0.35, 0.0, 1.0, "probability", "chance a sentence <= 3 years is suspended (no custody)"
    )
    evidence_concentration: float = P(
        12.0,
        1.0,
        200.0,
        "beta concentration",
        "how tightly evidence strength clusters around its mean; assumption",
    )
    innocent_evidence_factor: float = P(
        0.7,
        0.0,
        1.0,
        "share",
        "evidence strength against an innocent relative to a guilty suspect; assumption",
    )
    arrest_base: float = P(
        0.18, 0.0, 1.0, "probability", "chance of arrest with no leverage and a minor offence; assumption"
    )
    arrest_leverage_effect: float = P(
        0.4,
        0.0,
        1.0,
        "probability",
        "added chance of arrest under full detention leverage (以捕促认); assumption",
    )
    arrest_severity_effect: float = P(
        0.25,
        0.0,
        1.0,
        "probability",
        "added chance of arrest for offences likely to bring over 3 years; assumption",
    )
    weak_case_drop: float = P(
        0.5,
        0.0,
        1.0,
        "probability",
        "chance an innocent's case is dropped at review when the evidence is nil "
        "(times 1 - evidence; evidentiary non-prosecution); assumption",
    )


class DefendantParams(_Section):
    risk_aversion_mean: float = P(
        0.3,
        0.0,
        2.0,
        "exponent",
        "mean curvature of the disutility of prison time (0 = risk-neutral); disutility is months^(1+r)",
    )
    risk_aversion_sd: float = P(0.2, 0.0, 1.0, "exponent", "dispersion of that curvature across defendants")
    literacy_mean: float = P(
        0.4,
        0.0,
        1.0,
        "0-1",
        "mean legal literacy (beta); literate defendants discount the prosecutor's framing",
    )
    belief_noise: float = P(
        0.35,
        0.0,
        2.0,
        "log-months",
        "sd of the defendant's own error about the trial sentence before any advice",
    )
    belief_bias: float = P(0.0, -1.0, 1.0, "log-months", "mean of that error (negative = optimistic)")
    contest_share: float = P(
        0.3,
        0.0,
        1.0,
        "share",
        "share of defendants who deny the facts; denying them makes a plea costly (defendant.denial_cost), "
        "not impossible",
    )
    denial_cost: float = P(
        0.5,
        0.0,
        5.0,
        "log",
        "cost of pleading for a defendant who denies the facts (a plea admits them); assumption",
    )
    coercion_threshold: float = P(
        0.25,
        0.0,
        3.0,
        "log",
        "pressure above which a plea it decides is not free: involuntary (below it, lawful persuasion); "
        "assumption",
    )
    taste_sd: float = P(
        0.15,
        0.0,
        2.0,
        "log",
        "sd of an idiosyncratic taste for pleading, fixed per defendant (used in the counterfactual too)",
    )
    trial_cost_months: float = P(
        0.5, 0.0, 24.0, "months-equivalent", "non-coercive cost of going to trial (time, stress, fees)"
    )
    detention_pressure: float = P(
        0.6,
        0.0,
        3.0,
        "log",
        "weight of the threat of continued detention on a detained defendant's choice (times "
        "power.detention_leverage)",
    )
    learning_prob: float = P(
        0.25,
        0.0,
        1.0,
        "probability",
        "chance a defendant who signed on wrong beliefs learns the truth before trial (times literacy + "
        "lawyer help)",
    )
    misinformation_prob: float = P(
        0.04,
        0.0,
        1.0,
        "probability",
        "chance a defendant who signed voluntarily is later misinformed into withdrawing (times 1 - lawyer "
        "substantiveness)",
    )
    trial_withdrawal_scale: float = P(
        0.5,
        0.0,
        1.0,
        "multiplier",
        "chance of learning the truth or being misinformed between charge and trial, relative to the review "
        "stage; assumption",
    )
    withdrawal_propensity: float = P(
        0.6, 0.0, 1.0, "probability", "chance a defendant who sees reason to withdraw actually withdraws"
    )
    appeal_threshold: float = P(
        0.1,
        0.001,
        2.0,
        "share of the sentence",
        "mean of a defendant's threshold for appealing: the expected gain must exceed this share of the "
        "sentence (exponential across defendants; the hassle, cost and risk of appealing, relative to "
        "the stakes); assumption, fitted",
    )
    appeal_success_belief: float = P(
        0.35,
        0.0,
        1.0,
        "probability",
        "believed chance an appeal lowers the sentence, without reasons to the contrary; assumption",
    )
    appeal_success_lawful: float = P(
        0.05,
        0.0,
        1.0,
        "probability",
        "believed chance after a reasoned judgment shows the sentence is lawful; assumption",
    )
    reasons_persuasion: float = P(
        0.7,
        0.0,
        1.0,
        "share",
        "how much of the felt excess of a lawful sentence its reasons explain away; assumption",
    )
    unfairness_sd: float = P(
        0.1,
        0.0,
        2.0,
        "log",
        "sd of the defendant's sense of how unfair the sentence is, beyond what was promised; assumption",
    )
    defect_grievance: float = P(
        0.4,
        0.0,
        3.0,
        "log",
        "extra felt excess of an innocent or involuntary signer, or of a wrong sentence; assumption",
    )
    detention_house_value: float = P(
        0.6,
        0.0,
        5.0,
        "months-equivalent per month",
        "value of serving a remaining month in the detention house rather than prison (留所服刑): "
        "the pull of a "
        "technical appeal; assumption",
    )
    protest_prior: float = P(
        0.02,
        0.0,
        1.0,
        "probability",
        "believed chance of a punitive protest against a technical appeal, uninformed; assumption",
    )
    protest_awareness: float = P(
        0.3,
        0.0,
        1.0,
        "0-1",
        "how far defendants know the real chance of a punitive protest (education raises it)",
    )


class PowerParams(_Section):
    information_asymmetry: float = P(
        0.6,
        0.0,
        1.0,
        "0-1",
        "weight of the prosecutor's framing in the defendant's beliefs (times 1 - literacy)",
    )
    detention_leverage: float = P(
        0.5, 0.0, 1.0, "0-1", "use of detention as leverage: more arrests and a pressure to plead for release"
    )
    charge_leverage: float = P(
        0.4,
        0.0,
        1.0,
        "0-1",
        "how far the prosecutor overstates the trial outcome (threat of a heavier charge)",
    )
    target_pressure: float = P(
        0.5, 0.0, 1.0, "0-1", "pressure on prosecutors from the leniency application-rate target"
    )
    defence_capacity: float = P(
        0.4, 0.0, 1.0, "0-1", "resources of the defence: scales lawyer time, file access and private meetings"
    )
    judicial_review_depth: float = P(
        0.4, 0.0, 1.0, "0-1", "depth of the court's substantive review of voluntariness"
    )


class ProsecutorParams(_Section):
    per_district: int = P(12, 1, 500, "persons", "prosecutors per district")
    hours_per_day: float = P(7.0, 1.0, 16.0, "hours/day", "working hours a prosecutor has for cases each day")
    review_hours_fast: float = P(
        3.0, 0.1, 100.0, "hours", "hours to review a case whose likely sentence is <= 3 years"
    )
    review_hours_other: float = P(9.0, 0.1, 200.0, "hours", "hours to review any other case")
    review_days_fast: float = P(
        5.0,
        1.0,
        30.0,
        "days",
        "usual days of review for a case whose likely sentence is <= 3 years (before queueing)",
    )
    review_days_other: float = P(
        20.0, 1.0, 60.0, "days", "usual days of review for any other case (before queueing)"
    )
    negotiation_hours: float = P(1.0, 0.0, 20.0, "hours", "hours spent on the offer and the plea hearing")
    withdrawal_hours: float = P(
        5.0, 0.0, 100.0, "hours", "hours to re-review a case after the plea is withdrawn or set aside"
    )
    protest_hours: float = P(
        6.0, 0.0, 100.0, "hours", "hours to prepare a protest and attend second instance"
    )
    base_discount: float = P(
        0.2, 0.0, 0.6, "share", "discount offered for a plea at review, before mitigation and caps"
    )
    mitigation_discount: float = P(
        0.2, 0.0, 0.6, "share", "extra discount for surrender, restitution or forgiveness"
    )
    target_discount_boost: float = P(
        0.12,
        0.0,
        0.5,
        "share",
        "extra discount a prosecutor under full target pressure offers to secure a plea (within caps)",
    )
    negotiation_step: float = P(
        0.05,
        0.0,
        0.3,
        "share",
        "extra discount a substantive defence can negotiate after a refusal (times substantiveness)",
    )
    application_target: float = P(
        0.85, 0.0, 1.0, "share", "the leniency application rate a prosecutor is measured against"
    )
    conviction_overstatement: float = P(
        1.0,
        0.0,
        1.0,
        "0-1",
        "how far the prosecutor presents conviction as certain (1) rather than at its true chance (0)",
    )
    determinate_share: float = P(
        0.85,
        0.0,
        1.0,
        "share",
        "share of recommendations that are determinate (one sentence) rather than a range",
    )
    range_half_width: float = P(
        0.15, 0.0, 0.5, "share", "half-width of a range recommendation, relative to its centre"
    )
    norm_belief_sd: float = P(
        0.1,
        0.0,
        1.0,
        "log",
        "error of a new prosecutor's belief about each judge's sentencing norm (around the average norm)",
    )
    observation_noise: float = P(
        0.03,
        0.0,
        1.0,
        "log",
        "noise of what a prosecutor reads of a judge's norm from one judgment; assumption",
    )
    rate_smoothing: float = P(
        0.02,
        0.001,
        1.0,
        "per case",
        "weight of each concluded review in a prosecutor's running application "
        "rate (what the target is measured on); assumption",
    )
    learning_rate: float = P(
        0.5,
        0.0,
        1.0,
        "share",
        "how far a prosecutor's belief moves toward a judge's revealed norm after informative feedback (an "
        "adjustment request, reasons, the court's feedback)",
    )
    consult_prob: float = P(
        0.0,
        0.0,
        1.0,
        "probability",
        "chance the prosecutor consults the court before recommending (then the judge's norm is known)",
    )
    adjust_propensity: float = P(
        0.55,
        0.0,
        1.0,
        "probability",
        "chance the prosecutor adjusts a recommendation the court finds obviously improper (Art. 201)",
    )
    insist_base: float = P(
        0.3,
        0.0,
        1.0,
        "probability",
        "chance a prosecutor under full target pressure insists on a refuser when just at the target; "
        "assumption",
    )
    insist_slope: float = P(
        5.0,
        0.0,
        50.0,
        "per unit shortfall",
        "how fast insistence rises with the relative shortfall below the target; assumption",
    )
    insistence_pressure: float = P(
        0.5,
        0.0,
        3.0,
        "log",
        "pressure of insisting (repeat sessions, threats of detention or a heavier charge) on the choice; "
        "assumption",
    )
    insistence_framing: float = P(
        0.3,
        0.0,
        1.0,
        "0-1",
        "extra pull of the defendant's beliefs toward the framing when insisted on (times 1 - literacy); "
        "assumption",
    )
    insistence_hours: float = P(1.0, 0.0, 20.0, "hours", "prosecutor hours of a repeat session")
    overcharge_max: float = P(
        0.5,
        0.0,
        2.0,
        "share",
        "how far full charge leverage overstates the trial sentence in the framing (uniform up to this "
        "share); assumption",
    )
    release_on_plea: float = P(
        0.6,
        0.0,
        1.0,
        "probability",
        "chance a detained defendant who pleads is released under full detention leverage (arrest as "
        "leverage); assumption",
    )
    negotiation_min_substance: float = P(
        0.3,
        0.0,
        1.0,
        "0-1",
        "defence substance below which a lawyer only witnesses and the prosecutor does not bargain after a "
        "refusal; assumption",
    )
    rush_share: float = P(
        0.5,
        0.0,
        1.0,
        "share",
        "share of lawyer time cut when a prosecutor at full target pressure and shortfall rushes the "
        "hearing; assumption",
    )
    recorded_hearing_share: float = P(
        0.1, 0.0, 1.0, "share", "share of plea hearings recorded (audio-video; national practice from 2022)"
    )
    recording_deterrence: float = P(
        0.7, 0.0, 1.0, "share", "how much less coercion and framing a prosecutor uses on tape; assumption"
    )
    turnover_per_year: float = P(
        0.08,
        0.0,
        1.0,
        "per year",
        "share of prosecutors who leave each year; successors start with uninformed beliefs about the judges",
    )
    consult_hours: float = P(0.5, 0.0, 20.0, "hours", "prosecutor hours of a consultation with the court")
    voluntariness_check_depth: float = P(
        0.1, 0.0, 1.0, "probability", "chance the review-stage plea hearing uncovers an involuntary plea"
    )
    punitive_protest_prob: float = P(
        0.04,
        0.0,
        1.0,
        "probability",
        "chance the procuratorate protests a technical appeal (punitive protest)",
    )
    supervisory_protest_prob: float = P(
        0.04,
        0.0,
        1.0,
        "probability",
        "chance it protests a first-instance sentence that is wrong by more than the tolerance",
    )
    protest_increase: float = P(
        0.5, 0.0, 2.0, "share", "relative increase of the sentence a punitive protest wins at second instance"
    )


class LawyerParams(_Section):
    per_district: int = P(5, 1, 500, "persons", "duty lawyers per district")
    hours_per_day: float = P(
        5.0, 0.5, 16.0, "hours/day", "hours a duty lawyer gives to leniency cases each day"
    )
    retained_share: float = P(
        0.22,
        0.0,
        1.0,
        "share",
        "share of defendants with a retained defender (substantive, outside the duty pool)",
    )
    consultation_minutes: float = P(
        25.0, 1.0, 600.0, "minutes", "minutes a duty lawyer normally spends advising on one case"
    )
    substantive_minutes: float = P(
        120.0, 10.0, 1200.0, "minutes", "minutes of advice needed for fully substantive help"
    )
    file_access: float = P(0.3, 0.0, 1.0, "0-1", "degree of access to the case file")
    private_meeting: float = P(
        0.3, 0.0, 1.0, "0-1", "degree to which the lawyer meets the defendant privately"
    )
    continuity: float = P(
        0.2, 0.0, 1.0, "0-1", "chance the same lawyer stays with the case from review to trial"
    )
    misleading_strength: float = P(
        0.4,
        0.0,
        1.0,
        "0-1",
        "how far formalised advice pulls beliefs toward the prosecutor's framing (times 1 - substantiveness)",
    )
    retained_substantiveness: float = P(0.8, 0.0, 1.0, "0-1", "substantiveness of a retained defender's help")
    rights_shield: float = P(
        0.8,
        0.0,
        1.0,
        "share",
        "how much of the coercive pressure fully substantive advice on rights takes away "
        "(Bibas 2004); assumption on the size",
    )
    signing_minutes: float = P(20.0, 1.0, 240.0, "minutes", "minutes a lawyer spends present at the signing")
    trial_hours: float = P(1.0, 0.0, 40.0, "hours", "lawyer hours at a first-instance hearing")


class JudgeParams(_Section):
    per_district: int = P(7, 1, 500, "persons", "criminal judges per district")
    hours_per_day: float = P(6.0, 1.0, 16.0, "hours/day", "hours a judge has for cases each day")
    fast_track_hours: float = P(0.6, 0.05, 20.0, "hours", "judge hours for a fast-track trial")
    summary_hours: float = P(2.5, 0.1, 50.0, "hours", "judge hours for a summary trial")
    ordinary_hours: float = P(10.0, 0.5, 200.0, "hours", "judge hours for an ordinary trial")
    second_instance_hours: float = P(12.0, 0.5, 200.0, "hours", "judge hours for a second-instance case")
    fast_track_uptake: float = P(
        0.6,
        0.0,
        1.0,
        "probability",
        "chance an eligible plea case (likely sentence <= 3 years) is tried fast-track",
    )
    norm_sd: float = P(0.06, 0.0, 1.0, "log", "dispersion of judges' personal sentencing norms")
    norm_persistence_days: float = P(
        1460.0,
        30.0,
        36500.0,
        "days",
        "judges' norms drift (mean-reverting to the average, stationary sd norm_sd) with this persistence",
    )
    case_view_sd: float = P(
        0.08,
        0.0,
        1.0,
        "log",
        "the court's case-specific view of the sentence, unknowable to the prosecutor without consulting; "
        "assumption, fitted",
    )
    turnover_per_year: float = P(
        0.06, 0.0, 1.0, "per year", "share of judges who leave each year; successors have their own norm"
    )
    feedback_share: float = P(
        0.0,
        0.0,
        1.0,
        "share",
        "share of adopted judgments on which the court tells the prosecutor its view (prosecutor-judge "
        "calibration)",
    )
    consult_hours: float = P(0.3, 0.0, 20.0, "hours", "judge hours of a consultation with the prosecutor")
    reasoning_hours: float = P(0.3, 0.0, 20.0, "hours", "judge hours to write the reasons of a judgment")
    record_review_hours: float = P(
        0.25, 0.0, 20.0, "hours", "judge hours to examine a recorded plea hearing at trial"
    )
    recording_visibility: float = P(
        1.5,
        0.0,
        10.0,
        "multiplier",
        "how much more involuntariness a review finds when it can watch the recorded plea hearing (1 + "
        "this); assumption",
    )
    review_factor_fast: float = P(
        0.4,
        0.0,
        1.0,
        "share",
        "depth of the voluntariness review in a fast-track hearing relative to an ordinary trial; assumption",
    )
    review_factor_summary: float = P(
        0.7,
        0.0,
        1.0,
        "share",
        "depth of the voluntariness review in a summary hearing relative to an ordinary trial; assumption",
    )
    tolerance: float = P(
        0.15,
        0.0,
        1.0,
        "share",
        "relative deviation beyond which a recommendation is 'obviously improper' (Art. 201)",
    )
    review_depth: float = P(
        0.5,
        0.0,
        1.0,
        "probability",
        "chance an ordinary trial with time uncovers an involuntary plea (times power.judicial_review_depth "
        "x 2, and by procedure and workload)",
    )
    false_finding_rate: float = P(
        0.004, 0.0, 0.2, "probability", "chance the court finds a voluntary plea involuntary"
    )
    innocence_detection: float = P(
        0.5,
        0.0,
        1.0,
        "probability",
        "chance the court finds no crime in a pleaded case of an innocent (times 1 - evidence, x 2)",
    )
    reasoning_quality: float = P(
        0.4,
        0.0,
        1.0,
        "share",
        "share of judgments that give their reasons (why the recommendation was or was not followed): "
        "information for the defendant and the prosecutor",
    )
    correction_prob: float = P(
        0.7,
        0.0,
        1.0,
        "probability",
        "chance second instance corrects a wrong sentence or convicts-in-error it hears",
    )
    trial_days_fast: float = P(
        7.0, 1.0, 60.0, "days", "usual days from receipt to judgment in fast-track (before queueing)"
    )
    trial_days_summary: float = P(15.0, 1.0, 120.0, "days", "usual days in summary procedure")
    trial_days_ordinary: float = P(45.0, 1.0, 180.0, "days", "usual days in ordinary procedure")
    second_instance_days: float = P(40.0, 1.0, 180.0, "days", "usual days at second instance")


class LawParams(_Section):
    plea_discount_cap: float = P(
        procedure.PLEA_DISCOUNT_CAP,
        0.0,
        1.0,
        "share",
        "cap on the discount for a plea alone (2021 sentencing guideline: 30 %)",
    )
    combined_discount_cap: float = P(
        procedure.COMBINED_DISCOUNT_CAP,
        0.0,
        1.0,
        "share",
        "cap with surrender, restitution or forgiveness (2021 guideline: 60 %)",
    )


class Workload(_Section):
    corner_cutting: float = P(
        0.6,
        0.0,
        5.0,
        "elasticity",
        "how much actors shorten time per case when their backlog exceeds their capacity",
    )
    horizon_days: float = P(
        5.0,
        1.0,
        60.0,
        "days",
        "backlog (in days of capacity) an actor considers normal before cutting corners",
    )


class Meta(_Section):
    name: str = Field("baseline", description="scenario name")
    description: str = Field("", description="what the scenario represents")
    reforms: list[str] = Field(
        default_factory=list, description="reform overlays applied (filled in by the loader)"
    )
    scale: str = Field("", description="scale preset applied (filled in by the loader)")
    base: str = Field(
        "baseline",
        description="what the scenario rests on: 'baseline' (calibrated) or 'priors' (filled in by the "
        "loader)",
    )
    source: str = Field(
        "embedded baseline", description="the scenario file it was read from (filled in by the loader)"
    )


class Scenario(_Section):
    """A fully specified scenario. Its defaults are documented plausible values before calibration; the
    baseline (``load_scenario()``) is these plus the calibrated values of ``scenarios/baseline.toml``."""

    meta: Meta = Field(default_factory=lambda: Meta())
    run: RunParams = Field(default_factory=RunParams)
    case: CaseParams = Field(default_factory=CaseParams)
    defendant: DefendantParams = Field(default_factory=DefendantParams)
    power: PowerParams = Field(default_factory=PowerParams)
    prosecutor: ProsecutorParams = Field(default_factory=ProsecutorParams)
    lawyer: LawyerParams = Field(default_factory=LawyerParams)
    judge: JudgeParams = Field(default_factory=JudgeParams)
    law: LawParams = Field(default_factory=LawParams)
    workload: Workload = Field(default_factory=Workload)

    def flat(self) -> dict[str, Any]:
        """The parameters as one dict with dotted keys (``power.information_asymmetry``)."""
        return flatten(self.model_dump())

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """A copy with dotted-key overrides applied and validated."""
        data = self.model_dump()
        for key, value in overrides.items():
            set_dotted(data, key, value, source)
        return validate(data, source)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True)


class ScenarioError(ValueError):
    """Bad scenario input: the message names the file, the key path and what is allowed."""


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def bounds(info: Any) -> tuple[float | None, float | None, str]:
    """A schema field's inclusive range and unit, as declared with ``P``."""
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return lo, hi, extra.get("unit", "")


def field_help(path: Sequence[str | int]) -> str:
    """What is allowed at a key path, from the schema."""
    model: Any = Scenario
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            allowed = ", ".join(sorted(fields)) if fields else "nothing here"
            return f"allowed keys here: {allowed}"
        info = fields[part]
        model = info.annotation
    lo, hi, unit = bounds(info)
    typ = getattr(info.annotation, "__name__", str(info.annotation))
    rng = f" in [{lo}, {hi}]" if lo is not None or hi is not None else ""
    return f"allowed: {typ}{rng}{' ' + unit if unit else ''} ({info.description})"


def validate(data: Mapping[str, Any], source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
        if scenario.run.warmup_days >= scenario.run.days:
            raise ScenarioError(
                f"{source}: run.warmup_days = {scenario.run.warmup_days} must be less than run.days = "
                f"{scenario.run.days} (cases arriving during the warm-up are not counted: none would be)"
            )
        return scenario
    except ValidationError as exc:
        err = exc.errors()[0]
        path = [p for p in err["loc"] if isinstance(p, str)]
        key = ".".join(path)
        if err["type"] == "extra_forbidden":
            parent = path[:-1]
            raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(parent + ['?'])}") from None
        got = err.get("input")
        raise ScenarioError(
            f"{source}: key '{key}' = {got!r} is invalid ({err['msg']}); {field_help(path)}"
        ) from None


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
            raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(parts[:i] + ['?'])}")
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(parts[:-1] + ['?'])}")
    if isinstance(node[parts[-1]], dict):
        raise ScenarioError(
            f"{source}: '{key}' is a table of parameters, not a value; {field_help(parts + ['?'])}"
        )
    node[parts[-1]] = value


def param_table() -> list[dict[str, Any]]:
    """Rows of the parameter reference (key, unit, range, default, description), from the schema."""
    rows: list[dict[str, Any]] = []
    for section, sinfo in Scenario.model_fields.items():
        if section == "meta":
            continue
        model: Any = sinfo.annotation
        for name, info in model.model_fields.items():
            lo, hi, unit = bounds(info)
            rows.append(
                {
                    "key": f"{section}.{name}",
                    "unit": unit,
                    "min": lo,
                    "max": hi,
                    "default": info.default,
                    "description": info.description,
                }
            )
    return rows
