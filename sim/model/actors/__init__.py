"""The actors. Each type keeps its state in a pool (arrays, one row per actor) so a day's cases are handled
in vectorized passes; its Mesa agents are views onto one row. Batch behaviour is classmethods taking the
model and the docket rows acted on; defendants' state is their docket row."""

from sim.model.actors import triage
from sim.model.actors.defendant import Defendant
from sim.model.actors.judge import Bench, Judge
from sim.model.actors.lawyer import DutyLawyer
from sim.model.actors.pool import ActorPool, PoolAgent
from sim.model.actors.prosecutor import Prosecutor, ProsecutorOffice

__all__ = [
    "ActorPool",
    "Bench",
    "Defendant",
    "DutyLawyer",
    "Judge",
    "PoolAgent",
    "Prosecutor",
    "ProsecutorOffice",
    "triage",
]
