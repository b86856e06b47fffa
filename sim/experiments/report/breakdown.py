"""Report sections that break outcomes down: relief by type and reason, hours by actor and stage, and the
daily series over the run (with the warm-up shaded)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.experiments.analysis import group_means
from sim.experiments.report.base import PALETTE, ReportContext, legend_height, note
from sim.model.ledger import ACTORS
from sim.model.procedure import Stage
from sim.model.relief import CLASS_OF_REASON, Reason, ReliefClass, ReliefType

DAILY_COLUMNS = (
    "relief_rate_nonessential",
    "relief_rate_essential",
    "application_rate",
    "adoption_rate",
    "backlog_days_prosecutor",
    "backlog_days_judge",
    "backlog_days_lawyer",
    "detained_now",
)
# y-axis titles: the daily rates are the run's summary figures so far, not the day's own
DAILY_Y = {
    "relief_rate_nonessential": "per 100 leniency cases, to date",
    "relief_rate_essential": "per 100 leniency cases, to date",
    "application_rate": "share of reviews, to date",
    "adoption_rate": "share of sentences, to date",
    "backlog_days_prosecutor": "days of work queued",
    "backlog_days_judge": "days of work queued",
    "backlog_days_lawyer": "days of work queued",
    "detained_now": "defendants detained",
}
MAX_DAILY_ARMS = 8
BAR_MARGIN = dict(l=10, r=10, t=50, b=120)
SHADES = {  # relief reasons by class: avoidable reds, unavoidable oranges, non-essential blues (cycled)
    ReliefClass.ESSENTIAL_AVOIDABLE: ("#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a"),
    ReliefClass.ESSENTIAL_UNAVOIDABLE: ("#7f2704", "#d94801", "#fd8d3c"),
    ReliefClass.NONESSENTIAL: ("#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef"),
}


def _stacked(title: str, traces: list[go.Bar], xlabels: list[str]) -> go.Figure:
    """Stacked bars, tall enough that the legend lists every trace without a scroll bar even when many arm
    names stand upright under the axis and take their height from the plot."""
    ticks = 7 * max(map(len, xlabels), default=0) if len(xlabels) > 8 else 60
    height = max(460, legend_height(len(traces), 110 + ticks))
    fig = go.Figure(traces)
    fig.update_layout(
        barmode="stack",
        title=dict(text=title, x=0.01),
        height=height,
        margin=BAR_MARGIN,
        yaxis_title="events per 100 leniency cases",
    )
    return fig


def relief(ctx: ReportContext) -> str:
    """Two charts, not two subplots: each has its own legend, and neither legend has to scroll."""
    types = [f"relief_rate_{t.name.lower()}" for t in ReliefType]
    reasons = [f"relief_rate_reason_{r.name.lower()}" for r in Reason]
    split = {t: (f"{t}_essential", f"{t}_nonessential") for t in types}
    have_split = all(e in ctx.runs and n in ctx.runs for e, n in split.values())
    if not all(t in ctx.runs for t in types) or not all(r in ctx.runs for r in reasons):
        return note("The runs did not keep the relief_rate_* outcomes.")
    kept = [c for pair in split.values() for c in pair if c in ctx.runs]
    means = group_means(ctx.runs, types + reasons + kept, bounded=True)
    ctx.save(means, "relief_by_type")
    m = means.pivot(index="arm", columns="outcome", values="mean").reindex(ctx.arms)
    by_type = []
    for i, t in enumerate(types):
        label = t.removeprefix("relief_rate_")
        if have_split:
            e, n = split[t]
            by_type.append(
                go.Bar(name=f"{label} (essential)", x=ctx.xlabels, y=m[e], marker_color=PALETTE[i])
            )
            by_type.append(
                go.Bar(
                    name=f"{label} (non-essential)",
                    x=ctx.xlabels,
                    y=m[n],
                    marker_color=PALETTE[i],
                    marker_opacity=0.45,
                )
            )
        else:
            by_type.append(go.Bar(name=label, x=ctx.xlabels, y=m[t], marker_color=PALETTE[i]))
    shades = {cls: itertools.cycle(colors) for cls, colors in SHADES.items()}
    by_reason = []
    for r in Reason:
        col = f"relief_rate_reason_{r.name.lower()}"
        if col in m:
            cls = CLASS_OF_REASON[r]
            by_reason.append(
                go.Bar(
                    name=f"{r.name.lower()} ({cls.name.lower().replace('_', ' ')})",
                    x=ctx.xlabels,
                    y=m[col],
                    marker_color=next(shades[cls]),
                )
            )
    dark = " (dark: essential, light: non-essential)" if have_split else ""
    fig_type = _stacked(f"By type{dark}", by_type, ctx.xlabels)
    fig_reason = _stacked(
        "By reason (reds: essential avoidable, oranges: essential unavoidable, blues: non-essential)",
        by_reason,
        ctx.xlabels,
    )
    split_note = (
        ""
        if have_split
        else (
            " Types are not split into essential and non-essential because the model does not report "
            "relief_rate_&lt;type&gt;_essential; the split is shown by reason, which is how the model "
            "classifies it."
        )
    )
    return (
        ctx.fig(fig_type) + ctx.fig(fig_reason) + "<p>Relief events per 100 leniency cases, mean over "
        f"replications.{split_note} Table: <code>tables/relief_by_type.csv</code>.</p>"
    )


def hours(ctx: ReportContext) -> str:
    cols = {a: [f"hours_per_case_{a}_{s.name.lower()}" for s in Stage] for a in ACTORS}
    if not all(c in ctx.runs for cs in cols.values() for c in cs):
        return note("The runs did not keep hours_per_case_<actor>_<stage>.")
    flat = [c for cs in cols.values() for c in cs]
    means = group_means(
        ctx.runs, flat + [f"hours_per_case_{a}" for a in ACTORS] + ["hours_per_case_total"], bounded=True
    )
    ctx.save(means, "hours_by_actor_stage")
    m = means.pivot(index="arm", columns="outcome", values="mean").reindex(ctx.arms)
    fig = make_subplots(
        rows=1, cols=len(ACTORS), subplot_titles=[f"{a} hours per case" for a in ACTORS], shared_yaxes=True
    )
    for j, a in enumerate(ACTORS):
        for i, s in enumerate(Stage):
            fig.add_trace(
                go.Bar(
                    name=s.name.lower(),
                    x=ctx.xlabels,
                    y=m[f"hours_per_case_{a}_{s.name.lower()}"],
                    marker_color=PALETTE[i],
                    legendgroup=s.name,
                    showlegend=j == 0,
                ),
                1,
                j + 1,
            )
    fig.update_layout(
        barmode="stack",
        height=520,
        margin=dict(l=10, r=10, t=40, b=120),
        yaxis_title="hours per case arrived",
    )
    return (
        ctx.fig(fig) + "<p>Hours per case arrived, stacked by stage. "
        "Table: <code>tables/hours_by_actor_stage.csv</code>.</p>"
    )


def _warmup_days(ctx: ReportContext) -> int:
    """Days flagged as warm-up in the stored daily rows (0 for older sweeps, which have no such column)."""
    warm = ctx.store.read_daily(["warmup"], current=True)
    flagged = warm.loc[warm["warmup"] > 0, "day"] if "warmup" in warm else pd.Series(dtype=float)
    return int(flagged.max()) + 1 if len(flagged) else 0


def daily(ctx: ReportContext) -> str:
    if not ctx.spec.get("daily"):
        return note("Not kept: the spec has daily = false.")
    arms = ctx.arms[:MAX_DAILY_ARMS]
    d = ctx.store.read_daily(list(DAILY_COLUMNS), current=True)
    d = d[d["arm"].isin(arms)]
    cols = [c for c in DAILY_COLUMNS if c in d]
    if d.empty or not cols:
        return note("No daily series stored.")
    if ctx.multi_point:
        ctx.notes.append("daily series are pooled over design points")
    q = d.groupby(["arm", "day"])[cols]
    out = (
        q.mean()
        .add_prefix("mean_")
        .join(q.quantile(0.1).add_prefix("p10_"))
        .join(q.quantile(0.9).add_prefix("p90_"))
        .reset_index()
    )
    ctx.save(out, "daily_bands")
    step = max(1, int(math.ceil(out["day"].nunique() / 240)))
    rows = math.ceil(len(cols) / 2)
    fig = make_subplots(
        rows=rows, cols=2, subplot_titles=cols, vertical_spacing=0.45 / max(1, rows), horizontal_spacing=0.1
    )
    for i, c in enumerate(cols):
        r, c_ = i // 2 + 1, i % 2 + 1
        for arm in arms:
            g = out[(out["arm"] == arm) & (out["day"] % step == 0)]
            color = ctx.colors[arm]
            band_y = np.round(np.r_[g[f"p90_{c}"], g[f"p10_{c}"][::-1]], 4)
            fig.add_trace(
                go.Scatter(
                    x=np.r_[g["day"], g["day"][::-1]],
                    y=band_y,
                    fill="toself",
                    fillcolor=color,
                    opacity=0.15,
                    line=dict(width=0),
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=arm,
                ),
                r,
                c_,
            )
            fig.add_trace(
                go.Scatter(
                    x=g["day"],
                    y=np.round(g[f"mean_{c}"], 4),
                    mode="lines",
                    name=ctx.short[arm],
                    line=dict(color=color, width=1.5),
                    legendgroup=arm,
                    showlegend=i == 0,
                ),
                r,
                c_,
            )
        fig.update_yaxes(title_text=DAILY_Y.get(c, ""), row=r, col=c_)
    fig.update_layout(
        height=max(320 * rows + 60, legend_height(len(arms))), margin=dict(l=10, r=10, t=40, b=20)
    )
    fig.update_xaxes(title_text="day")
    warm_days = _warmup_days(ctx)
    if warm_days:  # summary figures count only cases arriving after this band
        fig.add_vrect(
            x0=0,
            x1=warm_days,
            fillcolor="#888",
            opacity=0.15,
            line_width=0,
            row="all",
            col="all",
            annotation_text="warm-up",
            annotation_position="top left",
            annotation_font_size=10,
        )
    more = (
        f" The first {MAX_DAILY_ARMS} of {len(ctx.arms)} arms are drawn."
        if len(ctx.arms) > MAX_DAILY_ARMS
        else ""
    )
    shaded = (
        f" Grey: the warm-up (days 0–{warm_days}); summary figures count only cases arriving after it."
        if warm_days
        else " No warm-up: every day counts."
    )
    return ctx.fig(fig) + (
        "<p>Line: mean over replications; band: 10th–90th percentile across replications "
        f"(every {step} day(s) drawn).{more}{shaded} Click a legend entry to hide an arm. "
        "Table: <code>tables/daily_bands.csv</code>.</p>"
    )
