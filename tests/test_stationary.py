"""A stationary world: the summary does not depend on how long the run is (only its precision does)."""

from __future__ import annotations

import numpy as np

from sim.model import simulate
from sim.model.relief import ReliefClass
from sim.model.scenario import load_scenario

SEEDS = (11, 12, 13)
CLASSES = [f"relief_initiations_per_100_{c.name.lower()}" for c in ReliefClass]


def test_two_and_five_year_runs_agree_after_the_warm_up() -> None:
    """Issue criterion: adoption within 0.01 and each relief-initiation class within 15 % (means over three
    seeds)."""
    short = [simulate(load_scenario(overrides={"run.days": 730}), s, daily=False).summary for s in SEEDS]
    long = [simulate(load_scenario(overrides={"run.days": 1825}), s, daily=False).summary for s in SEEDS]

    def mean(runs: list[dict[str, float]], key: str) -> float:
        return float(np.mean([r[key] for r in runs]))

    assert abs(mean(short, "adoption_rate") - mean(long, "adoption_rate")) < 0.01
    for key in CLASSES:
        a, b = mean(short, key), mean(long, key)
        assert abs(b / a - 1) < 0.15, (key, a, b)


def test_daily_series_keep_and_mark_the_warm_up() -> None:
    scenario = load_scenario(overrides={"run.days": 240, "run.warmup_days": 60, "run.drain_days": 30})
    daily = simulate(scenario, 3).daily
    assert daily.loc[daily["day"] < 60, "warmup"].eq(1.0).all()
    assert daily.loc[daily["day"] >= 60, "warmup"].eq(0.0).all()
    assert daily.loc[daily["day"] < 60, "arrivals"].sum() > 0  # the warm-up is simulated, only not counted
