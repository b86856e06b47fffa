"""Scenario parameters of the world: the run, the cases, the defendants and the balance of power."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import field_validator

from sim.model.params_base import P, Section


class RunParams(Section):
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
    start_date: str = P(
        "",
        None,
        None,
        "date",
        "calendar date of day 0 (YYYY-MM-DD), needed by a [[timeline]] and for yearly figures; empty: no "
        "calendar (days are only counted)",
    )

    @field_validator("start_date", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        return iso_date(value)


def iso_date(value: Any) -> Any:
    """A TOML date or a YYYY-MM-DD string, kept as that string (so a scenario stays plain JSON)."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date YYYY-MM-DD, not a date and time")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("a date YYYY-MM-DD, e.g. 2019-01-01") from None
    return value


class CaseParams(Section):
    sentence_median_months: float = P(
        15.0,
        1.0,
        240.0,
        "months",
        "median of the sentence a court would give after a contested trial (lognormal)",
        per_world=True,
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


class DefendantParams(Section):
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
        per_world=True,
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
        per_world=True,
    )
    misinformation_prob: float = P(
        0.04,
        0.0,
        1.0,
        "probability",
        "chance a defendant who signed voluntarily is later misinformed into withdrawing (times 1 - "
        "misinformation_shield x lawyer substantiveness)",
    )
    misinformation_shield: float = P(
        1.0,
        0.0,
        1.0,
        "0-1",
        "how far substantive help shields a voluntary signer from misinformation (0 cuts the path from the "
        "lawyer's help to misinformation withdrawals; validation)",
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
        per_world=True,
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
        per_world=True,
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
        per_world=True,
    )


class PowerParams(Section):
    information_asymmetry: float = P(
        0.6,
        0.0,
        1.0,
        "0-1",
        "weight of the prosecutor's framing in the defendant's beliefs (times 1 - literacy)",
        per_world=True,
    )
    detention_leverage: float = P(
        0.5,
        0.0,
        1.0,
        "0-1",
        "use of detention as leverage: more arrests and a pressure to plead for release",
        per_world=True,
    )
    charge_leverage: float = P(
        0.4,
        0.0,
        1.0,
        "0-1",
        "how far the prosecutor overstates the trial outcome (threat of a heavier charge)",
        per_world=True,
    )
    target_pressure: float = P(
        0.5,
        0.0,
        1.0,
        "0-1",
        "pressure on prosecutors from the leniency application-rate target",
        per_world=True,
    )
    defence_capacity: float = P(
        0.4,
        0.0,
        1.0,
        "0-1",
        "resources of the defence: scales lawyer time, file access and private meetings",
        per_world=True,
    )
    judicial_review_depth: float = P(
        0.4, 0.0, 1.0, "0-1", "depth of the court's substantive review of voluntariness", per_world=True
    )
