"""The spec of ``leniency optimize``: levers, objectives, an hours budget and the search. Read through the one
spec loader (:mod:`sim.experiments.design.file`), like a sweep spec: anything wrong is one :class:`SpecError`
naming the file, the key and what is allowed, before anything runs or is written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from sim.experiments.design.file import SpecError, StrictSpec, apply_flags, beside, load_spec_file
from sim.model.metrics import METRICS
from sim.model.scenario import SCALES, Scenario, ScenarioError, load_scenario
from sim.optimize.levers import TRIAGE_LEVERS, lever_names

# The default objectives: non-essential relief, the essential relief better practice would have made
# unnecessary (what most reforms aim at), what the review misses, and what it all costs.
DEFAULT_OBJECTIVES = (
    "relief_initiations_per_100_nonessential",
    "relief_initiations_per_100_essential_avoidable",
    "undetected_involuntary_per_100",
    "hours_per_case_total",
)


class Budget(StrictSpec):
    """Hours a court and procuratorate can add per case, over today's on the same seeds."""

    extra_hours_per_case: float = Field(gt=0, description="hours per case above today's (must be > 0)")
    metric: str = Field("hours_per_case_total", description="the summary metric the budget caps")

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"unknown metric {v!r}; the hours metrics are: {', '.join(_hours_metrics())}")
        return v


class Search(StrictSpec):
    """The multi-objective search (pymoo) and how each candidate is evaluated."""

    algorithm: Literal["nsga2", "nsga3"] = Field("nsga2", description="pymoo algorithm")
    population: int = Field(24, ge=4, le=5000, description="candidates per generation")
    generations: int = Field(10, ge=1, le=1000, description="generations, the first being the start")
    replications: int = Field(4, ge=1, le=1000, description="seeds per candidate (common to all candidates)")
    marginal_step: float = Field(0.2, gt=0, le=1, description="lever step of the marginal-value estimate")
    marginal_replications: int = Field(
        0, ge=0, le=1000, description="fresh seeds of the marginal values (0: four times replications)"
    )

    @property
    def marginal_seeds(self) -> int:
        """A step's effect is small against run-to-run noise: more seeds than a candidate gets."""
        return self.marginal_replications or 4 * self.replications


class OptimizeSpec(StrictSpec):
    """A resource question: which levers, which objectives (all minimised), which budget."""

    name: str = Field(min_length=1)
    description: str = ""
    scenario: str | None = Field(None, description="scenario TOML (relative to the spec); default baseline")
    scale: str | None = Field("district", description=f"scale preset: {', '.join(SCALES)}")
    master_seed: int = Field(ge=0)
    levers: list[str] = Field(
        min_length=1,
        description=f"any reform (a file in scenarios/reforms/) or {', '.join(TRIAGE_LEVERS)}",
    )
    objectives: list[str] = Field(default_factory=lambda: list(DEFAULT_OBJECTIVES), min_length=1)
    budget: Budget
    search: Search = Field(default_factory=lambda: Search())
    overrides: dict[str, Any] = Field(default_factory=dict, description="dotted parameter overrides")

    @field_validator("levers")
    @classmethod
    def _known_levers(cls, v: list[str]) -> list[str]:
        names = lever_names()
        for name in v:
            if name not in names:
                raise ValueError(f"unknown lever {name!r}; allowed: {', '.join(names)}")
        if len(set(v)) != len(v):
            raise ValueError("each lever once")
        return v

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; see docs/metrics or `leniency run --all`")
        if len(set(v)) != len(v):
            raise ValueError("each objective once")
        return v

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, v: str | None) -> str | None:
        if v is not None and v not in SCALES:
            raise ValueError(f"unknown scale {v!r}; allowed: {', '.join(SCALES)}")
        return v

    def digest(self) -> str:
        """What a resumed search must share with the one it resumes (population, generations and
        replications may grow; the marginal values may be asked for anew)."""
        grow = {"population", "generations", "replications", "marginal_step", "marginal_replications"}
        keep = self.model_dump(exclude={"search": grow})
        return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:16]


def _hours_metrics() -> list[str]:
    return [m for m in METRICS if m.startswith("hours_per_case_") and m.count("_") <= 3]


def load_spec(path: str | Path, overrides: dict[str, int] | None = None) -> tuple[OptimizeSpec, Scenario]:
    """Read and validate a spec (command-line search sizes override it) and resolve its base scenario."""
    p = Path(path)
    spec = load_spec_file(p, OptimizeSpec)
    # command-line sizes, bounded exactly as the spec's [search] keys; an error names the flag
    given = {k: (f"--{k.replace('_', '-')}", v) for k, v in (overrides or {}).items() if v is not None}
    spec = spec.model_copy(update={"search": apply_flags(spec.search, given, where="search.")})
    scenario_path = beside(p, spec.scenario) if spec.scenario is not None else None
    try:
        base = load_scenario(scenario_path, scale=spec.scale, overrides=spec.overrides)
    except ScenarioError as exc:
        raise SpecError(f"{p}: {exc}") from None
    return spec, base
