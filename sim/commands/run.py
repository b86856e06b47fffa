"""`leniency run`: one scenario, one seed; a summary table on screen and summary.json, daily.parquet,
relief_events.parquet in --out (written to a temporary folder and moved into place, so nothing is half-written)."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path

from sim import __version__
from sim.model.metrics import METRICS
from sim.model.scenario import SCALES, Scenario, ScenarioError, load_scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write its results", description=__doc__)
    p.add_argument("scenario", nargs="?", help="scenario TOML (default: the embedded baseline)")
    p.add_argument("--with", dest="reforms", action="append", default=[], metavar="REFORM", help="apply a reform overlay (repeatable)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="override a parameter, e.g. power.information_asymmetry=0.8")
    p.add_argument("--scale", choices=SCALES, help="scale preset")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    p.add_argument("--agents", action="store_true", help="materialise a Mesa Defendant agent per case (slower)")
    p.set_defaults(func=run)


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse a non-empty output folder unless forced."""
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ScenarioError(f"--out {out}: folder is not empty; use --force to replace it")


def write_results(out: Path, scenario: Scenario, seed: int, result: object, force: bool) -> None:
    """Write summary.json, daily.parquet, relief_events.parquet atomically (temp folder, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        summary = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.summary.items()}
        doc = {**summary, "scenario": scenario.model_dump(), "seed": seed, "version": __version__}
        (tmp / "summary.json").write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        if result.daily is not None:
            result.daily.to_parquet(tmp / "daily.parquet", index=False)
        result.relief_events.to_parquet(tmp / "relief_events.parquet", index=False)
        if out.exists():
            if not force:
                raise ScenarioError(f"--out {out}: appeared while running; use --force")
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def format_summary(summary: dict[str, float]) -> str:
    """A readable table of the headline metrics."""
    lines = [f"{'metric':38s} {'value':>12s}  unit"]
    for key, value in summary.items():
        if key.startswith("hours_per_case_") and key.count("_") > 4:
            continue
        shown = "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:,.4g}"
        lines.append(f"{key:38s} {shown:>12s}  {METRICS[key].unit}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from sim.model import simulate

    out = Path(args.out)
    check_out_dir(out, args.force)
    scenario = load_scenario(args.scenario, reforms=args.reforms, scale=args.scale, sets=args.sets)
    t0 = time.perf_counter()
    result = simulate(scenario, args.seed, daily=True, materialise_agents=args.agents, progress=True)
    elapsed = time.perf_counter() - t0
    write_results(out, scenario, args.seed, result, args.force)
    name = scenario.meta.name + (f" + {', '.join(scenario.meta.reforms)}" if scenario.meta.reforms else "")
    print(f"scenario {name} | scale {scenario.meta.scale or 'district'} | seed {args.seed} | {elapsed:.1f} s")
    print(format_summary(result.summary))
    print(f"wrote {out}/summary.json, daily.parquet, relief_events.parquet")
    return 0
