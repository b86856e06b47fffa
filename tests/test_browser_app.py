"""The app in a real browser: `leniency viz` on a free port, headless Chromium, no internet needed.

Load, Step, Play, follow a case, change a slider and a reform and Reset; the charts and the case story must
change and the browser console must stay free of errors and warnings. A screenshot goes to
test-artifacts/browser_app.png.
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import app_server, browser_page, chromium_available, screenshot

from sim.app.app import TAB_TITLE
from sim.app.model import CONTROLS, reform_levels

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not chromium_available(), reason="needs Debian's chromium (apt-get install chromium; .ci/run does)"
    ),
]

FLOW_TITLE = ".leniency-fig-flow .gtitle"
CHART_LINES = ".leniency-fig-charts .scatterlayer"
STORY = ".leniency-story"


def _day(page) -> int:
    title = page.locator(FLOW_TITLE).text_content() or ""  # an SVG <text>: no inner_text
    m = re.search(r"Case flow, day (\d+)", title)
    assert m, title
    return int(m.group(1))


def _wait_day(page, day: int, timeout: float = 20_000) -> None:
    page.wait_for_function(
        "d => { const t = document.querySelector('.leniency-fig-flow .gtitle'); return t && "
        "t.textContent.includes(`day ${d}:`); }",
        arg=day,
        timeout=timeout,
    )


def _settled_day(page) -> int:
    """The day shown once the browser has drawn every update the server sent (it may lag during Play)."""
    last = -1
    for _ in range(40):
        day = _day(page)
        if day == last:
            return day
        last = day
        page.wait_for_timeout(700)
    raise AssertionError(f"the day kept changing: {last}")


def _all_lines(page) -> str:
    """Every chart line as drawn (a panel whose series is still all zero draws the same line on any day)."""
    return "".join(el.inner_html() for el in page.locator(CHART_LINES).all())


def _step(page) -> None:
    before = _day(page)
    page.get_by_role("button", name="Step", exact=True).click()
    _wait_day(page, before + 1)


def test_app_in_headless_chromium() -> None:
    with app_server() as server, browser_page(height=1900) as b:
        page = b.page
        page.goto(server.url)
        page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)
        page.locator(".leniency-fig-charts .js-plotly-plot").wait_for(timeout=60_000)
        _wait_day(page, 0)
        assert page.title() == TAB_TITLE and not page.locator(".v-tab").count()  # not Mesa's "PAGE 0"
        intro = page.locator(".leniency-intro")
        assert intro.is_visible() and "What to try." in intro.inner_text()
        assert page.get_by_text("This website runs on").count() == 0  # Solara's badge covered the table
        thumbs = page.locator(".v-slider__thumb-label")
        shown = thumbs.all_inner_texts()
        assert len(shown) >= len(CONTROLS) + 1 and thumbs.first.is_visible()  # every slider shows its value
        seed = (
            page.get_by_text("Seed (same seed = same cases)")
            .locator("xpath=../..")
            .locator(".v-slider__thumb-label")
        )
        assert seed.inner_text().strip() == "1"

        # Step
        _step(page)
        _step(page)
        story_seed1 = page.locator(STORY).inner_text()
        assert "Case story: case 0" in story_seed1 and "Day 0" in story_seed1
        charts_before = _all_lines(page)

        # Play, then pause
        page.get_by_role("button", name="▶").click()
        page.wait_for_function(
            "() => { const m = document.querySelector('.leniency-fig-flow .gtitle')"
            ".textContent.match(/day (\\d+)/);"
            " return m && Number(m[1]) >= 15; }",
            timeout=60_000,
        )
        page.get_by_role("button", name="❚❚").click()
        page.get_by_role("button", name="Step", exact=True).wait_for(state="visible")
        day_paused = _settled_day(page)
        page.wait_for_timeout(1_000)
        assert _day(page) == day_paused >= 15  # paused means paused
        assert _all_lines(page) != charts_before

        # Follow a case: hover a defendant in the case flow, read its number, click it
        points = page.locator(".leniency-fig-flow .scatterlayer .point")
        assert points.count() > 0
        box = points.nth(points.count() // 2).bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        hover = page.locator(".leniency-fig-flow .hoverlayer .hovertext").first
        hover.wait_for(timeout=5_000)
        case_id = int(re.search(r"Case (\d+)", hover.text_content() or "").group(1))
        page.mouse.click(x, y)
        page.locator(STORY, has_text=f"Case story: case {case_id}").wait_for(timeout=10_000)
        story_followed = page.locator(STORY).inner_text()
        assert story_followed != story_seed1 and "Day " in story_followed

        # Change the seed slider and tick a reform, then Reset
        seed = page.locator("[role=slider][aria-label='Seed (same seed = same cases)']")
        seed.focus()
        for _ in range(3):
            seed.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector(\"[role=slider][aria-label='Seed (same seed = same cases)']\")"
            ".getAttribute('aria-valuenow') === '4'"
        )
        page.locator("label", has_text="Reform: power rebalancing").click()  # the intro names it too
        # the reform moves the sliders it changes (information asymmetry to the reform's value)
        asym = reform_levels(["power_rebalancing"])["information_asymmetry"]
        page.wait_for_function(
            "v => document.querySelector(\"[role=slider][aria-label='Power: information asymmetry']\")"
            ".getAttribute('aria-valuenow') === String(v)",
            arg=asym,
            timeout=10_000,
        )
        page.get_by_role("button", name="Reset", exact=True).click()
        _wait_day(page, 0)
        # the new model's empty docket
        assert page.locator(".leniency-fig-flow .scatterlayer .point").count() == 0
        _step(page)
        _step(page)
        story_seed4 = page.locator(STORY).inner_text()
        assert "Case story: case 0" in story_seed4 and story_seed4 != story_seed1  # other seed, other case 0
        summary = page.locator(".leniency-summary").inner_text()
        assert "with reforms" in summary and "Same seed (4)" in summary
        page.locator(".leniency-fig-charts .gtitle", has_text="dashed: baseline").first.wait_for(
            timeout=10_000
        )
        # the twin's lines
        assert page.locator(".leniency-fig-charts .js-line[style*='dasharray']").count() > 0

        # Render interval: one Step press runs several days (fast play)
        interval = page.locator("[role=slider][aria-label='Render Interval (steps)']")
        interval.focus()
        for _ in range(10):
            interval.press("ArrowRight")
        before = _day(page)
        page.get_by_role("button", name="Step", exact=True).click()
        _wait_day(page, before + 21)
        page.get_by_role("button", name="Step", exact=True).click()
        _wait_day(page, before + 42)
        page.wait_for_timeout(1_500)  # the width check runs once a second
        screenshot(page, "browser_app.png")
        spill = page.evaluate(
            "() => Array.from(document.querySelectorAll('.leniency-fig')).map(el => "
            "el.querySelector('.main-svg').getBoundingClientRect().width - el.clientWidth)"
        )
        assert len(spill) == 2 and max(spill) <= 4, spill  # each figure fits its box (FitPlots)

        assert b.errors == [], b.errors
        assert b.failed_requests == [], b.failed_requests
        assert b.external_requests(server.url) == []
    assert "Traceback" not in server.log(), server.log()[-3000:]
