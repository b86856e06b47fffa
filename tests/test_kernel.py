"""The compiled kernels (``sim.model.kernel``): the same source uncompiled gives the same numbers, and the
compiled model agrees with the numpy model it replaced, world by world, up to cases on a threshold."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model import simulate
from sim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHORT = {
    "run.days": 90,
    "run.warmup_days": 0,
    "run.drain_days": 400,
}  # every stage reached, seconds uncompiled
SCRIPT = """
import json, sys
from sim.model import simulate
from sim.model.scenario import load_scenario
scenario = load_scenario(scale="classroom").with_overrides(json.loads(sys.argv[1]))
print(json.dumps(simulate(scenario, 5, daily=False).summary))
"""


ONCE = """
import gc, json
from numba.core.registry import CPUDispatcher
from sim.model import simulate, simulate_worlds
from sim.model.scenario import load_scenario, reform_names
short = json.loads(__import__("sys").argv[1])
dated = {**short, "run.start_date": "2019-01-01"}  # a calendar: yearly books observe filtered events
simulate(load_scenario(scale="classroom").with_overrides(dated), 5, daily=True)
everything = load_scenario(scale="classroom", reforms=reform_names()).with_overrides(short)
simulate_worlds(everything, 5, 2, daily=True, world_overrides=[{"power.target_pressure": 0.2}] * 2)
many = {
    f"{d.py_func.__module__}.{d.py_func.__name__}": [str(s) for s in d.signatures]
    for d in gc.get_objects()
    if type(d) is CPUDispatcher and len(d.signatures) > 1
}
print(json.dumps(many))
"""


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_uncompiled_source_gives_the_compiled_numbers() -> None:
    """NUMBA_DISABLE_JIT=1 runs the kernels as Python (for debugging): every figure is the same."""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(SHORT)], capture_output=True, text=True, env=env, check=True
    )
    uncompiled = json.loads(out.stdout.strip().splitlines()[-1])
    compiled = simulate(load_scenario(scale="classroom").with_overrides(SHORT), 5, daily=False).summary
    assert compiled["cases_arrived"] > 50 and compiled["relief_initiations_per_100"] > 0
    assert set(uncompiled) == set(compiled)
    differ = {k: (compiled[k], uncompiled[k]) for k in compiled if not same(compiled[k], uncompiled[k])}
    assert not differ


@pytest.mark.parametrize("arm", ["baseline", "prosecutor_judge_coordination"])
def test_compiled_worlds_agree_with_the_numpy_model(arm: str) -> None:
    """100 district worlds on the seeds of the numpy model's reference (tests/golden/prekernel.py): for every
    figure the mean paired difference is, with 99 % confidence, within a tenth of the spread between
    worlds. The two differ only where the C library's exp, log and pow round a last bit differently from
    numpy's; coordination is checked too because there a prosecutor keeps what the court told them, so a
    case moved across a threshold would carry on to later offers."""
    sys.path.insert(0, str(ROOT / "tests" / "golden"))
    from prekernel import worlds

    data = json.loads((ROOT / "tests" / "data" / "prekernel_worlds.json").read_text(encoding="utf-8"))
    reference = data[arm]
    now = worlds(arm)
    assert len(now) == 100 and set(reference) == set(now[0])
    checked = 0
    for key, values in reference.items():
        ref = np.array(values, dtype=float)
        cur = np.array([w[key] for w in now], dtype=float)
        both = ~(np.isnan(ref) | np.isnan(cur))
        assert (np.isnan(ref) == np.isnan(cur)).mean() >= 0.95, key
        spread = ref[both].std(ddof=1)
        if not both.sum() > 10 or not spread > 0:
            continue
        diff = cur[both] - ref[both]
        half = 2.576 * diff.std(ddof=1) / math.sqrt(len(diff))
        assert abs(diff.mean()) + half <= 0.1 * spread, (key, diff.mean(), half, spread)
        checked += 1
    assert checked > 60


def test_every_kernel_compiles_once() -> None:
    """A kernel called with arguments of another type (dtype, layout, read-only or not) compiles again,
    0.2-1.5 s of a user's first run each: an unbatched run with a calendar and a batched one with every
    reform call each kernel with arguments of one type (a helper, called only from kernels, may compile once
    per dtype)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", ONCE, json.dumps(SHORT)], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {}


EVERY = """
import gc, importlib, json, pkgutil
import sim.model
from numba.core.registry import CPUDispatcher
from sim.model import simulate
from sim.model.run import every_kernel_scenarios
for info in pkgutil.walk_packages(sim.model.__path__, "sim.model."):
    importlib.import_module(info.name)
for scenario in every_kernel_scenarios():
    simulate(scenario, 1, daily=False)
print(json.dumps(sorted(
    f"{d.py_func.__module__}.{d.py_func.__name__}" for d in gc.get_objects()
    if isinstance(d, CPUDispatcher) and d.py_func.__module__.startswith("sim.") and not d.signatures
    and not d.targetoptions.get("no_cpython_wrapper")  # a helper: compiled inside the kernels calling it
)))
"""


def test_the_preload_runs_call_every_kernel() -> None:
    """The runs that compile or load the kernels before real work (the bench's compile figure, the worker
    pools' preload) call every kernel of the model's modules; only the validation's own (the fitting checks
    call ``Defendant.pressure`` alone) may be left for its first use."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", EVERY], capture_output=True, text=True, env=env, check=True)
    uncalled = json.loads(out.stdout.strip().splitlines()[-1])
    assert uncalled == ["sim.model.actors.defendant_kernels.pressure_kernel"]
