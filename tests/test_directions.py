"""Directions of effects with common random numbers: paired differences over replications, 95 % CI excludes
0."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.model import simulate
from sim.model.scenario import Scenario, load_scenario

SEEDS = list(range(101, 109))
RUNS: dict[tuple[str, int], dict[str, float]] = {}  # three of the directions share their control arm


def summary(scenario: Scenario, seed: int) -> dict[str, float]:
    """A run's summary, once per process."""
    key = (scenario.model_dump_json(), seed)
    if key not in RUNS:
        RUNS[key] = simulate(scenario, seed, daily=False).summary
    return RUNS[key]


def paired(a: Scenario, b: Scenario, metric: str) -> tuple[float, float, float]:
    """Mean of b - a over the same seeds (CRN) and its 95 % t-interval."""
    diffs = np.array([summary(b, s)[metric] - summary(a, s)[metric] for s in SEEDS])
    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs))
    return float(diffs.mean()), float(diffs.mean() - half), float(diffs.mean() + half)


def scenario(**kw: object) -> Scenario:
    reforms = kw.pop("reforms", ())
    return load_scenario(
        reforms=reforms, overrides={"run.days": 120, "run.drain_days": 200, "run.warmup_days": 0, **kw}
    )


@pytest.mark.parametrize(
    ("label", "a", "b", "metric", "sign"),
    [
        # (information asymmetry -> involuntary pleas does not hold in model v2: validation claim C1a)
        (
            "detention leverage -> involuntary pleas",
            {"power.detention_leverage": 0.2},
            {"power.detention_leverage": 0.8},
            "involuntary_plea_rate",
            +1,
        ),
        (
            "substantive lawyers -> misinformation withdrawals",
            {},
            {"reforms": ["substantive_duty_lawyers"]},
            "relief_rate_reason_misinformation",
            -1,
        ),
        ("coordination -> adoption", {}, {"reforms": ["prosecutor_judge_coordination"]}, "adoption_rate", +1),
        (
            "appeal countermeasures -> technical appeals",
            {},
            {"reforms": ["appeal_countermeasures"]},
            "technical_appeal_rate",
            -1,
        ),
    ],
)
def test_direction(label: str, a: dict, b: dict, metric: str, sign: int) -> None:
    mean, lo, hi = paired(scenario(**a), scenario(**b), metric)
    if sign > 0:
        assert lo > 0, f"{label}: mean {mean:.4f}, CI [{lo:.4f}, {hi:.4f}]"
    else:
        assert hi < 0, f"{label}: mean {mean:.4f}, CI [{lo:.4f}, {hi:.4f}]"
