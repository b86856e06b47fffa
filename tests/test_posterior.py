"""Parameter uncertainty: the posterior's draws respect the bounds, a --posterior sweep gives replication r
of every arm the same draw (common random numbers), is the same on any number of workers, is refused cleanly
for a bad file, and its report shows each effect with both kinds of interval."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_sweep_support import cli_in_process, tiny_spec

from sim.experiments.design.plan import Plan
from sim.experiments.design.spec import load_spec
from sim.experiments.design.uncertainty import choose_draws, posterior_overrides, ranges, read_posterior
from sim.fitting.importance import DF, Proposal, box_mass, truncated_draws
from sim.fitting.posterior import laplace_normal
from sim.model import simulate_worlds

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "experiments" / "calibration"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return cli_in_process(*args)


def test_the_samplers_first_proposal_respects_every_bound_and_centres_on_the_fit() -> None:
    names, mean, cov = laplace_normal(CALIBRATION)  # the Laplace approximation from the identification tables
    bounds = {
        **ranges(),
        "defendant.appeal_threshold": (0.005, 1.0),
        "prosecutor.review_days_fast": (1.0, 15.0),
    }
    lo, hi = (np.array([bounds[k][i] for k in names]) for i in (0, 1))
    rng = np.random.default_rng(3)
    first = Proposal(mean, cov, box_mass(mean, cov, lo, hi, rng))
    draws = pd.DataFrame(truncated_draws(first, 500, lo, hi, rng), columns=names)
    assert len(draws) == 500
    for col in names:
        assert draws[col].between(*bounds[col]).all(), col
    # a parameter far from its bounds keeps the estimate as its mean (t with DF d.f.: variance DF / (DF - 2))
    est = pd.read_csv(CALIBRATION / "identification_estimates.csv").set_index("parameter")
    m, se = est.loc["case.sentence_median_months", ["value", "se"]]
    spread = se * np.sqrt(DF / (DF - 2))
    assert abs(draws["case.sentence_median_months"].mean() - m) < 4 * spread / np.sqrt(500)


def test_draws_are_chosen_by_weight_deterministically_and_prefix_stable() -> None:
    post = pd.DataFrame({"defendant.contest_share": [0.3, 0.4, 0.5], "weight": [0.0, 0.25, 0.75]})
    a, b = choose_draws(post, 400, 11), choose_draws(post, 40, 11)
    assert np.array_equal(a[:40], b)
    assert not (a == 0).any()  # weight 0 is never drawn
    assert 0.65 < (a == 2).mean() < 0.85


def _posterior(path: Path, **columns: list[float]) -> Path:
    pd.DataFrame(columns).to_parquet(path, index=False)
    return path


@pytest.mark.parametrize(
    ("columns", "needle"),
    [
        ({"defendant.contest_share": [0.3, 0.4]}, "no 'weight' column"),
        ({"defendant.contest_share": [0.3, 0.4], "weight": [0.5, 0.6]}, "sum to 1"),
        ({"defendant.no_such": [0.3, 0.4], "weight": [0.5, 0.5]}, "'defendant.no_such' is not a parameter"),
        ({"defendant.contest_share": [0.3, 7.0], "weight": [0.5, 0.5]}, "outside its range"),
    ],
)
def test_a_bad_posterior_file_is_refused_before_anything_is_written(
    tmp_path: Path, columns: dict[str, list[float]], needle: str
) -> None:
    spec = tiny_spec(tmp_path)
    post = _posterior(tmp_path / "p.parquet", **columns)
    out = tmp_path / "out"
    r = cli("sweep", str(spec), "--out", str(out), "--posterior", str(post), "--quiet")
    assert r.returncode == 2
    line = r.stderr.strip().splitlines()
    assert len(line) == 1 and str(post) in line[0] and needle in line[0], r.stderr
    assert not out.exists()


def test_a_posterior_sweep_shares_draws_across_arms_and_reports_both_intervals(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, reps=4, daily=False)
    post = _posterior(
        tmp_path / "p.parquet",
        **{"defendant.contest_share": [0.2, 0.45, 0.7], "judge.case_view_sd": [0.05, 0.08, 0.12]},
        weight=[0.3, 0.4, 0.3],
    )
    runs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        r = cli(
            "sweep", str(spec), "--out", str(out), "--posterior", str(post), "--workers", workers, "--quiet"
        )
        assert r.returncode == 0, r.stderr
        runs[workers] = pd.read_parquet(out / "runs.parquet").sort_values("run_id").reset_index(drop=True)
    a, b = runs["1"], runs["2"]
    metrics = ["application_rate", "relief_initiations_per_100_nonessential"]
    pd.testing.assert_frame_equal(
        a[["run_id", "posterior_draw", *metrics]], b[["run_id", "posterior_draw", *metrics]]
    )
    drawn = a[a["posterior"] == 1]
    assert (drawn.groupby("replication")["posterior_draw"].nunique() == 1).all()  # the same draw in every arm
    assert drawn["posterior_draw"].between(0, 2).all()
    assert (a[a["posterior"] == 0]["posterior_draw"] == -1).all()
    assert set(a["arm"]) == {"baseline", "all_reforms"}
    # the 4 replications ran as the worlds of one model, each world with its replication's own draw
    assert (a["batch_size"] == 4).all()
    plan = Plan(load_spec(spec), read_posterior(post))
    task = next(t for t in plan.tasks(4) if t.arm == 1 and t.replication == 2 and plan.draw(t.point, 2) >= 0)
    draws = [posterior_overrides(plan.posterior, plan.draw(task.point, r)) for r in range(4)]
    sc = plan.scenario(task.arm, task.point)
    world = simulate_worlds(sc, task.seed, 4, daily=False, world_overrides=draws)[2].summary
    row = a.set_index("run_id").loc[task.run_id]
    assert [world[m] for m in metrics] == [row[m] for m in metrics]
    r = cli("report", str(tmp_path / "out1"))
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "out1" / "report.html").read_text()
    assert "Monte Carlo only" in html and "parameters + Monte Carlo" in html
    table = pd.read_csv(tmp_path / "out1" / "tables" / "effects_with_parameter_uncertainty.csv")
    assert (
        table["n_pairs (Monte Carlo only)"].eq(4).all()
        and table["n_pairs (parameters + Monte Carlo)"].eq(4).all()
    )


def test_the_samplers_diagnostic_columns_are_not_read_as_parameters(tmp_path: Path) -> None:
    from sim.experiments.design.uncertainty import parameters, read_posterior

    post = _posterior(
        tmp_path / "p.parquet",
        draw=[0, 1],
        **{"defendant.contest_share": [0.3, 0.4]},
        weight=[0.5, 0.5],
        J=[3.1, 4.2],
        generation=[0, 1],
    )
    assert parameters(read_posterior(post)) == ["defendant.contest_share"]


def test_the_shipped_posterior_is_valid_and_covers_the_fits_free_parameters() -> None:
    from sim.experiments.design.uncertainty import parameters, read_posterior
    from sim.fitting.targets import TARGETS_PATH, load_spec

    post = read_posterior(CALIBRATION / "posterior.parquet")
    assert sorted(parameters(post)) == sorted(p.key for p in load_spec(TARGETS_PATH).free)
    assert (post["weight"] > 0).sum() >= 10


def test_calibrate_posterior_gives_the_same_draws_on_dask_as_on_local_processes(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    text = (CALIBRATION / "targets.toml").read_text(encoding="utf-8")
    small = {
        "fit_seeds": "1",
        "fit_days": "200",
        "fit_drain_days": "20",
    }  # a short fit: the test is the plumbing
    lines = [
        f"{ln.split('=')[0].strip()} = {small[ln.split('=')[0].strip()]}"
        if "=" in ln and ln.split("=")[0].strip() in small
        else ln
        for ln in text.splitlines()
    ]
    targets = tmp_path / "targets.toml"
    targets.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outs = []
    for where in (("--workers", "2"), ("--dask", "local", "--workers", "2")):
        out = tmp_path / where[1]
        out.mkdir()
        for f in [*CALIBRATION.glob("identification*"), CALIBRATION / ".leniency-results"]:
            (out / f.name).write_bytes(f.read_bytes())  # a copy of our results, marker and all
        r = cli(
            "calibrate", "--posterior", "--targets", str(targets), "--out", str(out),
            "--draws", "4", "--generations", "2", "--check-draws", "2", "--quiet", *where,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        outs.append(out)
    a, b = (pd.read_parquet(o / "posterior.parquet") for o in outs)
    assert len(a) == 8
    pd.testing.assert_frame_equal(a, b)
    r = cli("calibrate", "--identify", "--dask", "local", "--out", str(tmp_path / "x"))
    assert r.returncode == 2 and "--dask goes with --posterior" in r.stderr
    assert not (tmp_path / "x").exists()
