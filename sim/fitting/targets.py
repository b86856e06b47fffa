"""The calibration's specification: targets (published figures with tolerances, weights and sources), free
parameters with bounds, and budgets, read from ``experiments/calibration/targets.toml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from sim.experiments.design.file import SpecError, StrictSpec, load_spec_file, validate_spec
from sim.experiments.design.plan import REPLICATION_BATCH
from sim.model.metrics import METRICS
from sim.model.registry import PARAMS, Param
from sim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
TARGETS_PATH = ROOT / "experiments" / "calibration" / "targets.toml"


# --- specification
# -----------------------------------------------------------------------------------------------
def fit_warmup(base: Scenario, days: int) -> int:
    """The warm-up of a fit run: the scenario's own, but at most a third of a shortened (quick) run."""
    return min(base.run.warmup_days, days // 3)


@dataclass(frozen=True)
class Target:
    """A published figure the baseline should reproduce."""

    metric: str
    value: float
    tolerance: float
    weight: float
    source: str

    @property
    def active(self) -> bool:
        """A target counts only when its metric is defined in sim/metrics.py (one definition of each
        figure)."""
        return self.metric in METRICS


@dataclass(frozen=True)
class FreeParam:
    """A behavioural parameter the fit may move, within [lo, hi], meant to move ``targets``."""

    key: str
    lo: float
    hi: float
    targets: tuple[str, ...]

    @property
    def declared(self) -> Param | None:
        """The parameter as the schema declares it (None: no such parameter, so it is held fixed)."""
        return PARAMS.get(self.key)


@dataclass(frozen=True)
class CalibrationSpec:
    targets: tuple[Target, ...]
    parameters: tuple[FreeParam, ...]
    settings: Mapping[str, Any]
    source: str = ""

    @property
    def active_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.active)

    @property
    def missing_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if not t.active)

    @property
    def free(self) -> tuple[FreeParam, ...]:
        """Parameters that exist in the schema and move at least one active target; the rest are held
        fixed."""
        active = {t.metric for t in self.active_targets}
        return tuple(p for p in self.parameters if p.declared and active.intersection(p.targets))

    @property
    def held(self) -> tuple[FreeParam, ...]:
        free = {p.key for p in self.free}
        return tuple(p for p in self.parameters if p.key not in free)


class Settings(StrictSpec):
    """The fit's budgets and seeds ([settings]); strict like every spec: true is not a count."""

    seed_entropy: int = Field(
        20240401, ge=0, lt=2**63, description="SeedSequence entropy of fit and check seeds"
    )
    prior_weight: float = Field(1.0, ge=0, description="weight of the prior toward the schema defaults")
    fit_seeds: int = Field(4, ge=1, le=1000, description="replications per candidate")
    fit_batch: int = Field(1, ge=1, le=REPLICATION_BATCH, description="fit seeds per batched model")
    fit_days: int = Field(365, ge=2, le=36_500, description="run.days during the fit")
    fit_drain_days: int = Field(240, ge=0, le=36_500, description="run.drain_days during the fit")
    check_seeds: int = Field(20, ge=1, le=10_000, description="fresh seeds of the fit table")
    de_popsize: int = Field(2, ge=1, le=1000, description="differential evolution: population per parameter")
    de_maxiter: int = Field(2, ge=0, le=10_000, description="differential evolution generations (0: none)")
    nm_maxfev: int = Field(100, ge=1, le=1_000_000, description="Nelder-Mead evaluations")
    quick_seeds: int = Field(2, ge=1, le=1000, description="--quick: replications per candidate")
    quick_days: int = Field(90, ge=2, le=36_500, description="--quick: run.days")
    quick_maxfev: int = Field(24, ge=1, le=1_000_000, description="--quick: Nelder-Mead evaluations")


class TargetEntry(StrictSpec):
    """One [[target]]: a published figure, how far the model may be from it, its weight and source."""

    metric: str
    value: float
    tolerance: float = Field(gt=0)
    weight: float = Field(ge=0)
    source: str


class ParamEntry(StrictSpec):
    """One [[parameter]]: a schema key the fit may move within [lo, hi], and the targets it moves."""

    key: str
    lo: float
    hi: float
    targets: list[str]


class TargetsFile(StrictSpec):
    """The file's top level: a misspelt table ([setting]) is refused rather than ignored; each entry is
    validated on its own below, so an error names it ([[target]] #2)."""

    settings: dict[str, Any] = Field(default_factory=dict)
    target: list[dict[str, Any]] = Field(default_factory=list)
    parameter: list[dict[str, Any]] = Field(default_factory=list)


DEFAULT_SETTINGS: dict[str, Any] = Settings().model_dump()


def load_spec(path: str | Path = TARGETS_PATH) -> CalibrationSpec:
    """Read targets, free parameters and settings through the one spec loader; a bad entry raises a
    SpecError naming the file, the entry and the key."""
    doc = load_spec_file(path, TargetsFile)
    batch = doc.settings.get("fit_batch", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= REPLICATION_BATCH:
        raise SpecError(
            f"{path}: [settings] fit_batch = {batch!r}: must be a whole number from 1 (one model per fit "
            f"seed) to {REPLICATION_BATCH}"
        )
    settings = validate_spec(Settings, doc.settings, f"{path}: [settings]").model_dump()
    targets = []
    for i, t in enumerate(doc.target, 1):
        e = validate_spec(TargetEntry, t, f"{path}: [[target]] #{i}")
        targets.append(Target(e.metric, e.value, e.tolerance, e.weight, e.source))
    params = []
    for i, p in enumerate(doc.parameter, 1):
        pe = validate_spec(ParamEntry, p, f"{path}: [[parameter]] #{i}")
        fp = FreeParam(pe.key, pe.lo, pe.hi, tuple(pe.targets))
        if fp.key.startswith(("law.", "power.", "run.", "meta.")):
            raise SpecError(f"{path}: parameter {fp.key}: legal, power and run parameters are not fitted")
        declared = fp.declared
        if declared is not None and not declared.holds(fp.lo, fp.hi):
            raise SpecError(
                f"{path}: parameter {fp.key}: bounds [{fp.lo}, {fp.hi}] must lie in "
                f"[{declared.lo}, {declared.hi}] with lo < hi"
            )
        params.append(fp)
    if not targets or not params:
        raise SpecError(f"{path}: needs at least one [[target]] and one [[parameter]]")
    return CalibrationSpec(tuple(targets), tuple(params), settings, str(path))
