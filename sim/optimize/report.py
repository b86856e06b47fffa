"""The HTML report of a search: the answer in words first, then the front (2-D against extra hours, 3-D, and
with more than three objectives every objective side by side), the six reform packages on the same axes, what
each lever costs, and where the next hour does the most good. Any number of objectives: nothing here assumes
which, or how many, the spec names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from sim import __version__
from sim.engine.outdir import GENERATOR
from sim.experiments.report.base import CONFIG, PALETTE, esc, initials, note, table_html
from sim.experiments.report.page import CSS, plotly_bundle
from sim.model.metrics import METRICS
from sim.model.reforms import reform_names
from sim.optimize.search import Outcome, lever_column
from sim.optimize.spec import OptimizeSpec

SYMBOLS = ("diamond", "square", "triangle-up", "cross", "star", "x", "pentagon", "hexagon", "triangle-down")
WORD = {  # an objective in a word or two, for the marginal table's columns; any other metric keeps its name
    "relief_initiations_per_100_nonessential": "non-essential",
    "relief_initiations_per_100_essential_avoidable": "avoidable ess.",
    "undetected_involuntary_per_100": "undetected",
}
SHORT = {  # table and 3-D axis titles: the full names are in the legend note and the CSVs
    "relief_initiations_per_100_nonessential": "non-essential /100",
    "relief_initiations_per_100_essential_avoidable": "avoidable ess. /100",
    "undetected_involuntary_per_100": "undetected inv. /100",
    "hours_per_case_total": "hours/case",
    "extra_hours": "extra hours",
}


def _short_d(column: str) -> str:
    """A marginal-table column title: ``d_<objective>_per_unit`` -> '<word> / unit', ``_ci`` -> '± <word>',
    ``_per_hour`` -> '<word> / hour' (``d_hours_*`` is the lever's cost in hours)."""
    for suffix, form in (("_per_unit", "{} / unit"), ("_ci", "± {}"), ("_per_hour", "{} / hour")):
        if column.startswith("d_") and column.endswith(suffix):
            name = column[2 : -len(suffix)]
            return form.format(WORD.get(name, name))
    return column


def _short(column: str) -> str:
    """A compact column title: lever initials, short objective names, '(fresh)' for fresh-seed figures."""
    fresh = column.endswith("_fresh")
    base = column.removesuffix("_fresh").removesuffix("_mean")
    if base.startswith("lever_"):
        return initials(base.removeprefix("lever_"))
    return SHORT.get(base, base) + (" (fresh)" if fresh else "")


def _label(metric: str) -> str:
    unit = METRICS[metric].unit if metric in METRICS else ""
    return metric.replace("_", " ") + (f" ({unit})" if unit else "")


def _fig(fig: go.Figure, kinds: set[str]) -> str:
    kinds.update(t.type for t in fig.data)
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, config=CONFIG)


def _levers_text(row: pd.Series, spec: OptimizeSpec) -> str:
    on = [f"{n} {row[lever_column(n)]:.2f}" for n in spec.levers if row[lever_column(n)] >= 0.05]
    return ", ".join(on) or "all levers at today's setting"


