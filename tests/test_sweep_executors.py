"""The same spec gives identical per-run metrics on 1 and 2 local worker processes and on a Dask LocalCluster,
and each run's metrics are those of its world in simulate_worlds() with the run's batch seed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_sweep_support import cli_sweep, tiny_spec

from sim.engine.store import ResultStore
from sim.model import simulate_worlds
from sim.model.metrics import METRICS

ROOT = Path(__file__).resolve().parent.parent


def test_identical_results_on_every_executor(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    spec = tiny_spec(tmp_path, reps=3, arms='["baseline", "all"]')
    tables = {}
    for label, args in {
        "1 worker": ["--workers", "1"],
        "2 workers": ["--workers", "2"],
        "dask local": ["--dask", "local", "--workers", "2"],
    }.items():
        out = tmp_path / label.replace(" ", "_")
        proc = cli_sweep(spec, out, *args, quiet=label != "2 workers")
        assert proc.returncode == 0, proc.stderr
        # --quiet means quiet; without it the summary counts the runs
        assert proc.stdout == "" if label != "2 workers" else "ran 6 (6 ok, 0 failed)" in proc.stdout
        runs = ResultStore(out).read_runs().sort_values("run_id").reset_index(drop=True)
        tables[label] = runs
    ref = tables["1 worker"]
    metrics = [m for m in METRICS if m in ref]
    assert len(metrics) == len(METRICS)
    for label, runs in tables.items():
        assert runs["run_id"].tolist() == ref["run_id"].tolist(), label
        assert runs["seed"].tolist() == ref["seed"].tolist(), label
        np.testing.assert_array_equal(
            runs[metrics].to_numpy(float), ref[metrics].to_numpy(float), err_msg=label
        )
    assert tables["dask local"]["worker"].nunique() >= 1
    # the stored metrics are simulate()'s for the run's scenario and seed
    from sim.experiments.design.plan import Plan
    from sim.experiments.design.spec import load_spec

    plan = Plan(load_spec(spec))
    task = next(t for t in plan.tasks(3) if t.arm == 1 and t.replication == 2)
    world = simulate_worlds(plan.scenario(task.arm, task.point), task.seed, plan.batch, daily=False)[2]
    direct = world.summary
    row = ref.set_index("run_id").loc[task.run_id]
    assert row["arm"] == "all_reforms"
    np.testing.assert_array_equal(np.array([direct[m] for m in metrics]), row[metrics].to_numpy(float))


@pytest.mark.slow
def test_dask_scheduler_address_gives_the_same_runs(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    spec = tiny_spec(tmp_path, reps=2, arms='["baseline", "all"]')
    ref = cli_sweep(spec, tmp_path / "local", "--workers", "1")
    assert ref.returncode == 0, ref.stderr
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        proc = cli_sweep(spec, tmp_path / "remote", "--dask", cluster.scheduler_address, quiet=False)
    assert proc.returncode == 0, proc.stderr
    assert f"dask {cluster.scheduler_address}" in proc.stdout
    a = ResultStore(tmp_path / "local").read_runs().sort_values("run_id").reset_index(drop=True)
    b = ResultStore(tmp_path / "remote").read_runs().sort_values("run_id").reset_index(drop=True)
    metrics = [m for m in METRICS if m in a]
    assert a["run_id"].tolist() == b["run_id"].tolist()
    np.testing.assert_array_equal(a[metrics].to_numpy(float), b[metrics].to_numpy(float))


@pytest.mark.slow
def test_unreachable_dask_scheduler_exits_2(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    proc = cli_sweep(
        tiny_spec(tmp_path, reps=1, arms='"baseline"'), tmp_path / "out", "--dask", "tcp://127.0.0.1:1"
    )
    assert proc.returncode == 2 and "cannot reach the scheduler" in proc.stderr


def test_unreachable_dask_scheduler_writes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    proc = cli_sweep(tiny_spec(tmp_path, reps=1, arms='"baseline"'), out, "--dask", "tcp://127.0.0.1:1")
    assert proc.returncode == 2 and "cannot reach the scheduler" in proc.stderr
    assert not out.exists()  # checked before the spec, metadata or design were written


def test_a_cluster_without_workers_is_reported_then_waited_for_or_stopped(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    spec = tiny_spec(tmp_path, reps=1, arms='"baseline"', days=30)
    with distributed.LocalCluster(
        n_workers=0, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        addr = cluster.scheduler_address
        stop = cli_sweep(spec, tmp_path / "a", "--dask", addr, "--stall-timeout", "1", "--no-workers", "stop")
        assert stop.returncode == 2 and "no worker has been connected" in stop.stderr, stop.stderr
        assert "--resume" in stop.stderr
        cmd = [sys.executable, "-m", "sim.cli", "sweep", str(spec), "--out", str(tmp_path / "b"), "--quiet"]
        cmd += ["--dask", addr, "--stall-timeout", "1"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            seen = []
            for line in proc.stderr:  # blocks until the sweep says it is waiting
                seen.append(line)
                if "waiting for workers" in line or len(seen) > 50:
                    break
            assert "waiting for workers" in seen[-1], seen
            cluster.scale(1)  # a worker joins: the sweep goes on and finishes
            out, err = proc.communicate(timeout=180)
        finally:
            proc.kill()
        assert proc.returncode == 0, err
        assert out == ""  # --quiet: no summary
        assert len(ResultStore(tmp_path / "b").read_runs(ok_only=True)) == 1
