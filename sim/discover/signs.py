"""For every reform arm and each relief figure: where does the reform's paired per-world effect change sign?

PRIM looks for a box where the minority sign (the sign the effect takes in fewer than half of the worlds)
becomes the majority. The sign is said to change within the ranges when such a box exists (density at least
``TURNS``) and each of its limits is unlikely to be chance (quasi-p-value below ``QP``); otherwise the
minority sign is scattered noise-like over the space and the reform's sign holds throughout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.discover.boxes import prim_box
from sim.discover.expr import Condition
from sim.discover.page import label, pct, where
from sim.discover.worlds import load_worlds, reform_arms, sweep_meta

METRICS = ("relief_initiations_per_100_nonessential", "relief_initiations_per_100_essential_avoidable")
TURNS = 0.5  # in the box the minority sign must be at least as common as the other
QP = 0.05
FILES = ("signs.md", "signs.csv")


def sign_map(folder: Path, metrics: tuple[str, ...] = METRICS, posterior: str | None = None) -> pd.DataFrame:
    """One row per (reform arm, metric): the effect's mean, the share of worlds where it is positive, and
    PRIM's box for the minority sign with the verdict."""
    meta = sweep_meta(folder)
    rows = []
    for reform in reform_arms(meta):
        for metric in metrics:
            w = load_worlds(folder, Condition(metric, ">", 0.0, reform), posterior=posterior)
            up = float((w.y > 0).mean())
            op = ">" if up < 0.5 else "<"
            minority = w.y > 0 if op == ">" else w.y < 0
            row = {
                "reform": reform,
                "metric": metric,
                "worlds": len(w.y),
                "mean_effect": float(np.mean(w.y)),
                "share_positive": up,
                "minority": "raises" if op == ">" else "lowers",
                "minority_share": float(minority.mean()),
            }
            if 0 < minority.sum() < len(minority):
                _, box = prim_box(w.x, minority, threshold=0.8)
                qps = [q for lim in box.limits for q in (lim.qp_low, lim.qp_high) if q is not None]
                turns = bool(box.limits) and box.density >= TURNS and max(qps, default=1.0) < QP
                inside = box.inside(w.x)
                row |= {
                    "box": where(box).removeprefix("where "),
                    "box_density": box.density,
                    "box_mass": box.mass,
                    "box_coverage": box.coverage,
                    "box_mean_effect": float(np.mean(w.y[inside])) if inside.any() else float("nan"),
                    "box_max_qp": max(qps, default=float("nan")),
                    "sign_changes": turns,
                }
            else:
                row |= {"sign_changes": False}
            rows.append(row)
    return pd.DataFrame(rows)


def verdict(r: pd.Series) -> str:
    """One row of the sign map in words."""
    main = "raises" if r["minority"] == "lowers" else "lowers"
    what = label(r["metric"])
    head = (
        f"{r['reform']} {main} {what} in {pct(1 - r['minority_share'])} of worlds "
        f"(mean effect {r['mean_effect']:+.2f} per 100)"
    )
    if r["sign_changes"]:
        return (
            f"{head}; it {r['minority']} it where {r['box']} ({pct(r['box_density'])} of such worlds, "
            f"{pct(r['box_mass'])} of the space, mean effect there {r['box_mean_effect']:+.2f})."
        )
    if pd.notna(r.get("box_density")) and r["box_density"] < TURNS:
        return (
            f"{head}; the sign does not change within the ranges: the best box for the other sign holds it "
            f"in only {pct(r['box_density'])} of its worlds."
        )
    if pd.notna(r.get("box_density")):
        return (
            f"{head}; the sign does not change within the ranges: a box where it {r['minority']} it in "
            f"{pct(r['box_density'])} of its worlds ({r['box']}) rests on limits that could be chance "
            f"(quasi-p up to {r['box_max_qp']:.2g})."
        )
    return f"{head}; the sign does not change within the ranges."


def markdown(df: pd.DataFrame, folder: Path, n_worlds: int) -> str:
    lines = [
        "# Where each reform's effect changes sign",
        "",
        f"Written by `leniency discover SWEEP_DIR --signs` from the sweep of `experiments/robustness.toml` "
        f"({n_worlds} worlds per arm: posterior draws x a Latin hypercube of the six power dimensions; each "
        "effect is the reform arm minus the baseline arm in the same world, same seeds).",
        "",
        "A sign *changes* when PRIM (EMA Workbench) finds a box of the inputs where the minority sign holds "
        f"in at least {pct(TURNS)} of the worlds and every limit of the box has a quasi-p-value below {QP}.",
        "",
    ]
    for metric, part in df.groupby("metric", sort=False):
        lines += [f"## {label(str(metric))} (`{metric}`)", ""]
        lines += [f"- {verdict(r)}" for _, r in part.iterrows()]
        lines.append("")
    return "\n".join(lines)
