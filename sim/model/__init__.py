"""The simulation: the law, the scenario schema, the docket, the actors, the stages and the metrics."""

from sim.model.model import LeniencyModel, RunResult, simulate

__all__ = ["LeniencyModel", "RunResult", "simulate"]
