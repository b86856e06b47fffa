"""`leniency bench`: the JSON shape of issue 6 on tiny settings. Speed itself is never asserted here."""

from __future__ import annotations

import json

import pytest

from sim.cli import main

RUN_KEYS = {"cases", "seconds", "cases_per_second", "peak_rss_mb", "seconds_spread", "repeats"}


def test_bench_quick_json_has_the_issue_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"national", "district", "national_agents", "sweep", "compile"}
    kernels = result["compile"]
    assert kernels["cold_seconds"] > 0 and kernels["warm_seconds"] > 0 and kernels["start_seconds"] > 0
    assert kernels["compile_seconds"] == pytest.approx(kernels["cold_seconds"] - kernels["warm_seconds"])
    for name in ("national", "district", "national_agents"):
        run = result[name]
        assert set(run) >= RUN_KEYS, name
        assert run["quick"] is True and run["repeats"] == 1
        assert (
            run["cases"] > 0 and run["seconds"] > 0 and run["peak_rss_mb"] > 50
        )  # a Python with numpy and Mesa
        assert run["cases_per_second"] == pytest.approx(run["cases"] / run["seconds"])
        lo, hi = run["seconds_spread"]
        assert lo <= run["seconds"] <= hi
    # fixed seed: the same cases with and without agents; ratios are what they say
    assert result["national_agents"]["cases"] == result["national"]["cases"]
    assert result["national_agents"]["times_headless"] == pytest.approx(
        result["national_agents"]["seconds"] / result["national"]["seconds"]
    )
    assert result["district"]["agents"]["cases"] == result["district"]["cases"]
    floor = result["national"]["mesa_floor"]
    assert floor["cases"] > 0 and floor["cases_per_second"] > 0
    assert result["national"]["times_mesa_floor"] == pytest.approx(
        result["national"]["cases_per_second"] / floor["cases_per_second"]
    )
    sweep = result["sweep"]
    assert sweep["workers_1_runs_per_second"] > 0 and sweep["workers_2_runs_per_second"] > 0
    assert sweep["speedup"] == pytest.approx(
        sweep["workers_2_runs_per_second"] / sweep["workers_1_runs_per_second"]
    )
    per_core = {k: v["runs_per_second_per_core"] for k, v in sweep["batched"].items()}
    assert set(per_core) == {"1", "8", "32", "128"} and min(per_core.values()) > 0
    assert sweep["batched_speedup"] == pytest.approx(max(per_core.values()) / per_core["1"])
    comparison = sweep["reform_comparison"]
    assert comparison["runs"] == 8 * 2 and comparison["failed"] == 0 and comparison["quick"] is True
    assert comparison["runs_per_second"] == pytest.approx(comparison["runs"] / comparison["seconds"])


def test_bench_rejects_a_bad_repeat_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--quick", "--repeats", "0"]) == 2
    assert "--repeats 0" in capsys.readouterr().err


def test_bench_table_names_every_target() -> None:
    from sim.experiments.bench.report import format_table, targets

    run = {
        "cases": 10,
        "seconds": 1.0,
        "cases_per_second": 10.0,
        "peak_rss_mb": 100.0,
        "seconds_spread": [1.0, 1.0],
        "repeats": 1,
    }
    result = {
        "national": run
        | {"mesa_floor": {"cases": 5, "cases_per_second": 5.0}, "times_mesa_floor": 2.0, "seed": 1},
        "district": run,
        "national_agents": run | {"times_headless": 1.0},
        "sweep": {
            "workers_1_runs_per_second": 1.0,
            "workers_2_runs_per_second": 1.8,
            "speedup": 1.8,
            "runs": 4,
            "scale": "district",
            "repeats": 1,
            "cpus": 2,
            "load_average": None,
            "batched": {"1": {"runs_per_second_per_core": 1.0}, "128": {"runs_per_second_per_core": 12.0}},
            "batched_speedup": 12.0,
            "reform_comparison": {"runs": 240, "workers": 2, "batch": 30, "quick": False}
            | {
                "seconds": 48.0,
                "runs_per_second": 5.0,
            },
        },
    }
    met = {label: ok for label, _, _, ok in targets(result)}
    assert met == {
        "national year, cases/s": False,
        "national vs Mesa floor": False,
        "national peak RSS": True,
        "district year, seconds": False,
        "national with agents vs headless": True,
        "sweep 2 workers vs 1": True,
        "batched runs per core vs unbatched": True,
        "national vs Mesa floor (issue 13)": False,
        "national vs Mesa floor (issue 26)": False,
        "district year (issue 26: 3.4 s / 8)": False,
        "batched runs/s per core (7.1 x 5)": False,
    }
    compiled = {"cold_seconds": 20.0, "warm_seconds": 1.0, "compile_seconds": 19.0, "start_seconds": 1.5}
    graded = {label: ok for label, _, _, ok in targets(result | {"compile": compiled})}
    assert graded["kernels' compile, cold cache"] and not graded["warm start to the first day"]
    text = format_table(result)
    assert text.count("MISSED") == 7 and "sweep 2 workers vs 1" in text and "K=128 12.00" in text
    assert "reform comparison (240 runs, 2 workers, batches of 30): 48.0 s" in text
    # --quick measures tiny settings: it says so and grades no target
    quick = {**result, "national": result["national"] | {"quick": True, "days": 3}}
    quick["district"] = run | {"quick": True, "days": 30}
    text = format_table(quick)
    assert "MISSED" not in text and " met" not in text and "not graded" in text
    assert text.startswith("--quick: a smoke test on tiny settings — national 3 days, district 30 days")
