"""The validation claims as data: ``experiments/validation/claims.toml`` read into ``Claim`` objects.

Each claim is a paired experiment (control and treatment arms on the calibrated baseline, common random
numbers) with the parameters that cut its path (the link from the cause to the outcome), or the reason no
parameter isolates that path. A bad entry is one ``ScenarioError`` naming the file, the claim and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.model.scenario import SCENARIO_DIR, Scenario, ScenarioError, load_scenario, read_toml

CLAIMS_FILE = Path(__file__).resolve().parents[2] / "experiments" / "validation" / "claims.toml"
OFF_KINDS = ("path cut", "none")
CLAIM_KEYS = (
    "id",
    "section",
    "claim",
    "mechanism",
    "metric",
    "direction",
    "control",
    "treatment",
    "off_kind",
    "off",
    "reason",
)
ARM_KEYS = ("overrides", "reforms", "set", "preset")
PRESETS = ("power_low", "power_high")


@dataclass(frozen=True)
class Arm:
    """One side of an experiment: reform overlays and dotted-key overrides on top of the calibrated
    baseline."""

    overrides: Mapping[str, Any] = field(default_factory=dict)
    reforms: tuple[str, ...] = ()

    def build(self, base: Scenario, extra: Mapping[str, Any] | None = None) -> Scenario:
        s = load_scenario(base, reforms=self.reforms) if self.reforms else base
        over = {**self.overrides, **(extra or {})}
        return s.with_overrides(over) if over else s


@dataclass(frozen=True)
class Claim:
    """A causal claim as a paired experiment, with the overrides that cut its path on both arms (or, with
    ``off_kind = "none"``, the reason no parameter isolates the path)."""

    id: str
    section: str
    claim: str
    mechanism: str
    metric: str
    direction: int  # +1: treatment raises the metric; -1: lowers it
    control: Arm
    treatment: Arm
    off_kind: str = "path cut"  # "path cut" (the same overrides on both arms) or "none" (not cut)
    off: Mapping[str, Any] = field(default_factory=dict)  # path cut: applied to both arms
    reason: str = ""  # off_kind "none": why the path is not cut


def preset_power(name: str) -> dict[str, Any]:
    """The [power] table of a shipped preset (power_low / power_high) as overrides for the calibrated
    baseline."""
    return {f"power.{k}": v for k, v in read_toml(SCENARIO_DIR / f"{name}.toml")["power"].items()}


def _arm(raw: Any, sets: Mapping[str, dict[str, Any]], where: str) -> Arm:
    if not isinstance(raw, dict) or set(raw) - set(ARM_KEYS):
        raise ScenarioError(f"{where}: an arm is a table with keys among {', '.join(ARM_KEYS)}; got {raw!r}")
    overrides: dict[str, Any] = {}
    if "set" in raw:
        if raw["set"] not in sets:
            raise ScenarioError(f"{where}: set '{raw['set']}' unknown; [sets] has {', '.join(sets)}")
        overrides.update(sets[raw["set"]])
    if "preset" in raw:
        if raw["preset"] not in PRESETS:
            raise ScenarioError(f"{where}: preset '{raw['preset']}' unknown; allowed: {', '.join(PRESETS)}")
        overrides.update(preset_power(raw["preset"]))
    overrides.update(raw.get("overrides", {}))
    return Arm(overrides, tuple(raw.get("reforms", ())))


def load_claims(path: Path = CLAIMS_FILE) -> tuple[Claim, ...]:
    """Read and check the claims file."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    sets: dict[str, dict[str, Any]] = doc.get("sets", {})
    claims = []
    for i, raw in enumerate(doc.get("claims", [])):
        where = f"{path}: claims[{i}] ({raw.get('id', '?')})"
        missing = [k for k in ("id", "section", "claim", "mechanism", "metric", "direction") if k not in raw]
        if missing:
            raise ScenarioError(f"{where}: missing {', '.join(missing)}")
        unknown = sorted(set(raw) - set(CLAIM_KEYS))
        if unknown:
            raise ScenarioError(
                f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(CLAIM_KEYS)}"
            )
        if raw["direction"] not in (1, -1):
            raise ScenarioError(f"{where}: direction must be 1 or -1, got {raw['direction']!r}")
        kind = raw.get("off_kind", "path cut")
        if kind not in OFF_KINDS:
            raise ScenarioError(f"{where}: off_kind '{kind}' unknown; allowed: {', '.join(OFF_KINDS)}")
        off = raw.get("off", {})
        if isinstance(off, str):
            if off not in sets:
                raise ScenarioError(
                    f"{where}: off = '{off}' names no [sets] table; [sets] has {', '.join(sets)}"
                )
            off = sets[off]
        reason = raw.get("reason", "")
        if kind == "path cut" and not off:
            raise ScenarioError(
                f"{where}: a path cut needs off (the overrides that cut the path on both arms)"
            )
        if kind == "none" and (off or not reason):
            raise ScenarioError(
                f'{where}: off_kind = "none" takes no off and needs a reason (why it is not cut)'
            )
        claims.append(
            Claim(
                raw["id"],
                raw["section"],
                raw["claim"],
                raw["mechanism"],
                raw["metric"],
                raw["direction"],
                _arm(raw.get("control", {}), sets, f"{where} control"),
                _arm(raw.get("treatment", {}), sets, f"{where} treatment"),
                off_kind=kind,
                off=dict(off),
                reason=reason,
            )
        )
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"{path}: claim ids must be unique; got {ids}")
    return tuple(claims)


CLAIMS: tuple[Claim, ...] = load_claims()
