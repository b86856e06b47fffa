"""A posterior over the calibrated parameters, and what it predicts.

Method: the Laplace approximation of the SMM quasi-posterior (Chernozhukov & Hong 2003: exp(-J/2) treated as a
likelihood). At the fit it is a normal distribution with the sandwich covariance that ``identify`` estimates
(standard errors and correlations at the fitted baseline), truncated to the parameters' ranges. It costs no
simulation beyond the identification; the posterior predictive check (simulating the targets at the draws on
fresh seeds) is what says whether the approximation is good enough. ABC-SMC would drop the normal shape at the
price of thousands of district runs per generation.

A posterior file is Parquet: one row per draw, a column per parameter (dotted keys) and ``weight`` (sum 1).
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.tables import markdown_table
from sim.experiments.uncertainty import choose_draws, parameters, posterior_overrides
from sim.experiments.uncertainty import ranges as _ranges
from sim.fitting.replicate import run_one, seed_list
from sim.fitting.targets import CalibrationSpec, fit_warmup
from sim.model.scenario import Scenario, ScenarioError

POSTERIOR = "posterior.parquet"


def laplace_draws(
    folder: Path, n: int, seed: int, bounds: dict[str, tuple[float, float]] | None = None
) -> pd.DataFrame:
    """``n`` draws (equal weights) from N(estimate, sandwich covariance) truncated to the fit's bounds (else
    the schema's ranges), read from the identification tables in ``folder`` (``leniency calibrate
    --identify`` writes them)."""
    est_path = folder / "identification_estimates.csv"
    corr_path = folder / "identification_correlations.csv"
    for p in (est_path, corr_path):
        if not p.is_file():
            raise ScenarioError(f"{p}: not found; run `leniency calibrate --identify` first")
    est = pd.read_csv(est_path)
    corr = pd.read_csv(corr_path, index_col=0).loc[est["parameter"], est["parameter"]].to_numpy()
    mean, se = est["value"].to_numpy(float), est["se"].to_numpy(float)
    cov = corr * np.outer(se, se)
    ranges = {**_ranges(), **(bounds or {})}
    lo = np.array([ranges[k][0] for k in est["parameter"]], dtype=float)
    hi = np.array([ranges[k][1] for k in est["parameter"]], dtype=float)
    rng = np.random.default_rng(seed)
    kept: list[np.ndarray] = []
    while sum(len(k) for k in kept) < n:  # rejection: the truncated normal, exactly
        x = rng.multivariate_normal(mean, cov, size=4 * n, method="eigh")
        kept.append(x[np.all((x >= lo) & (x <= hi), axis=1)])
    draws = np.vstack(kept)[:n]
    df = pd.DataFrame(draws, columns=list(est["parameter"]))
    df.insert(0, "draw", np.arange(n))
    df["weight"] = 1.0 / n
    return df


def predictive_check(
    posterior: pd.DataFrame,
    spec: CalibrationSpec,
    base: Scenario,
    draws: int,
    executor: Executor | None = None,
    level: float = 0.9,
) -> pd.DataFrame:
    """Simulate the targets at ``draws`` posterior draws, one fresh seed each (the fit's length); per target:
    the predictive interval at ``level`` and whether the published value lies inside it."""
    days = int(spec.settings["fit_days"])
    run = {"run.days": days, "run.warmup_days": fit_warmup(base, days)}
    picks = choose_draws(posterior, draws, int(spec.settings["seed_entropy"]))
    seeds = seed_list(int(spec.settings["seed_entropy"]), draws, stream=3)
    metrics = [t.metric for t in spec.active_targets]
    jobs = [
        (
            base.with_overrides({**posterior_overrides(posterior, d), **run}).model_dump_json(),
            s,
            tuple(metrics),
        )
        for d, s in zip(picks, seeds, strict=True)
    ]  # one fresh seed per draw: pairs, not the draws x seeds grid of run_replications
    rows = list(executor.map(run_one, jobs)) if executor is not None else [run_one(j) for j in jobs]
    sims = pd.DataFrame(rows)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    out = []
    for t in spec.active_targets:
        v = sims[t.metric].dropna()
        lo, hi = float(v.quantile(lo_q)), float(v.quantile(hi_q))
        out.append(
            {
                "target": t.metric,
                "published": t.value,
                "predictive_mean": float(v.mean()),
                f"p{round(lo_q * 100)}": lo,
                f"p{round(hi_q * 100)}": hi,
                "inside": bool(lo <= t.value <= hi),
            }
        )
    return pd.DataFrame(out)


def summary_table(posterior: pd.DataFrame, point: Scenario) -> pd.DataFrame:
    """Per parameter: the baseline's point estimate, the posterior mean, sd and 90 % interval."""
    w = posterior["weight"].to_numpy(float)
    flat = point.flat()
    rows = []
    for k in parameters(posterior):
        v = posterior[k].to_numpy(float)
        order = np.argsort(v)
        cw = np.cumsum(w[order])
        mean = float(np.sum(w * v))
        rows.append(
            {
                "parameter": k,
                "baseline": flat[k],
                "posterior_mean": mean,
                "sd": float(np.sqrt(np.sum(w * (v - mean) ** 2))),
                "p5": float(v[order][np.searchsorted(cw, 0.05)]),
                "p95": float(v[order][min(np.searchsorted(cw, 0.95), len(v) - 1)]),
            }
        )
    return pd.DataFrame(rows)


def _md(df: pd.DataFrame) -> list[str]:
    rows = [[f"{v:.4g}" if isinstance(v, float) else v for v in rec] for rec in df.itertuples(index=False)]
    return markdown_table(list(df.columns), rows)


def write_posterior(
    folder: Path, posterior: pd.DataFrame, summary: pd.DataFrame, check: pd.DataFrame, draws_checked: int
) -> list[Path]:
    """posterior.parquet, posterior.md (summary and predictive check) and posterior_check.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / POSTERIOR, folder / "posterior.md", folder / "posterior_check.csv"]
    tmp = folder / f".{POSTERIOR}.tmp"
    posterior.to_parquet(tmp, index=False)
    tmp.replace(paths[0])
    inside = int(check["inside"].sum())
    text = [
        "# Posterior of the calibrated parameters",
        "",
        f"Laplace approximation of the SMM quasi-posterior at the fit, truncated to the parameters' ranges; "
        f"{len(posterior)} equally weighted draws (`sim/fitting/posterior.py`). Written by "
        "`leniency calibrate --posterior`.",
        "",
        *_md(summary),
        "",
        f"## Posterior predictive check ({draws_checked} draws, one fresh seed each, the fit's length)",
        "",
        f"{inside} of {len(check)} published targets lie inside the 90 % predictive interval.",
        "",
        *_md(check),
        "",
    ]
    paths[1].write_text("\n".join(text), encoding="utf-8")
    check.to_csv(paths[2], index=False)
    return paths
