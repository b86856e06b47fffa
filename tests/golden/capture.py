"""Golden outputs: a digest of what one seed produces (summary, daily series, relief ledger) for a set of
scenarios, so a refactor can prove it changed no number.

``python tests/golden/capture.py OUT.json [--all]`` writes the digests; the test compares the kept few
(``KEPT``) against ``tests/golden/golden.json``. ``--all`` covers baseline, each reform, all reforms and the
power presets at classroom and district scale (the before/after check of a refactor).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model import simulate
from sim.model.scenario import POWER_PRESETS, load_scenario, overlay_path, reform_names

SEED = 20260101
REFORMS = reform_names()  # the shipped six (sim.model.reforms), in their canonical order
# (name, scale, reforms, preset): a few that the test suite keeps, quick enough for every run of it.
KEPT: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("classroom-baseline", "classroom", (), None),
    ("classroom-all", "classroom", REFORMS, None),
    ("classroom-power_high", "classroom", (), "power_high"),
)


def everything() -> list[tuple[str, str, tuple[str, ...], str | None]]:
    out = []
    for scale in ("classroom", "district"):
        out.append((f"{scale}-baseline", scale, (), None))
        out += [(f"{scale}-{r}", scale, (r,), None) for r in REFORMS]
        out.append((f"{scale}-all", scale, REFORMS, None))
        out += [(f"{scale}-{p}", scale, (), p) for p in POWER_PRESETS]
    return out


def frame_digest(df: pd.DataFrame | None) -> str:
    """SHA-256 over column names, dtypes and values (independent of the Parquet writer's version)."""
    if df is None:
        return "none"
    h = hashlib.sha256()
    for name in df.columns:
        col = df[name]
        h.update(f"{name}:{col.dtype}|".encode())
        values = col.to_numpy()
        if values.dtype == object:
            h.update("\x1f".join(map(repr, values.tolist())).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def digest(scale: str, reforms: tuple[str, ...], preset: str | None) -> dict[str, Any]:
    path = overlay_path(preset, "preset") if preset else None
    scenario = load_scenario(path, reforms=reforms, scale=scale)
    res = simulate(scenario, SEED, daily=True)
    summary = {k: repr(v) for k, v in res.summary.items()}  # repr: every bit of a float
    return {
        "summary": summary,
        "daily": frame_digest(res.daily),
        "relief_events": frame_digest(res.relief_events),
    }


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    cases = everything() if "--all" in argv[1:] else list(KEPT)
    doc = {name: digest(scale, reforms, preset) for name, scale, reforms, preset in cases}
    out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
