"""Shared fixtures: small, fast scenarios for tests."""

from __future__ import annotations

import pytest

from sim.model.scenario import Scenario, load_scenario


def small(days: int = 90, drain: int = 200, warmup: int = 0, **overrides: object) -> Scenario:
    """District scale, shortened (no warm-up unless asked): enough cases for directions, fast enough for the
    default suite."""
    return load_scenario(
        overrides={"run.days": days, "run.drain_days": drain, "run.warmup_days": warmup, **overrides}
    )


@pytest.fixture
def small_scenario() -> Scenario:
    return small()
