"""Plotly charts of the page. They read the model's DataCollector (the daily reporters the CLI writes as
``daily``) and ``model.summary()`` (the metrics of ``sim.model.metrics``): the app never computes a metric
itself.

With a baseline twin (side by side), each panel overlays the baseline as dashed lines on the same axes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import solara

from sim.app.model import AppModel
from sim.app.plot import LiveFigure, Spec
from sim.model import LeniencyModel
from sim.model.ledger import ACTORS
from sim.model.metrics import METRICS
from sim.model.relief import Reason, ReliefType

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def series(model: LeniencyModel, key: str) -> np.ndarray:
    """One daily reporter as collected so far (the same column ``leniency run`` writes to daily.parquet)."""
    return np.asarray(model.datacollector.model_vars.get(key, ()), dtype=float)


def plain(a: np.ndarray) -> list[float | None]:
    """A JSON-safe list: NaN (a rate with nothing to divide by yet) becomes a gap."""
    return [None if v != v else v for v in a.tolist()]


def _days(model: LeniencyModel) -> np.ndarray:
    return series(model, "day")


@dataclass(frozen=True)
class Panel:
    """One panel of the charts figure: (label, daily reporter) lines, cumulated or not."""

    title: str
    ytitle: str
    keys: tuple[tuple[str, str], ...]
    cumulative: bool = False
    share: bool = False


PANELS: tuple[Panel, ...] = (
    Panel(
        "Essential vs non-essential relief (cumulative)",
        "events",
        (("essential", "relief_essential_today"), ("non-essential", "relief_nonessential_today")),
        cumulative=True,
    ),
    Panel(
        "Relief initiated, by type (cumulative)",
        "events",
        tuple((t.name.lower().replace("_", " "), f"relief_{t.name.lower()}_today") for t in ReliefType),
        cumulative=True,
    ),
    Panel(
        "Application and adoption rates",
        "share",
        (("application rate", "application_rate"), ("adoption rate", "adoption_rate")),
        share=True,
    ),
    Panel(
        "Resource hours, by actor (cumulative)",
        "hours",
        tuple((a, f"hours_{a}_today") for a in ACTORS),
        cumulative=True,
    ),
    Panel(
        "Backlog: cases in each stage",
        "cases",
        (
            ("investigation", "in_investigation"),
            ("review", "in_review"),
            ("trial", "in_trial"),
            ("appeal", "in_appeal"),
        ),
    ),
    Panel(
        "Work queued, by actor (days of capacity)", "days", tuple((a, f"backlog_days_{a}") for a in ACTORS)
    ),
)
COLS = 2
CHARTS_HEIGHT = 1130


LEGEND_SPACE = 0.16  # share of the width right of each panel kept for its legend (off the curves)


def _domains(i: int) -> tuple[list[float], list[float]]:
    rows = -(-len(PANELS) // COLS)
    r, c = divmod(i, COLS)
    gap_x, gap_y = 0.05, 0.075
    w = (1 - gap_x * (COLS - 1)) / COLS - LEGEND_SPACE
    h = (1 - gap_y * (rows - 1)) / rows
    x0 = c * (w + LEGEND_SPACE + gap_x)
    y1 = 1 - r * (h + gap_y)
    return [x0, x0 + w], [y1 - h, y1]


def charts_figure(model: AppModel) -> Spec:
    """The six panels in one figure (one widget: each Plotly widget costs ~5 MB of front end to load).

    With a baseline twin, its lines are dashed, in the same colour, in the same panel.
    """
    runs: list[tuple[LeniencyModel, str]] = [(model, "")]
    if model.baseline is not None:
        runs.append((model.baseline, " (baseline)"))
    data: list[dict[str, object]] = []
    layout: dict[str, object] = {
        "height": CHARTS_HEIGHT,
        "margin": {"l": 50, "r": 10, "t": 60, "b": 30},
        "uirevision": "keep",
        "showlegend": True,
        "hovermode": "x unified",
    }
    annotations = []
    for i, panel in enumerate(PANELS):
        n = "" if i == 0 else str(i + 1)
        xd, yd = _domains(i)
        layout[f"xaxis{n}"] = {"domain": xd, "anchor": f"y{n}", "title": {"text": "day", "standoff": 2}}
        layout[f"yaxis{n}"] = {
            "domain": yd,
            "anchor": f"x{n}",
            "title": {"text": panel.ytitle},
            **({"range": [0, 1.02]} if panel.share else {"rangemode": "tozero"}),
        }
        # each legend sits right of its panel, never on the curves; the baseline's dashed twins share its
        # entries
        layout[f"legend{n}"] = {
            "x": xd[1] + 0.008,
            "y": yd[1],
            "xanchor": "left",
            "yanchor": "top",
            "font": {"size": 9},
            "tracegroupgap": 0,
        }
        annotations.append(
            {
                "text": f"<b>{panel.title}</b>",
                "x": xd[0],
                "y": yd[1] + 0.012,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 12},
            }
        )
        for m, suffix in runs:
            x = _days(m).tolist()
            for j, (label, key) in enumerate(panel.keys):
                y = series(m, key)
                if panel.cumulative:
                    y = np.cumsum(y)
                data.append(
                    {
                        "type": "scatter",
                        "x": x,
                        "y": plain(y),
                        "mode": "lines",
                        "name": label + suffix,
                        "xaxis": f"x{n}",
                        "yaxis": f"y{n}",
                        "legend": f"legend{n}",
                        "showlegend": not suffix,
                        "legendgroup": f"{n}-{label}",
                        "hovertemplate": "%{y:.3~f}",
                        "line": {
                            "color": PALETTE[j % len(PALETTE)],
                            "dash": "dash" if suffix else "solid",
                            "width": 1.5 if suffix else 2,
                        },
                    }
                )
    layout["annotations"] = annotations
    who = (
        (
            "solid: with "
            + ", ".join(r.replace("_", " ") for r in model.reforms)
            + "; dashed: baseline, same seed"
        )
        if model.baseline is not None
        else "baseline"
    )
    layout["title"] = {"text": f"Day {model.day} — {who}", "font": {"size": 13}, "x": 0.01}
    return {"data": data, "layout": layout}


@solara.component
def Charts(model: AppModel, tick: int = 0) -> None:
    """Relief, rates, resources and backlog over time, from the model's DataCollector."""
    LiveFigure(charts_figure(model), name="charts")


