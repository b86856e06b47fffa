"""Case flow: the defendants (Mesa agents on the model's lane space) drawn by stage, coloured by status.

Positions come from ``AppModel.space`` (a Mesa ``ContinuousSpace``, one lane per stage). It is drawn with
Plotly, not Mesa's space drawers: those render through Matplotlib (no tooltips) or Altair (a second chart
stack and its own front-end assets to serve offline), while Plotly gives hover tooltips, click-to-follow
and the same look as the charts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import solara
from mesa.visualization.utils import force_update

from sim.app.model import LANES, AppModel
from sim.app.plot import FitPlots, LiveFigure, Spec
from sim.model.docket import Docket

# Status of a case, in order of precedence (the first that applies), with its colour.
STATUS_COLOURS: dict[str, str] = {
    "protested": "#7f0000",
    "appealing": "#ff7f0e",
    "withdrawn": "#9467bd",
    "involuntary": "#d62728",
    "pleaded": "#1f77b4",
    "not pleaded": "#9e9e9e",
    "final": "#2ca02c",
    "acquitted": "#17becf",
    "not prosecuted": "#bcbd22",
}
_STATUS_HELP = {
    "protested": "the procuratorate protested the judgment",
    "appealing": "the defendant appealed",
    "withdrawn": "the defendant withdrew the plea",
    "involuntary": "signed a plea they would refuse with true beliefs and no pressure (ground truth, not "
    "yet caught)",
    "pleaded": "signed the plea agreement voluntarily",
    "not pleaded": "no plea agreement (yet, or contests the charge)",
}
FIGURE_HEIGHT = 620


def status_of(d: Docket, rows: np.ndarray) -> np.ndarray:
    """Status label of each in-flight case (first rule that applies)."""
    conds = [
        d.protested[rows],
        d.appealed[rows],
        d.withdrawn[rows],
        d.signed[rows] & d.involuntary[rows] & ~d.found_involuntary[rows],
        d.signed[rows],
    ]
    return np.select(conds, ["protested", "appealing", "withdrawn", "involuntary", "pleaded"], "not pleaded")


def tooltips(d: Docket, rows: np.ndarray, lanes: list[str], status: list[str], day: int) -> list[str]:
    """Hover text of each case, built from docket columns in one pass (a record per case would be slow)."""
    cols = {
        c: getattr(d, c)[rows].tolist()
        for c in ("case_id", "arrival", "detained", "rec", "discount", "belief_T", "base", "sentence")
    }
    out = []
    for i in range(len(rows)):
        parts = [
            f"<b>Case {cols['case_id'][i]}</b> · {lanes[i]} · {status[i]}",
            f"arrived day {cols['arrival'][i]} ({day - cols['arrival'][i]} days ago)",
            "detained" if cols["detained"][i] else "at liberty",
        ]
        if cols["rec"][i] > 0:
            parts.append(f"offer {cols['rec'][i]:.1f} months ({100 * cols['discount'][i]:.0f}% off)")
            parts.append(f"believed trial {cols['belief_T'][i]:.1f} mo · truth {cols['base'][i]:.1f} mo")
        if cols["sentence"][i] > 0:
            parts.append(f"sentence {cols['sentence'][i]:.1f} months")
        parts.append(_STATUS_HELP.get(status[i], ""))
        out.append("<br>".join(p for p in parts if p))
    return out


def flow_figure(model: AppModel) -> Spec:
    """The lanes figure: one trace per status so the legend explains the colours."""
    d = model.docket
    agents = [a for a in model.defendants() if a.pos is not None]
    data: list[dict[str, Any]] = []
    if agents:
        rows = np.fromiter((a.row for a in agents), dtype=np.int64, count=len(agents))
        pos = np.array([a.pos for a in agents])
        status = status_of(d, rows)
        lane_idx = np.clip(pos[:, 0].astype(int), 0, len(LANES) - 1)
        detained = d.detained[rows]
        ids = d.case_id[rows]
        for st in STATUS_COLOURS:
            sel = np.flatnonzero(status == st)
            if not len(sel):
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": pos[sel, 0].tolist(),
                    "y": pos[sel, 1].tolist(),
                    "mode": "markers",
                    "name": st,
                    "marker": {
                        "color": STATUS_COLOURS[st],
                        "size": 7,
                        "symbol": np.where(detained[sel], "square", "circle").tolist(),
                    },
                    "text": tooltips(
                        d, rows[sel], [LANES[k] for k in lane_idx[sel]], [st] * len(sel), model.day
                    ),
                    "hoverinfo": "text",
                    "customdata": ids[sel].tolist(),
                }
            )
        hit = np.flatnonzero(ids == model.followed)
        if len(hit):
            i = hit[0]
            data.append(
                {
                    "type": "scatter",
                    "x": [float(pos[i, 0])],
                    "y": [float(pos[i, 1])],
                    "mode": "markers",
                    "name": "followed case",
                    "marker": {
                        "size": 16,
                        "color": "rgba(0,0,0,0)",
                        "line": {"width": 2.5, "color": "black"},
                    },
                    "hoverinfo": "skip",
                    "customdata": [int(ids[i])],
                }
            )
    closed = list(model.recent_closed)
    if closed:
        n = len(closed)
        cols = 4
        states = [c["state"].replace("_", " ") for c in closed]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "closed",
                "x": [len(LANES) - 1 + 0.1 + 0.8 * ((k % cols) + 0.5) / cols for k in range(n)],
                "y": [((k // cols) + 0.5) / max(1, -(-n // cols)) for k in range(n)],
                "marker": {
                    "color": [STATUS_COLOURS.get(s, "#2ca02c") for s in states],
                    "size": 7,
                    "symbol": "circle-open",
                },
                "text": [
                    f"<b>Case {c['case_id']}</b> · closed day {c['day']} · {s}"
                    for c, s in zip(closed, states, strict=True)
                ],
                "hoverinfo": "text",
                "customdata": [c["case_id"] for c in closed],
            }
        )
    counts = model.state_counts()
    sample = model.defendant_agents.sample if model.defendant_agents is not None else 1
    sampled = f" (1 case in {sample} drawn)" if sample > 1 else ""
    in_lane = [
        counts["investigation"],
        counts["review"],
        counts["trial"],
        counts["appeal_window"] + counts["second_instance"],
        counts["final"] + counts["acquitted"] + counts["not_prosecuted"],
    ]
    layout = {
        "title": {
            "text": f"Case flow, day {model.day}: squares are detained; click a case to follow it{sampled}",
            "font": {"size": 13},
        },
        "height": FIGURE_HEIGHT,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.12, "font": {"size": 10}},
        "uirevision": "keep",
        "xaxis": {
            "range": [0, len(LANES)],
            "tickvals": [i + 0.5 for i in range(len(LANES))],
            "ticktext": [f"{name} ({n})" for name, n in zip(LANES, in_lane, strict=True)],
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {"range": [0, 1], "visible": False},
        "shapes": [
            {"type": "line", "x0": i, "x1": i, "y0": 0, "y1": 1, "line": {"color": "#ddd", "width": 1}}
            for i in range(1, len(LANES))
        ],
    }
    return {"data": data, "layout": layout}


@solara.component
def CaseFlow(model: AppModel, tick: int = 0) -> None:
    """Defendants in lanes by stage; clicking one follows its case in the story."""

    def on_click(case_id: Any) -> None:
        follow(model, int(case_id))

    LiveFigure(flow_figure(model), name="flow", on_click=on_click)
    FitPlots()


def follow(model: AppModel, case_id: int) -> None:
    """Follow a case in the story (from now on if it arrived before it was watched) and redraw."""
    model.followed = int(case_id)
    model.watch(int(case_id))
    force_update()
