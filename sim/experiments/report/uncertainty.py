"""Report section of a sweep run with ``--posterior``: each reform effect twice, with a Monte-Carlo-only
interval (every replication at the point estimate) and with an interval that carries the calibrated
parameters' uncertainty as well (replication r at posterior draw r, the same draw in every arm)."""

from __future__ import annotations

import pandas as pd

from sim.experiments.analysis import paired_differences
from sim.experiments.design.uncertainty import UNCERTAINTY
from sim.experiments.report.base import NOT_SHOWN, ReportContext, esc, table_html

KINDS = {0.0: "Monte Carlo only", 1.0: "parameters + Monte Carlo"}


def effects(runs: pd.DataFrame, outcomes: list[str], baseline: str) -> pd.DataFrame:
    """Paired differences from the baseline arm, once per kind of interval, side by side."""
    parts = []
    for value, kind in KINDS.items():
        sub = runs[runs[UNCERTAINTY] == value]
        d = paired_differences(sub, outcomes, baseline, by_point=False)
        parts.append(
            d[["arm", "outcome", "n_pairs", "mean_diff", "ci_low", "ci_high"]].rename(
                columns={c: f"{c} ({kind})" for c in ("n_pairs", "mean_diff", "ci_low", "ci_high")}
            )
        )
    return parts[0].merge(parts[1], on=["arm", "outcome"], how="outer")


def uncertainty(ctx: ReportContext) -> str:
    if UNCERTAINTY not in ctx.runs or len(ctx.arms) < 2:
        return NOT_SHOWN + "shown: only a sweep run with --posterior has parameter uncertainty.</p>"
    table = effects(ctx.runs, ctx.headline, ctx.baseline)
    ctx.save(table, "effects_with_parameter_uncertainty")
    mc, both = KINDS[0.0], KINDS[1.0]
    wider = (table[f"ci_high ({both})"] - table[f"ci_low ({both})"]) / (
        table[f"ci_high ({mc})"] - table[f"ci_low ({mc})"]
    )
    source = ctx.meta.get("posterior") or "the posterior file"
    return (
        f"<p>Each arm minus <b>{esc(ctx.baseline)}</b>, paired on replication. <b>{mc}</b>: every "
        "replication runs the embedded baseline's point estimate, so the 95% CI reflects only run-to-run "
        "noise. "
        f"<b>{both}</b>: replication r of every arm runs posterior draw r from <code>{esc(source)}</code> "
        "(sampled by weight, the same draw in every arm), so the CI also carries what the calibration leaves "
        f"uncertain. Median ratio of the two CIs' widths: {wider.median():.2f}. Full table: "
        "<code>tables/effects_with_parameter_uncertainty.csv</code>.</p>" + table_html(table)
    )
