"""Experiment specs: validation errors name the file, the key and what is allowed, and nothing runs;
designs and seeds are what the spec promises (64 reform subsets, common random numbers, stable seeds when a
design grows)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_sweep_support import cli_in_process

from sim.engine.seeds import batch_seed, run_seed
from sim.experiments.design.plan import Plan, point_key
from sim.experiments.design.spec import SpecError, load_spec
from sim.model.scenario import reform_names

ROOT = Path(__file__).resolve().parent.parent
BASE = """
name = "t"
description = "test spec"
scale = "classroom"
replications = 2
reform_arms = "baseline"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        ("colour = 'red'", ["unknown key 'colour'", "allowed here", "replications"]),
        ("max_replications = 0", ["'max_replications'", "greater than or equal to 2"]),
        ("master_seed = -1", ["'master_seed'", "greater than or equal to 0"]),
        ("baseline_arm = 'nope'", ["baseline_arm 'nope' is not an arm", "baseline"]),
        ("outcomes = ['relief_rate', 'happiness']", ["'outcomes'", "unknown metric 'happiness'"]),
        (
            "[[arms]]\nname = 'x'\nreforms = ['free_lunch']",
            ["arms.0.reforms", "free_lunch", "voluntariness_safeguards"],
        ),
        (
            "[overrides]\n'power.information_asymmetry' = 1.7",
            ["power.information_asymmetry", "1.7", "[0.0, 1.0]"],
        ),
        ("[overrides]\n'power.charm' = 1", ["unknown key 'power.charm'", "information_asymmetry"]),
        (
            "[factors]\ndesign = 'magic'\n[factors.grid]\n'power.target_pressure' = [0.1]",
            ["factors.design", "grid", "lhs", "sobol", "morris"],
        ),
        (
            "[factors]\ndesign = 'sobol'\nsamples = 10\n[factors.ranges]\n"
            "'power.target_pressure' = [0.1, 0.5]",
            ["power of 2"],
        ),
        (
            "[factors]\ndesign = 'lhs'\n[factors.ranges]\n'power.target_pressure' = [0.1, 1.5]",
            ["power.target_pressure", "1.5"],
        ),
        (
            "[factors]\ndesign = 'grid'\n[factors.grid]\n'power.mood' = [0.1]",
            ["factor 'power.mood' is not a scenario parameter"],
        ),
        (
            "[factors]\ndesign = 'grid'\n[factors.grid]\n'power.target_pressure' = [0.1]\n"
            "[factors.extra]\nx = 1",
            ["unknown key 'factors.extra'", "composite"],
        ),
    ],
)
def test_bad_spec_names_file_key_and_allowed(tmp_path: Path, extra: str, fragments: list[str]) -> None:
    path = write(tmp_path, BASE + extra + "\n")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    msg = str(err.value)
    assert str(path) in msg
    for f in fragments:
        assert f in msg, msg


def test_bad_scale_lists_scales(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace('"classroom"', '"planet"'))
    with pytest.raises(
        SpecError, match=r"'scale' = 'planet' is invalid.*'classroom', 'district' or 'national'"
    ):
        load_spec(path)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(SpecError, match="malformed TOML"):
        load_spec(write(tmp_path, "name = \n"))
    with pytest.raises(SpecError, match="'description' is required"):
        load_spec(write(tmp_path, "name = 'x'\nreform_arms = 'baseline'\n"))
    with pytest.raises(SpecError, match="no arms"):
        load_spec(write(tmp_path, "name = 'x'\ndescription = 'y'\n"))


def test_cli_bad_spec_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    spec = write(tmp_path, BASE + "replications = -3\n".replace("replications", "max_replications"))
    out = tmp_path / "out"
    proc = cli_in_process("sweep", str(spec), "--out", str(out))
    assert proc.returncode == 2
    assert "max_replications" in proc.stderr and str(spec) in proc.stderr
    assert not out.exists()


def test_all_subsets_is_64_distinct_arms_in_one_line(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, BASE.replace('reform_arms = "baseline"', 'reform_arms = "all_subsets"')))
    plan = Plan(spec)
    assert len(plan.arms) == 64
    assert len({tuple(a.reforms) for a in plan.arms}) == 64
    assert plan.arms[0].name == "baseline" and plan.arms[-1].name == "all_reforms"
    assert len({plan.scenario_hash(a, 0) for a in range(64)}) == 64


