"""Parameters that differ between the worlds of one batched model.

A batch may hold worlds of different design points (a Sobol, LHS or Morris sample) as long as they share
their structure. The parameters declared ``per_world`` (``PER_WORLD``) may then take one value per world: the
actors read them through ``LeniencyModel.per_world(key)`` (float64, one value per world: the world's own where
the key varies, the scenario's elsewhere), which a compiled kernel reads at a case's world. Any other key must
be the same in every world of a batch (``check_per_world`` refuses it), so a batch never silently runs a world
with another world's value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.model.errors import ScenarioError
from sim.model.registry import PER_WORLD
from sim.model.schema import Scenario

# PER_WORLD holds the keys declared ``per_world=True`` in ``params_*.py``: the main power and behavioural
# parameters, the reforms' intensities (each reform overlay's keys but the duty lawyers' staffing) and the
# calibration's free parameters (posterior draws). Every read of them in the model goes through ``per_world``
# (or, for the prosecutors' belief error, a value per prosecutor): tests/test_varying.py checks each key,
# worlds given a value one by one against a scenario that holds it.
__all__ = ["PER_WORLD", "WorldValues", "check_per_world"]


def check_per_world(world: Scenario, per_world: Sequence[Mapping[str, Any]], source: str) -> None:
    """Refuse keys that cannot vary between worlds, and values the schema refuses (each world validated)."""
    for w, over in enumerate(per_world):
        fixed = sorted(set(over) - PER_WORLD)
        if fixed:
            raise ScenarioError(
                f"{source}: world {w}: {', '.join(fixed)} cannot differ between the worlds of a batch; "
                f"keys that can: {', '.join(sorted(PER_WORLD))}"
            )
        world.with_overrides(over, source=f"{source}, world {w}")


class WorldValues:
    """The per-world values of the varying keys (a world that does not set a key keeps the scenario's)."""

    def __init__(self, world: Scenario, per_world: Sequence[Mapping[str, Any]]) -> None:
        check_per_world(world, per_world, "per-world parameters")
        flat = world.flat()
        keys = sorted({k for over in per_world for k in over})
        self.values: dict[str, np.ndarray] = {
            k: np.array([float(over.get(k, flat[k])) for over in per_world], dtype=np.float64) for k in keys
        }
