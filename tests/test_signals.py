"""Signals (issue 23): SIGTERM on a sweep stops it like Ctrl-C (lock released, finished runs kept, how to
resume said); a sweep killed by SIGKILL leaves no worker running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_sweep_support import tiny_spec

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def session_processes(sid: int) -> list[int]:
    """Live (not zombie) processes of session ``sid``: the sweep, its forkserver and its workers."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def start_sweep(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """A sweep long enough to be stopped mid-way, in its own session; returns once runs are being stored."""
    spec = tiny_spec(tmp_path, reps=200, arms='["baseline", "all"]', daily=False)
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
        "--quiet",
    ]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not (out / "runs.parquet").is_dir() or len(session_processes(proc.pid)) < 4:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the sweep did not start"
        time.sleep(0.2)
    return proc, out


def test_sigterm_releases_the_lock_and_says_how_to_resume(tmp_path: Path) -> None:
    proc, out = start_sweep(tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not (out / ".sweep.lock").exists()
    assert "--resume" in err and "Traceback" not in err, err
    assert (out / "runs.parquet").is_dir()


def test_workers_die_with_a_sweep_killed_by_sigkill(tmp_path: Path) -> None:
    proc, _ = start_sweep(tmp_path)
    sid = proc.pid
    assert len(session_processes(sid)) >= 4  # the sweep, the forkserver, two workers
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while session_processes(sid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session_processes(sid)
    for pid in left:  # leave nothing behind for the rest of the suite, then fail
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers outlived the sweep: {left}"
