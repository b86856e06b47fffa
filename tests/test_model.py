"""The model as a Mesa model: determinism, outputs, batch_run, agents reading the docket, case stories."""

from __future__ import annotations

import json
from pathlib import Path

import mesa
import pandas as pd
import pytest

from sim.cli import main
from sim.model.actors import Defendant, DutyLawyer, Judge, Prosecutor
from sim.model.metrics import METRICS, SUMMARY_KEYS
from sim.model.model import DAILY_KEYS, LeniencyModel, simulate
from sim.model.procedure import CaseState
from tests.conftest import small


def run_cli(out: Path, *extra: str) -> dict:
    assert main(["run", "--out", str(out), "--set", "run.days=60", "--set", "run.warmup_days=0", *extra]) == 0
    return json.loads((out / "summary.json").read_text())


def test_same_seed_identical_summary_json(tmp_path: Path) -> None:
    a = run_cli(tmp_path / "a", "--seed", "7", "--with", "appeal_countermeasures")
    run_cli(tmp_path / "b", "--seed", "7", "--with", "appeal_countermeasures")
    assert (tmp_path / "a" / "summary.json").read_bytes() == (tmp_path / "b" / "summary.json").read_bytes()
    c = run_cli(tmp_path / "c", "--seed", "8", "--with", "appeal_countermeasures")
    assert a != c
    assert (
        a["seed"] == 7 and a["scenario"]["meta"]["reforms"] == ["appeal_countermeasures"] and "version" in a
    )
    assert set(SUMMARY_KEYS) <= set(a)


def test_run_writes_parquet_outputs(tmp_path: Path) -> None:
    out = tmp_path / "o"
    summary = run_cli(out)
    daily = pd.read_parquet(out / "daily.parquet")
    relief = pd.read_parquet(out / "relief_events.parquet")
    assert list(daily["day"]) == list(range(len(daily)))
    assert set(DAILY_KEYS) <= set(daily.columns)
    assert set(relief.columns) == {
        "day",
        "stage",
        "case_id",
        "type",
        "reason",
        "class",
        "essential",
        "initiation",
        "initiation_event",
    }
    init = relief[relief["initiation"]]
    assert len(init) * 100 / summary["leniency_cases"] == pytest.approx(summary["relief_initiations_per_100"])
    for cls, n in init["class"].value_counts().items():
        assert n * 100 / summary["leniency_cases"] == pytest.approx(
            summary[f"relief_initiations_per_100_{cls}"]
        )
    assert len(relief) * 100 / summary["leniency_cases"] == pytest.approx(summary["relief_rate"], rel=1e-9)
    assert relief["essential"].sum() * 100 / summary["leniency_cases"] == pytest.approx(
        summary["relief_rate_essential"]
    )
    assert daily["relief_essential_today"].sum() == relief["essential"].sum()


def test_summary_keys_all_defined_once() -> None:
    r = simulate(small(days=30), 3, daily=False)
    assert list(r.summary) == list(SUMMARY_KEYS)
    assert set(r.summary) == set(METRICS)


def test_batch_run_works_unchanged() -> None:
    results = mesa.batch_run(
        LeniencyModel,
        parameters={
            "params": [small(days=10, drain=40)],
            "reforms": [(), ("appeal_countermeasures",)],
            "materialise_agents": False,
        },
        rng=[1, 2],
        max_steps=60,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 4
    assert all("closed_total" in row and "application_rate" in row for row in results)


def test_agents_are_mesa_agents_reading_the_docket() -> None:
    model = LeniencyModel(small(days=30), rng=5)
    p = model.params
    assert len(model.agents_by_type[Prosecutor]) == p.prosecutor.per_district * p.run.districts
    assert len(model.agents_by_type[DutyLawyer]) == p.lawyer.per_district
    assert len(model.agents_by_type[Judge]) == p.judge.per_district
    for _ in range(40):
        model.step()
    defendants = model.agents_by_type[Defendant]
    assert len(defendants) == model.docket.in_flight > 0
    for agent in defendants:
        row = agent.row
        assert agent.case_id == model.docket.case_id[row]
        assert agent.state == CaseState(model.docket.state[row])
        assert agent.true_trial_months == model.docket.base[row]
    busy = [j for j in model.agents_by_type[Judge] if j.cases_handled]
    assert busy and all(j.hours_worked > 0 for j in busy)
    norms = {round(j.sentencing_norm, 6) for j in model.agents_by_type[Judge]}
    assert len(norms) == len(model.agents_by_type[Judge])  # heterogeneous judges


def test_headless_and_materialised_runs_agree() -> None:
    a = simulate(small(days=40), 11, daily=False, materialise_agents=False).summary
    b = simulate(small(days=40), 11, daily=False, materialise_agents=True).summary
    assert a == b


def test_case_story_follows_one_case() -> None:
    model = LeniencyModel(small(days=30), rng=2)
    model.watch(5)
    while model.running:
        model.step()
    log = model.case_log(5)
    events = [e["event"] for e in log]
    assert events[0] == "arrival" and events[-1] == "closed"
    assert "plea hearing" in events
    assert all(e["text"] for e in log)
    assert [e["day"] for e in log] == sorted(e["day"] for e in log)


def test_overrides_and_reforms_keywords() -> None:
    m = LeniencyModel(
        reforms=["substantive_duty_lawyers"], overrides={"power.information_asymmetry": 0.9}, rng=1
    )
    assert m.params.lawyer.consultation_minutes == 90.0
    assert m.params.power.information_asymmetry == 0.9
    assert m.params.meta.reforms == ["substantive_duty_lawyers"]


def test_reforms_act_on_the_same_cases() -> None:
    """Common random numbers: with one seed, every arm sees the same arrivals and the same case draws."""
    from sim.model.scenario import reform_names

    def cases(reforms: tuple[str, ...]) -> tuple[int, list[float]]:
        model = LeniencyModel(small(days=60), reforms=reforms, rng=9)
        model.watch(40)
        for _ in range(60):
            model.step()
        arrival = model.case_log(40)[0]["case"]
        return model.tally.arrived, [
            arrival["base"],
            arrival["evidence"],
            arrival["literacy"],
            arrival["risk"],
        ]

    base = cases(())
    for reform in reform_names():
        assert cases((reform,)) == base, reform
