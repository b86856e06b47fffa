"""Typed inputs (issue 23): no bool for a number, no NaN/inf where a finite number is meant, CLI flags
bounded like the spec keys they override, meta never settable. Each is exit 2 with one line naming the
file or flag and the key, and nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.cli import main
from sim.fitting import targets as tgt
from sim.model.scenario import ScenarioError
from tests.test_sweep_support import tiny_spec

ROOT = Path(__file__).resolve().parent.parent


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run the real entry point in this process; it must refuse with exit 2 and one message line."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if not ln.startswith("usage:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    "item", ['meta.reforms=["judgment_reasoning"]', 'meta.scale="national"', 'meta.name="mine"']
)
def test_meta_is_never_settable(tmp_path: Path, capsys: pytest.CaptureFixture[str], item: str) -> None:
    msg = refused(capsys, "run", "--set", item, "--out", str(tmp_path / "o"), "--quiet")
    assert "--set" in msg and item.split("=")[0] in msg
    assert not list(tmp_path.iterdir())


def test_a_scale_does_not_hide_a_bool_where_a_number_is_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text("[run]\ndays = true\n")
    msg = refused(capsys, "run", str(scenario), "--scale", "classroom", "--out", str(tmp_path / "o"))
    assert "s.toml" in msg and "run.days" in msg and "true/false" in msg
    msg = refused(capsys, "run", "--set", "run.days=nan", "--out", str(tmp_path / "o"))
    assert "--set" in msg and "not a finite number" in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("replications = 1", "replications = true", "replications"),
        ("master_seed = 99", "master_seed = true", "master_seed"),
        ("daily = true", 'daily = "yes"', "daily"),
        ("master_seed = 99", "master_seed = 99.0", "master_seed"),
    ],
)
def test_sweep_spec_keys_are_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str
) -> None:
    spec = tiny_spec(tmp_path, reps=1)
    spec.write_text(spec.read_text().replace(old, new))
    msg = refused(capsys, "sweep", str(spec), "--out", str(tmp_path / "o"), "--quiet")
    assert "spec.toml" in msg and f"'{key}'" in msg
    assert not (tmp_path / "o").exists()


def test_factor_ranges_are_strict_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tiny_spec(
        tmp_path,
        reps=1,
        arms='"baseline"',
        extra='[factors]\ndesign = "lhs"\nsamples = 4\n[factors.ranges]\n"power.information_asymmetry" = '
        "[true, 0.9]\n",
    )
    assert "factors.ranges" in refused(capsys, "sweep", str(spec), "--out", str(tmp_path / "o"))
    spec.write_text(spec.read_text().replace("[true, 0.9]", "[0.2, 0.9]"))
    from sim.experiments.design.spec import load_spec

    factors = load_spec(spec).factors  # the same range as numbers loads, as a tuple
    assert factors is not None and factors.ranges["power.information_asymmetry"] == (0.2, 0.9)


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--replications", "1000000000"], "--replications 1000000000"),
        (["--replications", "0"], "--replications 0"),
        (["--max-replications", "1000000000"], "--max-replications"),
        (["--workers", "100000"], "--workers 100000"),
        (["--stall-timeout", "nan"], "--stall-timeout nan"),
        (["--stall-timeout", "inf"], "--stall-timeout inf"),
    ],
)
def test_sweep_flags_are_bounded_like_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], says: str
) -> None:
    spec = tiny_spec(tmp_path, reps=1)
    msg = refused(capsys, "sweep", str(spec), "--out", str(tmp_path / "o"), *flags, "--quiet")
    assert says in msg
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", ["true", "inf", "nan", "-1.0"])
def test_optimize_budget_is_a_finite_positive_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    text = (ROOT / "experiments" / "resources.toml").read_text()
    spec = tmp_path / "r.toml"
    spec.write_text(re.sub(r"extra_hours_per_case = [0-9.]+", f"extra_hours_per_case = {value}", text))
    msg = refused(capsys, "optimize", str(spec), "--out", str(tmp_path / "o"))
    assert "r.toml" in msg and "budget.extra_hours_per_case" in msg
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (r"^quick_seeds = 2", "quick_seeds = true", r"\[settings\].*quick_seeds"),
        (r"^fit_days = \d+", "fit_days = 365.5", r"\[settings\].*fit_days"),
        (r"^prior_weight = [0-9.]+", "prior_weight = nan", r"\[settings\].*prior_weight"),
        (r"^value = [0-9.]+", "value = nan", r"\[\[target\]\] #1.*value"),
        (r"^weight = [0-9.]+", "weight = true", r"\[\[target\]\] #1.*weight"),
        (r"^lo = [0-9.]+", "lo = inf", r"\[\[parameter\]\] #1.*lo"),
    ],
)
def test_calibration_targets_are_strict(tmp_path: Path, old: str, new: str, says: str) -> None:
    text = tgt.TARGETS_PATH.read_text()
    bad = re.sub(old, new, text, count=1, flags=re.M)
    assert bad != text
    path = tmp_path / "targets.toml"
    path.write_text(bad)
    with pytest.raises(ScenarioError, match=says):
        tgt.load_spec(path)


def test_calibrate_refuses_a_bad_setting_before_any_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(
        re.sub(r"^quick_seeds = 2", "quick_seeds = true", tgt.TARGETS_PATH.read_text(), flags=re.M)
    )
    msg = refused(capsys, "calibrate", "--quick", "--targets", str(path), "--out", str(tmp_path / "c"))
    assert "quick_seeds" in msg
    assert refused(capsys, "calibrate", "--quick", "--workers", "100000", "--out", str(tmp_path / "c"))
    assert not (tmp_path / "c").exists()


def test_the_shipped_specs_still_load() -> None:
    from sim.experiments.design.spec import load_spec as load_sweep
    from sim.optimize.spec import load_spec as load_optimize

    for p in sorted((ROOT / "experiments").glob("*.toml")):
        if p.name == "resources.toml":
            load_optimize(p)
        else:
            load_sweep(p)
    tgt.load_spec()


@pytest.mark.parametrize(("flag", "value"), [("--population", "100000"), ("--generations", "5000")])
def test_optimize_flags_are_bounded_like_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    spec = ROOT / "experiments" / "resources.toml"
    msg = refused(capsys, "optimize", str(spec), "--out", str(tmp_path / "o"), flag, value)
    assert msg.startswith(f"leniency optimize: {flag} {value}:") and "search." in msg
    assert not (tmp_path / "o").exists()
