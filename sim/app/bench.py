"""How long one Step of the browser page takes on the server: the model's day plus the re-render of every
component and the widget updates sent to the browser (the browser's own drawing is not included).

    python -m sim.app.bench [--scale district] [--days 120] [--steps 30] [--with REFORM ...]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import ipyvuetify as v
import solara

from sim.app.model import APP_SCALES, SCALE_NOTE, AppModel, reform_label


def measure(
    scale: str = "district", warm_days: int = 120, steps: int = 30, reforms: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Median and 90th percentile of (a) a model step alone, (b) a Step press on the rendered page, in ms."""
    from sim.app.app import Page

    @solara.component
    def Wrapped() -> None:
        with solara.AppLayout():
            Page()

    _, rc = solara.render(Wrapped(), handle_error=False)
    try:
        rc.find(v.Select, label=SCALE_NOTE).widget.v_model = scale
        for r in reforms:
            rc.find(v.Checkbox, label=reform_label(r)).widget.v_model = True
        rc.find(v.Btn, children=["Reset"]).widget.click()
        step = rc.find(v.Btn, children=["Step"]).widget
        for _ in range(warm_days):
            step.click()
        page_ms = []
        for _ in range(steps):
            t = time.perf_counter()
            step.click()
            page_ms.append(1000 * (time.perf_counter() - t))
    finally:
        rc.close()
    model = AppModel(scale=scale, **dict.fromkeys(reforms, True))
    for _ in range(warm_days):
        model.step()
    model_ms = []
    for _ in range(steps):
        t = time.perf_counter()
        model.step()
        model_ms.append(1000 * (time.perf_counter() - t))

    def q(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {"median": statistics.median(xs), "p90": xs[int(0.9 * (len(xs) - 1))]}

    return {
        "scale": scale,
        "reforms": list(reforms),
        "day": warm_days,
        "agents": len(model.defendants()),
        "model_step_ms": q(model_ms),
        "page_step_ms": q(page_ms),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m sim.app.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--scale", default="district", choices=APP_SCALES)
    p.add_argument("--days", type=int, default=120, help="days stepped before timing (the docket fills up)")
    p.add_argument("--steps", type=int, default=30, help="steps timed")
    p.add_argument("--with", dest="reforms", action="append", default=[], metavar="REFORM")
    a = p.parse_args(argv)
    r = measure(a.scale, a.days, a.steps, tuple(a.reforms))
    print(
        f"{r['scale']} scale, day {r['day']}, {r['agents']} defendants in flight, "
        f"reforms: {', '.join(r['reforms']) or 'none'}"
    )
    for k, label in (("model_step_ms", "model step"), ("page_step_ms", "page Step (model + render)")):
        print(f"  {label:28s} median {r[k]['median']:7.1f} ms   p90 {r[k]['p90']:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
