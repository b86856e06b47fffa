"""Benchmark: how fast and how lean the model runs, measured the same way every time.

Every measurement runs in a fresh Python process
(``python -m sim.experiments.bench.measure --child SPEC``), so
peak resident memory (``getrusage``) belongs to that one run, and imports and the loading of the compiled
kernels are paid before the clock starts (the compile measurements report both).
Wall time covers the whole
``simulate`` call: model set-up, every day, data collection and building the result frames.

Beside the model the same process measures the per-case *Mesa floor*: bare Mesa with one agent per case
created in bulk, five empty stage methods called through the AgentSet, and removal — what any
one-object-per-case design pays before it does any work. Sweep throughput runs district-scale ``simulate``
calls on 1 and 2 worker processes.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sim.engine.executors import local_processes

SEED = 20240901  # fixed: every repeat of a run does the same work
SWEEP_SEEDS = range(1000, 1000 + 64)
BATCH_SIZES = (1, 8, 32, 128)  # worlds per batched model measured by the bench (1: unbatched)


@dataclass(frozen=True)
class RunSpec:
    """One measured run: a scale preset, an optional horizon override, and whether Defendant agents exist."""

    name: str
    scale: str
    days: int | None = None
    agents: bool = False
    seed: int = SEED
    overrides: tuple[tuple[str, Any], ...] = ()  # further dotted-key overrides, e.g. (("run.districts", 10),)


@dataclass(frozen=True)
class Plan:
    """What a bench invocation measures."""

    runs: tuple[RunSpec, ...]
    repeats: int
    floor_cases: int  # cases pushed through the bare-Mesa floor model per measurement
    floor_per_day: int
    sweep_runs: int  # runs per sweep measurement (per worker count)
    sweep_scale: str
    sweep_days: int | None
    quick: bool = False


def full_plan(repeats: int = 3) -> Plan:
    """The benchmark of issue 6: national and district years, headless and with agents, floor, sweep."""
    return Plan(
        runs=(
            RunSpec("national", "national"),
            RunSpec("district", "district"),
            RunSpec("national_agents", "national", agents=True),
            RunSpec("district_agents", "district", agents=True),
        ),
        repeats=repeats,
        floor_cases=4700 * 60,
        floor_per_day=4700,
        sweep_runs=24,
        sweep_scale="district",
        sweep_days=None,
    )


def quick_plan(repeats: int = 1) -> Plan:
    """Same shape on tiny settings (seconds, not minutes): for smoke tests and a first look."""
    return Plan(
        runs=(
            RunSpec("national", "national", days=3),
            RunSpec("district", "district", days=30),
            RunSpec("national_agents", "national", days=3, agents=True),
            RunSpec("district_agents", "district", days=30, agents=True),
        ),
        repeats=repeats,
        floor_cases=4700 * 2,
        floor_per_day=4700,
        sweep_runs=4,
        sweep_scale="classroom",
        sweep_days=30,
        quick=True,
    )


# --- child side: one measurement in a fresh process
# -----------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


def scenario_at(scale: str, days: int | None, overrides: Iterable[tuple[str, Any]] = ()) -> Any:
    """A scale preset, shortened to ``days`` (with a proportionate warm-up) and with further overrides."""
    from sim.model.scenario import load_scenario

    scenario = load_scenario(scale=scale)
    changes = dict(overrides)
    if days is not None:  # a shortened run keeps a proportionate warm-up
        changes |= {"run.days": days, "run.warmup_days": min(scenario.run.warmup_days, days // 3)}
    return scenario.with_overrides(changes) if changes else scenario


def load_kernels() -> None:
    """Load the compiled kernels from their cache before the clock starts, as imports are: what that costs
    once per process is the bench's warm start figure (``compile.start_seconds``)."""
    from sim.experiments.bench.kernels import measure_compile

    measure_compile()


def measure_run(spec: RunSpec) -> dict[str, float]:
    """Time one ``simulate`` call (daily series and relief frame included) in this process."""
    from sim.model import simulate

    load_kernels()
    scenario = scenario_at(spec.scale, spec.days, spec.overrides)
    c0, t0 = _cpu(), time.perf_counter()
    result = simulate(scenario, spec.seed, daily=True, materialise_agents=spec.agents)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    cases = int(result.summary["cases_arrived"])
    return {
        "cases": cases,
        "seconds": seconds,
        "cases_per_second": cases / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": cpu,
    }


def measure_batched(scale: str, days: int | None, worlds: int) -> dict[str, float]:
    """Time ``worlds`` district runs on one core as one model of ``worlds`` worlds (an unbatched run with
    one); runs per second, CPU seconds and peak memory."""
    from sim.model import simulate_worlds

    load_kernels()
    scenario = scenario_at(scale, days)
    c0, t0 = _cpu(), time.perf_counter()
    simulate_worlds(scenario, SEED, worlds, daily=False)
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "worlds": worlds,
        "seconds": seconds,
        "runs_per_second": worlds / seconds,
        "runs_per_cpu_second": worlds / cpu,
        "peak_rss_mb": peak_rss_mb(),
    }