def test_common_random_numbers_and_seed_independence(tmp_path: Path) -> None:
    spec = load_spec(
        write(
            tmp_path,
            BASE.replace('"baseline"', '["baseline", "each"]')
            + "[factors]\ndesign='grid'\n[factors.grid]\n'power.target_pressure' = [0.2, 0.8]\n",
        )
    )
    plan = Plan(spec, batch=1)
    tasks = list(plan.tasks(3))
    assert len(tasks) == 7 * 2 * 3 and len({t.run_id for t in tasks}) == len(tasks)
    for p, r in {(t.point, t.replication) for t in tasks}:
        seeds = {t.seed for t in tasks if (t.point, t.replication) == (p, r)}
        assert len(seeds) == 1  # every arm reuses the replication's seed
    assert len({t.seed for t in tasks}) == 2 * 3
    # the seed is SeedSequence(master_seed, spawn_key=(point, replication)) and nothing else
    t = tasks[-1]
    assert t.seed == run_seed(spec.master_seed, point_key(plan.points[t.point]), t.replication)
    assert run_seed(1, 0, 0) != run_seed(2, 0, 0) != run_seed(1, 0, 1)
    # batched: the 3 replications are the worlds of one batch per arm and point; every arm's batch has the
    # same seed (common random numbers), each world is a run of its own
    assert Plan(spec).batch == min(spec.replications, 64)  # auto: from the spec alone
    batched = Plan(spec, batch=3)
    tasks = list(batched.tasks(3))
    assert len({t.run_id for t in tasks}) == len(tasks) == 7 * 2 * 3
    assert len({t.seed for t in tasks}) == 2
    units = list(batched.units(tasks))
    assert len(units) == 7 * 2 and all({t.arm for t in u} == {u[0].arm} and len(u) == 3 for u in units)
    assert tasks[0].seed == batch_seed(spec.master_seed, point_key(plan.points[tasks[0].point]), 3, 0)


def test_growing_a_design_keeps_existing_run_ids(tmp_path: Path) -> None:
    grid = "[factors]\ndesign='grid'\n[factors.grid]\n'power.target_pressure' = {}\n"
    # one model per run (batched design points share a seed by block: a grown design makes other blocks)
    small = Plan(load_spec(write(tmp_path, BASE + grid.format("[0.2, 0.8]"))), batch=1)
    big = Plan(load_spec(write(tmp_path, BASE + grid.format("[0.2, 0.5, 0.8]"))), batch=1)
    before = {t.run_id for t in small.tasks(2)}
    after = {t.run_id for t in big.tasks(3)}
    assert before < after and len(after - before) == 3 * 3 - 2 * 2
    sob = (
        "[factors]\ndesign='sobol'\nsamples={}\n[factors.ranges]\n'power.target_pressure' = [0.1, 0.9]\n"
        "'judge.reasoning_quality' = [0.2, 0.9]\n"
    )
    s8 = Plan(load_spec(write(tmp_path, BASE + sob.format(8))))
    s16 = Plan(load_spec(write(tmp_path, BASE + sob.format(16))))
    assert len(s8.points) == 8 * 4 and set(s8.keys) <= set(s16.keys)


def test_composite_factor_interpolates_and_rounds_integers(tmp_path: Path) -> None:
    text = (
        BASE
        + """
[factors]
design = "grid"
[factors.grid]
staff = [0.0, 0.5, 1.0]
[factors.composite.staff.low]
"lawyer.per_district" = 1
"lawyer.file_access" = 0.0
[factors.composite.staff.high]
"lawyer.per_district" = 4
"lawyer.file_access" = 1.0
"""
    )
    plan = Plan(load_spec(write(tmp_path, text)))
    mid = plan.scenario(0, 1)
    assert mid.lawyer.file_access == pytest.approx(0.5) and isinstance(mid.lawyer.per_district, int)
    assert [plan.scenario(0, i).lawyer.per_district for i in range(3)] == [1, 2, 4]


@pytest.mark.parametrize("name", ["reforms", "imbalance", "sensitivity"])
def test_shipped_specs_load(name: str) -> None:
    spec = load_spec(ROOT / "experiments" / f"{name}.toml")
    assert spec.description.strip()
    plan = Plan(spec)
    if name == "reforms":
        assert [a.name for a in plan.arms] == ["baseline", *reform_names(), "all_reforms"] and spec.daily


def test_arm_layers_preset_then_reforms_then_overrides(tmp_path: Path) -> None:
    text = (
        BASE.replace('reform_arms = "baseline"', "")
        + """
[overrides]
"judge.reasoning_quality" = 0.5
[[arms]]
name = "high"
preset = "power_high"
[[arms]]
name = "high_rebalanced"
preset = "power_high"
reforms = ["power_rebalancing"]
overrides = { "judge.reasoning_quality" = 0.7 }
"""
    )
    plan = Plan(load_spec(write(tmp_path, text)))
    high, fixed = plan.scenario(0, 0), plan.scenario(1, 0)
    assert high.power.information_asymmetry == 0.85 and high.judge.reasoning_quality == 0.5
    assert fixed.power.information_asymmetry == 0.3  # the reform acts on the preset's world
    assert (
        fixed.judge.reasoning_quality == 0.7
        and fixed.meta.name == "high_rebalanced"
        and fixed.run.cases_per_day == 3.0
    )
    with pytest.raises(SpecError, match="preset 'power_mid': unknown; allowed: power_low, power_high"):
        load_spec(write(tmp_path, text.replace('"power_high"\nreforms', '"power_mid"\nreforms')))


def test_readme_arms_example_is_a_valid_spec(tmp_path: Path) -> None:
    """The README's ``[[arms]]`` example loads and gives the arms it says, in that order."""
    import re
    import textwrap

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[[arms]]" in b]
    assert blocks, "the README shows no [[arms]] example"
    plan = Plan(load_spec(write(tmp_path, textwrap.dedent(blocks[0]))))
    assert plan.arm_names == ["baseline", "high_power", "high_power_rebalanced"]
    assert plan.scenario(2, 0).judge.reasoning_quality == 0.7
