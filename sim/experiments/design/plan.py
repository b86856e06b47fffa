"""Design points and seeds of an experiment: factor samplers (grid, scipy's Latin hypercube, SALib's
Saltelli and Morris), per-run seeds with common random numbers across arms, and the list of runs (tasks) a
sweep needs.

A design point's identity (``point_key``) is a hash of its factor values rather than its position, so
inserting a grid value or adding samples never changes the seeds, and therefore the run ids, of points
already run unbatched or with their replications batched. Design points batched together (``points`` mode)
share the seed of their block, so there a changed design is another set of runs (``--resume`` refuses a
changed design in any case).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.batching import batch_room, replications_batchable
from sim.engine.limits import MAX_BATCH, REPLICATION_BATCH
from sim.engine.seeds import batch_seed, points_batch_seed, run_seed
from sim.engine.unit import Unit
from sim.experiments.design.spec import (
    Arm,
    ExperimentSpec,
    Factors,
    SpecError,
    arm_scenario,
    factor_overrides,
)
from sim.experiments.design.uncertainty import UNCERTAINTY, choose_draws, parameters, posterior_overrides
from sim.experiments.worker import SweepUnit
from sim.model.scenario import Scenario, reform_names
from sim.model.varying import PER_WORLD


def salib_problem(factors: Factors) -> dict[str, Any]:
    """The SALib problem dict (names and bounds) of a sampled design."""
    names = list(factors.ranges)
    return {"num_vars": len(names), "names": names, "bounds": [list(factors.ranges[n]) for n in names]}


def factor_points(factors: Factors | None, seed: int) -> list[dict[str, float]]:
    """Factor values of every design point, in sampler order (the order SALib's analysers expect)."""
    if factors is None:
        return [{}]
    if factors.design == "grid":
        names = list(factors.grid)
        return [
            dict(zip(names, map(float, combo), strict=True))
            for combo in itertools.product(*factors.grid.values())
        ]
    problem = salib_problem(factors)
    names = problem["names"]
    if factors.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(factors.samples)
        lo, hi = np.array(problem["bounds"]).T
        x = qmc.scale(unit, lo, hi)
    elif factors.design == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(
            problem, factors.samples, calc_second_order=factors.second_order, scramble=True, seed=seed
        )
    else:
        from SALib.sample import morris

        x = morris.sample(problem, factors.samples, num_levels=factors.levels, seed=seed)
    return [dict(zip(names, map(float, row), strict=True)) for row in x]


def point_key(values: Mapping[str, float]) -> int:
    """A stable 63-bit identity of a design point from its factor values (0 when nothing varies)."""
    if not values:
        return 0
    blob = json.dumps(sorted((k, float(v)) for k, v in values.items())).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big") >> 1


def run_id(scenario_hash: str, seed: int) -> str:
    """A run's identity: the resolved scenario and the seed, nothing else."""
    return hashlib.sha256(f"{scenario_hash}:{seed}".encode()).hexdigest()[:20]


def world_run_id(scenario_hash: str, seed: int, size: int, world: int) -> str:
    """A batched run's identity: the scenario, the batch's seed and size, and its world in the batch."""
    return hashlib.sha256(f"{scenario_hash}:{seed}:{size}:{world}".encode()).hexdigest()[:20]


def batchable(bases: list[Scenario], posterior: pd.DataFrame | None) -> bool:
    """Whether replications can share a batched model: not with a calendar (run.start_date), and over
    posterior draws only when every parameter the posterior draws may differ between worlds (each replication
    runs its own draw; ``sim.model.varying.PER_WORLD``)."""
    return replications_batchable(bases, parameters(posterior) if posterior is not None else ())


def points_batchable(spec: ExperimentSpec, bases: list[Scenario], posterior: pd.DataFrame | None) -> bool:
    """Whether design points can share a batched model: every key the factors set may differ between
    worlds (``sim.model.varying.PER_WORLD``), and replications could be batched."""
    f = spec.factors
    if f is None or f.before_reforms or posterior is not None or not batchable(bases, posterior):
        return False  # before_reforms: each point needs its own scenario (the reforms act on its values)
    keys = {k for name in f.names for k in (f.composite[name].low if name in f.composite else (name,))}
    return keys <= PER_WORLD


def batch_mode(
    spec: ExperimentSpec, bases: list[Scenario], posterior: pd.DataFrame | None, n_points: int
) -> str:
    """What the worlds of a batch are: ``points`` (design points at one replication) when the factors may
    differ between worlds and that makes larger batches than the replications do, else ``replications``
    (replications of one point)."""
    if points_batchable(spec, bases, posterior) and min(n_points, MAX_BATCH) > min(
        spec.replications, REPLICATION_BATCH
    ):
        return "points"
    return "replications"


def auto_batch(
    spec: ExperimentSpec, bases: list[Scenario], posterior: pd.DataFrame | None, points: int = 0
) -> int:
    """How many runs of one arm go together as the worlds of one batched model: replications of a point, or
    with ``points`` > 0 that many design points. A function of the spec alone (never of the workers), so the
    same spec gives the same numbers anywhere."""
    if not batchable(bases, posterior):
        return 1
    room = batch_room(bases)
    if points > 0:
        return max(1, min(points, MAX_BATCH, room))
    return max(1, min(spec.replications, REPLICATION_BATCH, room))


@dataclass(frozen=True, slots=True)
class Task:
    """One run to do (kept small: a sweep lists all of them up front)."""

    arm: int
    point: int
    replication: int
    seed: int
    run_id: str


class Plan:
    """An experiment spec resolved into arms x design points x replications."""

    def __init__(
        self,
        spec: ExperimentSpec,
        posterior: pd.DataFrame | None = None,
        batch: int | None = None,
        mode: str | None = None,
    ) -> None:
        self.spec = spec
        self.posterior = posterior  # with one: each point twice, at the point estimate and over the draws
        self.arms: list[Arm] = spec.all_arms()
        self.bases: list[Scenario] = [arm_scenario(spec, a) for a in self.arms]
        seed = (
            spec.factors.seed
            if spec.factors is not None and spec.factors.seed is not None
            else spec.master_seed
        )
        self.points: list[dict[str, float]] = factor_points(spec.factors, seed)
        if posterior is not None:  # posterior = 0: the point estimate, 1: replication r runs draw r
            levels = (0, 1) if spec.point_estimate else (1,)
            self.points = [{**p, UNCERTAINTY: float(u)} for p in self.points for u in levels]
        self.keys: list[int] = [point_key(p) for p in self.points]
        self._hashes: dict[tuple[int, int, int], str] = {}
        self._worlds: dict[tuple[int, int], Scenario] = {}
        self._draws = np.zeros(0, dtype=np.int64)
        # runs of one arm go as the worlds of batched models, ``batch`` at a time (1: one model per run):
        # replications of one point, or (``mode`` "points") design points at one replication
        self.mode = mode if mode is not None else batch_mode(spec, self.bases, posterior, len(self.points))
        points = len(self.points) if self.mode == "points" else 0
        self.batch = batch if batch is not None else auto_batch(spec, self.bases, posterior, points)
        if self.batch > 1 and not batchable(self.bases, posterior):
            raise SpecError(
                f"--batch {self.batch}: this experiment cannot be batched (a calendar: run.start_date, or "
                "posterior draws of parameters outside sim.model.varying.PER_WORLD); use --batch 1"
            )
        self._block_seeds: dict[tuple[int, int], int] = {}

    @property
    def factor_names(self) -> list[str]:
        return self.spec.factors.names if self.spec.factors is not None else []

    @cached_property
    def arm_names(self) -> list[str]:
        return [a.name for a in self.arms]

    def draw(self, point: int, replication: int) -> int:
        """The posterior draw a replication of a point runs with (-1: the point estimate). Replication r of
        every arm and every point gets the same draw: common random numbers across arms."""
        if self.posterior is None or not self.points[point].get(UNCERTAINTY):
            return -1
        if replication >= len(self._draws):
            self._draws = choose_draws(self.posterior, max(2 * replication, 64), self.spec.master_seed)
        return int(self._draws[replication])

    def point_overrides(self, arm: int, point: int) -> dict[str, Any]:
        """The dotted overrides a design point sets on an arm's scenario."""
        values = {k: v for k, v in self.points[point].items() if k != UNCERTAINTY}
        if not values or self.spec.factors is None:
            return {}
        return factor_overrides(self.spec.factors, values)

    def scenario(self, arm: int, point: int, draw: int = -1) -> Scenario:
        base = self.bases[arm]
        over = self.point_overrides(arm, point)
        if over and self.spec.factors is not None and self.spec.factors.before_reforms:
            if (arm, point) not in self._worlds:  # the point is the world the arm's reforms change
                self._worlds[arm, point] = arm_scenario(self.spec, self.arms[arm], world=over)
            base, over = self._worlds[arm, point], {}
        if draw >= 0 and self.posterior is not None:
            over |= posterior_overrides(self.posterior, draw)
        return base.with_overrides(over, source=f"design point {point}") if over else base

    def scenario_hash(self, arm: int, point: int, draw: int = -1) -> str:
        key = (arm, point, draw)
        if key not in self._hashes:
            self._hashes[key] = hashlib.sha256(self.scenario(arm, point, draw).to_json().encode()).hexdigest()
        return self._hashes[key]

    def scenario_hashes(self) -> set[str]:
        """Every scenario the plan can run: each arm and point, over every posterior draw for the points
        that run with them (the store keeps only runs of these as current)."""
        out: set[str] = set()
        for a in range(len(self.arms)):
            for p in range(len(self.points)):
                if self.posterior is not None and self.points[p].get(UNCERTAINTY):
                    out.update(self.scenario_hash(a, p, d) for d in range(len(self.posterior)))
                else:
                    out.add(self.scenario_hash(a, p))
        return out

    def tasks(
        self, replications: Mapping[int, int] | int, start: Mapping[int, int] | int = 0
    ) -> Iterator[Task]:
        """Runs for replications [start, replications) of each point, replication-major so that a partial
        sweep holds complete replications across arms (what paired comparisons need)."""
        n = len(self.points)
        reps = [replications if isinstance(replications, int) else replications.get(p, 0) for p in range(n)]
        first = [start if isinstance(start, int) else start.get(p, 0) for p in range(n)]
        for r in range(max(reps, default=0)):
            for p in range(n):
                if not first[p] <= r < reps[p]:
                    continue
                draw = self.draw(p, r)
                if self.batch == 1:
                    seed = run_seed(self.spec.master_seed, self.keys[p], r)
                    for a in range(len(self.arms)):
                        yield Task(a, p, r, seed, run_id(self.scenario_hash(a, p, draw), seed))
                    continue
                seed = self.seed_of_batch(p, r)
                size, world = self.place(p, r)
                for a in range(len(self.arms)):
                    rid = world_run_id(self.scenario_hash(a, p, draw), seed, size, world)
                    yield Task(a, p, r, seed, rid)

    def block(self, point: int) -> range:
        """In ``points`` mode, the design points that share a batch with ``point`` (in world order)."""
        lo = point // self.batch * self.batch
        return range(lo, min(lo + self.batch, len(self.points)))

    def place(self, point: int, replication: int) -> tuple[int, int]:
        """(worlds in the batch, this run's world in it) of a run; (1, 0) unbatched."""
        if self.batch == 1:
            return 1, 0
        if self.mode == "points":
            block = self.block(point)
            return len(block), point - block.start
        return self.batch, replication % self.batch

    def seed_of_batch(self, point: int, replication: int) -> int:
        """The seed of the batch a run is a world of (as ``run_seed``, the same for every arm)."""
        if self.mode != "points":
            return batch_seed(self.spec.master_seed, self.keys[point], self.batch, replication // self.batch)
        block = self.block(point)
        key = (block.start, replication)
        if key not in self._block_seeds:
            keys = [self.keys[q] for q in block]
            self._block_seeds[key] = points_batch_seed(self.spec.master_seed, keys, replication)
        return self._block_seeds[key]

    def units(self, tasks: Iterable[Task]) -> Iterator[list[Task]]:
        """The tasks grouped into what one worker does at a time: one run, or the worlds of one batch (the
        same arm, and the same point and block of replications, or the same block of points and
        replication), in the order their first task comes."""
        groups: dict[tuple[int, int, int], list[Task]] = {}
        for t in tasks:
            if self.mode == "points":
                key = (t.arm, t.replication, t.point // self.batch)
            else:
                key = (t.arm, t.point, t.replication // self.batch)
            groups.setdefault(key, []).append(t)
        yield from groups.values()

    def ident(self, task: Task) -> dict[str, Any]:
        """A run's identity columns in ``runs.parquet``."""
        arm = self.arms[task.arm]
        draw = self.draw(task.point, task.replication)
        size, world = self.place(task.point, task.replication)
        ident: dict[str, Any] = {
            "run_id": task.run_id,
            "arm": arm.name,
            "point": task.point,
            "point_key": self.keys[task.point],
            "replication": task.replication,
            "seed": task.seed,
            "batch_size": size,
            "world": world,
            "scenario_hash": self.scenario_hash(task.arm, task.point, draw),
        }
        if self.posterior is not None:
            ident["posterior_draw"] = draw
        ident.update({f"reform.{r}": r in arm.reforms for r in reform_names()})
        ident.update(self.points[task.point])
        return ident

    def unit(self, tasks: list[Task], daily: bool) -> SweepUnit:
        """What a worker needs to do one unit of ``units``: the engine's unit (the first task's scenario and
        seed, and the batch's worlds with each world's overrides) and every task's identity."""
        first = tasks[0]
        worlds, _ = self.place(first.point, first.replication)
        overrides: list[dict[str, Any]] | None = None
        draw = self.draw(first.point, first.replication)
        if self.batch > 1 and self.mode == "points":  # the arm's scenario, each world's factor values over it
            scenario = self.bases[first.arm]
            overrides = [self.point_overrides(first.arm, q) for q in self.block(first.point)]
        elif self.batch > 1 and self.posterior is not None and draw >= 0:
            # the point's scenario, and each replication's own posterior draw over it
            scenario = self.scenario(first.arm, first.point)
            lo = first.replication // self.batch * self.batch
            draws = [self.draw(first.point, r) for r in range(lo, lo + self.batch)]
            overrides = [posterior_overrides(self.posterior, d) for d in draws]
        else:  # the run's own scenario (the worlds of a batch of replications share it)
            scenario = self.scenario(first.arm, first.point, draw)
        unit = Unit.of(scenario, first.seed, worlds, overrides, daily=daily, cases=self.spec.cases)
        return SweepUnit(unit, tuple(self.ident(t) for t in tasks), tuple(self.spec.outcome_names()))

    def design_frame(self) -> pd.DataFrame:
        """One row per design point in sampler order: index, key, factor values."""
        df = pd.DataFrame(self.points, columns=self.factor_names)
        df.insert(0, "point_key", np.array(self.keys, dtype=np.int64))
        df.insert(0, "point", np.arange(len(self.points), dtype=np.int64))
        return df
