"""The simulation: the law, the scenario schema, the docket, the actors, the stages and the metrics."""

from sim.model.model import LeniencyModel, RunResult, WorldResult, simulate, simulate_worlds

__all__ = ["LeniencyModel", "RunResult", "WorldResult", "simulate", "simulate_worlds"]
