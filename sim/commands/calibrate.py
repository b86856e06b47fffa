"""`leniency calibrate`: fit the baseline's free behavioural parameters to the published figures (simulated
method of moments with common random numbers), check the fit on fresh seeds, write fitted.toml,
fit_table.csv/.md and fit_history.csv to --out, and (full runs with --write-baseline) the fitted values
into scenarios/baseline.toml. Every finished evaluation is kept in --out (fit_evaluations/, or
posterior_evaluations/ with --posterior): rerun with --resume after an interruption and only what is
missing runs, with the numbers of an uninterrupted run."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sim.model.errors import ScenarioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit the baseline to the published figures", description=__doc__)
    p.add_argument(
        "--quick",
        action="store_true",
        help="Nelder-Mead only, 2 seeds, 90-day runs (about half a minute); never touches the baseline",
    )
    p.add_argument(
        "--out", help="output folder (default experiments/calibration, or out/calibrate-quick with --quick)"
    )
    p.add_argument("--targets", help="targets TOML (default experiments/calibration/targets.toml)")
    p.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (default 2)"
    )
    p.add_argument(
        "--write-baseline",
        action="store_true",
        help="also write the fitted values into scenarios/baseline.toml (full runs only; off by default)",
    )
    p.add_argument(
        "--identify",
        action="store_true",
        help="no fit: the Jacobian of the targets at the current baseline, its rank and condition number, "
        "sandwich standard errors and correlations (identification.md in --out)",
    )
    p.add_argument(
        "--seeds", type=int, help="with --identify: fit seeds to average over (default: the spec's)"
    )
    p.add_argument("--days", type=int, help="with --identify: run.days (default: the spec's fit_days)")
    p.add_argument(
        "--posterior",
        action="store_true",
        help="sample the quasi-posterior exp(-J/2) by adaptive importance sampling from the Laplace "
        "approximation at the fit (identification tables) and check what it predicts: posterior.parquet, "
        "posterior.md, posterior_check.csv",
    )
    p.add_argument(
        "--draws", type=int, default=80, help="with --posterior: draws per generation (default 80)"
    )
    p.add_argument(
        "--generations", type=int, default=4, help="with --posterior: sampler generations (default 4)"
    )
    p.add_argument(
        "--check-draws",
        type=int,
        default=40,
        help="with --posterior: draws simulated in the check (default 40)",
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="with --posterior: run the draws on Dask, 'local' or a scheduler address (like sweeps)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the fit or posterior in --out: its stored evaluations are read, only what is missing "
        "runs",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="discard the fit's or posterior's stored evaluations in --out and start over",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


STORES = {"calibrate": "fit_evaluations", "posterior": "posterior_evaluations"}  # in --out, per command


def _check_store(out: Path, kind: str, resume: bool, force: bool) -> None:
    """A folder holding a fit's (or posterior's) stored evaluations is continued (--resume) or started over
    (--force), never silently either."""
    from sim.engine.stored import holds_units

    if kind in STORES and not (resume or force) and holds_units(out / STORES[kind]):
        what = "posterior" if kind == "posterior" else "fit"
        raise ScenarioError(
            f"--out {out}: holds the evaluations of an earlier {what} ({STORES[kind]}/, finished or "
            "interrupted); add --resume to continue from them (only what is missing runs) or --force to "
            "discard them and start over"
        )


def run(args: argparse.Namespace) -> int:
    from sim.engine.executors import check_workers
    from sim.engine.outdir import OUTPUTS, guard_dir
    from sim.fitting import fit_report as fr
    from sim.fitting import targets as tgt

    check_workers(args.workers, args.dask)
    out = (
        Path(args.out)
        if args.out
        else (Path("out/calibrate-quick") if args.quick else tgt.ROOT / "experiments" / "calibration")
    )
    targets = Path(args.targets) if args.targets else tgt.TARGETS_PATH
    if args.dask and not args.posterior:
        raise ScenarioError("--dask goes with --posterior")
    if not (args.identify or args.posterior) and (args.seeds is not None or args.days is not None):
        raise ScenarioError("--seeds and --days go with --identify")
    if args.resume and args.force:
        raise ScenarioError("--resume and --force contradict each other: pick one")
    if args.identify and (args.resume or args.force):
        raise ScenarioError(
            "--resume and --force go with a fit or --posterior (--identify keeps no evaluations)"
        )
    # before any fitting: a folder of the user's is never written into (--force discards only the stored
    # evaluations, never another command's results)
    kind = "identify" if args.identify else "posterior" if args.posterior else "calibrate"
    out = guard_dir(out, OUTPUTS[kind], force=False, keep=("calibrate",), can_force=False)
    _check_store(out, kind, args.resume, args.force)
    if args.identify:
        return _identify(args, out, targets)
    try:
        if args.posterior:
            return _posterior(args, out, targets)
        result, table = fr.calibrate(
            out,
            quick=args.quick,
            workers=args.workers,
            targets=targets,
            update_baseline=args.write_baseline and not args.quick,
            log=(lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True)),
            progress=not args.quiet,
            force=args.force,
        )
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (sim.engine.signals): the store's lock is released
        print(
            f"leniency calibrate: stopped; the finished evaluations are stored in {out / STORES[kind]}; the "
            "same command with --resume continues",
            file=sys.stderr,
        )
        raise
    if args.quiet:
        return 0
    print(
        fr.table_markdown(
            table,
            f"Fit ({result.method}, {result.evaluations} evaluations, J {result.objective_start:.3f} "
            f"-> {result.objective:.3f})",
        )
    )
    for k, v in result.values.items():
        print(f"{k:45s} {result.start[k]:10.4g} -> {v:10.4g}")
    print(f"wrote {out}/fitted.toml, fit_table.csv, fit_table.md, fit_history.csv", file=sys.stderr)
    return 0


def _identify(args: argparse.Namespace, out: Path, targets: Path) -> int:
    from sim.fitting import calibration as cal
    from sim.fitting import targets as tgt
    from sim.fitting.identify import identify, write_identification

    for flag, value, least in (("--seeds", args.seeds, 2), ("--days", args.days, 2)):
        if value is not None and value < least:
            raise ScenarioError(f"{flag} {value}: must be at least {least}")
    spec = tgt.load_spec(targets)
    base = cal.baseline()
    if args.days is not None and args.days <= tgt.fit_warmup(base, args.days):
        raise ScenarioError(f"--days {args.days}: too short for a warm-up and a measured window")
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    res = identify(spec, base, seeds=args.seeds, days=args.days, workers=args.workers, log=log)
    written = write_identification(res, spec, out)
    if not args.quiet:
        print(f"rank {res.rank} of {len(res.params)}, condition number {res.condition:.3g}")
        for k, v, s in zip(res.params, res.values, res.se, strict=True):
            print(f"{k:45s} {v:10.4g} ± {s:.3g}")
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0


def _posterior(args: argparse.Namespace, out: Path, targets: Path) -> int:
    from sim.engine.executors import ExecutorInfo, open_executor
    from sim.fitting import calibration as cal
    from sim.fitting import posterior as post
    from sim.fitting import targets as tgt
    from sim.fitting.replicate import worker_pool

    for flag, value, least in (
        ("--draws", args.draws, 2),
        ("--generations", args.generations, 1),
        ("--check-draws", args.check_draws, 2),
    ):
        if value < least:
            raise ScenarioError(f"{flag} {value}: must be at least {least}")
    spec = tgt.load_spec(targets)
    base = cal.baseline()
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    where: AbstractContextManager[ExecutorInfo | None] = (
        open_executor(args.workers, args.dask) if args.dask else nullcontext(None)
    )
    with where as info, worker_pool(1 if info else args.workers) as pool:
        executor = info.executor if info else pool
        workers = info.workers if info else args.workers
        check, written = post.run_posterior(
            out,
            spec,
            base,
            generations=args.generations,
            per_generation=args.draws,
            check_draws=args.check_draws,
            executor=executor,
            workers=workers,
            quiet=args.quiet,
            log=log,
            force=args.force,
        )
    if not args.quiet:
        print(check.to_string(index=False))
        n = len(check)
        print(
            f"{int(check['inside'].sum())} of {n} targets inside the 90% posterior predictive interval; "
            f"{int(check['inside_model'].sum())} of {n} inside the simulated figure's own interval"
        )
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0