def answer(spec: OptimizeSpec, out: Outcome) -> str:
    """The finding in plain words, every claim judged on the fresh seeds with their 95% CIs: the search
    seeds selected the front, so its figures there are flattered by the luck that selected them."""
    o1 = spec.objectives[0]
    budget = spec.budget.extra_hours_per_case
    if out.front.empty:
        return f"No candidate stayed within the budget of {budget:g} extra hours per case."
    today, best = out.today.iloc[0], out.front.iloc[0]  # the front is ordered on its fresh figures
    name = o1.replace("_", " ")
    m, ci = best[f"{o1}_mean_fresh"], best[f"{o1}_ci_fresh"]
    t, tci = today[f"{o1}_mean"], today[f"{o1}_ci"]
    if not best["within_budget_fresh"]:
        return (
            f"Every policy the search found within {budget:g} extra hours per case costs more than that on "
            f"fresh seeds (the best: {best['extra_hours_mean_fresh']:+.2f} ± "
            f"{best['extra_hours_ci_fresh']:.2g} hours): the budget is too tight to judge at these seeds."
        )
    versus = (
        "below today's"
        if m + ci < t - tci
        else "above today's"
        if m - ci > t + tci
        else "not distinguishable from today's at these seeds"
    )
    lo, hi = m - ci, m + ci
    near = out.front.iloc[1:]
    near = near[near["within_budget_fresh"] & (near[f"{o1}_mean_fresh"] - near[f"{o1}_ci_fresh"] <= hi)]
    others = f"{len(near)} other polic{'y' if len(near) == 1 else 'ies'} of the front"
    text = (
        f"Within {budget:g} extra hour{'' if budget == 1 else 's'} per case, the lowest {esc(name)} on fresh "
        f"seeds is {m:.3g} (95% CI {lo:.3g} to {hi:.3g}), {versus} {t:.3g} (± {tci:.2g}), at "
        f"{best['extra_hours_mean_fresh']:+.2f} (± {best['extra_hours_ci_fresh']:.2g}) hours per case, with "
        f"{esc(_levers_text(best, spec))}. "
        + (
            f"{others} reach into that interval: the fresh seeds do not single this one out. "
            if len(near)
            else "No other policy of the front reaches into that interval. "
        )
        + f"The front holds {len(out.front)} policies, none better than another on every objective (on the "
        "search seeds)."
    )
    col, unit = f"d_{o1}_per_hour", f"d_{o1}_per_unit"
    if not out.marginal.empty and col in out.marginal:
        m = out.marginal
        gains = m[m[col] < 0]
        if gains.empty:
            text += f" At that point no lever that measurably costs hours lowers {esc(name)} further."
        else:
            top = gains.sort_values(col).iloc[0]
            text += (
                f" At that point the next hour does most against {esc(name)} on "
                f"<b>{esc(top['lever'])}</b> ({top[col]:+.3g} per extra hour per case)."
            )
        free = m[m[col].isna() & (m[unit] + m[f"d_{o1}_ci"] < 0)]
        if not free.empty:
            text += f" Lowering it further at no measurable cost in hours: {esc(', '.join(free['lever']))}."
    return text


def front_table(spec: OptimizeSpec, out: Outcome) -> str:
    """The front with short column titles (a key below), rounded: it fits the page; the parquet has it all."""
    lever_cols = [lever_column(n) for n in spec.levers]
    measured = [f"{x}_mean" for x in spec.objectives] + ["extra_hours_mean"]
    fresh = [f"{c}_fresh" for c in measured if f"{c}_fresh" in out.front]
    if out.front.empty:
        return note("No candidate within the budget.")
    shown = out.front[lever_cols + measured + fresh].round(3).rename(columns=_short)
    key = "; ".join(f"{initials(n)} = {n}" for n in spec.levers)
    return table_html(shown) + note(
        f"Levers: {key}. Figures on the search seeds, then re-estimated on fresh seeds (fresh)."
    )


def packages_table(spec: OptimizeSpec, out: Outcome) -> pd.DataFrame:
    """Each reform package against the front: on it, dominated by a point of it (at no more hours), or over
    the budget."""
    obj = [f"{o}_mean" for o in spec.objectives]
    rows = []
    for _, pkg in out.candidates[out.candidates["label"].isin(reform_names())].iterrows():
        if not pkg["within_budget"]:
            verdict = "over the budget"
        else:
            f = out.front[obj].to_numpy()
            p = pkg[obj].to_numpy(dtype=float)
            same = np.all(np.isclose(f, p), axis=1)
            dom = np.all(f <= p, axis=1) & np.any(f < p, axis=1)
            verdict = (
                "on the front" if same.any() else ("dominated by the front" if dom.any() else "not dominated")
            )
        row = {"package": pkg["label"], "verdict": verdict, "extra hours": pkg["extra_hours_mean"]}
        row.update({o: pkg[f"{o}_mean"] for o in spec.objectives})
        rows.append(row)
    return pd.DataFrame(rows)


