"""The bench's verdict: each target with the measured value, and the readable table of ``leniency bench``."""

from __future__ import annotations

from typing import Any


# Targets of issue 6 on a 2-core machine: (label, value, target, met)
def targets(result: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each target of issue 6 with the measured value and whether it is met."""
    nat, dist, sweep = result["national"], result["district"], result["sweep"]
    rows = [
        (
            "national year, cases/s",
            f"{nat['cases_per_second']:,.0f}",
            ">= 500,000",
            nat["cases_per_second"] >= 500_000,
        ),
        ("national vs Mesa floor", f"{nat['times_mesa_floor']:.1f}x", ">= 7x", nat["times_mesa_floor"] >= 7),
        ("national peak RSS", f"{nat['peak_rss_mb']:.0f} MB", "<= 1024 MB", nat["peak_rss_mb"] <= 1024),
        ("district year, seconds", f"{1000 * dist['seconds']:.0f} ms", "<= 50 ms", dist["seconds"] <= 0.05),
        (
            "national with agents vs headless",
            f"{result['national_agents']['times_headless']:.2f}x",
            "<= 3x",
            result["national_agents"]["times_headless"] <= 3,
        ),
        ("sweep 2 workers vs 1", f"{sweep['speedup']:.2f}x", ">= 1.7x", sweep["speedup"] >= 1.7),
        (
            "batched runs per core vs unbatched",
            f"{sweep['batched_speedup']:.1f}x",
            ">= 10x",
            sweep["batched_speedup"] >= 10,
        ),
        (
            "national vs Mesa floor (issue 13)",
            f"{nat['times_mesa_floor']:.1f}x",
            ">= 3x",
            nat["times_mesa_floor"] >= 3,
        ),
    ]
    # issue 26 (the compiled kernel), against the figures measured before it on this machine
    compiled = result.get("compile")
    best = max(v["runs_per_second_per_core"] for v in sweep["batched"].values())
    rows += [
        (
            "national vs Mesa floor (issue 26)",
            f"{nat['times_mesa_floor']:.1f}x",
            ">= 4x",
            nat["times_mesa_floor"] >= 4,
        ),
        (
            "district year (issue 26: 3.4 s / 8)",
            f"{dist['seconds']:.3f} s",
            "<= 0.425 s",
            dist["seconds"] <= 0.425,
        ),
        ("batched runs/s per core (7.1 x 5)", f"{best:.1f}", ">= 35.5", best >= 35.5),
    ]
    if compiled is not None:
        rows += [
            (
                "kernels' compile, cold cache",
                f"{compiled['compile_seconds']:.1f} s",
                "<= 30 s",
                compiled["compile_seconds"] <= 30,
            ),
            (
                "warm start to the first day",
                f"{compiled['start_seconds']:.2f} s",
                "<= 1 s",
                compiled["start_seconds"] <= 1,
            ),
        ]
    return rows


def format_table(result: dict[str, Any]) -> str:
    """A readable report: one line per measured run, then the targets."""
    lines = []
    if result["national"].get("quick"):
        n, d, s = result["national"], result["district"], result["sweep"]
        lines.append(
            f"--quick: a smoke test on tiny settings — national {n.get('days')} days, district "
            f"{d.get('days')} days, sweeps of {s['runs']} {s['scale']} runs; speeds here do not extrapolate "
            "to full years"
        )
    lines.append(
        f"{'run':18s} {'cases':>10s} {'seconds (min-max)':>22s} {'cases/s':>12s} "
        f"{'peak RSS MB':>12s} {'CPU s':>7s}"
    )
    runs = [(name, result[name]) for name in ("national", "district", "national_agents")]
    if "agents" in result["district"]:
        runs.append(("district_agents", result["district"]["agents"]))
    for name, r in runs:
        lo, hi = r["seconds_spread"]
        lines.append(
            f"{name:18s} {r['cases']:>10,d} {r['seconds']:>9.3f} "
            f"({lo:.3f}-{hi:.3f}) {r['cases_per_second']:>12,.0f} "
            f"{r['peak_rss_mb']:>12.0f} {r.get('cpu_seconds', float('nan')):>7.2f}"
        )
    f = result["national"]["mesa_floor"]
    lines.append(f"{'mesa floor':18s} {f['cases']:>10,d} {'':>22s} {f['cases_per_second']:>12,.0f}")
    s = result["sweep"]
    lines.append(
        f"sweep ({s['runs']} {s['scale']} runs): 1 worker {s['workers_1_runs_per_second']:.2f} runs/s, "
        f"2 workers {s['workers_2_runs_per_second']:.2f} runs/s ({s['speedup']:.2f}x)"
    )
    per_core = ", ".join(f"K={k} {v['runs_per_second_per_core']:.2f}" for k, v in s["batched"].items())
    lines.append(
        f"batched {s['scale']} runs per second on one core: {per_core} ({s['batched_speedup']:.1f}x)"
    )
    c = s["reform_comparison"]
    lines.append(
        f"reform comparison ({c['runs']} runs, {c['workers']} workers, batches of {c['batch']}"
        f"{', quick' if c['quick'] else ''}): {c['seconds']:.1f} s, {c['runs_per_second']:.2f} runs/s"
    )
    k = result.get("compile")
    if k is not None:
        lines.append(
            f"kernels: compiled in {k['compile_seconds']:.1f} s on a cold cache (a short classroom run "
            f"{k['cold_seconds']:.1f} s cold, {k['warm_seconds']:.2f} s warm); a run's process reaches its "
            f"first day in {k['start_seconds']:.2f} s"
        )
    lines.append("")
    if result["national"].get("quick"):
        # the targets are for full years and district sweeps; tiny runs say nothing about them
        lines.append(
            "targets: not graded (--quick measures tiny settings, not the full years and district sweeps "
            "the targets are set for; `leniency bench` grades them)"
        )
    else:
        lines.append(f"{'target':34s} {'measured':>12s} {'target':>12s}")
        for label, value, target, met in targets(result):
            lines.append(f"{label:34s} {value:>12s} {target:>12s}  {'met' if met else 'MISSED'}")
    lines.append(
        f"\n{s['repeats']} repeat(s), seed {result['national']['seed']}, {s['cpus']} CPUs, "
        f"load average at the end {s['load_average']}"
    )
    return "\n".join(lines)
