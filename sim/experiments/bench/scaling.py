"""How the cost grows: cases per day, days, and sweep workers (``leniency bench --scaling``, for
docs/performance.md). Each point is one fresh-process measurement from ``sim.experiments.bench.measure``."""

from __future__ import annotations

import os
import sys

from tqdm import tqdm

from sim.engine.outdir import GENERATOR
from sim.experiments.bench.measure import RunSpec, in_child, measure_sweep

SCALING_DISTRICTS = (1, 10, 31, 100, 313)  # x 15 cases a day: district .. national
SCALING_DAYS = (90, 365, 1095, 3650)  # national scale
SCALING_WORKERS = (1, 2, 3, 4)


def measure_scaling(progress: bool = True) -> dict[str, list[dict[str, float]]]:
    """Cost against cases per day (districts of 15 cases a day, one year), against days (national) and against
    sweep workers (district runs). Each point is one fresh-process measurement."""
    out: dict[str, list[dict[str, float]]] = {"cases_per_day": [], "days": [], "workers": []}
    total = len(SCALING_DISTRICTS) + len(SCALING_DAYS) + len(SCALING_WORKERS)
    with tqdm(
        total=total, desc="scaling", unit="measurement", file=sys.stderr, disable=None if progress else True
    ) as bar:
        for n in SCALING_DISTRICTS:
            spec = RunSpec(
                "scaling", "national", overrides=(("run.districts", n), ("run.cases_per_day", 15.0 * n))
            )
            out["cases_per_day"].append(
                {"cases_per_day": 15.0 * n} | in_child({"kind": "run", "run": spec.__dict__})
            )
            bar.update(1)
        for days in SCALING_DAYS:
            spec = RunSpec("scaling", "national", days=days)
            out["days"].append({"days": days} | in_child({"kind": "run", "run": spec.__dict__}))
            bar.update(1)
        for workers in SCALING_WORKERS:
            out["workers"].append({"workers": workers} | measure_sweep(workers, 24, "district", None))
            bar.update(1)
    return out


def plot_scaling(data: dict[str, list[dict[str, float]]], path: str) -> None:
    """Three small panels (matplotlib PNG): seconds vs cases per day, seconds and peak RSS vs days, runs/s vs
    workers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    c = data["cases_per_day"]
    ax = axes[0]
    ax.loglog([p["cases_per_day"] for p in c], [p["seconds"] for p in c], "o-", label="wall")
    ax.loglog(
        [p["cases_per_day"] for p in c], [p["cpu_seconds"] for p in c], "^:", color="tab:purple", label="CPU"
    )
    ax.set(xlabel="cases per day (one year)", ylabel="seconds", title="cost vs cases per day")
    ax.legend(fontsize=8, loc="upper left")
    ax2 = ax.twinx()
    ax2.semilogx(
        [p["cases_per_day"] for p in c],
        [p["cases"] / p["cpu_seconds"] / 1000 for p in c],
        "s--",
        color="tab:orange",
    )
    ax2.set_ylabel("thousand cases per CPU second", color="tab:orange")
    d = data["days"]
    ax = axes[1]
    ax.plot([p["days"] for p in d], [p["seconds"] for p in d], "o-", label="wall")
    ax.plot([p["days"] for p in d], [p["cpu_seconds"] for p in d], "^:", color="tab:purple", label="CPU")
    ax.set(xlabel="days of arrivals (national)", ylabel="seconds", title="cost and memory vs days")
    ax.legend(fontsize=8, loc="upper left")
    ax2 = ax.twinx()
    ax2.plot([p["days"] for p in d], [p["peak_rss_mb"] for p in d], "s--", color="tab:green")
    ax2.set_ylabel("peak RSS MB", color="tab:green")
    ax2.set_ylim(0, max(p["peak_rss_mb"] for p in d) * 1.3)
    w = data["workers"]
    ax = axes[2]
    ax.plot([p["workers"] for p in w], [p["runs_per_second"] for p in w], "o-", label="measured")
    base = w[0]["runs_per_second"]
    ax.plot(
        [p["workers"] for p in w],
        [base * min(p["workers"], os.cpu_count() or 1) for p in w],
        ":",
        color="grey",
        label="linear to core count",
    )
    ax.set(xlabel="worker processes", ylabel="district runs per second", title="sweep throughput vs workers")
    ax.legend(fontsize=8)
    fig.tight_layout()
    # the signature says the file is this tool's, so a later --scaling may replace it
    fig.savefig(path, dpi=110, metadata={"Software": GENERATOR} if str(path).endswith(".png") else None)
    plt.close(fig)
