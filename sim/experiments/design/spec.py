"""Experiment specs: what a sweep varies, how often it replicates, what it keeps.

A spec is a TOML file read through the one spec loader (:mod:`sim.experiments.design.file`): anything wrong
raises :class:`SpecError` (a ``ScenarioError``, so the command line exits 2 before running anything) naming
the file, the key and what is allowed. The design points, samplers and seeds built from a spec live in
:mod:`sim.experiments.design.plan`.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.experiments.design.file import (
    FromArray,
    SpecError,
    StrictSpec,
    apply_flags,
    beside,
    load_spec_file,
    validate_spec,
)
from sim.model.metrics import METRICS
from sim.model.registry import PARAMS
from sim.model.scenario import (
    POWER_PRESETS,
    SCALES,
    Scenario,
    ScenarioError,
    load_scenario,
    overlay_path,
    read_toml,
    reform_names,
)
from sim.model.schema import flatten

DESIGNS = ("grid", "lhs", "sobol", "morris")
# One-line reform arm sets over the reform catalogue (sim.model.reforms): "baseline" (no reform), "each"
# (every reform alone), "all" (all together), "all_subsets" (every subset, the empty one being the baseline;
# 64 for the six shipped reforms).
REFORM_ARM_SETS = ("baseline", "each", "all", "all_subsets")
RESERVED_COLUMNS = frozenset(
    {
        "run_id",
        "arm",
        "point",
        "point_key",
        "replication",
        "seed",
        "status",
        "duration_s",
        "error",
        "traceback",
        "worker",
        "finished_at",
        "scenario_hash",
    }
)
# Shown first in summaries and reports when a spec names no headline outcomes (the seed's concerns: relief,
# voluntariness, resources).
DEFAULT_HEADLINE = (
    "application_rate",
    "adoption_rate",
    "relief_initiations_per_100_nonessential",
    "relief_initiations_per_100_essential_avoidable",
    "relief_initiations_per_100_essential_unavoidable",
    "undetected_involuntary_per_100",
    "hours_per_case_total",
)


class Arm(StrictSpec):
    """A named combination of reform overlays, an optional power preset and parameter overrides."""

    name: str = Field(min_length=1, description="arm name, unique in the spec")
    reforms: list[str] = Field(
        default_factory=list, description="reform names (files in scenarios/reforms/, sim.model.reforms)"
    )
    preset: str | None = Field(None, description=f"power preset overlay: {', '.join(POWER_PRESETS)}")
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted scenario keys -> values")

    @field_validator("reforms")
    @classmethod
    def _known_reforms(cls, v: list[str]) -> list[str]:
        names = reform_names()
        bad = [r for r in v if r not in names]
        if bad:
            raise ValueError(f"unknown reform {bad[0]!r}; allowed: {', '.join(names)}")
        return sorted(set(v), key=names.index)


class Composite(StrictSpec):
    """A factor that moves several parameters together, linearly from ``low`` (value 0) to ``high`` (value
    1)."""

    low: dict[str, float] = Field(description="dotted scenario keys -> values at factor value 0")
    high: dict[str, float] = Field(description="the same keys -> values at factor value 1")

    @model_validator(mode="after")
    def _same_keys(self) -> Composite:
        if set(self.low) != set(self.high) or not self.low:
            raise ValueError("low and high must name the same, non-empty set of scenario keys")
        return self


class Factors(StrictSpec):
    """Parameters varied across design points: an explicit grid or ranges sampled by a design."""

    design: Literal["grid", "lhs", "sobol", "morris"] = Field(description="grid | lhs | sobol | morris")
    grid: dict[str, list[float]] = Field(
        default_factory=dict, description="design = grid: factor -> list of values"
    )
    ranges: dict[str, Annotated[tuple[float, float], FromArray]] = Field(
        default_factory=dict, description="lhs/sobol/morris: factor -> [low, high]"
    )
    samples: int = Field(
        64,
        ge=2,
        le=1_000_000,
        description="lhs: points; sobol: base samples N (a power of 2); morris: trajectories",
    )
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels")
    second_order: bool = Field(
        False, description="sobol: also second-order indices (N*(2D+2) points instead of N*(D+2))"
    )
    seed: int | None = Field(None, ge=0, description="sampler seed (default: the spec's master_seed)")
    composite: dict[str, Composite] = Field(
        default_factory=dict, description="named factors moving several keys together"
    )
    before_reforms: bool = Field(
        False,
        description="the factors set the world each arm's reforms then change, as a power preset does "
        "(a reform capping power.detention_leverage caps the point's value); default: they override the arm",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Factors:
        if self.design == "grid":
            if not self.grid or self.ranges:
                raise ValueError(
                    "design 'grid' needs [factors.grid] (factor = [values]) and no [factors.ranges]"
                )
            for k, vals in self.grid.items():
                if not vals:
                    raise ValueError(f"grid factor '{k}' has no values")
        else:
            if not self.ranges or self.grid:
                raise ValueError(
                    f"design '{self.design}' needs [factors.ranges] (factor = [low, high]) and no "
                    f"[factors.grid]"
                )
            for k, (lo, hi) in self.ranges.items():
                if not lo < hi:
                    raise ValueError(f"range of '{k}' must have low < high, got [{lo}, {hi}]")
            if self.design == "sobol" and self.samples & (self.samples - 1):
                raise ValueError(
                    f"sobol samples must be a power of 2 (Sobol' sequence balance), got {self.samples}"
                )
        unused = set(self.composite) - set(self.names)
        if unused:
            raise ValueError(f"composite factor(s) {sorted(unused)} defined but not varied")
        return self

    @property
    def names(self) -> list[str]:
        return list(self.grid if self.design == "grid" else self.ranges)


class ExperimentSpec(StrictSpec):
    """A whole experiment. Design points are arms x factor points; every point has ``replications`` runs."""

    name: str = Field(min_length=1, description="experiment name")
    description: str = Field(min_length=1, description="the question the experiment answers")
    scenario: str | None = Field(
        None, description="base scenario TOML (relative to the spec file), default the embedded baseline"
    )
    scale: Literal["classroom", "district", "national"] = Field(
        "district", description=f"scale preset: {', '.join(SCALES)}"
    )
    master_seed: int = Field(20260101, ge=0, lt=2**63, description="root of every run's seed")
    replications: int = Field(10, ge=1, le=100_000, description="runs per design point")
    max_replications: int = Field(200, ge=2, le=100_000, description="cap for --target-ci")
    baseline_arm: str | None = Field(
        None, description="arm the paired differences are taken against (default: the first arm)"
    )
    outcomes: list[str] | Literal["all"] = Field(
        "all", description="metrics kept per run: 'all' or a list of sim.model.metrics names"
    )
    headline: list[str] = Field(
        default_factory=lambda: list(DEFAULT_HEADLINE),
        description="metrics shown first in summaries and reports",
    )
    daily: bool = Field(False, description="keep each run's daily series")
    cases: bool = Field(
        False, description="keep each run's per-case table (cases.parquet: one row per closed case; large)"
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="dotted scenario keys fixed for every run"
    )
    reform_arms: list[Literal["baseline", "each", "all", "all_subsets"]] = Field(
        default_factory=list, description=f"generated reform arms: any of {', '.join(REFORM_ARM_SETS)}"
    )
    arms: list[Arm] = Field(default_factory=list, description="named arms ([[arms]] tables)")
    factors: Factors | None = Field(None, description="parameters varied across design points")
    point_estimate: bool = Field(
        True,
        description="with --posterior: also run every design point at the point estimate (posterior = 0); "
        "false runs only over the draws (posterior draws x design points, e.g. for scenario discovery)",
    )

    @field_validator("reform_arms", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("outcomes", "headline")
    @classmethod
    def _known_metrics(cls, v: Any) -> Any:
        if v == "all":
            return v
        bad = [m for m in v if m not in METRICS]
        if bad:
            raise ValueError(
                f"unknown metric {bad[0]!r}; allowed: any of sim.model.metrics.METRICS "
                f"({', '.join(list(METRICS)[:8])}, ...)"
            )
        return v

    @model_validator(mode="after")
    def _arms_and_names(self) -> ExperimentSpec:
        arms = self.all_arms()
        if not arms:
            raise ValueError(
                "no arms: give reform_arms = [...] and/or [[arms]] tables (an arm with no reforms is the "
                "baseline)"
            )
        names = [a.name for a in arms]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"arm names must be unique, repeated: {', '.join(sorted(dup))}")
        if self.baseline_arm is not None and self.baseline_arm not in names:
            raise ValueError(
                f"baseline_arm {self.baseline_arm!r} is not an arm; arms: {', '.join(names[:10])}"
            )
        if self.max_replications < self.replications:
            raise ValueError(
                f"max_replications ({self.max_replications}) is below replications ({self.replications})"
            )
        if self.factors is not None:
            clash = set(self.factors.names) & (RESERVED_COLUMNS | set(METRICS))
            if clash:
                raise ValueError(f"factor name(s) {sorted(clash)} clash with result columns")
        if self.outcomes != "all":
            missing = [h for h in self.headline if h not in self.outcomes]
            if missing:
                raise ValueError(f"headline metric {missing[0]!r} is not among the outcomes kept")
        return self

    def all_arms(self) -> list[Arm]:
        """Generated reform arms (in the catalogue's order) followed by the named ones."""
        names = reform_names()
        out: list[Arm] = []
        for kind in self.reform_arms:
            if kind == "baseline":
                subsets: list[tuple[str, ...]] = [()]
            elif kind == "each":
                subsets = [(r,) for r in names]
            elif kind == "all":
                subsets = [names]
            else:
                subsets = [c for k in range(len(names) + 1) for c in itertools.combinations(names, k)]
            for s in subsets:
                name = reform_arm_name(s)
                if all(a.name != name for a in out):
                    out.append(Arm(name=name, reforms=list(s)))
        return out + list(self.arms)

    @property
    def baseline(self) -> str:
        return self.baseline_arm or self.all_arms()[0].name

    def outcome_names(self) -> list[str]:
        return list(METRICS) if self.outcomes == "all" else list(self.outcomes)


def reform_arm_name(reforms: tuple[str, ...]) -> str:
    """'baseline' for no reform, the reform's name alone, 'all_reforms' for all of them, else names joined by
    '+'."""
    if not reforms:
        return "baseline"
    if len(reforms) == len(reform_names()):
        return "all_reforms"
    return "+".join(reforms)


def parse_spec(data: Mapping[str, Any], source: str = "spec") -> ExperimentSpec:
    """A spec document already read (a dict), validated as a spec file's would be; errors name ``source``."""
    return validate_spec(ExperimentSpec, dict(data), source)


def with_flags(spec: ExperimentSpec, flags: Mapping[str, tuple[str, Any]]) -> ExperimentSpec:
    """The spec with command-line values (key -> (flag, value); value None: not given), each bounded like
    the spec key it overrides. --replications above the spec's max_replications raises that cap with it."""
    given = {k: fv for k, fv in flags.items() if fv[1] is not None}
    reps = given.get("replications", ("", None))[1]
    also: dict[str, Any] = {}
    if "max_replications" not in given and isinstance(reps, int):
        also["max_replications"] = max(spec.max_replications, reps)
    return apply_flags(spec, given, also)


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read, validate and check a spec file against the scenario schema (every arm and factor resolves)."""
    p = Path(path)
    spec = load_spec_file(p, ExperimentSpec)
    if spec.scenario is not None:
        spec = spec.model_copy(update={"scenario": str(beside(p, spec.scenario))})
    check_against_schema(spec, str(p))
    return spec


def arm_scenario(
    spec: ExperimentSpec, arm: Arm, source: str = "spec", world: Mapping[str, Any] | None = None
) -> Scenario:
    """The resolved scenario of an arm: base, power preset and ``world`` (the world: a design point's values
    with ``before_reforms``), reforms (changes to it), scale, spec overrides, arm overrides; named after the
    arm."""
    over: dict[str, Any] = {**spec.overrides, **arm.overrides, "meta.name": arm.name}
    try:
        base: str | Scenario | None = spec.scenario
        if arm.preset is not None:
            preset = read_toml(overlay_path(arm.preset, "preset"))
            base = load_scenario(
                spec.scenario, overrides=flatten({k: v for k, v in preset.items() if k != "meta"})
            )
        if world:
            base = load_scenario(base, overrides=world)
        return load_scenario(base, reforms=arm.reforms, scale=spec.scale, overrides=over)
    except ScenarioError as exc:
        raise SpecError(f"{source}: arm '{arm.name}': {exc}") from None


def factor_overrides(factors: Factors, values: Mapping[str, float]) -> dict[str, Any]:
    """Dotted overrides for one factor point; composites interpolate; each value takes its parameter's
    declared kind (a count rounds)."""
    out: dict[str, Any] = {}
    for name, v in values.items():
        if name in factors.composite:
            c = factors.composite[name]
            for key in c.low:
                out[key] = c.low[key] + float(v) * (c.high[key] - c.low[key])
        else:
            out[name] = v
    for key, v in out.items():
        p = PARAMS.get(key)
        out[key] = p.cast(v) if p is not None else float(v)
    return out


def check_against_schema(spec: ExperimentSpec, source: str) -> None:
    """Resolve every arm and every factor extreme, so a bad key or value fails before anything runs."""
    arms = spec.all_arms()
    bases = [arm_scenario(spec, a, source) for a in arms]
    if spec.factors is None:
        return
    f = spec.factors
    for name in f.names:
        if name not in f.composite and name not in PARAMS:
            raise SpecError(
                f"{source}: factor '{name}' is not a scenario parameter (a dotted key like "
                f"power.information_asymmetry, or a [factors.composite.{name}] table)"
            )
    extremes = f.grid if f.design == "grid" else {k: list(v) for k, v in f.ranges.items()}
    for name, vals in extremes.items():
        for v in vals:
            if name in f.composite and not 0.0 <= v <= 1.0:
                raise SpecError(
                    f"{source}: key 'factors.{'grid' if f.design == 'grid' else 'ranges'}.{name}': "
                    f"composite factor values must lie in [0, 1], got {v}"
                )
            for arm, base in zip(arms, bases, strict=True):
                try:
                    base.with_overrides(factor_overrides(f, {name: v}), source=f"factor {name}={v}")
                except ScenarioError as exc:
                    raise SpecError(f"{source}: arm '{arm.name}': {exc}") from None


def spec_to_toml_text(path: str | Path) -> str:
    """The spec file's text, for storing beside the results (checked to parse)."""
    text = Path(path).read_text(encoding="utf-8")
    tomllib.loads(text)
    return text
