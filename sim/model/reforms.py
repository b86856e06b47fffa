"""The reform catalogue: every ``*.toml`` file in ``scenarios/reforms/``, and in the folders the environment
variable ``LENIENCY_REFORMS`` names, is a reform called by its file name. Its ``[meta]`` table says what the
app, the reports and the optimiser show (title, description, position); the rest of the file is its overlay.
Adding a reform is adding a file: the CLI, sweeps, the app and the levers all list what this module finds.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, ValidationError

from sim.model.errors import ScenarioError
from sim.model.files import SCENARIO_DIR, read_toml
from sim.model.params_base import Section

ENV_VAR = "LENIENCY_REFORMS"
NAME = re.compile(r"[a-z][a-z0-9_]*")  # a keyword of the app's model, a column suffix, a CLI word


class ReformMeta(Section):
    """A reform file's ``[meta]`` table."""

    title: str = Field("", description="a few words naming it (default: its file name, '_' read as ' ')")
    description: str = Field(min_length=1, description="what it changes and through which behaviour")
    order: int | None = Field(
        None,
        ge=1,
        strict=True,
        description="its place among the reforms: where they are listed and the order they apply in "
        "(the shipped six: their number in docs/domain.md §4); reforms without one follow, by name",
    )


@dataclass(frozen=True)
class Reform:
    """One reform: its name (the file's stem), what it is called and does, and the file it lives in."""

    name: str
    title: str
    description: str
    order: int | None
    path: Path


def reform_dirs() -> tuple[Path, ...]:
    """The shipped reforms' folder, then the user's folders from ``LENIENCY_REFORMS`` (os.pathsep
    separated)."""
    extra = [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return (SCENARIO_DIR / "reforms", *extra)


def catalogue() -> tuple[Reform, ...]:
    """Every reform, in canonical order (``order``, then name); read again only when a file changed."""
    files: list[tuple[Path, int]] = []
    for folder in reform_dirs():
        if not folder.is_dir():
            raise ScenarioError(
                f"{ENV_VAR}: folder {folder} not found (it names folders of reform .toml files)"
            )
        files += [(p, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.toml"))]
    return _read_all(tuple(files))


def reform_names() -> tuple[str, ...]:
    """The names of every reform, in canonical order."""
    return tuple(r.name for r in catalogue())


def find_reform(name: str) -> Reform:
    """A reform by name, or a ScenarioError listing the reforms there are."""
    for r in catalogue():
        if r.name == name:
            return r
    raise ScenarioError(
        f"reform '{name}': unknown; allowed: {', '.join(reform_names())} (a reform is a .toml file in "
        f"{SCENARIO_DIR / 'reforms'} or in a folder named by {ENV_VAR})"
    )


@functools.lru_cache(maxsize=16)
def _read_all(files: tuple[tuple[Path, int], ...]) -> tuple[Reform, ...]:
    seen: dict[str, Path] = {}
    out = []
    for path, _ in files:
        r = _read_reform(path)
        if r.name in seen:
            raise ScenarioError(f"{path}: reform '{r.name}' is already defined by {seen[r.name]}; rename one")
        seen[r.name] = path
        out.append(r)
    return tuple(sorted(out, key=lambda r: (r.order is None, r.order or 0, r.name)))


def _read_reform(path: Path) -> Reform:
    name = path.stem
    if not NAME.fullmatch(name):
        raise ScenarioError(
            f"{path}: a reform's file name is its name: lower-case letters, digits and '_', starting with a "
            "letter (e.g. early_counsel.toml)"
        )
    raw = read_toml(path).get("meta")
    if not isinstance(raw, dict):
        raise ScenarioError(f'{path}: a reform needs a [meta] table with at least description = "..."')
    try:
        meta = ReformMeta.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        allowed = "; ".join(f"{k}: {f.description}" for k, f in ReformMeta.model_fields.items())
        raise ScenarioError(f"{path}: [meta] key '{key}': {err['msg']}; allowed: {allowed}") from None
    return Reform(name, meta.title or name.replace("_", " "), meta.description, meta.order, path)
