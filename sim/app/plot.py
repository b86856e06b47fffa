"""A Plotly figure that updates in place: one FigureWidget per chart, new data pushed into its traces.

``solara.FigurePlotly`` rebuilds and re-validates every trace and the whole layout on each update, which
costs ~40 ms a chart at district scale; a step would then take far over the 200 ms the page aims at. Here a
chart is described as plain dicts and lists (``{"data": [...], "layout": {...}}``; no numpy arrays: plotly
sends those as typed-array dicts that the browser echoes back and FigureWidget then fails to merge); the
widget is made once and, while the traces keep their names, only their data and the title change (one
batched message to the browser).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipyvuetify as v
import plotly.graph_objects as go
import solara
import traitlets

Spec = dict[str, Any]
DATA_KEYS = ("x", "y", "text", "customdata", "marker", "line")


def apply_spec(fw: go.FigureWidget, spec: Spec, on_click: Callable[[Any], None] | None = None) -> None:
    """Bring a FigureWidget to ``spec``: in place when the trace names match, else by replacing the traces."""
    data = spec["data"]
    names = [t.get("name") for t in data]
    with fw.batch_update():
        if [t.name for t in fw.data] == names:
            for trace, new in zip(fw.data, data, strict=True):
                for k in DATA_KEYS:
                    if k in new:
                        trace[k] = new[k]
        else:
            fw.data = []
            fw.add_traces(data)
            fw.layout = spec.get("layout", {})
            _listen(fw, on_click)
        layout = spec.get("layout", {})
        for k in ("title", "xaxis", "width"):  # what changes from step to step; the rest is fixed at creation
            if k in layout:
                fw.layout[k] = layout[k]


def _listen(fw: go.FigureWidget, on_click: Callable[[Any], None] | None) -> None:
    if on_click is None:
        return

    def clicked(trace: Any, points: Any, _state: Any) -> None:
        if points.point_inds and trace.customdata is not None:
            on_click(trace.customdata[points.point_inds[0]])

    for t in fw.data:
        t.on_click(clicked)


@solara.component
def LiveFigure(spec: Spec, name: str, on_click: Callable[[Any], None] | None = None) -> None:
    """Show ``spec``; ``on_click(customdata)`` is called with the clicked point's customdata.

    The widget lives as long as the component: after Reset the new model's figure is pushed into the same
    widget. A new FigureWidget would ship the 5 MB Plotly front end again, and until the browser has built
    it the old view stays on screen. ``name`` labels the figure's box for width measurement (see
    ``FitPlots``).
    """
    width = plot_widths.value.get(name, 0)
    if width:
        spec = {**spec, "layout": {**spec.get("layout", {}), "width": width}}
    latest = solara.use_ref(on_click)
    latest.current = on_click  # handlers registered on the traces call the current model's callback

    def forward(value: Any) -> None:
        if latest.current is not None:
            latest.current(value)

    handler = forward if on_click is not None else None

    def make() -> go.FigureWidget:
        fw = go.FigureWidget(spec)
        _listen(fw, handler)
        return fw

    fw = solara.use_memo(make, [])
    apply_spec(fw, spec, handler)
    solara.Column(children=[fw], style={"width": "100%"}, classes=["leniency-fig", f"leniency-fig-{name}"])


# width of each named figure's box in the browser, px (absent: not measured yet)
plot_widths: solara.Reactive[dict[str, int]] = solara.reactive({})


class _FitPlots(v.VuetifyTemplate):
    """Measures how wide each figure's box is in the browser and reports it to Python (``plot_widths``).

    A FigureWidget sizes itself only through JupyterLab's layout messages, which Solara does not send, so
    it draws 700 px wide and spills out of Mesa's grid cells. Once a second this measures each
    ``.leniency-fig-<name>`` box and, when a width changed (first render, window or cell resized), reports
    them; the figures then set their layout width.
    """

    widths = traitlets.Dict({}).tag(sync=True)
    template = traitlets.Unicode("""
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    this.timer = setInterval(() => {
      const now = {};
      let changed = false;
      document.querySelectorAll('.leniency-fig').forEach((el) => {
        const cls = Array.from(el.classList).find((c) => c.startsWith('leniency-fig-'));
        if (!cls || el.clientWidth < 50) { return; }
        const name = cls.slice('leniency-fig-'.length);
        now[name] = el.clientWidth;
        if (Math.abs(el.clientWidth - (this.widths[name] || 0)) > 4) { changed = true; }
      });
      if (changed) { this.widths = now; }
    }, 1000);
  },
  destroyed() { clearInterval(this.timer); },
};
</script>
""").tag(sync=True)


@solara.component
def FitPlots() -> None:
    """Put once on the page: see ``_FitPlots``."""
    _FitPlots.element(widths=plot_widths.value, on_widths=plot_widths.set)
