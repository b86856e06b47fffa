"""Relief ledger, resource accounting and summary metrics — the one definition of every figure the project
reports.

The model only counts (``Tally``) and records relief events (``ReliefLedger``); every ratio is defined
here, in
``METRICS``, and the README's metric table is generated from the same definitions.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.model.procedure import Stage
from sim.model.relief import (  # re-exported: the one definition of relief kinds and classes
    CLASS_CODE,
    CLASS_OF_REASON,
    ESSENTIAL,
    INITIATING,
    Reason,
    ReliefClass,
    ReliefType,
)

ESSENTIAL_REASONS = frozenset(r for r in Reason if CLASS_OF_REASON[r] != ReliefClass.NONESSENTIAL)
_ESSENTIAL = ESSENTIAL
_INITIATING = np.isin(np.arange(len(ReliefType)), list(INITIATING))

ACTORS = ("prosecutor", "lawyer", "judge")
PROSECUTOR, LAWYER, JUDGE = (ACTORS.index(a) for a in ("prosecutor", "lawyer", "judge"))
NONESSENTIAL_COL, ESSENTIAL_COL = (
    0,
    1,
)  # the columns of Tally.relief and ReliefLedger.today (events by essentiality)


@dataclass
class Tally:
    """Counters the model increments; ratios are formed only in ``summarise``."""

    arrived: int = 0
    closed: int = 0
    closed_final: int = 0
    acquitted: int = 0
    not_prosecuted: int = 0
    detained_at_arrival: int = 0
    review_concluded: int = 0
    pleas_at_charge: int = 0
    innocent_review_concluded: int = 0
    innocent_signed: int = 0
    signed: int = 0  # leniency cases: agreements signed (first signing of each case)
    determinate: int = 0
    discount_sum: float = 0.0
    involuntary: int = 0
    involuntary_found: int = 0
    withdrawals: int = 0
    leniency_judged: int = 0
    adopted: int = 0
    adopted_as_signed: int = 0
    fast_track: int = 0
    appeals: int = 0
    technical_appeals: int = 0
    protests: int = 0
    appealed_or_protested: int = 0
    detention_days: int = 0
    convictions_first: int = 0
    short_sentences: int = 0
    review_days_sum: int = 0
    review_fast_n: int = 0
    review_fast_days_sum: int = 0
    days_to_final_sum: int = 0
    hours: np.ndarray = field(default_factory=lambda: np.zeros((len(ACTORS), len(Stage))))
    relief: np.ndarray = field(default_factory=lambda: np.zeros((len(ReliefType), 2), dtype=np.int64))
    relief_reason: np.ndarray = field(default_factory=lambda: np.zeros(len(Reason), dtype=np.int64))
    initiations: np.ndarray = field(
        default_factory=lambda: np.zeros((len(ReliefType), len(ReliefClass)), dtype=np.int64)
    )
    relief_hours: np.ndarray = field(default_factory=lambda: np.zeros((len(ReliefClass), len(ACTORS))))
    relief_detention_days: np.ndarray = field(
        default_factory=lambda: np.zeros(len(ReliefClass), dtype=np.int64)
    )


class ReliefLedger:
    """Every relief event of a leniency case: day, stage, case, type, essential, reason.

    Compact because a long run adds millions of events: each ``add`` batch keeps its day, stage and type once,
    each event only its case id (int32 while ids fit) and reason (int8), in fixed-size segments (no copying on
    growth); ``essential`` follows from the reason. ``to_frame`` builds each column once, at its final size.
    """

    _SEGMENT = 1 << 16  # events per storage segment

    def __init__(self, tally: Tally) -> None:
        self._tally = tally
        self._day = array("i")  # per batch
        self._stage = array("b")
        self._type = array("b")
        self._size = array("q")
        self._ids: list[np.ndarray] = []  # per event, in segments of _SEGMENT
        self._reasons: list[np.ndarray] = []
        self._inits: list[np.ndarray] = []
        # every event of the day, warm-up included
        self.today = np.zeros((len(ReliefType), 2), dtype=np.int64)
        self._id_dtype: type = np.int32
        self.count = 0

    def add(
        self,
        day: int,
        stage: Stage,
        case_ids: np.ndarray,
        rtype: ReliefType,
        reasons: np.ndarray,
        initiation: np.ndarray,
        counted: np.ndarray,
    ) -> None:
        """Record a batch of events of one kind. ``initiation`` marks the first event of its kind in the case;
        only ``counted`` events (cases that arrived after the warm-up) enter the summary tally."""
        n = len(case_ids)
        if n == 0:
            return
        case_ids = np.asarray(case_ids)
        reasons = np.broadcast_to(np.asarray(reasons, dtype=np.int8), (n,))
        initiation = np.broadcast_to(np.asarray(initiation, dtype=bool), (n,))
        ess_all = int(ESSENTIAL[reasons].sum())
        self.today[rtype, ESSENTIAL_COL] += ess_all
        self.today[rtype, NONESSENTIAL_COL] += n - ess_all
        cr = reasons[counted]
        counts = np.bincount(cr, minlength=len(Reason))
        cls = CLASS_CODE[cr[initiation[counted]]]
        self._tally.initiations[rtype] += np.bincount(cls, minlength=len(ReliefClass))
        if self._id_dtype is np.int32 and n and int(case_ids.max()) > np.iinfo(np.int32).max:
            self._ids = [seg.astype(np.int64) for seg in self._ids]
            self._id_dtype = np.int64
        self._day.append(int(day))
        self._stage.append(int(stage))
        self._type.append(int(rtype))
        self._size.append(n)
        done = 0
        while done < n:  # fill the last segment, then open new ones
            used = self.count % self._SEGMENT
            if used == 0:
                self._ids.append(np.empty(self._SEGMENT, dtype=self._id_dtype))
                self._reasons.append(np.empty(self._SEGMENT, dtype=np.int8))
                self._inits.append(np.empty(self._SEGMENT, dtype=np.bool_))
            k = min(n - done, self._SEGMENT - used)
            self._ids[-1][used : used + k] = case_ids[done : done + k]
            self._reasons[-1][used : used + k] = reasons[done : done + k]
            self._inits[-1][used : used + k] = initiation[done : done + k]
            done += k
            self.count += k
        ne = int(counts[_ESSENTIAL].sum())
        self._tally.relief[rtype, ESSENTIAL_COL] += ne
        self._tally.relief[rtype, NONESSENTIAL_COL] += len(cr) - ne
        self._tally.relief_reason += counts

    def _column(self, segments: list[np.ndarray], dtype: type) -> np.ndarray:
        out: np.ndarray = np.empty(self.count, dtype=dtype)
        for i, seg in enumerate(segments):
            part = out[i * self._SEGMENT : (i + 1) * self._SEGMENT]
            part[:] = seg[: len(part)]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Every event: day, stage, case, type, reason, its class, essential, whether it initiates relief,
        and the index of the event it continues (its own index for an initiation; the case's adjustment
        request for a non-adoption; the case's appeal, else protest, for a second-instance decision)."""
        cols = (
            "day",
            "stage",
            "case_id",
            "type",
            "reason",
            "class",
            "essential",
            "initiation",
            "initiation_event",
        )
        if not self.count:
            empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in cols})
            return empty.astype({"essential": bool, "initiation": bool})
        size = np.array(self._size, dtype=np.int64)
        reason = self._column(self._reasons, np.int8)
        rtype = np.repeat(np.array(self._type, dtype=np.int8), size)
        case_id = self._column(self._ids, np.int64)
        frame = {
            "day": np.repeat(np.array(self._day, dtype=np.int32), size),
            "stage": pd.Categorical.from_codes(
                np.repeat(np.array(self._stage, dtype=np.int8), size), [s.name.lower() for s in Stage]
            ),
            "case_id": case_id,
            "type": pd.Categorical.from_codes(rtype, [t.name.lower() for t in ReliefType]),
            "reason": pd.Categorical.from_codes(reason, [r.name.lower() for r in Reason]),
            "class": pd.Categorical.from_codes(CLASS_CODE[reason], [c.name.lower() for c in ReliefClass]),
            "essential": ESSENTIAL[reason],
            "initiation": self._column(self._inits, np.bool_),
            "initiation_event": _initiation_links(case_id, rtype),
        }
        return pd.DataFrame(frame, copy=False)

    def for_case(self, case_id: int) -> list[dict[str, Any]]:
        starts = np.cumsum(np.array(self._size, dtype=np.int64)) - np.array(self._size, dtype=np.int64)
        out = []
        for s, seg in enumerate(self._ids):
            used = min(self.count - s * self._SEGMENT, self._SEGMENT)
            for i in np.flatnonzero(seg[:used] == case_id):
                e = s * self._SEGMENT + int(i)
                b = int(np.searchsorted(starts, e, side="right")) - 1  # the batch holding event e
                reason = Reason(int(self._reasons[s][i]))
                out.append(
                    {
                        "day": int(self._day[b]),
                        "stage": Stage(self._stage[b]).name.lower(),
                        "type": ReliefType(self._type[b]).name.lower(),
                        "essential": bool(_ESSENTIAL[reason]),
                        "class": ReliefClass(CLASS_CODE[reason]).name.lower(),
                        "initiation": bool(self._inits[s][i]),
                        "reason": reason.name.lower(),
                    }
                )
        return out


