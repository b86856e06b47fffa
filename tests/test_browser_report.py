"""The sweep report in a real browser: built from a tiny sweep, opened from disk in headless Chromium at 1280
px.

It must say the answer first, under its title (the finding, naming the arm that cuts non-essential relief
most with its CI, then the trade-off chart), fit the page (no table wider than its box, no legend with its
own scroll bar), label the daily series and shade their warm-up, and render offline with a clean console (no
error and no warning; Plotly warns through console.trace). A screenshot of the first screen goes to
test-artifacts/browser_report.png."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from browser_helpers import (
    ARTIFACTS,
    browser_page,
    chromium_available,
    first_text,
    overflowing_tables,
    scrolling_legends,
    wait_for_plotly,
)
from test_sweep_support import sweep_in_process, tiny_spec

from sim.experiments.report.page import FINDING_TARGET, build_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium_available(), reason="needs Debian's chromium (apt-get install chromium; .ci/run does)"
    ),
]

WIDTH, HEIGHT = 1280, 900
WARMUP = 10


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight arms (baseline, each reform, all) x 2 replications, 40 days, a 10-day warm-up: a few seconds."""
    tmp = tmp_path_factory.mktemp("browser-report")
    spec = tiny_spec(tmp, reps=2, arms='["baseline", "each", "all"]', days=40)
    spec.write_text(spec.read_text().replace('"run.warmup_days" = 0', f'"run.warmup_days" = {WARMUP}'))
    sweep_in_process(spec, tmp / "out")
    written = build_report(tmp / "out")
    assert not any("failed" in n for n in written.notes), written.notes
    return written.html


def test_report_in_headless_chromium(report: Path) -> None:
    diffs = pd.read_csv(report.parent / "tables" / "paired_differences.csv")
    best = diffs[diffs["outcome"] == FINDING_TARGET].sort_values("mean_diff").iloc[0]
    with browser_page(width=WIDTH, height=HEIGHT) as b:
        page = b.page
        page.goto(report.as_uri())
        n_figs = wait_for_plotly(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser_report.png"))  # the first screen

        # (a) the answer first, under the report's title: the finding paragraph, naming the best arm and its
        # paired 95 % CI, on the first screen; the first figure is the trade-off chart, below the title
        first = first_text(page)
        assert first is not None and first["tag"] == "H1" and "sweep report" in first["text"], first
        finding = page.locator("p.finding")
        assert finding.bounding_box()["y"] < HEIGHT / 3
        ci = f"95 % CI {best['ci_low']:+.2f} to {best['ci_high']:+.2f}"
        text = finding.inner_text()
        assert best["arm"] in text and ci in text, (best.to_dict(), text)
        lead_fig = page.locator(".plotly-graph-div").first
        assert lead_fig.evaluate("el => el.closest('section').id") == "trade-off"
        assert first["top"] < lead_fig.bounding_box()["y"] < HEIGHT
        # trade-off points are named in the legend (text beside them overlapped): one entry per arm
        arms = set(diffs["arm"]) | {"baseline"}
        legend = page.locator("#trade-off .legendtext").all_text_contents()
        assert arms <= set(legend), legend

        # (b) the page fits: no table clipped or scrolling sideways, no legend with its own scroll bar
        assert n_figs >= 7
        assert page.locator("table").count() >= 4
        assert overflowing_tables(page) == []
        assert scrolling_legends(page) == []
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

        # daily series: every subplot has a y-axis title and the warm-up band is shaded in each
        daily = page.locator("#daily .plotly-graph-div")
        n_sub = daily.locator(".cartesianlayer .subplot").count()
        assert n_sub >= 4
        y_titles = daily.evaluate(
            "el => Array.from(el.querySelectorAll('text'))"
            ".filter(t => /^y\\d*title$/.test(t.getAttribute('class')) && t.textContent.trim()).length"
        )
        assert y_titles == n_sub
        assert daily.locator(".shapelayer path").count() >= n_sub
        assert page.locator("#daily", has_text=f"the warm-up (days 0–{WARMUP})").count() == 1

        # (c) offline and clean: nothing but the file itself was requested, and the console has no error or
        # warning (the CI whiskers once drew ~40 "Invalid color specifier" warnings)
        assert b.errors == [], b.errors
        assert b.failed_requests == [], b.failed_requests
        assert [u for u in b.requests if not u.startswith(("file://", "data:", "blob:"))] == []


OVERLAPPING_TITLES_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).flatMap(fig => {
    const boxes = Array.from(fig.querySelectorAll('.annotation-text')).map(t => t.getBoundingClientRect());
    return boxes.flatMap((a, i) => boxes.slice(i + 1).filter(b => a.left < b.right && b.left < a.right
        && a.top < b.bottom && b.top < a.bottom).map(() => (fig.closest('section') || {}).id));
})"""


def test_report_fits_800_px(report: Path) -> None:
    """A laptop half-screen: every table fits its box, nothing scrolls sideways, no two chart titles run into
    each other, and the console stays clean."""
    with browser_page(width=800, height=HEIGHT) as b:
        page = b.page
        page.goto(report.as_uri())
        wait_for_plotly(page)
        assert overflowing_tables(page) == []
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        assert page.evaluate(OVERLAPPING_TITLES_JS) == []
        assert b.errors == [], b.errors
