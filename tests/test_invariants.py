"""Invariants on every case of every run of a property-based sample of valid scenarios."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import LeniencyModel
from sim.model import procedure as law
from sim.model.events import Closed
from sim.model.metrics import METRICS
from sim.model.procedure import CaseState, Procedure
from sim.model.scenario import Scenario, load_scenario, param_table, reform_names

# Parameters a sample may vary: every behavioural, power, law and cost parameter within its documented range.
# Sizes (run.*, per_district) are drawn separately so runs stay small.
VARIABLE = [
    r for r in param_table() if not r["key"].startswith("run.") and not r["key"].endswith("per_district")
]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    chosen = draw(st.lists(st.sampled_from(VARIABLE), min_size=0, max_size=12, unique_by=lambda r: r["key"]))
    overrides: dict[str, object] = {}
    for r in chosen:
        if isinstance(r["default"], int) and not isinstance(r["default"], bool):
            overrides[r["key"]] = draw(st.integers(int(r["min"]), int(min(r["max"], r["min"] + 50))))
        else:
            overrides[r["key"]] = draw(st.floats(r["min"], r["max"], allow_nan=False))
    overrides["run.days"] = draw(st.integers(5, 40))
    overrides["run.warmup_days"] = draw(st.integers(0, 4))
    overrides["run.drain_days"] = draw(st.integers(0, 300))
    overrides["run.cases_per_day"] = draw(st.floats(0.5, 25.0))
    overrides["run.districts"] = draw(st.integers(1, 3))
    for actor in ("prosecutor", "lawyer", "judge"):
        overrides[f"{actor}.per_district"] = draw(st.integers(1, 8))
    reforms = draw(st.lists(st.sampled_from(reform_names()), unique=True, max_size=3))
    return load_scenario(reforms=reforms, overrides=overrides)


def check_day(model: LeniencyModel) -> None:
    d, t, p = model.docket, model.tally, model.params
    act = d.active
    counts = model.state_counts()
    assert sum(counts.values()) == model.next_case_id, "every arrived case is in exactly one state"
    assert set(np.unique(d.state[act]).tolist()) <= {int(s) for s in law.OPEN_STATES}
    assert d.in_flight == int(act.sum())
    assert np.all(t.hours >= 0) and t.detention_days >= 0 and t.days_to_final_sum >= 0
    for pool in (model.prosecutors, model.lawyers, model.judges):
        assert np.all(pool.backlog >= 0) and np.all(pool.hours_done >= 0)
    signed = act & d.ever_signed
    assert np.all(d.lawyer_present[signed]), "no signature without a lawyer (Art. 174)"
    fast = act & (d.procedure == Procedure.FAST_TRACK)
    assert np.all(d.rec[fast] <= law.FAST_TRACK_MAX_MONTHS), "fast-track only for likely sentences <= 3 years"
    cap = law.discount_cap(d.mitigation, p.law.plea_discount_cap, p.law.combined_discount_cap)
    offered = act & (d.state >= CaseState.REVIEW) & (d.rec > 0)
    assert np.all(d.discount[offered] <= cap[offered] + 1e-6), "discounts within the caps"
    assert np.all(d.discount[offered] >= 0)
    assert np.all(d.det_days[act] >= 0)


def instrument(model: LeniencyModel, closed: list[int]) -> None:
    """Check Art. 237 on every case as it closes: no heavier sentence on a defendant-only appeal."""

    def close(event: Closed) -> None:
        d, rows = model.docket, event.rows
        only_defendant = d.appealed[rows] & ~d.protested[rows] & d.convicted[rows]
        assert np.all(d.sentence[rows][only_defendant] <= d.first_sentence[rows][only_defendant] + 1e-9)
        assert np.all(model.day - d.arrival[rows] >= 0)
        closed.append(len(rows))

    model.events.subscribe(Closed, close)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**31 - 1))
def test_invariants_hold_on_every_case(scenario: Scenario, seed: int) -> None:
    model = LeniencyModel(scenario, materialise_agents=True, rng=seed)
    closed: list[int] = []
    instrument(model, closed)
    while model.running:
        model.step()
        check_day(model)
        assert len(model.agents_by_type.get(_defendant_cls(), [])) == model.docket.in_flight
    summary = model.summary()
    assert sum(model.daily.closed_by_state().values()) == sum(closed)
    # summary figures count the cases arriving after the warm-up
    assert summary["cases_closed"] <= sum(closed)
    assert summary["cases_arrived"] <= model.next_case_id
    # relief initiations: at most one per kind and case, and every class counted once
    t = model.tally
    assert t.initiations.sum() <= t.relief.sum()
    assert np.all(t.relief_hours >= 0) and np.all(t.relief_detention_days >= 0)
    for key, value in summary.items():
        if math.isnan(value):
            continue
        assert value >= 0, key
        if METRICS[key].unit == "share":
            assert 0.0 <= value <= 1.0, key


def _defendant_cls() -> type:
    from sim.model.actors import Defendant

    return Defendant
