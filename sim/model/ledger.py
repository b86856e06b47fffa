"""What the model counts: ``Count`` (every counter of cases, decisions, hours and days, declared once),
``Tally`` (one world's counters by name) and ``ReliefLedger`` (every relief event, its reason, class and
whether it initiates relief). Ratios are formed only in ``sim.model.metrics``."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field, fields
from enum import IntEnum
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.model.kernel import jit
from sim.model.procedure import Stage
from sim.model.relief import (  # the one definition of relief kinds and classes
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

ActorName = Literal["prosecutor", "lawyer", "judge"]
ACTORS: tuple[ActorName, ...] = ("prosecutor", "lawyer", "judge")
PROSECUTOR, LAWYER, JUDGE = (ACTORS.index(a) for a in ("prosecutor", "lawyer", "judge"))
# the columns of Count.RELIEF and of the daily series' relief counts (relief events by essentiality)
NONESSENTIAL_COL, ESSENTIAL_COL = 0, 1


class Count(IntEnum):
    """Every counter the bookkeeping keeps, declared once: what it counts, and its shape and kind when it is
    a table rather than one number. ``Counts`` holds each as an array with one row per world; ``Tally`` is
    one world's values by name. Only cases that count (arrived after the warm-up) are counted."""

    meaning: str
    shape: tuple[int, ...]  # () for one number
    floating: bool  # a sum of real numbers (float64) rather than a count (int64)

    def __new__(cls, meaning: str, shape: tuple[int, ...] = (), floating: bool = False) -> Count:
        value = len(cls.__members__)
        member = int.__new__(cls, value)
        member._value_ = value
        member.meaning, member.shape, member.floating = meaning, shape, floating
        return member

    ARRIVED = "cases that arrived"
    CLOSED = "cases closed (final judgment, acquittal or non-prosecution)"
    CLOSED_FINAL = "cases closed by a final judgment"
    ACQUITTED = "cases closed by an acquittal"
    NOT_PROSECUTED = "cases closed by non-prosecution"
    DETAINED_AT_ARRIVAL = "cases detained on arrival"
    REVIEW_CONCLUDED = "cases whose review ended (charge or non-prosecution)"
    PLEAS_AT_CHARGE = "cases whose review ended with a plea agreement standing"
    INNOCENT_REVIEW_CONCLUDED = "innocent defendants whose review ended"
    INNOCENT_SIGNED = "innocent defendants whose review ended having signed an agreement"
    SIGNED = "leniency cases: agreements signed (first signing of each case)"
    DETERMINATE = "signed agreements with a determinate recommendation"
    DISCOUNT_SUM = "the discounts of signed agreements (a share each), summed", (), True
    INVOLUNTARY = "signed agreements the defendant would have refused knowing the truth without pressure"
    INVOLUNTARY_FOUND = "involuntary pleas found involuntary (each once)"
    WITHDRAWALS = "pleas withdrawn by the defendant"
    LENIENCY_JUDGED = (
        "leniency cases judged at first instance (the court's acquittals included, retrials not)"
    )
    ADOPTED = "of those with the plea standing, recommendations adopted (as signed or as adjusted)"
    ADOPTED_AS_SIGNED = "of those with the plea standing, recommendations adopted as signed"
    FAST_TRACK = "of those with the plea standing, judged in fast-track procedure"
    APPEALS = "leniency cases whose first judgment the defendant appealed"
    TECHNICAL_APPEALS = "of those appeals, technical ones (to serve the remainder in the detention house)"
    PROTESTS = "leniency cases whose first judgment the procuratorate protested"
    APPEALED_OR_PROTESTED = "leniency cases whose first judgment was appealed or protested"
    REMANDS = "leniency cases sent back for retrial by the second instance"
    SUSPENSION_REFUSALS = "leniency cases whose agreement recommended suspension and whose judgment did not"
    DETENTION_DAYS = "pre-trial detention days of the spells ended (running spells are added at the summary)"
    CONVICTIONS_FIRST = "first-instance convictions, all cases (retrials not)"
    SHORT_SENTENCES = "of those, sentences of at most procedure.SHORT_SENTENCE_MONTHS"
    REVIEW_DAYS_SUM = "days from the start of review to its end, summed over cases whose review ended"
    REVIEW_FAST_N = "cases charged in fast-track procedure"
    REVIEW_FAST_DAYS_SUM = "their days of review, summed"
    DAYS_TO_FINAL_SUM = "days from arrival to closing, summed over cases closed"
    HOURS = "hours booked, by actor (ACTORS) and stage", (len(ACTORS), len(Stage)), True
    RELIEF = "relief events, by type and essentiality (NONESSENTIAL_COL, ESSENTIAL_COL)", (len(ReliefType), 2)
    RELIEF_REASON = "relief events, by reason", (len(Reason),)
    INVOLUNTARY_CAUSE = "signed pleas by involuntariness cause (docket inv_cause: 0 voluntary)", (4,)
    INITIATIONS = "relief initiations, by type and class", (len(ReliefType), len(ReliefClass))
    RELIEF_HOURS = "hours spent on relief, by class and actor", (len(ReliefClass), len(ACTORS)), True
    RELIEF_DETENTION_DAYS = "detention days after the first relief initiation, by class", (len(ReliefClass),)


