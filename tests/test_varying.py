"""Parameters that differ between the worlds of a batch (sim.model.varying): every key in PER_WORLD is read
at the case's world (``LeniencyModel.per_world``), so a world given a value through ``world_overrides`` runs
exactly as one whose scenario holds it."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sim.fitting.targets import load_spec as load_targets
from sim.model import LeniencyModel, simulate_worlds
from sim.model.registry import PARAMS
from sim.model.scenario import ScenarioError, load_scenario
from sim.model.varying import PER_WORLD

SHORT = {"run.days": 150, "run.warmup_days": 0, "run.drain_days": 250}


def base():
    return load_scenario(scale="district").with_overrides(SHORT)


BASE = base().flat()


def others(key: str) -> tuple[float, float]:
    """Two values of ``key`` far from the test scenario's, inside the declared range (``sim.model.registry``):
    near the farther end of a range up to 1 wide, then near the nearer end; for a wide range (minutes,
    months, days) four times the value (at most the middle, so a short run stays short), then a quarter."""
    p, now = PARAMS[key], BASE[key]
    assert p.lo is not None and p.hi is not None, f"{key}: a per-world parameter needs a declared range"
    mid, span = (p.lo + p.hi) / 2, p.hi - p.lo
    if span <= 1:
        low, high = p.lo + 0.05 * span, p.lo + 0.95 * span
        return (high, low) if now < mid else (low, high)
    return (min(4 * now, mid) if now > 0 else mid, max(now / 4, p.lo))


def other(key: str) -> float:
    return others(key)[0]


def test_a_per_world_parameter_is_a_number_with_a_declared_range():
    """Worlds hold a float per world (``WorldValues``): a switch, a text or a count cannot vary."""
    for key in PER_WORLD:
        p = PARAMS[key]
        assert p.kind is float and p.lo is not None and p.hi is not None, key


def test_the_calibrations_free_parameters_may_differ_between_worlds():
    """Posterior draws of the free parameters run as the worlds of one batch (sweeps over a posterior)."""
    assert {p.key for p in load_targets().parameters} <= PER_WORLD


def summaries(scenario, **kw):
    return [w.summary for w in simulate_worlds(scenario, 7, 2, daily=False, **kw)]


@functools.cache
def default_summaries():
    """The test scenario's two worlds as they are: one run shared by every key's test (in a process)."""
    return summaries(base())


@pytest.mark.parametrize("key", sorted(PER_WORLD))
def test_a_world_given_a_value_runs_as_a_scenario_holding_it(key):
    """Both worlds given a value per world, over a scenario with the default: bit-identical to the scenario
    holding the value. A read of the key that skips ``per_world`` would see the default and differ; the
    value is one of ``others(key)`` that does change this run (the control)."""
    default = default_summaries()
    for value in others(key):
        scalar = summaries(base().with_overrides({key: value}))
        if scalar != default:
            break
    else:
        pytest.fail(f"{key}: neither of {others(key)} changes this run")
    assert summaries(base(), world_overrides=[{key: value}] * 2) == scalar


def test_each_case_sees_its_own_worlds_value():
    """``per_world(key)`` holds each world's own value (float64): world 0 given a value of every key, world 1
    none, world 2 one key; a case reads it at its world."""
    over = [{k: other(k) for k in PER_WORLD}, {}, {"power.target_pressure": 0.1}]
    model = LeniencyModel(base(), materialise_agents=False, rng=3, worlds=3, world_overrides=over)
    for _ in range(40):
        model.step()
    rows = np.flatnonzero(model.docket.active)
    world = model.world_of(rows)
    assert set(world.tolist()) == {0, 1, 2}
    flat = base().flat()
    for key in PER_WORLD:
        values = model.per_world(key)
        assert values.dtype == np.float64, key
        third = 0.1 if key == "power.target_pressure" else flat[key]
        assert values.tolist() == [other(key), flat[key], third], key
    seen = model.per_world("power.target_pressure")[world]
    assert np.array_equal(
        seen, np.choose(world, [other("power.target_pressure"), flat["power.target_pressure"], 0.1])
    )
    assert model.per_world("case.sentence_sigma").tolist() == [base().case.sentence_sigma] * 3  # cannot vary
    per = base().prosecutor.per_district * base().run.districts
    sd = model.prosecutors.belief_sd
    assert np.all(sd[:per] == other("prosecutor.norm_belief_sd"))
    assert np.all(sd[per:] == base().prosecutor.norm_belief_sd)


def test_a_key_that_cannot_differ_is_refused_with_the_keys_that_can():
    with pytest.raises(ScenarioError, match=r"world 1: run\.days cannot differ.*power\.target_pressure"):
        LeniencyModel(base(), worlds=2, world_overrides=[{}, {"run.days": 10}])


def test_a_value_out_of_range_is_refused_naming_the_world():
    with pytest.raises(ScenarioError, match=r"world 0.*power\.target_pressure"):
        LeniencyModel(base(), worlds=2, world_overrides=[{"power.target_pressure": 2.0}, {}])


def test_one_dict_per_world():
    with pytest.raises(ScenarioError, match="one per world"):
        LeniencyModel(base(), worlds=3, world_overrides=[{}, {}])
