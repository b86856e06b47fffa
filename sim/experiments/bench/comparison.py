"""The reform comparison's wall time for ``leniency bench`` (issue 13): ``make run``'s sweep
(``experiments/reforms.toml``) by the sweep engine on local worker processes, into a temporary folder,
batched as ``leniency sweep`` batches it by default. The quick bench runs two replications of a short
horizon."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from sim.engine.executors import local_processes
from sim.experiments.design.spec import load_spec
from sim.experiments.sweep import Sweep

REFORMS_SPEC = Path(__file__).resolve().parents[3] / "experiments" / "reforms.toml"
QUICK = {"run.days": 30, "run.warmup_days": 0, "run.drain_days": 60}


def measure_comparison(workers: int = 2, quick: bool = False) -> dict[str, Any]:
    """Wall seconds (pool start included: what a user waits for) and runs per second of the comparison."""
    spec = load_spec(REFORMS_SPEC)
    if quick:
        spec = spec.model_copy(update={"replications": 2, "overrides": {**spec.overrides, **QUICK}})
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with local_processes(workers) as info:
            sweep = Sweep(spec, Path(tmp) / "reforms")
            sweep.prepare(resume=False, force=False)
            try:
                report = sweep.run(
                    info.executor, workers=info.workers, description=info.description, progress=False
                )
            finally:
                sweep.store.release_lock()
        seconds = time.perf_counter() - t0
    return {
        "runs": report.ran,
        "failed": report.failed,
        "seconds": seconds,
        "runs_per_second": report.ran / seconds,
        "workers": workers,
        "batch": sweep.plan.batch,
        "quick": quick,
    }
