"""Calibration with ``fit_batch`` > 1: a candidate's fit seeds run as the worlds of batched models, each seed
its world, and the objective stays a function of the candidate alone (whatever is evaluated beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_calibration import PARAM, TARGET

from sim.engine import seeds
from sim.fitting import calibration as cal
from sim.fitting import replicate as rep
from sim.fitting import targets as tgt
from sim.model import simulate_worlds
from sim.model.scenario import ScenarioError, load_scenario


def _spec(tmp_path: Path, settings: str) -> tgt.CalibrationSpec:
    text = (
        f"[settings]\nprior_weight = 0.0\nfit_drain_days = 150\n{settings}\n"
        + TARGET.format(m="appeal_rate").replace("0.5", "0.02").replace("0.1", "0.01")
        + PARAM.format(k="defendant.appeal_threshold", lo=0.005, hi=1.0, m="appeal_rate")
    )
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return tgt.load_spec(path)


def test_batched_fit_seeds_keep_the_objective_a_function_of_the_candidate(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "fit_batch = 2")
    ev = cal.Evaluator(load_scenario(), spec, seeds.seed_list(1, 3), 60, 150)
    assert ev.batch == 2
    (alone,) = ev.evaluate([[0.05]])
    other, again = ev.evaluate([[0.3], [0.05]])
    assert again == alone and other != alone
    # each fit seed is its world: blocks [seed 0, seed 1] and [seed 2]
    scenario = ev.scenario([0.05])
    blocks = seeds.Blocks(ev.seeds, 2)
    worlds = [
        w
        for b in range(blocks.count)
        for w in simulate_worlds(scenario, blocks.seed(b), len(blocks.seeds(b)), daily=False)
    ]
    batched = rep.run_replications([scenario], ev.seeds, ["appeal_rate", "adoption_rate"], None, 2)[0]
    assert batched == [{m: w.summary[m] for m in ("appeal_rate", "adoption_rate")} for w in worlds]
    single = rep.run_replications([scenario], ev.seeds, ["appeal_rate", "adoption_rate"], None, 1)[0]
    assert single != batched  # other runs than one model per seed


@pytest.mark.parametrize("value", ["0", "65", '"auto"', "1.5", "true"])
def test_a_bad_fit_batch_is_one_clear_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ScenarioError, match="fit_batch"):
        _spec(tmp_path, f"fit_batch = {value}")
