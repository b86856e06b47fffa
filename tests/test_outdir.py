"""A user's files are never deleted; a bad --out is refused before any work (real subprocesses, as a user
meets it)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--scale", "classroom", "--set", "run.days=15", "--set", "run.drain_days=10"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("my thesis")
    (folder / "sub" / "data.csv").write_text("1,2")
    return folder


def assert_untouched(folder: Path) -> None:
    assert (folder / "notes.txt").read_text() == "my thesis"
    assert (folder / "sub" / "data.csv").read_text() == "1,2"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "sub"]


def test_force_into_the_current_folder_deletes_nothing(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    r = cli("run", "--out", ".", "--force", *QUICK, cwd=folder)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "current folder" in r.stderr
    assert_untouched(folder)


def test_force_into_a_folder_of_the_users_deletes_nothing(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    r = cli("run", "--out", str(folder), "--force", *QUICK)
    assert r.returncode == 2 and "did not write" in r.stderr, r.stderr
    assert_untouched(folder)


def test_force_replaces_our_own_results_with_normal_permissions(tmp_path: Path) -> None:
    out = tmp_path / "res"
    assert cli("run", "--out", str(out), *QUICK, "--quiet").returncode == 0
    assert (out / ".leniency-results").is_file()
    mode = stat.S_IMODE(out.stat().st_mode)
    assert mode & 0o055, oct(mode)  # readable by group/others as the umask allows, not 0700
    assert cli("run", "--out", str(out), *QUICK).returncode == 2  # without --force: refused
    r = cli("run", "--out", str(out), "--force", "--cases", *QUICK, "--quiet")
    assert r.returncode == 0, r.stderr
    assert (out / "cases.parquet").is_file() and (out / ".leniency-results").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".res")]  # no temp folder left behind


def test_unwritable_out_and_bad_seed_are_refused_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for args in (
        ["--out", str(blocker / "sub")],
        ["--out", "/proc/leniency-x"],
        ["--out", str(tmp_path / "a"), "--seed", "-1"],
    ):
        r = cli("run", *args, *QUICK)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 3
    assert not (tmp_path / "a").exists()


def test_sweep_into_a_folder_of_the_users_is_refused(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    spec = ROOT / "experiments" / "reforms.toml"
    r = cli("sweep", str(spec), "--out", str(folder), "--replications", "1", "--workers", "1", "--quiet")
    assert r.returncode == 2, r.stderr
    assert_untouched(folder)
    r = cli("sweep", str(spec), "--out", str(tmp_path / "new"), "--workers", "0")
    assert r.returncode == 2 and not (tmp_path / "new").exists(), r.stderr


def test_resume_with_a_different_spec_is_refused_naming_what_differs(tmp_path: Path) -> None:
    from tests.test_sweep_support import tiny_spec

    out = tmp_path / "out"
    first = tiny_spec(tmp_path, reps=1, arms='"baseline"', name="a.toml")
    assert cli("sweep", str(first), "--out", str(out), "--workers", "1", "--quiet").returncode == 0
    other = tiny_spec(tmp_path, reps=1, arms='"baseline"', days=31, name="b.toml")  # another scenario
    r = cli("sweep", str(other), "--out", str(out), "--workers", "1", "--resume", "--quiet")
    assert r.returncode == 2 and "different experiment" in r.stderr and "overrides" in r.stderr, r.stderr
    # more of the same: an extension
    more = tiny_spec(tmp_path, reps=2, arms='["baseline", "all"]', name="c.toml")
    assert cli("sweep", str(more), "--out", str(out), "--workers", "1", "--resume", "--quiet").returncode == 0
