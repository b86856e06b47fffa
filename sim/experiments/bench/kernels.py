"""The bench's compile measurements: what the compiled kernels cost the first time (an empty cache) and what a
user waits for before the first simulated day once they are cached. Each runs in a fresh process
(``measure.in_child``) with its own kernel cache folder (``NUMBA_CACHE_DIR``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sim.experiments.bench.measure import SEED


def measure_compile() -> dict[str, float]:
    """Seconds of the short classroom runs that call every kernel (``every_kernel_scenarios``) in this
    process, imports excluded: with an empty kernel cache (``NUMBA_CACHE_DIR``) it includes compiling them
    all."""
    from sim.model import simulate
    from sim.model.run import every_kernel_scenarios

    scenarios = every_kernel_scenarios()
    t0 = time.perf_counter()
    for scenario in scenarios:
        simulate(scenario, SEED, daily=False)
    return {"seconds": time.perf_counter() - t0}


def measure_start() -> dict[str, float]:
    """What a user waits for before the first simulated day of ``leniency run``: imports, the embedded
    scenario, the model and its first day (the parent times the whole process)."""
    from sim.model.model import LeniencyModel

    LeniencyModel(rng=SEED, materialise_agents=False).step()
    return {}


def measure_compile_times(child: Callable[[dict[str, Any]], dict[str, float]]) -> dict[str, float]:
    """The kernels' compile time (a run with an empty cache less the same run with a warm one, each in a
    fresh process) and the warm start of a run (a whole process up to its first day)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="leniency-bench-cache-") as cache:
        cold = child({"kind": "compile", "cache": cache})["seconds"]
        warm = child({"kind": "compile", "cache": cache})["seconds"]
        t0 = time.perf_counter()
        child({"kind": "start", "cache": cache})
        start = time.perf_counter() - t0
    return {
        "cold_seconds": cold,
        "warm_seconds": warm,
        "compile_seconds": cold - warm,
        "start_seconds": start,
    }
