"""`leniency viz` as a user runs it: the address appears only once the server accepts connections, and
Ctrl-C (SIGINT to the command, as a terminal sends it) stops the server within a couple of seconds, leaving
no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_sweep_support import interruptible

from sim.commands.viz import free_port
from sim.engine.signals import alive

ROOT = Path(__file__).resolve().parent.parent


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


@pytest.mark.skipif(not Path("/proc").is_dir() or os.name != "posix", reason="needs Linux /proc and signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_viz_prints_its_address_when_it_listens_and_stops_at_once(sig: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "viz", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the command prints (or ends)
        assert line.startswith(f"leniency viz: serving the app at http://127.0.0.1:{port}/"), line
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # printed means listening
        server = _children(proc.pid)
        assert server, "the server runs as a child process"
        t0 = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=5)
        assert time.monotonic() - t0 < 3
        deadline = time.monotonic() + 2
        while any(alive(p) for p in server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(p) for p in server), "the server outlived leniency viz"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
