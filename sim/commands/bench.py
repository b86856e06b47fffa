"""`leniency bench`: fixed scenarios and seeds, several repeats, each measurement in a fresh process;
median and spread of wall seconds, cases per second and peak memory for national and district years
(headless and with Defendant agents), the bare-Mesa floor beside them, and sweep throughput on 1 and 2
workers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sim.model.errors import ScenarioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench", help="measure speed and memory (median and spread over repeats)", description=__doc__
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument(
        "--repeats", type=int, default=None, help="measurements of each run (default 3; 1 with --quick)"
    )
    p.add_argument("--quick", action="store_true", help="same shape on tiny settings (a few seconds)")
    p.add_argument(
        "--scaling",
        metavar="PNG",
        help="instead: measure cost vs cases/day, days and workers; plot to PNG (+ .json beside it)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.engine.outdir import GENERATOR, guard_file
    from sim.experiments.bench.measure import full_plan, quick_plan, run_bench
    from sim.experiments.bench.report import format_table
    from sim.experiments.bench.scaling import measure_scaling, plot_scaling

    if args.scaling:
        if not Path(args.scaling).suffix:  # matplotlib would add .png to the name: another file than checked
            raise ScenarioError(
                f"--scaling {args.scaling}: name the plot with its extension, e.g. scaling.png"
            )
        png = guard_file(Path(args.scaling), flag="--scaling")
        beside = guard_file(png.with_suffix(".json"), flag="--scaling")
        if beside == png:
            raise ScenarioError(
                f"--scaling {args.scaling}: name the plot (.png); its data go beside as .json"
            )
        data = measure_scaling()
        plot_scaling(data, str(png))
        with open(beside, "w", encoding="utf-8") as fh:
            json.dump({"generator": GENERATOR, **data}, fh, indent=2)
        print(json.dumps(data, indent=2) if args.json else f"wrote {args.scaling}")
        return 0
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    if repeats < 1:
        raise ScenarioError(f"--repeats {repeats}: must be at least 1")
    plan = quick_plan(repeats) if args.quick else full_plan(repeats)
    result = run_bench(plan)
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0
