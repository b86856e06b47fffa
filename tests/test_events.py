"""The event bus: typed records reach the observers that follow them, and a handler that names no event is
refused instead of silently never running."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import small

from sim.model import LeniencyModel
from sim.model.events import EVENTS, Closed, EventBus, Released
from sim.model.procedure import CaseState


class Follower:
    def __init__(self) -> None:
        self.closed: list[Closed] = []

    def on_closed(self, event: Closed) -> None:
        self.closed.append(event)


class Misspelled:
    def on_close(self, event: Closed) -> None:  # no event is called "close"
        raise AssertionError("never called")


def test_an_observer_receives_the_record_of_its_event() -> None:
    bus, follower = EventBus(), Follower()
    bus.attach(follower)
    event = Closed(np.array([3, 4]), state=CaseState.FINAL)
    bus.emit(event)
    bus.emit(Released(np.array([1]), days=np.array([2])))  # not followed
    assert follower.closed == [event]


def test_a_handler_naming_no_event_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Misspelled.on_close names no event; known: on_arrived"):
        EventBus().attach(Misspelled())
    with pytest.raises(ValueError, match="unknown event"):
        EventBus().subscribe(int, print)  # type: ignore[type-var]


def test_records_are_immutable_and_every_event_has_a_distinct_handler() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Released(np.array([1]), days=np.array([2])).days = np.array([3])  # type: ignore[misc]
    names = [e.name for e in EVENTS]
    assert len(set(names)) == len(names) and all(dataclasses.fields(e)[0].name == "rows" for e in EVENTS)


def test_a_release_carries_each_spell_as_the_docket_counts_it() -> None:
    model = LeniencyModel(small(days=90), materialise_agents=False, rng=4)
    spells: list[int] = []

    def released(event: Released) -> None:
        d = model.docket
        assert np.array_equal(event.days, model.day - d.det_since[event.rows])
        spells.extend(event.days.tolist())

    model.events.subscribe(Released, released)
    while model.running:
        model.step()
    assert spells and sum(spells) == model.tally.detention_days  # no warm-up: every case counts
