"""The calibration's specification: targets (published figures with tolerances, weights and sources), free
parameters with bounds, and budgets, read from ``experiments/calibration/targets.toml``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.experiments.designs import REPLICATION_BATCH
from sim.model.metrics import METRICS
from sim.model.scenario import Scenario, ScenarioError, param_table, read_toml

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
        keys = {r["key"] for r in param_table()}
        active = {t.metric for t in self.active_targets}
        return tuple(p for p in self.parameters if p.key in keys and active.intersection(p.targets))

    @property
    def held(self) -> tuple[FreeParam, ...]:
        free = {p.key for p in self.free}
        return tuple(p for p in self.parameters if p.key not in free)


DEFAULT_SETTINGS: dict[str, Any] = {
    "seed_entropy": 20240401,
    "prior_weight": 1.0,
    "fit_seeds": 4,
    "fit_batch": 1,
    "fit_days": 365,
    "fit_drain_days": 240,
    "check_seeds": 20,
    "de_popsize": 2,
    "de_maxiter": 2,
    "nm_maxfev": 100,
    "quick_seeds": 2,
    "quick_days": 90,
    "quick_maxfev": 24,
}


def load_spec(path: str | Path = TARGETS_PATH) -> CalibrationSpec:
    """Read targets, free parameters and settings; bad entries raise ScenarioError naming the file and
    entry."""
    doc = read_toml(path)
    settings = {**DEFAULT_SETTINGS, **doc.get("settings", {})}
    unknown = set(settings) - set(DEFAULT_SETTINGS)
    if unknown:
        raise ScenarioError(
            f"{path}: unknown [settings] keys {sorted(unknown)}; allowed: {sorted(DEFAULT_SETTINGS)}"
        )
    batch = settings["fit_batch"]
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= REPLICATION_BATCH:
        raise ScenarioError(
            f"{path}: [settings] fit_batch = {batch!r}: must be a whole number from 1 (one model per fit "
            f"seed) to {REPLICATION_BATCH}"
        )
    targets = []
    for i, t in enumerate(doc.get("target", [])):
        try:
            tg = Target(
                str(t["metric"]),
                float(t["value"]),
                float(t["tolerance"]),
                float(t["weight"]),
                str(t["source"]),
            )
        except KeyError as exc:
            raise ScenarioError(
                f"{path}: [[target]] #{i + 1} lacks {exc}; needs metric, value, tolerance, weight, source"
            ) from None
        if tg.tolerance <= 0 or tg.weight < 0:
            raise ScenarioError(f"{path}: target {tg.metric}: tolerance must be > 0 and weight >= 0")
        targets.append(tg)
    schema = {r["key"]: r for r in param_table()}
    params = []
    for i, p in enumerate(doc.get("parameter", [])):
        try:
            fp = FreeParam(str(p["key"]), float(p["lo"]), float(p["hi"]), tuple(p["targets"]))
        except KeyError as exc:
            raise ScenarioError(
                f"{path}: [[parameter]] #{i + 1} lacks {exc}; needs key, lo, hi, targets"
            ) from None
        if fp.key.startswith(("law.", "power.", "run.", "meta.")):
            raise ScenarioError(f"{path}: parameter {fp.key}: legal, power and run parameters are not fitted")
        row = schema.get(fp.key)
        if row is not None and not (row["min"] <= fp.lo < fp.hi <= row["max"]):
            raise ScenarioError(
                f"{path}: parameter {fp.key}: bounds [{fp.lo}, {fp.hi}] must lie in "
                f"[{row['min']}, {row['max']}] with lo < hi"
            )
        params.append(fp)
    if not targets or not params:
        raise ScenarioError(f"{path}: needs at least one [[target]] and one [[parameter]]")
    return CalibrationSpec(tuple(targets), tuple(params), settings, str(path))
