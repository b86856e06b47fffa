"""Levers: each reform of the study as a continuous intensity (0 = today, 1 = the full reform) and each triage
policy as a share. A lever moves the parameters its reform overlay moves, by the same operations, a fraction
of the way; it acts only on behaviour, like the overlay it comes from, and its cost in hours is whatever the
model then books (never a figure of its own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.model.reforms import find_reform, reform_names
from sim.model.registry import PARAMS, param
from sim.model.scenario import Scenario, apply_op, overlay_changes, read_toml


@dataclass(frozen=True)
class Lever:
    """A named lever: the parameters it moves and, for each, the operation that gives its value at 1."""

    name: str
    description: str
    changes: tuple[tuple[str, str, Any], ...]  # (dotted key, operation, operand)

    def __post_init__(self) -> None:
        for key, _, _ in self.changes:
            param(key, f"lever {self.name}")  # each key a declared parameter

    def values(self, base: Mapping[str, Any], x: float) -> dict[str, Any]:
        """The parameters at intensity ``x`` (0-1): today's value moved a fraction ``x`` toward the full
        reform's; whole-number parameters (staff) round."""
        out: dict[str, Any] = {}
        for key, op, operand in self.changes:
            now = base[key]
            full = apply_op(now, op, operand, self.name, key)
            value = (1.0 - x) * now + x * full  # exact at both ends
            out[key] = int(round(value)) if PARAMS[key].whole else value
        return out


def _reform_lever(name: str) -> Lever:
    reform = find_reform(name)
    changes = tuple(sorted(overlay_changes(read_toml(reform.path), str(reform.path))))
    return Lever(name, reform.description, changes)


TRIAGE_LEVERS: dict[str, Lever] = {
    "triage_review": Lever(
        "triage_review",
        "substantive voluntariness review at trial for at-risk plea cases (share of them)",
        (("triage.review_share", "set", 1.0),),
    ),
    "triage_lawyer_time": Lever(
        "triage_lawyer_time",
        "duty-lawyer consultation time allocated to at-risk cases first (same total)",
        (("triage.lawyer_risk_weight", "set", 1.0),),
    ),
    "triage_written_lane": Lever(
        "triage_written_lane",
        "written second-instance lane for appeals raising no new ground against short sentences",
        (("triage.written_lane_share", "set", 1.0),),
    ),
}


def lever_names() -> tuple[str, ...]:
    """Every lever: each reform in the catalogue (``sim.model.reforms``), then the triage policies."""
    return (*reform_names(), *TRIAGE_LEVERS)


def lever(name: str) -> Lever:
    """A lever by name (a reform or a triage policy)."""
    if name in TRIAGE_LEVERS:
        return TRIAGE_LEVERS[name]
    if name in reform_names():
        return _reform_lever(name)
    raise KeyError(name)


def scenario_at(base: Scenario, levers: Sequence[Lever], x: Sequence[float]) -> Scenario:
    """The scenario with each lever at its intensity; two levers moving one parameter add their moves."""
    flat = base.flat()
    moved: dict[str, Any] = {}
    for lv, xi in zip(levers, x, strict=True):
        for key, value in lv.values(flat, float(xi)).items():
            moved[key] = value if key not in moved else moved[key] + (value - flat[key])
    for key, value in moved.items():
        if PARAMS[key].whole:
            moved[key] = int(round(value))
    return base.with_overrides(moved, "levers")
