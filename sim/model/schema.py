"""The scenario schema: every parameter with its unit, range, default and meaning — here and nowhere else
(the sections are declared in ``params_world.py``, ``params_actors.py``, ``params_court.py`` and
``params_triage.py``; ``Scenario`` assembles them).

Anything wrong raises :class:`ScenarioError` naming the source, the key path and what is allowed. How scenario
files, reforms and scales are read and merged is in ``sim.model.scenario``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, ValidationError, field_validator

from sim.model.errors import ScenarioError
from sim.model.params_actors import LawyerParams, ProsecutorParams
from sim.model.params_base import Section
from sim.model.params_court import JudgeParams, LawParams, Workload
from sim.model.params_triage import TriageParams
from sim.model.params_world import CaseParams, DefendantParams, PowerParams, RunParams, iso_date

POWER_PRESETS: tuple[str, ...] = ("power_low", "power_high")


class Meta(Section):
    name: str = Field("baseline", description="scenario name")
    description: str = Field("", description="what the scenario represents")
    reforms: list[str] = Field(
        default_factory=list, description="reform overlays applied (filled in by the loader)"
    )
    scale: str = Field("", description="scale preset applied (filled in by the loader)")
    base: str = Field(
        "baseline",
        description="what the scenario rests on: 'baseline' (calibrated) or 'priors' (filled in by the "
        "loader)",
    )
    source: str = Field(
        "embedded baseline", description="the scenario file it was read from (filled in by the loader)"
    )


class TimelineEntry(Section):
    """One ``[[timeline]]`` entry: an overlay that takes effect on a date inside the run. The loader embeds
    the overlay's content (``changes``), so a resolved scenario runs without its files."""

    date: str = Field(description="the day the overlay takes effect (YYYY-MM-DD)")
    overlay: str = Field(description="the reform name or overlay file the changes were read from (a record)")
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description="the overlay: values or operations on the parameters in force on that day",
    )

    @field_validator("date", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        return iso_date(value)


class Scenario(Section):
    """A fully specified scenario. Its defaults are documented plausible values before calibration; the
    baseline (``load_scenario()``) is these plus the calibrated values of ``scenarios/baseline.toml``."""

    meta: Meta = Field(default_factory=lambda: Meta())
    run: RunParams = Field(default_factory=RunParams)
    case: CaseParams = Field(default_factory=CaseParams)
    defendant: DefendantParams = Field(default_factory=DefendantParams)
    power: PowerParams = Field(default_factory=PowerParams)
    prosecutor: ProsecutorParams = Field(default_factory=ProsecutorParams)
    lawyer: LawyerParams = Field(default_factory=LawyerParams)
    judge: JudgeParams = Field(default_factory=JudgeParams)
    law: LawParams = Field(default_factory=LawParams)
    workload: Workload = Field(default_factory=Workload)
    triage: TriageParams = Field(default_factory=TriageParams)
    timeline: list[TimelineEntry] = Field(
        default_factory=list, description="overlays taking effect on dates inside the run (run.start_date)"
    )

    def flat(self) -> dict[str, Any]:
        """The parameters as one dict with dotted keys (``power.information_asymmetry``); the timeline is
        not a parameter."""
        return flatten(self.model_dump(exclude={"timeline"}))

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "overrides") -> Scenario:
        """A copy with dotted-key overrides applied and validated."""
        data = self.model_dump()
        for key, value in overrides.items():
            set_dotted(data, key, value, source)
        return validate(data, source)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), sort_keys=True)


# Parameters that size the model or fix its calendar when it is built (staff per district, districts, the
# run's length, warm-up and start): a timeline cannot change them mid-run.
STARTUP_KEYS: tuple[str, ...] = (
    "run.days",
    "run.warmup_days",
    "run.drain_days",
    "run.districts",
    "run.start_date",
    "prosecutor.per_district",
    "lawyer.per_district",
    "judge.per_district",
)


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def bounds(info: Any) -> tuple[float | None, float | None, str]:
    """A schema field's inclusive range and unit, as declared with ``P``."""
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return lo, hi, extra.get("unit", "")


