"""`leniency report DIR`: analyse a sweep folder and write DIR/report.html (self-contained, works offline),
DIR/tables/*.csv and DIR/ema/ (EMA Workbench experiments/outcomes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.engine.outdir import OUTPUTS, guard_file, guard_into, record
from sim.model.errors import ScenarioError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="analyse a sweep: HTML report, CSV tables, EMA Workbench export", description=__doc__
    )
    p.add_argument("dir", help="a sweep folder written by `leniency sweep`")
    p.add_argument("--out", help="HTML file (default DIR/report.html)")
    p.add_argument(
        "--outcomes", nargs="+", metavar="METRIC", help="outcomes to chart (default: the spec's headline)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.engine.store import ResultStore
    from sim.experiments.report.page import build_report

    folder = Path(args.dir)
    if not (folder / "runs.parquet").is_dir():
        raise ScenarioError(
            f"{folder}: not a sweep folder (no runs.parquet); run `leniency sweep SPEC --out {folder}` first"
        )
    store = ResultStore(folder)
    if not store.has_runs():
        busy = "a sweep is still writing there; " if store.writing() else ""
        raise ScenarioError(f"{folder}: no finished run is stored yet; {busy}nothing to report")
    # tables/ and ema/ go beside the runs; the page to --out, or beside them too
    html = guard_file(Path(args.out)) if args.out else None
    names = [n for n in OUTPUTS["report"] if html is None or n != "report.html"]
    folder = guard_into(folder, names, flag="DIR")
    record(folder, "report", names)
    written = build_report(folder, html_path=html, outcomes=args.outcomes)
    for warning in written.warnings:  # even with --quiet: the report's figures rest on them
        print(f"leniency report: warning: {warning}", file=sys.stderr)
    if args.quiet:
        return 0
    print(
        f"wrote {written.html} ({written.html.stat().st_size / 1e6:.1f} MB), {len(written.tables)} tables "
        f"in {written.tables_dir}, EMA export in {written.ema_dir}"
    )
    for note in written.notes:
        print(f"note: {note}")
    return 0
