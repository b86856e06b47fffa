"""A report on an unfinished or tiny sweep says so first (issue 23): on stderr and on the report's first
screen, right after the finding; a complete sweep of enough replications carries no warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from tests.test_sweep_support import tiny_spec


def sweep(tmp_path: Path, reps: int, capsys: pytest.CaptureFixture[str], arms: str) -> tuple[Path, str]:
    spec = tiny_spec(tmp_path, reps=reps, arms=arms, days=20, daily=False)
    out = tmp_path / "sw"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # --quiet: the summary is not printed, a warning goes to stderr
    return out, captured.err


def report(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    assert main(["report", str(folder), "--quiet"]) == 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    return capsys.readouterr().err, html[: html.index("<main>")]  # the first screen: header only


def test_few_replications_and_an_unfinished_sweep_are_said_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, console = sweep(tmp_path, 2, capsys, '["baseline", "all"]')
    assert "warning: 2 replications per point" in console
    err, first = report(out, capsys)
    assert "only 2 replications per arm and point" in err and "only 2 replications" in first
    assert "unfinished" not in err
    meta = json.loads((out / "experiment.json").read_text())
    meta["spec"]["replications"] = 6  # as a sweep of 6 replications left when stopped after 2
    (out / "experiment.json").write_text(json.dumps(meta))
    err, first = report(out, capsys)
    assert "unfinished sweep: 4 of 12 planned runs" in err and "--resume" in err
    assert "unfinished sweep: 4 of 12 planned runs" in first


def test_a_complete_sweep_of_five_replications_carries_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, console = sweep(tmp_path, 5, capsys, '"baseline"')
    assert "warning" not in console
    err, first = report(out, capsys)
    assert "warning" not in err.lower() and "class='warn'" not in first


def test_a_sweep_with_no_stored_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "sw"
    (folder / "runs.parquet").mkdir(parents=True)
    (folder / ".leniency-results").write_text('{"tool": "leniency-sim", "command": "sweep", "files": []}')
    assert main(["report", str(folder), "--quiet"]) == 2
    assert "no finished run is stored yet" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == [".leniency-results", "runs.parquet"]
