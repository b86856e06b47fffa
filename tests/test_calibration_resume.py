"""Calibration and the posterior keep every finished unit in the engine's store (``fit_evaluations/``,
``posterior_evaluations/`` in --out): a fit killed with SIGKILL, or a posterior interrupted part-way,
resumes with --resume, runs no unit that had finished and gives the numbers of an uninterrupted run, bit
for bit; a folder holding stored evaluations is continued or started over only when asked; --force
discards only the store's own tables; a user's file beside them is never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.engine.stored
from sim.cli import main
from sim.engine import seeds
from sim.engine.store import ResultStore
from sim.engine.stored import StoredUnits, stored_units
from sim.engine.unit import Unit
from sim.fitting import calibration as cal
from sim.fitting import targets as tgt
from sim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "experiments" / "calibration"
TINY = """[settings]
prior_weight = 0.0
quick_seeds = 2
quick_days = 60
fit_drain_days = 150
quick_maxfev = 10
[[target]]
metric = "appeal_rate"
value = 0.02
tolerance = 0.01
weight = 1.0
source = "test"
[[parameter]]
key = "defendant.appeal_threshold"
lo = 0.005
hi = 1.0
targets = ["appeal_rate"]
"""
FIT_OUTPUTS = ("fit_history.csv", "fit_table.csv")


def _fit_targets(tmp_path: Path) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


def _calibrate(out: Path, targets: Path, *flags: str) -> int:
    return main(
        ["calibrate", "--quick", "--targets", str(targets), "--out", str(out), "--workers", "1", *flags]
    )


def _same_fit(out: Path, whole: Path) -> None:
    """The fit's outputs are those of the uninterrupted fit (but the run's id and time in its title)."""
    for name in FIT_OUTPUTS:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    table = [(f / "fit_table.md").read_text(encoding="utf-8").splitlines()[1:] for f in (out, whole)]
    assert table[0] == table[1]


def _runs(out: Path) -> pd.DataFrame:
    return ResultStore(out).read_runs()


def _notes(out: Path) -> dict[Path, str]:
    """A user's files beside the results and inside the store folder."""
    files = {out / "notes.txt": "my notes", out / "fit_evaluations" / "README.txt": "mine too"}
    for p, text in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return files


def test_stored_units_give_the_objective_bit_for_bit_and_run_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tgt.load_spec(_fit_targets(tmp_path))
    base = load_scenario(scale="classroom")
    xs = [[0.05], [0.3], [0.05]]
    plain = cal.Evaluator(base, spec, seeds.seed_list(1, 2), 60, 150).evaluate(xs)
    with stored_units(tmp_path / "store") as units:
        stored = cal.Evaluator(base, spec, seeds.seed_list(1, 2), 60, 150, units=units).evaluate(xs)
        assert units.ran == 4  # two candidates x two seeds: the repeated candidate is read back
    assert list(map(repr, stored)) == list(map(repr, plain))

    def no_run(job: object) -> object:
        raise AssertionError("a stored unit ran again")

    monkeypatch.setattr(sim.engine.stored, "unit_metrics", no_run)
    with stored_units(tmp_path / "store") as units:
        assert units.earlier == 4
        again = cal.Evaluator(base, spec, seeds.seed_list(1, 2), 60, 150, units=units).evaluate(xs)
    assert list(map(repr, again)) == list(map(repr, plain))
    assert StoredUnits(tmp_path / "store").load() == 4
    assert not (tmp_path / "store" / ".sweep.lock").exists()


def test_a_killed_fit_resumes_and_gives_the_uninterrupted_numbers(tmp_path: Path) -> None:
    targets = _fit_targets(tmp_path)
    whole = tmp_path / "whole"
    assert _calibrate(whole, targets, "--quiet") == 0
    units = len(_runs(whole / "fit_evaluations"))

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "calibrate", "--quick", "--targets", str(targets)]
    cmd += ["--out", str(out), "--workers", "1", "--quiet"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    parts = out / "fit_evaluations" / "runs.parquet"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list(parts.glob("part-*.parquet"))) < 3:
            assert proc.poll() is None, "the fit ended before it could be killed"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = _runs(out / "fit_evaluations")
    assert 3 <= len(before) < units and before["run_id"].is_unique
    assert not (out / "fitted.toml").exists()
    notes = _notes(out)

    # the folder holds an interrupted fit: continued or started over only when asked
    assert _calibrate(out, targets, "--quiet") == 2
    assert _calibrate(out, targets, "--quiet", "--resume") == 0
    after = _runs(out / "fit_evaluations")
    assert len(after) == units and after["run_id"].is_unique
    kept = after.set_index("run_id").loc[before["run_id"]]
    assert (kept["attempt"].to_numpy() == before["attempt"].to_numpy()).all()  # nothing finished ran again
    _same_fit(out, whole)
    assert all(p.read_text(encoding="utf-8") == text for p, text in notes.items())
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".sweep.lock"))

    # --force: the store's own tables go, every unit runs again, the user's files stay
    assert _calibrate(out, targets, "--quiet", "--force") == 0
    forced = _runs(out / "fit_evaluations")
    assert len(forced) == units and not set(forced["attempt"]) & set(after["attempt"])
    _same_fit(out, whole)
    assert all(p.read_text(encoding="utf-8") == text for p, text in notes.items())


