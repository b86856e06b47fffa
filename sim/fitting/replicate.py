"""Replications for calibration and validation: independent seeds, one worker that runs a scenario on a
seed, and the pool they run on (the sweep engine's executor, ``sim.experiments.executors``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

import numpy as np

from sim.experiments.designs import seed_of
from sim.experiments.executors import local_processes
from sim.model import simulate, simulate_worlds
from sim.model.scenario import Scenario


def seed_list(entropy: int, n: int, stream: int = 0) -> list[int]:
    """``n`` independent integer seeds from a SeedSequence; stream 0 = fit seeds, 1 = check seeds."""
    return [int(s) for s in np.random.SeedSequence(entropy, spawn_key=(stream,)).generate_state(n)]


def run_one(job: tuple[str, int, tuple[str, ...] | None]) -> dict[str, float]:
    """One replication in a worker process: the scenario as JSON (cheap to pickle), a seed, the metrics wanted
    (None = all)."""
    scenario_json, seed, metrics = job
    summary = simulate(Scenario.model_validate_json(scenario_json), seed, daily=False).summary
    return dict(summary) if metrics is None else {m: summary[m] for m in metrics}


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


class Blocks:
    """Seeds in blocks of at most ``size``, each block the worlds of one batched model.

    A block's seed is a function of its seeds alone, so world i of a block sees the same cases under every
    scenario run on it (common random numbers, as between the arms of a batched sweep), and a scenario's
    figures do not depend on which other scenarios ran or on the workers. With ``size`` 1 each seed is an
    ordinary run on that seed."""

    def __init__(self, seeds: Sequence[int], size: int) -> None:
        self.all = [int(s) for s in seeds]
        self.size = max(1, min(int(size), len(self.all)))

    @property
    def count(self) -> int:
        return -(-len(self.all) // self.size)

    def of(self, seed: int) -> int:
        return self.all.index(seed) // self.size

    def seeds(self, block: int) -> list[int]:
        return self.all[block * self.size : (block + 1) * self.size]

    def seed(self, block: int) -> int:
        return seed_of(np.random.SeedSequence(self.seeds(block)))


def run_worlds(
    job: tuple[str, int, int, Sequence[Mapping[str, float]] | None, tuple[str, ...] | None],
) -> list[dict[str, float]]:
    """Replications as the worlds of one batched model (in a worker process): the scenario as JSON, the
    batch's seed, the number of worlds, each world's parameter overrides (or None) and the metrics wanted
    (None = all); returns each world's metrics, in world order."""
    scenario_json, seed, worlds, overrides, metrics = job
    scenario = Scenario.model_validate_json(scenario_json)
    results = simulate_worlds(scenario, seed, worlds, daily=False, world_overrides=overrides)
    return [dict(r.summary) if metrics is None else {m: r.summary[m] for m in metrics} for r in results]


def run_replications(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    metrics: Sequence[str] | None,
    executor: Executor | None = None,
    batch: int = 1,
) -> list[list[dict[str, float]]]:
    """Run every scenario on every seed (CRN); returns per scenario the per-seed metric dicts (None = all
    metrics). ``batch`` > 1: each scenario's seeds run in blocks of that many as the worlds of one batched
    model (``Blocks``)."""
    mt = None if metrics is None else tuple(metrics)
    blocks = Blocks(seeds, batch)
    texts = [s.model_dump_json() for s in scenarios]
    fn: Callable[[Any], Any]
    if blocks.size == 1:
        fn = run_one
        jobs: list[tuple[Any, ...]] = [(t, int(seed), mt) for t in texts for seed in seeds]
    else:
        fn = run_worlds
        jobs = [
            (t, blocks.seed(b), len(blocks.seeds(b)), None, mt) for t in texts for b in range(blocks.count)
        ]
    done: list[Any] = list(executor.map(fn, jobs, chunksize=1)) if executor else [fn(j) for j in jobs]
    if blocks.size > 1:  # each job gave its block's worlds, in seed order
        done = [w for block in done for w in block]
    k = len(seeds)
    return [done[i * k : (i + 1) * k] for i in range(len(scenarios))]


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Local worker processes when more than one is asked for; otherwise None (run in this process)."""
    if workers <= 1:
        yield None
        return
    with local_processes(workers) as info:
        yield info.executor
