"""Summary metrics: each reported figure declared once, its words and its arithmetic together.

The model only counts (``Tally``) and records relief events (``ReliefLedger``, both in ``sim.model.ledger``);
every ratio is the formula of one ``Metric`` in ``METRICS``. ``summarise`` evaluates them in declaration order
(the summary's key order), the daily series takes the ``daily`` ones, and the README's metric table
(``python -m sim.reference``) prints their words.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from sim.model.ledger import (
    ACTORS,
    ESSENTIAL_COL,
    ESSENTIAL_REASONS,
    JUDGE,
    LAWYER,
    NONESSENTIAL_COL,
    PROSECUTOR,
    Tally,
)
from sim.model.procedure import Stage
from sim.model.relief import INITIATING, INVOLUNTARY_CAUSES, Reason, ReliefClass, ReliefType

__all__ = ["METRICS", "SUMMARY_KEYS", "Metric", "running_rates", "summarise"]

Formula = Callable[[Any, int], Any]  # (tally, cases open at the end) -> the figure


@dataclass(frozen=True)
class Metric:
    """One reported figure. ``daily``: the daily series follows it too, so its formula must also work
    elementwise on counters with one row per world (a batched model's)."""

    name: str
    unit: str
    description: str
    formula: Formula
    daily: bool = False


def _ratio(a: Any, b: Any) -> Any:
    """a / b, NaN where b is 0 (elementwise for the per-world arrays of a batched model)."""
    if (type(a) is np.ndarray and a.ndim) or (type(b) is np.ndarray and b.ndim):  # np.ndim, without its cost
        b = np.asarray(b)
        return np.divide(a, b, out=np.full(b.shape, math.nan), where=b != 0)
    return a / b if b else math.nan


def _per100(x: Any, t: Any) -> Any:
    """``x`` per 100 leniency cases (NaN without any)."""
    return x * _ratio(100.0, t.signed)


def _per_case(x: Any, t: Any) -> Any:
    """``x`` per case arrived."""
    return _ratio(x, t.arrived)


_LENIENCY = "leniency cases (cases in which a plea agreement was signed)"
_JUDGED = "leniency cases judged at first instance"
_INIT = (
    "relief initiations (first relief event of its kind in a case: voluntariness finding, adjustment "
    "request, withdrawal, appeal, protest) of leniency cases"
)


def _words(member: Enum) -> str:
    """An enum member's name in words (``NOT_ADOPTED`` -> "not adopted")."""
    return member.name.lower().replace("_", " ")


def _involuntary_cause(i: int, cause: str) -> Metric:
    return Metric(
        f"involuntary_plea_rate_{cause}",
        "share",
        f"involuntary pleas whose cause is {cause.replace('_', ' ')} (decisive coercion; false beliefs from "
        "framing or advice; the defendant's own misjudgment: the first that applies) / agreements signed",
        lambda t, _: _ratio(int(t.involuntary_cause[i]), t.signed),
    )


def _relief_type(rt: ReliefType) -> Iterator[Metric]:
    name, label = rt.name.lower(), _words(rt)
    yield Metric(
        f"relief_rate_{name}",
        "per 100",
        f"{label} events per 100 leniency cases",
        lambda t, _: _per100(t.relief[rt].sum(), t),
    )
    yield Metric(
        f"relief_rate_{name}_essential",
        "per 100",
        f"essential {label} events per 100 leniency cases",
        lambda t, _: _per100(t.relief[rt, ESSENTIAL_COL], t),
    )
    yield Metric(
        f"relief_rate_{name}_nonessential",
        "per 100",
        f"non-essential {label} events per 100 leniency cases",
        lambda t, _: _per100(t.relief[rt, NONESSENTIAL_COL], t),
    )


def _reason(r: Reason) -> Metric:
    return Metric(
        f"relief_rate_reason_{r.name.lower()}",
        "per 100",
        f"relief events whose reason is '{r.name.lower()}' per 100 leniency cases "
        f"({'essential' if r in ESSENTIAL_REASONS else 'non-essential'})",
        lambda t, _: _per100(t.relief_reason[r], t),
    )


def _actor_stage_hours(ai: int, s: Stage) -> Metric:
    return Metric(
        f"hours_per_case_{ACTORS[ai]}_{s.name.lower()}",
        "hours",
        f"{ACTORS[ai]} hours in the {s.name.lower()} stage / cases arrived",
        lambda t, _: _per_case(t.hours[ai, s], t),
    )


def _initiations_of_class(c: ReliefClass) -> Metric:
    return Metric(
        f"relief_initiations_per_100_{c.name.lower()}",
        "per 100",
        f"{_words(c)} {_INIT} per 100 leniency cases (classes: README)",
        lambda t, _: _per100(t.initiations[:, c].sum(), t),
    )


def _initiations_of_type(rt: ReliefType) -> Metric:
    return Metric(
        f"relief_initiations_per_100_{rt.name.lower()}",
        "per 100",
        f"initiations of {_words(rt)} relief per 100 leniency cases",
        lambda t, _: _per100(t.initiations[rt].sum(), t),
    )


def _relief_hours_of_class(c: ReliefClass) -> Metric:
    return Metric(
        f"relief_hours_per_case_{c.name.lower()}",
        "hours",
        f"as relief_hours_per_case, for relief of class {c.name.lower()}",
        lambda t, _: _per_case(t.relief_hours[c].sum(), t),
    )


# The order is the summary's column order (the golden digests hash it).
_DECLARED: tuple[Metric, ...] = (
    Metric(
        "cases_arrived", "cases", "cases that entered investigation during the run", lambda t, _: t.arrived
    ),
    Metric(
        "cases_closed",
        "cases",
        "cases closed by the end of the run (final judgment, acquittal or non-prosecution)",
        lambda t, _: t.closed,
    ),
    Metric(
        "cases_open_at_end", "cases", "cases still in flight when the run ended", lambda _, n_open: n_open
    ),
    Metric(
        "leniency_cases",
        "cases",
        "plea agreements signed (each case counted once, at its first signing)",
        lambda t, _: t.signed,
    ),
    Metric(
        "application_rate",
        "share",
        "plea agreements standing when review ended / cases whose review ended",
        lambda t, _: _ratio(t.pleas_at_charge, t.review_concluded),
        daily=True,
    ),
    Metric(
        "determinate_recommendation_share",
        "share",
        "determinate recommendations / recommendations in signed agreements",
        lambda t, _: _ratio(t.determinate, t.signed),
    ),
    Metric(
        "adoption_rate",
        "share",
        "leniency cases whose first-instance sentence followed the recommendation, its suspension included "
        f"(as signed or as adjusted by the prosecutor) / {_JUDGED} with the plea standing",
        lambda t, _: _ratio(t.adopted, t.leniency_judged),
        daily=True,
    ),
    Metric(
        "adoption_rate_as_signed",
        "share",
        "as adoption_rate, counting only recommendations adopted without adjustment",
        lambda t, _: _ratio(t.adopted_as_signed, t.leniency_judged),
    ),
    Metric(
        "fast_track_share",
        "share",
        f"leniency cases judged in fast-track procedure / {_JUDGED} with the plea standing",
        lambda t, _: _ratio(t.fast_track, t.leniency_judged),
    ),
    Metric(
        "withdrawal_rate",
        "share",
        "plea withdrawals by the defendant / plea agreements signed",
        lambda t, _: _ratio(t.withdrawals, t.signed),
    ),
    Metric(
        "appeal_rate",
        "share",
        f"{_JUDGED} that the defendant appealed / {_JUDGED}",
        lambda t, _: _ratio(t.appeals, t.leniency_judged),
    ),
    Metric(
        "protest_rate",
        "share",
        f"{_JUDGED} that the procuratorate protested / {_JUDGED}",
        lambda t, _: _ratio(t.protests, t.leniency_judged),
    ),
    Metric(
        "acceptance_rate",
        "share",
        f"{_JUDGED} with neither appeal nor protest / {_JUDGED}",
        lambda t, _: 1.0 - _ratio(t.appealed_or_protested, t.leniency_judged),
    ),
    Metric(
        "technical_appeal_share",
        "share",
        "technical appeals / appeals, among leniency cases",
        lambda t, _: _ratio(t.technical_appeals, t.appeals),
    ),
    Metric(
        "technical_appeal_rate",
        "share",
        f"technical appeals / {_JUDGED}",
        lambda t, _: _ratio(t.technical_appeals, t.leniency_judged),
    ),
    Metric(
        "remand_rate",
        "share",
        "leniency cases the second instance sent back for retrial (an involuntary plea found on appeal, "
        f"Art. 236) / {_JUDGED}",
        lambda t, _: _ratio(t.remands, t.leniency_judged),
    ),
    Metric(
        "suspension_refusal_rate",
        "share",
        "leniency cases whose agreement recommended suspension and whose judgment imposed custody (an "
        f"unfulfilled promise) / {_JUDGED}",
        lambda t, _: _ratio(t.suspension_refusals, t.leniency_judged),
    ),
    Metric(
        "relief_rate",
        "per 100",
        f"relief events of {_LENIENCY} per 100 leniency cases",
        lambda t, _: _per100(t.relief.sum(), t),
    ),
    Metric(
        "relief_rate_essential",
        "per 100",
        "essential relief events (answering a defect: involuntary plea, innocence, unfulfilled promise, "
        "wrong sentence) per 100 leniency cases",
        lambda t, _: _per100(t.relief[..., ESSENTIAL_COL].sum(axis=-1), t),
        daily=True,
    ),
    Metric(
        "relief_rate_nonessential",
        "per 100",
        "non-essential relief events (no defect behind them) per 100 leniency cases",
        lambda t, _: _per100(t.relief[..., NONESSENTIAL_COL].sum(axis=-1), t),
        daily=True,
    ),
    Metric(
        "involuntary_plea_rate",
        "share",
        "signed agreements the defendant would have refused with accurate beliefs and no coercion / "
        "agreements signed",
        lambda t, _: _ratio(t.involuntary, t.signed),
    ),
    *(_involuntary_cause(i, cause) for i, cause in enumerate(INVOLUNTARY_CAUSES[1:], start=1)),
    Metric(
        "involuntary_detected_share",
        "share",
        "involuntary pleas found involuntary by the review-stage plea hearing or by the court / involuntary "
        "pleas signed",
        lambda t, _: _ratio(t.involuntary_found, t.involuntary),
    ),
    Metric(
        "undetected_involuntary_per_100",
        "per 100",
        "involuntary pleas not found involuntary per 100 leniency cases",
        lambda t, _: _per100(t.involuntary - t.involuntary_found, t),
    ),
    Metric(
        "innocent_plea_rate",
        "share",
        "innocent defendants who signed an agreement / innocent defendants whose review ended",
        lambda t, _: _ratio(t.innocent_signed, t.innocent_review_concluded),
    ),
    Metric(
        "short_sentence_share",
        "share",
        "first-instance sentences of at most 3 years / first-instance convictions (all cases)",
        lambda t, _: _ratio(t.short_sentences, t.convictions_first),
    ),
    Metric(
        "mean_review_days",
        "days",
        "mean days from the start of review to its end (charge or non-prosecution), over cases whose review "
        "ended",
        lambda t, _: _ratio(t.review_days_sum, t.review_concluded),
    ),
    Metric(
        "review_days_fast_track",
        "days",
        "as mean_review_days, over cases sent to fast-track procedure",
        lambda t, _: _ratio(t.review_fast_days_sum, t.review_fast_n),
    ),
    Metric(
        "mean_discount",
        "share",
        "mean discount off the prosecutor's estimated trial sentence, over agreements signed",
        lambda t, _: _ratio(t.discount_sum, t.signed),
    ),
    Metric(
        "pretrial_detention_rate",
        "share",
        "cases detained on arrival / cases arrived",
        lambda t, _: _ratio(t.detained_at_arrival, t.arrived),
    ),
    Metric(
        "hours_per_case_prosecutor",
        "hours",
        "prosecutor hours spent in the run / cases arrived",
        lambda t, _: _per_case(t.hours[PROSECUTOR].sum(), t),
    ),
    Metric(
        "hours_per_case_judge",
        "hours",
        "judge hours spent in the run / cases arrived",
        lambda t, _: _per_case(t.hours[JUDGE].sum(), t),
    ),
    Metric(
        "hours_per_case_lawyer",
        "hours",
        "duty-lawyer hours spent in the run / cases arrived (retained defenders are not public resources)",
        lambda t, _: _per_case(t.hours[LAWYER].sum(), t),
    ),
    Metric(
        "hours_per_case_total",
        "hours",
        "prosecutor + judge + duty-lawyer hours / cases arrived",
        lambda t, _: _per_case(t.hours.sum(), t),
    ),
    Metric(
        "detention_days_per_case",
        "days",
        "pre-trial detention days (from arrest to release or to final judgment) / cases arrived",
        lambda t, _: _per_case(t.detention_days, t),
    ),
    Metric(
        "mean_days_to_final",
        "days",
        "mean days from arrival to closing, over cases closed",
        lambda t, _: _ratio(t.days_to_final_sum, t.closed),
    ),
    *(m for rt in ReliefType for m in _relief_type(rt)),
    *(_reason(r) for r in Reason),
    *(_actor_stage_hours(ai, s) for ai in range(len(ACTORS)) for s in Stage),
    Metric(
        "relief_initiations_per_100",
        "per 100",
        f"{_INIT} per 100 leniency cases",
        lambda t, _: _per100(t.initiations.sum(), t),
    ),
    *(_initiations_of_class(c) for c in ReliefClass),
    *(_initiations_of_type(rt) for rt in INITIATING),
    Metric(
        "relief_hours_per_case",
        "hours",
        "prosecutor + judge + duty-lawyer hours spent on relief (the initiation and its continuation) / "
        "cases arrived",
        lambda t, _: _per_case(t.relief_hours.sum(), t),
    ),
    *(_relief_hours_of_class(c) for c in ReliefClass),
    Metric(
        "relief_detention_days_per_case",
        "days",
        "pre-trial detention days served after the case's first relief initiation / cases arrived",
        lambda t, _: _per_case(t.relief_detention_days.sum(), t),
    ),
)

METRICS: dict[str, Metric] = {m.name: m for m in _DECLARED}
if len(METRICS) != len(_DECLARED):
    raise ValueError("a metric name is declared twice in sim.model.metrics")
SUMMARY_KEYS: tuple[str, ...] = tuple(METRICS)
_DAILY = tuple(m for m in _DECLARED if m.daily)


def running_rates(t: Any) -> dict[str, Any]:
    """The ``daily`` metrics from a ``Tally`` (or, elementwise, from the same counters with one row per
    world); none of them reads the count of open cases."""
    return {m.name: m.formula(t, 0) for m in _DAILY}


def summarise(t: Tally, open_cases: int) -> dict[str, float]:
    """Every metric of ``METRICS``, in its order, from a tally and the cases still open."""
    return {m.name: float(m.formula(t, open_cases)) for m in _DECLARED}
