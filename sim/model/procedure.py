"""The law as code: stages, procedures, time limits, discount caps and the rules of Arts. 174, 201, 222-230.

Every rule cites its source (2018 Criminal Procedure Law articles unless said otherwise). Functions are
vectorized over numpy arrays of cases so the model can apply them to a day's batch at once.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.model.kernel import helper

DAYS_PER_MONTH = 30.0


class CaseState(IntEnum):
    """Where a case is. Every arrived case is in exactly one of these."""

    INVESTIGATION = 0
    REVIEW = 1  # review and prosecution (审查起诉)
    TRIAL = 2  # first instance
    APPEAL_WINDOW = 3  # judgment given, the 10-day appeal period running (Art. 230)
    SECOND_INSTANCE = 4
    FINAL = 5  # closed: judgment in force (conviction)
    ACQUITTED = 6  # closed: no crime found
    NOT_PROSECUTED = 7  # closed: non-prosecution at review


OPEN_STATES = (
    CaseState.INVESTIGATION,
    CaseState.REVIEW,
    CaseState.TRIAL,
    CaseState.APPEAL_WINDOW,
    CaseState.SECOND_INSTANCE,
)
CLOSED_STATES = (CaseState.FINAL, CaseState.ACQUITTED, CaseState.NOT_PROSECUTED)


class Stage(IntEnum):
    """Stages for resource accounting and the relief ledger."""

    INVESTIGATION = 0
    REVIEW = 1
    TRIAL = 2
    APPEAL = 3  # appeal, protest and second instance


class Procedure(IntEnum):
    NONE = 0
    FAST_TRACK = 1  # 速裁, Arts. 222-226
    SUMMARY = 2  # 简易, Arts. 214-221
    ORDINARY = 3  # 普通


# --- Sentencing discounts (2021 SPC/SPP sentencing guideline)
# ---------------------------------------------------
PLEA_DISCOUNT_CAP = 0.30  # a plea alone cuts the base sentence by at most 30 %
COMBINED_DISCOUNT_CAP = 0.60  # with surrender, restitution or forgiveness at most 60 %

# --- Fast-track and other thresholds
# -----------------------------------------------------------------------------
FAST_TRACK_MAX_MONTHS = 36.0  # Art. 222: likely sentence <= 3 years
SUSPENSION_MAX_MONTHS = 36.0  # Criminal Law Art. 72: only a sentence of <= 3 years may be suspended
SHORT_SENTENCE_MONTHS = 36.0  # the published "sentences <= 3 years" share (SPP 2021 report) uses this line
# assumption: offences likelier to bring more than 3 years are likelier to be arrested
ARREST_SEVERE_MONTHS = 36.0
SAME_SENTENCE_RTOL = 1e-4  # two sentences within this relative tolerance are the same (floating point)
LONGER_LIMIT_MONTHS = 12.0  # Arts. 172, 225: the longer limits apply above 1 year
SUMMARY_LONG_MONTHS = 36.0  # Art. 220: summary limit extends above 3 years
TECHNICAL_APPEAL_REMAINING_DAYS = (
    90  # remaining term <= 3 months is served in the detention house (看守所留所服刑)
)
MINOR_CASE_MONTHS = 6.0  # assumption: relative non-prosecution considered for likely sentences <= 6 months

# --- Time limits in days
# ------------------------------------------------------------------------------------------
APPEAL_WINDOW_DAYS = 10  # Art. 230: appeal or protest within 10 days of a judgment
REVIEW_LIMIT_FAST = 10  # Art. 172: 10 days for fast-track-eligible cases ...
REVIEW_LIMIT_FAST_LONG = 15  # ... 15 days if the likely sentence exceeds 1 year
REVIEW_LIMIT_OTHER = 45  # Art. 172: one month, extendable by 15 days
TRIAL_LIMIT_FAST = 10  # Art. 225: 10 days ...
TRIAL_LIMIT_FAST_LONG = 15  # ... 15 days if the likely sentence exceeds 1 year
TRIAL_LIMIT_SUMMARY = 20  # Art. 220: 20 days ...
TRIAL_LIMIT_SUMMARY_LONG = 45  # ... 1.5 months if the likely sentence exceeds 3 years
TRIAL_LIMIT_ORDINARY = 90  # Art. 208: 2 months, at most 3
SECOND_INSTANCE_LIMIT = 60  # Art. 243: 2 months


def discount_cap(mitigation: np.ndarray, plea_cap: float, combined_cap: float) -> np.ndarray:
    """The largest lawful discount per case: the plea cap, or the combined cap with mitigation (2021
    guideline)."""
    return np.where(mitigation, combined_cap, plea_cap)


def capped_discount(discount: np.ndarray, cap: np.ndarray | float) -> np.ndarray:
    """A discount held within its lawful cap (2021 sentencing guideline)."""
    return np.minimum(discount, cap)


@helper
def lawful_sentence(base_months: float, lawful_discount: float) -> float:
    """The lawful sentence: what a court with the average sentencing norm gives on the true facts, less the
    lawful discount (the ground truth against which recommendations and judgments are 'wrong')."""
    return base_months * (1.0 - lawful_discount)


def off_lawful(months: np.ndarray, lawful: np.ndarray, tolerance: float) -> np.ndarray:
    """A recommendation or sentence off the lawful sentence by more than the tolerance ('obviously improper',
    Art. 201; the same line marks a wrong sentence on appeal)."""
    return np.abs(months / lawful - 1.0) > tolerance


@helper
def suspension_eligible(sentence_months: float) -> bool:
    """Criminal Law Art. 72: a sentence of at most 3 years may be suspended."""
    return sentence_months <= SUSPENSION_MAX_MONTHS


@helper
def fast_track_eligible(likely_months: float) -> bool:
    """Art. 222: fast-track only when the likely sentence is at most 3 years."""
    return likely_months <= FAST_TRACK_MAX_MONTHS


@helper
def review_limit(likely_months: float) -> int:
    """Art. 172: review time limit in days by the likely sentence."""
    if fast_track_eligible(likely_months):
        return REVIEW_LIMIT_FAST_LONG if likely_months > LONGER_LIMIT_MONTHS else REVIEW_LIMIT_FAST
    return REVIEW_LIMIT_OTHER


_FAST_TRACK, _SUMMARY = int(Procedure.FAST_TRACK), int(Procedure.SUMMARY)


@helper
def trial_limit(procedure: int, likely_months: float) -> int:
    """Arts. 208, 220, 225: first-instance time limit in days by procedure and likely sentence."""
    if procedure == _FAST_TRACK:
        return TRIAL_LIMIT_FAST_LONG if likely_months > LONGER_LIMIT_MONTHS else TRIAL_LIMIT_FAST
    if procedure == _SUMMARY:
        return TRIAL_LIMIT_SUMMARY_LONG if likely_months > SUMMARY_LONG_MONTHS else TRIAL_LIMIT_SUMMARY
    return TRIAL_LIMIT_ORDINARY


def may_sign(lawyer_present: np.ndarray) -> np.ndarray:
    """Art. 174: a plea agreement is signed only in the presence of a defender or duty lawyer."""
    return lawyer_present.astype(bool)


def art201_adopts(
    recommended: np.ndarray, lo: np.ndarray, hi: np.ndarray, court_view: np.ndarray, tolerance: float
) -> np.ndarray:
    """Art. 201: the court 'generally shall adopt' the recommendation unless it is obviously improper.

    A determinate recommendation (lo == hi) is adopted when it lies within ``tolerance`` of the court's own
    view; a range is adopted when the court's view, widened by the tolerance, overlaps it.
    """
    return (lo <= court_view * (1 + tolerance)) & (hi >= court_view * (1 - tolerance)) & (recommended > 0)


def sentence_within_recommendation(lo: np.ndarray, hi: np.ndarray, court_view: np.ndarray) -> np.ndarray:
    """The sentence when the court adopts: the court's view, held inside the recommended range."""
    return np.clip(court_view, lo, hi)


