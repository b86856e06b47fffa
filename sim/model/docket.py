"""The docket: one row per case in flight, columns as numpy arrays.

Rows of closed cases are recycled, so memory follows the cases in flight rather than every case ever
simulated. Agents (``Defendant``) read their row; the docket is the one source of truth for a case's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.kernel import jit
from sim.model.streams import BLOCK_WIDTH

# column name -> dtype. Months are sentence lengths; days are model days.
COLUMNS: dict[str, Any] = {
    "case_id": np.int64,
    "trials": np.int8,  # first-instance trials begun (a plea lost sends the case to trial anew)
    "arrival": np.int32,
    "arrival_seq": np.int32,  # place among its world's arrivals of the day (keys its remand stream)
    "district": np.int32,
    "prosecutor": np.int32,
    "judge": np.int32,  # global judge id; judge_local indexes the prosecutor's belief matrix
    "judge_local": np.int32,
    "lawyer": np.int32,  # duty lawyer id, -1 with a retained defender
    "retained": np.bool_,
    "state": np.int8,
    "procedure": np.int8,
    "next_event": np.int8,
    "next_day": np.int32,
    "stage_start": np.int32,
    # truth (known only to the simulation)
    "base": np.float64,  # sentence a court with an average norm gives after a contested trial, months
    "innocent": np.bool_,
    "evidence": np.float32,
    "p_conv": np.float32,  # true chance of conviction at a contested trial
    "mitigation": np.bool_,
    "overcharge": np.float32,  # relative overstatement of the charge in the prosecutor's framing
    "view_noise": np.float32,  # the court's case-specific assessment (log), unknowable to the prosecutor
    "view_factor": np.float32,  # its exp: a multiplier of the sentence (numpy float32 exp, at arrival)
    "suitability": np.float32,  # suitability for suspension (probit: lower is more suitable)
    "own_T": np.float64,  # the defendant's own belief about the trial sentence, before framing and advice
    "own_p": np.float32,
    "inv_cause": np.int8,  # 0 none, 1 pressure, 2 framing, 3 own error
    "recorded": np.bool_,  # the plea hearing was recorded
    "insisted": np.bool_,
    "explained": np.bool_,  # the judgment gives reasons
    "relief_seen": np.uint8,  # bit per relief type already seen in the case (initiations)
    "relief_class": np.int8,  # class of the case's latest relief initiation, -1 none
    # reason of the case's appeal (else protest), -1 none: second instance continues it
    "relief_reason": np.int8,
    "first_relief_day": np.int32,  # day of the case's first relief initiation, -1 none
    "hours_case": np.float32,  # public hours spent on the case so far (all actors)
    "relief_cls_bits": np.uint16,  # class of each initiating relief kind, 2 bits per kind (cases.parquet)
    "offer": np.float64,  # the first recommendation offered, months
    "detained_at_arrival": np.bool_,
    # the defendant
    "risk": np.float32,
    "literacy": np.float32,
    "taste": np.float32,
    "contests": np.bool_,
    "detained": np.bool_,
    "det_since": np.int32,  # day detention began, -1 if not detained
    "det_days": np.int32,  # pre-trial detention days served so far (completed spells)
    "belief_T": np.float64,  # believed trial sentence, months
    "belief_p": np.float32,  # believed conviction chance
    "framed_T": np.float64,  # trial sentence as the prosecutor frames it
    "pressure": np.float32,  # coercive pressure at the decision (log scale)
    "substantive": np.float32,  # substantiveness of the lawyer's help, 0-1
    "lawyer_minutes": np.float32,
    # the offer and the agreement
    "discount": np.float32,
    "target_boost": np.float32,  # discount points added under the application target (within the cap)
    "legal_discount": np.float32,  # the lawful discount the court applies
    "rec": np.float64,
    "rec_lo": np.float64,
    "rec_hi": np.float64,
    "determinate": np.bool_,
    "rec_suspended": np.bool_,  # the recommendation includes suspension (Art. 176)
    "signed": np.bool_,  # a plea agreement currently stands
    "ever_signed": np.bool_,  # a leniency case
    "lawyer_present": np.bool_,
    "involuntary": np.bool_,
    "accept_cf": np.bool_,  # decision with accurate beliefs and no coercion
    "found_involuntary": np.bool_,
    "withdrawn": np.bool_,
    # judgment and relief
    "hearing_time": np.float32,  # the judge's time factor for the hearing (1 = full time, less under load)
    # lawful sentence: true sentence at the average norm less the lawful discount, months
    "lawful": np.float64,
    "sentence": np.float64,
    "first_sentence": np.float64,  # first-instance sentence, kept to check second instance (Art. 237)
    "custodial": np.bool_,
    "convicted": np.bool_,
    "adopted": np.bool_,
    "promise_unfulfilled": np.bool_,
    "suspension_refused": np.bool_,  # suspension recommended and agreed, custody imposed
    "wrong_rec": np.bool_,
    "rec_reason": np.int8,  # why the court did not adopt the recommendation as signed (Reason), -1 adopted
    "appealed": np.bool_,
    "technical": np.bool_,
    "grounded": np.bool_,
    "protested": np.bool_,
    "punitive": np.bool_,
    "protest_motive": np.int8,  # the procuratorate's motive on file (MOTIVE_*), 0 none
    "remanded": np.bool_,  # sent back for retrial by the second instance (Art. 236)
    "leniency_judged": np.bool_,
    # triage (TriageParams): screened at risk at the plea hearing, reviewed in substance at trial,
    # decided in writing at second instance
    "at_risk": np.bool_,
    "triaged": np.bool_,
    "written_lane": np.bool_,
}


# Columns scanned whole every day stay contiguous arrays; the rest share one record per case (see Docket).
SOLO = ("next_day",)
# Blocks of words per case, stored case-major: one contiguous row per case (shape (capacity, width)).
# ``draws``: the case's behavioural draws, one 32-bit word per decision and occurrence (sim.model.streams);
# not a fact of the case. Why case-major, measured: a day's few thousand arrivals each write their whole
# block, which is one run of 164 bytes here but 41 scattered words, a cache miss each, word-major (shape
# (width, capacity)); a decision reads one word of each due case, one miss either way at national scale
# (rows scattered), and several words of one case read in one stage share a line. CPU time, paired runs
# against word-major: a national year 7.94 s -> 7.01 s (medians of 6, -11 %), batched district K = 128
# 3.89 s -> 3.73 s (-4 %); a district year (all in cache) +0.6 % (median of 21 pairs, noise +-4 %): there a
# day's arrivals sit in neighbouring rows, so word-major let them share a line per word, and the stages
# that read words cost ~2 % more. Blocks are not zeroed when rows are freed: whoever claims a row writes
# its whole block (``stages.arrive`` does).
BLOCKS: dict[str, tuple[Any, int]] = {"draws": (np.uint32, BLOCK_WIDTH)}


@jit
def _zero_rows(table: Any, rows: Any) -> None:
    """Zero the rows ``rows`` of rows of bytes (``_bytes``: the records, or a column's values); one compiled
    kernel for every column whatever its dtype."""
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(table.shape[1]):
            table[r, j] = 0


def _bytes(records: np.ndarray) -> np.ndarray:
    """Records (or a column's values) as rows of raw bytes: copying whole records this way is a memcpy, where
    numpy copies a structured array field by field (15x slower for a national docket)."""
    return records.view(np.uint8).reshape(len(records), records.dtype.itemsize)


class Docket:
    """A growable column store with a free-row stack; ``active`` marks rows holding a case in flight.

    Why this layout: a day touches a few thousand scattered rows, column by column. The columns of a case
    sit together in one aligned record (a numpy structured array; each column attribute is a strided field
    view), so the gathers of one stage pass share cache lines and zeroing a claimed row is one short
    memset. Columns that are scanned over the whole docket each day (``SOLO``) stay contiguous. Free rows
    sit on a preallocated stack (claim and release cost O(rows), not O(capacity)); released rows are zeroed
    by ``wipe`` at the end of the day while they are still in cache.
    """

    if TYPE_CHECKING:  # the columns of COLUMNS are attributes set at run time (views into the record array)

        def __getattr__(self, name: str) -> np.ndarray: ...

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = 0
        self.active = np.zeros(0, dtype=bool)
        fields = [(n, np.dtype(t)) for n, t in COLUMNS.items() if n not in SOLO]
        fields.sort(key=lambda f: -f[1].itemsize)  # widest first: every field naturally aligned
        self._record = np.dtype(fields, align=True)
        self._rows = np.zeros(0, dtype=self._record)
        self._raw = _bytes(self._rows)  # the records as rows of bytes (what ``wipe`` zeroes)
        self._solo = {n: np.zeros(0, dtype=COLUMNS[n]) for n in SOLO}
        self._blocks = {n: np.zeros((0, w), dtype=t) for n, (t, w) in BLOCKS.items()}
        self._free = np.zeros(0, dtype=np.int64)  # stack of free rows; the top is _free[_nfree - 1]
        self._nfree = 0
        self._high = 0  # rows at or above were never claimed: scans stop there
        self._dirty: list[np.ndarray] = []  # released rows not yet zeroed
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        old = self.capacity
        rows = np.zeros(capacity, dtype=self._record)
        _bytes(rows)[:old] = _bytes(self._rows)
        self._rows, self._raw = rows, _bytes(rows)
        for name in self._record.names or ():
            setattr(self, name, rows[name])
        for name, arr in self._solo.items():
            new = np.zeros(capacity, dtype=arr.dtype)
            new[:old] = arr
            self._solo[name] = new
            setattr(self, name, new)
        for name, block in self._blocks.items():
            grown = np.zeros((capacity, block.shape[1]), dtype=block.dtype)
            grown[:old] = block
            self._blocks[name] = grown
            setattr(self, name, grown)
        active = np.zeros(capacity, dtype=bool)
        active[:old] = self.active
        self.active = active
        # New rows go under the rows already free (the lowest new row on top of them), as before the stack.
        free = np.empty(capacity, dtype=np.int64)
        k = capacity - old
        free[:k] = np.arange(capacity - 1, old - 1, -1, dtype=np.int64)
        free[k : k + self._nfree] = self._free[: self._nfree]
        self._free = free
        self._nfree += k
        self.capacity = capacity

    def add(self, n: int) -> np.ndarray:
        """Claim ``n`` rows, all columns zeroed (``BLOCKS`` are the claimer's to write); returns their indices
        (most recently freed first)."""
        if self._dirty:
            self.wipe()
        if n > self._nfree:
            self._grow(max(2 * self.capacity, self.capacity + n))
        top = self._nfree
        rows = self._free[top - n : top][::-1].copy()
        self._nfree = top - n
        if n:
            self._high = max(self._high, int(rows.max()) + 1)
        self.active[rows] = True
        return rows

    def put_block(self, name: str, rows: np.ndarray, words: np.ndarray) -> None:
        """Write a block (``BLOCKS``) of claimed rows: ``words`` has one row per claimed row, a column per
        word."""
        _put_block(self._blocks[name], rows, words)

    def release(self, rows: np.ndarray) -> None:
        """Return rows of closed cases to the free stack; their values stay readable until ``wipe``."""
        k = len(rows)
        self.active[rows] = False
        self._free[self._nfree : self._nfree + k] = rows
        self._nfree += k
        self._dirty.append(rows)

    def wipe(self) -> None:
        """Zero the rows released since the last wipe (call at the end of a day, while they are still in
        cache)."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, []
        solo = [_bytes(arr) for arr in self._solo.values()]
        for rows in dirty:
            _zero_rows(self._raw, rows)
            for raw in solo:
                _zero_rows(raw, rows)

    def wasteful(self) -> bool:
        """More than half the docket is free rows beyond a small floor: worth giving back with ``compact``
        (which touches fresh memory for every case in flight, ~1 s at national scale)."""
        return self.capacity > 2 * max(self.in_flight, 1024)

    def compact(self) -> np.ndarray:
        """Move the cases in flight to rows 0..k-1 and give the rest of the memory back (when a run ends).

        Returns the old row of each case now in row 0..k-1: whoever keeps row numbers must remap them.
        """
        self.wipe()
        used = np.flatnonzero(self.active)
        k = len(used)
        keep = max(k, 1024)
        if keep >= self.capacity and (k == 0 or used[-1] == k - 1):  # already compact, nothing to give back
            return used
        rows = np.zeros(keep, dtype=self._record)
        _bytes(rows)[:k] = _bytes(self._rows)[used]
        self._rows, self._raw = rows, _bytes(rows)
        for name in self._record.names or ():
            setattr(self, name, rows[name])
        for name, arr in self._solo.items():
            new = np.zeros(keep, dtype=arr.dtype)
            new[:k] = arr[used]
            self._solo[name] = new
            setattr(self, name, new)
        for name, block in self._blocks.items():
            moved = np.zeros((keep, block.shape[1]), dtype=block.dtype)
            moved[:k] = block[used]
            self._blocks[name] = moved
            setattr(self, name, moved)
        self.active = np.zeros(keep, dtype=bool)
        self.active[:k] = True
        self._free = np.arange(keep - 1, -1, -1, dtype=np.int64)  # as fresh: the lowest free row on top
        self._nfree = keep - k
        self._high = k
        self.capacity = keep
        return used

    def due(self, day: int) -> np.ndarray:
        """Rows in flight whose next event falls on ``day``, ascending; only rows ever claimed are scanned."""
        return _due(self.active, self.next_day, self._high, day)

    @property
    def in_flight(self) -> int:
        return int(self.capacity - self._nfree)

    def row_of(self, case_id: int) -> int | None:
        """The row holding a case in flight, or None once it has closed."""
        hit = np.flatnonzero(self.active & (self.case_id == case_id))
        return int(hit[0]) if len(hit) else None

    def record(self, row: int) -> dict[str, Any]:
        """One case as a plain dict (for case stories and debugging); its random draws (``BLOCKS``) are not
        facts of the case and are left out."""
        return {name: getattr(self, name)[row].item() for name in COLUMNS}


@jit
def _due(active: Any, next_day: Any, high: int, day: int) -> np.ndarray:
    """``flatnonzero(active[:high] & (next_day[:high] == day))`` in one pass."""
    out = np.empty(high, dtype=np.int64)
    k = 0
    for r in range(high):
        if active[r] and next_day[r] == day:
            out[k] = r
            k += 1
    return out[:k].copy()


@jit
def _put_block(block: np.ndarray, rows: np.ndarray, words: np.ndarray) -> None:
    """Row by row: each a contiguous run of writes."""
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(block.shape[1]):
            block[r, j] = words[i, j]
