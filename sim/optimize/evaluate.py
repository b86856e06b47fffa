"""Evaluating candidates: every candidate (a vector of lever intensities) runs on the same seeds (common
random numbers) as units of the engine (``sim.engine``), its seeds in blocks that each run as the worlds of
one model. Each finished run is committed to the engine's store (``runs.parquet``) at once, so an
interrupted search loses nothing and ``--resume`` reruns no run."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from sim.engine.batching import replication_batch
from sim.engine.seeds import Blocks
from sim.engine.store import RUNS, ResultStore
from sim.engine.unit import Unit, run_units, unit_metrics
from sim.experiments.design.spec import SpecError
from sim.model.scenario import Scenario, ScenarioError
from sim.optimize.levers import Lever, scenario_at

Key = tuple[float, ...]
ARCHIVE = RUNS
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


def read_archive(folder: Path, digest: str | None = None) -> list[dict[str, Any]]:
    """The search's finished runs in ``folder`` (of the question ``digest``, or all), each ``{"spec", "x",
    "seed", "metrics"}``, in the order they finished."""
    runs = ResultStore(folder).read_runs(["spec", "x", "seed", "metrics"])
    if digest is not None:
        runs = runs[runs["spec"] == digest]
    return [
        {"spec": r.spec, "x": json.loads(r.x), "seed": int(r.seed), "metrics": json.loads(r.metrics)}
        for r in runs.itertuples(index=False)
    ]


class Archive:
    """Every finished run of this search, (candidate, seed) -> metrics, in the engine's store
    (``runs.parquet`` parts: each run committed as it finishes, crash-safe, one writer at a time). The
    candidate and the metrics are kept as JSON text, so a resumed search reads back every bit."""

    def __init__(self, folder: Path, digest: str) -> None:
        self.store = ResultStore(folder)
        self.digest = digest
        self.runs: dict[tuple[Key, int], dict[str, float]] = {}

    def load(self) -> int:
        """Read the runs a previous (interrupted) search of the same question finished. Returns how many."""
        for rec in read_archive(self.store.root, self.digest):
            self.runs[(tuple(rec["x"]), rec["seed"])] = rec["metrics"]
        return len(self.runs)

    def record(self, key: Key, seed: int, metrics: dict[str, float]) -> None:
        self.runs[(key, seed)] = metrics
        x = json.dumps(list(key))
        run_id = hashlib.sha256(f"{self.digest}:{x}:{seed}".encode()).hexdigest()[:20]
        row = {
            "run_id": run_id,
            "attempt": uuid.uuid4().hex,
            "status": "ok",
            "spec": self.digest,
            "x": x,
            "seed": int(seed),
            "metrics": json.dumps(metrics),
        }
        self.store.append([row])


def search_batch(
    base: Scenario, levers: Sequence[Lever], posterior_keys: Sequence[str] | None, requested: int | None
) -> int:
    """Worlds per model for a search (the engine's rule, ``replication_batch``): not with a calendar; over
    posterior draws only when every drawn parameter may differ between worlds and no lever moves it.
    ``requested`` None is automatic: as many replications as a sweep would batch."""
    moved = {key for lv in levers for key, _, _ in lv.changes}
    try:
        return replication_batch([base], posterior_keys or (), requested, moved, what="search")
    except ScenarioError as exc:
        raise SpecError(str(exc)) from None


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
        """Per candidate: each kept metric over the seeds (seed order). Each block of seeds a candidate still
        lacks runs as one unit; only its missing worlds are recorded (a unit is deterministic, so a rerun
        gives the worlds already kept the same numbers)."""
        keys = [key_of(x) for x in X]
        todo = [(k, s) for k in dict.fromkeys(keys) for s in self.seeds if (k, s) not in self.archive.runs]
        self.on_plan(len(todo))
        jobs = {}
        for k, b in sorted({(k, self.blocks.of(s)) for k, s in todo}):
            block = self.blocks.seeds(b)
            if self.blocks.size == 1:  # the draw under the levers: it may set keys that cannot vary by world
                over, scenario = None, scenario_at(self.bases[block[0]], self.levers, k)
            else:  # each world's draw over the candidate (no lever moves a drawn key: search_batch)
                over = None if self.draws is None else [self.draws[self.seeds.index(s)] for s in block]
                scenario = scenario_at(self.base, self.levers, k)
            jobs[(k, b)] = (Unit.of(scenario, self.blocks.seed(b), len(block), over), self.metrics)
        for (k, b), worlds in run_units(unit_metrics, jobs, self.executor):
            for s, metrics in zip(self.blocks.seeds(b), worlds, strict=True):
                if (k, s) not in self.archive.runs:
                    self._done((k, s), metrics)
        for k in keys:
            self.evaluated.setdefault(k)
        return [self.per_seed(k) for k in keys]

    def per_seed(self, key: Key) -> dict[str, np.ndarray]:
        runs = [self.archive.runs[(key, s)] for s in self.seeds]
        return {m: np.array([r[m] for r in runs], dtype=float) for m in self.metrics}

    def _done(self, ks: tuple[Key, int], metrics: dict[str, Any]) -> None:
        self.archive.record(ks[0], ks[1], {m: float(metrics[m]) for m in self.metrics})
        self.on_run()
