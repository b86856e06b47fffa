"""The scenario timeline (overlays switched on at dates inside a run) and the yearly figures."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.model import LeniencyModel, simulate
from sim.model.scenario import Scenario, ScenarioError, load_scenario

OVERLAY = """
[power]
detention_leverage = { at_most = 0.0 }
[judge]
hours_per_day = { scale = 0.5 }
[prosecutor]
application_target = 0.7
recorded_hearing_share = 1.0
"""


def write_scenario(folder: Path, entries: str, run: str = "") -> Path:
    """A classroom scenario starting on 2019-01-01 (120 days of arrivals) with the given timeline entries."""
    (folder / "policy.toml").write_text(OVERLAY, encoding="utf-8")
    path = folder / "s.toml"
    text = f'scale = "classroom"\n[run]\nstart_date = 2019-01-01\n{run}\n{entries}'
    path.write_text(text, encoding="utf-8")
    return path


def entry(date: str, overlay: str = "policy.toml") -> str:
    return f'[[timeline]]\ndate = {date}\noverlay = "{overlay}"\n'


def test_overlay_takes_effect_on_its_date_and_not_before(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path, entry("2019-01-21")))  # day 20
    plain = scenario.model_copy(update={"timeline": []})
    before = scenario.prosecutor.recorded_hearing_share
    with_tl, without = LeniencyModel(scenario, rng=4), LeniencyModel(plain, rng=4)
    seen = []
    for _ in range(60):
        with_tl.step()
        without.step()
        seen.append(
            (
                with_tl.params.prosecutor.recorded_hearing_share,
                float(with_tl.judges.capacity[0]),
                with_tl.prosecutors.target,
            )
        )
    assert seen[19] == (before, scenario.judge.hours_per_day, scenario.prosecutor.application_target)
    assert seen[20] == (1.0, 0.5 * scenario.judge.hours_per_day, 0.7)
    assert with_tl.params.power.detention_leverage == 0.0
    a = with_tl.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    b = without.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    pd.testing.assert_frame_equal(a.iloc[:20], b.iloc[:20])  # the first 20 days: identical
    assert not a.iloc[20:].equals(b.iloc[20:])  # from day 20 on the policy acts
    assert a["detained_now"].iloc[40:].mean() < b["detained_now"].iloc[40:].mean()


def test_a_calendar_without_timeline_changes_no_number() -> None:
    plain = load_scenario(scale="classroom")
    dated = plain.with_overrides({"run.start_date": "2019-12-01"})
    a, b = simulate(plain, 3), simulate(dated, 3)
    assert a.yearly is None and b.yearly is not None
    assert a.summary == pytest.approx(b.summary, nan_ok=True, rel=0, abs=0)
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.relief_events, b.relief_events)


def test_a_resolved_timeline_needs_no_files(tmp_path: Path) -> None:
    scenario = load_scenario(
        write_scenario(tmp_path, entry("2019-01-21") + entry("2019-02-01", "judgment_reasoning"))
    )
    again = Scenario.model_validate_json(scenario.model_dump_json())
    (tmp_path / "policy.toml").unlink()
    assert load_scenario(again).timeline == scenario.timeline
    assert [e.overlay for e in scenario.timeline] == ["policy.toml", "judgment_reasoning"]
    with pytest.raises(ScenarioError, match=r"entry 2 \(date 2019-02-01.*outside the run"):
        scenario.with_overrides({"run.days": 25})


@pytest.mark.parametrize(
    ("entries", "run", "message"),
    [
        (entry('"2019-02-30"'), "", r"entry 1: date = .*2019-02-30.* allowed: a date YYYY-MM-DD"),
        (entry("2018-12-31"), "", r"entry 1 \(date 2018-12-31.*outside the run; allowed: 2019-01-01"),
        (entry("2019-05-01"), "", r"entry 1 \(date 2019-05-01.*outside the run; allowed: .* to 2019-04-30"),
        (entry("2019-01-10", "no_such_reform"), "", r"entry 1 .*unknown overlay; allowed: a reform name"),
        (entry("2019-01-10", "gone.toml"), "", r"entry 1 .*gone.toml not found"),
        (entry("2019-01-10", "bad_key.toml"), "", r"entry 1 .*unknown key 'power.nope'; allowed keys here"),
        (entry("2019-01-10", "staff.toml"), "", r"entry 1 .*'lawyer.per_district' sizes the model"),
        (
            entry("2019-01-10", "out_of_range.toml"),
            "",
            r"entry 1 .*'power.detention_leverage' = 2.0 is invalid",
        ),
        (entry("2019-01-20") + entry("2019-01-10"), "", r"entry 2 .*date order"),
        (entry("2019-01-10") + "note = 1\n", "", r"entry 1: unknown key 'note'; allowed keys: date, overlay"),
        (entry("2019-01-10"), 'start_date = ""', r"entry 1 .*needs a calendar; set run.start_date"),
    ],
)
def test_bad_timeline_exits_2_naming_file_entry_and_key(
    tmp_path: Path, entries: str, run: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad_key.toml").write_text("[power]\nnope = 1\n")
    (tmp_path / "staff.toml").write_text("[lawyer]\nper_district = 4\n")
    (tmp_path / "out_of_range.toml").write_text("[power]\ndetention_leverage = { add = 1.5 }\n")
    path = write_scenario(tmp_path, entries)
    if run:  # a second start_date line would be a TOML error: replace it
        path.write_text(path.read_text().replace("start_date = 2019-01-01", run))
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(path) in err
    assert re.search(message, err), err
    assert not out.exists()


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_a_one_year_run_yearly_row_is_its_summary() -> None:
    scenario = load_scenario(scale="classroom", overrides={"run.start_date": "2019-03-01"})
    result = simulate(scenario, 5)
    assert result.yearly is not None
    assert list(result.yearly["year"]) == [2019]
    row = result.yearly.iloc[0]
    assert (row["first_day"], row["days"]) == (0, scenario.run.days)
    assert all(same(float(row[k]), v) for k, v in result.summary.items())


def test_yearly_rows_split_the_counted_cases_by_year_of_arrival(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, entry("2019-01-21"))
    sets = ["--set", "run.days=400", "--set", "run.warmup_days=30"]
    assert main(["run", str(path), *sets, "--out", str(tmp_path / "out"), "--quiet"]) == 0
    yearly = pd.read_parquet(tmp_path / "out" / "yearly.parquet")
    summary = pd.read_json(tmp_path / "out" / "summary.json", typ="series")
    assert list(yearly["year"]) == [2019, 2020]
    assert list(yearly["first_day"]) == [30, 365]
    assert list(yearly["days"]) == [335, 35]
    for col in (
        "application_rate",
        "adoption_rate",
        "pretrial_detention_rate",
        "appeal_rate",
        "relief_initiations_per_100_nonessential",
        "relief_initiations_per_100_essential_avoidable",
        "relief_initiations_per_100_essential_unavoidable",
    ):
        assert col in yearly.columns
    for count in ("cases_arrived", "leniency_cases", "cases_closed"):  # tallies add up to the summary's
        assert yearly[count].sum() == summary[count]
    assert np.isclose(
        (yearly["pretrial_detention_rate"] * yearly["cases_arrived"]).sum() / yearly["cases_arrived"].sum(),
        summary["pretrial_detention_rate"],
    )
