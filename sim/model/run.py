"""Running a scenario: ``simulate_worlds`` builds one ``LeniencyModel`` of K worlds, steps it to the end of
the horizon and hands back one ``RunResult`` per world; ``simulate`` is the one world of an unbatched run.
``sim.model.model`` re-exports them (this module imports the model on first run, so the two do not import
each other)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from sim.model.scenario import Scenario


def every_kernel_scenarios() -> list[Scenario]:
    """Two short classroom runs that between them call every kernel of a user's run: the baseline, and every
    reform with the triage levers on, each from arrival to second instance with judges leaving (which a run
    this short at the usual turnover may not see). What compiles or loads them all before real work: the
    bench's compile figure, the worker pools' preload."""
    from sim.model.scenario import load_scenario, reform_names

    short = {"run.days": 120, "run.warmup_days": 0, "run.drain_days": 400, "judge.turnover_per_year": 1.0}
    triage = {"triage.lawyer_risk_weight": 0.5, "triage.written_lane_share": 0.5, "triage.review_share": 0.5}
    return [
        load_scenario(scale="classroom").with_overrides(short),
        load_scenario(scale="classroom", reforms=reform_names()).with_overrides(short | triage),
    ]


@dataclass
class RunResult:
    """What one run (one world) produces: flat summary metrics, the daily series, the relief ledger, the case
    table and, on a calendar, the figures per year of arrival."""

    summary: dict[str, float]
    daily: pd.DataFrame | None
    relief_events: pd.DataFrame | None = None  # an unbatched run's (the worlds of a batch share one ledger)
    cases: pd.DataFrame | None = None
    yearly: pd.DataFrame | None = None  # per calendar year of arrival, when the run has a calendar


def simulate_worlds(
    scenario: Scenario,
    seed: int,
    worlds: int = 1,
    *,
    daily: bool = True,
    cases: bool = False,
    world_overrides: Sequence[Mapping[str, Any]] | None = None,
    materialise_agents: bool = False,
    progress: bool = False,
) -> list[RunResult]:
    """Run ``worlds`` independent worlds of one scenario in one model (seed ``seed``) to the end of the
    horizon; one result per world, each as an unbatched run's. An unbatched run is a batch of one world.
    ``world_overrides``: one dict per world of the keys that differ between them
    (``sim.model.varying.PER_WORLD``); ``cases``: the per-case table too; ``progress``: a bar over the
    days."""
    from sim.model.model import LeniencyModel  # model.py re-exports this module: imported here, not above

    model = LeniencyModel(
        scenario,
        materialise_agents=materialise_agents,
        record_cases=cases,
        rng=int(seed),
        worlds=int(worlds),
        world_overrides=world_overrides,
    )
    bar = None
    if progress:
        from tqdm import tqdm  # only the CLI's single run shows a bar

        total = scenario.run.days + scenario.run.drain_days
        bar = tqdm(total=total, unit="day", desc="simulating", leave=False, mininterval=0.5, delay=2.0)
    while model.running:
        model.step()
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    summaries = model.world_summaries()
    frames: list[pd.DataFrame | None] = list(model.daily.frames()) if daily else [None] * len(summaries)
    tables: list[pd.DataFrame | None] = [None] * len(summaries)
    if model.cases is not None:
        table = model.cases.frame()
        world = table["district"].to_numpy() // model.districts_per_world
        tables = [table[world == w].reset_index(drop=True) for w in range(len(summaries))]
    ledger = model.ledger.to_frame() if model.worlds == 1 else None
    yearly = model.yearly()  # None for a batch: a calendar cannot be batched
    return [
        RunResult(summary, frame, ledger, table, yearly)
        for summary, frame, table in zip(summaries, frames, tables, strict=True)
    ]


def simulate(
    scenario: Scenario,
    seed: int,
    *,
    daily: bool = True,
    materialise_agents: bool = False,
    progress: bool = False,
    cases: bool = False,
) -> RunResult:
    """One run of a scenario: the one world of ``simulate_worlds``."""
    return simulate_worlds(
        scenario, seed, daily=daily, cases=cases, materialise_agents=materialise_agents, progress=progress
    )[0]


__all__ = ["RunResult", "simulate", "simulate_worlds"]
