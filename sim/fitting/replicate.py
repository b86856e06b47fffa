"""Replications for calibration and validation: every scenario on every seed (common random numbers), the
seeds in blocks that each run as the worlds of one model, as units of the engine (``sim.engine``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sim.engine.executors import local_processes
from sim.engine.seeds import Blocks
from sim.engine.unit import Unit, run_all, unit_metrics
from sim.model import simulate
from sim.model.scenario import Scenario

if TYPE_CHECKING:
    from sim.engine.stored import StoredUnits


def run_yearly(job: tuple[str, int, tuple[str, ...]]) -> list[dict[str, float]]:
    """One replication of a scenario on a calendar (in a worker process): the rows of its yearly.parquet
    (``year`` and the metrics wanted), the figures a history is judged by. Batched worlds cannot carry a
    timeline, so each seed is its own model."""
    scenario_json, seed, metrics = job
    yearly = simulate(Scenario.model_validate_json(scenario_json), seed, daily=False).yearly
    if yearly is None:
        raise ValueError("run_yearly: the scenario has no calendar (run.start_date), so no yearly figures")
    return [
        {"year": int(row["year"]), **{m: float(row[m]) for m in metrics}} for row in yearly.to_dict("records")
    ]


def run_replications(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    metrics: Sequence[str] | None,
    executor: Executor | None = None,
    batch: int = 1,
    units: StoredUnits | None = None,
) -> list[list[dict[str, float]]]:
    """Run every scenario on every seed (CRN); returns per scenario the per-seed metric dicts (None = all
    metrics). Each scenario's seeds run in blocks of ``batch`` as the worlds of one model (``Blocks``);
    with ``units`` each block is looked up in, or committed to, the engine's store."""
    mt = None if metrics is None else tuple(metrics)
    blocks = Blocks(seeds, batch)
    jobs = {
        (i, b): (Unit.of(s, blocks.seed(b), len(blocks.seeds(b))), mt)
        for i, s in enumerate(scenarios)
        for b in range(blocks.count)
    }
    done = run_all(unit_metrics, jobs, executor) if units is None else units.run(jobs, executor)
    return [[w for b in range(blocks.count) for w in done[(i, b)]] for i in range(len(scenarios))]


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Local worker processes when more than one is asked for; otherwise None (run in this process)."""
    if workers <= 1:
        yield None
        return
    with local_processes(workers) as info:
        yield info.executor
