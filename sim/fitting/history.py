"""What each national policy change of 2019–2023 does in the history (``scenarios/history.toml``): the full
history and, for each ``[[timeline]]`` entry, the history without it, on the same seeds.

A change's effect in a year is the full history minus the history without that change, paired seed by seed
(the per-case random streams give a case the same facts and draws in both arms, so the difference is the
change's, not luck's), with its 95 % t-interval over the seeds. The history's own figures per year stand
beside the published figures (``experiments/calibration/published.toml``), each marked in or out of the
calibration's sample. Nothing is fitted here: the history is run as it is, out of sample.

Run ``python -m sim.fitting.history`` to regenerate experiments/calibration/history_effects.{csv,md};
``--readme`` also rewrites the README's table from the .md (a test fails when the two differ).

The page itself (words, tables, the README block) is ``sim.fitting.history_page``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.seeds import seed_list
from sim.experiments.analysis import mean_ci, mean_interval, natural_range
from sim.fitting.history_page import (
    FULL,
    LEVELS,
    Change,
    history_markdown,
    readme_with_history,
    with_published,
)
from sim.fitting.published import load_published
from sim.fitting.replicate import run_yearly, worker_pool
from sim.fitting.targets import ROOT
from sim.model.scenario import SCENARIO_DIR, Scenario, load_scenario

HISTORY = SCENARIO_DIR / "history.toml"
OUT_DIR = ROOT / "experiments" / "calibration"
README = ROOT / "README.md"
SEED_ENTROPY = 20240404


def changes_of(scenario: Scenario) -> list[Change]:
    """The scenario's timeline entries as changes, in date order."""
    return [Change(i, e.date, e.overlay) for i, e in enumerate(scenario.timeline)]


def without(scenario: Scenario, change: Change) -> Scenario:
    """The history with one entry left out; later entries apply on what the others left, as in the file."""
    kept = [e for i, e in enumerate(scenario.timeline) if i != change.index]
    return scenario.model_copy(update={"timeline": kept})


def arms_of(scenario: Scenario) -> dict[str, Scenario]:
    """The full history and one leave-one-out arm per change (named by its overlay, so names must differ)."""
    changes = changes_of(scenario)
    names = [c.name for c in changes]
    if len(set(names)) < len(names):
        raise ValueError(f"two timeline entries share an overlay name ({', '.join(names)}): name them apart")
    return {FULL: scenario, **{c.arm: without(scenario, c) for c in changes}}


