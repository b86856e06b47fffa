"""Each rule of law in sim/procedure.py, unit-tested on its own."""

from __future__ import annotations

import numpy as np

from sim.model import procedure as law
from sim.model.procedure import Procedure


def test_discount_caps_2021_guideline() -> None:
    mitig = np.array([False, True])
    assert law.discount_cap(mitig, law.PLEA_DISCOUNT_CAP, law.COMBINED_DISCOUNT_CAP).tolist() == [0.30, 0.60]


def test_fast_track_only_up_to_three_years() -> None:
    assert [law.fast_track_eligible(m) for m in (1.0, 36.0, 36.01, 120.0)] == [True, True, False, False]


def test_review_time_limits_art_172() -> None:
    months = [6.0, 12.0, 13.0, 36.0, 37.0]
    assert [law.review_limit(m) for m in months] == [10, 10, 15, 15, 45]


def test_trial_time_limits() -> None:
    proc = [
        Procedure.FAST_TRACK,
        Procedure.FAST_TRACK,
        Procedure.SUMMARY,
        Procedure.SUMMARY,
        Procedure.ORDINARY,
    ]
    months = [6.0, 18.0, 24.0, 48.0, 48.0]
    assert [law.trial_limit(int(p), m) for p, m in zip(proc, months, strict=True)] == [10, 15, 20, 45, 90]


def test_signing_needs_a_lawyer_art_174() -> None:
    assert law.may_sign(np.array([True, False])).tolist() == [True, False]


def test_art_201_adopts_within_tolerance_and_ranges() -> None:
    view = np.array([10.0, 10.0, 10.0, 10.0])
    rec = np.array([11.0, 13.0, 10.0, 8.0])
    lo = np.array([11.0, 13.0, 8.5, 8.0])
    hi = np.array([11.0, 13.0, 11.5, 8.0])
    assert law.art201_adopts(rec, lo, hi, view, 0.15).tolist() == [True, False, True, False]
    assert law.sentence_within_recommendation(lo, hi, view).tolist() == [11.0, 13.0, 10.0, 8.0]


def test_no_heavier_sentence_on_defendant_only_appeal_art_237() -> None:
    first = np.array([12.0, 12.0, 12.0])
    proposed = np.array([18.0, 6.0, 18.0])
    protested = np.array([False, False, True])
    assert law.second_instance_sentence(first, proposed, protested).tolist() == [12.0, 6.0, 18.0]


def test_technical_appeal_window_three_months() -> None:
    custodial = np.array([True, True, False, True])
    remaining = np.array([90, 91, 30, 0])
    assert law.technical_appeal_eligible(custodial, remaining).tolist() == [True, False, False, False]


def test_appeal_window_and_second_instance_limits() -> None:
    assert law.APPEAL_WINDOW_DAYS == 10
    assert law.SECOND_INSTANCE_LIMIT == 60
