"""The per-case table (``cases.parquet``): one row per closed case, for analysts' own questions.

Filled as cases close (their docket rows are recycled afterwards); built into a frame once, at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.docket import Docket
from sim.model.procedure import CaseState, Procedure
from sim.model.relief import INITIATING, INVOLUNTARY_CAUSES, ReliefClass

# docket ``protest_motive`` codes (sim.model.actors.prosecutor MOTIVE_*): the motive on file of a protest
PROTEST_MOTIVES = ("", "punitive", "not_adopted", "off_lawful")
_CLASS_NAMES = ("",) + tuple(c.name.lower() for c in ReliefClass)  # 2-bit slot value -> class name
_SECOND = ("none", "upheld", "reduced", "increased", "acquitted")

# docket column -> cases.parquet column
_COPY = {
    "case_id": "case_id",
    "arrival": "arrival_day",
    "district": "district",
    "innocent": "innocent",
    "mitigation": "mitigation",
    "involuntary": "involuntary",
    "found_involuntary": "involuntary_found",
    "detained_at_arrival": "detained_at_arrival",
    "det_days": "detention_days",
    "literacy": "literacy",
    "base": "trial_sentence_months",
    "offer": "offer_months",
    "rec": "recommendation_months",
    "first_sentence": "first_instance_sentence_months",
    "lawful": "lawful_sentence_months",
    "determinate": "determinate",
    "ever_signed": "signed",
    "insisted": "insisted_on",
    "recorded": "hearing_recorded",
    "withdrawn": "withdrawn",
    "adopted": "adopted",
    "rec_suspended": "suspension_recommended",
    "suspension_refused": "suspension_refused",
    "promise_unfulfilled": "promise_unfulfilled",
    "appealed": "appealed",
    "technical": "technical_appeal",
    "protested": "protested",
    "punitive": "punitive_protest",
    "remanded": "remanded",
    "hours_case": "hours",
    "at_risk": "at_risk",
    "triaged": "reviewed_in_substance",
    "written_lane": "written_second_instance",
}


class CaseTable:
    """Collects closed cases in batches of columns."""

    def __init__(self) -> None:
        self._batches: list[dict[str, np.ndarray]] = []

    def add(self, d: Docket, rows: np.ndarray, state: CaseState, day: int, warmup_days: int) -> None:
        b = {out: np.array(getattr(d, col)[rows]) for col, out in _COPY.items()}
        b["involuntary_cause"] = d.inv_cause[rows].copy()
        b["protest_motive"] = d.protest_motive[rows].copy()
        b["procedure"] = d.procedure[rows].copy()
        b["sentence_months"] = np.where(d.convicted[rows], d.sentence[rows], np.nan)
        first, final = d.first_sentence[rows], d.sentence[rows]
        second = np.select(
            [
                ~(d.appealed[rows] | d.protested[rows]),
                state == CaseState.ACQUITTED,
                final < first * 0.9999,
                final > first * 1.0001,
            ],
            [0, 4, 2, 3],
            1,
        )
        b["second_instance"] = second.astype(np.int8)
        b["relief_bits"] = d.relief_cls_bits[rows].copy()
        b["outcome"] = np.full(len(rows), int(state), dtype=np.int8)
        b["days_to_final"] = (day - d.arrival[rows]).astype(np.int32)
        b["after_warmup"] = d.arrival[rows] >= warmup_days
        self._batches.append(b)

    def frame(self) -> pd.DataFrame:
        """The table, one row per closed case, in closing order."""
        if not self._batches:
            return pd.DataFrame(columns=[*_COPY.values(), "outcome"])
        cols = {k: np.concatenate([b[k] for b in self._batches]) for k in self._batches[0]}
        bits = cols.pop("relief_bits")
        out = pd.DataFrame(
            {
                k: v
                for k, v in cols.items()
                if k not in ("involuntary_cause", "protest_motive", "procedure", "outcome", "second_instance")
            }
        )
        out["involuntary_cause"] = pd.Categorical.from_codes(cols["involuntary_cause"], INVOLUNTARY_CAUSES)
        out["protest_motive"] = pd.Categorical.from_codes(cols["protest_motive"], PROTEST_MOTIVES)
        out["procedure"] = pd.Categorical.from_codes(cols["procedure"], [p.name.lower() for p in Procedure])
        out["outcome"] = pd.Categorical.from_codes(cols["outcome"], [s.name.lower() for s in CaseState])
        out["second_instance"] = pd.Categorical.from_codes(cols["second_instance"], _SECOND)
        for i, rt in enumerate(INITIATING):
            slot = (bits >> (2 * i)) & 3
            out[f"relief_{rt.name.lower()}"] = pd.Categorical.from_codes(slot.astype(np.int8), _CLASS_NAMES)
        return out
