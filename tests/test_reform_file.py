"""Adding a reform is one TOML file (issue 25): a reform written in a temporary folder, named by
``LENIENCY_REFORMS``, runs through ``leniency run --with``, a sweep, the optimiser's levers and the app's
model, and each shows what the reform changes. Nothing is written into the checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.model.reforms import ENV_VAR, catalogue, find_reform, reform_names
from sim.model.scenario import ScenarioError, load_scenario
from tests.test_sweep_support import tiny_spec

NAME = "early_counsel"
MINUTES = 240.0  # far above the baseline's consultation time: the duty lawyers' hours must rise
REFORM = f"""[meta]
title = "early counsel"
description = "Every defendant gets four hours of duty-lawyer consultation before the plea."

[lawyer]
consultation_minutes = {{ set = {MINUTES} }}
file_access = {{ at_least = 0.9 }}
"""
SHORT = ["--scale", "classroom", "--set", "run.days=40", "--set", "run.warmup_days=0", "--seed", "5"]


@pytest.fixture
def user_reforms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with one reform file, named by the environment variable (child processes inherit it)."""
    folder = tmp_path / "my_reforms"
    folder.mkdir()
    (folder / f"{NAME}.toml").write_text(REFORM, encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(folder))
    return folder


def _run(out: Path, *extra: str) -> dict:
    assert main(["run", "--out", str(out), "--quiet", *SHORT, *extra]) == 0
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_the_catalogue_lists_the_new_reform_after_the_shipped_six(user_reforms: Path) -> None:
    shipped = ("voluntariness_safeguards", "substantive_duty_lawyers", "power_rebalancing")
    assert reform_names()[:3] == shipped  # the study's numbering (meta.order), not the alphabet
    assert reform_names()[-1] == NAME and len(reform_names()) == 7
    r = find_reform(NAME)
    assert (r.title, r.path) == ("early counsel", user_reforms / f"{NAME}.toml")
    assert r.description.startswith("Every defendant")


def test_leniency_run_with_the_new_reform_uses_its_parameters(user_reforms: Path, tmp_path: Path) -> None:
    plain = _run(tmp_path / "plain")
    reformed = _run(tmp_path / "reformed", "--with", NAME)
    scenario = reformed["scenario"]
    assert scenario["meta"]["reforms"] == [NAME]
    assert scenario["lawyer"]["consultation_minutes"] == MINUTES
    assert scenario["lawyer"]["file_access"] == max(0.9, plain["scenario"]["lawyer"]["file_access"])
    assert reformed["cases_arrived"] == plain["cases_arrived"]  # same seed, same docket
    assert reformed["hours_per_case_lawyer"] > 1.5 * plain["hours_per_case_lawyer"]
    # the same file given as a path needs no folder setting
    by_path = _run(tmp_path / "by_path", "--with", str(user_reforms / f"{NAME}.toml"))
    assert by_path["hours_per_case_lawyer"] == reformed["hours_per_case_lawyer"]


def test_a_sweep_runs_the_new_reform_as_an_arm(user_reforms: Path, tmp_path: Path) -> None:
    counsel = f'\n[[arms]]\nname = "counsel"\nreforms = ["{NAME}"]\n'
    spec = tiny_spec(tmp_path, reps=2, arms='["baseline"]', daily=False, days=30, extra=counsel)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "sw"), "--workers", "1", "--quiet"]) == 0
    runs = pd.read_parquet(tmp_path / "sw" / "runs.parquet")
    assert set(runs["arm"]) == {"baseline", "counsel"}
    assert runs.groupby("arm")[f"reform.{NAME}"].all().to_dict() == {"baseline": False, "counsel": True}
    paired = runs.pivot_table(index="replication", columns="arm", values="hours_per_case_lawyer")
    assert (paired["counsel"] > 1.5 * paired["baseline"]).all()
    # "each" in a spec finds it too, with no edit to the spec's code
    each = tiny_spec(tmp_path, arms='["baseline", "each"]', name="each.toml")
    from sim.experiments.design.spec import load_spec

    assert [a.name for a in load_spec(each).all_arms()][-1] == NAME


