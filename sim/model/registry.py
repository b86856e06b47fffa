"""The registry of parameters: one typed entry per scenario parameter, built from its declaration in
``params_*.py`` (kind, unit, inclusive range, default, meaning, and whether it may differ between the worlds
of a batch).

Whatever lets a parameter vary reads it here rather than restating it: a sweep's factors (is the key a
parameter, does a sampled value round), the optimizer's levers, the calibration's free parameters (bounds
inside the declared range), the app's sliders (default and range), batching (``PER_WORLD``) and the
parameter reference (``docs/parameters.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sim.model.errors import ScenarioError
from sim.model.schema import Scenario, bounds

# sections of the scenario that hold no parameters
NOT_PARAMETERS = ("meta", "timeline")


@dataclass(frozen=True, slots=True)
class Param:
    """One scenario parameter as declared: ``key`` is its dotted path (``power.target_pressure``)."""

    key: str
    kind: type
    default: Any
    lo: float | None
    hi: float | None
    unit: str
    meaning: str
    per_world: bool

    @property
    def whole(self) -> bool:
        """A count (staff, days): a value moved part of the way or sampled must round."""
        return self.kind is int

    def cast(self, value: float) -> Any:
        """A number (a sampled factor value) as this parameter's kind: a count rounds, a switch is
        true/false, anything else is a float."""
        if self.kind is bool:
            return bool(value)
        if self.whole:
            return int(round(float(value)))
        return float(value)

    def holds(self, lo: float, hi: float) -> bool:
        """Whether ``[lo, hi]`` (lo < hi) lies inside the declared range."""
        low = self.lo if self.lo is not None else -float("inf")
        high = self.hi if self.hi is not None else float("inf")
        return low <= lo < hi <= high


def _declared() -> dict[str, Param]:
    out: dict[str, Param] = {}
    for section, sinfo in Scenario.model_fields.items():
        if section in NOT_PARAMETERS:
            continue
        model: Any = sinfo.annotation
        for name, info in model.model_fields.items():
            lo, hi, unit = bounds(info)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            out[f"{section}.{name}"] = Param(
                key=f"{section}.{name}",
                kind=info.annotation,
                default=info.default,
                lo=lo,
                hi=hi,
                unit=unit,
                meaning=info.description or "",
                per_world=bool(extra.get("per_world", False)),
            )
    return out


PARAMS: Mapping[str, Param] = MappingProxyType(_declared())
# The keys that may take one value per world of a batched model (declared with ``per_world=True``).
PER_WORLD: frozenset[str] = frozenset(k for k, p in PARAMS.items() if p.per_world)


def param(key: str, source: str = "parameters") -> Param:
    """The declared parameter ``key``, or a ScenarioError naming ``source`` and the section's parameters."""
    found = PARAMS.get(key)
    if found is not None:
        return found
    section = key.split(".")[0]
    known = [k for k in PARAMS if k.startswith(section + ".")]
    hint = f"parameters of [{section}]: {', '.join(known)}" if known else "e.g. power.target_pressure"
    raise ScenarioError(f"{source}: '{key}' is not a scenario parameter; {hint}")


def param_table() -> list[dict[str, Any]]:
    """Rows of the parameter reference (key, unit, range, default, description, per world)."""
    return [
        {
            "key": p.key,
            "unit": p.unit,
            "min": p.lo,
            "max": p.hi,
            "default": p.default,
            "description": p.meaning,
            "per_world": p.per_world,
        }
        for p in PARAMS.values()
    ]
