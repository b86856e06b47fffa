"""The one Markdown table writer used by every table the project writes (fit table, validation,
comparisons)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def markdown_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table as lines: header, rule, one line per row (cells as ``str``)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def metric_words(metric: str) -> str:
    """A metric's meaning in words for the console, from its one description in ``METRICS``: asides in
    parentheses dropped, 'a / b' read as 'a, of b' (a share) or 'a per b'. Empty for an unknown name."""
    import re

    from sim.model.metrics import METRICS

    m = METRICS.get(metric)
    if m is None:
        return ""
    text = m.description
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\s*\([^()]*\)", "", text)
    text = text.replace(" / ", ", of " if m.unit == "share" else " per ")
    return re.sub(r"\s+", " ", text).strip()
