"""Identification at the fit: does each free parameter move the targets in its own way?

At the baseline's fitted values the moments (the active targets' metrics, averaged over the fit seeds with
common random numbers) are differentiated by central finite differences (one-sided at a bound). From the
Jacobian ``G``:

* the singular values of the scaled Jacobian (each moment in units of its tolerance, each parameter in units
  of its range): its rank and condition number say whether the targets pin every parameter down, or whether
  some combination of parameters leaves every target unchanged (a ridge);
* standard errors by the SMM sandwich, ``V = (G'WG)^-1 G'W Ω W G (G'WG)^-1`` with the fit's weights
  ``W = diag(weight / tolerance²)`` and ``Ω = diag(tolerance²) + Σ_sim / S``: a target's tolerance is read as
  the standard deviation of what separates the model from the published figure (a national figure has almost
  no sampling error; its tolerance says how closely the model should match it), plus the simulation noise of
  the moments over the S fit seeds (``Σ_sim``, their covariance across seeds);
* the correlations of the estimates, and the parameters at (within 1 % of the range of) a bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.outdir import OUTPUTS, record
from sim.engine.seeds import seed_list
from sim.experiments.report.tables import markdown_table
from sim.fitting.calibration import Evaluator
from sim.fitting.replicate import run_replications, worker_pool
from sim.fitting.targets import CalibrationSpec
from sim.model.scenario import Scenario

AT_BOUND = 0.01  # a value within this share of its range from a bound is "at the bound"


@dataclass
class Identification:
    params: list[str]
    targets: list[str]
    values: np.ndarray  # the parameters at the fit
    jacobian: np.ndarray  # d moment / d parameter, targets x params (natural units)
    singular_values: np.ndarray  # of the scaled Jacobian
    rank: int
    condition: float
    se: np.ndarray
    corr: np.ndarray
    at_bound: list[str]
    seeds: int
    days: int

    def tables(self) -> dict[str, pd.DataFrame]:
        jac = pd.DataFrame(self.jacobian, index=self.targets, columns=self.params)
        est = pd.DataFrame({"parameter": self.params, "value": self.values, "se": self.se})
        corr = pd.DataFrame(self.corr, index=self.params, columns=self.params)
        return {"jacobian": jac, "estimates": est, "correlations": corr}


def identify(
    spec: CalibrationSpec,
    base: Scenario,
    *,
    seeds: int | None = None,
    days: int | None = None,
    step: float = 0.05,
    workers: int = 2,
    log: Callable[[str], None] | None = None,
) -> Identification:
    """The Jacobian, rank, condition number and sandwich standard errors at the base scenario's values."""
    st = spec.settings
    n_seeds = seeds or int(st["fit_seeds"])
    n_days = days or int(st["fit_days"])
    params = list(spec.free)
    targets = list(spec.active_targets)
    metrics = [t.metric for t in targets]
    lo = np.array([p.lo for p in params])
    hi = np.array([p.hi for p in params])
    flat = base.flat()
    x0 = np.clip(np.array([float(flat[p.key]) for p in params]), lo, hi)
    h = step * (hi - lo)
    up, down = np.minimum(x0 + h, hi), np.maximum(x0 - h, lo)
    ev = Evaluator(base, spec, seed_list(st["seed_entropy"], n_seeds, 0), n_days, st["fit_drain_days"])
    points = [x0]
    for k in range(len(params)):
        for v in (up[k], down[k]):
            x = x0.copy()
            x[k] = v
            points.append(x)
    if log:
        log(f"identification: {len(points)} points x {n_seeds} seeds, run.days = {n_days}")
    with worker_pool(workers) as ex:
        reps = run_replications([ev.scenario(x) for x in points], ev.seeds, metrics, ex, ev.batch)
    per_seed = [np.array([[r[m] for m in metrics] for r in rep]) for rep in reps]  # seeds x targets
    means = [m.mean(axis=0) for m in per_seed]
    G = np.empty((len(targets), len(params)))
    for k in range(len(params)):
        G[:, k] = (means[1 + 2 * k] - means[2 + 2 * k]) / (up[k] - down[k])
    tol = np.array([t.tolerance for t in targets])
    weight = np.array([t.weight for t in targets])
    scaled = G * (hi - lo)[None, :] / tol[:, None]
    sv = np.linalg.svd(scaled, compute_uv=False)
    rank = int((sv > sv.max() * 1e-3).sum()) if len(sv) and sv.max() > 0 else 0
    condition = float(sv.max() / sv.min()) if len(sv) and sv.min() > 0 else math.inf
    W = np.diag(weight / tol**2)
    sim_cov = np.atleast_2d(np.cov(per_seed[0], rowvar=False)) / n_seeds if n_seeds > 1 else 0.0
    omega = np.diag(tol**2) + sim_cov
    bread = G.T @ W @ G
    try:
        inv = np.linalg.inv(bread)
        V = inv @ G.T @ W @ omega @ W @ G @ inv
        se = np.sqrt(np.clip(np.diag(V), 0, None))
        d = np.where(se > 0, se, np.nan)
        corr = V / np.outer(d, d)
    except np.linalg.LinAlgError:  # not identified: no finite standard errors
        se = np.full(len(params), math.inf)
        corr = np.full((len(params), len(params)), math.nan)
    near = (x0 - lo <= AT_BOUND * (hi - lo)) | (hi - x0 <= AT_BOUND * (hi - lo))
    return Identification(
        [p.key for p in params], metrics, x0, G, sv, rank, condition, se, corr,
        [p.key for p, b in zip(params, near, strict=True) if b], n_seeds, n_days,
    )  # fmt: skip


