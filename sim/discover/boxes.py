"""PRIM and CART from EMA Workbench over one condition's worlds: the peeling trajectory, the chosen box with
its limits and quasi-p-values, its stability under bootstrap resampling, and CART's leaves as a second view.

The box chosen from the trajectory is the one with the highest coverage among those with density at least
``threshold``; when none reaches it, the one with the highest coverage x density. The whole space (box 0)
is chosen only when the condition already holds that often everywhere."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.discover.worlds import Worlds

THRESHOLD = 0.8  # the density a box should reach (EMA's customary default)
PEEL_ALPHA = 0.05  # the share of the worlds left that one peel removes (Friedman and Fisher 1999)
MASS_MIN = 0.05  # the smallest box PRIM peels down to, as a share of all worlds


def _ema() -> tuple[object, object]:
    """EMA Workbench's PRIM and CART modules, imported only when discovery runs (they pull in scikit-learn,
    seaborn and matplotlib) and without its notices about optional extras."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import cart, prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim, cart


@dataclass
class Limit:
    """One restricted dimension of a box: its bounds (None: not restricted on that side) and the
    quasi-p-values of each restricted side (EMA: binomial test of the box against the box without it)."""

    name: str
    low: float | None
    high: float | None
    qp_low: float | None
    qp_high: float | None


@dataclass
class Box:
    index: int  # position on the peeling trajectory
    coverage: float  # of the worlds where the condition holds, the share inside the box
    density: float  # of the worlds inside the box, the share where the condition holds
    mass: float  # the box's share of all worlds
    limits: list[Limit]

    def inside(self, x: pd.DataFrame) -> np.ndarray:
        m = np.ones(len(x), dtype=bool)
        for lim in self.limits:
            if lim.name not in x:
                continue
            v = x[lim.name].to_numpy(float)
            if lim.low is not None:
                m &= v >= lim.low
            if lim.high is not None:
                m &= v <= lim.high
        return m


@dataclass
class Discovery:
    worlds: Worlds
    share: float  # of all worlds, the share where the condition holds
    trajectory: pd.DataFrame  # EMA's peeling trajectory: coverage, density, mean, mass, res_dim, id
    box: Box
    stability: pd.DataFrame = field(default_factory=pd.DataFrame)  # per dimension: % of resamples restricting
    resampled: pd.DataFrame = field(default_factory=pd.DataFrame)  # per resample: coverage, density, mass
    cart: pd.DataFrame = field(default_factory=pd.DataFrame)  # CART's leaves: coverage, density, mass, rule


def choose(trajectory: pd.DataFrame, threshold: float = THRESHOLD) -> int:
    """The box taken from a peeling trajectory (the rule in the module's docstring)."""
    t = trajectory.reset_index(drop=True)
    if t["density"].iloc[0] >= threshold:
        return 0
    t = t.iloc[1:] if len(t) > 1 else t
    good = t[t["density"] >= threshold]
    if len(good):  # the highest coverage, and of those the densest
        return int(good.sort_values(["coverage", "density"], ascending=False).index[0])
    return int((t["coverage"] * t["density"]).idxmax())


def _limits(box: object, i: int, x: pd.DataFrame) -> list[Limit]:
    _, lims = box.inspect(i, style="data")[0]  # type: ignore[attr-defined]
    out = []
    for name, row in lims.iterrows():
        lo, hi, qlo, qhi = (float(v) for v in row.to_numpy())
        low = lo if lo > x[name].min() else None
        high = hi if hi < x[name].max() else None
        out.append(
            Limit(
                str(name),
                low,
                high,
                qlo if low is not None and np.isfinite(qlo) else None,
                qhi if high is not None and np.isfinite(qhi) else None,
            )
        )
    return out


def _box_at(box: object, i: int, x: pd.DataFrame) -> Box:
    row = box.peeling_trajectory.iloc[i]  # type: ignore[attr-defined]
    return Box(i, float(row["coverage"]), float(row["density"]), float(row["mass"]), _limits(box, i, x))


