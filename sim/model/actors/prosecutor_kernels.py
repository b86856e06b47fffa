"""The prosecutor's decisions over docket rows as compiled kernels (``sim.model.kernel``): one pass per case,
called by ``Prosecutor`` and ``ProsecutorOffice`` (``sim.model.actors.prosecutor``), which gather their
arguments. Each mirrors the dtypes numpy used (float32 where a float32 column met a Python float)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.model import procedure as law
from sim.model.actors.judge import suspends_at, view_factor
from sim.model.kernel import helper, jit, normal32, normal52, uniform32, uniform52
from sim.model.streams import CASE_COLUMN

# A procuratorate's motive to protest, on file (docket ``protest_motive``).
MOTIVE_NONE, MOTIVE_PUNITIVE, MOTIVE_NOT_ADOPTED, MOTIVE_OFF_LAWFUL = 0, 1, 2, 3

_COL_CONSULTS = CASE_COLUMN["prosecutor.consults"]
_COL_DETERMINATE = CASE_COLUMN["prosecutor.determinate"]
_COL_SUSPENSION = CASE_COLUMN["prosecutor.suspension_view"]
_COL_FINDS = CASE_COLUMN["prosecutor.finds_involuntary"]
_COL_MINOR = CASE_COLUMN["prosecutor.minor_drop"]
_COL_WEAK = CASE_COLUMN["prosecutor.weak_drop"]
_COL_RELEASES = CASE_COLUMN["prosecutor.releases"]
_COL_OBSERVES = CASE_COLUMN["prosecutor.observes"]
_COL_ADJUSTS = CASE_COLUMN["prosecutor.adjusts"]
_COL_PROTESTS = CASE_COLUMN["prosecutor.protests"]
_COL_JUDGE_SUSPENSION = CASE_COLUMN["judge.suspension_view"]
_SUSPENSION_MAX, _MINOR = law.SUSPENSION_MAX_MONTHS, law.MINOR_CASE_MONTHS
_BELOW_REC = 1 - law.SAME_SENTENCE_RTOL


@helper
def shortfall_at(rate: float, target: float) -> float:
    """Relative shortfall of a running application rate below the target (none without a target)."""
    if target <= 0:
        return 0.0
    short = target - rate
    return (short if short > 0.0 else 0.0) / target


@jit
def shortfall_kernel(prosecutors: Any, rate: Any, target: float) -> Any:
    out = np.empty(prosecutors.shape[0])
    for i in range(prosecutors.shape[0]):
        out[i] = shortfall_at(rate[prosecutors[i]], target)
    return out


@jit
def offer_kernel(
    rows: Any,
    district: Any,
    dpw: int,
    prosecutor: Any,
    judge: Any,
    judge_local: Any,
    mitigation: Any,
    base: Any,
    view_factor_col: Any,
    suitability: Any,
    draws: Any,
    legal_discount: Any,
    discount: Any,
    target_boost: Any,
    determinate: Any,
    rec: Any,
    offer: Any,
    rec_lo: Any,
    rec_hi: Any,
    rec_suspended: Any,
    belief: Any,
    rate: Any,
    norm: Any,
    plea_cap: float,
    combined_cap: float,
    base_discount: float,
    mitigation_discount: float,
    boost_w: Any,
    pressure_w: Any,
    target: float,
    consult_w: Any,
    determinate_w: Any,
    half_width: float,
    own_sd: float,
    own_line: float,
    court_sd: float,
    court_line: float,
) -> Any:
    """Art. 176 in one pass per case: the discount (the target's boost within the cap), the estimate of the
    trial sentence (the believed norm, or the court's own view where it consults), the recommendation and
    whether it suspends. Returns which cases consulted (they book time)."""
    consulted = np.empty(rows.shape[0], dtype=np.bool_)
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        pr = prosecutor[r]
        cap = combined_cap if mitigation[r] else plea_cap
        lawful = base_discount + mitigation_discount * (1.0 if mitigation[r] else 0.0)
        legal_discount[r] = lawful if lawful <= cap else cap
        pressure = pressure_w[w] if target > 0 else 0.0
        boosted = lawful + boost_w[w] * pressure * (1.0 + shortfall_at(rate[pr], target))
        discount[r] = boosted if boosted <= cap else cap
        target_boost[r] = discount[r] - legal_discount[r]  # float32, as the columns
        consult = uniform32(draws[r, _COL_CONSULTS]) < consult_w[w]
        consulted[i] = consult
        if consult:  # the court's norm and its view of this case
            est = base[r] * (norm[judge[r]] * view_factor(view_factor_col[r]))
        else:
            est = base[r] * math.exp(belief[pr, judge_local[r]])
        centre = est * np.float64(np.float32(1.0) - discount[r])
        det = uniform32(draws[r, _COL_DETERMINATE]) < determinate_w[w]
        determinate[r] = det
        rec[r] = centre
        offer[r] = centre
        hw = 0.0 if det else half_width
        rec_lo[r] = centre * (1 - hw)
        rec_hi[r] = centre * (1 + hw)
        if consult:  # a consultation tells it the court's view of suspension
            suspend = suspends_at(suitability[r], draws[r, _COL_JUDGE_SUSPENSION], court_sd, court_line)
        else:
            suspend = suspends_at(suitability[r], draws[r, _COL_SUSPENSION], own_sd, own_line)
        rec_suspended[r] = centre <= _SUSPENSION_MAX and suspend
    return consulted


@jit
def negotiate_kernel(
    rows: Any,
    mitigation: Any,
    substantive: Any,
    discount: Any,
    rec: Any,
    rec_lo: Any,
    rec_hi: Any,
    plea_cap: float,
    combined_cap: float,
    step: float,
) -> None:
    for i in range(rows.shape[0]):
        r = rows[i]
        cap = combined_cap if mitigation[r] else plea_cap
        old = discount[r]
        wanted = np.float64(old + np.float32(step) * substantive[r])
        new = wanted if wanted <= cap else cap
        left = np.float32(1.0) - old
        floor = np.float32(1e-9)
        scale = (1.0 - new) / np.float64(left if left >= floor else floor)
        discount[r] = new
        rec[r] = rec[r] * scale
        rec_lo[r] = rec_lo[r] * scale
        rec_hi[r] = rec_hi[r] * scale


@helper
def will_negotiate_at(substantive: Any, least: float) -> bool:
    """After a refusal the prosecutor bargains only with a defence that has substance to bargain with."""
    return substantive > np.float32(least)  # float32, as numpy compares the column


@helper
def record_outcomes(rows: Any, prosecutor: Any, signed: Any, rate: Any, alpha: float) -> None:
    """Each prosecutor's running application rate (what the target is measured on), from the reviews ending
    (``rows``): all decays, then all increments, in order (as ``np.multiply.at`` then ``np.add.at``)."""
    for i in range(rows.shape[0]):
        rate[prosecutor[rows[i]]] *= 1 - alpha
    for i in range(rows.shape[0]):
        r = rows[i]
        rate[prosecutor[r]] += alpha * (1.0 if signed[r] else 0.0)


@helper
def finds_involuntary_at(
    draws: Any, r: int, recorded: Any, substantive: Any, involuntary: Any, visibility: float,
    check_depth: float, false_rate: float,
) -> bool:  # fmt: skip
    """The review-stage plea hearing (recorded since 2022 under the safeguards reform) may uncover coercion in
    the case of docket row ``r``; a defendant with real help speaks up more readily (assumption on the form).
    A record shows what happened in the session."""
    seen = 1.0 + visibility * (1.0 if recorded else 0.0)
    help32 = np.float32(check_depth) * (np.float32(0.5) + np.float32(0.5) * substantive)
    depth = min(max(np.float64(help32) * seen, 0.0), 1.0)
    u = uniform32(draws[r, _COL_FINDS])
    return u < depth if involuntary else u < false_rate * depth


@helper
def declines_at(
    draws: Any, r: int, signed: Any, rec: Any, innocent: Any, evidence: Any, minor_share: float,
    weak_drop: float,
) -> bool:  # fmt: skip
    """Non-prosecution at the end of review: a minor pleaded case (relative non-prosecution, Art. 177) or a
    weak case against an innocent (evidentiary non-prosecution; assumption on the rate)."""
    minor = signed and rec <= _MINOR and uniform32(draws[r, _COL_MINOR]) < minor_share
    weak_line = np.float32(weak_drop) * (np.float32(1.0) - evidence)
    weak = innocent and uniform32(draws[r, _COL_WEAK]) < weak_line
    return minor or weak


@helper
def releases_at(draws: Any, r: int, signed: Any, detained: Any, chance: float) -> bool:
    """Arrest as leverage (以捕促认): a detained defendant who pleads may be released (assumption)."""
    return signed and detained and uniform32(draws[r, _COL_RELEASES]) < chance


@jit
def learn_kernel(
    rows: Any,
    prosecutor: Any,
    judge: Any,
    judge_local: Any,
    draws: Any,
    log_norm: Any,
    belief: Any,
    noise_sd: float,
    eta: float,
) -> None:
    """Every step from the beliefs before any of today's lessons, then added in order (as ``np.add.at``)."""
    n = rows.shape[0]
    step = np.empty(n)
    for i in range(n):
        r = rows[i]
        observed = log_norm[judge[r]] + noise_sd * normal32(draws[r, _COL_OBSERVES])
        step[i] = eta * (observed - belief[prosecutor[r], judge_local[r]])
    for i in range(n):
        r = rows[i]
        belief[prosecutor[r], judge_local[r]] += step[i]


@helper
def adjusts_at(draws: Any, r: int, propensity: float) -> bool:
    """Art. 201: asked to adjust an obviously improper recommendation (the case in docket row ``r``), does
    the prosecutor do so?"""
    return uniform32(draws[r, _COL_ADJUSTS]) < propensity


@helper
def protest_motive_at(
    plea: bool, adopted: bool, unfulfilled: bool, sentence: float, rec_lo: float, lawful: float, appeal: bool,
    stated_ground: bool, tolerance: float,
) -> int:  # fmt: skip
    """What on file moves a procuratorate to protest a first judgment (Art. 228; SPP practice,
    docs/domain.md §1), first that applies:

    - ``MOTIVE_PUNITIVE``: the defendant appeals a judgment that kept the plea agreement (adopted, no promise
      broken) and names no ground: the plea's basis is gone (the Guangzhou example).
    - ``MOTIVE_NOT_ADOPTED``: the court did not adopt the recommendation and sentenced below it.
    - ``MOTIVE_OFF_LAWFUL``: no recommendation of its own was adopted and the sentence is off the lawful one
      by more than the tolerance (either way).

    A judgment that adopted the procuratorate's own recommendation gives no supervisory motive."""
    own = plea and adopted
    kept = own and not unfulfilled
    if appeal and kept and not stated_ground:
        return MOTIVE_PUNITIVE
    if plea and not adopted and sentence < rec_lo * _BELOW_REC:
        return MOTIVE_NOT_ADOPTED
    if not own and abs(sentence / lawful - 1.0) > tolerance:  # law.off_lawful
        return MOTIVE_OFF_LAWFUL
    return MOTIVE_NONE


@helper
def protests_at(draws: Any, r: int, motive: int, punitive: float, supervisory: float) -> bool:
    """Art. 228: the procuratorate protests the case in docket row ``r`` where the file gives it a motive:
    a punitive protest with the world's ``punitive`` chance, a supervisory one with ``supervisory``."""
    chance = punitive if motive == MOTIVE_PUNITIVE else supervisory
    return motive != MOTIVE_NONE and uniform32(draws[r, _COL_PROTESTS]) < chance


@jit
def leavers_kernel(leaves: Any, line: float) -> Any:
    """The prosecutors who leave today (ascending): their turnover uniform falls below the line."""
    out = np.empty(leaves.shape[0], dtype=np.int64)
    n = 0
    for i in range(leaves.shape[0]):
        if uniform52(leaves[i]) < line:
            out[n] = i
            n += 1
    return out[:n]


@jit
def turnover_kernel(
    leavers: Any, newcomer: Any, belief_sd: Any, belief: Any, rate: Any, target: float
) -> None:
    """Each leaver's newcomer (``newcomer``: their words, one row per leaver) holds uninformed beliefs and
    the target's rate."""
    for k in range(leavers.shape[0]):
        i = leavers[k]
        for j in range(belief.shape[1]):
            belief[i, j] = belief_sd[i] * normal52(newcomer[k, j])
        rate[i] = target


@jit
def forget_judges_kernel(
    judges: Any, judges_per_district: int, per_district: int, fresh: Any, belief_sd: Any, belief: Any
) -> None:
    """The prosecutors of each new judge's district start afresh on that judge (``fresh``: their words, the
    district's prosecutors' rows for each judge in turn)."""
    for k in range(judges.shape[0]):
        dist, jl = divmod(judges[k], judges_per_district)
        for q in range(per_district):
            pr = dist * per_district + q
            belief[pr, jl] = belief_sd[pr] * normal52(fresh[k * per_district + q, jl])


__all__ = [
    "MOTIVE_NONE",
    "MOTIVE_NOT_ADOPTED",
    "MOTIVE_OFF_LAWFUL",
    "MOTIVE_PUNITIVE",
    "adjusts_at",
    "declines_at",
    "forget_judges_kernel",
    "finds_involuntary_at",
    "learn_kernel",
    "leavers_kernel",
    "negotiate_kernel",
    "offer_kernel",
    "protest_motive_at",
    "protests_at",
    "record_outcomes",
    "releases_at",
    "shortfall_at",
    "shortfall_kernel",
    "turnover_kernel",
    "will_negotiate_at",
]
