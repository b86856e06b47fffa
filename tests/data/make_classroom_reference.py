"""The reference of tests/test_streams.py: the summary figures of 100 classroom replications (seeds
1000-1099, drain 150 days), each its own unbatched model, of the code in a checkout.

``python tests/data/make_classroom_reference.py . tests/data/classroom_reference.csv`` (made from the model v3
code; the same script made the per-case streams' reference from commit 51a184b, the model before them).
"""

from __future__ import annotations

import csv
import sys


def main(checkout: str, out: str) -> None:
    sys.path.insert(0, checkout)
    from sim.model import simulate
    from sim.model.scenario import load_scenario

    sc = load_scenario(scale="classroom", overrides={"run.drain_days": 150})
    rows = [simulate(sc, 1000 + s, daily=False).summary for s in range(100)]
    keys = sorted(rows[0])
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seed", *keys])
        for s, r in enumerate(rows):
            w.writerow([1000 + s] + [repr(r[k]) for k in keys])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
