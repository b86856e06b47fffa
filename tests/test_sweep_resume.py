"""Crash safety and resume: a sweep killed with SIGKILL part-way loses no finished run and duplicates none on
--resume; extending a finished sweep runs only what is new; a failing run is recorded and the sweep goes on;
--target-ci adds replications until the interval is narrow enough."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_sweep_support import cli_in_process, failing_arm, sweep_in_process, tiny_spec

import sim.model
from sim.engine.seeds import run_seed
from sim.engine.store import ResultStore
from sim.experiments.analysis import group_means
from sim.experiments.design.spec import SpecError, load_spec
from sim.experiments.report.page import build_report
from sim.experiments.sweep import Sweep

ROOT = Path(__file__).resolve().parent.parent


def test_sigkill_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    total = 2 * 25
    spec = tiny_spec(tmp_path, reps=25, arms='["baseline", "all"]', days=60)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "sweep",
        str(spec),
        "--out",
        str(out),
        "--workers",
        "2",
        "--batch",
        "2",  # batches of two worlds: killed mid-sweep, some batches finished, some not
        "--quiet",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((out / "runs.parquet").glob("part-*.parquet"))) < 4:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, at once
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = ResultStore(out).read_runs()
    assert 4 <= len(before) < total
    assert before["run_id"].is_unique and (before["status"] == "ok").all()

    loud = [c for c in cmd if c != "--quiet"]  # the summary says what ran and what was kept
    res = cli_in_process(*loud[3:], "--resume")  # sim.cli's arguments: the resume itself needs no process
    assert res.returncode == 0, res.stderr
    assert (
        f"ran {total - len(before)} ({total - len(before)} ok, 0 failed), {len(before)} already stored"
        in res.stdout
    )
    after = ResultStore(out).read_runs()
    assert len(after) == total and after["run_id"].is_unique
    kept = after.set_index("run_id").loc[before["run_id"]]
    assert (kept["attempt"].to_numpy() == before["attempt"].to_numpy()).all()  # finished runs were not redone
    daily = ResultStore(out).read_daily(["in_review"])
    per_run = daily.groupby("run_id")["attempt"].agg(["nunique", "size"])
    assert len(per_run) == total and (per_run["nunique"] == 1).all() and per_run["size"].nunique() == 1
    assert not list(out.rglob("*.tmp"))


def test_existing_sweep_needs_resume_or_force(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, reps=1, arms='"baseline"')
    out = tmp_path / "out"
    sweep_in_process(spec, out)
    proc = cli_in_process("sweep", str(spec), "--out", str(out), "--quiet")
    assert proc.returncode == 2 and "--resume" in proc.stderr and "--force" in proc.stderr


def test_one_sweep_per_folder_at_a_time(tmp_path: Path) -> None:
    import socket

    from sim.engine.outdir import record

    spec = tiny_spec(tmp_path, reps=1, arms='"baseline"')
    out = tmp_path / "out"
    out.mkdir()
    record(out, "sweep", [".sweep.lock"])  # a sweep marks its folder before it takes the lock
    (out / ".sweep.lock").write_text(f"{socket.gethostname()} {os.getpid()}")  # a live sweep: this process
    cmd = [sys.executable, "-m", "sim.cli", "sweep", str(spec), "--out", str(out), "--quiet"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "another sweep" in proc.stderr
    assert not (out / "runs.parquet").exists()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    (out / ".sweep.lock").write_text(f"{socket.gethostname()} {dead}")  # left by a killed sweep: taken over
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not (out / ".sweep.lock").exists()


def test_taking_the_lock_discards_only_unfinished_part_files(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    daily = tmp_path / "daily.parquet"
    daily.mkdir()
    stale = daily / ".part-00000000000000000001-1-000001.parquet.6badfa76.tmp"
    stale.write_bytes(b"half a parquet file")
    mine = [daily / "notes.tmp", tmp_path / ".part-x.parquet.1234.tmp"]  # not the store's pattern or folder
    for p in mine:
        p.write_text("a user's file")
    store.acquire_lock()
    store.release_lock()
    assert not stale.exists()
    assert all(p.read_text() == "a user's file" for p in mine)


def test_extending_a_finished_sweep_runs_only_what_is_new(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _, first = sweep_in_process(tiny_spec(tmp_path, reps=2, arms='["baseline", "all"]', daily=False), out)
    assert (first.ran, first.skipped) == (4, 0)
    _, again = sweep_in_process(
        tiny_spec(tmp_path, reps=2, arms='["baseline", "all"]', daily=False), out, resume=True
    )
    assert (again.ran, again.skipped) == (0, 4)
    _, more = sweep_in_process(
        tiny_spec(tmp_path, reps=2, arms='["baseline", "all"]', daily=False), out, resume=True, replications=3
    )
    assert (more.ran, more.skipped) == (2, 4)
    _, wider = sweep_in_process(
        tiny_spec(tmp_path, reps=3, arms='["baseline", "each", "all"]', daily=False), out, resume=True
    )
    assert (wider.ran, wider.skipped) == (6 * 3, 6)
    runs = ResultStore(out).read_runs()
    assert len(runs) == 8 * 3 and runs["run_id"].is_unique
    # a changed scenario (here one more day) is another experiment: --resume refuses to mix it in, naming what
    # differs
    with pytest.raises(SpecError, match="different experiment.*overrides"):
        sweep_in_process(
            tiny_spec(tmp_path, reps=3, arms='["baseline", "each", "all"]', daily=False, days=31),
            out,
            resume=True,
        )
    assert len(ResultStore(out).read_runs()) == 24
    build_report(out)
    assert pd.read_csv(out / "tables" / "arm_means.csv")["n"].max() == 3


def test_failing_run_is_recorded_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tiny_spec(tmp_path, reps=3, arms='["baseline", "all"]')
    out = tmp_path / "out"
    real = sim.model.simulate_worlds
    bad_seed = run_seed(load_spec(spec).master_seed, 0, 1)  # replication 1 (the same seed in every arm)

    def flaky(scenario, seed, worlds=1, **kw):  # noqa: ANN001, ANN003, ANN202
        if scenario.meta.name == "all_reforms" and seed == bad_seed:
            raise RuntimeError("judge fell asleep")
        return real(scenario, seed, worlds, **kw)

    monkeypatch.setattr(sim.model, "simulate_worlds", flaky)
    _, report = sweep_in_process(spec, out, batch=1)
    assert (report.ok, report.failed) == (5, 1)
    runs = ResultStore(out).read_runs()
    bad = runs[runs["status"] == "failed"]
    assert len(bad) == 1 and bad["arm"].iloc[0] == "all_reforms" and bad["seed"].iloc[0] == bad_seed
    assert bad["error"].iloc[0] == "RuntimeError: judge fell asleep"
    assert "judge fell asleep" in bad["traceback"].iloc[0] and "flaky" in bad["traceback"].iloc[0]
    page = build_report(out).html.read_text(encoding="utf-8")
    assert "1 runs failed" in page and "RuntimeError: judge fell asleep" in page
    assert (
        np.isnan(bad["relief_rate"].iloc[0]) and runs.loc[runs["status"] == "ok", "relief_rate"].notna().all()
    )

    monkeypatch.setattr(sim.model, "simulate_worlds", real)
    _, retry = sweep_in_process(spec, out, resume=True)
    assert (retry.ran, retry.ok, retry.skipped) == (1, 1, 5)
    runs = ResultStore(out).read_runs()
    assert len(runs) == 6 and runs["run_id"].is_unique and (runs["status"] == "ok").all()


def test_a_failing_batch_fails_its_runs_only_and_resumes_to_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tiny_spec(tmp_path, reps=3, arms='["baseline", "all"]', daily=False)
    real = sim.model.simulate_worlds
    monkeypatch.setattr(sim.model, "simulate_worlds", failing_arm(real, "all_reforms"))
    out = tmp_path / "out"
    _, report = sweep_in_process(spec, out)  # batches of 3 worlds (auto)
    assert (report.ok, report.failed) == (3, 3)
    runs = ResultStore(out).read_runs()
    bad = runs[runs["status"] == "failed"]
    assert set(bad["arm"]) == {"all_reforms"} and set(bad["world"]) == {0, 1, 2}
    assert (bad["error"] == "RuntimeError: court closed").all()
    monkeypatch.setattr(sim.model, "simulate_worlds", real)
    _, retry = sweep_in_process(spec, out, resume=True)
    assert (retry.ran, retry.ok, retry.skipped) == (3, 3, 3)
    # the same runs as a sweep that never failed
    clean = tmp_path / "clean"
    sweep_in_process(spec, clean)
    a, b = (ResultStore(o).read_runs().sort_values("run_id").reset_index(drop=True) for o in (out, clean))
    assert a["run_id"].tolist() == b["run_id"].tolist()
    np.testing.assert_array_equal(a["relief_rate"].to_numpy(float), b["relief_rate"].to_numpy(float))
    with pytest.raises(SpecError, match="--batch 1: the sweep in"):
        Sweep(load_spec(spec), out, batch=1).prepare(resume=True, force=False)


def test_target_ci_adds_replications_until_narrow(tmp_path: Path) -> None:
    spec = tiny_spec(tmp_path, reps=8, arms='["baseline", "all"]', daily=False, top="max_replications = 200")
    out = tmp_path / "out"
    sweep_in_process(spec, out)
    sd = group_means(ResultStore(out).read_runs(ok_only=True), ["leniency_cases"])["sd"].max()
    goal = 2.06 * sd / 5.0  # about 25 replications' worth
    _, report = sweep_in_process(spec, out, resume=True, target=("leniency_cases", goal))
    runs = ResultStore(out).read_runs(ok_only=True)
    hw = group_means(runs, ["leniency_cases"]).set_index("arm")["half_width"]
    n = runs.groupby("arm").size()
    assert report.target_met and (hw <= goal).all(), (goal, hw)
    assert n["baseline"] == n["all_reforms"] > 8  # arms grow together, keeping the pairs
    assert report.replications[0] == n["baseline"] and report.total == len(runs) and report.skipped == 16


def test_a_sweep_can_keep_each_runs_case_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    spec = tiny_spec(tmp_path, reps=2, arms='["baseline", "all"]', daily=False, top="cases = true")
    sweep_in_process(spec, out)
    store = ResultStore(out)
    cases = store.read_cases()
    runs = store.read_runs(ok_only=True)
    assert set(cases["run_id"]) == set(runs["run_id"]) and cases["attempt"].isin(runs["attempt"]).all()
    # each run's table is the one `leniency run --cases` would give for the same scenario and seed
    from sim.experiments.design.plan import Plan

    plan = Plan(load_spec(spec))
    task = next(iter(plan.tasks(2)))
    worlds = sim.model.simulate_worlds(
        plan.scenario(task.arm, task.point), task.seed, plan.batch, daily=False, cases=True
    )
    direct = worlds[task.replication % plan.batch].cases
    mine = cases[cases["run_id"] == task.run_id].drop(
        columns=["run_id", "attempt", "arm", "point", "replication"]
    )
    assert direct is not None
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), direct.reset_index(drop=True))
    assert not (tmp_path / "plain").exists()
    sweep_in_process(
        tiny_spec(tmp_path, reps=1, arms='"baseline"', daily=False, name="p.toml"), tmp_path / "plain"
    )
    assert not (tmp_path / "plain" / "cases.parquet").exists()  # off unless asked: it is large
