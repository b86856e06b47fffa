"""The engine's unit of work and the one place that runs units, in this process or on an executor."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.run import RunResult
    from sim.model.schema import Scenario


@dataclass(frozen=True, slots=True)
class Unit:
    """A scenario run on one seed as ``worlds`` worlds of one model, each world with its own overrides of the
    keys that may differ between worlds; an unbatched run is a unit of one world. Plain data (the scenario as
    JSON), so it crosses process and network boundaries cheaply."""

    scenario: str
    seed: int
    worlds: int = 1
    overrides: tuple[Mapping[str, Any], ...] | None = None
    daily: bool = False
    cases: bool = False

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        seed: int,
        worlds: int = 1,
        overrides: Sequence[Mapping[str, Any]] | None = None,
        *,
        daily: bool = False,
        cases: bool = False,
    ) -> Unit:
        over = None if overrides is None else tuple(dict(o) for o in overrides)
        return cls(scenario.to_json(), int(seed), int(worlds), over, daily, cases)


def run_unit(unit: Unit) -> list[RunResult]:
    """Run a unit: one result per world, in world order."""
    import sim.model  # read at call time, so a test can stand in for the model
    from sim.model.schema import Scenario

    return sim.model.simulate_worlds(
        Scenario.model_validate_json(unit.scenario),
        unit.seed,
        unit.worlds,
        daily=unit.daily,
        cases=unit.cases,
        world_overrides=unit.overrides,
    )


def unit_metrics(job: tuple[Unit, tuple[str, ...] | None]) -> list[dict[str, float]]:
    """Each world's summary metrics of a unit (the ones named, or all with None): what calibration, the
    posterior and the search keep of a run."""
    unit, metrics = job
    return [
        dict(r.summary) if metrics is None else {m: r.summary[m] for m in metrics} for r in run_unit(unit)
    ]


def run_units[K](
    fn: Callable[[Any], Any], jobs: Mapping[K, Any], executor: Executor | None = None
) -> Iterator[tuple[K, Any]]:
    """(key, ``fn(job)``) for every job, as they finish: on the executor's workers, or one after another in
    this process without one."""
    if executor is None:
        for key, job in jobs.items():
            yield key, fn(job)
        return
    futures = {executor.submit(fn, job): key for key, job in jobs.items()}
    try:
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        for fut in futures:
            fut.cancel()


def run_all[K](
    fn: Callable[[Any], Any], jobs: Mapping[K, Any], executor: Executor | None = None
) -> dict[K, Any]:
    """Every job's result, by key (``run_units`` collected)."""
    return dict(run_units(fn, jobs, executor))