def lever_costs(spec: OptimizeSpec, out: Outcome) -> pd.DataFrame:
    """What each lever alone at 1 (a reform: its package) costs each actor, in hours per case over today's, as
    the model booked it; the marginal table has every lever's cost per unit at the chosen point."""
    today = out.candidates[out.candidates["label"] == "today"].iloc[0]
    rows = []
    for _, pkg in out.candidates[out.candidates["label"].isin(spec.levers)].iterrows():
        row = {"lever at 1": pkg["label"]}
        for a in ("prosecutor", "lawyer", "judge", "total"):
            m = f"hours_per_case_{a}_mean"
            row[a] = pkg[m] - today[m]
        rows.append(row)
    return pd.DataFrame(rows)


def figures(spec: OptimizeSpec, out: Outcome, kinds: set[str]) -> str:
    o = spec.objectives
    hours = "extra_hours_mean"
    c, f = out.candidates, out.front
    fixed = c[c["label"] != ""]
    parts = []
    for obj in o:
        if obj == spec.budget.metric:
            continue
        fig = go.Figure()
        fig.add_scatter(
            x=c[hours], y=c[f"{obj}_mean"], mode="markers", name="candidates", marker={"color": "#ccc"}
        )
        fig.add_scatter(
            x=f[hours],
            y=f[f"{obj}_mean"],
            error_y={"array": f[f"{obj}_ci"], "visible": True},
            mode="markers",
            name="front",
            marker={"color": "#2171b5", "size": 9},
        )
        for i, (_, pt) in enumerate(fixed.iterrows()):  # one legend entry each: labels would overlap
            fig.add_scatter(
                x=[pt[hours]],
                y=[pt[f"{obj}_mean"]],
                mode="markers",
                name=str(pt["label"]),
                marker={
                    "color": PALETTE[(i + 1) % len(PALETTE)],
                    "symbol": SYMBOLS[i % len(SYMBOLS)],
                    "size": 11,
                },
            )
        fig.add_vline(x=spec.budget.extra_hours_per_case, line_dash="dash", annotation_text="budget")
        fig.update_layout(
            height=430,
            margin={"t": 30},
            xaxis_title="hours per case over today's",
            yaxis_title=_label(obj),
        )
        parts.append(_fig(fig, kinds))
    axes = axes_3d(spec)
    if len(axes) == 3:
        fig = go.Figure()
        # the hours are off the axes when three other objectives fill them: the front's colour shows them
        shade = spec.budget.metric not in axes
        for df, name, color in ((f, "front", "#2171b5"), (fixed, "today and packages", "#d62728")):
            marker: dict[str, object] = {"color": color, "size": 4}
            if shade and name == "front":
                marker.update(color=df[hours], colorscale="Blues", colorbar={"title": "extra hours"})
            fig.add_scatter3d(
                x=df[f"{axes[0]}_mean"],
                y=df[f"{axes[1]}_mean"],
                z=df[f"{axes[2]}_mean"],
                mode="markers",
                name=name,
                text=df["label"],
                marker=marker,
            )
        fig.update_layout(
            height=520,
            margin={"t": 20},
            scene={
                "xaxis_title": SHORT.get(axes[0], axes[0]),
                "yaxis_title": SHORT.get(axes[1], axes[1]),
                "zaxis_title": SHORT.get(axes[2], axes[2]),
            },
        )
        parts.append(_fig(fig, kinds))
    if len(o) > 3 and not f.empty:
        parts.append(_fig(every_objective(spec, f), kinds))
    return "".join(parts)


def axes_3d(spec: OptimizeSpec) -> list[str]:
    """The 3-D view's axes: the objectives other than the budget's hours first (the 2-D charts already plot
    each against the hours), then the hours; at most three, fewer when the spec has fewer."""
    rest = [x for x in spec.objectives if x != spec.budget.metric]
    return [*rest, *(x for x in spec.objectives if x == spec.budget.metric)][:3]


