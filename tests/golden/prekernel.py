"""The numpy model's figures for 100 district worlds, kept to check the compiled kernels against it.

The kernels compute with the C library's exp, log and pow where numpy used its own vectorised versions; the
two differ in the last bit for a few inputs in a hundred, so a case lying exactly on a decision threshold may
fall the other way. ``tests/test_kernel.py`` checks that the compiled model's worlds agree with these
statistically. Written once, from the last commit before the kernels (4d465ac):
``python tests/golden/prekernel.py tests/data/prekernel_worlds.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sim.model import simulate_worlds
from sim.model.scenario import load_scenario

SEED = 20261207
WORLDS = 100


def worlds() -> list[dict[str, float]]:
    """The summary figures of each of the 100 worlds (one batched district model)."""
    return [r.summary for r in simulate_worlds(load_scenario(scale="district"), SEED, WORLDS, daily=False)]


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(worlds(), sort_keys=True) + "\n", encoding="utf-8")
