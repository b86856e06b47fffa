"""A posterior over the calibrated parameters, and what it predicts.

Target: the SMM quasi-posterior of Chernozhukov & Hong (2003), exp(-J(theta)/2) on the fit's bounds, where J
is the calibration objective itself (each target's squared miss in units of its tolerance, times its weight,
plus the weak prior toward the documented defaults), evaluated on the fit's seeds (common random numbers, so
J is a deterministic function of theta). A tolerance is thus read as one standard deviation of how far the
model may sit from a published figure.

Sampler: adaptive multiple importance sampling (``sim.fitting.importance``). The first proposal is a
Student-t on the Laplace approximation at the fit (the estimate and the sandwich covariance that ``identify``
writes, truncated to the bounds); later proposals follow the weighted draws. Every draw keeps its importance
weight, so the stored posterior is the target's, not the normal approximation's (which is badly skewed where
a parameter sits near a bound and is strongly correlated with others). The posterior predictive check
(simulating the targets at draws on fresh seeds) says whether the posterior reproduces what it was fitted
to. ABC-SMC would need thousands of district runs per generation; a few hundred evaluations of J suffice
here because J is smooth under CRN.

A posterior file is Parquet: one row per draw, a column per parameter (dotted keys) and ``weight`` (sum 1)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine.outdir import OUTPUTS, record
from sim.engine.seeds import seed_list
from sim.engine.stored import StoredUnits, stored_units
from sim.engine.unit import Unit, run_all, unit_metrics
from sim.experiments.design.uncertainty import choose_draws, parameters, posterior_overrides
from sim.experiments.report.tables import markdown_table
from sim.fitting.calibration import Evaluator
from sim.fitting.importance import AmisResult, amis
from sim.fitting.targets import CalibrationSpec, fit_warmup
from sim.model.scenario import Scenario, ScenarioError

POSTERIOR = "posterior.parquet"
POSTERIOR_UNITS = "posterior_evaluations"  # the engine's store of the draws' and the check's units, in --out


def laplace_normal(folder: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Parameter names, estimate and sandwich covariance from the identification tables in ``folder``
    (``leniency calibrate --identify`` writes them)."""
    est_path = folder / "identification_estimates.csv"
    corr_path = folder / "identification_correlations.csv"
    for p in (est_path, corr_path):
        if not p.is_file():
            raise ScenarioError(f"{p}: not found; run `leniency calibrate --identify` first")
    est = pd.read_csv(est_path)
    names = list(est["parameter"])
    corr = pd.read_csv(corr_path, index_col=0).loc[names, names].to_numpy()
    mean, se = est["value"].to_numpy(float), est["se"].to_numpy(float)
    return names, mean, corr * np.outer(se, se)


