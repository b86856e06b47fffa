"""What every report section shares: the loaded sweep (``ReportContext``) and the HTML and Plotly formatting,
so the section modules only say what they show."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from sim.engine.store import ResultStore
from sim.model.metrics import METRICS
from sim.model.scenario import ScenarioError, reform_names

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
CONFIG = {"displaylogo": False, "responsive": True}
# The default look without the defaults for trace types the report never draws: 7 kB less JSON per figure.
TEMPLATE = go.layout.Template(
    layout=pio.templates["plotly"].layout,
    data={k: v for k, v in pio.templates["plotly"].data.to_plotly_json().items() if k in ("scatter", "bar")},
)
MAX_LEGEND = 16  # more entries than this and a legend would need its own scroll bar: label by hover instead
TITLE_CHARS = 30  # a subplot title longer than this wraps (two per row fit at 800 px)
LEGEND_ROW = 21  # pixels a vertical legend entry needs
NOT_SHOWN = (
    "<p class='note'>Not "  # a section body starting so does not apply to this experiment and is left out
)


def unit(metric: str) -> str:
    """' (unit)' for axis titles, empty for metrics without one."""
    m = METRICS.get(metric)
    return f" ({m.unit})" if m is not None and m.unit else ""


def short_label(arm: str) -> str:
    """Arm names joined with '+' (reform subsets) shortened to initials:
    'power_rebalancing+judgment_reasoning' -> 'PR+JR', so 64 subset arms fit on an axis."""
    if "+" not in arm and len(arm) <= 30:
        return arm
    return "+".join(initials(part) for part in arm.split("+"))


def initials(name: str) -> str:
    """'power_rebalancing' -> 'PR'."""
    return "".join(w[0].upper() for w in name.split("_") if w)


def esc(text: object) -> str:
    return html.escape(str(text))


def breakable(text: object) -> str:
    """Escaped text that may wrap after '_', '+' and '.': metric and arm names are long single words that
    would otherwise widen a table past the page."""
    return re.sub(r"([_+.])", r"\1<wbr>", esc(text))


def wrap_title(text: str, width: int = TITLE_CHARS) -> str:
    """A subplot title over two lines at most, broken after '_' or a space: a title sits centred over its
    subplot and would run into its neighbour's on a narrow page."""
    if len(text) <= width or "<br>" in text:
        return text
    cut = max(text.rfind(c, 0, width) for c in "_ ")
    return text if cut <= 0 else text[: cut + 1].rstrip() + "<br>" + text[cut + 1 :].lstrip()


def note(text: str) -> str:
    return f"<p class='note'>{esc(text)}</p>"


def legend_height(entries: int, margin: int = 120) -> int:
    """Figure height at which a vertical legend of this many entries fits beside the plot unscrolled."""
    return LEGEND_ROW * entries + margin


