"""Triage: which plea cases the court and the duty-lawyer office treat as at risk of an involuntary plea.

The screen sees only what is on file (detention, literacy, the offered discount, the evidence), never
whether a plea is in fact involuntary; the policies that use it are in ``TriageParams``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model import streams
from sim.model.kernel import helper, jit, uniform32

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def screen_terms(model: LeniencyModel) -> tuple[np.float32, np.float32, np.float32, int]:
    """What the screen reads (``flags_at``): its thresholds in float32, as numpy compares a float32 column
    with a Python float, and the flags that put a case at risk."""
    t = model.params.triage
    return np.float32(t.low_literacy), np.float32(t.deep_discount), np.float32(t.weak_evidence), t.risk_flags


@helper
def flags_at(
    detained: Any, literacy: Any, discount: Any, evidence: Any, low_literacy: np.float32,
    deep_discount: np.float32, weak_evidence: np.float32,
) -> int:  # fmt: skip
    """A case's risk flags: detained, low literacy, deep discount, weak evidence."""
    n = 1 if detained else 0
    n += 1 if literacy < low_literacy else 0
    n += 1 if discount >= deep_discount else 0
    n += 1 if evidence < weak_evidence else 0
    return n


def by_risk(weight: float, risky: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Multipliers that move a share ``weight`` of a fixed amount of time to the at-risk cases of a batch
    (of each group of it: the worlds of a batched model); their mean is 1, so the total time is unchanged."""
    out = np.ones(len(risky))
    if weight > 0.0 and len(risky):
        if groups is None:
            groups = np.zeros(len(risky), dtype=np.int64)
        _by_risk(weight, risky, groups, int(groups.max()) + 1, out)
    return out


@jit
def _by_risk(weight: float, risky: np.ndarray, groups: np.ndarray, n_groups: int, out: np.ndarray) -> None:
    """``by_risk``: each group's at-risk share (counted, so exact as numpy's mean and bincount), then the
    multipliers (1 where a group has no case at risk)."""
    cases, at = np.zeros(n_groups), np.zeros(n_groups)
    for i in range(risky.shape[0]):
        cases[groups[i]] += 1.0
        if risky[i]:
            at[groups[i]] += 1.0
    for i in range(risky.shape[0]):
        share = at[groups[i]] / max(cases[groups[i]], 1.0)
        if share > 0.0:
            out[i] = (1.0 - weight) + weight * (1.0 if risky[i] else 0.0) / share


@helper
def picks(eligible: bool, word: Any, share: float) -> bool:
    """``chosen`` for one case inside a kernel: ``word`` is the case's draw for the policy's slot."""
    if not eligible or share <= 0.0:
        return False
    return share >= 1.0 or uniform32(word) < share


def chosen(
    model: LeniencyModel,
    slot: str,
    rows: np.ndarray,
    eligible: np.ndarray,
    share: float,
    occurrence: int | np.ndarray = 0,
) -> np.ndarray:
    """A share of the eligible cases ``rows`` (each case's own draw for ``slot``; none when the policy is
    off or total)."""
    out = np.empty(len(rows), dtype=bool)
    occurrences = np.asarray(occurrence, dtype=np.int64).reshape(-1)
    _chosen(model.docket.draws, streams.CASE_COLUMN[slot], rows, eligible, share, occurrences, out)
    return out


@jit
def _chosen(
    draws: np.ndarray, column: int, rows: np.ndarray, eligible: np.ndarray, share: float,
    occurrences: np.ndarray, out: np.ndarray,
) -> None:  # fmt: skip
    """``chosen``: ``occurrences`` holds one occurrence per row, or one for all."""
    one = occurrences.shape[0] != rows.shape[0]
    for i in range(rows.shape[0]):
        r = rows[i]
        out[i] = picks(eligible[i], draws[r, column + occurrences[0 if one else i]], share)