def test_the_new_reform_is_a_lever(user_reforms: Path) -> None:
    from sim.optimize.levers import lever, lever_names, scenario_at

    assert NAME in lever_names()
    lv = lever(NAME)
    assert lv.description == find_reform(NAME).description
    base = load_scenario(scale="classroom")
    full = load_scenario(scale="classroom", reforms=[NAME])
    assert scenario_at(base, [lv], [1.0]).lawyer == full.lawyer
    half = scenario_at(base, [lv], [0.5]).lawyer.consultation_minutes
    assert half == pytest.approx((base.lawyer.consultation_minutes + MINUTES) / 2)


def test_the_app_has_a_box_for_the_new_reform_and_its_model_applies_it(user_reforms: Path) -> None:
    from sim.app.app import model_params
    from sim.app.model import AppModel

    box = model_params()[NAME]
    assert (box["type"], box["label"], box["value"]) == ("Checkbox", "Reform: early counsel", False)
    m = AppModel(seed=3, **{NAME: True})
    assert m.reforms == (NAME,) and m.params.lawyer.consultation_minutes == MINUTES
    assert m.baseline is not None and m.baseline.params.lawyer.consultation_minutes != MINUTES
    for _ in range(40):
        m.step()
    assert m.summary()["cases_arrived"] == m.baseline.summary()["cases_arrived"]
    assert m.summary()["hours_per_case_lawyer"] > 1.5 * m.baseline.summary()["hours_per_case_lawyer"]
    with pytest.raises(TypeError, match="unknown keyword 'early_councel'.*early_counsel"):
        AppModel(early_councel=True)
    (user_reforms / "seed.toml").write_text('[meta]\ndescription = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="reform 'seed' has the name of a control"):
        model_params()


def test_a_bad_reform_file_is_refused_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    monkeypatch.setenv(ENV_VAR, str(folder))
    bad = folder / "no_meta.toml"
    bad.write_text("[lawyer]\nfile_access = 1.0\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"no_meta\.toml: a reform needs a \[meta\] table"):
        catalogue()
    bad.write_text('[meta]\ndescription = "x"\norder = true\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"no_meta\.toml: \[meta\] key 'order'"):
        catalogue()
    bad.unlink()
    (folder / "power_rebalancing.toml").write_text('[meta]\ndescription = "again"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="already defined by"):
        catalogue()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(ScenarioError, match=f"{ENV_VAR}: folder .*missing not found"):
        load_scenario(reforms=["power_rebalancing"])
    monkeypatch.delenv(ENV_VAR)
    with pytest.raises(ScenarioError, match=f"reform '{NAME}': unknown; allowed: voluntariness_safeguards"):
        load_scenario(reforms=[NAME])


def test_the_readme_example_reform_is_a_valid_reform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```toml\n")[1:] if b.startswith("[meta]")]
    assert len(blocks) == 1, "the README shows one example reform file"
    (tmp_path / f"{NAME}.toml").write_text(blocks[0], encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert find_reform(NAME).title == "early counsel"
    assert load_scenario(reforms=[NAME]).lawyer.file_access == 0.9


@pytest.mark.parametrize("scale", ["classroom", "district", "national"])
def test_a_reforms_staffing_scales_the_scales_staff(scale: str) -> None:
    """A scale sets the size of the world and a reform then changes it: the duty lawyers' reform doubles the
    lawyers at every scale (it was lost at classroom scale, whose preset sets one lawyer a district)."""
    base = load_scenario(scale=scale).lawyer.per_district
    assert load_scenario(scale=scale, reforms=["substantive_duty_lawyers"]).lawyer.per_district == 2 * base


def test_the_apps_classroom_twin_differs_in_the_duty_lawyers_staff() -> None:
    from sim.app.model import AppModel

    m = AppModel(seed=3, substantive_duty_lawyers=True)
    assert m.params.lawyer.per_district == 2 * m.baseline.params.lawyer.per_district
