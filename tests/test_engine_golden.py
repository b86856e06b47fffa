"""Golden outputs of the engine: a batched run, sweeps (replications and design points, batched and not, on
one and two workers), calibration replications, the calibration's objective and a small search give the same
numbers, bit for bit, as when the goldens were written (``python tests/golden/engine.py
tests/golden/engine.json``; a change that moves a number on purpose regenerates them and says why in its
commit)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from golden import engine

GOLDEN = json.loads((Path(__file__).parent / "golden" / "engine.json").read_text(encoding="utf-8"))


def _batched(_: Path) -> Any:
    return engine.batched()


def _replications(_: Path) -> Any:
    return engine.replications()


def _calibration(_: Path) -> Any:
    return engine.calibration()


PARTS: dict[str, Callable[[Path], Any]] = {
    "batched": _batched,
    "sweeps": engine.sweeps,
    "replications": _replications,
    "calibration": _calibration,
    "search": engine.search,
}


@pytest.mark.parametrize("part", sorted(PARTS))
def test_the_engine_gives_the_golden_numbers(part: str, tmp_path: Path) -> None:
    got, want = PARTS[part](tmp_path), GOLDEN[part]
    changed = sorted(k for k in want if got.get(k) != want[k])
    assert not changed, f"{part}: changed: {changed}"
    assert got.keys() == want.keys()
