"""leniency optimize: levers reproduce the reform packages, bad specs are refused cleanly, and a small search
returns a mutually non-dominated front within budget that matches or dominates each package it could afford,
resumes without rerunning anything and gives the same numbers on any number of workers."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_sweep_support import cli_command, interruptible

from sim.model.scenario import load_scenario, reform_names
from sim.optimize.evaluate import read_archive
from sim.optimize.levers import lever, lever_names, scenario_at

ROOT = Path(__file__).resolve().parent.parent
# the shipped spec's objectives (four: non-essential and avoidable essential relief, undetected involuntary
# pleas, hours), so the tiny search exercises every table and chart the real one draws
OBJ = tuple(tomllib.loads((ROOT / "experiments" / "resources.toml").read_text())["objectives"])


def spec_text(
    budget: float = 0.5, levers: tuple[str, ...] = lever_names(), objectives: tuple[str, ...] = OBJ
) -> str:
    return f"""
name = "tiny"
scale = "classroom"
master_seed = 7
levers = {json.dumps(list(levers))}
objectives = {json.dumps(list(objectives))}
[budget]
extra_hours_per_case = {budget}
[search]
population = 8
generations = 2
replications = 2
[overrides]
"run.days" = 60
"run.drain_days" = 120
"run.cases_per_day" = 4.0
"""


def cli(spec: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return cli_command("optimize", spec, out, *args)


@pytest.mark.parametrize("name", reform_names())
def test_a_reform_lever_at_one_is_the_reform_and_at_zero_today(name: str) -> None:
    base = load_scenario(scale="district")
    full = load_scenario(scale="district", reforms=[name]).flat()
    at_one = scenario_at(base, [lever(name)], [1.0]).flat()
    at_zero = scenario_at(base, [lever(name)], [0.0]).flat()
    params = [k for k in full if not k.startswith("meta.")]
    assert {k: at_one[k] for k in params} == {k: full[k] for k in params}
    assert {k: at_zero[k] for k in params} == {k: base.flat()[k] for k in params}


@pytest.mark.parametrize("name", lever_names())
def test_a_lever_moves_each_parameter_part_of_the_way(name: str) -> None:
    base = load_scenario(scale="district")
    flat = base.flat()
    lv = lever(name)
    half = scenario_at(base, [lv], [0.5]).flat()
    one = scenario_at(base, [lv], [1.0]).flat()
    for key, _, _ in lv.changes:
        lo, hi = sorted((flat[key], one[key]))
        assert lo <= half[key] <= hi
        if isinstance(flat[key], float):
            assert half[key] == pytest.approx((flat[key] + one[key]) / 2)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (spec_text(levers=("voluntariness_safeguards", "more_judges")), "unknown lever 'more_judges'"),
        (spec_text(budget=0), "budget.extra_hours_per_case"),
        (spec_text(budget=-1.5), "budget.extra_hours_per_case"),
        (spec_text(objectives=()), "objectives"),
        (spec_text(objectives=("no_such_metric",)), "unknown metric 'no_such_metric'"),
    ],
)
def test_bad_specs_get_one_clear_message_and_write_nothing(tmp_path: Path, text: str, needle: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    r = cli(spec, out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(spec) in lines[0] and needle in lines[0], r.stderr
    assert not out.exists()


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("opt")
    spec = folder / "tiny.toml"
    spec.write_text(spec_text())
    out = folder / "out"
    r = cli(spec, out, "--workers", "2")
    assert r.returncode == 0, r.stderr
    return spec, out


def test_the_front_is_non_dominated_within_budget_and_beats_or_matches_each_package(
    searched: tuple[Path, Path],
) -> None:
    _, out = searched
    front = pd.read_parquet(out / "pareto.parquet")
    cand = pd.read_parquet(out / "candidates.parquet")
    assert (out / "report.html").stat().st_size > 10_000
    cols = [f"{o}_mean" for o in OBJ]
    F = front[cols].to_numpy()
    assert len(F) >= 1
    for i in range(len(F)):  # mutually non-dominated: every pair
        for j in range(len(F)):
            assert i == j or not _dominates(F[j], F[i])
    assert (front["extra_hours_mean"] <= 0.5).all()
    assert front["within_budget"].all()
    packages = cand[cand["label"].isin(reform_names())]
    assert set(packages["label"]) == set(reform_names())  # each package was tried
    for _, pkg in packages.iterrows():
        if not pkg["within_budget"]:
            continue
        p = pkg[cols].to_numpy(dtype=float)
        on = np.all(np.isclose(F, p), axis=1).any()
        assert on or any(_dominates(f, p) for f in F), pkg["label"]
    for col in (*(f"{o}_mean_fresh" for o in OBJ), "extra_hours_mean_fresh"):
        assert front[col].notna().all()


def test_every_objective_reaches_the_marginal_values_and_the_report(searched: tuple[Path, Path]) -> None:
    """Four objectives: each gets its marginal columns, a short title in the report and a place in the
    side-by-side view (no chart or table is built for three only)."""
    from sim.optimize.report import SHORT, axes_3d
    from sim.optimize.spec import load_spec

    spec, out = searched
    assert len(OBJ) == 4 and "relief_initiations_per_100_essential_avoidable" in OBJ
    marginal = pd.read_csv(out / "marginal.csv")
    report = (out / "report.html").read_text()
    for o in OBJ:
        assert o in SHORT, f"no short title for {o}"
        if o != "hours_per_case_total":
            assert {f"d_{o}_per_unit", f"d_{o}_ci", f"d_{o}_per_hour"} <= set(marginal.columns)
            assert SHORT[o].replace("/", "\\u002f") in report  # an axis title (plotly's JSON escapes '/')
    assert '"parcoords"' in report
    parsed, _ = load_spec(spec)
    assert axes_3d(parsed) == [o for o in OBJ if o != "hours_per_case_total"][:3]


def test_resume_reruns_nothing_and_a_different_question_is_refused(searched: tuple[Path, Path]) -> None:
    spec, out = searched
    before = read_archive(out)
    front = pd.read_parquet(out / "pareto.parquet")
    r = cli(spec, out, "--resume", "--workers", "1")
    assert r.returncode == 0, r.stderr
    assert read_archive(out) == before
    pd.testing.assert_frame_equal(pd.read_parquet(out / "pareto.parquet"), front)
    other = spec.with_name("other.toml")
    other.write_text(spec_text(budget=0.25))
    r = cli(other, out, "--resume")
    assert r.returncode == 2 and "another question" in r.stderr
    r = cli(spec, out)
    assert r.returncode == 2 and "--resume" in r.stderr


@pytest.mark.parametrize("where", [("--workers", "1"), ("--dask", "local", "--workers", "2")])
def test_same_numbers_on_any_executor(
    searched: tuple[Path, Path], tmp_path: Path, where: tuple[str, ...]
) -> None:
    if "--dask" in where:
        pytest.importorskip("distributed")
    spec, out = searched
    r = cli(spec, tmp_path / "other", *where)
    assert r.returncode == 0, r.stderr
    for name in ("candidates.parquet", "pareto.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(tmp_path / "other" / name))


def test_an_interrupted_search_keeps_its_runs_and_resumes_to_the_same_answer(
    searched: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, out = searched
    part = tmp_path / "part"
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "optimize",
        str(spec),
        "--out",
        str(part),
        "--quiet",
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(read_archive(part)) >= 6:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the search ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    kept = read_archive(part)
    assert len(kept) >= 6 and "--resume" in err
    assert not (part / "pareto.parquet").exists()
    r = cli(spec, part, "--resume", "--workers", "2")
    assert r.returncode == 0, r.stderr
    again = read_archive(part)
    assert again[: len(kept)] == kept  # nothing finished was lost or rerun
    assert len({(str(r["x"]), r["seed"]) for r in again}) == len(again)
    for name in ("candidates.parquet", "pareto.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name), pd.read_parquet(part / name))


def test_a_folder_of_someone_elses_files_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text())
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    r = cli(spec, out, "--force")
    assert r.returncode == 2
    assert (out / "notes.txt").read_text() == "keep me"


def test_over_posterior_draws_each_seed_runs_its_draw_and_resume_needs_the_same_posterior(
    searched: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, out = searched
    posterior = ROOT / "experiments" / "calibration" / "posterior.parquet"
    over = tmp_path / "over"
    r = cli(spec, over, "--posterior", str(posterior), "--workers", "2")
    assert r.returncode == 0, r.stderr
    meta = json.loads((over / "optimize.json").read_text())
    assert (
        meta["posterior"] == str(posterior)
        and meta["seeds"] == json.loads((out / "optimize.json").read_text())["seeds"]
    )
    plain = pd.read_parquet(out / "candidates.parquet").set_index("label").loc["today"]
    drawn = pd.read_parquet(over / "candidates.parquet").set_index("label").loc["today"]
    assert (
        plain["hours_per_case_total_mean"] != drawn["hours_per_case_total_mean"]
    )  # the draws reach the runs
    assert "posterior draw" in (over / "report.html").read_text()
    r = cli(spec, over, "--resume")  # the same spec without the posterior is another question
    assert r.returncode == 2 and "another question" in r.stderr


def test_fresh_streams_get_fresh_draws_and_the_first_stream_is_prefix_stable() -> None:
    from sim.experiments.design.uncertainty import choose_draws

    post = pd.DataFrame({"weight": np.full(200, 1 / 200), "judge.norm_sd": np.linspace(0.02, 0.1, 200)})
    a, b = choose_draws(post, 40, 7), choose_draws(post, 80, 7)
    assert (a == b[:40]).all()
    assert not (choose_draws(post, 40, 7, stream=1) == a).all()
    assert (choose_draws(post, 40, 7, stream=0) == a).all()


def test_the_answer_judges_the_front_on_its_fresh_figures() -> None:
    """The answer names the point lowest on fresh seeds with its CI, says when today's interval overlaps
    it and counts the other points whose fresh interval reaches into it."""
    from types import SimpleNamespace

    from sim.optimize.report import answer
    from sim.optimize.search import Outcome, lever_column

    o = "undetected_involuntary_per_100"
    spec = SimpleNamespace(
        objectives=[o], budget=SimpleNamespace(extra_hours_per_case=1.0), levers=["power_rebalancing"]
    )
    front = pd.DataFrame(
        {
            lever_column("power_rebalancing"): [0.8, 0.2],
            f"{o}_mean_fresh": [2.0, 2.3],
            f"{o}_ci_fresh": [0.5, 0.4],
            "extra_hours_mean_fresh": [0.5, 0.1],
            "extra_hours_ci_fresh": [0.1, 0.1],
            "within_budget_fresh": [True, True],
        }
    )
    today = pd.DataFrame({f"{o}_mean": [2.4], f"{o}_ci": [0.3]})
    out = Outcome(pd.DataFrame(), front, pd.DataFrame(), 0, today)
    text = answer(spec, out)  # type: ignore[arg-type]
    assert "lowest undetected involuntary per 100 on fresh seeds is 2 (95% CI 1.5 to 2.5)" in text
    assert "not distinguishable from today's" in text and "1 other policy of the front reach" in text
    today = pd.DataFrame({f"{o}_mean": [4.0], f"{o}_ci": [0.3]})
    text = answer(spec, Outcome(pd.DataFrame(), front, pd.DataFrame(), 0, today))  # type: ignore[arg-type]
    assert "below today's 4" in text
    over = front.assign(within_budget_fresh=False)
    text = answer(spec, Outcome(pd.DataFrame(), over, pd.DataFrame(), 0, today))  # type: ignore[arg-type]
    assert "costs more than that on fresh seeds" in text


def test_the_archive_reads_back_every_bit_of_its_own_question_only(tmp_path: Path) -> None:
    from sim.optimize.evaluate import Archive

    metrics = {"a": 0.1 + 0.2, "b": float("nan"), "c": 1e-300}
    mine, other = Archive(tmp_path, "q1"), Archive(tmp_path, "q2")
    mine.record((0.5, 0.25), 7, metrics)
    other.record((0.5, 0.25), 7, {"a": 1.0, "b": 2.0, "c": 3.0})
    mine.record((0.5, 0.25), 7, metrics)  # a rerun of the same run is one run
    again = Archive(tmp_path, "q1")
    assert again.load() == 1
    got = again.runs[((0.5, 0.25), 7)]
    assert got["a"] == metrics["a"] and got["c"] == metrics["c"] and math.isnan(got["b"])
    assert len(read_archive(tmp_path)) == 2
