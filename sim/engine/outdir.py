"""The output guard: a user's files are never overwritten or deleted.

Every folder of results carries a marker file (``MARKER``): a JSON object naming the tool, the command and
the manifest of the names this tool wrote there (``files``). A command writes to a new or empty folder, or
to a folder holding the marker, and there only to names of its manifest (or new names): a user's file or
sub-folder beside our results is never replaced, and ``--force`` deletes only the manifest's names. A
single output file (``report --out``, ``bench --scaling``) is ours when it carries our generator signature.
A symbolic link is followed only to our own results. Everything is checked before any work starts, and a
refusal is one line naming the flag (exit 2); nothing is created by the check.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from sim import __version__
from sim.model.errors import ScenarioError

MARKER = ".leniency-results"
CHECKOUT = Path(__file__).resolve().parents[2]
SYSTEM = (Path("/proc"), Path("/sys"), Path("/dev"))  # virtual file systems: never results
GENERATOR = "leniency-sim"
# how a single file says it was written by this tool (HTML meta tag, JSON key, PNG text chunk)
SIGNATURES = (
    f'<meta name="generator" content="{GENERATOR}'.encode(),
    f'"generator": "{GENERATOR}'.encode(),
    f"Software\x00{GENERATOR}".encode(),
)

# What each command may write into its --out folder (top-level names). The one declaration the commands,
# the manifest and folders written before manifests existed (their marker has no ``files``) rely on.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "run": ("summary.json", "daily.parquet", "relief_events.parquet", "cases.parquet", "yearly.parquet"),
    "sweep": (
        "runs.parquet",
        "daily.parquet",
        "cases.parquet",
        "experiment.json",
        "spec.toml",
        "design.parquet",
        ".sweep.lock",
    ),
    "report": ("report.html", "tables", "ema"),
    "optimize": (
        "runs.parquet",
        ".sweep.lock",
        "optimize.json",
        "pareto.parquet",
        "candidates.parquet",
        "marginal.csv",
        "report.html",
    ),
    "calibrate": ("fitted.toml", "fit_history.csv", "fit_table.csv", "fit_table.md", "fit_evaluations"),
    "identify": (
        "identification.md",
        "identification_jacobian.csv",
        "identification_estimates.csv",
        "identification_correlations.csv",
    ),
    "posterior": ("posterior.parquet", "posterior.md", "posterior_check.csv", "posterior_evaluations"),
}
_KNOWN = frozenset(n for names in OUTPUTS.values() for n in names)


def _refuse(flag: str, path: Path | str, why: str) -> NoReturn:
    raise ScenarioError(f"{flag} {path}: {why}")


def protected(folder: Path) -> str | None:
    """Why a folder may never hold results, or None."""
    real = folder.resolve()
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        return "it is the current folder or one of its parents"
    if real == Path.home().resolve() or real == Path(real.anchor):
        return "it is the home folder or the file system root"
    if real == CHECKOUT or real in CHECKOUT.parents:
        return "it holds the leniency-sim checkout"
    return _system(real)


def _system(path: Path) -> str | None:
    real = path.resolve()
    for system in SYSTEM:
        if real == system or system in real.parents:
            return f"{system} is a system folder"
    return None


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The folder's marker (an unreadable one counts as a marker without a manifest), or None."""
    path = folder / MARKER
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def is_ours(folder: Path) -> bool:
    """Does the folder hold results this tool wrote (its marker file)?"""
    return read_marker(folder) is not None


def owned(folder: Path) -> set[str]:
    """The names in ``folder`` this tool wrote: its manifest; for a marker from before manifests, the
    names any command writes that are present."""
    doc = read_marker(folder)
    if doc is None:
        return set()
    files = doc.get("files")
    if isinstance(files, list):  # plain names only: a hand-edited "../x" must never reach outside
        return {f for f in files if isinstance(f, str) and f not in ("", ".", "..") and Path(f).name == f} | {
            MARKER
        }
    return {p.name for p in folder.iterdir() if p.name in _KNOWN} | {MARKER}


def is_our_file(path: Path) -> bool:
    """Was this file written by this tool (its signature, or a name in its folder's manifest)?"""
    if path.name in owned(path.parent) - {MARKER}:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    return any(s in head for s in SIGNATURES)


