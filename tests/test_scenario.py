"""Scenario loading and validation: every bad input class gives one clear error naming file, key and
allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.model.scenario import (
    SCALES,
    SCENARIO_DIR,
    Scenario,
    ScenarioError,
    load_scenario,
    param_table,
    reform_names,
)


def test_embedded_default_is_the_baseline_file() -> None:
    base = load_scenario(SCENARIO_DIR / "baseline.toml")
    assert base.meta.name == "baseline"


def test_every_shipped_overlay_loads_and_changes_something() -> None:
    base = Scenario().flat()
    for name in reform_names():
        s = load_scenario(reforms=[name])
        assert s.meta.reforms == [name]
        changed = {k for k, v in s.flat().items() if base[k] != v and not k.startswith("meta.")}
        assert changed, f"reform {name} changes no parameter"
    for scale in SCALES:
        assert load_scenario(scale=scale).meta.scale == scale
    assert load_scenario(scale="national").run.cases_per_day == pytest.approx(4700)
    for preset in ("power_low", "power_high"):
        assert load_scenario(SCENARIO_DIR / f"{preset}.toml").meta.name == preset


def test_order_reform_then_scale_then_set() -> None:
    s = load_scenario(reforms=["substantive_duty_lawyers"], scale="national", sets=["lawyer.per_district=3"])
    assert s.lawyer.per_district == 3
    assert s.lawyer.consultation_minutes == 90.0


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("[power]\nleverage = 0.3\n", ["power.leverage", "unknown key", "information_asymmetry"]),
        ("[power]\ninformation_asymmetry = 1.7\n", ["power.information_asymmetry", "[0.0, 1.0]"]),
        ('[run]\ndays = "many"\n', ["run.days", "int"]),
        ("[run\ndays = 3\n", ["malformed TOML"]),
        ("[nosuch]\nx = 1\n", ["nosuch", "unknown key", "power"]),
        ("power = 3\n", ["power", "table"]),
    ],
)
def test_bad_scenario_file(tmp_path: Path, content: str, fragments: list[str]) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(content)
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    msg = str(info.value)
    assert str(f) in msg
    for frag in fragments:
        assert frag in msg


def test_missing_file_and_unknown_overlays() -> None:
    with pytest.raises(ScenarioError, match="nope.toml: file not found"):
        load_scenario("nope.toml")
    with pytest.raises(ScenarioError, match="allowed: voluntariness_safeguards"):
        load_scenario(reforms=["fairness"])
    with pytest.raises(ScenarioError, match="expected key=value"):
        load_scenario(sets=["power.information_asymmetry"])
    with pytest.raises(ScenarioError, match=r"--set judge.tolerance=-1.*judge.tolerance"):
        load_scenario(sets=["judge.tolerance=-1"])


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "missing.toml"],
        ["run", "--set", "power.nothing=1"],
        ["run", "--with", "magic"],
        ["run", "--set", "run.days=0"],
        ["run", "--scale", "planet"],
        ["run", "--seed", "x"],
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main([*argv, "--out", str(out)]))
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) <= 5
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_cli_refuses_non_empty_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("x")
    assert main(["run", "--out", str(tmp_path), "--set", "run.days=2"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_param_table_documents_every_parameter() -> None:
    rows = param_table()
    flat = {k for k in Scenario().flat() if not k.startswith("meta.")}
    assert {r["key"] for r in rows} == flat
    for r in rows:
        assert r["description"] and r["unit"], r["key"]


def test_generated_docs_are_current() -> None:
    from sim.reference import ROOT, parameters_markdown, readme_with_metrics

    assert (ROOT / "docs" / "parameters.md").read_text() == parameters_markdown(), (
        "run python -m sim.reference"
    )
    readme = (ROOT / "README.md").read_text()
    assert readme == readme_with_metrics(readme), "run python -m sim.reference"
