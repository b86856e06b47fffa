"""Scenario parameters of the prosecution and the defence: prosecutors and duty lawyers."""

from __future__ import annotations

from sim.model.params_base import P, Section


class ProsecutorParams(Section):
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
        per_world=True,
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
        per_world=True,
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
        per_world=True,
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
        per_world=True,
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
        per_world=True,
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
        per_world=True,
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
        0.1,
        0.0,
        1.0,
        "share",
        "share of plea hearings recorded (audio-video; national practice from 2022)",
        per_world=True,
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
    suspension_view_sd: float = P(
        0.2,
        0.0,
        3.0,
        "sd (probit)",
        "error of the prosecutor's judgment of whether the court will find an offender suitable for "
        "suspension (a consultation reveals the court's view); assumption",
    )
    punitive_protest_prob: float = P(
        0.04,
        0.0,
        1.0,
        "probability",
        "chance the procuratorate protests a groundless appeal against a judgment that kept the plea "
        "agreement (punitive protest)",
        per_world=True,
    )
    supervisory_protest_prob: float = P(
        0.04,
        0.0,
        1.0,
        "probability",
        "chance it protests a judgment it has a motive to: its recommendation not adopted and the sentence "
        "below it, or a sentence off the lawful one by more than the tolerance where no recommendation of "
        "its own was adopted",
        per_world=True,
    )
    protest_increase: float = P(
        0.5, 0.0, 2.0, "share", "relative increase of the sentence a punitive protest wins at second instance"
    )


class LawyerParams(Section):
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
        25.0,
        1.0,
        600.0,
        "minutes",
        "minutes a duty lawyer normally spends advising on one case",
        per_world=True,
    )
    substantive_minutes: float = P(
        120.0, 10.0, 1200.0, "minutes", "minutes of advice needed for fully substantive help"
    )
    file_access: float = P(0.3, 0.0, 1.0, "0-1", "degree of access to the case file", per_world=True)
    private_meeting: float = P(
        0.3, 0.0, 1.0, "0-1", "degree to which the lawyer meets the defendant privately", per_world=True
    )
    continuity: float = P(
        0.2,
        0.0,
        1.0,
        "0-1",
        "chance the same lawyer stays with the case from review to trial",
        per_world=True,
    )
    misleading_strength: float = P(
        0.4,
        0.0,
        1.0,
        "0-1",
        "how far formalised advice pulls beliefs toward the prosecutor's framing (times 1 - substantiveness)",
        per_world=True,
    )
    belief_correction: float = P(
        1.0,
        0.0,
        1.0,
        "0-1",
        "how far substantive help corrects the defendant's beliefs toward what a trial would bring (times "
        "substantiveness; 0 cuts the path from the lawyer's help to accurate beliefs; validation)",
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
