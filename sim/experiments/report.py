"""The sweep report: one self-contained HTML file (plotly.js inlined once, so it opens offline) and the CSV tables
behind every chart, from a folder written by ``leniency sweep``.

Sections (always present, with a note when a section does not apply to the experiment): overview, arm means,
paired differences, relief by type, hours by actor and stage, trade-off, factor effects, sensitivity, daily series,
scenario-discovery export, failures.
"""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from sim.experiments.analysis import (
    ema_export,
    factorial_main_effects,
    group_means,
    morris_indices,
    paired_differences,
    pareto_front,
    sobol_indices,
)
from sim.experiments.store import ResultStore, atomic_write_text
from sim.model.metrics import ACTORS, CLASS_OF_REASON, METRICS, Reason, ReliefClass, ReliefType
from sim.model.procedure import Stage

SECTIONS = (
    ("overview", "Overview"),
    ("arm-means", "Outcomes by arm (means, 95% CI)"),
    ("paired-differences", "Paired differences from the baseline arm"),
    ("relief-by-type", "Relief initiated, by type and reason: essential vs non-essential"),
    ("hours", "Resource hours per case, by actor and stage"),
    ("trade-off", "Trade-off: resources against undetected involuntary pleas and non-essential relief"),
    ("factor-effects", "Factor effects"),
    ("sensitivity", "Sensitivity indices (Sobol, Morris)"),
    ("daily", "Daily series with replication bands"),
    ("ema", "Scenario discovery export (EMA Workbench)"),
    ("failures", "Failed runs"),
)
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
MAX_DAILY_ARMS = 8
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class Written:
    html: Path
    tables_dir: Path
    ema_dir: Path
    tables: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _unit(metric: str) -> str:
    m = METRICS.get(metric)
    return f" ({m.unit})" if m is not None and m.unit else ""


def short_label(arm: str) -> str:
    """Arm names joined with '+' (reform subsets) shortened to initials: 'power_rebalancing+judgment_reasoning' -> 'PR+JR'."""
    if "+" not in arm and len(arm) <= 30:
        return arm
    return "+".join("".join(w[0].upper() for w in part.split("_") if w) for part in arm.split("+"))


def _fig_html(fig: go.Figure) -> str:
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, config=CONFIG)


def _table_html(df: pd.DataFrame, max_rows: int = 80) -> str:
    shown = df.head(max_rows)
    more = f"<p class='note'>{len(df) - max_rows} more rows in the CSV.</p>" if len(df) > max_rows else ""
    body = shown.to_html(index=False, border=0, classes="tbl", na_rep="n/a", float_format=lambda v: f"{v:.4g}", escape=True)
    return f"<div class='scroll'>{body}</div>{more}"


def _note(text: str) -> str:
    return f"<p class='note'>{html.escape(text)}</p>"