def _initiation_links(case_id: np.ndarray, rtype: np.ndarray) -> np.ndarray:
    """Index of the event each event continues (see ``ReliefLedger.to_frame``); -1 when there is none."""
    n = len(case_id)
    root = rtype.astype(np.int64)
    root[rtype == ReliefType.NOT_ADOPTED] = ReliefType.ADJUSTMENT_REQUEST
    idx = np.arange(n)
    frame = pd.DataFrame({"case": case_id, "root": root, "idx": idx})
    first = frame.groupby(["case", "root"], sort=False)["idx"].transform("min").to_numpy()
    link = np.where(np.isin(root, list(INITIATING)), first, -1)
    si = np.flatnonzero(rtype == ReliefType.SECOND_INSTANCE)
    if len(si):
        starts = frame[np.isin(rtype, [ReliefType.APPEAL, ReliefType.PROTEST])]
        starts = starts.assign(pref=np.where(starts["root"] == ReliefType.APPEAL, 0, 1)).sort_values(
            ["pref", "idx"]
        )
        first_start = starts.drop_duplicates("case").set_index("case")["idx"]
        link[si] = first_start.reindex(case_id[si]).fillna(-1).to_numpy(dtype=np.int64)
    return link


@dataclass(frozen=True)
class MetricDef:
    unit: str
    description: str


