"""The building blocks of the scenario schema: a documented parameter (``P``) and a section that refuses
booleans and non-finite numbers where a number is needed."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.config import JsonDict


def P(
    default: Any, lo: float | None, hi: float | None, unit: str, description: str, *, per_world: bool = False
) -> Any:
    """A documented parameter: default, inclusive range, unit and a one-line description. ``per_world``: it
    may take one value per world of a batched model (every read of it goes through
    ``LeniencyModel.per_world``; see ``sim.model.varying``)."""
    extra: JsonDict = {"unit": unit, "per_world": True} if per_world else {"unit": unit}
    return Field(default, ge=lo, le=hi, description=description, json_schema_extra=extra)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    @field_validator("*", mode="before")
    @classmethod
    def _a_real_number(cls, value: Any, info: ValidationInfo) -> Any:
        """true/false is not a number (pydantic would read it as 1/0), and NaN or infinity is no parameter
        value."""
        annotation = cls.model_fields[info.field_name].annotation if info.field_name else None
        if annotation in (int, float):
            if isinstance(value, bool):
                raise ValueError("a number is needed, not true/false")
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError("not a finite number")
        return value
