"""The strict layer every spec file (sweep, optimize, calibration targets) is read through, and one-line
messages for its validation errors: the key path and what is allowed."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError


class StrictSpec(BaseModel):
    """No unknown keys, no coercion: true/false is not a number nor "yes" a boolean, and NaN or infinity is
    no value (pydantic's lax mode would read true as 1 and "yes" as true)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _tuple_of_list(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# a TOML array where a fixed-length tuple is meant (strict mode takes only a tuple); its items stay strict
FromArray = BeforeValidator(_tuple_of_list)


def inner_model(ann: Any) -> tuple[type[BaseModel] | None, bool]:
    """The pydantic model inside an annotation, and whether a dict key sits between (dict[str, Model])."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann, False
    origin = typing.get_origin(ann)
    for arg in typing.get_args(ann):
        model, keyed = inner_model(arg)
        if model is not None:
            return model, keyed or origin is dict
    return None, False


def describe_error(exc: ValidationError, root: type[BaseModel]) -> str:
    """The first validation error in one line: the key path, and for an unknown key what is allowed there."""
    err = exc.errors()[0]
    loc = list(err["loc"])
    key = ".".join(str(p) for p in loc) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        model: type[BaseModel] | None = root
        skip = False
        for p in loc[:-1]:
            if isinstance(p, int) or model is None:
                continue
            if skip:
                skip = False
                continue
            info = model.model_fields.get(str(p))
            model, skip = inner_model(info.annotation) if info else (None, False)
        allowed = ", ".join(model.model_fields) if model is not None else "nothing"
        return f"unknown key '{key}'; allowed here: {allowed}"
    if err["type"] == "missing":
        return f"key '{key}' is required"
    if "input" in err and not isinstance(err["input"], dict):
        return f"key '{key}' = {err['input']!r} is invalid: {msg}"
    return f"key '{key}': {msg}"