def zeros(c: Count, worlds: int | None = None) -> np.ndarray:
    """Counter ``c`` at zero (with a leading axis of ``worlds`` when given)."""
    shape = c.shape if worlds is None else (worlds, *c.shape)
    return np.zeros(shape, dtype=np.float64 if c.floating else np.int64)


@dataclass
class Tally:
    """One world's counters by name (or all worlds' together), as ``summarise`` reads them; each field is
    the ``Count`` of the same name, in the same order (checked below), where its meaning is declared.
    ``Tally()`` is all zeros."""

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
    signed: int = 0
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
    remands: int = 0
    suspension_refusals: int = 0
    detention_days: int = 0
    convictions_first: int = 0
    short_sentences: int = 0
    review_days_sum: int = 0
    review_fast_n: int = 0
    review_fast_days_sum: int = 0
    days_to_final_sum: int = 0
    hours: np.ndarray = field(default_factory=partial(zeros, Count.HOURS))
    relief: np.ndarray = field(default_factory=partial(zeros, Count.RELIEF))
    relief_reason: np.ndarray = field(default_factory=partial(zeros, Count.RELIEF_REASON))
    involuntary_cause: np.ndarray = field(default_factory=partial(zeros, Count.INVOLUNTARY_CAUSE))
    initiations: np.ndarray = field(default_factory=partial(zeros, Count.INITIATIONS))
    relief_hours: np.ndarray = field(default_factory=partial(zeros, Count.RELIEF_HOURS))
    relief_detention_days: np.ndarray = field(default_factory=partial(zeros, Count.RELIEF_DETENTION_DAYS))


if [f.name for f in fields(Tally)] != [c.name.lower() for c in Count]:  # pragma: no cover - a coding error
    raise TypeError("Tally's fields must be the Count members, by name and in order")


@jit
def _fill(
    ids: Any,
    reasons: Any,
    inits: Any,
    used: int,
    case_ids: Any,
    rsn: Any,
    ini: Any,
    done: int,
    k: int,
    id_limit: int,
) -> bool:
    """Copy events ``done .. done + k`` of a batch to a segment from ``used`` on; False (nothing written) when
    an id exceeds ``id_limit``, what the segment's dtype holds."""
    for j in range(k):
        if case_ids[done + j] > id_limit:
            return False
    for j in range(k):
        ids[used + j] = case_ids[done + j]
        reasons[used + j] = rsn[done + j]
        inits[used + j] = ini[done + j]
    return True


class ReliefLedger:
    """Every relief event of a leniency case: day, stage, case, type, essential, reason.

    Compact because a long run adds millions of events: each ``add`` batch keeps its day, stage and type once,
    each event only its case id (int32 while ids fit) and reason (int8), in fixed-size segments (no copying on
    growth); ``essential`` follows from the reason. ``to_frame`` builds each column once, at its final size.
    """

    _SEGMENT = 1 << 16  # events per storage segment

    def __init__(self) -> None:
        self._day = array("i")  # per batch
        self._stage = array("b")
        self._type = array("b")
        self._size = array("q")
        self._ids: list[np.ndarray] = []  # per event, in segments of _SEGMENT
        self._reasons: list[np.ndarray] = []
        self._inits: list[np.ndarray] = []
        self._id_dtype: type = np.int32
        self._id_limit = int(np.iinfo(np.int32).max)  # the largest id the segments' dtype holds
        self.count = 0

    def add(
        self,
        day: int,
        stage: Stage,
        case_ids: np.ndarray,
        rtype: ReliefType,
        reasons: np.ndarray,
        initiation: np.ndarray,
    ) -> None:
        """Record a batch of events of one kind (``reasons`` and ``initiation`` one per event); ``initiation``
        marks the first event of its kind in the case. The summary's counts are bookkeeping's."""
        n = len(case_ids)
        if n == 0:
            return
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
            args = (used, case_ids, reasons, initiation, done, k)
            if not _fill(self._ids[-1], self._reasons[-1], self._inits[-1], *args, self._id_limit):
                # an id beyond int32: every segment widens to int64 (once), then the batch is kept
                self._ids = [seg.astype(np.int64) for seg in self._ids]
                self._id_dtype, self._id_limit = np.int64, np.iinfo(np.int64).max
                _fill(self._ids[-1], self._reasons[-1], self._inits[-1], *args, self._id_limit)
            done += k
            self.count += k

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
