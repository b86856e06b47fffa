"""The defendant's batch decisions as compiled kernels (``sim.model.kernel``): one pass per case, called by
the classmethods of ``Defendant`` (``sim.model.actors.defendant``), which gather their arguments."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.model import procedure as law
from sim.model.kernel import exponential32, helper, jit, normal32, normal52, uniform32, uniform52
from sim.model.streams import CASE_COLUMN, FACT_COLUMN

# numpy's dtypes are mirrored: a float32 column op a Python float stays float32 (NEP 50), so such a step is
# computed as ``np.float32(a * b)`` (one rounding of the exact double result, as float32 arithmetic rounds);
# everything else is float64.

_BELIEF = CASE_COLUMN["defendant.belief"]
_CONVICTION_BELIEF = CASE_COLUMN["defendant.conviction_belief"]
_INSISTS = CASE_COLUMN["prosecutor.insists"]
_GRIEVANCE = CASE_COLUMN["defendant.grievance"]
_APPEAL_COST = CASE_COLUMN["defendant.appeal_cost"]
_SEVERE = law.ARREST_SEVERE_MONTHS
_F_INNOCENT, _F_MITIGATION = FACT_COLUMN["case.innocent"], FACT_COLUMN["case.mitigation"]
_F_OVERCHARGE, _F_CONTESTS = FACT_COLUMN["case.overcharge"], FACT_COLUMN["case.contests"]
_F_DETAINED, _F_BASE = FACT_COLUMN["case.detained"], FACT_COLUMN["case.base"]
_F_RISK, _F_TASTE = FACT_COLUMN["case.risk"], FACT_COLUMN["case.taste"]
_F_VIEW, _F_SUITABILITY = FACT_COLUMN["case.view"], FACT_COLUMN["case.suitability"]


@helper
def _gap(risk: Any, plea: float, trial: float, p: float, cost: float) -> float:
    """Log of (plea disutility / trial disutility): Landes (1971) with risk aversion (Grossman & Katz
    1983)."""
    r1 = 1.0 + float(risk)
    u_plea = (1e-3 if plea < 1e-3 else plea) ** r1
    u_trial = p * (1e-3 if trial < 1e-3 else trial) ** r1 + cost**r1
    return math.log(u_plea) - math.log(u_trial)


@helper
def plea_at(
    r, trial, cost, denial, threshold, risk, determinate, rec, rec_lo, belief_t, belief_p, p_conv, own_t,
    own_p, taste, contests, pressure, inv_cause,
):  # fmt: skip
    """``Defendant.decide_plea`` of the case in docket row ``r`` (``trial``: the sentence this court would
    give it after a contested trial): (accept, accept knowing and free); sets the cause."""
    perceived = rec[r] if determinate[r] else rec_lo[r]
    gap = _gap(risk[r], perceived, belief_t[r], float(belief_p[r]), cost)
    true_gap = _gap(risk[r], rec[r], trial, float(p_conv[r]), cost)
    like = float(taste[r]) - denial * (1.0 if contests[r] else 0.0)
    push = float(pressure[r])
    lawful = 0.0 if push > threshold else push
    a = gap <= like + push
    a_cf = true_gap <= like + lawful
    cause = 0
    if a and not a_cf:
        if push > threshold and gap > like + lawful:
            cause = 1
        elif _gap(risk[r], perceived, own_t[r], float(own_p[r]), cost) > like + push:
            cause = 2
        else:
            cause = 3
    inv_cause[r] = cause
    return a, a_cf


@jit
def plea_kernel(
    rows, trial, cost, denial, threshold, risk, determinate, rec, rec_lo, belief_t, belief_p, p_conv, own_t,
    own_p, taste, contests, pressure, inv_cause, accept, accept_cf,
):  # fmt: skip
    for i in range(rows.shape[0]):
        accept[i], accept_cf[i] = plea_at(
            rows[i], trial[i], cost, denial, threshold, risk, determinate, rec, rec_lo, belief_t, belief_p,
            p_conv, own_t, own_p, taste, contests, pressure, inv_cause,
        )  # fmt: skip


@helper
def forms_beliefs_at(
    r, expected, bias, noise_sd, overstate32, asymmetry, draws, literacy, base, overcharge, p_conv, framed_t,
    belief_t, own_t, belief_p, own_p,
):  # fmt: skip
    """Beliefs about the trial of the case in docket row ``r``: own noisy estimate around ``expected`` (what
    the file and guideline say), pulled toward the prosecutor's framing by information asymmetry (the
    world's ``asymmetry``)."""
    lit = float(literacy[r])
    framed = base[r] * float(np.float32(1.0 + float(overcharge[r])))
    framed_t[r] = framed
    noise = bias + noise_sd * (1 - 0.5 * lit) * normal32(draws[r, _BELIEF])
    log_b = math.log(expected) + noise
    w = asymmetry * (1 - lit)
    belief_t[r] = math.exp((1 - w) * log_b + w * math.log(framed))
    own_t[r] = math.exp(log_b)
    pc = float(p_conv[r])
    own = pc + 0.15 * (1 - lit) * normal32(draws[r, _CONVICTION_BELIEF])
    own = min(max(own, 0.05), 1.0)
    framed_p = float(np.float32(pc + float(np.float32(overstate32 * float(np.float32(1.0 - pc))))))
    belief_p[r] = np.float32((1 - w) * own + w * framed_p)
    own_p[r] = np.float32(own)


