"""§6 of docs/domain.md: the classic decision results checked on the defendant. Plea acceptance on constructed
defendants (a model with an empty docket, rows filled with chosen beliefs, offers and attributes) through
``Defendant.decide_plea`` and ``Defendant.pressure``, and one simulated check (a discount cap lowers
innocents' plea rate more than the guilty's)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.analysis import mean_interval
from sim.fitting.replicate import run_replications
from sim.model import LeniencyModel
from sim.model.actors import Defendant
from sim.model.scenario import Scenario

# A §6 check has no mechanism switched off: the columns of the claims table it leaves empty.
NO_MECHANISM_CHECK: dict[str, Any] = {
    "off_kind": "none",
    "off": "",
    "off_effect": math.nan,
    "off_lo": math.nan,
    "off_hi": math.nan,
    "share_through_mechanism": math.nan,
    "through_mechanism": "n/a",
}


def _population(base: Scenario, n: int, seed: int) -> tuple[Any, np.ndarray]:
    """A model with ``n`` constructed defendants: baseline risk attitudes and tastes, guilty, at liberty, no
    pressure."""
    model = LeniencyModel(base.with_overrides({"run.cases_per_day": 0.1}), materialise_agents=False, rng=seed)
    d, rng, df = model.docket, np.random.default_rng(seed), base.defendant
    rows = d.add(n)
    d.risk[rows] = np.maximum(df.risk_aversion_mean + df.risk_aversion_sd * rng.standard_normal(n), 0.0)
    d.taste[rows] = df.taste_sd * rng.standard_normal(n)
    d.contests[rows] = False
    d.determinate[rows] = True
    d.prosecutor[rows] = 0
    d.substantive[rows] = 0.2
    d.detained[rows] = False
    d.pressure[rows] = 0.0
    _offer(model, rows, trial=18.0, discount=0.3, p=0.98)
    return model, rows


def _offer(
    model: Any,
    rows: np.ndarray,
    *,
    trial: float | np.ndarray,
    discount: float | np.ndarray,
    p: float | np.ndarray,
) -> None:
    """Beliefs equal to the truth: trial sentence ``trial``, conviction chance ``p``, a determinate offer."""
    d = model.docket
    d.base[rows] = trial
    d.belief_T[rows] = trial
    d.p_conv[rows] = p
    d.belief_p[rows] = p
    d.rec[rows] = d.rec_lo[rows] = d.rec_hi[rows] = np.asarray(trial) * (1.0 - np.asarray(discount))


def _accept_share(model: Any, rows: np.ndarray) -> float:
    return float(Defendant.decide_plea(model, rows)[0].mean())


def decision_checks(base: Scenario, n: int = 20000, seed: int = 7) -> pd.DataFrame:
    """§6: plea acceptance rises with the trial sentence (fixed offer), the conviction chance, risk
    aversion and detention; a discount cap lowers innocents' acceptance more than the guilty's (Bar-Gill &
    Gazal-Ayal 2006)."""
    rows_out = []

    def record(cid: str, claim: str, grid: Sequence[float], shares: Sequence[float], label: str) -> None:
        mono = (
            all(b >= a - 1e-12 for a, b in zip(shares, shares[1:], strict=False)) and shares[-1] > shares[0]
        )
        rows_out.append(
            {
                "id": cid,
                "section": "§6",
                "claim": claim,
                "metric": "plea acceptance (constructed defendants)",
                "expected": "+",
                "control_mean": shares[0],
                "effect": shares[-1] - shares[0],
                "ci_lo": math.nan,
                "ci_hi": math.nan,
                "holds": "yes" if mono else "no",
                "mechanism": "Defendant.decide_plea / utilities",
                **NO_MECHANISM_CHECK,
                "detail": f"{label}: "
                + ", ".join(f"{g:g}->{s:.3f}" for g, s in zip(grid, shares, strict=True)),
            }
        )

    model, rows = _population(base, n, seed)
    d = model.docket
    # Trial sentence: the offer is held at 10 months; the (believed = true) trial sentence grows.
    grid = [10.0, 12.0, 15.0, 20.0, 30.0]
    shares = []
    for t in grid:
        _offer(model, rows, trial=t, discount=0.0, p=0.98)
        d.rec[rows] = d.rec_lo[rows] = d.rec_hi[rows] = 10.0
        shares.append(_accept_share(model, rows))
    record(
        "D1",
        "Plea acceptance rises with the trial sentence (offer fixed at 10 months; Landes 1971)",
        grid,
        shares,
        "trial months",
    )
    grid = [0.3, 0.5, 0.7, 0.85, 1.0]
    shares = []
    for p in grid:
        _offer(model, rows, trial=18.0, discount=0.3, p=p)
        shares.append(_accept_share(model, rows))
    record(
        "D2",
        "Plea acceptance rises with the conviction chance (30 % discount; Landes 1971)",
        grid,
        shares,
        "P(conviction)",
    )
    grid = [0.0, 0.3, 0.6, 1.0, 1.5]
    shares = []
    saved = d.risk[rows].copy()
    # The offer that leaves a risk-neutral defendant indifferent (1 - discount = P + trial cost / T):
    # curvature decides.
    indifferent = 1.0 - 0.8 - base.defendant.trial_cost_months / 18.0
    _offer(model, rows, trial=18.0, discount=indifferent, p=0.8)
    for r in grid:
        d.risk[rows] = r
        shares.append(_accept_share(model, rows))
    d.risk[rows] = saved
    record(
        "D3",
        "Plea acceptance rises with risk aversion (P = 0.8, the discount a risk-neutral defendant is "
        "indifferent to; Grossman & Katz 1983)",
        grid,
        shares,
        "risk aversion",
    )
    _offer(model, rows, trial=18.0, discount=0.1, p=0.8)
    shares = []
    for det in (False, True):
        d.detained[rows] = det
        d.pressure[rows] = Defendant.pressure(model, rows)
        shares.append(_accept_share(model, rows))
    d.detained[rows] = False
    d.pressure[rows] = 0.0
    record(
        "D4",
        "Plea acceptance rises with pre-trial detention (10 % discount, P = 0.8; Bibas 2004)",
        [0, 1],
        shares,
        "detained",
    )
    # Discount cap: guilty (P = 0.98) and innocent (P = 0.45, the model's innocent at mean evidence is ~0.55)
    # face an offer of min(50 %, cap); lowering the cap must cost innocents more acceptance than the guilty.
    caps = [0.6, 0.3, 0.15]
    acc: dict[str, list[float]] = {"guilty": [], "innocent": []}
    for who, p in (("guilty", 0.98), ("innocent", 0.45)):
        for cap in caps:
            _offer(model, rows, trial=18.0, discount=min(0.5, cap), p=p)
            acc[who].append(_accept_share(model, rows))
    drop_g = acc["guilty"][0] - acc["guilty"][-1]
    drop_i = acc["innocent"][0] - acc["innocent"][-1]
    rows_out.append(
        {
            "id": "D5",
            "section": "§6",
            "claim": "A discount cap lowers innocents' plea acceptance more than the guilty's (Bar-Gill & "
            "Gazal-Ayal 2006)",
            "metric": "drop in acceptance, innocent minus guilty",
            "expected": "+",
            "control_mean": math.nan,
            "effect": drop_i - drop_g,
            "ci_lo": math.nan,
            "ci_hi": math.nan,
            "holds": "yes" if drop_i > drop_g > -1e-12 else "no",
            "mechanism": "Defendant.decide_plea / utilities",
            **NO_MECHANISM_CHECK,
            "detail": "caps "
            + "/".join(f"{c:g}" for c in caps)
            + ": guilty "
            + "/".join(f"{a:.3f}" for a in acc["guilty"])
            + ", innocent "
            + "/".join(f"{a:.3f}" for a in acc["innocent"]),
        }
    )
    return pd.DataFrame(rows_out)


CAP_LOW = {"law.plea_discount_cap": 0.15, "law.combined_discount_cap": 0.3}


def cap_simulation(base: Scenario, seeds: Sequence[int], executor: Executor | None = None) -> pd.DataFrame:
    """§6 in the full model: halving the discount caps (CRN) lowers innocent_plea_rate more than
    application_rate.

    The innocent share is raised to 5 % in both arms so that innocents' plea rate is measured with some
    precision.
    """
    more = {"case.innocent_share": 0.05}
    a, b = base.with_overrides(more), base.with_overrides({**more, **CAP_LOW})
    ra, rb = run_replications([a, b], seeds, ["innocent_plea_rate", "application_rate"], executor)
    diff = [
        (y["innocent_plea_rate"] - x["innocent_plea_rate"]) - (y["application_rate"] - x["application_rate"])
        for x, y in zip(ra, rb, strict=True)
    ]
    m, lo, hi = mean_interval(diff)
    di = mean_interval(
        y["innocent_plea_rate"] - x["innocent_plea_rate"] for x, y in zip(ra, rb, strict=True)
    )[0]
    dg = mean_interval(y["application_rate"] - x["application_rate"] for x, y in zip(ra, rb, strict=True))[0]
    return pd.DataFrame(
        [
            {
                "id": "D5s",
                "section": "§6",
                "claim": "Halving the discount caps lowers innocents' plea rate more than the (mostly "
                "guilty) application rate, in the full model",
                "metric": "change of innocent_plea_rate minus change of application_rate",
                "expected": "-",
                "control_mean": mean_interval(x["innocent_plea_rate"] for x in ra)[0],
                "effect": m,
                "ci_lo": lo,
                "ci_hi": hi,
                "holds": "yes" if hi < 0 else "no",
                "mechanism": "offers capped -> plea utility falls most where P(conviction) is low",
                **NO_MECHANISM_CHECK,
                "detail": f"innocent {di:+.3f}, all {dg:+.3f}",
            }
        ]
    )
