"""Reforms compose (operations, one canonical order, conflicts refused); scenario files rest on the
baseline; the labels record what was applied."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from sim.model.scenario import ScenarioError, load_scenario, reform_names

REFORMS = reform_names()


def test_every_order_of_the_reforms_gives_the_same_scenario_and_name() -> None:
    for k in (2, 3):
        for chosen in itertools.combinations(REFORMS, k):
            ref = load_scenario(reforms=list(chosen))
            for order in itertools.permutations(chosen):
                other = load_scenario(reforms=list(order))
                assert other.to_json() == ref.to_json(), order
                assert other.meta.reforms == [r for r in REFORMS if r in chosen]
    every = load_scenario(reforms=list(REFORMS)).to_json()
    assert all(load_scenario(reforms=list(p)).to_json() == every for p in itertools.permutations(REFORMS))


def test_operations_act_on_what_the_overlay_rests_on(tmp_path: Path) -> None:
    base = load_scenario()
    f = tmp_path / "r.toml"
    f.write_text(
        "[judge]\nrecord_review_hours = { add = 0.5 }\nreasoning_quality = { at_least = 0.9 }\n"
        "[lawyer]\nper_district = { scale = 2.0 }\nfile_access = { at_most = 0.1 }\n"
    )
    s = load_scenario(reforms=[str(f)])
    assert s.judge.record_review_hours == pytest.approx(base.judge.record_review_hours + 0.5)
    assert s.judge.reasoning_quality == 0.9
    assert s.lawyer.per_district == 2 * base.lawyer.per_district
    assert s.lawyer.file_access == min(base.lawyer.file_access, 0.1)


def test_two_reforms_that_set_one_key_differently_are_refused_naming_both(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("[judge]\nfast_track_hours = 0.8\n")
    b.write_text("[judge]\nfast_track_hours = { set = 0.75 }\n")
    with pytest.raises(ScenarioError, match=r"b\.toml.*judge\.fast_track_hours.*a\.toml") as err:
        load_scenario(reforms=[str(b), str(a)])
    assert "a.toml" in str(err.value) and "b.toml" in str(err.value)
    b.write_text("[judge]\nfast_track_hours = 0.8\n")  # agreeing is fine
    assert load_scenario(reforms=[str(a), str(b)]).judge.fast_track_hours == 0.8


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[judge]\nfast_track_hours = { times = 2 }\n", "one operation per key"),
        ("[judge]\nfast_track_hours = { scale = 2, add = 1 }\n", "one operation per key"),
        ("[judge]\nfast_track_hours = { scale = 'x' }\n", "needs a number"),
        ("[judge]\nreasoning_quality = { add = 5 }\n", "reasoning_quality"),
    ],
)
def test_bad_operations_get_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=needle) as err:
        load_scenario(reforms=[str(f)])
    assert "bad.toml" in str(err.value)


def test_a_scenario_file_rests_on_the_calibrated_baseline_unless_it_says_priors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    s = load_scenario(empty)
    base = load_scenario()
    assert s.flat() | {"meta.name": "", "meta.source": "", "meta.description": ""} == base.flat() | {
        "meta.name": "",
        "meta.source": "",
        "meta.description": "",
    }
    assert s.meta.base == "baseline" and s.meta.source == str(empty)
    priors = tmp_path / "priors.toml"
    priors.write_text('base = "priors"\n')
    p = load_scenario(priors)
    assert p.meta.base == "priors" and p.defendant.contest_share != base.defendant.contest_share
    high = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / "power_high.toml")
    assert high.defendant.appeal_threshold == base.defendant.appeal_threshold  # the calibration is kept


def test_labels_come_from_what_was_applied(tmp_path: Path) -> None:
    liar = tmp_path / "liar.toml"
    liar.write_text('[meta]\nreforms = ["judgment_reasoning"]\n')
    with pytest.raises(ScenarioError, match="meta.reforms"):
        load_scenario(liar)
    honest = tmp_path / "honest.toml"
    honest.write_text('reforms = ["judgment_reasoning"]\nscale = "classroom"\n')
    s = load_scenario(honest)
    assert s.meta.reforms == ["judgment_reasoning"] and s.meta.scale == "classroom"
    assert s.judge.reasoning_quality == load_scenario(reforms=["judgment_reasoning"]).judge.reasoning_quality