@helper
def pressure_at(detained: Any, substantive: Any, detention_pressure: float, leverage: float, shield32: float):
    """Coercive pressure (log scale, float32) at the first session: continued detention used as leverage
    (the world's ``leverage``); substantive advice on rights shields the defendant."""
    raw = detention_pressure * leverage * (1.0 if detained else 0.0)
    shield = float(np.float32(1.0 - float(np.float32(shield32 * float(substantive)))))
    return np.float32(raw * shield)


@jit
def pressure_kernel(rows, dpw, detention_pressure, leverage, shield32, district, detained, substantive, out):
    for i in range(rows.shape[0]):
        r = rows[i]
        out[i] = pressure_at(
            detained[r], substantive[r], detention_pressure, leverage[district[r] // dpw], shield32
        )


@jit
def insist_kernel(
    rows, short, target_pressure, dpw, insist_base, slope, deterrence, shield32, push32, framing32, district,
    draws, recorded, substantive, literacy, framed_t, pressure, belief_t, insisted, go,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        w_ = district[r] // dpw
        chance = target_pressure[w_] * min(1.0, insist_base[w_] + slope * short[i])
        g = uniform32(draws[r, _INSISTS]) < chance
        go[i] = g
        if not g:
            continue
        deter = 1.0 - deterrence * (1.0 if recorded[r] else 0.0)
        shield = float(np.float32(1.0 - float(np.float32(shield32 * float(substantive[r])))))
        add = np.float32(float(np.float32(push32 * shield)) * deter)
        pressure[r] = np.float32(float(pressure[r]) + float(add))
        w = float(np.float32(framing32 * float(np.float32(1.0 - float(literacy[r]))))) * deter
        belief_t[r] = math.exp((1 - w) * math.log(belief_t[r]) + w * math.log(framed_t[r]))
        insisted[r] = True


@helper
def withdraws_at(
    court: float,
    risk: Any,
    belief_t: Any,
    belief_p: Any,
    taste: Any,
    contests: Any,
    cost: float,
    denial: float,
) -> bool:
    """The court will not give the agreed sentence (it would give ``court``): withdraw the plea and contest,
    or take the court's sentence? The same comparison as the plea decision (beliefs as they stand, denial a
    cost), without pressure."""
    gap = _gap(risk, court, belief_t, float(belief_p), cost)
    return gap > float(taste) - denial * (1.0 if contests else 0.0)


@helper
def learns_at(literacy: Any, substantive: Any, learning_prob: float, scale: float, word: Any) -> bool:
    """A defendant who signed on wrong beliefs comes to see it (literacy and real advice help); float32 as
    numpy computes it with the scenario's value (the same in a batch of worlds)."""
    help32 = float(
        np.float32(float(np.float32(0.5 * float(literacy))) + float(np.float32(0.5 * float(substantive))))
    )
    return uniform32(word) < float(np.float32(float(np.float32(learning_prob * scale)) * help32))


@helper
def misinformed_at(substantive: Any, prob32: float, shield32: float, word: Any) -> bool:
    """A voluntary signer is later misinformed into withdrawing (formalised advice leaves room for it)."""
    kept = float(np.float32(1.0 - float(np.float32(shield32 * float(substantive)))))
    return uniform32(word) < float(np.float32(prob32 * kept))


@helper
def _pending(sentence: float, remaining: float, share: float, written: float, lane_max: float) -> float:
    """How much of a short remainder an appeal keeps in the detention house: all of it (up to 3 months)
    in the usual course; only the written decision's days when the court decides such appeals in writing
    (the defendant knows the court's practice, triage.written_lane_share)."""
    usual = min(remaining, 3.0)
    if share <= 0.0:
        return usual
    s = share * (1.0 if sentence <= lane_max else 0.0)
    return (1.0 - s) * usual + s * min(remaining, written)


@helper
def appeals_at(
    draws: Any, r: int, s: float, anchor: float, lawful_sentence: bool, defect: bool, eligible: bool,
    remaining: float, explained: bool, unfair_sd: float, defect_grievance: float, persuaded: float,
    success_lawful: float, success_belief: float, prior: float, increase: float, share: float, written: float,
    lane_max: float, house_value: float, awareness: float, punitive_prob: float, threshold: float,
) -> tuple[bool, bool]:  # fmt: skip
    """Appeal within 10 days? An expected-utility choice (Landes 1971 applied to the appeal) of the case in
    docket row ``r`` (its draws), sentenced to ``s``. Returns (appeal, technical).

    Gain: the believed chance of success times the felt excess of the sentence over what was promised (the
    recommendation, ``anchor``) or seems fair; for a short custodial remainder (``eligible``), the value of
    serving it in the detention house (留所服刑) while the judgment is not final. Loss: the believed chance
    of a punitive protest times the increase it brings (上诉不加刑 protects only a defendant-only appeal).
    Cost: an idiosyncratic hassle. A reasoned judgment is information: a lawful sentence explained lowers
    the felt excess and the believed chance of success."""
    felt = math.log(s / anchor) + unfair_sd * normal32(draws[r, _GRIEVANCE])
    if defect:
        felt = felt + defect_grievance
    informed = explained and lawful_sentence and not defect
    if informed:
        felt = felt * persuaded
    p_succ = success_lawful if informed else success_belief
    gain = p_succ * max(math.expm1(felt), 0.0) * s
    stay = 0.0
    loss = 0.0
    if eligible:
        stay = house_value * _pending(s, remaining, share, written, lane_max)
        loss = ((1 - awareness) * prior + awareness * punitive_prob) * increase * s
    cost = exponential32(draws[r, _APPEAL_COST], threshold) * s
    a = gain + stay - loss > cost
    return a, a and eligible and gain - loss <= cost


@jit
def draw_kernel(
    rows, day, dpw, raw, evidence_draw, literacy_draw, sigma, innocent_share, innocent_factor,
    innocent_conv, evidence_mean, mitigation_share, overcharge_max, risk_mean, risk_sd, taste_sd, arrest_base,
    arrest_leverage, arrest_severity, median, charge_leverage, contest_share, detention_leverage, view_sd,
    district, base, innocent, evidence, p_conv, mitigation, overcharge, risk, literacy, taste, contests,
    detained, detained_at_arrival, det_since, view_noise, suitability,
):  # fmt: skip
    for i in range(rows.shape[0]):
        r = rows[i]
        f = raw[i]  # the case's fact words (``Arrivals.uniform`` and ``normal`` of each, opened here)
        u_innocent, u_mitigation = uniform52(f[_F_INNOCENT]), uniform52(f[_F_MITIGATION])
        u_overcharge, u_contests = uniform52(f[_F_OVERCHARGE]), uniform52(f[_F_CONTESTS])
        z_risk, z_taste = normal52(f[_F_RISK]), normal52(f[_F_TASTE])
        w = district[r] // dpw
        months = min(max(median[w] * math.exp(sigma * normal52(f[_F_BASE])), 1.0), 300.0)
        base[r] = months
        inn = u_innocent < innocent_share
        innocent[r] = inn
        ev = evidence_draw[i] * innocent_factor if inn else evidence_draw[i]  # weaker against the innocent
        evidence[r] = np.float32(ev)
        # In China conviction at trial is near-certain for the guilty (> 99 %, docs/domain.md §5).
        if inn:
            p_conv[r] = np.float32(min(max(innocent_conv * ev / evidence_mean, 0.0), 0.95))
        else:
            p_conv[r] = np.float32(0.97 + 0.03 * ev)
        mitigation[r] = u_mitigation < mitigation_share and not inn
        overcharge[r] = np.float32(charge_leverage[w] * overcharge_max * u_overcharge)
        risk[r] = np.float32(max(risk_mean + risk_sd * z_risk, 0.0))
        literacy[r] = np.float32(literacy_draw[i])
        taste[r] = np.float32(taste_sd * z_taste)
        contests[r] = u_contests < contest_share[w]
        # Arrest decision: severity and detention used as leverage (以捕促认) raise it
        # (assumption on the form).
        severe = 1.0 if months > _SEVERE else 0.0
        p_det = arrest_base + arrest_leverage * detention_leverage[w] + arrest_severity * severe
        det = uniform52(f[_F_DETAINED]) < min(max(p_det, 0.0), 0.95)
        detained[r] = det
        detained_at_arrival[r] = det
        det_since[r] = day if det else -1
        view_noise[r] = np.float32(view_sd[w] * normal52(f[_F_VIEW]))
        suitability[r] = np.float32(normal52(f[_F_SUITABILITY]))
