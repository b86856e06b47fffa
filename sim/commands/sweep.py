"""`leniency sweep SPEC --out DIR`: run an experiment spec (arms x design points x replications) on local
processes or a Dask cluster, storing every run in DIR/runs.parquet as it finishes. Rerun with --resume after a
crash or to extend a finished sweep (more replications, arms or points): only what is missing runs."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.engine.limits import MAX_BATCH, REPLICATION_BATCH
from sim.engine.outdir import OUTPUTS, guard_dir

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiments.sweep import Sweep, SweepReport
from sim.model.errors import ScenarioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep", help="run an experiment spec (replications, reforms, factor designs)", description=__doc__
    )
    p.add_argument("spec", help="experiment spec TOML, e.g. experiments/reforms.toml")
    p.add_argument(
        "--out", required=True, help="result folder (runs.parquet, daily.parquet, spec.toml, experiment.json)"
    )
    p.add_argument(
        "--workers",
        type=int,
        help="worker processes (default: all cores; with --dask local: cluster workers)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on Dask: 'local' starts a LocalCluster, else a scheduler address (tcp://host:8786)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue or extend the sweep in --out: run only what is missing",
    )
    p.add_argument("--force", action="store_true", help="discard the sweep already in --out and start over")
    p.add_argument(
        "--replications", type=int, metavar="N", help="override the spec's replications per design point"
    )
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="parameter uncertainty: run every arm at the point estimate and over posterior draws "
        "(replication r of every arm gets the same draw), e.g. experiments/calibration/posterior.parquet",
    )
    p.add_argument(
        "--target-ci",
        metavar="OUTCOME=HALFWIDTH",
        help="add replications until every arm's 95%% CI half-width of OUTCOME is below HALFWIDTH (cap: the "
        "spec's max_replications)",
    )
    p.add_argument("--max-replications", type=int, metavar="N", help="override the cap for --target-ci")
    p.add_argument(
        "--stall-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="when no run finishes for this long, check the workers and say so if none is left (default 60)",
    )
    p.add_argument(
        "--no-workers",
        choices=("wait", "stop"),
        default="wait",
        help="a cluster that has lost all its workers: keep waiting for new ones (default) or stop; finished "
        "runs are stored either way and --resume continues",
    )
    p.add_argument(
        "--batch",
        metavar="K",
        help="runs of one arm go as the worlds of one batched model, K at a time: the replications of a "
        "point, or design points whose factors may differ between worlds (sim.model.varying.PER_WORLD). "
        f"'auto' (default: up to {REPLICATION_BATCH} replications or {MAX_BATCH} points; none with a "
        "calendar) or a whole number (1: one model per run). A function of the spec, never of the workers; "
        "--resume keeps the sweep's",
    )
    p.add_argument(
        "--quiet", action="store_true", help="print nothing but errors and a too-few-replications warning"
    )
    p.set_defaults(func=run)


MAX_STALL_S = 86_400


def parse_batch(text: str | None) -> int | None:
    """--batch: None for 'auto' (or absent), else a whole number of worlds, 1 to MAX_BATCH."""
    if text is None or text == "auto":
        return None
    try:
        k = int(text)
    except ValueError:
        k = 0
    if not 1 <= k <= MAX_BATCH:
        raise ScenarioError(f"--batch {text}: must be 'auto' or a whole number from 1 to {MAX_BATCH}")
    return k


def run(args: argparse.Namespace) -> int:
    from sim.engine.executors import check_workers, open_executor
    from sim.experiments.design.spec import load_spec, spec_to_toml_text, with_flags
    from sim.experiments.design.uncertainty import read_posterior
    from sim.experiments.sweep import StallWatch, Sweep, parse_target

    # everything a user can get wrong is checked before anything is written
    spec = with_flags(
        load_spec(args.spec),
        {
            "replications": ("--replications", args.replications),
            "max_replications": ("--max-replications", args.max_replications),
        },
    )
    if args.resume and args.force:
        raise ScenarioError("--resume and --force contradict each other: pick one")
    target = parse_target(args.target_ci, spec) if args.target_ci else None
    check_workers(args.workers, args.dask)
    out = guard_dir(Path(args.out), OUTPUTS["sweep"], force=args.force, keep=["sweep"])
    if not 0 < args.stall_timeout <= MAX_STALL_S:
        raise ScenarioError(
            f"--stall-timeout {args.stall_timeout}: must be a number of seconds above 0 and at most "
            f"{MAX_STALL_S} (a day)"
        )
    posterior = read_posterior(args.posterior) if args.posterior else None
    batch = parse_batch(args.batch)  # the plan refuses a batch the experiment cannot have
    sweep = Sweep(
        spec,
        out,
        spec_text=spec_to_toml_text(args.spec),
        posterior=posterior,
        posterior_source=str(args.posterior) if args.posterior else None,
        batch=batch,
    )
    # the executor first: an unreachable Dask scheduler is refused before anything is written
    with open_executor(args.workers, args.dask) as ex:
        sweep.prepare(resume=args.resume, force=args.force)
        try:
            report = sweep.run(
                ex.executor,
                workers=ex.workers,
                description=ex.description,
                target=target,
                progress=not args.quiet,
                watch=StallWatch(ex.live_workers, args.stall_timeout, stop=args.no_workers == "stop"),
            )
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (sim.engine.signals): the lock is released below
            print(
                f"leniency sweep: stopped; the finished runs are stored in {out}; the same command with "
                "--resume continues",
                file=sys.stderr,
            )
            raise
        finally:
            sweep.store.release_lock()
    if not args.quiet:
        print(format_report(sweep, report))
    elif few_replications(report):  # even quiet: the results rest on it (as report --quiet says it too)
        print(f"leniency sweep: {few_replications(report)}", file=sys.stderr)
    if args.quiet and report.failed:  # quiet prints nothing else but errors
        print(
            f"leniency sweep: {report.failed} runs failed (see runs.parquet); --resume retries them",
            file=sys.stderr,
        )
    return 0 if report.failed == 0 else 1


def few_replications(report: SweepReport) -> str | None:
    """The warning a sweep with too few replications for its intervals gets (None when it has enough)."""
    from sim.experiments.analysis import MIN_REPLICATIONS

    reps = sorted(set(report.replications.values()))
    if not reps or reps[0] >= MIN_REPLICATIONS:
        return None
    return (
        f"warning: {reps[0]} replication{'s' if reps[0] != 1 else ''} per point: intervals are wide or "
        f"missing and * marks are not meaningful below {MIN_REPLICATIONS} (--replications)"
    )


def format_report(sweep: Sweep, report: SweepReport) -> str:
    """One screen: what ran, how fast, failures, and the headline outcomes per arm (mean ± 95% CI
    half-width; * where the paired difference from the baseline arm is distinguishable from zero)."""
    from sim.experiments.analysis import group_means, paired_differences
    from sim.experiments.report.tables import metric_words

    spec, store = sweep.spec, sweep.store
    rate = report.ran / report.wall_s if report.wall_s else math.nan
    reps = sorted(set(report.replications.values()))
    lines = [
        f"{spec.name}: {report.total} runs ({len(sweep.plan.arms)} arms x {len(sweep.plan.points)} points x "
        f"{reps[0] if len(reps) == 1 else f'{reps[0]}-{reps[-1]}'} replications) on {report.executor}",
        f"ran {report.ran} ({report.ok} ok, {report.failed} failed), {report.skipped} already stored | "
        f"wall {report.wall_s:.1f} s | {rate:.2f} runs/s | mean run {report.run_s / max(report.ran, 1):.2f} "
        f"s",
    ]
    if report.target is not None:
        o, hw = report.target
        lines.append(
            f"target CI: {o} half-width "
            f"<= {hw:g}: "
            f"{'reached' if report.target_met else 'NOT reached (cap ' + str(spec.max_replications) + ')'} "
            f"with {reps[0]}-{reps[-1]} replications per point"
        )
    for e in report.first_errors:
        lines.append(f"  failed: {e}")
    heads = spec.headline[:5]
    runs = store.read_runs(["arm", "point", "point_key", "replication", *heads], ok_only=True, current=True)
    if len(runs) and spec.factors is not None and spec.factors.design != "grid":
        lines += ["", *_sampled_summary(sweep, runs, heads)]
    elif len(runs):
        plan = sweep.plan
        multi = len(plan.points) > 1
        # rows: arms, or (when factors vary) arm x design point, labelled by factor values
        runs["row"] = runs["arm"]
        if multi:
            label = {
                i: ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.3g}" for k, v in p.items())
                for i, p in enumerate(plan.points)
            }
            runs["row"] = (
                runs["point"].map(label)
                if len(plan.arms) == 1
                else runs["arm"] + " @ " + runs["point"].map(label)
            )
        means = group_means(runs, heads, by=("row",)).set_index(["row", "outcome"])
        diffs = (
            paired_differences(runs, heads, spec.baseline, by_point=False)
            if len(plan.arms) > 1 and not multi
            else None
        )
        sig = (
            set()
            if diffs is None or diffs.empty
            else set(
                zip(
                    diffs.loc[diffs["significant"], "arm"],
                    diffs.loc[diffs["significant"], "outcome"],
                    strict=True,
                )
            )
        )
        arm_order = {a: i for i, a in enumerate(plan.arm_names)}
        runs = runs.assign(_a=runs["arm"].map(arm_order)).sort_values(["point", "_a"], kind="stable")
        width = min(44, max(12, runs["row"].str.len().max() + 2))
        lines.append("")
        # metric names are long: the columns carry a number, the names are listed in full above the table
        lines += [f"  [{i + 1}] {h}: {metric_words(h)}" for i, h in enumerate(heads)]
        lines.append(
            f"{'arm' if not multi else 'design point':{width}s}"
            + "".join(f"{f'[{i + 1}]':>19s}" for i in range(len(heads)))
        )
        rows = list(dict.fromkeys(runs["row"]))
        for row in rows[:20]:
            cells = []
            for h in heads:
                m = means.loc[(row, h)] if (row, h) in means.index else None
                if m is None or math.isnan(m["mean"]):
                    cell = "n/a"
                else:
                    ci = f"±{m['half_width']:.2g}" if math.isfinite(m["half_width"]) else ""
                    cell = f"{m['mean']:.3g}{ci}" + ("*" if (row, h) in sig else " ")
                cells.append(f"{cell:>19s}")
            lines.append(f"{row[: width - 1]:{width}s}" + "".join(cells))
        if len(rows) > 20:
            lines.append(f"... and {len(rows) - 20} more rows (see the report)")
        lines.append(
            "mean ± 95% CI half-width"
            + (
                f"; * paired difference from '{spec.baseline}' excludes 0 (common random numbers)"
                if diffs is not None
                else ""
            )
        )
    warning = few_replications(report)
    if warning:
        lines.append(warning)
    lines.append(f"stored in {Path(store.root)}/runs.parquet; next: leniency report {store.root}")
    if report.failed:
        lines.append(
            f"{report.failed} runs failed (error and traceback in runs.parquet); --resume retries them"
        )
    return "\n".join(lines)


def _sampled_summary(sweep: Sweep, runs: pd.DataFrame, heads: list[str]) -> list[str]:
    """For LHS/Sobol/Morris designs: each headline outcome's spread over the design and, for Sobol and Morris,
    the factors with the largest total index or mu*."""
    import numpy as np

    from sim.experiments.analysis import morris_indices, sobol_indices
    from sim.experiments.design.plan import salib_problem

    spec, plan = sweep.spec, sweep.plan
    f = spec.factors
    assert f is not None  # only sampled factor designs come here
    lines = [
        f"{'outcome over the design':32s}{'mean':>10s}{'p5':>10s}{'p95':>10s}   most influential factors"
    ]
    design = plan.design_frame()
    problem = salib_problem(f)
    for h in heads:
        y = runs.groupby("point_key")[h].mean().to_numpy(float)
        top = ""
        try:
            if f.design == "sobol":
                idx, _ = sobol_indices(runs, design, problem, [h], plan.arm_names[0], f.second_order)
                if len(idx):
                    best = idx.sort_values("ST", ascending=False).head(3)
                    top = ", ".join(f"{r.factor.rsplit('.', 1)[-1]} ST={r.ST:.2f}" for r in best.itertuples())
            elif f.design == "morris":
                idx, _ = morris_indices(runs, design, problem, [h], plan.arm_names[0], f.levels)
                if len(idx):
                    best = idx.sort_values("mu_star", ascending=False).head(3)
                    top = ", ".join(
                        f"{r.factor.rsplit('.', 1)[-1]} mu*={r.mu_star:.3g}" for r in best.itertuples()
                    )
        except Exception as exc:  # an incomplete design (failed runs) cannot be analysed; say so
            top = f"(indices unavailable: {type(exc).__name__})"
        p5, p95 = np.nanpercentile(y, [5, 95]) if np.isfinite(y).any() else (math.nan, math.nan)
        lines.append(f"{h[:31]:32s}{np.nanmean(y):>10.3g}{p5:>10.3g}{p95:>10.3g}   {top}")
    return lines
