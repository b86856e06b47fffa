"""The bookkeeping behind the speed (issue 6) keeps telling the truth: running counts equal a full count of
the docket every day, the day's due rows equal a full scan, and compacting the docket at the end keeps
agents on their cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import LeniencyModel
from sim.model.counts import pairwise_sum
from sim.model.daily import INT_KEYS
from sim.model.docket import Docket
from sim.model.model import group_by
from sim.model.procedure import CaseState
from sim.model.scenario import load_scenario


def _full_counts(model: LeniencyModel) -> dict[str, int]:
    d = model.docket
    counts = np.bincount(d.state[d.active], minlength=len(CaseState))
    return {
        "in_investigation": int(counts[CaseState.INVESTIGATION]),
        "in_review": int(counts[CaseState.REVIEW]),
        "in_trial": int(counts[CaseState.TRIAL]),
        "in_appeal": int(counts[CaseState.APPEAL_WINDOW] + counts[CaseState.SECOND_INSTANCE]),
        "detained_now": int((d.detained & d.active).sum()),
    }


@pytest.mark.parametrize(
    ("scale", "reforms", "agents"),
    [("classroom", (), True), ("district", ("voluntariness_safeguards", "substantive_duty_lawyers"), False)],
)
def test_running_counts_equal_a_full_count_every_day(
    scale: str, reforms: tuple[str, ...], agents: bool
) -> None:
    overrides = {"run.days": 150, "run.drain_days": 60, "run.warmup_days": 0}
    model = LeniencyModel(scale=scale, reforms=reforms, overrides=overrides, materialise_agents=agents, rng=7)
    while model.running:
        d = model.docket
        # the rows the day will handle are exactly those a full scan finds
        assert np.array_equal(d.due(model.day), np.flatnonzero(d.active & (d.next_day == model.day)))
        model.step()
        if model.running:  # the last day compacts the docket; counts are checked on every other day
            for key, value in _full_counts(model).items():
                assert model.today[key] == value, (model.day, key)


def test_docket_due_matches_a_full_scan_under_random_use() -> None:
    rng = np.random.default_rng(3)
    d = Docket(capacity=8)
    for day in range(200):
        rows = d.add(int(rng.integers(0, 20)))
        d.next_day[rows] = day + rng.integers(0, 6, len(rows))
        d.state[rows] = 1
        assert np.array_equal(d.due(day), np.flatnonzero(d.active & (d.next_day == day)))
        live = np.flatnonzero(d.active)
        gone = rng.permutation(live)[: int(rng.integers(0, len(live) + 1))]
        d.release(gone)
        d.wipe()
        assert not d.state[gone].any()  # released rows are zeroed by the wipe
        assert d.in_flight == int(d.active.sum())
    d.case_id[np.flatnonzero(d.active)] = np.arange(d.in_flight)
    ids = d.case_id[d.active].copy()
    moved = d.compact()
    assert d.in_flight == len(moved) == len(ids)
    assert np.array_equal(d.case_id[: len(moved)], ids) and d.active[: len(moved)].all()
    fresh = d.add(3)  # a compacted docket hands out rows as a fresh one would
    assert sorted(fresh.tolist()) == list(range(len(moved), len(moved) + 3))


@pytest.mark.parametrize("scale", ["classroom", "district"])
def test_agents_follow_their_cases_when_the_docket_compacts_at_the_end(scale: str) -> None:
    scenario = load_scenario(scale=scale).with_overrides(
        {"run.days": 120, "run.drain_days": 20, "run.warmup_days": 0}
    )
    model = LeniencyModel(scenario, materialise_agents=True, rng=11)
    while model.running:
        model.step()
    defendants = [a for a in model.agents if type(a).__name__ == "Defendant"]
    assert len(defendants) == model.docket.in_flight > 0  # stragglers remain in flight after a short drain
    assert not model.docket.wasteful()  # a mostly empty docket gave its memory back
    if scale == "district":  # its docket grew past twice what is left in flight: it was compacted
        assert model.docket.active[: model.docket.in_flight].all()
    for agent in defendants:
        assert agent.case_id == model.docket.case_id[agent.row]
        assert model.docket.active[agent.row]


def test_each_worlds_running_counts_equal_a_full_count_of_its_cases() -> None:
    """The daily series' one path for any number of worlds: every world's running counts are its own."""
    sc = load_scenario(
        scale="classroom", overrides={"run.days": 120, "run.drain_days": 30, "run.warmup_days": 0}
    )
    model = LeniencyModel(sc, materialise_agents=False, rng=5, worlds=3)
    while model.running:
        model.step()
        d = model.docket
        rows = np.flatnonzero(d.active)
        world, state = model.world_of(rows), d.state[rows]
        ints, _ = model.daily.days[-1]
        for w in range(model.worlds):
            mine = world == w
            today = dict(zip(INT_KEYS, ints[w].tolist(), strict=True))
            assert today["in_investigation"] == int((state[mine] == CaseState.INVESTIGATION).sum()), model.day
            assert today["in_trial"] == int((state[mine] == CaseState.TRIAL).sum()), model.day
            assert today["detained_now"] == int(d.detained[rows[mine]].sum()), (model.day, w)
    frames = model.daily.frames()
    assert sum(int(f["arrivals"].sum()) for f in frames) == model.next_case_id


def test_mesas_collector_records_the_same_series_as_the_model() -> None:
    model = LeniencyModel(scale="classroom", materialise_agents=False, rng=2)
    while model.running:
        model.step()
    collected = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    pd.testing.assert_frame_equal(collected, model.daily.frames()[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_sums_are_numpys_sums_to_the_bit(dtype: type) -> None:
    """An unbatched model's float counters add numpy's pairwise sum of the rows: the kernels' copy of it
    must agree with ``ndarray.sum`` to the bit, at every length (blocks of 8 and 128, halves, strays)."""
    rng = np.random.default_rng(5)
    for n in [*range(300), 1000, 4099, 33333]:
        x = (rng.random(n) * rng.choice([1e-3, 1.0, 1e3], n)).astype(dtype)
        assert pairwise_sum(x, dtype(0)) == x.sum(), n


def test_due_rows_are_grouped_as_a_stable_sort() -> None:
    rng = np.random.default_rng(6)
    for n in (0, 1, 7, 500):
        key = rng.integers(0, 7, 2000).astype(np.int8)
        rows = np.sort(rng.choice(2000, n, replace=False))
        grouped, ends = group_by(key, rows, 7)
        order = np.argsort(key[rows], kind="stable")
        assert np.array_equal(grouped, rows[order])
        assert np.array_equal(ends, np.cumsum(np.bincount(key[rows], minlength=7)))
