"""Batched worlds (``LeniencyModel(worlds=K)``): K independent copies of a scenario in one model. Each world's
figures must be those of an ordinary run: the same distribution over replications, counts that add up, and
the same numbers again for the same seed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model import LeniencyModel, simulate, simulate_worlds
from sim.model.actors.triage import by_risk
from sim.model.ledger import Count
from sim.model.scenario import Scenario, ScenarioError, load_scenario

HEADLINE = (
    "application_rate",
    "adoption_rate",
    "appeal_rate",
    "involuntary_plea_rate",
    "relief_initiations_per_100",
    "relief_initiations_per_100_nonessential",
    "relief_hours_per_case",
    "hours_per_case_total",
    "detention_days_per_case",
    "mean_days_to_final",
)
REPS = 100


def classroom(**overrides: object) -> Scenario:
    return load_scenario(scale="classroom", overrides={"run.drain_days": 150, **overrides})


def batched(scenario: Scenario, worlds: int, seed: int) -> list[dict[str, float]]:
    model = LeniencyModel(scenario, materialise_agents=False, rng=seed, worlds=worlds)
    while model.running:
        model.step()
    return model.world_summaries()


def headline(summaries: list[dict[str, float]]) -> np.ndarray:
    return np.array([[s[k] for k in HEADLINE] for s in summaries])


def smallest_holm_p(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest two-sample KS p-value over the metrics, times their number (Holm's first step)."""
    ps = [stats.ks_2samp(a[:, j], b[:, j]).pvalue for j in range(a.shape[1])]
    return min(ps) * len(ps)


@pytest.fixture(scope="module")
def unbatched() -> np.ndarray:
    sc = classroom()
    return headline([simulate(sc, 1000 + s, daily=False).summary for s in range(REPS)])


def test_batched_replications_have_the_distribution_of_unbatched_ones(unbatched: np.ndarray) -> None:
    worlds = headline(batched(classroom(), REPS, seed=7))
    assert not np.isnan(worlds).any() and not np.isnan(unbatched).any()
    p = smallest_holm_p(worlds, unbatched)
    assert p > 0.01, f"a headline metric differs between batched and unbatched replications (Holm p {p:.4f})"


def test_the_equivalence_test_can_tell_a_different_world(unbatched: np.ndarray) -> None:
    """The control: worlds of another scenario (a stronger prosecution) are told apart by the same test."""
    other = headline(
        batched(classroom(**{"power.target_pressure": 1.0, "power.information_asymmetry": 1.0}), REPS, 7)
    )
    assert smallest_holm_p(other, unbatched) < 0.01


def test_every_counter_of_the_worlds_adds_up_to_the_whole() -> None:
    model = LeniencyModel(classroom(), materialise_agents=False, record_cases=True, rng=3, worlds=5)
    while model.running:
        model.step()
    counts, pooled = model.books.counts, model.tally
    for c in Count:
        name = c.name.lower()
        np.testing.assert_allclose(counts.arrays[c].sum(axis=0), getattr(pooled, name), err_msg=name)
    per_world = model.world_summaries()
    table = model.cases
    assert table is not None
    cases = table.frame()
    world = cases["district"].to_numpy() // classroom().run.districts
    for w, s in enumerate(per_world):  # every world counts exactly its own districts' cases
        assert s["cases_closed"] == int((world == w).sum())
    assert sum(s["cases_arrived"] for s in per_world) == model.summary()["cases_arrived"]


def test_each_world_has_its_own_actors_and_districts() -> None:
    sc = classroom()
    model = LeniencyModel(sc, materialise_agents=False, rng=1, worlds=4)
    assert model.params.run.districts == 4 * sc.run.districts
    assert model.prosecutors.n == 4 * sc.run.districts * sc.prosecutor.per_district
    assert model.world_params == sc
    while model.day < 60:
        model.step()
    d = model.docket
    rows = np.flatnonzero(d.active)
    world = model.world_of(rows)
    for col, per in ((d.prosecutor, sc.prosecutor.per_district), (d.judge, sc.judge.per_district)):
        assert np.array_equal(col[rows] // (per * sc.run.districts), world), "a case meets only its world"


def test_same_seed_same_worlds() -> None:
    a, b = batched(classroom(), 6, 11), batched(classroom(), 6, 11)
    assert a == b


def test_lawyer_time_by_risk_stays_within_each_world() -> None:
    risky = np.array([1, 0, 0, 1, 1, 0, 0, 0], dtype=bool)
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    m = by_risk(0.5, risky, groups)
    for g in (0, 1):
        assert m[groups == g].mean() == pytest.approx(1.0)
    assert np.all(m[groups == 1][1:] < 1.0) and m[4] > m[0]


def test_a_calendar_is_not_batched() -> None:
    sc = load_scenario(overrides={"run.start_date": "2020-01-01"})
    with pytest.raises(ScenarioError, match="run.start_date"):
        LeniencyModel(sc, worlds=2)


def test_each_world_keeps_the_daily_series_of_an_unbatched_run() -> None:
    sc = classroom()  # no warm-up: the last day's running rates are the summary's
    plain = simulate(sc, 1).daily
    results = simulate_worlds(sc, 5, 3)
    assert plain is not None
    for r in results:
        daily = r.daily
        assert daily is not None
        assert list(daily.columns) == list(plain.columns) and (daily.dtypes == plain.dtypes).all()
        last = daily.iloc[-1]
        for key in ("application_rate", "adoption_rate", "relief_rate_essential", "relief_rate_nonessential"):
            assert last[key] == pytest.approx(r.summary[key], nan_ok=True)
        assert daily["arrivals"].sum() == r.summary["cases_arrived"]
        assert last["closed_total"] == r.summary["cases_closed"]
