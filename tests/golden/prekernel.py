"""The numpy model's figures for 100 district worlds of two arms, kept to check the compiled kernels.

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


# the baseline, and the reform whose learning would carry a last-bit difference on to later cases: a
# prosecutor who consults keeps what the court said, so one case on a threshold would change later offers
ARMS = ("baseline", "prosecutor_judge_coordination")


def worlds(arm: str) -> list[dict[str, float]]:
    """The summary figures of each of the 100 worlds of an arm (one batched district model)."""
    reforms = [] if arm == "baseline" else [arm]
    scenario = load_scenario(scale="district", reforms=reforms)
    return [r.summary for r in simulate_worlds(scenario, SEED, WORLDS, daily=False)]


if __name__ == "__main__":
    # by figure, to seven significant digits: the check is statistical, the file stays small
    out = {}
    for arm in ARMS:
        runs = worlds(arm)
        out[arm] = {k: [float(f"{w[k]:.7g}") for w in runs] for k in runs[0]}
    Path(sys.argv[1]).write_text(json.dumps(out, sort_keys=True) + "\n", encoding="utf-8")