def identification_markdown(res: Identification, spec: CalibrationSpec) -> str:
    """The report: free parameters against targets, rank and condition, estimates with SEs, correlations."""
    n_p, n_t = len(res.params), len(res.targets)
    lines = [
        "# Identification at the fitted baseline",
        "",
        f"{n_p} free parameters for {n_t} targets; central finite differences ({res.seeds} fit seeds, "
        f"run.days = {res.days}, common random numbers). Method: `sim/fitting/identify.py`.",
        "",
        f"* **Rank** of the scaled Jacobian: {res.rank} of {n_p} "
        + ("(full: every parameter moves the targets in its own way)." if res.rank == n_p else "(NOT full)."),
        f"* **Condition number**: {res.condition:.3g} (singular values "
        + ", ".join(f"{s:.3g}" for s in res.singular_values)
        + "; moments in tolerances, parameters in their ranges).",
        "* **At a bound**: " + (", ".join(f"`{k}`" for k in res.at_bound) or "none") + ".",
        "",
        "## Estimates (SMM sandwich standard errors)",
        "",
    ]
    bounds = {p.key: (p.lo, p.hi) for p in spec.free}
    rows = [
        [f"`{k}`", f"{v:.4g}", f"{s:.3g}", f"[{bounds[k][0]:g}, {bounds[k][1]:g}]"]
        for k, v, s in zip(res.params, res.values, res.se, strict=True)
    ]
    lines += markdown_table(["parameter", "value", "standard error", "range"], rows)
    lines += ["", "## Jacobian: change of each target per unit of each parameter", ""]
    short = [k.split(".")[-1] for k in res.params]
    jrows = [[f"`{t}`", *(f"{g:+.3g}" for g in res.jacobian[i])] for i, t in enumerate(res.targets)]
    lines += markdown_table(["target", *short], jrows)
    lines += ["", "## Correlations of the estimates", ""]
    crows = [[short[i], *(f"{c:+.2f}" for c in res.corr[i])] for i in range(n_p)]
    lines += markdown_table(["", *short], crows)
    return "\n".join(lines) + "\n"


def write_identification(res: Identification, spec: CalibrationSpec, out: Path) -> list[Path]:
    record(out, "calibrate", OUTPUTS["identify"])  # the manifest first: these names are ours
    md = out / "identification.md"
    md.write_text(identification_markdown(res, spec), encoding="utf-8")
    written = [md]
    for name, table in res.tables().items():
        path = out / f"identification_{name}.csv"
        table.to_csv(path)
        written.append(path)
    return written
