"""The simulation: the law, the scenario schema, the docket, the actors, the stages and the metrics.

``LeniencyModel``, ``simulate`` and the result types load Mesa and pandas: they are imported on first use, so
reading a scenario (``sim.model.scenario``) or answering ``leniency --help`` does not pay for them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel, RunResult, simulate, simulate_worlds

__all__ = ["LeniencyModel", "RunResult", "simulate", "simulate_worlds"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("sim.model.model"), name)
    raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
