"""The report's first paragraph: the answer in plain words, computed from the runs, before any chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.analysis import paired_differences
from sim.experiments.report.base import esc

# The finding names the figures it rests on (model v2's relief initiations by class) in one place.
FINDING_TARGET = "relief_initiations_per_100_nonessential"
FINDING_ALSO = (
    ("hours_per_case_total", "hours per case"),
    ("relief_initiations_per_100_essential_avoidable", "avoidable essential relief per 100"),
    ("relief_initiations_per_100_essential_unavoidable", "unavoidable essential relief per 100"),
    ("undetected_involuntary_per_100", "undetected involuntary pleas per 100"),
)


def finding(runs: pd.DataFrame, baseline: str) -> str:
    """A plain-language summary computed from the data: which arm cuts non-essential relief most, by how much
    (95 % CI, paired on seeds), at what change in hours, and what it does to essential relief and undetected
    coercion. Empty when there is nothing to compare (one arm, or the runs lack the target outcome)."""
    keys = [FINDING_TARGET, *(k for k, _ in FINDING_ALSO)]
    if FINDING_TARGET not in runs or runs["arm"].nunique() < 2:
        return ""
    diffs = paired_differences(runs, [k for k in keys if k in runs], baseline, by_point=False)
    target = diffs[diffs["outcome"] == FINDING_TARGET].sort_values("mean_diff")
    if target.empty:
        return ""
    best = target.iloc[0]
    arm = best["arm"]
    base = best["baseline_mean"]
    verb = "cuts" if best["mean_diff"] < 0 else "does not cut"
    sig = (
        "" if best["significant"] else " (not distinguishable from no change at this number of replications)"
    )
    ci = (
        f"95 % CI {best['ci_low']:+.2f} to {best['ci_high']:+.2f}"
        if np.isfinite([best["ci_low"], best["ci_high"]]).all()
        else "no CI from one replication"
    )
    text = (
        f"<p class='finding'><b>Finding.</b> Of the arms compared with <i>{esc(baseline)}</i>, "
        f"<b>{esc(arm)}</b> {verb} non-essential relief most: {base:.2f} → {base + best['mean_diff']:.2f} "
        f"initiations per 100 leniency cases ({best['mean_diff']:+.2f}, {ci}){sig}."
    )
    mine = diffs[diffs["arm"] == arm].set_index("outcome")
    parts = [
        f"{label} {mine.loc[k, 'mean_diff']:+.2f}"
        + (
            f" [{mine.loc[k, 'ci_low']:+.2f}, {mine.loc[k, 'ci_high']:+.2f}]"
            if np.isfinite([mine.loc[k, "ci_low"], mine.loc[k, "ci_high"]]).all()
            else ""
        )
        for k, label in FINDING_ALSO
        if k in mine.index
    ]
    if parts:
        text += " Against the baseline it changes " + "; ".join(parts) + "."
    rest = [f"{esc(r['arm'])} {r['mean_diff']:+.2f}" for _, r in target.iloc[1:].iterrows()]
    if rest:
        text += " The other arms change non-essential relief by: " + ", ".join(rest) + " per 100."
    return text + "</p>"
