"""The sweep report: one self-contained HTML file (plotly.js inlined once, so it opens offline) and the CSV
tables behind every chart, from a folder written by ``leniency sweep``.

The page says the answer first: the finding in plain words, then the trade-off chart, then the contents and
every other section: overview, arm means, paired differences, relief by type, hours by actor and stage, factor
effects, sensitivity, daily series, scenario-discovery export, failures. Sections that do not apply are left
out.

The sections live in report_compare (arms against each other), report_breakdown (relief, hours, daily series)
and report_designs (overview, factor designs, exports); report_base holds what they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from plotly.offline import get_plotlyjs, get_plotlyjs_version

from sim import __version__
from sim.engine.outdir import GENERATOR
from sim.engine.store import atomic_write_text
from sim.experiments.analysis import MIN_REPLICATIONS
from sim.experiments.report import breakdown as report_breakdown
from sim.experiments.report import compare as report_compare
from sim.experiments.report import designs as report_designs
from sim.experiments.report import uncertainty as report_uncertainty
from sim.experiments.report.base import NOT_SHOWN, ReportContext, esc, note, short_label
from sim.experiments.report.finding import FINDING_TARGET, finding

__all__ = ["SECTIONS", "Written", "build_report", "finding", "plotly_bundle", "short_label", "FINDING_TARGET"]

SECTIONS = (
    ("overview", "Overview"),
    ("arm-means", "Outcomes by arm (means, 95% CI)"),
    ("paired-differences", "Paired differences from the baseline arm"),
    ("parameter-uncertainty", "Reform effects with the parameters' uncertainty"),
    ("relief-by-type", "Relief initiated, by type and reason: essential vs non-essential"),
    ("hours", "Resource hours per case, by actor and stage"),
    ("trade-off", "Trade-off: resources against undetected involuntary pleas and non-essential relief"),
    ("factor-effects", "Factor effects"),
    ("sensitivity", "Sensitivity indices (Sobol, Morris)"),
    ("daily", "Daily series with replication bands"),
    ("ema", "Scenario discovery export (EMA Workbench)"),
    ("failures", "Failed runs"),
)
LEAD_SECTION = "trade-off"  # shown right after the finding, before the contents
BUILDERS: dict[str, Callable[[ReportContext], str]] = {
    "overview": report_designs.overview,
    "arm-means": report_compare.arm_means,
    "paired-differences": report_compare.paired,
    "parameter-uncertainty": report_uncertainty.uncertainty,
    "relief-by-type": report_breakdown.relief,
    "hours": report_breakdown.hours,
    "trade-off": report_compare.tradeoff,
    "factor-effects": report_designs.factor_effects,
    "sensitivity": report_designs.sensitivity,
    "daily": report_breakdown.daily,
    "failures": report_designs.failures,
}
VENDORED_BUNDLE = Path(__file__).with_name("vendor") / "plotly-basic.min.js"
BASIC_TRACES = frozenset({"scatter", "bar", "pie"})  # what plotly.js-basic-dist holds

CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }
h1 { font-size: 1.5em; margin-top: 1.2em; } h2 { border-bottom: 1px solid #ccc; padding-top: .6em; }
.finding { font-size: 1.05em; background: #f3f7fb; padding: .6em .9em; border-left: 4px solid #2171b5;
           margin-top: .4em; }
.byline { color: #555; font-size: .9em; margin-top: -.3em; }
.tbl-wrap { overflow-x: auto; max-width: 100%; margin: .5em 0; }
.tbl-wrap.tall { max-height: 34em; overflow-y: auto; }
table.tbl, table.kv { border-collapse: collapse; font-size: .85em; width: 100%; }
.tbl th, .tbl td, .kv th, .kv td { border: 1px solid #ddd; padding: 2px 6px; text-align: left;
                                   vertical-align: top; }
.tbl thead th { position: sticky; top: 0; background: #f4f4f4; }
.tbl th { overflow-wrap: anywhere; } /* a long metric name may break mid-word rather than widen the table */
.tbl td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.tbl .ci { color: #666; font-size: .9em; }
.kv th { background: #f4f4f4; width: 14em; } .note { color: #666; font-style: italic; }
.warn { background: #fff4e5; border-left: 4px solid #e6550d; padding: .4em .9em; margin: .4em 0; }
pre { background: #f7f7f7; padding: .6em; overflow-x: auto; font-size: .85em; }
nav ol { columns: 2; }
"""


@dataclass
class Written:
    html: Path
    tables_dir: Path
    ema_dir: Path
    tables: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what the reader must know first (first screen)


