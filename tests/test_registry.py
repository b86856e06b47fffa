"""The registry of parameters (sim.model.registry): one typed entry per declared parameter, which factors,
levers, free parameters and the app's sliders read."""

from __future__ import annotations

import pytest

from sim.model.registry import PARAMS, param
from sim.model.scenario import Scenario, ScenarioError
from sim.optimize.levers import Lever


def test_every_parameter_has_its_declared_default_kind_and_range() -> None:
    flat = {k: v for k, v in Scenario().flat().items() if not k.startswith("meta.")}
    assert {k: p.default for k, p in PARAMS.items()} == flat
    for key, p in PARAMS.items():
        assert type(flat[key]) is p.kind, key
        if p.lo is not None and p.hi is not None:
            assert p.lo <= p.default <= p.hi, key


def test_a_sampled_value_takes_its_parameters_kind() -> None:
    assert PARAMS["run.districts"].cast(2.6) == 3 and type(PARAMS["run.districts"].cast(2.6)) is int
    assert (
        PARAMS["power.target_pressure"].cast(1) == 1.0
        and type(PARAMS["power.target_pressure"].cast(1)) is float
    )
    assert PARAMS["lawyer.per_district"].whole and not PARAMS["lawyer.consultation_minutes"].whole


def test_bounds_inside_the_declared_range() -> None:
    p = PARAMS["judge.fast_track_uptake"]
    assert p.holds(0.2, 0.9) and not p.holds(0.2, 1.5) and not p.holds(0.5, 0.5)


def test_an_unknown_key_is_refused_naming_the_sections_parameters() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"lever more_judges: 'judge\.count' is not a scenario parameter.*"
        r"judge\.per_district",
    ):
        Lever("more_judges", "more judges", (("judge.count", "scale", 2.0),))
    with pytest.raises(ScenarioError, match="'nope.x' is not a scenario parameter"):
        param("nope.x")