def field_help(path: Sequence[str | int]) -> str:
    """What is allowed at a key path, from the schema."""
    model: Any = Scenario
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            allowed = ", ".join(sorted(fields)) if fields else "nothing here"
            return f"allowed keys here: {allowed}"
        info = fields[part]
        model = info.annotation
    lo, hi, unit = bounds(info)
    typ = getattr(info.annotation, "__name__", str(info.annotation))
    rng = f" in [{lo}, {hi}]" if lo is not None or hi is not None else ""
    return f"allowed: {typ}{rng}{' ' + unit if unit else ''} ({info.description})"


def validate(data: Mapping[str, Any], source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
        if scenario.run.warmup_days >= scenario.run.days:
            raise ScenarioError(
                f"{source}: run.warmup_days = {scenario.run.warmup_days} must be less than run.days = "
                f"{scenario.run.days} (cases arriving during the warm-up are not counted: none would be)"
            )
        check_timeline_dates(scenario, source)
        return scenario
    except ValidationError as exc:
        err = exc.errors()[0]
        path = [p for p in err["loc"] if isinstance(p, str)]
        key = ".".join(path)
        if err["type"] == "extra_forbidden":
            parent = path[:-1]
            raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(parent + ['?'])}") from None
        got = err.get("input")
        raise ScenarioError(
            f"{source}: key '{key}' = {got!r} is invalid ({err['msg']}); {field_help(path)}"
        ) from None


def day_of(scenario: Scenario, date: str) -> int:
    """The run day (0 = run.start_date) of a calendar date."""
    return (dt.date.fromisoformat(date) - dt.date.fromisoformat(scenario.run.start_date)).days


def check_timeline_dates(scenario: Scenario, source: str) -> None:
    """A timeline needs a calendar, and each date must fall on a day with arrivals, in order."""
    entries, run = scenario.timeline, scenario.run
    if entries and not run.start_date:
        raise ScenarioError(
            f"{source}: [[timeline]] entry 1 (date {entries[0].date}): a timeline needs a calendar; set "
            "run.start_date (YYYY-MM-DD, the date of day 0)"
        )
    last = ""
    for i, e in enumerate(entries, 1):
        day = day_of(scenario, e.date)
        if not 0 <= day < run.days:
            end = dt.date.fromisoformat(run.start_date) + dt.timedelta(days=run.days - 1)
            raise ScenarioError(
                f"{source}: [[timeline]] entry {i} (date {e.date}, overlay {e.overlay}): the date is outside "
                f"the run; allowed: {run.start_date} (run.start_date) to {end.isoformat()} (the last day "
                f"with arrivals, run.days = {run.days})"
            )
        if e.date < last:
            raise ScenarioError(
                f"{source}: [[timeline]] entry {i} (date {e.date}, overlay {e.overlay}): entries must be in "
                f"date order; it comes after an entry dated {last}"
            )
        last = e.date


def check_kind(current: Any, value: Any, source: str, key: str) -> None:
    """A value of the parameter's kind, checked where it is written (a later overlay, e.g. a scale, may
    replace it before the whole scenario is validated): true/false is no number, a number no switch, and NaN
    or infinity no parameter value."""
    if isinstance(current, bool):
        if isinstance(value, str):  # "yes"/"false" would pass pydantic's lax bool
            raise ScenarioError(f"{source}: key '{key}' = {value!r}: true or false is needed")
    elif isinstance(current, int | float):
        if isinstance(value, bool):
            raise ScenarioError(f"{source}: key '{key}' = {value!r}: a number is needed, not true/false")
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(f"{source}: key '{key}' = {value!r}: not a finite number")


def set_dotted(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node or not isinstance(node[part], dict):
            raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(parts[:i] + ['?'])}")
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(parts[:-1] + ['?'])}")
    if isinstance(node[parts[-1]], dict):
        raise ScenarioError(
            f"{source}: '{key}' is a table of parameters, not a value; {field_help(parts + ['?'])}"
        )
    check_kind(node[parts[-1]], value, source, key)
    node[parts[-1]] = value
