"""Summary metrics — the one definition of every figure the project reports.

The model only counts (``Tally``) and records relief events (``ReliefLedger``, both in ``sim.model.ledger``);
every ratio is defined here, in ``METRICS``, and the README's metric table is generated from the same
definitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.ledger import (  # re-exported for the model's observers and the app
    ACTORS,
    ESSENTIAL_COL,
    ESSENTIAL_REASONS,
    JUDGE,
    LAWYER,
    NONESSENTIAL_COL,
    PROSECUTOR,
    ReliefLedger,
    Tally,
)
from sim.model.procedure import Stage
from sim.model.relief import (
    CLASS_OF_REASON,
    INITIATING,
    INVOLUNTARY_CAUSES,
    Reason,
    ReliefClass,
    ReliefType,
)

__all__ = [
    "ACTORS",
    "CLASS_OF_REASON",
    "ESSENTIAL_COL",
    "METRICS",
    "NONESSENTIAL_COL",
    "SUMMARY_KEYS",
    "MetricDef",
    "Reason",
    "ReliefClass",
    "ReliefLedger",
    "ReliefType",
    "Tally",
    "summarise",
]


@dataclass(frozen=True)
class MetricDef:
    unit: str
    description: str


def _ratio(a: Any, b: Any) -> Any:
    """a / b, NaN where b is 0 (elementwise for the per-world arrays of a batched model)."""
    if np.ndim(a) or np.ndim(b):
        b = np.asarray(b)
        return np.divide(a, b, out=np.full(b.shape, math.nan), where=b != 0)
    return a / b if b else math.nan


LENIENCY = "leniency cases (cases in which a plea agreement was signed)"

METRICS: dict[str, MetricDef] = {
    "cases_arrived": MetricDef("cases", "cases that entered investigation during the run"),
    "cases_closed": MetricDef(
        "cases", "cases closed by the end of the run (final judgment, acquittal or non-prosecution)"
    ),
    "cases_open_at_end": MetricDef("cases", "cases still in flight when the run ended"),
    "leniency_cases": MetricDef(
        "cases", "plea agreements signed (each case counted once, at its first signing)"
    ),
    "application_rate": MetricDef(
        "share", "plea agreements standing when review ended / cases whose review ended"
    ),
    "determinate_recommendation_share": MetricDef(
        "share", "determinate recommendations / recommendations in signed agreements"
    ),
    "adoption_rate": MetricDef(
        "share",
        "leniency cases whose first-instance sentence followed the recommendation, its suspension "
        "included (as signed or as adjusted by the prosecutor) / leniency cases judged at first instance "
        "with the plea standing",
    ),
    "adoption_rate_as_signed": MetricDef(
        "share", "as adoption_rate, counting only recommendations adopted without adjustment"
    ),
    "fast_track_share": MetricDef(
        "share",
        "leniency cases judged in fast-track procedure / leniency cases judged at first instance with the "
        "plea standing",
    ),
    "withdrawal_rate": MetricDef("share", "plea withdrawals by the defendant / plea agreements signed"),
    "appeal_rate": MetricDef(
        "share",
        "leniency cases judged at first instance that the defendant appealed / leniency cases judged at "
        "first instance",
    ),
    "protest_rate": MetricDef(
        "share",
        "leniency cases judged at first instance that the procuratorate protested / leniency cases judged "
        "at first instance",
    ),
    "acceptance_rate": MetricDef(
        "share",
        "leniency cases judged at first instance with neither appeal nor protest / leniency cases judged at "
        "first instance",
    ),
    "technical_appeal_share": MetricDef("share", "technical appeals / appeals, among leniency cases"),
    "technical_appeal_rate": MetricDef(
        "share", "technical appeals / leniency cases judged at first instance"
    ),
    "remand_rate": MetricDef(
        "share",
        "leniency cases the second instance sent back for retrial (an involuntary plea found on appeal, "
        "Art. 236) / leniency cases judged at first instance",
    ),
    "suspension_refusal_rate": MetricDef(
        "share",
        "leniency cases whose agreement recommended suspension and whose judgment imposed custody (an "
        "unfulfilled promise) / leniency cases judged at first instance",
    ),
    "relief_rate": MetricDef("per 100", f"relief events of {LENIENCY} per 100 leniency cases"),
    "relief_rate_essential": MetricDef(
        "per 100",
        "essential relief events (answering a defect: involuntary plea, innocence, unfulfilled promise, "
        "wrong sentence) per 100 leniency cases",
    ),
    "relief_rate_nonessential": MetricDef(
        "per 100", "non-essential relief events (no defect behind them) per 100 leniency cases"
    ),
    "involuntary_plea_rate": MetricDef(
        "share",
        "signed agreements the defendant would have refused with accurate beliefs and no coercion / "
        "agreements signed",
    ),
    **{
        f"involuntary_plea_rate_{cause}": MetricDef(
            "share",
            f"involuntary pleas whose cause is {cause.replace('_', ' ')} (decisive coercion; false beliefs "
            "from framing or advice; the defendant's own misjudgment: the first that applies) / agreements "
            "signed",
        )
        for cause in INVOLUNTARY_CAUSES[1:]
    },
    "involuntary_detected_share": MetricDef(
        "share",
        "involuntary pleas found involuntary by the review-stage plea hearing or by the court / involuntary "
        "pleas signed",
    ),
    "undetected_involuntary_per_100": MetricDef(
        "per 100", "involuntary pleas not found involuntary per 100 leniency cases"
    ),
    "innocent_plea_rate": MetricDef(
        "share", "innocent defendants who signed an agreement / innocent defendants whose review ended"
    ),
    "short_sentence_share": MetricDef(
        "share", "first-instance sentences of at most 3 years / first-instance convictions (all cases)"
    ),
    "mean_review_days": MetricDef(
        "days",
        "mean days from the start of review to its end (charge or non-prosecution), over cases whose review "
        "ended",
    ),
    "review_days_fast_track": MetricDef(
        "days", "as mean_review_days, over cases sent to fast-track procedure"
    ),
    "mean_discount": MetricDef(
        "share", "mean discount off the prosecutor's estimated trial sentence, over agreements signed"
    ),
    "pretrial_detention_rate": MetricDef("share", "cases detained on arrival / cases arrived"),
    "hours_per_case_prosecutor": MetricDef("hours", "prosecutor hours spent in the run / cases arrived"),
    "hours_per_case_judge": MetricDef("hours", "judge hours spent in the run / cases arrived"),
    "hours_per_case_lawyer": MetricDef(
        "hours",
        "duty-lawyer hours spent in the run / cases arrived (retained defenders are not public resources)",
    ),
    "hours_per_case_total": MetricDef("hours", "prosecutor + judge + duty-lawyer hours / cases arrived"),
    "detention_days_per_case": MetricDef(
        "days", "pre-trial detention days (from arrest to release or to final judgment) / cases arrived"
    ),
    "mean_days_to_final": MetricDef("days", "mean days from arrival to closing, over cases closed"),
}
for _t in ReliefType:
    _label = _t.name.lower().replace("_", " ")
    METRICS[f"relief_rate_{_t.name.lower()}"] = MetricDef(
        "per 100", f"{_label} events per 100 leniency cases"
    )
    METRICS[f"relief_rate_{_t.name.lower()}_essential"] = MetricDef(
        "per 100", f"essential {_label} events per 100 leniency cases"
    )
    METRICS[f"relief_rate_{_t.name.lower()}_nonessential"] = MetricDef(
        "per 100", f"non-essential {_label} events per 100 leniency cases"
    )
for _r in Reason:
    METRICS[f"relief_rate_reason_{_r.name.lower()}"] = MetricDef(
        "per 100",
        f"relief events whose reason is '{_r.name.lower()}' per 100 leniency cases "
        f"({'essential' if _r in ESSENTIAL_REASONS else 'non-essential'})",
    )
for _a in ACTORS:
    for _s in Stage:
        METRICS[f"hours_per_case_{_a}_{_s.name.lower()}"] = MetricDef(
            "hours", f"{_a} hours in the {_s.name.lower()} stage / cases arrived"
        )

_INIT = (
    "relief initiations (first relief event of its kind in a case: voluntariness finding, adjustment "
    "request, withdrawal, appeal, protest) of leniency cases"
)
METRICS["relief_initiations_per_100"] = MetricDef("per 100", f"{_INIT} per 100 leniency cases")
for _c in ReliefClass:
    METRICS[f"relief_initiations_per_100_{_c.name.lower()}"] = MetricDef(
        "per 100", f"{_c.name.lower().replace('_', ' ')} {_INIT} per 100 leniency cases (classes: README)"
    )
for _t in INITIATING:
    METRICS[f"relief_initiations_per_100_{_t.name.lower()}"] = MetricDef(
        "per 100", f"initiations of {_t.name.lower().replace('_', ' ')} relief per 100 leniency cases"
    )
METRICS["relief_hours_per_case"] = MetricDef(
    "hours",
    "prosecutor + judge + duty-lawyer hours spent on relief (the initiation and its continuation) / cases "
    "arrived",
)
for _c in ReliefClass:
    METRICS[f"relief_hours_per_case_{_c.name.lower()}"] = MetricDef(
        "hours", f"as relief_hours_per_case, for relief of class {_c.name.lower()}"
    )
METRICS["relief_detention_days_per_case"] = MetricDef(
    "days", "pre-trial detention days served after the case's first relief initiation / cases arrived"
)

SUMMARY_KEYS: tuple[str, ...] = tuple(METRICS)


def running_rates(t: Any) -> dict[str, Any]:
    """The four rates the daily series follows, from a ``Tally`` (or, elementwise, from the same counters
    with one row per world)."""
    per100 = _ratio(100.0, t.signed)
    return {
        "application_rate": _ratio(t.pleas_at_charge, t.review_concluded),
        "adoption_rate": _ratio(t.adopted, t.leniency_judged),
        "relief_rate_essential": t.relief[..., ESSENTIAL_COL].sum(axis=-1) * per100,
        "relief_rate_nonessential": t.relief[..., NONESSENTIAL_COL].sum(axis=-1) * per100,
    }


def summarise(t: Tally, open_cases: int) -> dict[str, float]:
    """All summary metrics from a tally, per the definitions in ``METRICS``."""
    per100 = 100.0 / t.signed if t.signed else math.nan
    hours = t.hours
    out: dict[str, float] = {
        **running_rates(t),
        "cases_arrived": t.arrived,
        "cases_closed": t.closed,
        "cases_open_at_end": open_cases,
        "leniency_cases": t.signed,
        "determinate_recommendation_share": _ratio(t.determinate, t.signed),
        "adoption_rate_as_signed": _ratio(t.adopted_as_signed, t.leniency_judged),
        "fast_track_share": _ratio(t.fast_track, t.leniency_judged),
        "withdrawal_rate": _ratio(t.withdrawals, t.signed),
        "appeal_rate": _ratio(t.appeals, t.leniency_judged),
        "protest_rate": _ratio(t.protests, t.leniency_judged),
        "acceptance_rate": 1.0 - _ratio(t.appealed_or_protested, t.leniency_judged),
        "technical_appeal_share": _ratio(t.technical_appeals, t.appeals),
        "technical_appeal_rate": _ratio(t.technical_appeals, t.leniency_judged),
        "remand_rate": _ratio(t.remands, t.leniency_judged),
        "suspension_refusal_rate": _ratio(t.suspension_refusals, t.leniency_judged),
        "relief_rate": t.relief.sum() * per100,
        "involuntary_plea_rate": _ratio(t.involuntary, t.signed),
        **{
            f"involuntary_plea_rate_{cause}": _ratio(int(t.involuntary_cause[i]), t.signed)
            for i, cause in enumerate(INVOLUNTARY_CAUSES[1:], start=1)
        },
        "involuntary_detected_share": _ratio(t.involuntary_found, t.involuntary),
        "undetected_involuntary_per_100": (t.involuntary - t.involuntary_found) * per100,
        "innocent_plea_rate": _ratio(t.innocent_signed, t.innocent_review_concluded),
        "short_sentence_share": _ratio(t.short_sentences, t.convictions_first),
        "mean_review_days": _ratio(t.review_days_sum, t.review_concluded),
        "review_days_fast_track": _ratio(t.review_fast_days_sum, t.review_fast_n),
        "mean_discount": _ratio(t.discount_sum, t.signed),
        "pretrial_detention_rate": _ratio(t.detained_at_arrival, t.arrived),
        "hours_per_case_prosecutor": _ratio(hours[PROSECUTOR].sum(), t.arrived),
        "hours_per_case_judge": _ratio(hours[JUDGE].sum(), t.arrived),
        "hours_per_case_lawyer": _ratio(hours[LAWYER].sum(), t.arrived),
        "hours_per_case_total": _ratio(hours.sum(), t.arrived),
        "detention_days_per_case": _ratio(t.detention_days, t.arrived),
        "mean_days_to_final": _ratio(t.days_to_final_sum, t.closed),
    }
    for rt in ReliefType:
        out[f"relief_rate_{rt.name.lower()}"] = t.relief[rt].sum() * per100
        out[f"relief_rate_{rt.name.lower()}_essential"] = t.relief[rt, ESSENTIAL_COL] * per100
        out[f"relief_rate_{rt.name.lower()}_nonessential"] = t.relief[rt, NONESSENTIAL_COL] * per100
    for r in Reason:
        out[f"relief_rate_reason_{r.name.lower()}"] = t.relief_reason[r] * per100
    out["relief_initiations_per_100"] = t.initiations.sum() * per100
    for c in ReliefClass:
        out[f"relief_initiations_per_100_{c.name.lower()}"] = t.initiations[:, c].sum() * per100
        out[f"relief_hours_per_case_{c.name.lower()}"] = _ratio(t.relief_hours[c].sum(), t.arrived)
    for rt in INITIATING:
        out[f"relief_initiations_per_100_{rt.name.lower()}"] = t.initiations[rt].sum() * per100
    out["relief_hours_per_case"] = _ratio(t.relief_hours.sum(), t.arrived)
    out["relief_detention_days_per_case"] = _ratio(t.relief_detention_days.sum(), t.arrived)
    for ai, a in enumerate(ACTORS):
        for s in Stage:
            out[f"hours_per_case_{a}_{s.name.lower()}"] = _ratio(hours[ai, s], t.arrived)
    return {k: float(out[k]) for k in SUMMARY_KEYS}
