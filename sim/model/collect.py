"""The daily series: Mesa's DataCollector with a fast path for the model's own reporters."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


def daily_value(key: str, model: LeniencyModel) -> float:
    """A model reporter reading one of the day's values (used through functools.partial: picklable)."""
    return model.today[key]


def daily_reporters(keys: tuple[str, ...]) -> dict[str, Any]:
    return {"day": "day", **{k: partial(daily_value, k) for k in keys}}


class DailyCollector(mesa.DataCollector):
    """``collect`` appends the day's values directly when every reporter is ``"day"`` or
    ``partial(daily_value, key)`` (plain numbers: no per-reporter dispatch or deepcopy); with any other
    reporter it is Mesa's collect."""

    def __init__(self, model_reporters: dict[str, Any]) -> None:
        super().__init__(model_reporters=model_reporters)
        self.plan: list[tuple[list[Any], str | None]] | None = None
        self.planned_for = -1

    def collect(self, model: mesa.Model) -> None:
        if self.plan is None or self.planned_for != len(self.model_reporters):
            super().collect(model)  # through Mesa (it validates the reporters), then plan the fast path
            plan: list[tuple[list[Any], str | None]] = []
            for var, rep in self.model_reporters.items():
                if isinstance(rep, str) and rep == "day":
                    plan.append((self.model_vars[var], None))
                elif (
                    isinstance(rep, partial)
                    and rep.func is daily_value
                    and len(rep.args) == 1
                    and not rep.keywords
                ):
                    plan.append((self.model_vars[var], rep.args[0]))
            fast = len(plan) == len(self.model_reporters) and not self.agent_reporters
            self.plan = plan if fast and not self.agenttype_reporters else []
            self.planned_for = len(self.model_reporters)
            return
        if not self.plan:
            super().collect(model)
            return
        today, day = model.today, model.day
        for values, key in self.plan:
            values.append(day if key is None else today[key])
