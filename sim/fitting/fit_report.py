"""Checking and writing a fit: the fit table on fresh seeds, ``fitted.toml`` with its provenance, the baseline
rewrite, and ``calibrate`` (fit, check, write) that ``leniency calibrate`` runs."""

from __future__ import annotations

import datetime as _dt
import math
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.outdir import OUTPUTS, record
from sim.engine.seeds import seed_list
from sim.engine.stored import StoredUnits, stored_units
from sim.experiments.analysis import mean_interval
from sim.experiments.report.tables import markdown_table
from sim.fitting.calibration import BASELINE_PATH, FitResult, baseline, fit
from sim.fitting.replicate import run_replications, worker_pool
from sim.fitting.targets import (
    ROOT,
    TARGETS_PATH,
    CalibrationSpec,
    fit_warmup,
    load_spec,
)
from sim.model.scenario import Scenario, ScenarioError, load_scenario, read_toml

FIT_UNITS = "fit_evaluations"  # the engine's store of the fit's and the check's units, in --out


# --- checking the fit
# --------------------------------------------------------------------------------------------
def fit_table(
    spec: CalibrationSpec,
    fitted: Scenario,
    seeds: Sequence[int],
    *,
    before: Scenario | None = None,
    workers: int = 2,
    units: StoredUnits | None = None,
) -> pd.DataFrame:
    """Each target: value, tolerance, weight, source, simulated mean and 95 % CI on ``seeds``, within
    tolerance? (``units``: the engine's store its runs are kept in.)"""
    metrics = [t.metric for t in spec.active_targets]
    scen = [fitted] + ([before] if before is not None else [])
    with worker_pool(workers) as ex:
        reps = run_replications(scen, seeds, metrics, ex, units=units)
    rows = []
    for t in spec.targets:
        row: dict[str, Any] = {
            "target": t.metric,
            "value": t.value,
            "tolerance": t.tolerance,
            "weight": t.weight,
            "source": t.source,
        }
        if not t.active:
            row.update(sim_mean=math.nan, ci_lo=math.nan, ci_hi=math.nan, within_tolerance="metric missing")
        else:
            m, lo_, hi_ = mean_interval(r[t.metric] for r in reps[0])
            row.update(
                sim_mean=m,
                ci_lo=lo_,
                ci_hi=hi_,
                within_tolerance="yes" if abs(m - t.value) <= t.tolerance else "no",
            )
            if before is not None:
                row["before_mean"] = mean_interval(r[t.metric] for r in reps[1])[0]
        rows.append(row)
    return pd.DataFrame(rows)


def table_markdown(table: pd.DataFrame, title: str) -> str:
    """The fit table as Markdown (target, published value ± tolerance, source, simulated mean ± 95 % CI,
    within?)."""
    has_before = "before_mean" in table.columns
    cols = ["target", "published (± tolerance)", "weight", "simulated mean [95 % CI]"]
    cols += ["before fit"] * has_before + ["within tolerance", "source"]
    rows = []
    for r in table.itertuples():
        sim = "—" if math.isnan(r.sim_mean) else f"{r.sim_mean:.4g} [{r.ci_lo:.4g}, {r.ci_hi:.4g}]"
        row = [f"`{r.target}`", f"{r.value:g} (± {r.tolerance:g})", f"{r.weight:g}", sim]
        if has_before:
            row.append("—" if math.isnan(r.before_mean) else f"{r.before_mean:.4g}")
        rows.append([*row, r.within_tolerance, r.source])
    return "\n".join([f"# {title}", "", *markdown_table(cols, rows)]) + "\n"


# --- writing
# ------------------------------------------------------------------------------------------------------
def git_commit() -> str:
    """The commit the fit ran on (with '+dirty' when the working tree differs), for provenance."""
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "sim"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fitted_toml(result: FitResult, spec: CalibrationSpec, run_id: str) -> str:
    """The fitted values with their source run (what, when, on which code, how well)."""
    lines = [
        "# Fitted behavioural parameters of the baseline, written by `leniency calibrate` "
        "(sim/calibration.py).",
        "# Copied into scenarios/baseline.toml. The fit table (fit_table.md) checks them on fresh seeds.",
        "",
        "[run_info]",
        f'run_id = "{run_id}"',
        f'code = "{git_commit()}"',
        f'method = "{result.method}"',
        f'targets_file = "{Path(spec.source).name}"',
        f"objective_start = {result.objective_start:.6g}",
        f"objective = {result.objective:.6g}",
        f"evaluations = {result.evaluations}",
        f"fit_seeds = {result.seeds}",
        f"fit_days = {result.days}",
        f"fit_drain_days = {result.drain_days}",
        f"seconds = {result.seconds:.1f}",
        "held_fixed = ["
        + ", ".join(f'"{p.key}"' for p in spec.held)
        + "]  # every target they move lacks a metric, or not in the schema",
        "",
        "[values]",
    ]
    lines += [f'"{k}" = {v!r}  # start {result.start[k]:.4g}' for k, v in result.values.items()]
    return "\n".join(lines) + "\n"


