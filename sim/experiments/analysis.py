"""Comparisons of sweep results: means with confidence intervals, paired differences from a baseline arm under
common random numbers, Pareto frontiers, Sobol and Morris indices (SALib), and the EMA Workbench export.

Nothing here defines a metric: every outcome is a column the model computed
(``sim.model.metrics.METRICS``); this module only summarises them across replications.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95
MIN_REPLICATIONS = 5  # below this a t interval rests on too few runs for significance marks to mean anything


def mean_ci(
    values: Sequence[float] | np.ndarray, level: float = LEVEL, bounds: tuple[float, float] | None = None
) -> dict[str, float]:
    """Mean and confidence interval of independent replications (NaNs dropped). With fewer than two values the
    interval is undefined: its half-width and bounds are NaN.

    Without ``bounds`` it is the Student-t interval. With ``bounds`` (a metric's natural range, see
    ``natural_range``) it is that interval intersected with the range, so a rate's interval never shows
    values the rate cannot take. The true mean lies in the range, so the intersection covers it exactly as
    often as the t interval does. (A t interval on the log or logit scale also respects the bound, but with
    two or three replications it stretches the far end by orders of magnitude: 0 to 480,000 per 100 for a
    mean of 1.) ``half_width`` stays the t half-width: the precision the stopping rules compare."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    hw = float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)) if n > 1 else math.nan
    low, high = mean - hw, mean + hw
    if bounds is not None and n > 1:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return {"n": n, "mean": mean, "sd": sd, "ci_low": low, "ci_high": high, "half_width": hw}


def natural_range(outcome: str) -> tuple[float, float] | None:
    """The range a metric's values live in, from its unit in ``METRICS``: a share within [0, 1]; a count, a
    rate per 100, hours or days at least 0; None for a column that is no declared metric."""
    from sim.model.metrics import METRICS

    m = METRICS.get(outcome)
    if m is None:
        return None
    return (0.0, 1.0) if m.unit == "share" else (0.0, math.inf)


def mean_interval(values: Iterable[float], level: float = LEVEL) -> tuple[float, float, float]:
    """``mean_ci`` as (mean, low, high), for tables that print an estimate with its interval."""
    ci = mean_ci(np.fromiter(values, dtype=float), level)
    return ci["mean"], ci["ci_low"], ci["ci_high"]


