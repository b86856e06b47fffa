"""`leniency report`: a self-contained HTML file with every section, the CSV tables behind it, the EMA export;
grid, Sobol and Morris experiments get their factor and sensitivity sections."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_sweep_support import cli_in_process, sweep_in_process, tiny_spec

from sim.experiments.report.page import SECTIONS, build_report


@pytest.fixture(scope="module")
def reform_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("reforms")
    out = tmp / "out"
    sweep_in_process(tiny_spec(tmp, reps=3, arms='["baseline", "each", "all"]'), out)
    return out


def test_report_has_every_section_and_is_self_contained(reform_sweep: Path) -> None:
    proc = cli_in_process("report", str(reform_sweep))
    assert proc.returncode == 0, proc.stderr
    html = (reform_sweep / "report.html").read_text(encoding="utf-8")
    # arms only, no factor design and no --posterior: those sections are left out
    not_applicable = {"factor-effects", "sensitivity", "parameter-uncertainty"}
    for key, title in SECTIONS:
        assert (f"<section id='{key}'><h2>{title}</h2>" in html) == (key not in not_applicable), key
    assert html.count("plotly.js (basic - minified) v") == 1  # the partial bundle, inlined once
    assert len(html.encode()) < 2_500_000  # the full bundle alone is 4.8 MB
    assert "<script src=" not in html and "<link" not in html  # nothing fetched: it opens offline
    assert html.count("Plotly.newPlot") >= 6  # arm means, differences, relief, hours, trade-off, daily
    assert "could not be built" not in html
    assert "Not applicable" not in html
    assert "None: every run succeeded." in html
    # the title, then the finding, then the trade-off chart, then the table of contents; the finding names an
    # arm with its paired interval
    lead = html.split("<nav id='contents'>", 1)[0]
    assert "<p class='finding'><b>Finding.</b>" in lead and "95 % CI" in lead
    assert (
        html.index("<h1>")
        < html.index("<p class='finding'>")
        < html.index("<section id='trade-off'>")
        < html.index("<nav id='contents'>")
    )
    assert html.split("<body>", 1)[1].lstrip().startswith("<header><h1>leniency-sim sweep report")


def test_report_tables_carry_the_numbers(reform_sweep: Path) -> None:
    build_report(reform_sweep)
    tables = reform_sweep / "tables"
    means = pd.read_csv(tables / "arm_means.csv")
    assert {"arm", "outcome", "n", "mean", "ci_low", "ci_high"} <= set(means.columns)
    assert set(means["arm"]) == {
        "baseline",
        "all_reforms",
        "voluntariness_safeguards",
        "substantive_duty_lawyers",
        "power_rebalancing",
        "prosecutor_judge_coordination",
        "judgment_reasoning",
        "appeal_countermeasures",
    }
    ok = means.dropna(subset=["mean", "ci_low"])
    assert (
        (ok["ci_low"] <= ok["mean"]).all() and (ok["mean"] <= ok["ci_high"]).all() and (means["n"] <= 3).all()
    )
    diffs = pd.read_csv(tables / "paired_differences.csv")
    assert "baseline" not in set(diffs["arm"]) and {"mean_diff", "significant", "p_holm"} <= set(
        diffs.columns
    )
    trade = pd.read_csv(tables / "tradeoff.csv")
    assert trade["pareto_undetected_involuntary_per_100"].any()
    hours = pd.read_csv(tables / "hours_by_actor_stage.csv")
    assert hours["outcome"].str.startswith("hours_per_case_judge_").any()
    daily = pd.read_csv(tables / "daily_bands.csv")
    assert {"arm", "day", "mean_application_rate", "p10_application_rate", "p90_application_rate"} <= set(
        daily.columns
    )
    exp, out = (
        pd.read_csv(reform_sweep / "ema" / "experiments.csv"),
        pd.read_csv(reform_sweep / "ema" / "outcomes.csv"),
    )
    assert len(exp) == len(out) == 8 * 3 and {"policy", "scenario", "reform_power_rebalancing"} <= set(
        exp.columns
    )
    assert "relief_rate_nonessential" in out.columns


@pytest.mark.parametrize(
    ("design", "factors", "expect_table", "expect_text"),
    [
        (
            "grid",
            "[factors.grid]\n'power.target_pressure' = [0.2, 0.8]\n'judge.reasoning_quality' = [0.3, 0.9]\n",
            "factor_grid_means.csv",
            "Mean over replications at each grid point",
        ),
        (
            "sobol\nsamples = 8",
            "[factors.ranges]\n'power.target_pressure' = [0.1, 0.9]\n"
            "'judge.reasoning_quality' = [0.2, 0.9]\n",
            "sobol_indices.csv",
            "Sobol indices with 95% bootstrap CIs",
        ),
        (
            "morris\nsamples = 4",
            "[factors.ranges]\n'power.target_pressure' = [0.1, 0.9]\n"
            "'judge.reasoning_quality' = [0.2, 0.9]\n",
            "morris_indices.csv",
            "Morris screening",
        ),
    ],
)
def test_factor_designs_get_their_sections(
    tmp_path: Path, design: str, factors: str, expect_table: str, expect_text: str
) -> None:
    extra = (
        f"[factors]\ndesign = '{design.splitlines()[0]}'\n"
        + "\n".join(design.splitlines()[1:])
        + "\n"
        + factors
    )
    out = tmp_path / "out"
    reps = 2 if design.startswith("sobol") else 1
    sweep_in_process(
        tiny_spec(tmp_path, reps=reps, arms='"baseline"', daily=False, days=20, extra=extra), out
    )
    written = build_report(out)
    html = written.html.read_text(encoding="utf-8")
    assert (out / "tables" / expect_table).is_file(), written.notes
    assert expect_text in html and "could not be built" not in html
    if design != "grid":
        idx = pd.read_csv(out / "tables" / expect_table)
        assert set(idx["factor"]) == {"power.target_pressure", "judge.reasoning_quality"}
        assert ("is run-to-run noise:" in html) == (reps == 2)


def test_report_of_a_missing_sweep_exits_2(tmp_path: Path) -> None:
    proc = cli_in_process("report", str(tmp_path))
    assert proc.returncode == 2 and "not a sweep folder" in proc.stderr