def _probe(path: Path, flag: str, shown: Path) -> None:
    """Fail now, not after the work, when nothing can be written at ``path`` (created nowhere)."""
    base = path
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        _refuse(flag, shown, f"{base} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".leniency-probe.", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        _refuse(flag, shown, f"cannot write there ({exc.strerror or exc})")


def guard_dir(
    out: Path,
    names: Iterable[str],
    *,
    force: bool,
    keep: Iterable[str] = (),
    flag: str = "--out",
    can_force: bool = True,
) -> Path:
    """May a command write ``names`` into the folder ``out``? Returns the folder to write (a symbolic link to
    our results resolved) or raises one line. ``keep``: the commands whose earlier results this command
    updates in place (sweep --resume, optimize, calibrate); other earlier results only ``force`` replaces
    (``can_force``: the command has a --force flag to suggest)."""
    shown = out
    if out.is_symlink():
        target = out.resolve()
        if not (target.is_dir() and is_ours(target)):
            _refuse(
                flag, shown, f"is a symbolic link to {target}, not to a folder of this tool's results; "
                "name a new folder"
            )  # fmt: skip
        out = target
    why = protected(out)
    if why is not None:
        _refuse(flag, shown, f"refusing to write results there: {why}; name a new folder for the results")
    if out.exists() and not out.is_dir():
        _refuse(flag, shown, "exists and is not a folder; name a new folder for the results")
    if out.is_dir():
        entries = {p.name for p in out.iterdir()}
        if entries and not is_ours(out):
            _refuse(
                flag,
                shown,
                f"folder is not empty and holds files this tool did not write (no {MARKER} marker); "
                "name a new or empty folder",
            )
        mine = owned(out)
        theirs = sorted((set(names) & entries) - mine)
        if theirs:
            _refuse(flag, shown, f"{theirs[0]} there was not written by this tool; name a new folder")
        earlier = (entries & mine) - {MARKER}
        kind = (read_marker(out) or {}).get("command")
        if earlier and not force and kind not in set(keep):
            how = (
                "--force replaces them (only the files this tool wrote)" if can_force else "name a new folder"
            )
            _refuse(
                flag,
                shown,
                f"holds this tool's earlier results (of leniency {kind or 'an older version'}); {how}",
            )
    _probe(out, flag, shown)
    return out


def guard_into(folder: Path, names: Iterable[str], *, flag: str) -> Path:
    """May a command add ``names`` to an existing folder of this tool's results (a report into its sweep's
    folder, which may be the current one)? Returns the real folder or raises one line."""
    real = folder.resolve()
    if not is_ours(real):
        _refuse(flag, folder, f"holds no {MARKER} marker, so not results this tool wrote; nothing written")
    theirs = sorted(n for n in names if (real / n).exists() and n not in owned(real))
    if theirs:
        _refuse(flag, folder, f"{theirs[0]} there was not written by this tool; move it away first")
    _probe(real, flag, folder)
    return real


def guard_file(path: Path, *, flag: str = "--out") -> Path:
    """May a command write the single file ``path``? A new file in an existing folder, or a file this tool
    wrote. Returns the path to write (a symbolic link to our file resolved) or raises one line."""
    shown = path
    if path.is_symlink():
        target = path.resolve()
        if not (target.is_file() and is_our_file(target)):
            _refuse(flag, shown, f"is a symbolic link to {target}, not to a file this tool wrote")
        path = target
    if path.is_dir():
        _refuse(flag, shown, "is a folder; name the file to write")
    why = _system(path.parent)
    if why is not None:
        _refuse(flag, shown, f"refusing to write there: {why}")
    if not path.parent.is_dir():
        _refuse(flag, shown, f"folder {path.parent} does not exist")
    if path.exists() and not is_our_file(path):
        _refuse(flag, shown, "exists and was not written by this tool; name a new file")
    _probe(path.parent, flag, shown)
    return path


def _write_marker(folder: Path, command: str, files: Iterable[str]) -> None:
    doc = {
        "tool": GENERATOR,
        "command": command,
        "version": __version__,
        "files": sorted(set(files) - {MARKER}),
    }
    tmp = folder / f"{MARKER}.tmp"
    tmp.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MARKER)


def record(folder: Path, command: str, names: Iterable[str]) -> None:
    """Mark ``folder`` as this tool's results and add ``names`` to its manifest, before they are written
    (so a crash leaves them ours, for --force to replace). The folder keeps the command that made it (a
    report in a sweep's folder leaves it a sweep)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = (read_marker(folder) or {}).get("command")
    _write_marker(folder, str(made or command), owned(folder) | set(names))


def start_over(folder: Path, command: str, spare: Iterable[str] = ()) -> None:
    """--force: remove every file this tool wrote in ``folder`` but ``spare`` (a lock held), and nothing
    else; the folder becomes ``command``'s."""
    for name in owned(folder) - {MARKER, *spare}:
        p = folder / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    _write_marker(folder, command, (n for n in spare if (folder / n).exists()))


def new_temp_dir(out: Path) -> Path:
    """A temporary sibling of ``out`` with the user's normal permissions (mkdtemp alone gives 0700)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    return tmp


def install(tmp: Path, out: Path, command: str, names: list[str], force: bool) -> None:
    """Move the finished files ``names`` from ``tmp`` into ``out``: a new folder is renamed into place
    whole; in an earlier results folder the files this tool wrote there are replaced and everything else
    (a user's notes, sub-folders) stays. ``tmp`` is gone afterwards."""
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()  # an empty folder holds nothing to lose
    if not out.exists():
        _write_marker(tmp, command, names)
        tmp.rename(out)
        return
    # checked before the work; checked again, since the folder may have changed while running
    guard_dir(out, names, force=force)
    earlier = (owned(out) - {MARKER}) & {p.name for p in out.iterdir()}
    record(out, command, names)  # what is in play stays ours if this is interrupted
    trash = Path(tempfile.mkdtemp(prefix=".old.", dir=tmp))
    for name in earlier:
        (out / name).rename(trash / name)
    for name in names:
        (tmp / name).rename(out / name)
    _write_marker(out, command, names)
    shutil.rmtree(tmp)
