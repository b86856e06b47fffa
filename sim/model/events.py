"""The events stages emit and the bus observers subscribe to.

A stage handler changes case state and emits what happened (``signed``, ``relief``, ``judged``, ``closed``,
...); bookkeeping (tallies, the relief ledger, the daily series), the case stories, the Mesa defendant
agents and the app observe. An observer is any object with ``on_<event>`` methods; ``EventBus.attach``
subscribes each of them. Observers run in the order attached, synchronously, while the stage's rows hold
the state the event describes.

Events and their arguments (``rows`` are docket rows):

========================  ==================================================================================
``arrived``               rows
``hours``                 actor, stage, rows, hours, relief (bool: hours spent on relief)
``relief``                rows, stage, relief type, reasons, initiation (bool per row)
``plea_hearing``          rows (all heard), signed (the rows that signed)
``plea_set_aside``        rows, newly_found (bool per row: an involuntary plea found for the first time)
``withdrawn``             rows
``review_concluded``      rows (all cases whose review ends today)
``charged``               rows (prosecuted cases, procedure chosen)
``no_crime_found``        rows (pleaded cases the court acquits, Art. 201(1))
``plea_judged``           rows, adopted as signed, adjusted
``judged``                rows (first-instance convictions)
``appeal_window_closed``  rows, appealed, technical, protested
``second_instance``       rows
``remanded``              rows (sent back for retrial by the second instance; tried anew at first instance)
``released``              rows, days detained in this spell, of which after the first relief initiation
``closed``                rows, state
========================  ==================================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EVENTS: tuple[str, ...] = (
    "arrived",
    "hours",
    "relief",
    "plea_hearing",
    "plea_set_aside",
    "withdrawn",
    "review_concluded",
    "charged",
    "no_crime_found",
    "plea_judged",
    "judged",
    "appeal_window_closed",
    "second_instance",
    "remanded",
    "released",
    "closed",
)


class EventBus:
    """Synchronous publish/subscribe by event name."""

    def __init__(self) -> None:
        self.subscribers: dict[str, list[Callable[..., None]]] = {e: [] for e in EVENTS}

    def attach(self, observer: object) -> None:
        """Subscribe every ``on_<event>`` method of ``observer``."""
        for event in EVENTS:
            handler = getattr(observer, f"on_{event}", None)
            if handler is not None:
                self.subscribers[event].append(handler)

    def subscribe(self, event: str, handler: Callable[..., None]) -> None:
        if event not in self.subscribers:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENTS)}")
        self.subscribers[event].append(handler)

    def emit(self, event: str, *args: Any) -> None:
        for handler in self.subscribers[event]:
            handler(*args)
