"""The published national figures by year (``experiments/calibration/published.toml``), each marked in or out
of the calibration's sample: one data place for every table that sets the model beside them (the history
table, the early-2019 comparison), so a figure or its mark cannot differ between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from sim.experiments.design.file import SpecError, StrictSpec, load_spec_file, validate_spec
from sim.fitting.targets import ROOT
from sim.model.metrics import METRICS

PUBLISHED_PATH = ROOT / "experiments" / "calibration" / "published.toml"
Sample = Literal["in", "soft", "out"]
MARKS: dict[str, str] = {"in": "●", "soft": "◐", "out": "○"}
MARK_WORDS: dict[str, str] = {
    "in": "a calibration target was fitted to it (in sample)",
    "soft": "inside a soft, wide target band of the fit: the level is in sample, the path over years is not",
    "out": "no calibration target used it (out of sample)",
}


class FigureEntry(StrictSpec):
    """One [[figure]]: a published figure of one year, as the source states it."""

    metric: str
    year: int = Field(ge=1990, le=2100)
    text: str = Field(min_length=1)
    value: float
    sample: Sample
    source: str = Field(min_length=1)


class PublishedFile(StrictSpec):
    """The file's top level: [[figure]] entries, each validated on its own so an error names it."""

    figure: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True)
class Published:
    """A published figure: the metric it is compared with, its year, its words and number, in or out of
    sample."""

    metric: str
    year: int
    text: str
    value: float
    sample: Sample
    source: str

    @property
    def marked(self) -> str:
        """The text with its sample mark, as the tables show it."""
        return f"{MARKS[self.sample]} {self.text}"


def load_published(path: str | Path = PUBLISHED_PATH) -> tuple[Published, ...]:
    """Every figure of the file, checked (unknown keys, a metric the model does not define, a bad mark) so a
    typo fails here, naming the entry, rather than leaving a row blank."""
    figures = []
    for i, raw in enumerate(load_spec_file(path, PublishedFile).figure, 1):
        e = validate_spec(FigureEntry, raw, f"{path}: [[figure]] #{i}")
        if e.metric not in METRICS:
            raise SpecError(f"{path}: [[figure]] #{i}: unknown metric {e.metric!r}")
        figures.append(Published(e.metric, e.year, e.text, e.value, e.sample, e.source))
    return tuple(figures)


def of_year(figures: Sequence[Published], year: int) -> dict[str, Published]:
    """The figures of one year by metric (the first when a metric has two)."""
    out: dict[str, Published] = {}
    for f in figures:
        if f.year == year:
            out.setdefault(f.metric, f)
    return out