def first_proposal(folder: Path, spec: CalibrationSpec) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The free parameters (the Evaluator's order) and the Laplace approximation's mean and covariance, from
    the identification tables in ``folder``; refused when they are not of ``spec``'s free parameters."""
    names, mean, cov = laplace_normal(folder)
    free = {p.key: p for p in spec.free}
    if sorted(names) != sorted(free):
        raise ScenarioError(
            f"{folder}/identification_estimates.csv: its parameters {sorted(names)} are not the free "
            f"parameters of {spec.source} {sorted(free)}; run `leniency calibrate --identify` again"
        )
    order = [names.index(p.key) for p in spec.free]
    return [p.key for p in spec.free], mean[order], cov[np.ix_(order, order)]


def sample_posterior(
    folder: Path,
    spec: CalibrationSpec,
    base: Scenario,
    *,
    generations: int,
    per_generation: int,
    executor: Executor | None = None,
    workers: int = 1,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
    units: StoredUnits | None = None,
) -> tuple[pd.DataFrame, AmisResult]:
    """Weighted draws from the quasi-posterior exp(-J/2): every draw of every generation with its importance
    weight and its J (columns ``draw``, the parameters, ``weight``, ``J``, ``generation``). ``units``: the
    engine's store the draws' units are kept in and read back from."""
    keys, mean, cov = first_proposal(folder, spec)
    free = {p.key: p for p in spec.free}
    lo = np.array([free[k].lo for k in keys])
    hi = np.array([free[k].hi for k in keys])
    st = spec.settings
    seeds = seed_list(int(st["seed_entropy"]), int(st["fit_seeds"]), 0)
    ev = Evaluator(base, spec, seeds, int(st["fit_days"]), int(st["fit_drain_days"]), executor, units=units)
    bar = None
    if not quiet:
        from tqdm import tqdm

        bar = tqdm(
            total=generations * per_generation,
            unit="draw",
            desc="posterior (J per draw)",
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=0.5,
        )
    chunk = 4 * max(1, workers)  # candidates per call: every worker busy, the bar still moves

    def log_target(x: np.ndarray) -> np.ndarray:
        out: list[float] = []
        for i in range(0, len(x), chunk):
            out.extend(ev.evaluate(list(x[i : i + chunk])))
            if bar is not None:
                bar.update(len(x[i : i + chunk]))
        return -0.5 * np.asarray(out)

    def report(g: int, ess: float) -> None:
        if log is not None:
            log(f"generation {g + 1} of {generations}: effective sample size {ess:.1f}")

    try:
        res = amis(
            log_target,
            mean,
            cov,
            lo,
            hi,
            generations=generations,
            per_generation=per_generation,
            seed=int(st["seed_entropy"]),
            on_generation=report,
        )
    finally:
        if bar is not None:
            bar.close()
    df = pd.DataFrame(res.draws, columns=keys)
    df.insert(0, "draw", np.arange(len(df)))
    df["weight"] = res.weights
    df["J"] = -2.0 * res.log_target
    df["generation"] = res.generation
    return df, res


def predictive_check(
    posterior: pd.DataFrame,
    spec: CalibrationSpec,
    base: Scenario,
    draws: int,
    executor: Executor | None = None,
    level: float = 0.9,
    units: StoredUnits | None = None,
) -> pd.DataFrame:
    """Simulate the targets at ``draws`` posterior draws, one fresh seed each (the fit's length). Per target,
    two intervals at ``level``: of the simulated figure itself (``model_p5``..``model_p95``: parameters
    and run noise), and of the published figure as the quasi-likelihood describes it (``p5``..``p95``:
    the simulated figure plus a model-data gap with the target's tolerance / sqrt(weight) as its s.d.,
    the same reading of a tolerance the fit makes). ``inside`` is the standard posterior predictive
    check (the second); ``inside_model`` the stricter first. ``units``: the engine's store, as for the
    draws."""
    days = int(spec.settings["fit_days"])
    run = {"run.days": days, "run.warmup_days": fit_warmup(base, days)}
    picks = choose_draws(posterior, draws, int(spec.settings["seed_entropy"]))
    seeds = seed_list(int(spec.settings["seed_entropy"]), draws, stream=3)
    metrics = [t.metric for t in spec.active_targets]
    jobs = {
        i: (Unit.of(base.with_overrides({**posterior_overrides(posterior, d), **run}), s), tuple(metrics))
        for i, (d, s) in enumerate(zip(picks, seeds, strict=True))
    }  # one fresh seed per draw: pairs, not the draws x seeds grid of run_replications
    done = run_all(unit_metrics, jobs, executor) if units is None else units.run(jobs, executor)
    rows = [done[i][0] for i in range(len(jobs))]
    sims = pd.DataFrame(rows)
    rng = np.random.default_rng(seed_list(int(spec.settings["seed_entropy"]), 1, stream=4)[0])
    qs = [(1 - level) / 2, 1 - (1 - level) / 2]
    lo_name, hi_name = (f"p{round(q * 100)}" for q in qs)
    out = []
    for t in spec.active_targets:
        v = sims[t.metric].dropna().to_numpy(float)
        gap_sd = t.tolerance / np.sqrt(t.weight)
        figure = (v[:, None] + rng.normal(0.0, gap_sd, size=(len(v), 200))).ravel()
        m_lo, m_hi = np.quantile(v, qs)
        f_lo, f_hi = np.quantile(figure, qs)
        out.append(
            {
                "target": t.metric,
                "published": t.value,
                "predictive_mean": float(v.mean()),
                f"model_{lo_name}": float(m_lo),
                f"model_{hi_name}": float(m_hi),
                "inside_model": bool(m_lo <= t.value <= m_hi),
                lo_name: float(f_lo),
                hi_name: float(f_hi),
                "inside": bool(f_lo <= t.value <= f_hi),
            }
        )
    return pd.DataFrame(out)


def run_posterior(
    out: Path,
    spec: CalibrationSpec,
    base: Scenario,
    *,
    generations: int,
    per_generation: int,
    check_draws: int,
    executor: Executor | None = None,
    workers: int = 1,
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
    force: bool = False,
) -> tuple[pd.DataFrame, list[Path]]:
    """``leniency calibrate --posterior``: sample, check and write into ``out`` (which holds the
    identification tables). Every unit of the draws and the check is kept in ``out/posterior_evaluations``
    as it finishes, and one stored there earlier is read back, not run (``force``: the store is emptied
    first), so an interrupted posterior resumes where it stopped, with the numbers of an uninterrupted one.
    Returns the predictive check and the files written."""
    first_proposal(out, spec)  # refused before anything is written
    record(out, "calibrate", OUTPUTS["posterior"])  # the manifest first: the store is ours
    with stored_units(out / POSTERIOR_UNITS, force=force) as units:
        if units.earlier and log is not None:
            log(f"resuming: {units.earlier} finished units in {out / POSTERIOR_UNITS} are read, not run")
        draws, res = sample_posterior(
            out,
            spec,
            base,
            generations=generations,
            per_generation=per_generation,
            executor=executor,
            workers=workers,
            quiet=quiet,
            log=log,
            units=units,
        )
        check = predictive_check(draws, spec, base, check_draws, executor, units=units)
        summary = summary_table(draws, base)
        written = write_posterior(out, draws, summary, check, check_draws, res.ess, generations)
        if log is not None:
            log(f"units: {units.ran} run, {units.earlier} stored earlier in {out / POSTERIOR_UNITS}")
    return check, written


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
    folder: Path,
    posterior: pd.DataFrame,
    summary: pd.DataFrame,
    check: pd.DataFrame,
    draws_checked: int,
    ess: float,
    generations: int,
) -> list[Path]:
    """posterior.parquet, posterior.md (summary and predictive check) and posterior_check.csv."""
    record(folder, "calibrate", OUTPUTS["posterior"])  # the manifest first: these names are ours
    paths = [folder / POSTERIOR, folder / "posterior.md", folder / "posterior_check.csv"]
    tmp = folder / f".{POSTERIOR}.tmp"
    posterior.to_parquet(tmp, index=False)
    tmp.replace(paths[0])
    inside = int(check["inside"].sum())
    text = [
        "# Posterior of the calibrated parameters",
        "",
        "The SMM quasi-posterior exp(-J/2) on the fit's bounds (J: the calibration objective on the fit's "
        "seeds, prior term included), sampled by adaptive multiple importance sampling whose first proposal "
        f"is the Laplace approximation at the fit: {len(posterior)} weighted draws in {generations} "
        "generations, "
        f"effective sample size {ess:.1f} (`sim/fitting/posterior.py`, `sim/fitting/importance.py`). Written "
        "by `leniency calibrate --posterior`; the baseline keeps the fit's point estimate.",
        "",
        *_md(summary),
        "",
        f"## Posterior predictive check ({draws_checked} draws, one fresh seed each, the fit's length)",
        "",
        f"{inside} of {len(check)} published targets lie inside the 90 % posterior predictive interval of "
        "the published figure (`p5`..`p95`: simulated figure plus the model-data gap the fit allows, s.d. = "
        f"tolerance / sqrt(weight)); {int(check['inside_model'].sum())} of {len(check)} inside the stricter "
        "interval of the simulated figure alone (`model_p5`..`model_p95`: parameters and run noise only).",
        "",
        *_md(check),
        "",
    ]
    paths[1].write_text("\n".join(text), encoding="utf-8")
    check.to_csv(paths[2], index=False)
    return paths