def heavier_than_agreed(months: np.ndarray, agreed_hi: np.ndarray) -> np.ndarray:
    """A sentence above the top of what the plea agreement recommended (beyond floating-point sameness): the
    leniency promise is not kept, and a defendant facing it may withdraw the plea (Art. 201)."""
    return months > agreed_hi * (1 + SAME_SENTENCE_RTOL)


def heavier_than_lawful(months: np.ndarray, lawful: np.ndarray, tolerance: float) -> np.ndarray:
    """A sentence heavier than the lawful one by more than the tolerance: the only wrong sentence a
    defendant's appeal can correct, since without a protest the second instance may not make it heavier
    (Art. 237). An appeal against a sentence at or below the lawful one changes nothing unless it raises a
    real defect (an involuntary plea, innocence, a broken promise of suspension)."""
    return months > lawful * (1.0 + tolerance)


def suspension_threshold(share: float | np.ndarray, view_sd: float | np.ndarray) -> np.ndarray:
    """Criminal Law Art. 72 leaves suspension to the court's judgment of the offender's risk: a case is
    suspended when its suitability (standard normal) plus the assessor's error is below this line, which
    keeps the share of eligible sentences suspended at ``share`` whatever the error."""
    from scipy.special import ndtri  # lazily: the command line reads this module before any run

    return np.asarray(ndtri(np.clip(share, 1e-9, 1 - 1e-9)) * np.sqrt(1.0 + np.square(view_sd)))


# Art. 236(2): after one remand for retrial, the second instance must decide; it may not remand again.
MAX_REMANDS = 1


def second_instance_sentence(first: np.ndarray, proposed: np.ndarray, protested: np.ndarray) -> np.ndarray:
    """Art. 237 (上诉不加刑): on a defendant-only appeal the sentence may not rise; a protest lifts
    the bar."""
    return np.where(protested, proposed, np.minimum(first, proposed))


def technical_appeal_eligible(custodial: np.ndarray, remaining_days: np.ndarray) -> np.ndarray:
    """A custodial sentence with <= 3 months left is served in the detention house if not yet final."""
    return custodial & (remaining_days <= TECHNICAL_APPEAL_REMAINING_DAYS) & (remaining_days > 0)
