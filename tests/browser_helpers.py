"""Real-browser test harness: serve the app with `leniency viz` on a free port, drive Debian's headless
Chromium through Playwright, collect console errors, save screenshots to test-artifacts/.

Playwright cannot download its own browser here (no network), so it is pointed at /usr/bin/chromium
(`apt-get install chromium`; .ci/run installs it when missing).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.commands.viz import free_port

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# console message types a page must not emit; Plotly logs its warnings ("Invalid color specifier") with
# console.trace, so a trace fails too
CONSOLE_FAILS = ("error", "warning", "assert", "trace")


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def app_server(timeout: float = 60.0) -> Iterator[Server]:
    """`leniency viz --port <free>` as a subprocess; yields once the page answers, stops it afterwards."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "viz-server.log"  # the last browser test's server output
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "viz", "--port", str(port)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}/", proc, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"leniency viz exited with {proc.returncode}:\n{server.log()}")
            try:
                with urllib.request.urlopen(server.url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"leniency viz did not answer on {server.url} within {timeout:.0f} s:\n{server.log()}"
                )
            time.sleep(0.25)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Browser:
    """A Playwright page plus what the browser reported: console errors and warnings, page errors, failed
    requests."""

    page: Any
    errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def external_requests(self, base_url: str) -> list[str]:
        """Requests that left the app's server (the page must work with no internet)."""
        return [u for u in self.requests if not u.startswith((base_url, "blob:", "data:"))]


@contextmanager
def browser_page(width: int = 1600, height: int = 1000) -> Iterator[Browser]:
    """Headless Chromium with a fresh profile; console errors and warnings and failed requests are
    recorded."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="leniency-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            page = ctx.new_page()
            b = Browser(page)
            page.on(
                "console",
                lambda m: b.errors.append(f"console.{m.type}: {m.text}") if m.type in CONSOLE_FAILS else None,
            )
            page.on("pageerror", lambda e: b.errors.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: b.failed_requests.append(r.url))
            page.on("request", lambda r: b.requests.append(r.url))
            yield b
        finally:
            ctx.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# --- checks on a static page (the sweep report)
# --------------------------------------------------------------
OVERFLOWING_TABLES_JS = """() => Array.from(document.querySelectorAll('table')).flatMap((t, i) => {
    const box = t.parentElement, r = t.getBoundingClientRect();
    const clipped = t.scrollWidth > t.clientWidth + 1 || box.scrollWidth > box.clientWidth + 1
        || r.right > document.documentElement.clientWidth + 1;
    return clipped ? [{index: i, section: (t.closest('section') || {}).id, table: t.scrollWidth,
                       box: box.clientWidth, right: r.right}] : [];
})"""
SCROLLING_LEGENDS_JS = """() => Array.from(document.querySelectorAll('.legend')).flatMap(l => {
    const bar = l.querySelector('.scrollbar');
    const h = bar ? parseFloat(bar.getAttribute('height') || '0') : 0;
    return h > 0 ? [(l.closest('section') || {}).id || '?'] : [];
})"""
FIRST_TEXT_JS = """() => {
    const el = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6, p'))
        .find(e => e.offsetParent !== null && e.innerText.trim() !== '');
    if (!el) return null;
    return {tag: el.tagName, cls: el.className, text: el.innerText, top: el.getBoundingClientRect().top};
}"""


def overflowing_tables(page: Any) -> list[dict[str, Any]]:
    """Tables wider than their box or the window (a clipped or sideways-scrolling column), one dict each."""
    return page.evaluate(OVERFLOWING_TABLES_JS)


def scrolling_legends(page: Any) -> list[str]:
    """Sections whose Plotly legend has more entries than room, so it shows its own scroll bar."""
    return page.evaluate(SCROLLING_LEGENDS_JS)


def first_text(page: Any) -> dict[str, Any] | None:
    """The first visible heading or paragraph with text: what a reader sees first."""
    return page.evaluate(FIRST_TEXT_JS)


def wait_for_plotly(page: Any, timeout: float = 20_000) -> int:
    """Wait until every Plotly figure on the page has drawn; returns how many there are."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
        ".every(d => d.querySelector('.main-svg'))",
        timeout=timeout,
    )
    return page.locator(".plotly-graph-div").count()
