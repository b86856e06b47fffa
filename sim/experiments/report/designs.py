"""Report sections about the experiment itself: the overview, factor grids, sensitivity indices of sampled
designs, the EMA Workbench export and failed runs."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from sim.experiments.analysis import ema_export, group_means, morris_indices, sobol_indices
from sim.experiments.report.base import PALETTE, ReportContext, breakable, esc, note, table_html
from sim.model.metrics import METRICS


def overview(ctx: ReportContext) -> str:
    n_ok, n_all = len(ctx.runs), len(ctx.all_runs)
    reps = ctx.runs.groupby(["arm", "point"]).size() if n_ok else pd.Series(dtype=int)
    stale = (
        f" ({ctx.stale} older runs of scenarios the spec no longer resolves to are left out)"
        if ctx.stale
        else ""
    )
    design = f" ({ctx.meta.get('design')} over {', '.join(ctx.factors)})" if ctx.factors else ""
    items = [
        ("experiment", ctx.meta.get("name", ctx.folder.name)),
        ("question", ctx.meta.get("description", "")),
        ("runs", f"{n_ok} succeeded, {n_all - n_ok} failed{stale}"),
        ("arms", f"{len(ctx.arms)} (baseline arm: {ctx.baseline})"),
        ("design points", f"{ctx.runs['point'].nunique() if n_ok else 0}{design}"),
        ("replications per arm and point", f"{reps.min()}–{reps.max()}" if len(reps) else "0"),
        ("scale", ctx.spec.get("scale", "")),
        ("master seed", ctx.spec.get("master_seed", "")),
        ("package version", ctx.meta.get("package_version", "")),
        ("sweep started", ctx.meta.get("created", "")),
        ("report written", datetime.now(UTC).isoformat(timespec="seconds")),
    ]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in items)
    spec_file = ctx.folder / "spec.toml"
    spec_text = spec_file.read_text(encoding="utf-8") if spec_file.is_file() else ""
    metric_rows = "".join(
        f"<tr><td><code>{breakable(o)}</code></td><td>{esc(METRICS[o].unit)}</td>"
        f"<td>{esc(METRICS[o].description)}</td></tr>"
        for o in ctx.headline
        if o in METRICS
    )
    return (
        f"<div class='tbl-wrap'><table class='kv'>{rows}</table></div>"
        "<p>Every interval is a 95% Student-t confidence interval over independent replications. Arms share "
        "replication seeds (common random numbers), so differences between arms are paired run by run.</p>"
        "<h3>Headline outcomes</h3><div class='tbl-wrap'><table class='tbl defs'><thead><tr><th>metric</th>"
        f"<th>unit</th><th>definition</th></tr></thead><tbody>{metric_rows}</tbody></table></div>"
        f"<details><summary>Experiment spec (spec.toml)</summary><pre>{esc(spec_text)}</pre></details>"
    )


def _heat(fig: go.Figure, g: pd.DataFrame, row: int, col: int, hover: str) -> None:
    """A heatmap drawn as coloured rectangles with the values on top: the partial plotly.js bundle the report
    inlines has no heatmap trace, and rectangles in data coordinates scale with the figure as a heatmap would.
    """
    z = g.to_numpy(dtype=float)
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    norm = np.clip(np.nan_to_num((z - lo) / (hi - lo) if hi > lo else np.full_like(z, 0.5), nan=0.5), 0, 1)
    colors = sample_colorscale("Viridis", norm.ravel().tolist())
    ny, nx = z.shape
    for k, color in enumerate(colors):
        i, j = divmod(k, nx)
        fig.add_shape(
            type="rect",
            x0=j - 0.5,
            x1=j + 0.5,
            y0=i - 0.5,
            y1=i + 0.5,
            fillcolor=color,
            line_width=0,
            layer="below",
            row=row,
            col=col,
        )
    ii, jj = np.divmod(np.arange(z.size), nx)
    fig.add_trace(
        go.Scatter(
            x=jj,
            y=ii,
            mode="text",
            text=[f"{v:.3g}" for v in z.ravel()],
            showlegend=False,
            textfont=dict(color=["white" if v < 0.6 else "black" for v in norm.ravel()]),
            customdata=np.c_[[g.columns[j] for j in jj], [g.index[i] for i in ii], z.ravel()],
            hovertemplate=hover + "<extra></extra>",
        ),
        row,
        col,
    )
    fig.update_xaxes(
        tickvals=list(range(nx)),
        ticktext=[f"{v:.3g}" for v in g.columns],
        range=[-0.5, nx - 0.5],
        showgrid=False,
        zeroline=False,
        row=row,
        col=col,
    )
    fig.update_yaxes(
        tickvals=list(range(ny)),
        ticktext=[f"{v:.3g}" for v in g.index],
        range=[-0.5, ny - 0.5],
        showgrid=False,
        zeroline=False,
        row=row,
        col=col,
    )


def factor_effects(ctx: ReportContext) -> str:
    if not ctx.factors or ctx.meta.get("design") != "grid":
        return note(
            "Not applicable: the experiment has no factor grid (sampled designs are in the sensitivity "
            "section)."
        )
    means = group_means(ctx.runs, ctx.outcomes, by=["arm", *ctx.factors], bounded=True)
    ctx.save(means, "factor_grid_means")
    rows = math.ceil(len(ctx.headline) / 3)
    parts = []
    for arm in ctx.arms:
        m = means[(means["arm"] == arm) & means["outcome"].isin(ctx.headline)]
        if len(ctx.factors) == 2:
            fx, fy = ctx.factors
            fig = make_subplots(
                rows=rows,
                cols=3,
                subplot_titles=ctx.headline,
                horizontal_spacing=0.08,
                vertical_spacing=0.6 / max(1, rows),
            )
            for i, h in enumerate(ctx.headline):
                g = m[m["outcome"] == h].pivot(index=fy, columns=fx, values="mean")
                cd = "%{customdata"
                hover = f"{fx} {cd}[0]:.3g}}<br>{fy} {cd}[1]:.3g}}<br>{h} {cd}[2]:.4g}}"
                _heat(fig, g, i // 3 + 1, i % 3 + 1, hover)
                fig.update_xaxes(title_text=fx, row=i // 3 + 1, col=i % 3 + 1)
                fig.update_yaxes(title_text=fy, row=i // 3 + 1, col=i % 3 + 1)
            fig.update_layout(height=330 * rows + 40, margin=dict(l=10, r=10, t=40, b=20))
        else:
            fx = ctx.factors[0]
            fig = make_subplots(rows=rows, cols=3, subplot_titles=ctx.headline)
            for i, h in enumerate(ctx.headline):
                g = (
                    m[m["outcome"] == h]
                    .groupby(fx, as_index=False)[["mean", "ci_low", "ci_high"]]
                    .mean()
                    .sort_values(fx)
                )
                fig.add_trace(
                    go.Scatter(
                        x=g[fx],
                        y=g["mean"],
                        mode="lines+markers",
                        showlegend=False,
                        error_y=dict(
                            type="data",
                            symmetric=False,
                            array=g["ci_high"] - g["mean"],
                            arrayminus=g["mean"] - g["ci_low"],
                        ),
                    ),
                    i // 3 + 1,
                    i % 3 + 1,
                )
                fig.update_xaxes(title_text=fx, row=i // 3 + 1, col=i % 3 + 1)
            fig.update_layout(height=300 * rows + 40)
            if len(ctx.factors) > 2:
                ctx.notes.append(
                    f"factor effects: {len(ctx.factors)} grid factors; charted against {fx} "
                    "(averaged over the others)"
                )
        parts.append(f"<h3>{esc(arm)}</h3>" + ctx.fig(fig))
    return (
        "".join(parts) + "<p>Mean over replications at each grid point. "
        "Table with CIs: <code>tables/factor_grid_means.csv</code>.</p>"
    )


SOBOL_TEXT = (
    "First-order (S1) and total (ST) Sobol indices with 95% bootstrap CIs: S1 is the share of the "
    "outcome's variance a factor explains alone, ST including its interactions."
)
MORRIS_TEXT = (
    "Morris screening: μ* (mean absolute elementary effect, 95% CI) ranks influence; σ large relative to "
    "μ* flags non-linearity or interactions."
)


def sensitivity(ctx: ReportContext) -> str:
    kind = ctx.meta.get("design")
    if kind not in ("sobol", "morris"):
        return note("Not applicable: the experiment is not a Sobol (Saltelli) or Morris design.")
    design = ctx.store.design()
    fs = ctx.spec["factors"]
    problem = {
        "num_vars": len(fs["ranges"]),
        "names": list(fs["ranges"]),
        "bounds": [list(v) for v in fs["ranges"].values()],
    }
    seed = int(ctx.spec.get("master_seed", 0)) % 2**32
    parts = []
    for arm in ctx.arms:
        if kind == "sobol":
            idx, notes = sobol_indices(
                ctx.runs, design, problem, ctx.headline, arm, fs.get("second_order", False), seed=seed
            )
            name, a, b, ea, eb = "sobol_indices", "S1", "ST", "S1_conf", "ST_conf"
        else:
            idx, notes = morris_indices(
                ctx.runs, design, problem, ctx.headline, arm, fs.get("levels", 4), seed=seed
            )
            name, a, b, ea, eb = "morris_indices", "mu_star", "sigma", "mu_star_conf", None
        ctx.notes += [f"sensitivity ({arm}): {n}" for n in notes]
        if idx.empty:
            parts.append(note(f"{arm}: no index could be computed ({'; '.join(notes)})."))
            continue
        ctx.save(idx, name if len(ctx.arms) == 1 else f"{name}_{arm}")
        outs = list(dict.fromkeys(idx["outcome"]))
        rows = math.ceil(len(outs) / 2)
        fig = make_subplots(rows=rows, cols=2, subplot_titles=outs, vertical_spacing=0.5 / max(1, rows))
        for i, o in enumerate(outs):
            g = idx[idx["outcome"] == o]
            fig.add_trace(
                go.Bar(
                    name=a,
                    x=g["factor"],
                    y=g[a],
                    marker_color=PALETTE[0],
                    showlegend=i == 0,
                    error_y=dict(type="data", array=g[ea]),
                ),
                i // 2 + 1,
                i % 2 + 1,
            )
            fig.add_trace(
                go.Bar(
                    name=b,
                    x=g["factor"],
                    y=g[b],
                    marker_color=PALETTE[1],
                    showlegend=i == 0,
                    error_y=dict(type="data", array=g[eb]) if eb else None,
                ),
                i // 2 + 1,
                i % 2 + 1,
            )
        fig.update_layout(barmode="group", height=360 * rows + 60, margin=dict(l=10, r=10, t=40, b=20))
        what = SOBOL_TEXT if kind == "sobol" else MORRIS_TEXT
        head = f"<h3>{esc(arm)}</h3>" if len(ctx.arms) > 1 else ""
        parts.append(
            head
            + ctx.fig(fig)
            + f"<p>{what} Table: <code>tables/{name}.csv</code>.</p>"
            + noise_note(ctx, arm, outs)
        )
    return "".join(parts)


def noise_note(ctx: ReportContext, arm: str, outs: list[str]) -> str:
    """How much of the variance the indices decompose is run-to-run noise rather than the factors."""
    runs = ctx.runs[ctx.runs["arm"] == arm]
    reps = runs.groupby("point_key").size()
    if reps.min() < 2:
        return note(
            "One replication per design point: run-to-run noise is counted as if a factor caused it. It "
            "raises every factor's ST by about the noise share of the outcome's variance, which can be large "
            "(for experiments/sensitivity.toml, 35 % for non-essential relief: docs/performance.md); with "
            "replications >= 2 this report measures it."
        )
    shares = []
    for o in outs:
        g = runs.groupby("point_key")[o]
        noise = float((g.var(ddof=1) / g.size()).mean())
        total = float(g.mean().var(ddof=1))
        shares.append(f"{o} {noise / total:.1%}" if total > 0 else f"{o} n/a")
    return note(
        "Share of the variance of the replication means that is run-to-run noise: " + ", ".join(shares) + "."
    )


EMA_TEXT = (
    "<p>Wrote <code>ema/experiments.csv</code> and <code>ema/outcomes.csv</code> (and .parquet), one row per "
    "successful run in the same order: factors, reform switches, <code>policy</code> (arm), "
    "<code>scenario</code> (design point), replication and seed; and every outcome. "
    "For PRIM in EMA Workbench:</p>"
    "<pre>import pandas as pd\nfrom ema_workbench.analysis import prim\n"
    "x = pd.read_csv('ema/experiments.csv')\n"
    "y = pd.read_csv('ema/outcomes.csv')['relief_rate_nonessential']\n"
    "box = prim.Prim(x.drop(columns=['model']), (y &lt; y.quantile(0.25)).to_numpy(), "
    "threshold=0.8).find_box()"
    "</pre>"
)


def ema(ctx: ReportContext) -> tuple[str, Path]:
    folder = ctx.folder / "ema"
    ema_export(ctx.runs, ctx.factors, ctx.outcomes, folder)
    return EMA_TEXT, folder


def failures(ctx: ReportContext) -> str:
    failed = ctx.all_runs[ctx.all_runs["status"] != "ok"]
    if failed.empty:
        return "<p>None: every run succeeded.</p>"
    t = failed[["run_id", "arm", "point", "replication", "seed", "error"]]
    ctx.save(failed[["run_id", "arm", "point", "replication", "seed", "error", "traceback"]], "failures")
    first = esc(failed["traceback"].iloc[0])
    return (
        f"<p>{len(failed)} runs failed; <code>leniency sweep SPEC --out DIR --resume</code> retries them.</p>"
        + table_html(t)
        + f"<details><summary>First traceback</summary><pre>{first}</pre></details>"
    )