def _ratio(a: float, b: float) -> float:
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
        "leniency cases whose first-instance sentence followed the recommendation (as signed or as adjusted "
        "by the prosecutor) / leniency cases judged at first instance with the plea standing",
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


def summarise(t: Tally, open_cases: int) -> dict[str, float]:
    """All summary metrics from a tally, per the definitions in ``METRICS``."""
    per100 = 100.0 / t.signed if t.signed else math.nan
    hours = t.hours
    out: dict[str, float] = {
        "cases_arrived": t.arrived,
        "cases_closed": t.closed,
        "cases_open_at_end": open_cases,
        "leniency_cases": t.signed,
        "application_rate": _ratio(t.pleas_at_charge, t.review_concluded),
        "determinate_recommendation_share": _ratio(t.determinate, t.signed),
        "adoption_rate": _ratio(t.adopted, t.leniency_judged),
        "adoption_rate_as_signed": _ratio(t.adopted_as_signed, t.leniency_judged),
        "fast_track_share": _ratio(t.fast_track, t.leniency_judged),
        "withdrawal_rate": _ratio(t.withdrawals, t.signed),
        "appeal_rate": _ratio(t.appeals, t.leniency_judged),
        "protest_rate": _ratio(t.protests, t.leniency_judged),
        "acceptance_rate": 1.0 - _ratio(t.appealed_or_protested, t.leniency_judged),
        "technical_appeal_share": _ratio(t.technical_appeals, t.appeals),
        "technical_appeal_rate": _ratio(t.technical_appeals, t.leniency_judged),
        "relief_rate": t.relief.sum() * per100,
        "relief_rate_essential": t.relief[:, ESSENTIAL_COL].sum() * per100,
        "relief_rate_nonessential": t.relief[:, NONESSENTIAL_COL].sum() * per100,
        "involuntary_plea_rate": _ratio(t.involuntary, t.signed),
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
