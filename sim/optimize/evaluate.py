"""Evaluating candidates: every candidate (a vector of lever intensities) runs on the same seeds (common
random numbers), in parallel on the sweep's executors, its seeds in blocks that each run as the worlds of one
batched model. Each finished run is appended to ``evaluations.jsonl`` at once, so an interrupted search loses
nothing and ``--resume`` reruns no run."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from sim.experiments.designs import REPLICATION_BATCH, batch_room, replications_batchable
from sim.experiments.spec import SpecError
from sim.fitting.replicate import Blocks, run_one, run_worlds
from sim.model.scenario import Scenario
from sim.optimize.levers import Lever, scenario_at

Key = tuple[float, ...]
ARCHIVE = "evaluations.jsonl"
HOURS = ("hours_per_case_prosecutor", "hours_per_case_lawyer", "hours_per_case_judge", "hours_per_case_total")
KEPT = (
    *HOURS,
    "relief_initiations_per_100",
    "relief_initiations_per_100_nonessential",
    "relief_initiations_per_100_essential_avoidable",
    "relief_initiations_per_100_essential_unavoidable",
    "relief_hours_per_case",
    "undetected_involuntary_per_100",
    "involuntary_plea_rate",
    "application_rate",
    "adoption_rate",
    "appeal_rate",
    "detention_days_per_case",
)


def key_of(x: Sequence[float] | np.ndarray) -> Key:
    """A candidate as evaluated: intensities rounded to 1e-6, so a resumed search finds its runs again."""
    return tuple(round(float(v), 6) for v in x)


class Archive:
    """Every finished run of this search: (candidate, seed) -> metrics, one JSON line each."""

    def __init__(self, folder: Path, digest: str) -> None:
        self.path = folder / ARCHIVE
        self.digest = digest
        self.runs: dict[tuple[Key, int], dict[str, float]] = {}

    def load(self) -> int:
        """Read the runs a previous (interrupted) search of the same spec finished; a torn last line is
        skipped. Returns how many were read."""
        if not self.path.is_file():
            return 0
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if rec.get("spec") == self.digest:
                self.runs[(tuple(rec["x"]), int(rec["seed"]))] = rec["metrics"]
        return len(self.runs)

    def record(self, key: Key, seed: int, metrics: dict[str, float]) -> None:
        self.runs[(key, seed)] = metrics
        line = json.dumps({"spec": self.digest, "x": list(key), "seed": seed, "metrics": metrics})
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def search_batch(
    base: Scenario, levers: Sequence[Lever], posterior_keys: Sequence[str] | None, requested: int | None
) -> int:
    """Worlds per batched model for a search (1: one model per run). Not with a calendar; over posterior
    draws only when every drawn parameter may differ between worlds and no lever moves it. ``requested``
    None is automatic: as many replications as a sweep would batch."""
    lever_keys = {key for lv in levers for key, _, _ in lv.changes}
    drawn = set(posterior_keys or ())
    ok = replications_batchable([base], drawn) and not drawn & lever_keys
    if requested is not None:
        if requested > 1 and not ok:
            raise SpecError(
                f"--batch {requested}: this search cannot batch its seeds (a calendar, or posterior "
                "parameters that cannot differ between worlds or that a lever moves); use --batch 1"
            )
        return requested
    return max(1, min(REPLICATION_BATCH, batch_room([base]))) if ok else 1


class Runner:
    """Runs candidates on the common seeds and returns their per-seed metrics. With ``draws`` (one set of
    parameter overrides per seed, from a posterior) seed i runs with draw i under every candidate, so the
    comparison stays paired while the parameters vary."""

    def __init__(
        self,
        base: Scenario,
        levers: Sequence[Lever],
        seeds: Sequence[int],
        metrics: Sequence[str],
        archive: Archive,
        executor: Executor | None,
        on_run: Callable[[], None] = lambda: None,
        on_plan: Callable[[int], None] = lambda n: None,
        draws: Sequence[Mapping[str, Any]] | None = None,
        batch: int = 1,
    ) -> None:
        self.levers, self.seeds = list(levers), [int(s) for s in seeds]
        if draws is not None and len(draws) != len(self.seeds):
            raise ValueError(f"{len(draws)} posterior draws for {len(self.seeds)} seeds")
        self.base, self.draws = base, None if draws is None else [dict(d) for d in draws]
        self.bases = {
            s: base if draws is None else base.with_overrides(draws[i], "posterior")
            for i, s in enumerate(self.seeds)
        }
        # batch > 1: the seeds go in blocks of ``batch`` as the worlds of one batched model (see Blocks)
        self.blocks = Blocks(self.seeds, batch)
        self.metrics = tuple(dict.fromkeys((*KEPT, *metrics)))
        self.archive, self.executor, self.on_run, self.on_plan = archive, executor, on_run, on_plan
        self.evaluated: dict[Key, None] = {}  # candidates of this search, in the order first asked for

    def run(self, X: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Per candidate: each kept metric over the seeds (seed order)."""
        keys = [key_of(x) for x in X]
        todo = [(k, s) for k in dict.fromkeys(keys) for s in self.seeds if (k, s) not in self.archive.runs]
        self.on_plan(len(todo))
        if self.blocks.size > 1:
            self._run_batched(todo)
        else:
            jobs = {
                (k, s): (scenario_at(self.bases[s], self.levers, k).model_dump_json(), s, self.metrics)
                for k, s in todo
            }
            for ks, result in self._execute(run_one, jobs):
                self._done(ks, result)
        for k in keys:
            self.evaluated.setdefault(k)
        return [self.per_seed(k) for k in keys]

    def _run_batched(self, todo: list[tuple[Key, int]]) -> None:
        """Each block of seeds a candidate still lacks runs as one batched model; only its missing worlds are
        recorded (a block is deterministic, so a rerun gives the worlds already kept the same numbers)."""
        wanted = {(k, self.blocks.of(s)) for k, s in todo}
        jobs = {}
        for k, b in sorted(wanted):
            block = self.blocks.seeds(b)
            over = None if self.draws is None else [self.draws[self.seeds.index(s)] for s in block]
            scenario = scenario_at(self.base, self.levers, k).model_dump_json()
            jobs[(k, b)] = (scenario, self.blocks.seed(b), len(block), over, self.metrics)
        for (k, b), worlds in self._execute(run_worlds, jobs):
            for s, metrics in zip(self.blocks.seeds(b), worlds, strict=True):
                if (k, s) not in self.archive.runs:
                    self._done((k, s), metrics)

    def _execute(self, fn: Callable[[Any], Any], jobs: Mapping[Any, Any]) -> Iterator[tuple[Any, Any]]:
        """(key, result) of each job, as they finish (in this process without an executor)."""
        if self.executor is None:
            for key, job in jobs.items():
                yield key, fn(job)
            return
        futures = {self.executor.submit(fn, job): key for key, job in jobs.items()}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()

    def per_seed(self, key: Key) -> dict[str, np.ndarray]:
        runs = [self.archive.runs[(key, s)] for s in self.seeds]
        return {m: np.array([r[m] for r in runs], dtype=float) for m in self.metrics}

    def _done(self, ks: tuple[Key, int], metrics: dict[str, Any]) -> None:
        self.archive.record(ks[0], ks[1], {m: float(metrics[m]) for m in self.metrics})
        self.on_run()
