"""Signals: SIGTERM unwinds a command the way Ctrl-C does (finished work kept, locks released), and worker
processes die with the command that started them, even when it is killed by SIGKILL, which no handler sees."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so every command unwinds through the same
    ``finally`` blocks (the sweep's lock released, finished runs stored)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """While a command runs in the main thread, SIGTERM raises :class:`Terminated`; the previous handler
    comes back afterwards (the command line may be called in-process, e.g. by tests)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def alive(pid: int) -> bool:
    """Is ``pid`` running (a zombie, killed but not yet reaped, is not)? The one check used by the workers'
    watchdog and by the sweep's lock."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (not Linux): ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class _Flag(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...


def die_with(owner: int, stop: _Flag | None = None, every_s: float = 0.5) -> None:
    """In a worker process: exit at once when ``owner`` (the command's process) is gone, this process has
    been handed to another parent, or ``stop`` (a multiprocessing Event the owner sets when interrupted) is
    set; checked by a daemon thread every ``every_s`` seconds."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            if stop is not None:
                stopped = stop.wait(every_s)
            else:
                time.sleep(every_s)
                stopped = False
            if stopped or os.getppid() != parent or not alive(owner):
                os._exit(1)  # nothing of the worker's is worth keeping: its runs are stored by the owner

    threading.Thread(target=watch, name="die-with-owner", daemon=True).start()
