"""Shared fixtures: small, fast scenarios for tests; and the compiled kernels built once per suite run."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import sim
from sim.model.scenario import Scenario, load_scenario

# Under xdist (`make test` runs `pytest -n 2`) every worker process, and every pool worker or command a test
# starts, would compile on its own whatever kernel the cache lacks: after a change to sim/model, or on a fresh
# clone, the ~30 s compile was paid by each of them at once. One process compiles them first instead (a short
# classroom run reaches every stage and kernel; a batched one with every reform, agents and daily series the
# rest), holding a lock that the workers wait on before their first test; with the kernels cached it takes
# ~2.5 s, while the workers collect.
KERNELS_LOCK = "LENIENCY_TEST_KERNELS_LOCK"
WARM_KERNELS = """
from sim.model import simulate, simulate_worlds
from sim.model.scenario import load_scenario, reform_names
short = {"run.days": 120, "run.warmup_days": 0, "run.drain_days": 400}
simulate(load_scenario(scale="classroom").with_overrides(short), 5, daily=False)
everything = load_scenario(scale="classroom", reforms=reform_names()).with_overrides(short)
over = [{"power.target_pressure": 0.2}] * 2
simulate_worlds(everything, 5, 2, daily=True, materialise_agents=True, world_overrides=over)
"""
_WARMING = pytest.StashKey[tuple[subprocess.Popen[bytes], str]]()


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        return  # an xdist worker (its controller compiles), or one process: it compiles what it uses
    source = Path(sim.__file__).resolve().parent.parent  # where the workers import sim from
    fd, lock = tempfile.mkstemp(prefix="leniency-kernels-", suffix=".lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held by the compiling process until it exits (it inherits fd)
        path = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [sys.executable, "-c", WARM_KERNELS],
            cwd=source,
            env={**os.environ, "PYTHONPATH": path},
            pass_fds=(fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        os.unlink(lock)
        return
    finally:
        os.close(fd)
    os.environ[KERNELS_LOCK] = lock  # xdist starts its workers after this hook: they inherit it
    config.stash[_WARMING] = (proc, lock)


def pytest_collection_finish(session: pytest.Session) -> None:
    """An xdist worker, collected: wait for the kernels before the first test (a failed compile releases the
    lock too; the tests then compile, or fail, on their own)."""
    lock = os.environ.get(KERNELS_LOCK)
    if lock and hasattr(session.config, "workerinput"):
        try:
            with open(lock, "rb") as fh:
                fcntl.flock(fh, fcntl.LOCK_SH)
        except OSError:
            pass


def pytest_unconfigure(config: pytest.Config) -> None:
    warming = config.stash.get(_WARMING, None)
    if warming is None:
        return
    proc, lock = warming
    if proc.poll() is None:  # interrupted early: stop compiling
        proc.kill()
    proc.wait()
    os.environ.pop(KERNELS_LOCK, None)
    Path(lock).unlink(missing_ok=True)


def small(days: int = 90, drain: int = 200, warmup: int = 0, **overrides: object) -> Scenario:
    """District scale, shortened (no warm-up unless asked): enough cases for directions, fast enough for the
    default suite."""
    return load_scenario(
        overrides={"run.days": days, "run.drain_days": drain, "run.warmup_days": warmup, **overrides}
    )


@pytest.fixture
def small_scenario() -> Scenario:
    return small()