def write_baseline(values: Mapping[str, float], run_id: str, path: Path = BASELINE_PATH) -> None:
    """Rewrite scenarios/baseline.toml: its [meta] plus the fitted values, saying where they come from."""
    doc = read_toml(path)
    meta = doc.get("meta", {})
    sections: dict[str, dict[str, Any]] = {
        k: dict(v) for k, v in doc.items() if k != "meta" and isinstance(v, dict)
    }
    for key, v in values.items():
        sec, name = key.split(".", 1)
        sections.setdefault(sec, {})[name] = v
    lines = [
        "# Baseline: national practice around 2020-21, at district scale.",
        "# Parameters not listed come from the schema (sim/model/scenario.py), documented plausible values.",
        f"# The values below are FITTED by `leniency calibrate` (run {run_id}) to the published figures of",
        "# docs/domain.md §5: targets, method, fitted values with their source run and the fit table are in "
        "experiments/calibration/.",
        "[meta]",
        f'name = "{meta.get("name", "baseline")}"',
        f'description = "{meta.get("description", "")}"',
    ]
    for sec, kv in sections.items():
        lines += ["", f"[{sec}]"]
        for k, v in kv.items():
            note = (
                "fitted"
                if f"{sec}.{k}" in values
                else "fitted in an earlier calibration, held fixed in this one"
            )
            lines.append(f"{k} = {v!r}  # {note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_scenario(path)  # the file must stay valid


def calibrate(
    out: Path,
    *,
    quick: bool = False,
    workers: int = 2,
    targets: Path = TARGETS_PATH,
    update_baseline: bool = False,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
    progress: bool = True,
    force: bool = False,
) -> tuple[FitResult, pd.DataFrame]:
    """The whole calibration: fit, check on fresh seeds at full length, write outputs (and the baseline if
    asked). Every unit of the fit and the check is kept in ``out/fit_evaluations`` as it finishes, and one
    stored there earlier is read back, not run (``force``: the store is emptied first)."""
    spec = load_spec(targets)
    for t in spec.missing_targets:
        log(f"target {t.metric}: no such metric in sim/metrics.py, left out of the objective")
    for p in spec.held:
        log(f"parameter {p.key}: held fixed (no active target, or not in the schema)")
    if not spec.free:  # before anything is written
        raise ScenarioError(f"{spec.source}: no free parameter moves an active target")
    base = baseline()
    record(out, "calibrate", OUTPUTS["calibrate"])  # the manifest first: these names are ours
    with stored_units(out / FIT_UNITS, force=force) as units:
        if units.earlier:
            log(f"resuming: {units.earlier} finished units stored in {out / FIT_UNITS} are read, not run")
        result = fit(spec, base, quick=quick, workers=workers, log=log, progress=progress, units=units)
        fitted = base.with_overrides(result.values)
        st = spec.settings
        if quick:
            check = seed_list(st["seed_entropy"], 4, 1)
            over = {"run.days": st["quick_days"], "run.drain_days": st["fit_drain_days"]}
            over["run.warmup_days"] = fit_warmup(base, st["quick_days"])
            fitted_check, before = fitted.with_overrides(over), base.with_overrides(over)
        else:
            check = seed_list(st["seed_entropy"], st["check_seeds"], 1)
            fitted_check, before = fitted, base
        log(
            f"fit done in {result.seconds:.0f} s: J {result.objective_start:.3f} -> {result.objective:.3f}; "
            f"checking on {len(check)} fresh seeds"
        )
        table = fit_table(spec, fitted_check, check, before=before, workers=workers, units=units)
        run_id = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if quick else "")
        (out / "fitted.toml").write_text(fitted_toml(result, spec, run_id), encoding="utf-8")
        result.history.to_csv(out / "fit_history.csv", index=False)
        table.to_csv(out / "fit_table.csv", index=False)
        days = fitted_check.run.days
        title = (
            f"Calibration fit table (run {run_id}; {len(check)} fresh seeds, run.days = {days}; J "
            f"= {result.objective:.3f})"
        )
        (out / "fit_table.md").write_text(table_markdown(table, title), encoding="utf-8")
        log(f"units: {units.ran} run, {units.earlier} stored earlier in {out / FIT_UNITS}")
    if update_baseline:
        write_baseline(result.values, run_id)
        log(f"wrote the fitted values into {BASELINE_PATH}")
    return result, table