def _cpu() -> float:
    """CPU seconds of this process: on a machine shared with other jobs, closer to idle wall time than wall
    is."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_floor(cases: int, per_day: int) -> dict[str, float]:
    """Bare Mesa: per day, create ``per_day`` agents in bulk, call five empty stage methods on each, remove
    them."""
    import mesa

    class Case(mesa.Agent):
        def investigate(self) -> None: ...
        def review(self) -> None: ...
        def plea(self) -> None: ...
        def trial(self) -> None: ...
        def appeal(self) -> None: ...

    class Floor(mesa.Model):
        def step(self) -> None:
            batch = Case.create_agents(self, per_day)
            for stage in ("investigate", "review", "plea", "trial", "appeal"):
                batch.do(stage)
            for agent in list(batch):
                agent.remove()

    model = Floor(rng=SEED)
    days = max(1, cases // per_day)
    c0, t0 = _cpu(), time.perf_counter()
    for _ in range(days):
        model.step()
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "cases": days * per_day,
        "seconds": seconds,
        "cases_per_second": days * per_day / seconds,
        "cpu_seconds": cpu,
    }


def _child(spec_json: str) -> None:
    spec = json.loads(spec_json)
    if spec["kind"] in ("compile", "start"):
        from sim.experiments.bench.kernels import measure_compile, measure_start

        out = measure_compile() if spec["kind"] == "compile" else measure_start()
    elif spec["kind"] == "floor":
        out = measure_floor(spec["cases"], spec["per_day"])
    elif spec["kind"] == "batched":
        out = measure_batched(spec["scale"], spec["days"], spec["worlds"])
    else:
        run = dict(spec["run"])
        run["overrides"] = tuple(tuple(kv) for kv in run.get("overrides", ()))
        out = measure_run(RunSpec(**run))
    print(json.dumps(out))


# --- parent side
# ------------------------------------------------------------------------------------------------------


def in_child(spec: dict[str, Any], python: str = sys.executable) -> dict[str, float]:
    """Run one measurement in a fresh interpreter and read its JSON line."""
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if spec.get("cache"):  # the kernels' cache of this measurement (empty: compile them)
        env["NUMBA_CACHE_DIR"] = spec["cache"]
    proc = subprocess.run(
        [python, "-m", "sim.experiments.bench.measure", "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({spec}):\n{proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _sweep_task(payload: tuple[str, int | None, int]) -> float:
    """One sweep run (module-level: picklable). Returns its wall seconds inside the worker."""
    from sim.model import simulate

    scale, days, seed = payload
    t0 = time.perf_counter()
    simulate(scenario_at(scale, days), seed, daily=False)
    return time.perf_counter() - t0


def measure_sweep(workers: int, runs: int, scale: str, days: int | None) -> dict[str, float]:
    """Runs per second of district-scale ``simulate`` on ``workers`` processes (pool start and warm-up
    excluded)."""
    with local_processes(workers) as info:
        pool = info.executor
        list(
            pool.map(_sweep_task, [(scale, days, s) for s in SWEEP_SEEDS[:workers]])
        )  # warm: imports, caches
        t0 = time.perf_counter()
        list(pool.map(_sweep_task, [(scale, days, s) for s in SWEEP_SEEDS[:runs]]))
        seconds = time.perf_counter() - t0
    return {"runs": runs, "seconds": seconds, "runs_per_second": runs / seconds}


@dataclass
class Samples:
    """Repeated measurements of one thing; summarised by the median and the spread (min, max)."""

    values: list[dict[str, float]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return float(statistics.median(v[key] for v in self.values))

    def spread(self, key: str) -> list[float]:
        return [float(min(v[key] for v in self.values)), float(max(v[key] for v in self.values))]


def _summary(samples: Samples) -> dict[str, Any]:
    return {
        "cases": int(samples.median("cases")),
        "seconds": samples.median("seconds"),
        "cases_per_second": samples.median("cases_per_second"),
        "peak_rss_mb": samples.median("peak_rss_mb"),
        "seconds_spread": samples.spread("seconds"),
        "cases_per_second_spread": samples.spread("cases_per_second"),
        "peak_rss_mb_spread": samples.spread("peak_rss_mb"),
        "cpu_seconds": samples.median("cpu_seconds"),
        "repeats": len(samples.values),
    }


def run_bench(
    plan: Plan, *, progress: bool = True, child: Callable[[dict[str, Any]], dict[str, float]] = in_child
) -> dict[str, Any]:
    """Measure everything in ``plan``; returns the issue's JSON object (with spreads, the floor and ratios
    inside)."""
    from tqdm import tqdm

    jobs: list[tuple[str, dict[str, Any]]] = []
    for _ in range(plan.repeats):  # interleave repeats so slow drift in machine load hits every run alike
        for run in plan.runs:
            jobs.append((run.name, {"kind": "run", "run": run.__dict__}))
        jobs.append(("floor", {"kind": "floor", "cases": plan.floor_cases, "per_day": plan.floor_per_day}))
        for k in BATCH_SIZES:
            job: dict[str, Any] = {
                "kind": "batched",
                "scale": plan.sweep_scale,
                "days": plan.sweep_days,
                "worlds": k,
            }
            jobs.append((f"batched_{k}", job))
    total = len(jobs) + 2 * plan.repeats + 2
    samples: dict[str, Samples] = {}
    sweeps: dict[int, Samples] = {1: Samples(), 2: Samples()}
    with tqdm(
        total=total, desc="bench", unit="measurement", file=sys.stderr, disable=None if progress else True
    ) as bar:
        for name, spec in jobs:
            bar.set_postfix_str(name)
            samples.setdefault(name, Samples()).values.append(child(spec))
            bar.update(1)
        for _ in range(plan.repeats):
            for workers in (1, 2):
                bar.set_postfix_str(f"sweep x{workers}")
                sweeps[workers].values.append(
                    measure_sweep(workers, plan.sweep_runs, plan.sweep_scale, plan.sweep_days)
                )
                bar.update(1)
        bar.set_postfix_str("reform comparison")
        from sim.experiments.bench.comparison import measure_comparison

        comparison = measure_comparison(2, quick=plan.quick)  # once: it is long (~1 min) and batched
        bar.update(1)
        bar.set_postfix_str("compile")
        from sim.experiments.bench.kernels import measure_compile_times

        compiled = measure_compile_times(child)
        bar.update(1)
    floor = samples.pop("floor")
    batched = {k: samples.pop(f"batched_{k}") for k in BATCH_SIZES}
    days = {r.name: r.days for r in plan.runs}  # None: the scenario's own year
    out: dict[str, Any] = {
        name: _summary(s) | {"quick": plan.quick, "days": days.get(name)} for name, s in samples.items()
    }
    floor_cps = floor.median("cases_per_second")
    # Issue 6's four top-level keys, and the kernels' compile times (issue 26); the floor and
    # district-with-agents nest inside them.
    out["national"]["mesa_floor"] = {
        "cases": int(floor.median("cases")),
        "cases_per_second": floor_cps,
        "cases_per_second_spread": floor.spread("cases_per_second"),
        "cpu_seconds": floor.median("cpu_seconds"),
    }
    out["national"]["times_mesa_floor"] = out["national"]["cases_per_second"] / floor_cps
    # the same ratio in CPU time: robust when other jobs share the cores
    floor_cpu_rate = floor.median("cases") / floor.median("cpu_seconds")
    out["national"]["times_mesa_floor_cpu"] = (
        out["national"]["cases"] / out["national"]["cpu_seconds"]
    ) / floor_cpu_rate
    out["national_agents"]["times_headless"] = out["national_agents"]["seconds"] / out["national"]["seconds"]
    if "district_agents" in out:
        agents = out.pop("district_agents")
        out["district"]["agents"] = agents | {
            "times_headless": agents["seconds"] / out["district"]["seconds"]
        }
    w1, w2 = sweeps[1].median("runs_per_second"), sweeps[2].median("runs_per_second")
    out["sweep"] = {
        "workers_1_runs_per_second": w1,
        "workers_2_runs_per_second": w2,
        "speedup": w2 / w1,
        "workers_1_spread": sweeps[1].spread("runs_per_second"),
        "workers_2_spread": sweeps[2].spread("runs_per_second"),
        "runs": plan.sweep_runs,
        "scale": plan.sweep_scale,
        "repeats": plan.repeats,
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    # one core, runs of the sweep's scale: unbatched (1) and as the worlds of one batched model
    per_core = {k: batched[k].median("runs_per_second") for k in BATCH_SIZES}
    out["sweep"]["batched"] = {
        str(k): {
            "runs_per_second_per_core": per_core[k],
            "runs_per_cpu_second": batched[k].median("runs_per_cpu_second"),
            "runs_per_second_spread": batched[k].spread("runs_per_second"),
            "peak_rss_mb": batched[k].median("peak_rss_mb"),
        }
        for k in BATCH_SIZES
    }
    out["sweep"]["batched_speedup"] = max(per_core.values()) / per_core[1]
    out["sweep"]["batched_best_worlds"] = max(per_core, key=lambda k: per_core[k])
    out["sweep"]["reform_comparison"] = comparison
    out["national"]["seed"] = SEED
    out["compile"] = compiled
    return out


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 2 and args[0] == "--child":
        _child(args[1])
        return 0
    print(
        "usage: python -m sim.experiments.bench.measure --child SPEC (use `leniency bench` instead)",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