# The figures a class looks at first; their definitions (and units) come from sim.model.metrics.METRICS.
KEY_METRICS: tuple[str, ...] = (
    "cases_arrived",
    "leniency_cases",
    "application_rate",
    "adoption_rate",
    "involuntary_plea_rate",
    "involuntary_detected_share",
    "withdrawal_rate",
    "appeal_rate",
    "technical_appeal_rate",
    "protest_rate",
    "relief_rate_essential",
    "relief_rate_nonessential",
    "hours_per_case_total",
    "detention_days_per_case",
)


def _fmt(value: float, unit: str) -> str:
    if value != value:  # NaN: nothing to divide by yet
        return "–"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "cases":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def summary_rows(model: AppModel, keys: tuple[str, ...] = KEY_METRICS) -> list[dict[str, str]]:
    """Metrics of the model (and of its baseline twin), formatted with the units of METRICS."""
    now = model.summary()
    base = model.baseline.summary() if model.baseline is not None else None
    rows = []
    for key in keys:
        m = METRICS[key]
        row = {
            "key": key,
            "metric": key.replace("_", " "),
            "unit": m.unit,
            "value": _fmt(now[key], m.unit),
            "description": m.description,
        }
        if base is not None:
            row["baseline"] = _fmt(base[key], m.unit)
        rows.append(row)
    return rows


REASON_KEYS: tuple[str, ...] = tuple(f"relief_rate_reason_{r.name.lower()}" for r in Reason)


_NUM = "text-align: right; padding-left: 8px; font-variant-numeric: tabular-nums"


def _table(rows: list[dict[str, str]], twin: bool, label: str = "metric", strip: str = "") -> str:
    head = (
        f"<tr><th style='text-align:left'>{label}</th><th style='{_NUM}'>"
        + ("with reforms" if twin else "value")
        + "</th>"
    )
    head += f"<th style='{_NUM}'>baseline</th>" if twin else ""
    head += "<th style='text-align:left; padding-left: 8px'>unit</th></tr>"
    body = "".join(
        f"<tr><td title='{html.escape(r['description'], quote=True)}'>"
        f"{html.escape(r['metric'].removeprefix(strip))}</td>"
        f"<td style='{_NUM}'>{r['value']}</td>"
        + (f"<td style='{_NUM}'>{r['baseline']}</td>" if twin else "")
        + f"<td style='padding-left: 8px'>{r['unit']}</td></tr>"
        for r in rows
    )
    return head + body


@solara.component
def SummaryTable(model: AppModel, tick: int = 0) -> None:
    """Key summary metrics so far, as ``leniency run`` reports them, and relief by reason; hover a name for
    its definition."""
    twin = model.baseline is not None
    note = (
        f"Same seed ({model.seed}), same arriving cases; the baseline has no reforms."
        if twin
        else "Tick a reform (with side by side on) and press Reset to compare with the baseline on the same "
        "cases."
    )
    reasons = summary_rows(model, REASON_KEYS)
    for r in reasons:
        r["metric"] += " (essential)" if "(essential)" in r["description"] else ""
    style = "font-size: 12px; width: 100%; border-collapse: collapse"
    with solara.Column(
        style={"padding": "6px", "overflow": "auto", "height": f"{CHARTS_HEIGHT}px"},
        classes=["leniency-summary"],
    ):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<b>Summary metrics, day {model.day}</b><br>{note}",
            style="font-size: 13px",
        )
        solara.HTML(tag="table", unsafe_innerHTML=_table(summary_rows(model), twin), style=style)
        solara.HTML(
            tag="div",
            unsafe_innerHTML="<b>Relief per 100 leniency cases, by reason</b>",
            style="font-size: 13px; margin-top: 8px",
        )
        solara.HTML(
            tag="table", unsafe_innerHTML=_table(reasons, twin, "reason", "relief rate reason "), style=style
        )