def test_a_folder_with_stored_evaluations_is_refused_without_resume_or_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = _fit_targets(tmp_path)
    out = tmp_path / "out"
    with stored_units(out / "fit_evaluations") as units:
        units._record("x" * 32, (Unit("{}", 1), None), [{"appeal_rate": 0.5}])
    (out / ".leniency-results").write_text(
        '{"tool": "leniency-sim", "command": "calibrate", "files": ["fit_evaluations"]}'
    )
    listing = sorted(str(p) for p in tmp_path.rglob("*"))
    capsys.readouterr()
    for flags in ((), ("--resume", "--force")):
        assert _calibrate(out, targets, "--quiet", *flags) == 2
        err = capsys.readouterr().err
        assert "--resume" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert _calibrate(out, targets, "--identify", "--resume") == 2
    assert "--identify" in capsys.readouterr().err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == listing  # refused before anything was written


def test_an_interrupted_posterior_resumes_and_gives_the_uninterrupted_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (CALIBRATION / "targets.toml").read_text(encoding="utf-8")
    small = {"fit_seeds": "1", "fit_days": "60", "fit_drain_days": "20"}  # the test is the plumbing
    lines = [
        f"{ln.split('=')[0].strip()} = {small[ln.split('=')[0].strip()]}"
        if "=" in ln and ln.split("=")[0].strip() in small
        else ln
        for ln in text.splitlines()
    ]
    targets = tmp_path / "targets.toml"
    targets.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def folder(name: str) -> Path:
        out = tmp_path / name
        out.mkdir()
        for f in [*CALIBRATION.glob("identification*"), CALIBRATION / ".leniency-results"]:
            (out / f.name).write_bytes(f.read_bytes())  # a copy of our results, marker and all
        return out

    def posterior(out: Path, *flags: str) -> int:
        return main(
            ["calibrate", "--posterior", "--targets", str(targets), "--out", str(out), "--workers", "1",
             "--draws", "4", "--generations", "2", "--check-draws", "2", "--quiet", *flags]
        )  # fmt: skip

    whole = folder("whole")
    assert posterior(whole) == 0
    units = len(_runs(whole / "posterior_evaluations"))
    assert units == 8 + 2  # eight draws on one fit seed, two checked on a fresh seed each

    out = folder("out")
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    real = sim.engine.stored.unit_metrics
    calls = []

    def interrupted(job: sim.engine.stored.Job) -> sim.engine.stored.Worlds:
        calls.append(job)
        if len(calls) > 5:
            raise KeyboardInterrupt  # Ctrl-C after five units
        return real(job)

    with monkeypatch.context() as m:
        m.setattr(sim.engine.stored, "unit_metrics", interrupted)
        assert posterior(out) == 130
    before = _runs(out / "posterior_evaluations")
    assert len(before) == 5 and not (out / "posterior.parquet").exists()
    assert not (out / "posterior_evaluations" / ".sweep.lock").exists()  # released on the way out

    assert posterior(out) == 2  # neither --resume nor --force
    assert posterior(out, "--resume") == 0
    after = _runs(out / "posterior_evaluations")
    assert len(after) == units
    kept = after.set_index("run_id").loc[before["run_id"]]
    assert (kept["attempt"].to_numpy() == before["attempt"].to_numpy()).all()  # nothing finished ran again
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "posterior.parquet"), pd.read_parquet(whole / "posterior.parquet")
    )
    for name in ("posterior_check.csv", "posterior.md"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"
    for f in CALIBRATION.glob("identification*"):  # the identification it rests on is left as it was
        assert (out / f.name).read_bytes() == f.read_bytes()