def run_history(
    scenario: Scenario,
    seeds: Sequence[int],
    metrics: Sequence[str] = LEVELS,
    *,
    executor: Executor | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Every arm on every seed; one row per arm, seed and year with the metrics (the rows of each run's
    yearly.parquet)."""
    from tqdm import tqdm

    arms = arms_of(scenario)
    mt = tuple(metrics)
    jobs = [(arm, s.model_dump_json(), int(seed)) for arm, s in arms.items() for seed in seeds]
    work = [(text, seed, mt) for _, text, seed in jobs]
    done: Iterable[list[dict[str, float]]] = (
        executor.map(run_yearly, work, chunksize=1) if executor else map(run_yearly, work)
    )
    rows = []
    bar = tqdm(done, total=len(work), desc="history", unit="run", file=sys.stderr, disable=not progress)
    for (arm, _, seed), years in zip(jobs, bar, strict=True):
        rows += [{"arm": arm, "seed": seed, **y} for y in years]
    return pd.DataFrame(rows)


def effects(runs: pd.DataFrame, changes: Sequence[Change], metrics: Sequence[str] = LEVELS) -> pd.DataFrame:
    """Long table: the full history's level per metric and year (mean, 95 % CI over seeds), and each
    change's effect (full minus without it, paired by seed)."""
    full = runs[runs["arm"] == FULL].set_index(["seed", "year"]).sort_index()
    n = full.index.get_level_values("seed").nunique()
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        for year, x in full[metric].groupby(level="year"):
            ci = mean_ci(x.to_numpy(), bounds=natural_range(metric))  # a rate's interval stays in [0, 1]
            rows.append(_row("level", None, metric, int(year), ci["mean"], ci["ci_low"], ci["ci_high"], n))
    for c in changes:
        other = runs[runs["arm"] == c.arm].set_index(["seed", "year"]).sort_index()
        diff = full[list(metrics)] - other[list(metrics)]  # aligned on (seed, year): the pairing
        for metric in metrics:
            for year, x in diff[metric].groupby(level="year"):
                m, lo, hi = mean_interval(x)
                rows.append(_row("effect", c, metric, int(year), m, lo, hi, n))
    return pd.DataFrame(rows)


def _row(
    quantity: str, c: Change | None, metric: str, year: int, m: float, lo: float, hi: float, n: int
) -> dict[str, Any]:
    return {
        "quantity": quantity,
        "change": c.name if c else FULL,
        "in_force_from": c.date if c else "",
        "overlay": c.overlay if c else "",
        "metric": metric,
        "year": year,
        "mean": m,
        "ci_low": lo,
        "ci_high": hi,
        "seeds": n,
    }


def history_effects(
    out: Path,
    *,
    n_seeds: int = 10,
    workers: int = 2,
    sets: Sequence[str] = (),
    scenario_path: Path = HISTORY,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run the history and its leave-one-out arms and write history_effects.csv and .md to ``out``."""
    scenario = load_scenario(scenario_path, sets=list(sets))
    changes = changes_of(scenario)
    if not changes:
        raise ValueError(f"{scenario_path}: no [[timeline]] entries, so no policy change to take out")
    seeds = seed_list(SEED_ENTROPY, n_seeds)
    if log:
        log(f"{1 + len(changes)} arms x {n_seeds} seeds, {workers} worker(s)")
    with worker_pool(workers) as ex:
        runs = run_history(scenario, seeds, executor=ex, progress=progress)
    table = effects(runs, changes).assign(
        scenario=_relative(scenario_path) + "".join(f" --set {s}" for s in sets)
    )
    write_page(out, table)
    return table


def write_page(out: Path, table: pd.DataFrame) -> None:
    """history_effects.csv and .md from the effects table, with the published figures as the data file has
    them now."""
    published = load_published()
    table = with_published(
        table.drop(columns=["published", "published_value", "sample"], errors="ignore"), published
    )
    effect = table[table["quantity"] == "effect"].drop_duplicates("change")
    changes = [Change(i, str(r.in_force_from), str(r.overlay)) for i, r in enumerate(effect.itertuples())]
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "history_effects.csv", index=False)
    (out / "history_effects.md").write_text(
        history_markdown(table, changes, published, str(table["scenario"].iloc[0])), encoding="utf-8"
    )


def rewrite_page(out: Path) -> None:
    """The .md again from the .csv in ``out`` (new wording, or published figures edited), running nothing."""
    path = out / "history_effects.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results to rewrite from; run without --rewrite first")
    write_page(out, pd.read_csv(path, keep_default_na=False, na_values=[""]))


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.fitting.history", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds per arm, the same in every arm (default 10)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--out", default=str(OUT_DIR), help="output folder (default experiments/calibration)")
    ap.add_argument("--scenario", default=str(HISTORY), help="the history (default scenarios/history.toml)")
    ap.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter of every arm, e.g. run.cases_per_day=2 for a quick look",
    )
    ap.add_argument("--readme", action="store_true", help="also rewrite the README's table from the .md")
    ap.add_argument(
        "--rewrite",
        action="store_true",
        help="run nothing: write the .md again from the .csv in --out (after editing published.toml)",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error(f"--seeds {args.seeds}: at least 2 (a confidence interval needs two seeds)")
    if args.workers < 1:
        ap.error(f"--workers {args.workers}: at least 1")
    out = Path(args.out)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    if args.rewrite:
        rewrite_page(out)
    else:
        history_effects(
            out,
            n_seeds=args.seeds,
            workers=args.workers,
            sets=args.sets,
            scenario_path=Path(args.scenario),
            progress=not args.quiet,
            log=None if args.quiet else log,
        )
    md = (out / "history_effects.md").read_text(encoding="utf-8")
    if args.readme:
        README.write_text(readme_with_history(README.read_text(encoding="utf-8"), md), encoding="utf-8")
    if not args.quiet:
        print(md, end="")
        print(
            f"wrote {out}/history_effects.csv, history_effects.md" + (" and README.md" if args.readme else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
