"""Triage policies act on behaviour only: who gets a substantive review, where lawyer time goes, which appeals
are decided in writing; each leaves today's numbers alone when off (the golden test) and moves what it should
when on."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import LeniencyModel, simulate
from sim.model.actors import triage
from sim.model.events import PleaHearing

ALL_ON = {"triage.review_share": 1.0, "triage.lawyer_risk_weight": 1.0, "triage.written_lane_share": 1.0}


@settings(deadline=None)  # the first example compiles by_risk's kernel
@given(
    flags=st.lists(st.booleans(), min_size=1, max_size=60),
    weight=st.floats(0.0, 1.0),
)
def test_lawyer_time_by_risk_keeps_the_batch_total(flags: list[bool], weight: float) -> None:
    risky = np.array(flags)
    w = triage.by_risk(weight, risky)
    assert w.mean() == pytest.approx(1.0)
    assert np.all(w >= 0)
    if risky.any() and not risky.all() and weight > 1e-9:
        assert w[risky].min() > w[~risky].max()


def test_every_case_a_policy_touches_is_one_it_may_touch() -> None:
    """Invariants over every closed case with all three policies on."""
    cases = simulate(small(days=150, **ALL_ON), 3, daily=False, cases=True).cases
    assert cases is not None
    reviewed = cases[cases["reviewed_in_substance"]]
    assert len(reviewed) > 0
    assert (reviewed["signed"] & reviewed["at_risk"]).all()
    written = cases[cases["written_second_instance"]]
    assert len(written) > 0
    assert (written["appealed"] & ~written["protested"]).all()
    off = simulate(small(days=150), 3, daily=False, cases=True).cases
    assert off is not None
    assert not off["reviewed_in_substance"].any() and not off["written_second_instance"].any()


def test_lawyer_time_goes_to_at_risk_cases() -> None:
    seen: dict[str, list[np.ndarray]] = {"risk": [], "minutes": []}
    model = LeniencyModel(small(days=120, **{"triage.lawyer_risk_weight": 1.0}), rng=5)

    def hearing(event: PleaHearing) -> None:
        d, rows = model.docket, event.rows
        duty = rows[~d.retained[rows]]
        seen["risk"].append(d.at_risk[duty].copy())
        seen["minutes"].append(d.lawyer_minutes[duty].copy())

    model.events.subscribe(PleaHearing, hearing)
    while model.running:
        model.step()
    risk, minutes = np.concatenate(seen["risk"]), np.concatenate(seen["minutes"])
    assert risk.any() and (~risk).any()
    assert minutes[risk].mean() > 2 * minutes[~risk].mean()


SEEDS = (11, 12, 13, 14)


def _summaries(**overrides: float) -> list[dict[str, float]]:
    return [simulate(small(days=180, **overrides), s, daily=False).summary for s in SEEDS]


def test_substantive_review_costs_judge_hours_and_finds_more() -> None:
    off, on = _summaries(), _summaries(**{"triage.review_share": 1.0})
    for a, b in zip(off, on, strict=True):
        assert b["hours_per_case_judge_trial"] > a["hours_per_case_judge_trial"]
    assert np.mean([b["involuntary_detected_share"] for b in on]) > np.mean(
        [a["involuntary_detected_share"] for a in off]
    )


def test_the_written_lane_takes_the_point_out_of_technical_appeals() -> None:
    off, on = _summaries(), _summaries(**{"triage.written_lane_share": 1.0})
    assert np.mean([b["technical_appeal_rate"] for b in on]) < np.mean(
        [a["technical_appeal_rate"] for a in off]
    )
    assert np.mean([b["hours_per_case_judge_appeal"] for b in on]) < np.mean(
        [a["hours_per_case_judge_appeal"] for a in off]
    )
