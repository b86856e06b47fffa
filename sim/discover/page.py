"""What ``leniency discover`` writes: the chosen box as a plain sentence, CSV tables, and its own HTML page
(the coverage-density trade-off, the box with its quasi-p-values, its stability, CART's leaves)."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.discover.boxes import MASS_MIN, PEEL_ALPHA, Box, Discovery
from sim.discover.expr import Condition
from sim.engine.outdir import GENERATOR

LABELS = {
    "relief_initiations_per_100_nonessential": "non-essential relief",
    "relief_initiations_per_100_essential_avoidable": "avoidable essential relief",
    "relief_initiations_per_100_essential_unavoidable": "unavoidable essential relief",
}
TABLES = ("trajectory.csv", "box.csv", "stability.csv", "cart.csv")
FILES = ("discover.html", *TABLES)


def label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("_", " "))


def words(name: str) -> str:
    """A dotted parameter key in words: power.information_asymmetry -> information asymmetry."""
    return name.rsplit(".", 1)[-1].replace("_", " ")


def pct(v: float) -> str:
    return f"{100 * v:.0f} %"


def subject(c: Condition) -> str:
    if c.reform is None:
        return f"{label(c.metric)} is {c.op} {c.value:g}"
    if c.value == 0 and c.op in (">", ">="):
        return f"{c.reform} raises {label(c.metric)}"
    if c.value == 0:
        return f"{c.reform} lowers {label(c.metric)}"
    if c.op in (">", ">=") and c.value > 0:
        return f"{c.reform} raises {label(c.metric)} by more than {c.value:g}"
    if c.op in ("<", "<=") and c.value < 0:
        return f"{c.reform} lowers {label(c.metric)} by more than {-c.value:g}"
    return f"{c.reform}'s effect on {label(c.metric)} is {c.op} {c.value:g}"


def where(box: Box) -> str:
    parts = []
    for lim in box.limits:
        if lim.low is not None and lim.high is not None:
            parts.append(f"{words(lim.name)} is between {lim.low:.2g} and {lim.high:.2g}")
        elif lim.low is not None:
            parts.append(f"{words(lim.name)} > {lim.low:.2g}")
        elif lim.high is not None:
            parts.append(f"{words(lim.name)} < {lim.high:.2g}")
    if not parts:
        return "everywhere in the ranges"
    return "where " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])


def sentence(d: Discovery) -> str:
    """The chosen box in one sentence: the issue's "X raises Y where A > a and B > b: 81 % of such worlds,
    12 % of the space"."""
    b = d.box
    return (
        f"{subject(d.worlds.condition)} {where(b)}: {pct(b.density)} of such worlds, {pct(b.mass)} of the "
        f"space ({pct(b.coverage)} of all the worlds where it does; {pct(d.share)} of all worlds)."
    )


def box_table(box: Box) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "uncertainty": lim.name,
                "min": lim.low,
                "max": lim.high,
                "qp_min": lim.qp_low,
                "qp_max": lim.qp_high,
            }
            for lim in box.limits
        ],
        columns=["uncertainty", "min", "max", "qp_min", "qp_max"],
    )


def tables(d: Discovery) -> dict[str, pd.DataFrame]:
    return {
        "trajectory.csv": d.trajectory,
        "box.csv": box_table(d.box),
        "stability.csv": d.stability,
        "cart.csv": d.cart,
    }


def _tradeoff(d: Discovery) -> str:
    import plotly.graph_objects as go
    import plotly.io as pio

    t = d.trajectory
    fig = go.Figure()
    fig.add_scatter(
        x=t["coverage"],
        y=t["density"],
        mode="markers+lines",
        marker={"color": t["res_dim"], "colorscale": "Viridis", "showscale": True, "size": 8,
                "colorbar": {"title": "restricted<br>dimensions"}},
        text=[f"box {i}: mass {m:.2f}" for i, m in zip(t.index, t["mass"], strict=True)],
        name="peeling trajectory",
    )  # fmt: skip
    fig.add_scatter(
        x=[d.box.coverage], y=[d.box.density], mode="markers", name=f"chosen: box {d.box.index}",
        marker={"symbol": "circle-open", "size": 18, "color": "#d62728", "line": {"width": 3}},
    )  # fmt: skip
    fig.update_layout(
        xaxis_title="coverage", yaxis_title="density", height=460, width=760, legend={"x": 0.02, "y": 0.02}
    )
    return pio.to_html(fig, full_html=False, include_plotlyjs=True, config={"displaylogo": False})


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="", border=0)


def page(d: Discovery, sweep: Path) -> str:
    c = d.worlds.condition
    w = d.worlds
    outcome = (
        f"the paired per-world effect of arm <code>{html.escape(c.reform)}</code> against the baseline arm"
        if c.reform
        else f"arm <code>{html.escape(w.policy)}</code>'s own value"
    )
    spread = ""
    if len(d.resampled):
        q = d.resampled[["coverage", "density", "mass"]].quantile([0.05, 0.5, 0.95]).T
        q.columns = ["p5", "median", "p95"]
        spread = _table(q.reset_index(names="statistic"))
    constant = ", ".join(w.constant) or "none"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>discover: {html.escape(c.text)}</title>
<meta name="generator" content="{GENERATOR} {__version__}">
<style>body{{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}}
.s{{font-size:1.15em;background:#f4f7fb;padding:.6em}}</style></head><body>
<h1>Where does <code>{html.escape(c.text)}</code> hold?</h1>
<p>Sweep <code>{html.escape(str(sweep))}</code>: {len(w.y)} worlds; the outcome is {outcome} in
<code>{html.escape(c.metric)}</code>. The condition holds in {pct(d.share)} of them.
Uncertainties (EMA's name for the inputs PRIM may restrict): {
        ", ".join(f"<code>{html.escape(u)}</code>" for u in w.uncertainties)
    }. Left out as constant: {html.escape(constant)}.</p>
<p class="s">{html.escape(sentence(d))}</p>
<h2>Coverage against density (the peeling trajectory)</h2>
<p><b>Coverage</b>: of the worlds where the condition holds, the share inside the box. <b>Density</b>: of the
worlds inside the box, the share where it holds. <b>Mass</b>: the box's share of all worlds. PRIM (EMA
Workbench, peel alpha {PEEL_ALPHA}, minimum mass {
        MASS_MIN
    }) peels the space one slice at a time, trading coverage for
density; the chosen box has the highest coverage among those with density at least the threshold.</p>
{_tradeoff(d)}
<h2>The chosen box (box {d.box.index}: coverage {d.box.coverage:.2f}, density {d.box.density:.2f},
mass {d.box.mass:.2f})</h2>
<p>Quasi-p-value of a limit: the one-sided binomial probability of the box's density if the limit were dropped
(EMA); below 0.05 the restriction is unlikely to be chance.</p>
{_table(box_table(d.box))}
<h2>Stability under resampling</h2>
<p>PRIM on {len(d.resampled)} bootstrap resamples of the worlds, each box chosen by the same rule and measured
on all worlds: how often each uncertainty is restricted, and the spread of coverage, density and mass.</p>
{_table(d.stability)}
{spread}
<h2>CART (a second view)</h2>
<p>EMA Workbench's classification tree on the same worlds: each leaf with the share of worlds it holds.</p>
{_table(d.cart)}
<h2>Peeling trajectory</h2>
{_table(d.trajectory)}
</body></html>
"""


def write(d: Discovery, sweep: Path, folder: Path) -> None:
    for name, df in tables(d).items():
        df.to_csv(folder / name, index=False)
    (folder / "discover.html").write_text(page(d, sweep), encoding="utf-8")