def _cell(value: Any) -> tuple[str, str]:
    """(html, css class) of one table cell: numbers right-aligned to 4 significant digits, names breakable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a", "num"
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), ""
    if isinstance(value, int | np.integer):
        return str(value), "num"
    if isinstance(value, float | np.floating):
        return f"{value:.4g}", "num"
    return breakable(value), ""


def table_html(df: pd.DataFrame, max_rows: int = 80, raw: tuple[str, ...] = ()) -> str:
    """A table that fits the page: headers and names wrap at '_', long tables scroll vertically in their box
    (the header stays in view); columns in ``raw`` hold trusted HTML. The full table is always in a CSV."""
    shown = df.head(max_rows)
    head = "".join(f"<th>{breakable(c)}</th>" for c in shown.columns)
    rows = []
    for rec in shown.itertuples(index=False):
        cells = []
        for col, v in zip(shown.columns, rec, strict=True):
            text, cls = (v, "") if col in raw else _cell(v)
            cells.append(f"<td class='{cls}'>{text}</td>" if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    tall = " tall" if len(shown) > 20 else ""
    more = f"<p class='note'>{len(df) - max_rows} more rows in the CSV.</p>" if len(df) > max_rows else ""
    return (
        f"<div class='tbl-wrap{tall}'><table class='tbl'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def grid_spacing(rows: int, row_h: int) -> float:
    """Vertical gap between subplot rows: room for a subplot title without crowding short figures."""
    return min(0.5 / max(1, rows), 90 / (row_h * rows))


class ReportContext:
    """One sweep folder loaded for reporting: successful runs, arms in spec order with colours and short
    labels, headline outcomes; sections save their CSV tables and notes here."""

    def __init__(self, folder: Path, outcomes: list[str] | None) -> None:
        self.folder = folder
        self.store = ResultStore(folder)
        self.meta: dict[str, Any] = self.store.meta()
        self.spec: dict[str, Any] = self.meta.get("spec", {})
        self.factors: list[str] = self.meta.get("factors", [])
        self.baseline: str = self.meta.get("baseline_arm") or ""
        self.all_runs = self.store.read_runs(current=True)
        self.stale = len(self.store.read_runs(["run_id"])) - len(self.all_runs)
        self.runs = self.all_runs[self.all_runs["status"] == "ok"].reset_index(drop=True)
        self.outcomes = [o for o in self.meta.get("outcomes", list(METRICS)) if o in self.runs]
        heads = outcomes or self.meta.get("headline") or []
        unknown = [h for h in heads if h not in METRICS]
        if unknown:
            raise ScenarioError(
                f"--outcomes: unknown metric {unknown[0]!r}; allowed: any of sim.model.metrics.METRICS"
            )
        self.headline = [h for h in heads if h in self.runs] or self.outcomes[:6]
        order = [a for a in self.meta.get("arms", []) if a in set(self.runs["arm"])]
        self.arms: list[str] = order + [a for a in self.runs["arm"].unique() if a not in order]
        if self.baseline not in self.arms and self.arms:
            self.baseline = self.arms[0]
        self.colors = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(self.arms)}
        self.short = {a: short_label(a) for a in self.arms}
        self.tables_dir = folder / "tables"
        self.tables_dir.mkdir(exist_ok=True)
        self.tables: list[Path] = []
        self.notes: list[str] = []
        self.trace_types: set[str] = set()  # what the figures draw: decides which plotly.js bundle is enough
        self.multi_point = bool(self.runs["point"].nunique() > 1) if len(self.runs) else False
        if self.stale:
            self.notes.append(
                f"{self.stale} stored runs belong to scenarios the spec no longer resolves to "
                "(changed arms or parameters) and are left out"
            )

    @property
    def xlabels(self) -> list[str]:
        return [self.short[a] for a in self.arms]

    def grid(self) -> tuple[int, int]:
        """Columns and row height of per-outcome charts: one column, taller rows when there are many arms."""
        n = len(self.arms)
        return (2 if n <= 12 else 1), max(260, 14 * n + 80)

    def legend_note(self) -> str:
        if all(self.short[a] == a for a in self.arms):
            return ""
        codes = ", ".join(f"{initials(r)} = {r}" for r in reform_names())
        return f"<p class='note'>Arm labels in charts abbreviate reforms: {esc(codes)}.</p>"

    def save(self, df: pd.DataFrame, name: str) -> Path:
        p = self.tables_dir / f"{name}.csv"
        df.to_csv(p, index=False)
        self.tables.append(p)
        return p

    def fig(self, fig: go.Figure) -> str:
        """The figure as an HTML fragment (the page inlines plotly.js once); its trace types are recorded."""
        self.trace_types.update(t.type for t in fig.data)
        fig.update_layout(template=TEMPLATE)
        fig.for_each_annotation(lambda a: a.update(text=wrap_title(a.text)) if a.text else None)
        return pio.to_html(fig, full_html=False, include_plotlyjs=False, config=CONFIG)
