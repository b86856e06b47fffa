"""Parameters that differ between the worlds of a batch (sim.model.varying): every key in PER_WORLD is read
per case, so a world given a value through ``world_overrides`` runs exactly as one whose scenario holds it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import LeniencyModel, simulate_worlds
from sim.model.scenario import ScenarioError, load_scenario
from sim.model.varying import PER_WORLD

# a value other than the default for each key, far enough to change what a short run does
OTHER = {
    "power.information_asymmetry": 0.95,
    "power.detention_leverage": 0.95,
    "power.target_pressure": 0.95,
    "power.defence_capacity": 0.95,
    "power.judicial_review_depth": 0.95,
    "lawyer.consultation_minutes": 110.0,
    "lawyer.misleading_strength": 0.95,
    "prosecutor.norm_belief_sd": 0.4,
    "defendant.detention_house_value": 4.5,
    "judge.reasoning_quality": 0.95,
    "defendant.contest_share": 0.6,
    "judge.case_view_sd": 0.3,
    "defendant.appeal_threshold": 0.5,
    "prosecutor.supervisory_protest_prob": 0.9,
    "case.sentence_median_months": 30.0,
    "judge.fast_track_uptake": 0.95,
    "prosecutor.review_days_fast": 12.0,
    "power.charge_leverage": 0.95,
    "prosecutor.punitive_protest_prob": 0.9,
    "defendant.protest_awareness": 0.0,
    "prosecutor.determinate_share": 0.2,
    "prosecutor.consult_prob": 0.9,
    "judge.feedback_share": 0.9,
    "lawyer.file_access": 0.95,
    "lawyer.private_meeting": 0.95,
    "lawyer.continuity": 0.95,
    "prosecutor.recorded_hearing_share": 1.0,
    "judge.record_review_hours": 3.0,
    "defendant.learning_prob": 0.9,
}
SHORT = {"run.days": 150, "run.warmup_days": 0, "run.drain_days": 250}


def base():
    return load_scenario(scale="district").with_overrides(SHORT)


def test_every_per_world_key_has_a_test_value():
    assert set(OTHER) == PER_WORLD


@pytest.mark.parametrize("key", sorted(PER_WORLD))
def test_a_world_given_a_value_runs_as_a_scenario_holding_it(key):
    """Both worlds given ``OTHER[key]`` per world, over a scenario with the default: bit-identical to the
    scenario holding the value. A read of the key that skips ``params_at`` would see the default and differ;
    the control shows the value does change this run."""
    held = base().with_overrides({key: OTHER[key]})
    per_world = simulate_worlds(base(), 7, 2, daily=False, world_overrides=[{key: OTHER[key]}] * 2)
    scalar = simulate_worlds(held, 7, 2, daily=False)
    default = simulate_worlds(base(), 7, 2, daily=False)
    assert [w.summary for w in per_world] == [w.summary for w in scalar]
    assert [w.summary for w in default] != [w.summary for w in scalar], f"{key}: no effect in this run"


def test_each_case_sees_its_own_worlds_value():
    over = [{k: OTHER[k] for k in PER_WORLD}, {}, {"power.target_pressure": 0.1}]
    model = LeniencyModel(base(), materialise_agents=False, rng=3, worlds=3, world_overrides=over)
    for _ in range(40):
        model.step()
    rows = np.flatnonzero(model.docket.active)
    world = model.world_of(rows)
    assert set(world.tolist()) == {0, 1, 2}
    seen = model.params_at(rows)
    default = base().power.target_pressure
    expect = np.choose(world, [OTHER["power.target_pressure"], default, 0.1])
    assert np.array_equal(seen.power.target_pressure, expect)
    assert np.all(seen.case.sentence_sigma == base().case.sentence_sigma)  # a key that cannot vary
    per = base().prosecutor.per_district * base().run.districts
    sd = model.prosecutors.belief_sd
    assert np.all(sd[:per] == OTHER["prosecutor.norm_belief_sd"])
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
