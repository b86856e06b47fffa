"""Where the shipped scenario files are and how a TOML file is read: the one reader, whose errors name the
file (the scenario loader and the reform catalogue both rest on it)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.model.errors import ScenarioError

SCALES: tuple[str, ...] = ("classroom", "district", "national")  # scenarios/scales/<name>.toml


def _scenario_dir() -> Path:
    """The shipped scenarios: the repository's ``scenarios/`` or, in a wheel, the copy inside the package."""
    repo = Path(__file__).resolve().parents[2] / "scenarios"
    return repo if repo.is_dir() else Path(__file__).resolve().parents[1] / "_scenarios"


SCENARIO_DIR = _scenario_dir()


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning a missing file or a syntax error into a ScenarioError naming it."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{p}: file not found")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p}: malformed TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{p}: not a UTF-8 text file") from None