def group_means(
    runs: pd.DataFrame,
    outcomes: Sequence[str],
    by: Sequence[str] = ("arm",),
    level: float = LEVEL,
    bounded: bool = False,
) -> pd.DataFrame:
    """Per group and outcome: n, mean, sd, CI bounds and half-width (long table, groups in first-seen
    order). ``bounded``: each metric's interval kept within its natural range (what a reader is shown)."""
    rows = []
    for key, g in runs.groupby(list(by), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for o in outcomes:
            if o in g:
                rows.append(
                    {
                        **dict(zip(by, key, strict=True)),
                        "outcome": o,
                        **mean_ci(g[o].to_numpy(dtype=float), level, natural_range(o) if bounded else None),
                    }
                )
    return pd.DataFrame(rows)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (controls the family-wise error over the comparisons given)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    order = np.argsort(q)
    m = len(q)
    adj = np.maximum.accumulate((m - np.arange(m)) * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def paired_differences(
    runs: pd.DataFrame,
    outcomes: Sequence[str],
    baseline: str,
    level: float = LEVEL,
    by_point: bool | None = None,
) -> pd.DataFrame:
    """Each arm minus the baseline arm, paired on (design point, replication) — the runs that share a seed.

    Columns: arm (and point), outcome, n_pairs, baseline_mean, mean_diff, ci_low, ci_high, relative_change,
    p_value, significant (CI excludes 0), p_holm and significant_holm (Holm over the arms, per outcome),
    pairing_ratio (see ``pairing_ratio``) and unpaired_equivalent (the replications per arm an unpaired
    comparison would need for the same interval: n_pairs / pairing_ratio**2)."""
    if by_point is None:
        by_point = runs["point"].nunique() > 1
    keys = ["point", "replication"]
    base = runs[runs["arm"] == baseline].set_index(keys)
    rows = []
    for arm, g in runs[runs["arm"] != baseline].groupby("arm", sort=False):
        g = g.set_index(keys)
        common = g.index.intersection(base.index)
        parts = [(None, common)]
        if by_point:
            parts = [
                (p, common[common.get_level_values(0) == p]) for p in common.get_level_values(0).unique()
            ]
        for point, idx in parts:
            for o in outcomes:
                if o not in g:
                    continue
                d = g.loc[idx, o].to_numpy(float) - base.loc[idx, o].to_numpy(float)
                d = d[~np.isnan(d)]
                ci = mean_ci(d, level)
                bvals = base.loc[idx, o].to_numpy(float)
                ratio = pairing_ratio(g.loc[idx, o].to_numpy(float), bvals)
                bmean = float(np.nanmean(bvals)) if np.isfinite(bvals).any() else math.nan
                if ci["n"] > 1 and ci["sd"] > 0:
                    p = float(2 * stats.t.sf(abs(ci["mean"]) / (ci["sd"] / math.sqrt(ci["n"])), ci["n"] - 1))
                elif ci["n"] > 1:
                    p = 1.0 if ci["mean"] == 0 else 0.0
                else:
                    p = math.nan
                row = {"arm": arm}
                if by_point:
                    row["point"] = point
                row.update(
                    outcome=o,
                    n_pairs=ci["n"],
                    baseline_mean=bmean,
                    mean_diff=ci["mean"],
                    ci_low=ci["ci_low"],
                    ci_high=ci["ci_high"],
                    relative_change=ci["mean"] / bmean if bmean else math.nan,
                    p_value=p,
                    significant=bool(ci["ci_low"] > 0 or ci["ci_high"] < 0),
                    pairing_ratio=ratio,
                    unpaired_equivalent=ci["n"] / ratio**2 if ratio > 0 else math.nan,
                )
                rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df["p_holm"] = np.nan
    for _, g in df.groupby(["outcome"] + (["point"] if by_point else []), sort=False):
        df.loc[g.index, "p_holm"] = holm(g["p_value"].to_numpy())
    df["significant_holm"] = df["p_holm"] < (1 - level)
    return df


def pairing_ratio(arm: np.ndarray, base: np.ndarray) -> float:
    """sd of the paired difference over the sd an unpaired difference would have (sqrt(var arm + var base)):
    how much common random numbers shrink an effect's interval (1: no gain; 0.5: as 4x the replications)."""
    ok = ~(np.isnan(arm) | np.isnan(base))
    a, b = arm[ok], base[ok]
    if len(a) < 2:
        return math.nan
    unpaired = math.sqrt(np.var(a, ddof=1) + np.var(b, ddof=1))
    return float(np.std(a - b, ddof=1) / unpaired) if unpaired > 0 else math.nan


def pareto_front(xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Mask of the points no other point beats on both coordinates (both minimised)."""
    x, y = np.asarray(xs, float), np.asarray(ys, float)
    mask = np.zeros(len(x), bool)
    for i in range(len(x)):
        if np.isnan(x[i]) or np.isnan(y[i]):
            continue
        dominated = (x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))
        mask[i] = not dominated.any()
    return mask


def point_means(runs: pd.DataFrame, design: pd.DataFrame, outcome: str, arm: str) -> np.ndarray:
    """The outcome's replication mean at every design point, in the design's (sampler's) order."""
    g = runs[runs["arm"] == arm].groupby("point_key")[outcome].mean()
    return g.reindex(design["point_key"].to_numpy()).to_numpy(float)


def sobol_indices(
    runs: pd.DataFrame,
    design: pd.DataFrame,
    problem: dict[str, Any],
    outcomes: Sequence[str],
    arm: str,
    second_order: bool,
    seed: int = 0,
) -> tuple[pd.DataFrame, list[str]]:
    """First-order and total Sobol indices with bootstrap CIs (SALib), per outcome; and notes on what was
    skipped."""
    from SALib.analyze import sobol

    rows, notes = [], []
    for o in outcomes:
        y = point_means(runs, design, o, arm)
        if np.isnan(y).any() or np.nanstd(y) == 0:
            notes.append(
                f"{o}: skipped ({'missing or undefined values' if np.isnan(y).any() else 'constant'})"
            )
            continue
        res = sobol.analyze(problem, y, calc_second_order=second_order, conf_level=LEVEL, seed=seed)
        for i, name in enumerate(problem["names"]):
            rows.append(
                {
                    "arm": arm,
                    "outcome": o,
                    "factor": name,
                    "S1": res["S1"][i],
                    "S1_conf": res["S1_conf"][i],
                    "ST": res["ST"][i],
                    "ST_conf": res["ST_conf"][i],
                }
            )
    return pd.DataFrame(rows), notes


def morris_indices(
    runs: pd.DataFrame,
    design: pd.DataFrame,
    problem: dict[str, Any],
    outcomes: Sequence[str],
    arm: str,
    levels: int,
    seed: int = 0,
) -> tuple[pd.DataFrame, list[str]]:
    """Morris elementary-effect statistics mu, mu* (with CI) and sigma (SALib), per outcome."""
    from SALib.analyze import morris

    x = design[problem["names"]].to_numpy(float)
    rows, notes = [], []
    for o in outcomes:
        y = point_means(runs, design, o, arm)
        if np.isnan(y).any():
            notes.append(f"{o}: skipped (missing or undefined values)")
            continue
        res = morris.analyze(problem, x, y, conf_level=LEVEL, num_levels=levels, seed=seed)
        for i, name in enumerate(problem["names"]):
            rows.append(
                {
                    "arm": arm,
                    "outcome": o,
                    "factor": name,
                    "mu": res["mu"][i],
                    "mu_star": res["mu_star"][i],
                    "mu_star_conf": res["mu_star_conf"][i],
                    "sigma": res["sigma"][i],
                }
            )
    return pd.DataFrame(rows), notes


def ema_export(
    runs: pd.DataFrame, factor_names: Sequence[str], outcomes: Sequence[str], out: Path
) -> list[Path]:
    """Write the runs as EMA Workbench's (experiments, outcomes) pair — row i of one is row i of the other
    — as CSV and Parquet, for PRIM/CART (``ema_workbench.analysis.prim.Prim(experiments, outcomes[o] >
    x)``)."""
    out.mkdir(parents=True, exist_ok=True)
    reform_cols = [c for c in runs.columns if c.startswith("reform.")]
    exp = runs[[*factor_names, *reform_cols]].copy()
    exp.columns = [c.replace("reform.", "reform_") for c in exp.columns]
    exp["scenario"] = runs["point"].to_numpy()
    exp["policy"] = runs["arm"].to_numpy()
    exp["model"] = "leniency"
    exp["replication"] = runs["replication"].to_numpy()
    exp["seed"] = runs["seed"].to_numpy()
    outc = runs[[o for o in outcomes if o in runs]].reset_index(drop=True)
    written = []
    for name, df in (("experiments", exp.reset_index(drop=True)), ("outcomes", outc)):
        df.to_csv(out / f"{name}.csv", index=False)
        df.to_parquet(out / f"{name}.parquet", index=False)
        written += [out / f"{name}.csv", out / f"{name}.parquet"]
    return written


def factorial_main_effects(runs: pd.DataFrame, outcomes: Sequence[str], level: float = LEVEL) -> pd.DataFrame:
    """Main effect of each reform switched on in a full factorial of reform arms (e.g. all 64 subsets): per
    replication, the mean over arms with the reform minus the mean over arms without it (arms share seeds,
    so the contrast is paired), then a CI over replications. Empty unless the reform flags form a full
    factorial."""
    flags = [c for c in runs.columns if c.startswith("reform.") and runs[c].nunique() == 2]
    if not flags:
        return pd.DataFrame()
    combos = runs[flags].drop_duplicates()
    if len(combos) != 2 ** len(flags):
        return pd.DataFrame()
    rows = []
    for f in flags:
        on = runs[f].astype(bool)
        for o in outcomes:
            if o not in runs:
                continue
            per_rep = (
                runs[on].groupby(["point", "replication"])[o].mean()
                - runs[~on].groupby(["point", "replication"])[o].mean()
            )
            ci = mean_ci(per_rep.to_numpy(float), level)
            rows.append(
                {
                    "reform": f.removeprefix("reform."),
                    "outcome": o,
                    "n": ci["n"],
                    "effect": ci["mean"],
                    "ci_low": ci["ci_low"],
                    "ci_high": ci["ci_high"],
                    "significant": bool(ci["ci_low"] > 0 or ci["ci_high"] < 0),
                }
            )
    return pd.DataFrame(rows)
