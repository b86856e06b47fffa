"""Calibration: fit the baseline's free behavioural parameters to the published figures (docs/domain.md §5).

Method: simulated method of moments. For a candidate parameter vector theta the model is run on the same
fit seeds (common random numbers, so the objective is a deterministic function of theta and differences
between candidates are not seed noise), each target metric is averaged over the seeds, and

    J(theta) = sum_i weight_i * ((mean_i(theta) - value_i) / tolerance_i) ** 2

plus a weak prior, prior_weight * sum_k ((theta_k - default_k) / (hi_k - lo_k)) ** 2, that holds each
parameter near its documented plausible value (the schema default) where the targets do not pin it down
(several parameters move the same target, e.g. trial cost and taste dispersion both move the application
rate: a ridge), is minimised: scipy's differential evolution (global, small population) followed by a
Nelder-Mead polish in unit coordinates, or Nelder-Mead alone with ``quick``. Targets, tolerances, weights,
sources, free parameters, bounds and budgets live in ``experiments/calibration/targets.toml``. The fitted
baseline is then checked on fresh seeds at full length: a fit table with each target's simulated mean and
95 % CI and whether it lies within tolerance.

Only metrics of ``sim.model.metrics.METRICS`` are used: a target whose metric does not exist is reported as
missing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize

from sim.engine.seeds import seed_list
from sim.fitting.replicate import run_replications, worker_pool
from sim.fitting.targets import (
    CalibrationSpec,
    FreeParam,
    Target,
    fit_warmup,
)
from sim.model.registry import PARAMS
from sim.model.scenario import SCENARIO_DIR, Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from sim.engine.stored import StoredUnits

BASELINE_PATH = SCENARIO_DIR / "baseline.toml"
PENALTY = 1e6  # objective value when a target metric is undefined (NaN) for a candidate


# --- the objective
# -----------------------------------------------------------------------------------------------
def objective(means: Mapping[str, float], targets: Sequence[Target]) -> float:
    """J = sum of weight * ((mean - value) / tolerance)^2 over active targets; an undefined metric is
    penalised."""
    total = 0.0
    for t in targets:
        m = means.get(t.metric, math.nan)
        total += PENALTY if math.isnan(m) else t.weight * ((m - t.value) / t.tolerance) ** 2
    return float(total)


@dataclass
class Evaluator:
    """Runs candidates on the fit seeds and scores them; keeps every evaluation (the fit's history)."""

    base: Scenario
    spec: CalibrationSpec
    seeds: Sequence[int]
    days: int
    drain_days: int
    executor: Executor | None = None
    log: Callable[[str], None] | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    bar: Any = None  # a tqdm bar over the fit's evaluation budget (None: the log gets a line per batch)
    units: StoredUnits | None = None  # the engine's store of finished units (None: nothing kept)

    @property
    def params(self) -> tuple[FreeParam, ...]:
        return self.spec.free

    @property
    def batch(self) -> int:
        """Fit seeds per batched model (``fit_batch``): J stays a function of the candidate alone, since a
        candidate's blocks of seeds are always the same worlds."""
        return int(self.spec.settings["fit_batch"])

    def scenario(
        self, x: Sequence[float] | np.ndarray, *, days: int | None = None, drain_days: int | None = None
    ) -> Scenario:
        over: dict[str, Any] = {
            p.key: float(np.clip(v, p.lo, p.hi)) for p, v in zip(self.params, x, strict=True)
        }
        over["run.days"] = self.days if days is None else days
        over["run.drain_days"] = self.drain_days if drain_days is None else drain_days
        over["run.warmup_days"] = fit_warmup(self.base, over["run.days"])
        return self.base.with_overrides(over)

    def evaluate(self, xs: Sequence[Sequence[float] | np.ndarray]) -> list[float]:
        """Objective of several candidates at once (all candidate x seed runs go to the executor together)."""
        metrics = [t.metric for t in self.spec.active_targets]
        scenarios = [self.scenario(x) for x in xs]
        reps = run_replications(scenarios, self.seeds, metrics, self.executor, self.batch, self.units)
        scores = []
        for x, rows in zip(xs, reps, strict=True):
            means = {
                m: float(np.nanmean([r[m] for r in rows]))
                if any(not math.isnan(r[m]) for r in rows)
                else math.nan
                for m in metrics
            }
            fit_j = objective(means, self.spec.active_targets)
            j = fit_j + self.prior(x)
            self.history.append(
                {
                    "eval": len(self.history) + 1,
                    "objective": j,
                    "fit_objective": fit_j,
                    **dict(zip([p.key for p in self.params], map(float, x), strict=True)),
                    **{f"sim:{k}": v for k, v in means.items()},
                }
            )
            scores.append(j)
        best = min(h["objective"] for h in self.history)
        if self.bar is not None:
            self.bar.total = max(self.bar.total, len(self.history))
            self.bar.set_postfix_str(f"best J {best:.3f}")
            self.bar.update(len(xs))
        elif self.log is not None:
            self.log(f"  {len(self.history):4d} evaluations, best J = {best:.3f}")
        return scores

    def prior(self, x: Sequence[float] | np.ndarray) -> float:
        """Weak prior toward the schema defaults (documented plausible values), in units of each parameter's
        range."""
        w = float(self.spec.settings["prior_weight"])
        if w == 0:
            return 0.0
        return w * float(
            sum(
                ((v - PARAMS[p.key].default) / (p.hi - p.lo)) ** 2
                for p, v in zip(self.params, x, strict=True)
            )
        )

    def best(self) -> tuple[np.ndarray, float]:
        h = min(self.history, key=lambda r: r["objective"])
        return np.array([h[p.key] for p in self.params]), float(h["objective"])


@dataclass
class FitResult:
    values: dict[str, float]
    start: dict[str, float]
    objective_start: float
    objective: float
    evaluations: int
    method: str
    seeds: list[int]
    days: int
    drain_days: int
    seconds: float
    history: pd.DataFrame


def fit(
    spec: CalibrationSpec,
    base: Scenario,
    *,
    quick: bool = False,
    workers: int = 2,
    log: Callable[[str], None] | None = None,
    progress: bool = False,
    units: StoredUnits | None = None,
) -> FitResult:
    """Minimise J over the free parameters; differential evolution then Nelder-Mead (or Nelder-Mead only if
    quick). ``progress``: a bar on stderr whose total is the evaluation budget (Nelder-Mead may stop short
    of it once converged). ``units``: the engine's store, where every finished unit is kept and from which
    a resumed fit reads what it finished before (the same candidates in the same order, so the same fit)."""
    st = spec.settings
    n_seeds = st["quick_seeds"] if quick else st["fit_seeds"]
    days = st["quick_days"] if quick else st["fit_days"]
    seeds = seed_list(st["seed_entropy"], n_seeds, 0)
    params = spec.free
    if not params:
        raise ScenarioError(f"{spec.source}: no free parameter moves an active target")
    lo = np.array([p.lo for p in params])
    hi = np.array([p.hi for p in params])
    flat = base.flat()
    x0 = np.clip(np.array([float(flat[p.key]) for p in params]), lo, hi)
    t0 = time.perf_counter()
    use_de = not quick and st["de_maxiter"] > 0
    nm_maxfev = st["quick_maxfev"] if quick else st["nm_maxfev"]
    # the start, DE's population over its initial and maxiter generations, then Nelder-Mead's cap
    budget = 1 + (st["de_popsize"] * len(params) * (st["de_maxiter"] + 1) if use_de else 0) + nm_maxfev
    with worker_pool(workers) as executor, _bar(budget, progress) as bar:
        ev = Evaluator(base, spec, seeds, days, st["fit_drain_days"], executor, log, bar=bar, units=units)
        j0 = ev.evaluate([x0])[0]
        if log:
            log(f"start: J = {j0:.3f} with {len(params)} free parameters, {n_seeds} seeds, {days} days")
        method = "nelder-mead"
        if use_de:
            method = "differential-evolution + nelder-mead"

            def vec(x: np.ndarray) -> np.ndarray:
                return np.array(ev.evaluate([x[:, i] for i in range(x.shape[1])]))

            optimize.differential_evolution(
                vec,
                list(zip(lo, hi, strict=True)),
                popsize=st["de_popsize"],
                maxiter=st["de_maxiter"],
                seed=st["seed_entropy"],
                x0=x0,
                polish=False,
                vectorized=True,
                updating="deferred",
                init="sobol",
                tol=0.0,
            )
        xb, _ = ev.best()
        _nelder_mead(ev, xb, lo, hi, nm_maxfev)
        xb, jb = ev.best()
    return FitResult(
        values={p.key: _round(v) for p, v in zip(params, xb, strict=True)},
        start={p.key: float(v) for p, v in zip(params, x0, strict=True)},
        objective_start=j0,
        objective=jb,
        evaluations=len(ev.history),
        method=method,
        seeds=seeds,
        days=days,
        drain_days=st["fit_drain_days"],
        seconds=time.perf_counter() - t0,
        history=pd.DataFrame(ev.history),
    )


def _bar(total: int, on: bool) -> Any:
    """The fit's progress bar (a disabled one when off: the same calls, nothing printed)."""
    import sys

    from tqdm import tqdm

    return tqdm(total=total, desc="fit", unit="evaluation", file=sys.stderr, disable=None if on else True)


def _round(v: float) -> float:
    """Fitted values to 4 significant digits: more would pretend a precision the seed noise does not give."""
    return float(f"{v:.4g}")


def _nelder_mead(ev: Evaluator, x0: np.ndarray, lo: np.ndarray, hi: np.ndarray, maxfev: int) -> None:
    """Nelder-Mead in unit coordinates (every parameter scaled to [0, 1]), initial steps of 0.1."""
    span = hi - lo
    u0 = (x0 - lo) / span
    simplex = [u0]
    for i in range(len(u0)):
        u = u0.copy()
        u[i] = u[i] + 0.1 if u[i] + 0.1 <= 1 else u[i] - 0.1
        simplex.append(u)

    def f(u: np.ndarray) -> float:
        return ev.evaluate([lo + np.clip(u, 0, 1) * span])[0]

    optimize.minimize(
        f,
        u0,
        method="Nelder-Mead",
        bounds=[(0, 1)] * len(u0),
        options={"maxfev": maxfev, "initial_simplex": np.array(simplex), "xatol": 1e-3, "fatol": 1e-3},
    )


def baseline(path: Path = BASELINE_PATH) -> Scenario:
    """The calibrated baseline scenario (scenarios/baseline.toml over the schema defaults)."""
    return load_scenario(path)
