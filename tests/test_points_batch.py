"""Design points batched together (``points`` mode): the worlds of one model run different parameter values
(``sim.model.varying``). Each world must be a run of its own point: the same distribution as an unbatched run
there, the same numbers on any number of workers, and common random numbers across arms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_sweep_support import cli_sweep, failing_arm, sweep_in_process, tiny_spec

import sim.model
from sim.engine.store import ResultStore
from sim.experiments.design.plan import Plan
from sim.experiments.design.spec import load_spec
from sim.model import simulate, simulate_worlds
from sim.model.metrics import METRICS
from sim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
LHS = """
[factors]
design = "lhs"
samples = {n}
[factors.ranges]
"power.target_pressure" = [0.1, 0.9]
"judge.reasoning_quality" = [0.2, 0.9]
"""
HEADLINE = (
    "application_rate",
    "adoption_rate",
    "appeal_rate",
    "involuntary_plea_rate",
    "relief_initiations_per_100",
    "relief_hours_per_case",
    "hours_per_case_total",
    "detention_days_per_case",
)


def test_a_design_with_one_replication_batches_its_points(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, reps=1, extra=LHS.format(n=6))
    plan = Plan(load_spec(spec))
    assert plan.mode == "points" and plan.batch == 6
    tasks = list(plan.tasks(1))
    assert len(list(plan.units(tasks))) == 2  # one batch per arm, every point a world of it
    assert len({t.seed for t in tasks}) == 1  # both arms: the same batch seed (common random numbers)
    # more replications than points: replications batch as before
    many = Plan(load_spec(tiny_spec(tmp_path, reps=8, extra=LHS.format(n=3), name="many.toml")))
    assert many.mode == "replications" and many.batch == 8
    # reform intensities may differ between worlds; a reform's staffing (lawyers per district) may not
    keys = ('"prosecutor.consult_prob" = [0.0, 0.8]', '"lawyer.file_access" = [0.1, 0.9]')
    intensities = LHS.format(n=6).split("[factors.ranges]")[0] + "[factors.ranges]\n" + "\n".join(keys)
    assert Plan(load_spec(tiny_spec(tmp_path, reps=1, extra=intensities, name="int.toml"))).mode == "points"
    staffing = intensities + '\n"lawyer.per_district" = [4, 10]'
    assert (
        Plan(load_spec(tiny_spec(tmp_path, reps=1, extra=staffing, name="staff.toml"))).mode == "replications"
    )


def test_batched_points_are_the_same_runs_on_any_workers(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, reps=1, extra=LHS.format(n=6))
    tables = {}
    for label, args in {"1": ["--workers", "1"], "2": ["--workers", "2"]}.items():
        out = tmp_path / f"w{label}"
        proc = cli_sweep(spec, out, "--batch", "4", *args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""  # --quiet
        assert len(ResultStore(out).read_runs()) == 12
        tables[label] = ResultStore(out).read_runs().sort_values("run_id").reset_index(drop=True)
    ref, metrics = tables["1"], [m for m in METRICS if m in tables["1"]]
    assert ref["run_id"].tolist() == tables["2"]["run_id"].tolist()
    np.testing.assert_array_equal(ref[metrics].to_numpy(float), tables["2"][metrics].to_numpy(float))
    assert sorted(ref["batch_size"].unique().tolist()) == [2, 4]  # blocks of 4 points, then the last 2
    # each stored run is its world of simulate_worlds with the block's points
    plan = Plan(load_spec(spec), batch=4)
    task = next(t for t in plan.tasks(1) if t.arm == 1 and t.point == 5)
    block = plan.block(task.point)
    over = [plan.point_overrides(task.arm, q) for q in block]
    world = simulate_worlds(plan.bases[task.arm], task.seed, len(block), daily=False, world_overrides=over)
    direct = world[task.point - block.start].summary
    row = ref.set_index("run_id").loc[task.run_id]
    assert row["world"] == 1 and row["power.target_pressure"] == plan.points[5]["power.target_pressure"]
    np.testing.assert_array_equal(np.array([direct[m] for m in metrics]), row[metrics].to_numpy(float))


def paired_holm_p(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest Wilcoxon signed-rank p-value of the paired differences over the metrics, times their
    number (Holm's first step)."""
    ps = [stats.wilcoxon(a[:, j], b[:, j], zero_method="zsplit").pvalue for j in range(a.shape[1])]
    return min(ps) * len(ps)


def test_a_batched_point_has_the_distribution_of_an_unbatched_run_there(tmp_path: Path) -> None:
    """100 LHS points: each point once as a world of one batch and once unbatched (paired by point). No
    headline metric differs (paired test, 1 % after Holm); shifting every world's values is detected."""
    base = load_scenario(scale="classroom", overrides={"run.drain_days": 150})
    plan_points = Plan(load_spec(tiny_spec(tmp_path, reps=1, extra=LHS.format(n=100)))).points

    def head(summaries: list[dict[str, float]]) -> np.ndarray:
        return pd.DataFrame(summaries)[list(HEADLINE)].to_numpy(float)

    unbatched = head(
        [simulate(base.with_overrides(p), 500 + i, daily=False).summary for i, p in enumerate(plan_points)]
    )
    batched = head(
        [w.summary for w in simulate_worlds(base, 11, 100, daily=False, world_overrides=plan_points)]
    )
    assert not np.isnan(batched).any() and not np.isnan(unbatched).any()
    p = paired_holm_p(batched, unbatched)
    assert p > 0.01, f"a headline metric differs between batched and unbatched points (Holm p {p:.4f})"
    shifted = [{**q, "power.target_pressure": 1.0, "judge.reasoning_quality": 0.0} for q in plan_points]
    control = head([w.summary for w in simulate_worlds(base, 11, 100, daily=False, world_overrides=shifted)])
    assert paired_holm_p(control, unbatched) < 0.01


def test_a_failing_batch_of_points_resumes_to_the_numbers_of_a_clean_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tiny_spec(tmp_path, reps=1, daily=False, extra=LHS.format(n=5))
    real = sim.model.simulate_worlds
    monkeypatch.setattr(sim.model, "simulate_worlds", failing_arm(real, "all_reforms"))
    out = tmp_path / "out"
    _, report = sweep_in_process(spec, out, batch=3)  # blocks of 3 and 2 points
    assert (report.ok, report.failed) == (5, 5)
    monkeypatch.setattr(sim.model, "simulate_worlds", real)
    _, retry = sweep_in_process(spec, out, resume=True)
    assert (retry.ran, retry.ok, retry.skipped) == (5, 5, 5)
    clean = tmp_path / "clean"
    sweep_in_process(spec, clean, batch=3)
    a, b = (ResultStore(o).read_runs().sort_values("run_id").reset_index(drop=True) for o in (out, clean))
    assert a["run_id"].tolist() == b["run_id"].tolist() and (a["status"] == "ok").all()
    np.testing.assert_array_equal(a["relief_rate"].to_numpy(float), b["relief_rate"].to_numpy(float))
    assert ResultStore(out).meta()["batch_mode"] == "points"