class _Builder:
    def __init__(self, folder: Path, outcomes: list[str] | None) -> None:
        self.folder = folder
        self.store = ResultStore(folder)
        self.meta = self.store.meta()
        self.spec = self.meta.get("spec", {})
        self.factors: list[str] = self.meta.get("factors", [])
        self.baseline: str = self.meta.get("baseline_arm") or ""
        self.all_runs = self.store.read_runs(current=True)
        self.stale = stale = len(self.store.read_runs(["run_id"])) - len(self.all_runs)
        self.runs = self.all_runs[self.all_runs["status"] == "ok"].reset_index(drop=True)
        self.outcomes = [o for o in self.meta.get("outcomes", list(METRICS)) if o in self.runs]
        heads = outcomes or self.meta.get("headline") or []
        unknown = [h for h in heads if h not in METRICS]
        if unknown:
            from sim.model.scenario import ScenarioError

            raise ScenarioError(f"--outcomes: unknown metric {unknown[0]!r}; allowed: any of sim.model.metrics.METRICS")
        self.headline = [h for h in heads if h in self.runs] or self.outcomes[:6]
        order = [a for a in self.meta.get("arms", []) if a in set(self.runs["arm"])]
        self.arms = order + [a for a in self.runs["arm"].unique() if a not in order]
        if self.baseline not in self.arms and self.arms:
            self.baseline = self.arms[0]
        self.colors = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(self.arms)}
        self.short = {a: short_label(a) for a in self.arms}
        self.tables_dir = folder / "tables"
        self.tables_dir.mkdir(exist_ok=True)
        self.tables: list[Path] = []
        self.notes: list[str] = []
        self.multi_point = self.runs["point"].nunique() > 1 if len(self.runs) else False
        if stale:
            self.notes.append(f"{stale} stored runs belong to scenarios the spec no longer resolves to (changed arms or "
                              "parameters) and are left out")

    @property
    def xlabels(self) -> list[str]:
        return [self.short[a] for a in self.arms]

    def _grid(self) -> tuple[int, int]:
        """Columns and row height of per-outcome charts: one column and taller rows when there are many arms."""
        n = len(self.arms)
        return (2 if n <= 12 else 1), max(260, 14 * n + 80)

    def legend_note(self) -> str:
        if all(self.short[a] == a for a in self.arms):
            return ""
        from sim.model.scenario import REFORMS

        codes = ", ".join(f"{short_label(r)} = {r}" for r in REFORMS)
        return f"<p class='note'>Arm labels in charts abbreviate reforms: {html.escape(codes)}.</p>"

    def save(self, df: pd.DataFrame, name: str) -> Path:
        p = self.tables_dir / f"{name}.csv"
        df.to_csv(p, index=False)
        self.tables.append(p)
        return p

    # -- sections ----------------------------------------------------------------------------------------------
    def overview(self) -> str:
        n_ok, n_all = len(self.runs), len(self.all_runs)
        reps = self.runs.groupby(["arm", "point"]).size() if n_ok else pd.Series(dtype=int)
        items = [
            ("experiment", self.meta.get("name", self.folder.name)),
            ("question", self.meta.get("description", "")),
            ("runs", f"{n_ok} succeeded, {n_all - n_ok} failed" + (f" ({self.stale} older runs of scenarios the spec no longer resolves to are left out)" if self.stale else "")),
            ("arms", f"{len(self.arms)} (baseline arm: {self.baseline})"),
            ("design points", f"{self.runs['point'].nunique() if n_ok else 0}" + (f" ({self.meta.get('design')} over {', '.join(self.factors)})" if self.factors else "")),
            ("replications per arm and point", f"{reps.min()}–{reps.max()}" if len(reps) else "0"),
            ("scale", self.spec.get("scale", "")),
            ("master seed", self.spec.get("master_seed", "")),
            ("package version", self.meta.get("package_version", "")),
            ("sweep started", self.meta.get("created", "")),
            ("report written", datetime.now(UTC).isoformat(timespec="seconds")),
        ]
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in items)
        spec_text = (self.folder / "spec.toml").read_text(encoding="utf-8") if (self.folder / "spec.toml").is_file() else ""
        metric_rows = "".join(f"<tr><td><code>{o}</code></td><td>{html.escape(METRICS[o].unit)}</td><td>{html.escape(METRICS[o].description)}</td></tr>" for o in self.headline if o in METRICS)
        return (
            f"<table class='kv'>{rows}</table>"
            "<p>Every interval is a 95% Student-t confidence interval over independent replications. Arms share "
            "replication seeds (common random numbers), so differences between arms are paired run by run.</p>"
            f"<h3>Headline outcomes</h3><table class='tbl'><tr><th>metric</th><th>unit</th><th>definition</th></tr>{metric_rows}</table>"
            f"<details><summary>Experiment spec (spec.toml)</summary><pre>{html.escape(spec_text)}</pre></details>"
        )

    def arm_means(self) -> str:
        if not len(self.runs):
            return _note("No successful runs.")
        by = ["arm", "point", *self.factors] if self.multi_point else ["arm"]
        table = group_means(self.runs, self.outcomes, by=by)
        self.save(table, "arm_means")
        agg = group_means(self.runs, self.headline) if self.multi_point else table[table["outcome"].isin(self.headline)]
        cols, row_h = self._grid()
        fig = make_subplots(rows=math.ceil(len(self.headline) / cols), cols=cols, subplot_titles=[h + _unit(h) for h in self.headline],
                            horizontal_spacing=0.22, vertical_spacing=min(0.5 / max(1, math.ceil(len(self.headline) / cols)), 90 / (row_h * math.ceil(len(self.headline) / cols))))
        for i, h in enumerate(self.headline):
            d = agg[agg["outcome"] == h].set_index("arm").reindex(self.arms[::-1])
            fig.add_trace(go.Scatter(x=d["mean"], y=[self.short[a] for a in d.index], mode="markers", marker=dict(color=[self.colors[a] for a in d.index], size=9),
                                     error_x=dict(type="data", symmetric=False, array=d["ci_high"] - d["mean"], arrayminus=d["mean"] - d["ci_low"]),
                                     showlegend=False, hovertemplate="%{y}: %{x:.4g}<extra></extra>"), row=i // cols + 1, col=i % cols + 1)
        fig.update_layout(height=row_h * math.ceil(len(self.headline) / cols) + 40, margin=dict(l=10, r=10, t=40, b=20))
        fig.update_yaxes(dtick=1)
        wide = agg.assign(cell=[f"{m:.4g} [{lo:.4g}, {hi:.4g}]" if not math.isnan(m) else "n/a" for m, lo, hi in zip(agg["mean"], agg["ci_low"], agg["ci_high"], strict=True)])
        wide = wide.pivot(index="arm", columns="outcome", values="cell").reindex(index=self.arms, columns=self.headline).rename_axis(columns=None).reset_index()
        scope = " (averaged over design points; per-point values in arm_means.csv)" if self.multi_point else ""
        return (_fig_html(fig) + self.legend_note() + f"<p>Mean [95% CI] of the headline outcomes{scope}. All {len(self.outcomes)} outcomes: "
                f"<code>tables/arm_means.csv</code>.</p>" + _table_html(wide))

    def paired(self) -> str:
        if len(self.arms) < 2:
            return _note("Only one arm: nothing to compare.")
        diffs = paired_differences(self.runs, self.outcomes, self.baseline, by_point=False)
        self.save(diffs, "paired_differences")
        d = diffs[diffs["outcome"].isin(self.headline)]
        arms = [a for a in self.arms if a != self.baseline]
        cols, row_h = self._grid()
        fig = make_subplots(rows=math.ceil(len(self.headline) / cols), cols=cols, subplot_titles=[f"Δ {h}" for h in self.headline], horizontal_spacing=0.22,
                            vertical_spacing=min(0.5 / max(1, math.ceil(len(self.headline) / cols)), 90 / (row_h * math.ceil(len(self.headline) / cols))))
        for i, h in enumerate(self.headline):
            g = d[d["outcome"] == h].set_index("arm").reindex(arms[::-1])
            colors = ["#d62728" if s else "#7f7f7f" for s in g["significant"].fillna(False)]
            fig.add_trace(go.Scatter(x=g["mean_diff"], y=[self.short[a] for a in g.index], mode="markers", marker=dict(color=colors, size=9),
                                     error_x=dict(type="data", symmetric=False, array=g["ci_high"] - g["mean_diff"], arrayminus=g["mean_diff"] - g["ci_low"]),
                                     showlegend=False, hovertemplate="%{y}: %{x:.4g}<extra></extra>"), row=i // cols + 1, col=i % cols + 1)
            fig.add_vline(x=0, line=dict(color="black", width=1, dash="dot"), row=i // cols + 1, col=i % cols + 1)
        fig.update_layout(height=row_h * math.ceil(len(self.headline) / cols) + 40, margin=dict(l=10, r=10, t=40, b=20))
        fig.update_yaxes(dtick=1)
        show = d[["arm", "outcome", "n_pairs", "baseline_mean", "mean_diff", "ci_low", "ci_high", "relative_change", "p_value", "p_holm", "significant", "significant_holm"]]
        n_sig = int(diffs["significant"].sum())
        extra = self._main_effects()
        return (_fig_html(fig) + f"<p>Each arm minus <b>{html.escape(self.baseline)}</b>, paired on replication (same seeds). Red: the 95% CI "
                f"excludes zero. Across all outcomes {n_sig} of {len(diffs)} differences are distinguishable from zero "
                "(<code>significant</code>); <code>significant_holm</code> also controls for testing every arm "
                "(Holm). Full table: <code>tables/paired_differences.csv</code>.</p>" + _table_html(show) + extra)

    def _main_effects(self) -> str:
        eff = factorial_main_effects(self.runs, self.outcomes)
        if eff.empty:
            return ""
        self.save(eff, "reform_main_effects")
        e = eff[eff["outcome"].isin(self.headline)]
        fig = make_subplots(rows=math.ceil(len(self.headline) / 2), cols=2, subplot_titles=[f"main effect on {h}" for h in self.headline])
        for i, h in enumerate(self.headline):
            g = e[e["outcome"] == h]
            fig.add_trace(go.Bar(x=g["reform"], y=g["effect"], marker_color=["#d62728" if v else "#7f7f7f" for v in g["significant"]], showlegend=False,
                                 error_y=dict(type="data", symmetric=False, array=g["ci_high"] - g["effect"], arrayminus=g["effect"] - g["ci_low"])),
                          i // 2 + 1, i % 2 + 1)
        fig.update_layout(height=320 * math.ceil(len(self.headline) / 2) + 40, margin=dict(l=10, r=10, t=40, b=20))
        return ("<h3>Main effect of each reform over all combinations of the others</h3>" + _fig_html(fig)
                + "<p>The arms form a full factorial of the reforms: each bar is the mean outcome of arms with the reform minus arms "
                "without it, paired by replication (95% CI; red: excludes 0). Table: <code>tables/reform_main_effects.csv</code>.</p>")

    def relief(self) -> str:
        types = [f"relief_rate_{t.name.lower()}" for t in ReliefType]
        reasons = [f"relief_rate_reason_{r.name.lower()}" for r in Reason]
        split = {t: (f"{t}_essential", f"{t}_nonessential") for t in types}
        have_split = all(e in self.runs and n in self.runs for e, n in split.values())
        if not all(t in self.runs for t in types) or not all(r in self.runs for r in reasons):
            return _note("The runs did not keep the relief_rate_* outcomes.")
        means = group_means(self.runs, types + reasons + [c for pair in split.values() for c in pair if c in self.runs])
        self.save(means, "relief_by_type")
        m = means.pivot(index="arm", columns="outcome", values="mean").reindex(self.arms)
        fig = make_subplots(rows=1, cols=2, subplot_titles=("by type" + (" (dark: essential, light: non-essential)" if have_split else ""),
                                                           "by reason (reds: essential avoidable, oranges: essential unavoidable, blues: non-essential)"), horizontal_spacing=0.12)
        for i, t in enumerate(types):
            label = t.removeprefix("relief_rate_")
            if have_split:
                e, n = split[t]
                fig.add_trace(go.Bar(name=f"{label} (essential)", x=self.xlabels, y=m[e], marker_color=PALETTE[i], legendgroup="type"), 1, 1)
                fig.add_trace(go.Bar(name=f"{label} (non-essential)", x=self.xlabels, y=m[n], marker_color=PALETTE[i], marker_opacity=0.45, legendgroup="type"), 1, 1)
            else:
                fig.add_trace(go.Bar(name=label, x=self.xlabels, y=m[t], marker_color=PALETTE[i], legendgroup="type"), 1, 1)
        shades = {  # by class: avoidable reds, unavoidable oranges, non-essential blues (cycled)
            ReliefClass.ESSENTIAL_AVOIDABLE: itertools.cycle(("#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a")),
            ReliefClass.ESSENTIAL_UNAVOIDABLE: itertools.cycle(("#7f2704", "#d94801", "#fd8d3c")),
            ReliefClass.NONESSENTIAL: itertools.cycle(("#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef")),
        }
        for r in Reason:
            col = f"relief_rate_reason_{r.name.lower()}"
            if col not in m:
                continue
            cls = CLASS_OF_REASON[r]
            fig.add_trace(go.Bar(name=f"{r.name.lower()} ({cls.name.lower().replace('_', ' ')})", x=self.xlabels, y=m[col],
                                 marker_color=next(shades[cls]), legendgroup="reason"), 1, 2)
        fig.update_layout(barmode="stack", height=560, margin=dict(l=10, r=10, t=40, b=120), yaxis_title="events per 100 leniency cases")
        note = "" if have_split else (" Types are not split into essential and non-essential because the model does not report "
                                      "relief_rate_&lt;type&gt;_essential; the split is shown by reason (right), which is how the model classifies it.")
        return _fig_html(fig) + f"<p>Relief events per 100 leniency cases, mean over replications.{note} Table: <code>tables/relief_by_type.csv</code>.</p>"

    def hours(self) -> str:
        cols = {a: [f"hours_per_case_{a}_{s.name.lower()}" for s in Stage] for a in ACTORS}
        if not all(c in self.runs for cs in cols.values() for c in cs):
            return _note("The runs did not keep hours_per_case_<actor>_<stage>.")
        flat = [c for cs in cols.values() for c in cs]
        means = group_means(self.runs, flat + [f"hours_per_case_{a}" for a in ACTORS] + ["hours_per_case_total"])
        self.save(means, "hours_by_actor_stage")
        m = means.pivot(index="arm", columns="outcome", values="mean").reindex(self.arms)
        fig = make_subplots(rows=1, cols=len(ACTORS), subplot_titles=[f"{a} hours per case" for a in ACTORS], shared_yaxes=True)
        for j, a in enumerate(ACTORS):
            for i, s in enumerate(Stage):
                fig.add_trace(go.Bar(name=s.name.lower(), x=self.xlabels, y=m[f"hours_per_case_{a}_{s.name.lower()}"], marker_color=PALETTE[i],
                                     legendgroup=s.name, showlegend=j == 0), 1, j + 1)
        fig.update_layout(barmode="stack", height=520, margin=dict(l=10, r=10, t=40, b=120))
        return _fig_html(fig) + "<p>Hours per case arrived, stacked by stage. Table: <code>tables/hours_by_actor_stage.csv</code>.</p>"

    def tradeoff(self) -> str:
        x = "hours_per_case_total"
        nonessential = FINDING_TARGET if FINDING_TARGET in self.runs else "relief_rate_nonessential"
        ys = ("undetected_involuntary_per_100", nonessential)
        if x not in self.runs or not all(y in self.runs for y in ys):
            return _note(f"The runs did not keep {x}, {ys[0]} and {ys[1]}.")
        by = ["arm", "point", *self.factors] if self.multi_point else ["arm"]
        means = group_means(self.runs, [x, *ys], by=by)
        wide = means.pivot_table(index=by, columns="outcome", values=["mean", "ci_low", "ci_high"]).reset_index()
        wide.columns = ["_".join(c for c in col if c) if isinstance(col, tuple) else col for col in wide.columns]
        labels = wide["arm"].map(self.short).astype(str)
        if self.multi_point:
            at = wide[self.factors].apply(lambda r: ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.3g}" for k, v in r.items()), axis=1)
            labels = at if len(self.arms) == 1 else labels + " @ " + at
        wide.insert(0, "label", labels)
        fig = make_subplots(rows=1, cols=2, subplot_titles=[f"{y} vs {x}" for y in ys], horizontal_spacing=0.1)
        for j, y in enumerate(ys):
            front = pareto_front(wide[f"mean_{x}"], wide[f"mean_{y}"])
            wide[f"pareto_{y}"] = front
            colors = [self.colors.get(a, "#444") for a in wide["arm"]]
            fig.add_trace(go.Scatter(
                x=wide[f"mean_{x}"], y=wide[f"mean_{y}"], mode="markers", text=wide["label"], showlegend=False,
                marker=dict(color=colors, size=np.where(front, 13, 8), line=dict(color="black", width=np.where(front, 2, 0))),
                error_x=dict(type="data", symmetric=False, array=wide[f"ci_high_{x}"] - wide[f"mean_{x}"], arrayminus=wide[f"mean_{x}"] - wide[f"ci_low_{x}"], thickness=1),
                error_y=dict(type="data", symmetric=False, array=wide[f"ci_high_{y}"] - wide[f"mean_{y}"], arrayminus=wide[f"mean_{y}"] - wide[f"ci_low_{y}"], thickness=1),
                hovertemplate="%{text}<br>" + x + " %{x:.4g}<br>" + y + " %{y:.4g}<extra></extra>"), 1, j + 1)
            f = wide[front].sort_values(f"mean_{x}")
            fig.add_trace(go.Scatter(x=f[f"mean_{x}"], y=f[f"mean_{y}"], mode="lines", line=dict(color="black", dash="dash", shape="hv"),
                                     name="Pareto frontier", showlegend=j == 0, hoverinfo="skip"), 1, j + 1)
            if len(wide) <= 10:
                for _, r in wide.iterrows():
                    fig.add_annotation(x=r[f"mean_{x}"], y=r[f"mean_{y}"], text=r["label"][:40], showarrow=False, yshift=12, font=dict(size=9), row=1, col=j + 1)
            fig.update_xaxes(title_text=x + _unit(x), row=1, col=j + 1)
            fig.update_yaxes(title_text=y + _unit(y), row=1, col=j + 1)
        fig.update_layout(height=560, margin=dict(l=10, r=10, t=40, b=20))
        self.save(wide, "tradeoff")
        on = ", ".join(wide.loc[wide[f"pareto_{ys[0]}"], "label"])
        return (_fig_html(fig) + "<p>Each point is an arm" + (" at a design point" if self.multi_point else "") + " (mean, 95% CI bars). Lower is "
                "better on both axes; the dashed line joins the Pareto frontier (bold markers): no other point has both fewer "
                f"hours and a lower rate. Frontier against undetected involuntary pleas: {html.escape(on)}. Table: <code>tables/tradeoff.csv</code>.</p>")

    def factor_effects(self) -> str:
        if not self.factors or self.meta.get("design") != "grid":
            return _note("Not applicable: the experiment has no factor grid (sampled designs are in the sensitivity section).")
        by = ["arm", *self.factors]
        means = group_means(self.runs, self.outcomes, by=by)
        self.save(means, "factor_grid_means")
        parts = []
        for arm in self.arms:
            m = means[(means["arm"] == arm) & means["outcome"].isin(self.headline)]
            if len(self.factors) == 2:
                fx, fy = self.factors
                fig = make_subplots(rows=math.ceil(len(self.headline) / 3), cols=3, subplot_titles=self.headline, horizontal_spacing=0.08,
                                    vertical_spacing=0.6 / max(1, math.ceil(len(self.headline) / 3)))
                for i, h in enumerate(self.headline):
                    g = m[m["outcome"] == h].pivot(index=fy, columns=fx, values="mean")
                    fig.add_trace(go.Heatmap(z=g.to_numpy(), x=[f"{v:.3g}" for v in g.columns], y=[f"{v:.3g}" for v in g.index], colorscale="Viridis",
                                             showscale=False, texttemplate="%{z:.3g}", hovertemplate=f"{fx} %{{x}}<br>{fy} %{{y}}<br>{h} %{{z:.4g}}<extra></extra>"),
                                  i // 3 + 1, i % 3 + 1)
                    fig.update_xaxes(title_text=fx, row=i // 3 + 1, col=i % 3 + 1)
                    fig.update_yaxes(title_text=fy, row=i // 3 + 1, col=i % 3 + 1)
                fig.update_layout(height=330 * math.ceil(len(self.headline) / 3) + 40, margin=dict(l=10, r=10, t=40, b=20))
            else:
                fx = self.factors[0]
                fig = make_subplots(rows=math.ceil(len(self.headline) / 3), cols=3, subplot_titles=self.headline)
                for i, h in enumerate(self.headline):
                    g = m[m["outcome"] == h].groupby(fx, as_index=False)[["mean", "ci_low", "ci_high"]].mean().sort_values(fx)
                    fig.add_trace(go.Scatter(x=g[fx], y=g["mean"], mode="lines+markers", showlegend=False,
                                             error_y=dict(type="data", symmetric=False, array=g["ci_high"] - g["mean"], arrayminus=g["mean"] - g["ci_low"])),
                                  i // 3 + 1, i % 3 + 1)
                fig.update_layout(height=300 * math.ceil(len(self.headline) / 3) + 40)
                if len(self.factors) > 2:
                    self.notes.append(f"factor effects: {len(self.factors)} grid factors; charted against {fx} (averaged over the others)")
            parts.append(f"<h3>{html.escape(arm)}</h3>" + _fig_html(fig))
        return "".join(parts) + "<p>Mean over replications at each grid point. Table with CIs: <code>tables/factor_grid_means.csv</code>.</p>"

    def sensitivity(self) -> str:
        design_kind = self.meta.get("design")
        if design_kind not in ("sobol", "morris"):
            return _note("Not applicable: the experiment is not a Sobol (Saltelli) or Morris design.")
        design = self.store.design()
        fs = self.spec["factors"]
        problem = {"num_vars": len(fs["ranges"]), "names": list(fs["ranges"]), "bounds": [list(v) for v in fs["ranges"].values()]}
        parts = []
        for arm in self.arms:
            if design_kind == "sobol":
                idx, notes = sobol_indices(self.runs, design, problem, self.headline, arm, fs.get("second_order", False), seed=int(self.spec.get("master_seed", 0)) % 2**32)
                name, a, b, ea, eb = "sobol_indices", "S1", "ST", "S1_conf", "ST_conf"
            else:
                idx, notes = morris_indices(self.runs, design, problem, self.headline, arm, fs.get("levels", 4), seed=int(self.spec.get("master_seed", 0)) % 2**32)
                name, a, b, ea, eb = "morris_indices", "mu_star", "sigma", "mu_star_conf", None
            self.notes += [f"sensitivity ({arm}): {n}" for n in notes]
            if idx.empty:
                parts.append(_note(f"{arm}: no index could be computed ({'; '.join(notes)})."))
                continue
            self.save(idx, name if len(self.arms) == 1 else f"{name}_{arm}")
            outs = list(dict.fromkeys(idx["outcome"]))
            fig = make_subplots(rows=math.ceil(len(outs) / 2), cols=2, subplot_titles=outs, vertical_spacing=0.5 / max(1, math.ceil(len(outs) / 2)))
            for i, o in enumerate(outs):
                g = idx[idx["outcome"] == o]
                fig.add_trace(go.Bar(name=a, x=g["factor"], y=g[a], marker_color=PALETTE[0], showlegend=i == 0, error_y=dict(type="data", array=g[ea])), i // 2 + 1, i % 2 + 1)
                fig.add_trace(go.Bar(name=b, x=g["factor"], y=g[b], marker_color=PALETTE[1], showlegend=i == 0,
                                     error_y=dict(type="data", array=g[eb]) if eb else None), i // 2 + 1, i % 2 + 1)
            fig.update_layout(barmode="group", height=360 * math.ceil(len(outs) / 2) + 60, margin=dict(l=10, r=10, t=40, b=20))
            what = ("First-order (S1) and total (ST) Sobol indices with 95% bootstrap CIs: S1 is the share of the outcome's variance a "
                    "factor explains alone, ST including its interactions." if design_kind == "sobol" else
                    "Morris screening: μ* (mean absolute elementary effect, 95% CI) ranks influence; σ large relative to μ* flags "
                    "non-linearity or interactions.")
            parts.append((f"<h3>{html.escape(arm)}</h3>" if len(self.arms) > 1 else "") + _fig_html(fig) + f"<p>{what} Table: <code>tables/{name}.csv</code>.</p>"
                         + self._noise_note(arm, outs))
        return "".join(parts)

    def _noise_note(self, arm: str, outs: list[str]) -> str:
        """How much of the variance the indices decompose is run-to-run noise rather than the factors."""
        runs = self.runs[self.runs["arm"] == arm]
        reps = runs.groupby("point_key").size()
        if reps.min() < 2:
            return _note("One replication per design point: run-to-run noise is counted as if a factor caused it (it raises "
                         "every ST a little); with replications >= 2 this report measures it.")
        shares = []
        for o in outs:
            g = runs.groupby("point_key")[o]
            noise = float((g.var(ddof=1) / g.size()).mean())
            total = float(g.mean().var(ddof=1))
            shares.append(f"{o} {noise / total:.1%}" if total > 0 else f"{o} n/a")
        return _note("Share of the variance of the replication means that is run-to-run noise: " + ", ".join(shares) + ".")

    def daily(self) -> str:
        if not self.spec.get("daily"):
            return _note("Not kept: the spec has daily = false.")
        arms = self.arms[:MAX_DAILY_ARMS]
        d = self.store.read_daily(list(DAILY_COLUMNS), current=True)
        d = d[d["arm"].isin(arms)]
        cols = [c for c in DAILY_COLUMNS if c in d]
        if d.empty or not cols:
            return _note("No daily series stored.")
        if self.multi_point:
            self.notes.append("daily series are pooled over design points")
        q = d.groupby(["arm", "day"])[cols]
        mean, lo, hi = q.mean(), q.quantile(0.1), q.quantile(0.9)
        out = mean.add_prefix("mean_").join(lo.add_prefix("p10_")).join(hi.add_prefix("p90_")).reset_index()
        self.save(out, "daily_bands")
        step = max(1, int(math.ceil(out["day"].nunique() / 240)))
        fig = make_subplots(rows=math.ceil(len(cols) / 2), cols=2, subplot_titles=cols, vertical_spacing=0.4 / max(1, math.ceil(len(cols) / 2)))
        for i, c in enumerate(cols):
            for arm in arms:
                g = out[(out["arm"] == arm) & (out["day"] % step == 0)]
                color = self.colors[arm]
                r, c_ = i // 2 + 1, i % 2 + 1
                fig.add_trace(go.Scatter(x=np.r_[g["day"], g["day"][::-1]], y=np.round(np.r_[g[f"p90_{c}"], g[f"p10_{c}"][::-1]], 4), fill="toself",
                                         fillcolor=color, opacity=0.15, line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=arm), r, c_)
                fig.add_trace(go.Scatter(x=g["day"], y=np.round(g[f"mean_{c}"], 4), mode="lines", line=dict(color=color, width=1.5), name=arm,
                                         legendgroup=arm, showlegend=i == 0), r, c_)
        fig.update_layout(height=300 * math.ceil(len(cols) / 2) + 60, margin=dict(l=10, r=10, t=40, b=20))
        fig.update_xaxes(title_text="day")
        warm = self.store.read_daily(["warmup"], current=True)  # older sweeps have no such column
        flagged = warm.loc[warm["warmup"] > 0, "day"] if "warmup" in warm else pd.Series(dtype=float)
        warm_days = int(flagged.max()) + 1 if len(flagged) else 0
        if warm_days:  # summary figures count only cases arriving after this band
            fig.add_vrect(x0=0, x1=warm_days, fillcolor="#888", opacity=0.12, line_width=0, row="all", col="all")
        more = f" The first {MAX_DAILY_ARMS} of {len(self.arms)} arms are drawn." if len(self.arms) > MAX_DAILY_ARMS else ""
        shaded = f" Grey: the warm-up (days 0–{warm_days}); summary figures count only cases arriving after it." if warm_days else ""
        return _fig_html(fig) + (f"<p>Line: mean over replications; band: 10th–90th percentile across replications (every {step} day(s) drawn).{more}{shaded} "
                                 "Click a legend entry to hide an arm. Table: <code>tables/daily_bands.csv</code>.</p>")

    def ema(self) -> tuple[str, Path]:
        folder = self.folder / "ema"
        ema_export(self.runs, self.factors, self.outcomes, folder)
        return (("<p>Wrote <code>ema/experiments.csv</code> and <code>ema/outcomes.csv</code> (and .parquet), one row per successful run in the "
                 "same order: factors, reform switches, <code>policy</code> (arm), <code>scenario</code> (design point), replication and seed; "
                 "and every outcome. For PRIM in EMA Workbench:</p><pre>import pandas as pd\nfrom ema_workbench.analysis import prim\n"
                 "x = pd.read_csv('ema/experiments.csv')\ny = pd.read_csv('ema/outcomes.csv')['relief_rate_nonessential']\n"
                 "box = prim.Prim(x.drop(columns=['model']), (y &lt; y.quantile(0.25)).to_numpy(), threshold=0.8).find_box()</pre>"), folder)

    def failures(self) -> str:
        failed = self.all_runs[self.all_runs["status"] != "ok"]
        if failed.empty:
            return "<p>None: every run succeeded.</p>"
        t = failed[["run_id", "arm", "point", "replication", "seed", "error"]]
        self.save(failed[["run_id", "arm", "point", "replication", "seed", "error", "traceback"]], "failures")
        first = html.escape(str(failed["traceback"].iloc[0]))
        return (f"<p>{len(failed)} runs failed; <code>leniency sweep SPEC --out DIR --resume</code> retries them.</p>" + _table_html(t)
                + f"<details><summary>First traceback</summary><pre>{first}</pre></details>")


# The finding stated first: one place names the figures it rests on (model v2's relief initiations by class).
FINDING_TARGET = "relief_initiations_per_100_nonessential"
FINDING_ALSO = (
    ("hours_per_case_total", "hours per case"),
    ("relief_initiations_per_100_essential_avoidable", "avoidable essential relief per 100"),
    ("relief_initiations_per_100_essential_unavoidable", "unavoidable essential relief per 100"),
    ("undetected_involuntary_per_100", "undetected involuntary pleas per 100"),
)


def finding(runs: pd.DataFrame, baseline: str) -> str:
    """A plain-language summary computed from the data: which arm cuts non-essential relief most, by how much (95 %
    CI, paired on seeds), at what change in hours, and what it does to essential relief and undetected coercion."""
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
    sig = "" if best["significant"] else " (not distinguishable from no change at this number of replications)"
    text = (
        f"<p class='finding'><b>Finding.</b> Of the arms compared with <i>{_esc(baseline)}</i>, "
        f"<b>{_esc(arm)}</b> {verb} non-essential relief most: {base:.2f} → {base + best['mean_diff']:.2f} initiations "
        f"per 100 leniency cases ({best['mean_diff']:+.2f}, 95 % CI {best['ci_low']:+.2f} to {best['ci_high']:+.2f}){sig}."
    )
    mine = diffs[diffs["arm"] == arm].set_index("outcome")
    parts = [
        f"{label} {mine.loc[k, 'mean_diff']:+.2f} [{mine.loc[k, 'ci_low']:+.2f}, {mine.loc[k, 'ci_high']:+.2f}]"
        for k, label in FINDING_ALSO
        if k in mine.index
    ]
    if parts:
        text += " Against the baseline it changes " + "; ".join(parts) + "."
    rest = [f"{_esc(r['arm'])} {r['mean_diff']:+.2f}" for _, r in target.iloc[1:].iterrows()]
    if rest:
        text += " The other arms change non-essential relief by: " + ", ".join(rest) + " per 100."
    return text + "</p>"


def build_report(folder: str | Path, html_path: Path | None = None, outcomes: list[str] | None = None) -> Written:
    """Analyse a sweep folder; write report.html, tables/*.csv and ema/*."""
    from plotly.offline import get_plotlyjs

    folder = Path(folder)
    b = _Builder(folder, outcomes)
    bodies: dict[str, str] = {}
    ema_dir = folder / "ema"
    for key, _title in SECTIONS:
        try:
            if key == "ema":
                bodies[key], ema_dir = b.ema()
            else:
                bodies[key] = {
                    "overview": b.overview, "arm-means": b.arm_means, "paired-differences": b.paired, "relief-by-type": b.relief,
                    "hours": b.hours, "trade-off": b.tradeoff, "factor-effects": b.factor_effects, "sensitivity": b.sensitivity,
                    "daily": b.daily, "failures": b.failures,
                }[key]()
        except Exception as exc:  # a broken section must not cost the others
            b.notes.append(f"section {key} failed: {type(exc).__name__}: {exc}")
            bodies[key] = _note(f"This section could not be built: {type(exc).__name__}: {exc}")
    try:
        lead = finding(b.runs, b.baseline)
    except Exception as exc:  # the finding must not cost the report
        b.notes.append(f"finding failed: {type(exc).__name__}: {exc}")
        lead = ""
    shown = [(k, t) for k, t in SECTIONS if not bodies[k].startswith("<p class='note'>Not ")]  # leave out n/a
    toc = "".join(f"<li><a href='#{k}'>{t}</a></li>" for k, t in shown)
    sections = "".join(f"<section id='{k}'><h2>{t}</h2>{bodies[k]}</section>" for k, t in shown)
    title = f"leniency-sim sweep report: {b.meta.get('name', folder.name)}"
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 2em; color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 1px solid #ccc; padding-top: .6em; }}
table.tbl, table.kv {{ border-collapse: collapse; font-size: .85em; margin: .5em 0; }}
.tbl th, .tbl td, .kv th, .kv td {{ border: 1px solid #ddd; padding: 2px 6px; text-align: left; }}
.kv th {{ background: #f4f4f4; }} .note {{ color: #666; font-style: italic; }}
pre {{ background: #f7f7f7; padding: .6em; overflow-x: auto; font-size: .85em; }}
nav ol {{ columns: 2; }} .scroll {{ overflow-x: auto; max-height: 32em; }}
.finding {{ font-size: 1.05em; background: #f3f7fb; padding: .6em .9em; border-left: 4px solid #2171b5; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>{_esc(title)}</h1>
{lead}
<nav><ol>{toc}</ol></nav>
{sections}
</body></html>
"""
    out = html_path or folder / "report.html"
    atomic_write_text(out, doc)
    return Written(out, b.tables_dir, ema_dir, b.tables, b.notes)


def _esc(text: str) -> str:
    return html.escape(text)
