"""Report sections that compare arms: outcome means, paired differences from the baseline, reform main effects
and the trade-off between resources and the two harms (undetected involuntary pleas, non-essential relief)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.experiments.analysis import factorial_main_effects, group_means, paired_differences, pareto_front
from sim.experiments.report.base import (
    MAX_LEGEND,
    ReportContext,
    esc,
    grid_spacing,
    legend_height,
    note,
    table_html,
    unit,
)
from sim.experiments.report.finding import FINDING_TARGET

MARGIN = dict(l=10, r=10, t=40, b=20)


CI_COLOR = "#444"


def _ci_bars(mean: pd.Series, low: pd.Series, high: pd.Series, **extra: object) -> dict:
    """Asymmetric CI whiskers. Their colour is set: left unset, Plotly takes the marker's, and a per-point
    colour list there is an "Invalid color specifier" warning for every whisker drawn."""
    return dict(
        type="data", symmetric=False, array=high - mean, arrayminus=mean - low, **{"color": CI_COLOR, **extra}
    )


def _dot_grid(ctx: ReportContext, titles: list[str]) -> tuple[go.Figure, int]:
    """One dot-and-whisker subplot per headline outcome, arms down the y axis."""
    cols, row_h = ctx.grid()
    rows = math.ceil(len(ctx.headline) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.22,
        vertical_spacing=grid_spacing(rows, row_h),
    )
    fig.update_layout(height=row_h * rows + 40, margin=MARGIN)
    return fig, cols


def arm_means(ctx: ReportContext) -> str:
    if not len(ctx.runs):
        return note("No successful runs.")
    by = ["arm", "point", *ctx.factors] if ctx.multi_point else ["arm"]
    table = group_means(ctx.runs, ctx.outcomes, by=by, bounded=True)
    ctx.save(table, "arm_means")
    agg = (
        group_means(ctx.runs, ctx.headline, bounded=True)
        if ctx.multi_point
        else table[table["outcome"].isin(ctx.headline)]
    )
    fig, cols = _dot_grid(ctx, [h + unit(h) for h in ctx.headline])
    for i, h in enumerate(ctx.headline):
        d = agg[agg["outcome"] == h].set_index("arm").reindex(ctx.arms[::-1])
        fig.add_trace(
            go.Scatter(
                x=d["mean"],
                y=[ctx.short[a] for a in d.index],
                mode="markers",
                showlegend=False,
                marker=dict(color=[ctx.colors[a] for a in d.index], size=9),
                error_x=_ci_bars(d["mean"], d["ci_low"], d["ci_high"]),
                hovertemplate="%{y}: %{x:.4g}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_yaxes(dtick=1)
    cells = [
        f"{m:.4g}<br><span class='ci'>[{lo:.4g}, {hi:.4g}]</span>" if not math.isnan(m) else "n/a"
        for m, lo, hi in zip(agg["mean"], agg["ci_low"], agg["ci_high"], strict=True)
    ]
    wide = (
        agg.assign(cell=cells)
        .pivot(index="arm", columns="outcome", values="cell")
        .reindex(index=ctx.arms, columns=ctx.headline)
        .rename_axis(columns=None)
        .reset_index()
    )
    scope = " (averaged over design points; per-point values in arm_means.csv)" if ctx.multi_point else ""
    return (
        ctx.fig(fig)
        + ctx.legend_note()
        + f"<p>Mean [95% CI] of the headline outcomes{scope}; an interval is cut at the edge of the range "
        "its figure can take (no share below 0 or above 1, no negative rate or count). "
        f"All {len(ctx.outcomes)} outcomes: <code>tables/arm_means.csv</code>.</p>"
        + table_html(wide.fillna("n/a"), raw=tuple(ctx.headline))
    )


def paired(ctx: ReportContext) -> str:
    if len(ctx.arms) < 2:
        return note("Only one arm: nothing to compare.")
    diffs = paired_differences(ctx.runs, ctx.outcomes, ctx.baseline, by_point=False)
    ctx.save(diffs, "paired_differences")
    d = diffs[diffs["outcome"].isin(ctx.headline)]
    arms = [a for a in ctx.arms if a != ctx.baseline]
    fig, cols = _dot_grid(ctx, [f"Δ {h}" for h in ctx.headline])
    for i, h in enumerate(ctx.headline):
        g = d[d["outcome"] == h].set_index("arm").reindex(arms[::-1])
        colors = ["#d62728" if s else "#7f7f7f" for s in g["significant"].fillna(False)]
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(
            go.Scatter(
                x=g["mean_diff"],
                y=[ctx.short[a] for a in g.index],
                mode="markers",
                showlegend=False,
                marker=dict(color=colors, size=9),
                error_x=_ci_bars(g["mean_diff"], g["ci_low"], g["ci_high"]),
                hovertemplate="%{y}: %{x:.4g}<extra></extra>",
            ),
            row=r,
            col=c,
        )
        fig.add_vline(x=0, line=dict(color="black", width=1, dash="dot"), row=r, col=c)
    fig.update_yaxes(dtick=1)
    # the CSV has every column; the page shows what fits 800 px: the difference with its CI in one cell
    show = pd.DataFrame(
        {
            "arm": d["arm"],
            "outcome": d["outcome"],
            "pairs": d["n_pairs"],
            "baseline": d["baseline_mean"].map(lambda v: f"{v:.4g}"),
            "difference [95% CI]": [
                f"{m:+.4g} <span class='ci'>[{lo:+.4g}, {hi:+.4g}]</span>" if math.isfinite(m) else "n/a"
                for m, lo, hi in zip(d["mean_diff"], d["ci_low"], d["ci_high"], strict=True)
            ],
            "relative": d["relative_change"].map(lambda v: f"{v:+.1%}" if math.isfinite(v) else "n/a"),
            "p (Holm)": [
                f"{p:.2g} ({q:.2g})" if math.isfinite(p) else "n/a"
                for p, q in zip(d["p_value"], d["p_holm"], strict=True)
            ],
        }
    )
    n_sig = int(diffs["significant"].sum())
    return (
        ctx.fig(fig) + f"<p>Each arm minus <b>{esc(ctx.baseline)}</b>, paired on replication (same seeds). "
        f"Red: the 95% CI excludes zero. Across all outcomes {n_sig} of {len(diffs)} differences are "
        "distinguishable from zero (<code>significant</code>); <code>significant_holm</code> also controls "
        "for testing every arm (Holm). Full table: <code>tables/paired_differences.csv</code>.</p>"
        + table_html(show, raw=("difference [95% CI]",))
        + pairing(ctx, d)
        + main_effects(ctx)
    )


def pairing(ctx: ReportContext, d: pd.DataFrame) -> str:
    """How much common random numbers sharpen each effect (per arm and headline outcome)."""
    if "pairing_ratio" not in d or d["pairing_ratio"].isna().all():
        return ""
    ratio = d.pivot(index="arm", columns="outcome", values="pairing_ratio").reindex(columns=ctx.headline)
    equiv = d.pivot(index="arm", columns="outcome", values="unpaired_equivalent").reindex(
        columns=ctx.headline
    )
    n = int(d["n_pairs"].max())
    cells = ratio.map(lambda r: f"{r:.2f}" if pd.notna(r) else "n/a") + equiv.map(
        lambda e: f" ({e:.0f})" if pd.notna(e) else ""
    )
    cells.index = [ctx.short.get(a, a) for a in cells.index]
    med = float(np.nanmedian(ratio.to_numpy(float)))
    return (
        "<h3>Pairing</h3><p>Every arm meets the same cases with the same luck (per-case random streams), so "
        "an effect is measured on paired runs. Each cell: the standard deviation of the paired difference "
        "over that of an unpaired one (1: pairing gains nothing; 0.5: as good as four times the "
        "replications), and in brackets how many unpaired replications per arm would give the interval "
        f"these {n} paired ones give. Median over the cells: {med:.2f}.</p>"
        + table_html(cells.reset_index(names="arm"))
    )


def main_effects(ctx: ReportContext) -> str:
    """Only when the arms form a full factorial of the reforms (empty otherwise)."""
    eff = factorial_main_effects(ctx.runs, ctx.outcomes)
    if eff.empty:
        return ""
    ctx.save(eff, "reform_main_effects")
    e = eff[eff["outcome"].isin(ctx.headline)]
    rows = math.ceil(len(ctx.headline) / 2)
    fig = make_subplots(rows=rows, cols=2, subplot_titles=[f"main effect on {h}" for h in ctx.headline])
    for i, h in enumerate(ctx.headline):
        g = e[e["outcome"] == h]
        fig.add_trace(
            go.Bar(
                x=g["reform"],
                y=g["effect"],
                showlegend=False,
                marker_color=["#d62728" if v else "#7f7f7f" for v in g["significant"]],
                error_y=_ci_bars(g["effect"], g["ci_low"], g["ci_high"]),
            ),
            i // 2 + 1,
            i % 2 + 1,
        )
    fig.update_layout(height=320 * rows + 40, margin=MARGIN)
    return (
        "<h3>Main effect of each reform over all combinations of the others</h3>"
        + ctx.fig(fig)
        + "<p>The arms form a full factorial of the reforms: each bar is the mean outcome of arms with the "
        "reform minus arms without it, paired by replication (95% CI; red: excludes 0). "
        "Table: <code>tables/reform_main_effects.csv</code>.</p>"
    )


def _tradeoff_table(ctx: ReportContext, x: str, ys: tuple[str, str]) -> pd.DataFrame:
    """Means and CIs of hours and the two harms, one row per arm (and design point), with a chart label."""
    by = ["arm", "point", *ctx.factors] if ctx.multi_point else ["arm"]
    means = group_means(ctx.runs, [x, *ys], by=by, bounded=True)
    wide = means.pivot_table(index=by, columns="outcome", values=["mean", "ci_low", "ci_high"]).reset_index()
    wide.columns = ["_".join(c for c in col if c) if isinstance(col, tuple) else col for col in wide.columns]
    for stat in ("mean", "ci_low", "ci_high"):  # pivot_table drops all-NaN columns (one replication: no CI)
        for o in (x, *ys):
            if f"{stat}_{o}" not in wide:
                wide[f"{stat}_{o}"] = np.nan
    labels = wide["arm"].map(ctx.short).astype(str)
    if ctx.multi_point:
        at = wide[ctx.factors].apply(
            lambda r: ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.3g}" for k, v in r.items()), axis=1
        )
        labels = at if len(ctx.arms) == 1 else labels + " @ " + at
    wide.insert(0, "label", labels)
    rank = {a: i for i, a in enumerate(ctx.arms)}  # legend in spec order, not alphabetical
    return wide.sort_values("arm", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def tradeoff(ctx: ReportContext) -> str:
    """Points named in a legend (or, past MAX_LEGEND points, on hover) rather than by text beside them: labels
    of arms with similar means overlap."""
    x = "hours_per_case_total"
    nonessential = FINDING_TARGET if FINDING_TARGET in ctx.runs else "relief_rate_nonessential"
    ys = ("undetected_involuntary_per_100", nonessential)
    if x not in ctx.runs or not all(y in ctx.runs for y in ys):
        return note(f"The runs did not keep {x}, {ys[0]} and {ys[1]}.")
    wide = _tradeoff_table(ctx, x, ys)
    legend = len(wide) <= MAX_LEGEND
    # short: each title sits centred over half the figure and must not run into its neighbour at 800 px
    titles = ["Undetected involuntary pleas", "Non-essential relief"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.1)
    for j, y in enumerate(ys):
        front = np.asarray(pareto_front(wide[f"mean_{x}"], wide[f"mean_{y}"]), dtype=bool)
        wide[f"pareto_{y}"] = front
        groups = [wide.iloc[[k]] for k in range(len(wide))] if legend else [wide]
        for g in groups:
            on = front[g.index.to_numpy()]
            color = ctx.colors.get(g["arm"].iloc[0], "#444") if legend else "#444"
            fig.add_trace(
                go.Scatter(
                    x=g[f"mean_{x}"],
                    y=g[f"mean_{y}"],
                    mode="markers",
                    text=g["label"],
                    name=str(g["label"].iloc[0]),
                    legendgroup=str(g["label"].iloc[0]),
                    showlegend=legend and j == 0,
                    marker=dict(
                        color=[ctx.colors.get(a, "#444") for a in g["arm"]],
                        size=np.where(on, 13, 9),
                        line=dict(color="black", width=np.where(on, 2, 0)),
                    ),
                    error_x=_ci_bars(
                        g[f"mean_{x}"], g[f"ci_low_{x}"], g[f"ci_high_{x}"], thickness=1, color=color
                    ),
                    error_y=_ci_bars(
                        g[f"mean_{y}"], g[f"ci_low_{y}"], g[f"ci_high_{y}"], thickness=1, color=color
                    ),
                    hovertemplate="<b>%{text}</b><br>" + x + " %{x:.4g}<br>" + y + " %{y:.4g}<extra></extra>",
                ),
                1,
                j + 1,
            )
        f = wide[front].sort_values(f"mean_{x}")
        fig.add_trace(
            go.Scatter(
                x=f[f"mean_{x}"],
                y=f[f"mean_{y}"],
                mode="lines",
                name="Pareto frontier",
                line=dict(color="black", dash="dash", shape="hv"),
                showlegend=j == 0,
                hoverinfo="skip",
            ),
            1,
            j + 1,
        )
        fig.update_xaxes(title_text=x + unit(x), row=1, col=j + 1)
        fig.update_yaxes(title_text=y + unit(y), row=1, col=j + 1)
    fig.update_layout(
        height=max(480, legend_height(len(wide) + 2)) if legend else 560,
        margin=MARGIN,
        legend_title_text=("arm @ point" if ctx.multi_point else "arm") if legend else None,
    )
    ctx.save(wide, "tradeoff")
    on = ", ".join(wide.loc[wide[f"pareto_{ys[0]}"], "label"])
    where = " at a design point" if ctx.multi_point else ""
    named = "in the legend (click one to hide it)" if legend else "on hover"
    return (
        ctx.fig(fig)
        + ctx.legend_note()
        + f"<p>Each point is an arm{where} (mean, 95% CI bars), named {named}. "
        "Lower is better on both axes; the dashed line joins the Pareto frontier (bold markers): no other "
        "point has both fewer hours and a lower rate. "
        f"Frontier against undetected involuntary pleas: {esc(on)}. "
        "Table: <code>tables/tradeoff.csv</code>.</p>"
    )
