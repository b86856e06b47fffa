"""`leniency run`: one scenario, one seed; a headline table on screen and summary.json, daily.parquet,
relief_events.parquet (with --cases cases.parquet; with a calendar, run.start_date, yearly.parquet) in --out,
written to a temporary folder and moved into place, so nothing is half-written; --force replaces only the
files this tool wrote in an earlier results folder (a user's files beside them stay)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim import __version__
from sim.engine.outdir import OUTPUTS, guard_dir, install, new_temp_dir
from sim.model.errors import ScenarioError
from sim.model.files import SCALES

if TYPE_CHECKING:  # the model, the schema, pandas and the metrics load when a run starts, not for --help
    import pandas as pd

    from sim.model import RunResult
    from sim.model.params_world import RunParams
    from sim.model.scenario import Scenario


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario and write its results", description=__doc__)
    p.add_argument("scenario", nargs="?", help="scenario TOML (default: the embedded baseline)")
    p.add_argument(
        "--with",
        dest="reforms",
        action="append",
        default=[],
        metavar="REFORM",
        help="apply a reform (repeatable; any order): the name of a file in scenarios/reforms/ or in a "
        "folder named by the environment variable LENIENCY_REFORMS (e.g. power_rebalancing), or an overlay "
        "TOML file",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter, e.g. power.information_asymmetry=0.8",
    )
    p.add_argument("--scale", choices=SCALES, help="scale preset")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--force", action="store_true", help="replace an output folder holding this tool's earlier results"
    )
    p.add_argument(
        "--agents", action="store_true", help="materialise a Mesa Defendant agent per case (slower)"
    )
    p.add_argument("--cases", action="store_true", help="also write cases.parquet: one row per closed case")
    p.add_argument("--all", action="store_true", help="print every summary metric, not only the headline")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


def write_results(out: Path, scenario: Scenario, seed: int, result: RunResult, force: bool) -> list[str]:
    """Write summary.json, daily.parquet, relief_events.parquet (and cases.parquet) to a temporary folder,
    then move them into place (``install``: only this tool's earlier files are replaced)."""
    tmp = new_temp_dir(out)
    try:
        summary = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in result.summary.items()
        }
        doc = {**summary, "scenario": scenario.model_dump(), "seed": seed, "version": __version__}
        (tmp / "summary.json").write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        written = ["summary.json"]
        if result.daily is not None:
            result.daily.to_parquet(tmp / "daily.parquet", index=False)
            written.append("daily.parquet")
        if result.relief_events is not None:
            result.relief_events.to_parquet(tmp / "relief_events.parquet", index=False)
            written.append("relief_events.parquet")
        if result.cases is not None:
            result.cases.to_parquet(tmp / "cases.parquet", index=False)
            written.append("cases.parquet")
        if result.yearly is not None:
            result.yearly.to_parquet(tmp / "yearly.parquet", index=False)
            written.append("yearly.parquet")
        install(tmp, out, "run", written, force)
        return written
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


HEADLINE = (
    "relief_initiations_per_100",
    "relief_initiations_per_100_nonessential",
    "relief_initiations_per_100_essential_avoidable",
    "relief_initiations_per_100_essential_unavoidable",
    "undetected_involuntary_per_100",
    "application_rate",
    "adoption_rate",
    "appeal_rate",
    "pretrial_detention_rate",
    "relief_hours_per_case",
    "hours_per_case_total",
    "mean_days_to_final",
)


def format_summary(summary: dict[str, float], keys: tuple[str, ...] | None = None) -> str:
    """A readable table of the headline metrics (``keys``; every metric when None), each with its meaning
    in words (wrapped under itself) beside the name."""
    import textwrap

    from sim.experiments.report.tables import metric_words
    from sim.model.metrics import METRICS

    lines = [f"{'metric':48s} {'value':>10s}  {'unit':8s} meaning"]
    for key in keys or tuple(summary):
        value = summary[key]
        shown = "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:,.4g}"
        words = textwrap.wrap(metric_words(key), WORDS_WIDTH) or [""]
        lines.append(f"{key:48s} {shown:>10s}  {METRICS[key].unit:8s} {words[0]}")
        lines += [" " * 70 + w for w in words[1:]]
    return "\n".join(lines)


WORDS_WIDTH = 60  # the meaning column: a 130-column terminal holds the table


def _dates(r: RunParams) -> str:
    """The counted days as dates, when the run has a calendar."""
    if not r.start_date:
        return ""
    start = dt.date.fromisoformat(r.start_date)
    first, last = (start + dt.timedelta(days=n) for n in (r.warmup_days, r.days - 1))
    return f" ({first.isoformat()} to {last.isoformat()})"


YEARLY = ("application_rate", "adoption_rate", "pretrial_detention_rate", "appeal_rate")


def format_yearly(yearly: pd.DataFrame) -> str:
    """Headline figures per calendar year of arrival (yearly.parquet has every metric)."""
    lines = ["by year of arrival (yearly.parquet):", f"{'year':>6s} {'days':>5s} " + " ".join(YEARLY)]
    for row in yearly.itertuples(index=False):
        cells = [f"{getattr(row, k):>{len(k)}.4g}" for k in YEARLY]
        lines.append(f"{row.year:>6d} {row.days:>5d} " + " ".join(cells))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from sim.model import simulate

    if not 0 <= args.seed < 2**63:
        raise ScenarioError(f"--seed {args.seed}: allowed: an integer in [0, 2**63)")
    out = guard_dir(Path(args.out), OUTPUTS["run"], force=args.force)
    from sim.model.scenario import load_scenario

    scenario = load_scenario(args.scenario, reforms=args.reforms, scale=args.scale, sets=args.sets)
    t0 = time.perf_counter()
    result = simulate(
        scenario,
        args.seed,
        daily=True,
        materialise_agents=args.agents,
        progress=not args.quiet,
        cases=args.cases,
    )
    elapsed = time.perf_counter() - t0
    written = write_results(out, scenario, args.seed, result, args.force)
    if args.quiet:
        return 0
    m = scenario.meta
    name = m.name + (f" + {', '.join(m.reforms)}" if m.reforms else "")
    rests = "the calibrated baseline" if m.base == "baseline" else "the schema's priors (not calibrated)"
    print(
        f"scenario {name} (on {rests}; from {m.source}) | scale {m.scale or 'district'} | seed {args.seed} | "
        f"{elapsed:.1f} s"
    )
    r = scenario.run
    if r.warmup_days:
        print(
            f"figures count cases arriving from day {r.warmup_days} (after the warm-up) to day {r.days}"
            + _dates(r)
        )
    else:
        print(f"figures count cases arriving from day 0 to day {r.days}{_dates(r)}")
    print(format_summary(result.summary, None if args.all else HEADLINE))
    if result.yearly is not None:
        print(format_yearly(result.yearly))
    if not args.all:
        print(
            "one seed's run: relief rates per 100 move by several per cent between seeds; "
            "`leniency sweep` gives replications with confidence intervals (--all prints every metric)"
        )
    print(f"wrote {out}/: {', '.join(written)}")
    return 0
