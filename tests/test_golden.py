"""Golden outputs: the same seed gives the same summary, daily series and relief ledger, bit for bit, as
when the goldens were written. A change that moves a number on purpose regenerates them (``python
tests/golden/capture.py tests/golden/golden.json``) and says why in its commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden.capture import KEPT, digest

GOLDEN = json.loads((Path(__file__).parent / "golden" / "golden.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "scale", "reforms", "preset"), KEPT, ids=[k[0] for k in KEPT])
def test_same_seed_same_numbers(name: str, scale: str, reforms: tuple[str, ...], preset: str | None) -> None:
    got, want = digest(scale, reforms, preset), GOLDEN[name]
    changed = sorted(k for k in want["summary"] if got["summary"].get(k) != want["summary"][k])
    assert not changed, f"{name}: summary figures changed: {changed[:8]}"
    assert got["summary"].keys() == want["summary"].keys()
    assert got["daily"] == want["daily"], f"{name}: daily series changed"
    assert got["relief_events"] == want["relief_events"], f"{name}: relief ledger changed"
