"""Parameter uncertainty in sweeps: a posterior file (one row per draw, a column per parameter, ``weight``;
optional ``draw``, ``J`` and ``generation`` columns are diagnostics),
checked, and the draw each replication runs with. ``leniency calibrate --posterior`` writes one
(``sim.fitting.posterior``); ``leniency sweep SPEC --posterior FILE`` runs every arm at the point estimate and
over the draws (design points with ``posterior`` = 0 and 1)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.registry import PARAMS
from sim.model.scenario import ScenarioError

UNCERTAINTY = "posterior"  # the pseudo factor of a --posterior sweep: 0 point estimate, 1 posterior draws
RESERVED = ("weight", "draw", "J", "generation")  # the sampler's diagnostics are not parameters


def ranges() -> dict[str, tuple[float, float]]:
    """Each numeric parameter's declared range (an open end as infinity)."""
    inf = float("inf")
    return {
        k: (-inf if p.lo is None else p.lo, inf if p.hi is None else p.hi)
        for k, p in PARAMS.items()
        if p.kind in (int, float)
    }


def read_posterior(path: str | Path) -> pd.DataFrame:
    """A posterior file, checked: weights present, non-negative, summing to 1; every other column a
    parameter of the schema with every value in its range."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"--posterior {p}: file not found")
    try:
        df = pd.read_parquet(p)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise ScenarioError(f"--posterior {p}: not a Parquet file ({exc.__class__.__name__})") from None
    if "weight" not in df:
        raise ScenarioError(f"--posterior {p}: no 'weight' column (one row per draw, weights summing to 1)")
    w = df["weight"].to_numpy(float)
    if (
        len(df) == 0
        or np.any(~np.isfinite(w))
        or np.any(w < 0)
        or not math.isclose(w.sum(), 1.0, abs_tol=1e-6)
    ):
        raise ScenarioError(f"--posterior {p}: column 'weight' must be non-negative and sum to 1")
    bounds = ranges()
    for col in df.columns:
        if col in RESERVED:
            continue
        if col not in bounds:
            raise ScenarioError(
                f"--posterior {p}: column '{col}' is not a parameter (dotted key, e.g. judge.norm_sd)"
            )
        lo, hi = bounds[col]
        v = df[col].to_numpy(float)
        if np.any(~np.isfinite(v)) or np.any(v < lo) or np.any(v > hi):
            raise ScenarioError(f"--posterior {p}: column '{col}' has values outside its range [{lo}, {hi}]")
    return df


def parameters(posterior: pd.DataFrame) -> list[str]:
    return [c for c in posterior.columns if c not in RESERVED]


def choose_draws(posterior: pd.DataFrame, n: int, seed: int, stream: int = 0) -> np.ndarray:
    """The draw used by replication 0..n-1: sampled by weight, deterministic in the seed (and prefix-stable:
    more replications keep the draws of the first ones). Another ``stream`` gives independent draws (fresh
    seeds get fresh draws)."""
    key = (7,) if stream == 0 else (7, stream)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
    u = rng.random(n)
    cum = np.cumsum(posterior["weight"].to_numpy(float))
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(posterior) - 1)


def posterior_overrides(posterior: pd.DataFrame, row: int) -> dict[str, Any]:
    """The parameter values of one draw, as scenario overrides."""
    rec = posterior.iloc[int(row)]
    return {k: float(rec[k]) for k in parameters(posterior)}
