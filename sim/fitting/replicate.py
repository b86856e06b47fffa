"""Replications for calibration and validation: independent seeds, one worker that runs a scenario on a
seed, and the pool they run on (the sweep engine's executor, ``sim.experiments.executors``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager

import numpy as np

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


def run_worlds(
    job: tuple[str, int, int, Sequence[Mapping[str, float]] | None, tuple[str, ...]],
) -> list[dict[str, float]]:
    """Replications as the worlds of one batched model (in a worker process): the scenario as JSON, the
    batch's seed, the number of worlds, each world's parameter overrides (or None) and the metrics wanted;
    returns each world's metrics, in world order."""
    scenario_json, seed, worlds, overrides, metrics = job
    scenario = Scenario.model_validate_json(scenario_json)
    results = simulate_worlds(scenario, seed, worlds, daily=False, world_overrides=overrides)
    return [{m: r.summary[m] for m in metrics} for r in results]


def run_replications(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    metrics: Sequence[str] | None,
    executor: Executor | None = None,
) -> list[list[dict[str, float]]]:
    """Run every scenario on every seed (CRN); returns per scenario the per-seed metric dicts (None = all
    metrics)."""
    mt = None if metrics is None else tuple(metrics)
    jobs = [(s.model_dump_json(), int(seed), mt) for s in scenarios for seed in seeds]
    out = (
        list(executor.map(run_one, jobs, chunksize=1)) if executor is not None else [run_one(j) for j in jobs]
    )
    k = len(seeds)
    return [out[i * k : (i + 1) * k] for i in range(len(scenarios))]


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Local worker processes when more than one is asked for; otherwise None (run in this process)."""
    if workers <= 1:
        yield None
        return
    with local_processes(workers) as info:
        yield info.executor
