"""`leniency discover SWEEP_DIR --when "EXPR"`: scenario discovery over a sweep's worlds. Where in the space
of inputs (the design's factors, the posterior draws' parameters) does a condition hold? EMA Workbench's PRIM
finds the box (coverage, density, the peeling trajectory, quasi-p-values, stability under resampling), CART
gives a second view; writes discover.html and CSV tables. EXPR is `effect(REFORM, METRIC) > v` (the reform
arm's paired per-world difference from the baseline arm) or `METRIC > v` (with --arm, default the baseline),
with > >= < <=. `--signs` instead maps, for every reform arm, where its effect on non-essential and on
avoidable essential relief changes sign (signs.md, signs.csv)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.model.errors import ScenarioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "discover", help="scenario discovery (PRIM, CART): where a condition on a sweep's outcomes holds",
        description=__doc__,
    )  # fmt: skip
    p.add_argument("dir", help="a sweep folder written by `leniency sweep`")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--when",
        metavar="EXPR",
        help='condition, e.g. "effect(power_rebalancing, relief_initiations_per_100_nonessential) > 0" or '
        '"relief_initiations_per_100_nonessential > 4"',
    )
    what.add_argument(
        "--signs",
        action="store_true",
        help="for every reform arm: where its effect on non-essential and avoidable essential relief changes "
        "sign",
    )
    p.add_argument(
        "--arm", help="with a plain METRIC condition: the arm whose runs are read (default baseline)"
    )
    p.add_argument(
        "--posterior",
        metavar="FILE",
        help="the posterior file the sweep ran over (default: the path the sweep recorded)",
    )
    p.add_argument("--out", help="result folder (default DIR/discover)")
    p.add_argument(
        "--threshold", type=float, default=0.8, help="the density the chosen box should reach (default 0.8)"
    )
    p.add_argument(
        "--resamples", type=int, default=20, help="bootstrap resamples for the box's stability (default 20)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--force", action="store_true", help="replace other earlier results in --out")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.discover import page, signs
    from sim.discover.expr import parse_condition
    from sim.discover.worlds import reform_arms, sweep_meta
    from sim.engine.outdir import guard_dir, install, new_temp_dir

    # everything a user can get wrong is checked before anything is computed or written
    folder = Path(args.dir)
    if not 0 < args.threshold <= 1:
        raise ScenarioError(f"--threshold {args.threshold}: must be a density above 0 and at most 1")
    if not 0 <= args.resamples <= 1000:
        raise ScenarioError(f"--resamples {args.resamples}: must be a whole number from 0 to 1000")
    meta = sweep_meta(folder)
    metrics = list(meta.get("outcomes", []))
    cond = parse_condition(args.when, reform_arms(meta), metrics) if args.when else None
    if cond is not None and cond.reform is not None and args.arm:
        raise ScenarioError("--arm goes with a plain METRIC condition; effect(REFORM, ...) names its arm")
    if args.signs:
        missing = [m for m in signs.METRICS if m not in metrics]
        if missing or not reform_arms(meta):
            raise ScenarioError(
                "--signs needs reform arms besides the baseline and the outcomes "
                f"{', '.join(signs.METRICS)}; "
                f"the sweep has arms {', '.join(meta.get('arms', []))}"
            )
    names = list(signs.FILES if args.signs else page.FILES)
    out = guard_dir(Path(args.out) if args.out else folder / "discover", names, force=args.force,
                    keep=["discover"])  # fmt: skip

    if cond is None:
        df = signs.sign_map(folder, posterior=args.posterior)
        text = signs.markdown(df, folder, int(df["worlds"].max()))
        tmp = new_temp_dir(out)
        df.to_csv(tmp / "signs.csv", index=False)
        (tmp / "signs.md").write_text(text, encoding="utf-8")
        install(tmp, out, "discover", names, force=True)  # guarded above, with earlier discover results kept
        if not args.quiet:
            print(text)
        return 0

    from sim.discover.boxes import discover
    from sim.discover.worlds import load_worlds

    worlds = load_worlds(folder, cond, arm=args.arm, posterior=args.posterior)
    found = discover(worlds, threshold=args.threshold, resamples=args.resamples, seed=args.seed)
    tmp = new_temp_dir(out)
    page.write(found, folder, tmp)
    install(tmp, out, "discover", names, force=True)
    if not args.quiet:
        print(page.sentence(found))
        print(f"wrote {out / 'discover.html'} and {', '.join(page.TABLES)}")
    return 0
