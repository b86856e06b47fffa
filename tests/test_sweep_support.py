"""Helpers (no tests): small specs and an in-process sweep runner shared by the sweep and report tests."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sim.cli import main
from sim.experiments.design.spec import load_spec
from sim.experiments.sweep import Sweep, SweepReport

ROOT = Path(__file__).resolve().parent.parent

TINY = """
name = "tiny"
description = "a tiny sweep for tests"
scale = "classroom"
master_seed = 99
replications = {reps}
reform_arms = {arms}
daily = {daily}
{top}
[overrides]
"run.days" = {days}
"run.warmup_days" = 0
"run.drain_days" = 60
"""


def tiny_spec(
    tmp_path: Path,
    reps: int = 2,
    arms: str = '["baseline", "all"]',
    daily: bool = True,
    days: int = 30,
    extra: str = "",
    name: str = "spec.toml",
    top: str = "",
) -> Path:
    p = tmp_path / name
    p.write_text(
        TINY.format(reps=reps, arms=arms, daily=str(daily).lower(), days=days, top=top) + extra,
        encoding="utf-8",
    )
    return p


def sweep_in_process(
    spec_path: Path,
    out: Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    replications: int | None = None,
    target: tuple[str, float] | None = None,
    batch: int | None = None,
) -> tuple[Sweep, SweepReport]:
    """Run a sweep on threads in this process (so tests can monkeypatch the model)."""
    sweep = Sweep(
        load_spec(spec_path), out, spec_text=spec_path.read_text(), replications=replications, batch=batch
    )
    sweep.prepare(resume=resume, force=False)
    ex = executor or ThreadPoolExecutor(2)
    with ex:
        report = sweep.run(ex, workers=2, description="threads", target=target, progress=False)
    return sweep, report


def cli_in_process(*argv: str) -> subprocess.CompletedProcess[str]:
    """``leniency ARGV`` through its entry point (``sim.cli.main``) in this process, from the repository's
    folder: the exit code, stdout and stderr a finished ``python -m sim.cli ARGV`` gives. No interpreter to
    start (~2 s a call) and the test's worker pools come from this process's forkserver (started once); a test
    about the process itself (a signal, a kill, its imports) starts a real one."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse's usage errors (2), --help and --version (0)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return subprocess.CompletedProcess(["leniency", *argv], code, out.getvalue(), err.getvalue())


def cli_command(
    command: str, spec: Path, out: Path, *args: str, quiet: bool = True
) -> subprocess.CompletedProcess[str]:
    """``leniency COMMAND SPEC --out OUT --quiet ARGS`` (``quiet=False``: without --quiet, to read the
    summary), in this process (``cli_in_process``)."""
    return cli_in_process(command, str(spec), "--out", str(out), *["--quiet"] * quiet, *args)


def cli_sweep(spec: Path, out: Path, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    """``leniency sweep SPEC --out OUT --quiet ARGS`` in a process of its own."""
    return cli_command("sweep", spec, out, *args, quiet=quiet)


def failing_arm(real: Callable[..., Any], arm: str) -> Callable[..., Any]:
    """``simulate_worlds`` that fails every batch of one arm (the others run as ``real``)."""

    def flaky(scenario, seed, worlds, **kw):  # noqa: ANN001, ANN003, ANN202
        if scenario.meta.name == arm:
            raise RuntimeError("court closed")
        return real(scenario, seed, worlds, **kw)

    return flaky


def tree(root: Path) -> dict[str, str]:
    """Every file (its digest), folder and link (its target) under ``root``."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            key = str(p.relative_to(root))
            if p.is_symlink():
                out[key] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[key] = "dir"
            else:
                out[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def interruptible() -> None:
    """``preexec_fn`` for a child a test will interrupt: SIGINT back to its default. A shell without job
    control starts background jobs with SIGINT ignored and children inherit that, so in a suite run as
    ``cmd &`` the test's Ctrl-C would otherwise go nowhere."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
