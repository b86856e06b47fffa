"""How many worlds one model holds: the engine's rules, which every client (sweep, calibration, search) asks
rather than deciding on its own. A function of the scenarios and the request alone, never of the workers, so
the same experiment gives the same numbers anywhere."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sim.engine.limits import MAX_BATCH, MAX_BATCH_CASES_PER_DAY, REPLICATION_BATCH
from sim.model.errors import ScenarioError
from sim.model.schema import Scenario
from sim.model.varying import PER_WORLD


def replications_batchable(bases: Iterable[Scenario], drawn: Iterable[str] = ()) -> bool:
    """Whether replications can share a model: not with a calendar (run.start_date), and over posterior
    draws only when every parameter drawn per replication may differ between worlds
    (``sim.model.varying.PER_WORLD``)."""
    return not any(b.run.start_date for b in bases) and set(drawn) <= PER_WORLD


def batch_room(bases: Iterable[Scenario]) -> int:
    """The most worlds one model of these scenarios may hold: ``MAX_BATCH``, fewer for busy scenarios (at
    most ``MAX_BATCH_CASES_PER_DAY`` arrivals a day over all worlds)."""
    per_day = max(b.run.cases_per_day for b in bases)
    return int(MAX_BATCH_CASES_PER_DAY // per_day) if per_day > 0 else MAX_BATCH


def replication_batch(
    bases: list[Scenario],
    drawn: Collection[str],
    requested: int | None,
    moved: Collection[str] = (),
    *,
    what: str,
) -> int:
    """Seeds per model for replications of ``bases`` whose parameters ``drawn`` differ per replication and
    ``moved`` differ per candidate (which may not also be drawn): ``requested``, checked, or with None as many
    as fit (``REPLICATION_BATCH``, the scenarios' room); 1 where replications cannot share a model.
    ``what`` names the caller in the error."""
    ok = replications_batchable(bases, drawn) and not set(drawn) & set(moved)
    if requested is not None:
        if requested > 1 and not ok:
            raise ScenarioError(
                f"--batch {requested}: this {what} cannot batch its seeds (a calendar, or posterior "
                "parameters that cannot differ between worlds or that a lever moves); use --batch 1"
            )
        return requested
    return max(1, min(REPLICATION_BATCH, batch_room(bases))) if ok else 1
