"""Scenario parameters of the courts (judges), the law's discount caps and workload."""

from __future__ import annotations

from sim.model import procedure
from sim.model.params_base import P, Section


class JudgeParams(Section):
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
        per_world=True,
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
        per_world=True,
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
        per_world=True,
    )
    consult_hours: float = P(0.3, 0.0, 20.0, "hours", "judge hours of a consultation with the prosecutor")
    reasoning_hours: float = P(0.3, 0.0, 20.0, "hours", "judge hours to write the reasons of a judgment")
    record_review_hours: float = P(
        0.25, 0.0, 20.0, "hours", "judge hours to examine a recorded plea hearing at trial", per_world=True
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
        per_world=True,
    )
    correction_prob: float = P(
        0.7,
        0.0,
        1.0,
        "probability",
        "chance second instance finds a defect on file it hears (a wrong sentence, an involuntary plea, "
        "innocence, a refused suspension) and corrects or remands",
    )
    trial_days_fast: float = P(
        7.0, 1.0, 60.0, "days", "usual days from receipt to judgment in fast-track (before queueing)"
    )
    trial_days_summary: float = P(15.0, 1.0, 120.0, "days", "usual days in summary procedure")
    trial_days_ordinary: float = P(45.0, 1.0, 180.0, "days", "usual days in ordinary procedure")
    second_instance_days: float = P(40.0, 1.0, 180.0, "days", "usual days at second instance")
    suspension_view_sd: float = P(
        0.2,
        0.0,
        3.0,
        "sd (probit)",
        "error of the court's judgment of whether an offender is suitable for suspension, around the case's "
        "suitability; assumption",
    )


class LawParams(Section):
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


class Workload(Section):
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