def warnings(ctx: ReportContext) -> list[str]:
    """An unfinished sweep (fewer stored runs than planned) and too few replications, said first: every
    figure of the report rests on the runs stored when it was made."""
    out = []
    design = ctx.store.design()
    points = len(design) if design is not None and len(design) else 1
    planned = len(ctx.meta.get("arms", [])) * points * int(ctx.spec.get("replications", 0) or 0)
    stored = len(ctx.all_runs)
    if stored < planned:
        how = (
            "a sweep is still writing to this folder; report again when it has finished"
            if ctx.store.writing()
            else "the sweep's command with --resume runs the rest"
        )
        out.append(
            f"unfinished sweep: {stored} of {planned} planned runs are stored, and every figure here "
            f"rests on those alone; {how}"
        )
    if len(ctx.runs):
        fewest = int(ctx.runs.groupby(["arm", "point"]).size().min())
        if fewest < MIN_REPLICATIONS:
            out.append(
                f"only {fewest} replication{'s' if fewest != 1 else ''} per arm and point: intervals are "
                f"wide or missing and significance marks are not meaningful below {MIN_REPLICATIONS}"
            )
    return out


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def plotly_bundle(trace_types: set[str], notes: list[str] | None = None) -> str:
    """The plotly.js to inline: the vendored basic bundle (1.2 MB instead of 4.8 MB) when it can draw every
    trace and is the same major version as the plotly.js the installed plotly package writes figures for; else
    the full bundle, so the report always renders."""
    if VENDORED_BUNDLE.is_file() and trace_types <= BASIC_TRACES:
        js = VENDORED_BUNDLE.read_text(encoding="utf-8")
        m = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", js[:400])
        if m and _major(m.group(1)) == _major(get_plotlyjs_version()):
            return js
        if notes is not None:
            notes.append(
                f"inlined the full plotly.js bundle: the vendored basic bundle "
                f"({m.group(1) if m else 'unknown version'}) does not match plotly.js "
                f"{get_plotlyjs_version()}"
            )
    elif notes is not None:
        why = (
            f"a figure draws {sorted(trace_types - BASIC_TRACES)}"
            if not trace_types <= BASIC_TRACES
            else f"{VENDORED_BUNDLE} is missing"
        )
        notes.append(f"inlined the full plotly.js bundle: {why}")
    return get_plotlyjs()


def _byline(ctx: ReportContext) -> str:
    reps = ctx.runs.groupby(["arm", "point"]).size() if len(ctx.runs) else None
    per = (
        (f"{reps.min()}" if reps.min() == reps.max() else f"{reps.min()}–{reps.max()}")
        if reps is not None
        else "0"
    )
    points = ctx.runs["point"].nunique() if len(ctx.runs) else 0
    where = f" × {points} design points" if points > 1 else ""
    return (
        f"<p class='byline'>Sweep <b>{esc(ctx.meta.get('name', ctx.folder.name))}</b>: {len(ctx.arms)} arms"
        f"{where}, {esc(per)} replications each, {esc(ctx.spec.get('scale', ''))} scale; "
        "every interval is a 95% CI, paired on common random numbers. <a href='#overview'>Details</a>, "
        "<a href='#contents'>contents</a>.</p>"
    )


def _page(
    ctx: ReportContext, title: str, lead: str, bodies: dict[str, str], bundle: str, warned: list[str]
) -> str:
    """The title, then the finding, byline and trade-off chart (the answer first, under its title); then the
    contents and the remaining sections."""
    shown = [(k, t) for k, t in SECTIONS if not bodies[k].startswith(NOT_SHOWN)]
    warn = "".join(f"<p class='warn'><b>Warning:</b> {esc(w)}</p>" for w in warned)
    toc = "".join(f"<li><a href='#{k}'>{t}</a></li>" for k, t in shown)
    first = "".join(
        f"<section id='{k}'><h2>{t}</h2>{bodies[k]}</section>" for k, t in shown if k == LEAD_SECTION
    )
    rest = "".join(
        f"<section id='{k}'><h2>{t}</h2>{bodies[k]}</section>" for k, t in shown if k != LEAD_SECTION
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{GENERATOR} {__version__}">
<style>{CSS}</style>
<script type="text/javascript">{bundle}</script>
</head><body>
<header><h1>{esc(title)}</h1>{lead}{warn}{_byline(ctx)}</header>
<main>
{first}
<nav id='contents'><h2>Contents</h2><ol>{toc}</ol></nav>
{rest}
</main>
</body></html>
"""


def build_report(
    folder: str | Path, html_path: Path | None = None, outcomes: list[str] | None = None
) -> Written:
    """Analyse a sweep folder; write report.html, tables/*.csv and ema/*."""
    folder = Path(folder)
    ctx = ReportContext(folder, outcomes)
    bodies: dict[str, str] = {}
    ema_dir = folder / "ema"
    for key, _title in SECTIONS:
        try:
            if key == "ema":
                bodies[key], ema_dir = report_designs.ema(ctx)
            else:
                bodies[key] = BUILDERS[key](ctx)
        except Exception as exc:  # a broken section must not cost the others
            ctx.notes.append(f"section {key} failed: {type(exc).__name__}: {exc}")
            bodies[key] = note(f"This section could not be built: {type(exc).__name__}: {exc}")
    try:
        lead = finding(ctx.runs, ctx.baseline)
    except Exception as exc:  # the finding must not cost the report
        ctx.notes.append(f"finding failed: {type(exc).__name__}: {exc}")
        lead = ""
    title = f"leniency-sim sweep report: {ctx.meta.get('name', folder.name)}"
    warned = warnings(ctx)
    doc = _page(ctx, title, lead, bodies, plotly_bundle(ctx.trace_types, ctx.notes), warned)
    out = html_path or folder / "report.html"
    atomic_write_text(out, doc)
    return Written(out, ctx.tables_dir, ema_dir, ctx.tables, ctx.notes, warned)
