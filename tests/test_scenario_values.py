"""Scenario values: true/false is no number, NaN and infinity are refused, a table is not a value (issue:
errors)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.model.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ("run.days=true", "not true/false"),
        ("power.information_asymmetry=true", "not true/false"),
        ("power.information_asymmetry=nan", "not a finite number"),
        ("judge.tolerance=inf", "not a finite number"),
        ("power=3", "information_asymmetry"),
        ("run.warmup_days=600", "must be less than run.days"),
    ],
)
def test_bad_values_are_refused_with_what_is_allowed(item: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle):
        load_scenario(sets=[item])


def test_ints_are_accepted_for_floats() -> None:
    assert load_scenario(sets=["power.information_asymmetry=1"]).power.information_asymmetry == 1.0


def test_the_cli_says_it_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "o"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", "--out", str(out), "--set", "run.days=true"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "not true/false" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
