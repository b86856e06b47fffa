"""The metric declarations: each figure's formula on hand-made counters, and the daily rates per world."""

from __future__ import annotations

import math
from dataclasses import fields
from types import SimpleNamespace

import numpy as np
import pytest

from sim.model.daily import RUNNING_RATES
from sim.model.ledger import ESSENTIAL_COL, JUDGE, NONESSENTIAL_COL, PROSECUTOR, Tally
from sim.model.metrics import METRICS, running_rates, summarise
from sim.model.procedure import Stage
from sim.model.relief import ReliefClass, ReliefType


def _tally(signed: int) -> Tally:
    t = Tally(arrived=10, closed=6, signed=signed, leniency_judged=5, appealed_or_protested=2)
    t.relief[ReliefType.APPEAL, ESSENTIAL_COL] = 3
    t.relief[ReliefType.APPEAL, NONESSENTIAL_COL] = 1
    t.initiations[ReliefType.APPEAL, ReliefClass.NONESSENTIAL] = 2
    t.hours[PROSECUTOR, Stage.REVIEW] = 7.0
    t.hours[JUDGE, Stage.TRIAL] = 3.0
    return t


def test_summary_follows_the_declared_formulas() -> None:
    s = summarise(_tally(signed=4), open_cases=3)
    assert list(s) == list(METRICS)
    assert (s["cases_arrived"], s["cases_open_at_end"], s["leniency_cases"]) == (10, 3, 4)
    assert s["relief_rate"] == 4 * 100 / 4
    assert s["relief_rate_essential"] == s["relief_rate_appeal_essential"] == 3 * 100 / 4
    assert s["relief_rate_appeal_nonessential"] == 1 * 100 / 4
    assert s["relief_initiations_per_100_nonessential"] == s["relief_initiations_per_100_appeal"] == 50.0
    assert s["acceptance_rate"] == 1 - 2 / 5
    assert s["hours_per_case_prosecutor_review"] == s["hours_per_case_prosecutor"] == 0.7
    assert s["hours_per_case_total"] == 1.0
    assert all(isinstance(v, float) for v in s.values())


def test_rates_without_a_denominator_are_nan() -> None:
    s = summarise(_tally(signed=0), open_cases=0)
    assert math.isnan(s["relief_rate"]) and math.isnan(s["withdrawal_rate"])
    assert math.isnan(s["mean_review_days"])  # no review ended
    assert s["hours_per_case_total"] == 1.0


def test_the_daily_series_follows_the_daily_metrics() -> None:
    assert set(running_rates(Tally())) == set(RUNNING_RATES)
    assert all(METRICS[k].daily for k in RUNNING_RATES)


@pytest.mark.parametrize("key", RUNNING_RATES)
def test_daily_rates_per_world_equal_each_worlds_summary(key: str) -> None:
    """A batched model's daily series computes the rates on counters with one row per world: elementwise,
    each must be that world's figure exactly (a world without signed pleas gives NaN, not an error)."""
    worlds = [_tally(signed=4), _tally(signed=0), Tally(arrived=3, review_concluded=2, pleas_at_charge=1)]
    stacked = SimpleNamespace(
        **{f.name: np.stack([np.asarray(getattr(t, f.name)) for t in worlds]) for f in fields(Tally)}
    )
    per_world = running_rates(stacked)[key]
    expected = [summarise(t, 0)[key] for t in worlds]
    np.testing.assert_array_equal(per_world, expected)
