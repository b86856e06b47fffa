"""Triage: which plea cases the court and the duty-lawyer office treat as at risk of an involuntary plea.

The screen sees only what is on file (detention, literacy, the offered discount, the evidence), never
whether a plea is in fact involuntary; the policies that use it are in ``TriageParams``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import streams

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def risk_flags(model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
    """The number of risk flags of each case: detained, low literacy, deep discount, weak evidence."""
    d, t = model.docket, model.params.triage
    flags = d.detained[rows].astype(np.int8)
    flags += d.literacy[rows] < t.low_literacy
    flags += d.discount[rows] >= t.deep_discount
    flags += d.evidence[rows] < t.weak_evidence
    return flags


def at_risk(model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
    """Cases showing at least ``triage.risk_flags`` flags."""
    return risk_flags(model, rows) >= model.params.triage.risk_flags


def by_risk(weight: float, risky: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Multipliers that move a share ``weight`` of a fixed amount of time to the at-risk cases of a batch
    (of each group of it: the worlds of a batched model); their mean is 1, so the total time is unchanged."""
    if weight <= 0.0 or not len(risky):
        return np.ones(len(risky))
    if groups is None:
        share = np.full(len(risky), risky.mean())
    else:
        share = (np.bincount(groups, weights=risky) / np.maximum(np.bincount(groups), 1))[groups]
    safe = np.where(share > 0.0, share, 1.0)
    return np.where(share > 0.0, (1.0 - weight) + weight * risky / safe, 1.0)


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
    if share <= 0.0:
        return np.zeros(len(eligible), dtype=bool)
    if share >= 1.0:
        return eligible.copy()
    return eligible & (streams.uniform(model, slot, rows, occurrence) < share)
