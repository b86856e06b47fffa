"""Helpers (no tests): small specs and an in-process sweep runner shared by the sweep and report tests."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from sim.experiments.spec import load_spec
from sim.experiments.sweep import Sweep, SweepReport

TINY = """
name = "tiny"
description = "a tiny sweep for tests"
scale = "classroom"
master_seed = 99
replications = {reps}
reform_arms = {arms}
daily = {daily}
{top}
[overrides]
"run.days" = {days}
"run.warmup_days" = 0
"run.drain_days" = 60
"""


def tiny_spec(
    tmp_path: Path,
    reps: int = 2,
    arms: str = '["baseline", "all"]',
    daily: bool = True,
    days: int = 30,
    extra: str = "",
    name: str = "spec.toml",
    top: str = "",
) -> Path:
    p = tmp_path / name
    p.write_text(
        TINY.format(reps=reps, arms=arms, daily=str(daily).lower(), days=days, top=top) + extra,
        encoding="utf-8",
    )
    return p


def sweep_in_process(
    spec_path: Path,
    out: Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    replications: int | None = None,
    target: tuple[str, float] | None = None,
    batch: int | None = None,
) -> tuple[Sweep, SweepReport]:
    """Run a sweep on threads in this process (so tests can monkeypatch the model)."""
    sweep = Sweep(
        load_spec(spec_path), out, spec_text=spec_path.read_text(), replications=replications, batch=batch
    )
    sweep.prepare(resume=resume, force=False)
    ex = executor or ThreadPoolExecutor(2)
    with ex:
        report = sweep.run(ex, workers=2, description="threads", target=target, progress=False)
    return sweep, report
