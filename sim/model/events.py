"""The events stages emit and the bus observers subscribe to.

A stage handler changes case state and emits what happened as a typed record (``Arrived``, ``Relief``,
``Closed``... all in ``EVENTS``); bookkeeping (the counters and the relief ledger), the daily series, the case
stories, the Mesa defendant agents and the app observe. Each event is a frozen slotted dataclass whose fields
say what it carries, so an observer reads ``event.rows``, ``event.state``... and mypy checks it. An observer
is any object with an ``on_<name>`` method per event it follows (``name``: the class's ``name``, e.g.
``on_closed(self, event: Closed)``); ``EventBus.attach`` subscribes them and refuses an ``on_`` method that
names no event. Observers run in the order attached, synchronously, while the stage's rows hold the state
the event describes. Events fire once per batch of docket rows (numpy arrays), so a record costs little.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

import numpy as np

from sim.model.ledger import ActorName
from sim.model.procedure import CaseState, Stage
from sim.model.relief import ReliefType


@dataclass(frozen=True, slots=True)
class Event:
    """What happened to the cases ``rows`` (docket rows, one batch)."""

    name: ClassVar[str]
    rows: np.ndarray


@dataclass(frozen=True, slots=True)
class Arrived(Event):
    """New cases opened (in investigation)."""

    name: ClassVar[str] = "arrived"


@dataclass(frozen=True, slots=True)
class Hours(Event):
    """An actor's hours booked on the cases in a stage (one value per row); ``relief``: hours spent on
    relief, attributed to the case's relief class."""

    name: ClassVar[str] = "hours"
    actor: ActorName
    stage: Stage
    hours: np.ndarray
    relief: bool


@dataclass(frozen=True, slots=True)
class Relief(Event):
    """Relief events of one type in a stage: each row's reason (``sim.model.relief.Reason``) and whether it
    initiates relief (the first of its kind in the case)."""

    name: ClassVar[str] = "relief"
    stage: Stage
    rtype: ReliefType
    reasons: np.ndarray
    initiation: np.ndarray


@dataclass(frozen=True, slots=True)
class PleaHearing(Event):
    """Plea hearings held (``rows``); ``signed``: the rows that signed an agreement."""

    name: ClassVar[str] = "plea_hearing"
    signed: np.ndarray


@dataclass(frozen=True, slots=True)
class PleaSetAside(Event):
    """Pleas found involuntary and set aside; ``newly_found`` (per row): an involuntary plea found for the
    first time."""

    name: ClassVar[str] = "plea_set_aside"
    newly_found: np.ndarray


@dataclass(frozen=True, slots=True)
class Withdrawn(Event):
    """Pleas withdrawn by the defendant."""

    name: ClassVar[str] = "withdrawn"


@dataclass(frozen=True, slots=True)
class ReviewConcluded(Event):
    """Every case whose review ends today."""

    name: ClassVar[str] = "review_concluded"


@dataclass(frozen=True, slots=True)
class Charged(Event):
    """Cases prosecuted, their procedure chosen."""

    name: ClassVar[str] = "charged"


@dataclass(frozen=True, slots=True)
class NoCrimeFound(Event):
    """Pleaded cases the court acquits (Art. 201(1))."""

    name: ClassVar[str] = "no_crime_found"


@dataclass(frozen=True, slots=True)
class PleaJudged(Event):
    """Pleaded cases judged at first instance; per row, the recommendation ``adopted`` as signed or
    ``adjusted`` by the prosecutor and then adopted."""

    name: ClassVar[str] = "plea_judged"
    adopted: np.ndarray
    adjusted: np.ndarray


@dataclass(frozen=True, slots=True)
class Judged(Event):
    """First-instance convictions."""

    name: ClassVar[str] = "judged"


@dataclass(frozen=True, slots=True)
class AppealWindowClosed(Event):
    """The appeal window closed; per row: ``appealed``, a ``technical`` appeal, ``protested``."""

    name: ClassVar[str] = "appeal_window_closed"
    appealed: np.ndarray
    technical: np.ndarray
    protested: np.ndarray


@dataclass(frozen=True, slots=True)
class SecondInstance(Event):
    """Second-instance decisions."""

    name: ClassVar[str] = "second_instance"


@dataclass(frozen=True, slots=True)
class Remanded(Event):
    """Cases sent back for retrial by the second instance (tried anew at first instance)."""

    name: ClassVar[str] = "remanded"


@dataclass(frozen=True, slots=True)
class Released(Event):
    """Detention ended; ``days``: each case's days detained in the spell now ending."""

    name: ClassVar[str] = "released"
    days: np.ndarray


@dataclass(frozen=True, slots=True)
class Closed(Event):
    """Cases closed in ``state``; observers run before the docket frees the rows."""

    name: ClassVar[str] = "closed"
    state: CaseState


EVENTS: tuple[type[Event], ...] = (
    Arrived,
    Hours,
    Relief,
    PleaHearing,
    PleaSetAside,
    Withdrawn,
    ReviewConcluded,
    Charged,
    NoCrimeFound,
    PleaJudged,
    Judged,
    AppealWindowClosed,
    SecondInstance,
    Remanded,
    Released,
    Closed,
)
HANDLERS: dict[str, type[Event]] = {f"on_{e.name}": e for e in EVENTS}


def _init_by_slots(cls: type[Event]) -> None:
    """Give an event a cheaper ``__init__``: each field set through its slot's own setter, found once (the
    frozen dataclass's looks ``object.__setattr__`` up by name for every field of every record: twice the
    cost of building one, ~20 records a simulated day). The record stays frozen: assigning to a field
    afterwards raises ``FrozenInstanceError``. An event with a default keeps the dataclass's."""
    names = [f.name for f in fields(cls)]
    if any(f.default is not MISSING or f.default_factory is not MISSING for f in fields(cls)):
        return
    scope = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    exec(f"def __init__(self, {', '.join(names)}):\n{body}", scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]


for _event in EVENTS:
    _init_by_slots(_event)


class EventBus:
    """Synchronous publish/subscribe by event type."""

    def __init__(self) -> None:
        self.subscribers: dict[type[Event], list[Callable[[Any], None]]] = {e: [] for e in EVENTS}

    def attach(self, observer: object) -> None:
        """Subscribe every ``on_<event>`` method of ``observer``; an ``on_`` method naming no event is a
        mistake (it would never run) and is refused."""
        for attr in dir(observer):
            if attr.startswith("on_") and attr not in HANDLERS:
                known = ", ".join(HANDLERS)
                raise ValueError(f"{type(observer).__name__}.{attr} names no event; known: {known}")
        for handler_name, event in HANDLERS.items():
            handler = getattr(observer, handler_name, None)
            if handler is not None:
                self.subscribers[event].append(handler)

    def subscribe[E: Event](self, event: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler(record)`` on every ``event`` emitted."""
        if event not in self.subscribers:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(e.__name__ for e in EVENTS)}")
        self.subscribers[event].append(handler)

    def emit(self, event: Event) -> None:
        for handler in self.subscribers[type(event)]:
            handler(event)
