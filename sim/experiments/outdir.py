"""Output folders: a user's files are never deleted.

Every results folder this tool writes carries a marker file (``MARKER``). ``--force`` replaces a folder
only when it carries the marker, and never the current folder, one of its parents, the home folder, the
file system root or the checkout; everything is checked before any work starts, so a bad ``--out`` costs
nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sim import __version__
from sim.model.scenario import ScenarioError

MARKER = ".leniency-results"
CHECKOUT = Path(__file__).resolve().parents[2]


def is_ours(folder: Path) -> bool:
    """Does the folder hold results this tool wrote (its marker file)?"""
    return (folder / MARKER).is_file()


def protected(folder: Path) -> str | None:
    """Why a folder may never be replaced, or None."""
    real = folder.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        return "it is the current folder or one of its parents"
    if real == Path.home().resolve() or real == Path(real.anchor):
        return "it is the home folder or the file system root"
    if real == CHECKOUT or real in CHECKOUT.parents:
        return "it holds the leniency-sim checkout"
    return None


def _probe_writable(folder: Path) -> None:
    """Fail now, not after the simulation, when the folder cannot be created or written."""
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".leniency-probe.", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ScenarioError(f"--out {folder}: cannot write there ({exc.strerror or exc})") from None


def check_out_dir(out: Path, force: bool, *, own: bool = False) -> None:
    """May results be written to ``out``? ``own``: the command keeps its own files there (a sweep) and
    replaces only those; otherwise ``--force`` replaces the whole folder, which must then be one of ours."""
    why = protected(out)
    if why is not None:
        raise ScenarioError(
            f"--out {out}: refusing to write results there: {why}; name a folder for the results"
        )
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a folder")
    busy = out.is_dir() and any(out.iterdir())
    if busy and not force and not (own and is_ours(out)):
        raise ScenarioError(
            f"--out {out}: folder is not empty; use --force to replace results this tool wrote there"
        )
    if busy and force and not is_ours(out):
        raise ScenarioError(
            f"--out {out}: holds files this tool did not write (no {MARKER} marker); refusing to replace it. "
            "Choose an empty or new folder."
        )
    _probe_writable(out)


def write_marker(folder: Path, command: str) -> None:
    """Mark a folder as this tool's results (what wrote it, with which version)."""
    text = json.dumps({"tool": "leniency-sim", "command": command, "version": __version__}) + "\n"
    (folder / MARKER).write_text(text, encoding="utf-8")


def new_temp_dir(out: Path) -> Path:
    """A temporary sibling of ``out`` with the user's normal permissions (mkdtemp alone gives 0700)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    return tmp


def replace_dir(tmp: Path, out: Path, force: bool) -> None:
    """Move a finished temporary folder into place; an existing ``out`` must be ours (checked again here)."""
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()  # an empty folder holds nothing to lose
    if out.exists():
        if not force:
            raise ScenarioError(f"--out {out}: appeared while running; use --force")
        if not is_ours(out) or protected(out) is not None:
            raise ScenarioError(f"--out {out}: changed while running and is no longer ours to replace")
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old)
    else:
        tmp.rename(out)