def every_objective(spec: OptimizeSpec, front: pd.DataFrame) -> go.Figure:
    """Every objective of the front side by side (parallel coordinates), one line per policy coloured by its
    extra hours: with four or more objectives no 3-D view holds them all."""
    dims = [
        {"label": SHORT.get(x, x), "values": front[f"{x}_mean"]}
        for x in spec.objectives
        if x != spec.budget.metric
    ]
    dims.append({"label": SHORT["extra_hours"], "values": front["extra_hours_mean"]})
    fig = go.Figure(
        go.Parcoords(
            line={
                "color": front["extra_hours_mean"],
                "colorscale": "Blues",
                "showscale": True,
                "colorbar": {"title": "extra hours"},
            },
            dimensions=dims,
        )
    )
    fig.update_layout(height=420, margin={"t": 60, "l": 60, "r": 60})
    return fig


def marginal_section(spec: OptimizeSpec, out: Outcome, kinds: set[str]) -> str:
    if out.marginal.empty:
        return note("No front point within the budget, so no marginal values.")
    m = out.marginal
    point = out.front.iloc[out.point]
    objs = [x for x in spec.objectives if x != spec.budget.metric]
    fig = go.Figure()
    for obj in objs:
        fig.add_bar(x=m["lever"], y=m[f"d_{obj}_per_unit"], name=obj, error_y={"array": m[f"d_{obj}_ci"]})
    fig.update_layout(
        height=380, margin={"t": 20}, barmode="group", yaxis_title="change per full step of the lever"
    )
    cols = ["lever", "at", "d_hours_per_unit", "d_hours_ci"]
    for x in objs:
        cols += [f"d_{x}_per_unit", f"d_{x}_ci", f"d_{x}_per_hour"]
    table = m[cols].round(3).rename(columns=_short_d)
    return (
        f"<p>At front point {out.point} ({esc(_levers_text(point, spec))}): the change in each objective "
        f"per full unit of each lever (estimated from a step of {spec.search.marginal_step:g} on "
        f"{spec.search.marginal_seeds} fresh seeds, paired, 95% CI), and per extra hour per case where the "
        "lever measurably costs hours (its hours CI above zero). Negative is better. An effect whose CI "
        "spans zero is not distinguishable from noise at this many seeds: raise "
        "<code>search.marginal_replications</code>.</p>" + _fig(fig, kinds) + table_html(table)
    )


def write_report(
    path: Path, spec: OptimizeSpec, out: Outcome, seeds: int, posterior: str | None = None
) -> None:
    """report.html, written whole to a temporary file and moved into place."""
    kinds: set[str] = set()
    over = (
        f" Seed r of every candidate runs with posterior draw r of {esc(posterior)}, so the intervals carry "
        "the parameters' uncertainty as well as the Monte Carlo noise."
        if posterior
        else ""
    )
    body = f"""
<header><p class='finding'>{answer(spec, out)}</p>
<p class='byline'>Search <b>{esc(spec.name)}</b>: {len(out.candidates)} candidate policies, each on the same
{seeds} seeds (common random numbers), {esc(spec.scale or "")} scale; the front re-estimated on as many fresh
seeds; intervals are 95% CIs over the seeds.{over}</p>
</header><main>
<h1>{esc(spec.name)}: where the next hour of review does the most good</h1>
<p>{esc(spec.description)}</p>
<section><h2>The front</h2>{figures(spec, out, kinds)}
{front_table(spec, out)}</section>
<section><h2>The six reform packages on the same axes</h2>{table_html(packages_table(spec, out))}</section>
<section><h2>What each lever costs (hours per case over today's, as the model booked them)</h2>
{table_html(lever_costs(spec, out))}</section>
<section><h2>Where the next hour does the most good</h2>{marginal_section(spec, out, kinds)}</section>
</main>"""
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(spec.name)}: resources</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{GENERATOR} {__version__}"><style>{CSS}</style>
<script type="text/javascript">{plotly_bundle(kinds)}</script></head><body>{body}</body></html>
"""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)
