"""Plotly charts of the page. They read the model's DataCollector (the daily reporters the CLI writes as
``daily``) and ``model.summary()`` (the metrics of ``sim.metrics``): the app never computes a metric itself.

With a baseline twin (side by side), each chart overlays the baseline as dashed lines on the same axes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from sim.app_model import AppModel
from sim.app_plot import LiveFigure, Spec
from sim.metrics import ACTORS, METRICS, ReliefType
from sim.model import LeniencyModel

FIGURE_HEIGHT = 330
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def series(model: LeniencyModel, key: str) -> np.ndarray:
    """One daily reporter as collected so far (the same column ``leniency run`` writes to daily.parquet)."""
    return np.asarray(model.datacollector.model_vars.get(key, ()), dtype=float)


def plain(a: np.ndarray) -> list[float | None]:
    """A JSON-safe list: NaN (a rate with nothing to divide by yet) becomes a gap."""
    return [None if v != v else v for v in a.tolist()]


def _days(model: LeniencyModel) -> np.ndarray:
    return series(model, "day")


def _lines(
    model: AppModel,
    title: str,
    ytitle: str,
    keys: Sequence[tuple[str, str]],
    transform: Callable[[np.ndarray], np.ndarray] = lambda a: a,
) -> Spec:
    """Lines for (label, daily key) pairs; the baseline twin's as dashed lines of the same colour."""
    data: list[dict[str, object]] = []
    runs: list[tuple[LeniencyModel, str]] = [(model, "")]
    if model.baseline is not None:
        runs.append((model.baseline, " (baseline)"))
    for m, suffix in runs:
        x = _days(m)
        for i, (label, key) in enumerate(keys):
            data.append({
                "type": "scatter", "x": x.tolist(), "y": plain(transform(series(m, key))), "mode": "lines", "name": label + suffix, "legendgroup": label,
                "line": {"color": PALETTE[i % len(PALETTE)], "dash": "dash" if suffix else "solid", "width": 1.5 if suffix else 2},
            })
    who = " — solid: with " + ", ".join(r.replace("_", " ") for r in model.reforms) + "; dashed: baseline" if model.baseline is not None else ""
    layout = {
        "title": {"text": title + who, "font": {"size": 13}}, "height": FIGURE_HEIGHT, "margin": {"l": 50, "r": 10, "t": 40, "b": 10},
        "legend": {"font": {"size": 10}, "orientation": "h", "y": -0.25}, "xaxis": {"title": {"text": "day"}}, "yaxis": {"title": {"text": ytitle}}, "uirevision": "keep",
    }
    return {"data": data, "layout": layout}


def cumulative(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a)


def relief_by_type_figure(model: AppModel) -> Spec:
    keys = [(t.name.lower().replace("_", " "), f"relief_{t.name.lower()}_today") for t in ReliefType]
    return _lines(model, "Relief initiated by type (cumulative)", "events", keys, cumulative)


def essential_figure(model: AppModel) -> Spec:
    keys = [("essential", "relief_essential_today"), ("non-essential", "relief_nonessential_today")]
    return _lines(model, "Essential vs non-essential relief (cumulative)", "events", keys, cumulative)


def rates_figure(model: AppModel) -> Spec:
    spec = _lines(model, "Application and adoption rates", "share", [("application rate", "application_rate"), ("adoption rate", "adoption_rate")])
    spec["layout"]["yaxis"]["range"] = [0, 1.02]
    return spec


def hours_figure(model: AppModel) -> Spec:
    keys = [(a, f"hours_{a}_today") for a in ACTORS]
    return _lines(model, "Resource hours by actor (cumulative)", "hours", keys, cumulative)


def backlog_figure(model: AppModel) -> Spec:
    keys = [("investigation", "in_investigation"), ("review", "in_review"), ("trial", "in_trial"), ("appeal", "in_appeal")]
    return _lines(model, "Backlog: cases in each stage", "cases", keys)


def _chart(make: Callable[[AppModel], Spec], name: str) -> Callable[[AppModel], None]:
    @solara.component
    def Chart(model: AppModel) -> None:
        update_counter.get()
        LiveFigure(make(model), key_=id(model))

    Chart.__name__ = Chart.__qualname__ = name
    return Chart


ReliefByType = _chart(relief_by_type_figure, "ReliefByType")
EssentialRelief = _chart(essential_figure, "EssentialRelief")
Rates = _chart(rates_figure, "Rates")
Hours = _chart(hours_figure, "Hours")
Backlog = _chart(backlog_figure, "Backlog")

# The figures a class looks at first; their definitions (and units) come from sim.metrics.METRICS.
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


def summary_rows(model: AppModel) -> list[dict[str, str]]:
    """Key metrics of the model (and of its baseline twin), formatted with the units of METRICS."""
    now = model.summary()
    base = model.baseline.summary() if model.baseline is not None else None
    rows = []
    for key in KEY_METRICS:
        m = METRICS[key]
        row = {"metric": key.replace("_", " "), "unit": m.unit, "value": _fmt(now[key], m.unit), "description": m.description}
        if base is not None:
            row["baseline"] = _fmt(base[key], m.unit)
        rows.append(row)
    return rows


@solara.component
def SummaryTable(model: AppModel) -> None:
    """The key summary metrics so far, as ``leniency run`` reports them; hover a name for its definition."""
    update_counter.get()
    rows = summary_rows(model)
    twin = model.baseline is not None
    head = "<tr><th style='text-align:left'>metric</th><th>" + ("with reforms" if twin else "value") + "</th>"
    head += "<th>baseline</th>" if twin else ""
    head += "<th>unit</th></tr>"
    body = "".join(
        f"<tr><td title='{r['description']}'>{r['metric']}</td><td style='text-align:right'>{r['value']}</td>"
        + (f"<td style='text-align:right'>{r['baseline']}</td>" if twin else "")
        + f"<td>{r['unit']}</td></tr>"
        for r in rows
    )
    note = (
        f"Same seed ({model.seed}), same arriving cases; the baseline has no reforms."
        if twin
        else "Tick a reform with 'side by side' on to compare with the baseline on the same cases."
    )
    with solara.Column(style={"padding": "6px", "overflow": "auto", "height": f"{FIGURE_HEIGHT}px"}):
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>Summary metrics, day {model.day}</b> — {note}", style="font-size: 13px")
        solara.HTML(tag="table", unsafe_innerHTML=head + body, attributes={"class": "leniency-summary"}, style="font-size: 12px; width: 100%")