def prim_box(x: pd.DataFrame, hit: np.ndarray, threshold: float = THRESHOLD) -> tuple[pd.DataFrame, Box]:
    """EMA's PRIM on (x, hit): the peeling trajectory and the chosen box."""
    prim, _ = _ema()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = prim.Prim(x, hit, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN).find_box()  # type: ignore[attr-defined]
    trajectory = found.peeling_trajectory.reset_index(drop=True)
    return trajectory, _box_at(found, choose(trajectory, threshold), x)


def stability(
    x: pd.DataFrame, hit: np.ndarray, resamples: int, seed: int, threshold: float = THRESHOLD
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM on ``resamples`` bootstrap resamples of the worlds, each box chosen by the same rule and then
    measured on all the worlds: how often each dimension is restricted, and the spread of coverage and
    density."""
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(x.columns, 0)
    rows = []
    total = max(int(hit.sum()), 1)
    for b in range(resamples):
        idx = rng.integers(0, len(x), len(x))
        xs = x.iloc[idx].reset_index(drop=True)
        if xs.nunique().min() < 2 or hit[idx].all() or not hit[idx].any():
            continue
        _, box = prim_box(xs, hit[idx], threshold)
        inside = box.inside(x)
        for lim in box.limits:
            counts[lim.name] += 1
        n_in = int(inside.sum())
        rows.append(
            {
                "resample": b,
                "coverage": float(hit[inside].sum() / total),
                "density": float(hit[inside].mean()) if n_in else float("nan"),
                "mass": n_in / len(x),
                "restricted": " ".join(lim.name for lim in box.limits),
            }
        )
    done = max(len(rows), 1)
    freq = pd.DataFrame(
        {"uncertainty": list(counts), "restricted_pct": [100.0 * c / done for c in counts.values()]}
    ).sort_values("restricted_pct", ascending=False, ignore_index=True)
    return freq, pd.DataFrame(rows)


def cart_leaves(x: pd.DataFrame, hit: np.ndarray) -> pd.DataFrame:
    """EMA's CART (binary mode) on (x, hit): every leaf with its coverage, density, mass and rule, the
    leaves where the condition mostly holds first."""
    _, cart = _ema()
    tree = cart.CART(x, hit, mass_min=MASS_MIN)  # type: ignore[attr-defined]
    tree.build_tree()
    lo, hi = x.min(), x.max()
    rows = []
    for stats, lims in zip(tree.stats, tree.boxes, strict=True):
        rule = []
        for name in lims.columns:
            a, b = float(lims[name].iloc[0]), float(lims[name].iloc[1])
            if a > lo[name]:
                rule.append(f"{name} > {a:.3g}")
            if b < hi[name]:
                rule.append(f"{name} <= {b:.3g}")
        rows.append(
            {
                "coverage": float(stats["coverage"]),
                "density": float(stats["density"]),
                "mass": float(stats["mass"]),
                "rule": " and ".join(rule) or "(everywhere)",
            }
        )
    return pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, ignore_index=True)


def discover(
    worlds: Worlds, *, threshold: float = THRESHOLD, resamples: int = 20, seed: int = 0
) -> Discovery:
    """The whole analysis of one condition."""
    hit = worlds.hit
    if hit.all() or not hit.any():
        raise_nothing(worlds, hit)
    trajectory, box = prim_box(worlds.x, hit, threshold)
    out = Discovery(worlds, float(hit.mean()), trajectory, box)
    if resamples > 0:
        out.stability, out.resampled = stability(worlds.x, hit, resamples, seed, threshold)
    out.cart = cart_leaves(worlds.x, hit)
    return out


def raise_nothing(worlds: Worlds, hit: np.ndarray) -> None:
    from sim.model.errors import ScenarioError

    where = "every" if hit.all() else "no"
    raise ScenarioError(
        f"{worlds.condition.text} holds in {where} one of the {len(hit)} worlds: there is no box to find "
        f"(the outcome ranges from {np.nanmin(worlds.y):.3g} to {np.nanmax(worlds.y):.3g})"
    )
