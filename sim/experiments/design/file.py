"""The one way a spec file (sweep, optimize, calibration targets, published figures) is read: the file as
TOML (a missing file or a syntax error names the file), then a strict model (a bad key names the file and the
key path, and for an unknown key what is allowed there). Every failure is a :class:`SpecError`, a
``ScenarioError``, so the command line exits 2 before anything runs or is written."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from sim.model.errors import ScenarioError
from sim.model.files import read_toml


class SpecError(ScenarioError):
    """Bad spec input: names the file, the key and what is allowed."""


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


def read_spec(path: str | Path) -> dict[str, Any]:
    """A spec file's TOML document; a missing file, a syntax error or a file that is not UTF-8 text is a
    SpecError naming the file."""
    try:
        return read_toml(path)
    except ScenarioError as exc:
        raise SpecError(str(exc)) from None


def validate_spec[M: BaseModel](model: type[M], data: Any, source: str) -> M:
    """``data`` (a document or one entry of it) as ``model``; an error is one SpecError line naming
    ``source`` (the file, and the entry where there is one), the key and what is allowed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {describe_error(exc, model)}") from None


def load_spec_file[M: BaseModel](path: str | Path, model: type[M]) -> M:
    """Read and validate a whole spec file as ``model``."""
    return validate_spec(model, read_spec(path), str(path))


def beside(spec_path: str | Path, name: str) -> Path:
    """A file a spec names (its base scenario): relative to the spec file first, else to the working
    directory."""
    p = Path(name)
    near = Path(spec_path).parent / p
    return near if not p.is_absolute() and near.is_file() else p


def apply_flags[M: BaseModel](
    spec: M, given: Mapping[str, tuple[str, Any]], also: Mapping[str, Any] | None = None, where: str = ""
) -> M:
    """``spec`` with command-line values (key -> (flag, value), all given) validated exactly as the spec's
    own keys, so a flag is bounded like the key it overrides and an error names the flag; ``also``: keys the
    flags move with them; ``where``: the keys' table in the spec (``search.``), for the message."""
    if not given:
        return spec
    data = {**spec.model_dump(), **{k: v for k, (_, v) in given.items()}, **(also or {})}
    try:
        return type(spec).model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        flag, value = given.get(key, next(iter(given.values())))
        msg = err["msg"].removeprefix("Value error, ")
        raise SpecError(f"{flag} {value}: {msg} (bounded as the spec's {where}{key or 'keys'})") from None
