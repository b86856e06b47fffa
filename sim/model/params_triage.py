"""Scenario parameters of triage: where scarce review and advice go. Each policy is off (0) by default, which
is today's practice: every case gets the same treatment whatever its risk."""

from __future__ import annotations

from sim.model.params_base import P, Section


class TriageParams(Section):
    risk_flags: int = P(
        2,
        1,
        4,
        "flags",
        "a plea case is at risk when it shows at least this many of: detained, low literacy, deep discount, "
        "weak evidence",
    )
    low_literacy: float = P(0.4, 0.0, 1.0, "0-1", "literacy below this counts as a risk flag")
    deep_discount: float = P(0.25, 0.0, 0.6, "fraction", "an offered discount at least this deep is a flag")
    weak_evidence: float = P(0.6, 0.0, 1.0, "0-1", "evidence strength below this is a risk flag")
    review_share: float = P(
        0.0,
        0.0,
        1.0,
        "share",
        "share of at-risk plea cases whose voluntariness the court reviews in substance (ordinary-procedure "
        "depth whatever the procedure, at review_hours more judge time)",
    )
    review_hours: float = P(
        1.0, 0.0, 20.0, "hours", "extra judge hours of a substantive voluntariness review at trial"
    )
    lawyer_risk_weight: float = P(
        0.0,
        0.0,
        1.0,
        "0-1",
        "duty-lawyer consultation time allocated by risk: 0 = the same for every case, 1 = all of it to "
        "at-risk cases (the average per case is unchanged)",
    )
    written_lane_share: float = P(
        0.0,
        0.0,
        1.0,
        "share",
        "share of appeals that raise no new ground against a short sentence the second instance decides in "
        "writing (written_hours, written_days)",
    )
    lane_max_months: float = P(
        12.0, 1.0, 120.0, "months", "sentences up to this length qualify for the written lane"
    )
    lane_screen_error: float = P(
        0.1,
        0.0,
        1.0,
        "probability",
        "chance the screen sends an appeal that does raise a real ground to the written lane",
    )
    written_hours: float = P(2.0, 0.1, 200.0, "hours", "judge hours of a written second-instance decision")
    written_days: float = P(10.0, 1.0, 60.0, "days", "usual days of a written second-instance decision")
    written_correction: float = P(
        0.5,
        0.0,
        1.0,
        "multiplier",
        "how much of the usual chance of correcting a real defect a written decision keeps",
    )
