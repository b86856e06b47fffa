"""Scenarios as users write them: a TOML file (or the embedded baseline) with reform overlays, a scale
preset and ``--set key=value`` overrides merged on top, in that order. An overlay states each change as an
operation on what it rests on (``set``, ``scale``, ``add``, ``at_least``, ``at_most``); reforms apply in
one canonical order, and two reforms that set the same key differently are an error. The schema itself is
``sim.model.schema``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.model.errors import ScenarioError
from sim.model.files import SCALES, SCENARIO_DIR, read_toml
from sim.model.params_world import iso_date
from sim.model.reforms import catalogue, find_reform, reform_names
from sim.model.registry import param_table
from sim.model.schema import (
    POWER_PRESETS,
    STARTUP_KEYS,
    Scenario,
    check_kind,
    day_of,
    field_help,
    flatten,
    set_dotted,
    validate,
)

__all__ = [
    "BASELINE",
    "POWER_PRESETS",
    "SCALES",
    "SCENARIO_DIR",
    "Scenario",
    "ScenarioError",
    "apply_op",
    "apply_overlay",
    "load_scenario",
    "overlay_changes",
    "overlay_path",
    "param_table",
    "parse_set",
    "read_toml",
    "reform_names",
    "timeline_states",
]

# The embedded default scenario: the schema's defaults with the calibrated values of scenarios/baseline.toml.
BASELINE = SCENARIO_DIR / "baseline.toml"


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any], source: str, prefix: str = "") -> None:
    """Merge a TOML overlay into ``base`` in place; unknown keys are errors, lists are replaced."""
    for k, v in over.items():
        key = f"{prefix}{k}"
        if k not in base:
            raise ScenarioError(f"{source}: unknown key '{key}'; {field_help(key.split('.')[:-1] + ['?'])}")
        op = _op_of(v, source, key)
        if op is not None:
            if isinstance(base[k], dict):
                raise ScenarioError(f"{source}: key '{key}' is a table of parameters, not a value")
            base[k] = apply_op(base[k], op[0], op[1], source, key)
            continue
        if isinstance(v, Mapping):
            if not isinstance(base[k], dict):
                raise ScenarioError(
                    f"{source}: key '{key}' takes a value or one operation per key, one of {', '.join(OPS)} "
                    f"(e.g. {{ scale = 0.8 }}); got {dict(v)}; {field_help(key.split('.'))}"
                )
            _deep_merge(base[k], v, source, key + ".")
        else:
            if isinstance(base[k], dict):
                raise ScenarioError(f"{source}: key '{key}' must be a table of parameters, got {v!r}")
            check_kind(base[k], v, source, key)
            base[k] = v


OPS = ("set", "scale", "add", "at_least", "at_most")
# what the loader records in meta from what it applied: never written by hand (a false label otherwise)
RECORDED = ("meta.reforms", "meta.scale", "meta.base", "meta.source")


def apply_op(current: Any, op: str, value: Any, source: str, key: str) -> Any:
    """One overlay operation (``OPS``) on a parameter's value, checked (a number where arithmetic is asked)
    and of the parameter's type (whole numbers round): the one implementation, what a reform does to a key
    and what the optimiser's levers move toward."""
    if op == "set":
        return value
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise ScenarioError(f"{source}: key '{key}': '{op}' needs a numeric parameter, got {current!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{source}: key '{key}': '{op}' needs a number, got {value!r}")
    if op == "scale":
        out = current * value
    elif op == "add":
        out = current + value
    elif op == "at_least":
        out = max(current, value)
    elif op == "at_most":
        out = min(current, value)
    else:
        raise ScenarioError(f"{source}: key '{key}': unknown operation '{op}'; one of {', '.join(OPS)}")
    return type(current)(round(out)) if isinstance(current, int) else float(out)


def _op_of(v: Any, source: str, key: str) -> tuple[str, Any] | None:
    """``{scale = 0.8}`` and the like: (op, value); a plain value: None (a set)."""
    if isinstance(v, Mapping) and len(v) == 1 and next(iter(v)) in OPS:
        op, val = next(iter(v.items()))
        return op, val
    if isinstance(v, Mapping) and any(k in OPS for k in v):
        raise ScenarioError(
            f"{source}: key '{key}': one operation per key, one of {', '.join(OPS)}; got {dict(v)}"
        )
    return None


def overlay_changes(overlay: Mapping[str, Any], source: str, prefix: str = "") -> list[tuple[str, str, Any]]:
    """An overlay's changes as (dotted key, operation, operand), its ``[meta]`` left out:
    ``{ at_least = 0.9 }`` is ("at_least", 0.9), a plain value ("set", value)."""
    out: list[tuple[str, str, Any]] = []
    for k, v in overlay.items():
        key = prefix + k
        if k == "meta" and not prefix:
            continue
        op = _op_of(v, source, key)
        if op is not None:
            out.append((key, *op))
        elif isinstance(v, Mapping):
            out.extend(overlay_changes(v, source, key + "."))
        else:
            out.append((key, "set", v))
    return out


def overlay_path(name: str, kind: str) -> Path:
    """The file of a reform (from the catalogue), scale or power preset, or a ScenarioError listing what
    exists; a path to a .toml file is taken as it is."""
    p = Path(name)
    if p.suffix == ".toml" and p.is_file():
        return p
    if kind == "reform":
        return find_reform(name).path
    folder = {"scale": SCENARIO_DIR / "scales", "preset": SCENARIO_DIR}[kind]
    candidate = folder / f"{name}.toml"
    if not candidate.is_file():
        allowed = {"scale": SCALES, "preset": POWER_PRESETS}[kind]
        raise ScenarioError(f"{kind} '{name}': unknown; allowed: {', '.join(allowed)}")
    return candidate


def parse_set(item: str) -> tuple[str, Any]:
    """Parse one ``--set key=value`` (value in TOML syntax; bare words are strings)."""
    if "=" not in item:
        raise ScenarioError(f"--set {item!r}: expected key=value, e.g. power.information_asymmetry=0.8")
    key, raw = item.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _reform_files(names: Iterable[str]) -> list[Path]:
    """Reform overlays in one canonical order (the catalogue's, then other files by name), each once."""
    paths = {overlay_path(n, "reform").resolve(): Path(n).stem for n in names}
    order = {r.path.resolve(): i for i, r in enumerate(catalogue())} if paths else {}
    return sorted(paths, key=lambda p: (order.get(p, len(order)), p.stem, str(p)))


def _check_conflicts(overlays: Sequence[tuple[Path, dict[str, Any]]]) -> None:
    """Two reforms that set the same key to different values cannot both hold: refuse, naming both."""
    seen: dict[str, tuple[Any, Path]] = {}
    for path, over in overlays:
        sets = {key: value for key, op, value in overlay_changes(over, str(path)) if op == "set"}
        for key, value in sets.items():
            if key in seen and seen[key][0] != value:
                other, where = seen[key]
                raise ScenarioError(
                    f"{path}: key '{key}' = {value!r} conflicts with {where}, which sets it to {other!r}; "
                    "reforms that set the same parameter must agree (or state the change as "
                    "scale/add/at_least/at_most)"
                )
            seen.setdefault(key, (value, path))


TIMELINE_KEYS = ("date", "overlay")
_NOT_IN_OVERLAY = ("timeline", "base", "reforms", "scale")


def _timeline_overlay(path: Path, i: int, date: str, name: str) -> tuple[str, dict[str, Any]]:
    """Entry ``i``'s overlay: a reform name or a TOML file relative to the scenario file; (label, content)."""
    where = f"{path}: [[timeline]] entry {i} (date {date}, overlay {name})"
    allowed = (
        f"allowed: a reform name ({', '.join(reform_names())}) or an overlay .toml file, relative to "
        f"{path.parent}/"
    )
    if name.endswith(".toml"):
        file = path.parent / name
        if not file.is_file():
            raise ScenarioError(f"{where}: file {file} not found; {allowed}")
    elif name in reform_names():
        file = overlay_path(name, "reform")
    else:
        raise ScenarioError(f"{where}: unknown overlay; {allowed}")
    content = {k: v for k, v in read_toml(file).items() if k != "meta"}
    for key in _NOT_IN_OVERLAY:
        if key in content:
            raise ScenarioError(f"{where}: key '{key}' in {file}: an overlay changes parameters only")
    return name, content


def _read_timeline(path: Path, raw: Any) -> list[dict[str, Any]]:
    """``[[timeline]]`` tables of a scenario file, each with its overlay read in (``changes``)."""
    if not isinstance(raw, list) or not all(isinstance(e, Mapping) for e in raw):
        raise ScenarioError(f"{path}: 'timeline' must be [[timeline]] tables with keys date and overlay")
    out = []
    for i, entry in enumerate(raw, 1):
        extra = [k for k in entry if k not in TIMELINE_KEYS]
        missing = [k for k in TIMELINE_KEYS if k not in entry]
        if extra or missing:
            bad = f"unknown key '{extra[0]}'" if extra else f"missing key '{missing[0]}'"
            raise ScenarioError(f"{path}: [[timeline]] entry {i}: {bad}; allowed keys: date, overlay")
        try:
            date = iso_date(entry["date"])
            if not isinstance(date, str) or not date:
                raise ValueError("a date YYYY-MM-DD, e.g. 2019-10-24")
        except ValueError as exc:
            raise ScenarioError(
                f"{path}: [[timeline]] entry {i}: date = {entry['date']!r} is invalid; allowed: {exc}"
            ) from None
        if not isinstance(entry["overlay"], str):
            raise ScenarioError(
                f"{path}: [[timeline]] entry {i} (date {date}): overlay must be a name or file"
            )
        label, changes = _timeline_overlay(path, i, date, entry["overlay"])
        out.append({"date": date, "overlay": label, "changes": changes})
    return out


def apply_overlay(scenario: Scenario, changes: Mapping[str, Any], source: str) -> Scenario:
    """The scenario with an overlay applied to the parameters in force (the same operations and checks as a
    reform's); parameters fixed at start-up (``STARTUP_KEYS``) are refused."""
    for key in flatten(changes):
        if key.rsplit(".", 1)[0] in STARTUP_KEYS or key in STARTUP_KEYS:
            raise ScenarioError(
                f"{source}: key '{key}' sizes the model or fixes its calendar when the run starts and cannot "
                f"change in a timeline; not allowed: {', '.join(STARTUP_KEYS)} (set them for the whole run)"
            )
    data = scenario.model_dump()
    _deep_merge(data, changes, source)
    return validate(data, source)


def timeline_states(scenario: Scenario) -> list[tuple[int, Scenario]]:
    """(run day, parameters in force from that day) for each timeline entry, each overlay applied on the
    parameters the previous one left; a bad overlay is a ScenarioError naming the file, the entry and the
    key."""
    out, current = [], scenario
    for i, e in enumerate(scenario.timeline, 1):
        where = f"{scenario.meta.source}: [[timeline]] entry {i} (date {e.date}, overlay {e.overlay})"
        current = apply_overlay(current, e.changes, where)
        out.append((day_of(scenario, e.date), current))
    return out


def _read_scenario_file(path: Path) -> tuple[dict[str, Any], str, list[str], str | None]:
    """A user's scenario file: (overlay, what it rests on, reforms it asks for, scale it asks for)."""
    over = read_toml(path)
    if "timeline" in over:
        over["timeline"] = _read_timeline(path, over["timeline"])
    base = over.pop("base", "baseline")
    if base not in ("baseline", "priors"):
        raise ScenarioError(
            f"{path}: key 'base' = {base!r}; allowed: 'baseline' (the calibrated embedded baseline, "
            "the default) or 'priors' (the schema's documented plausible values, before calibration)"
        )
    reforms = over.pop("reforms", [])
    if not isinstance(reforms, list) or not all(isinstance(r, str) for r in reforms):
        raise ScenarioError(
            f"{path}: key 'reforms' must be a list of reform names; allowed: {', '.join(reform_names())}"
        )
    scale = over.pop("scale", None)
    if scale is not None and not isinstance(scale, str):
        raise ScenarioError(f"{path}: key 'scale' must be a name; allowed: {', '.join(SCALES)}")
    meta = over.get("meta", {})
    for key in (k.removeprefix("meta.") for k in RECORDED):
        if isinstance(meta, Mapping) and key in meta:
            raise ScenarioError(
                f"{path}: key 'meta.{key}' is recorded by the tool from what it applied, never written by "
                f"hand; "
                "ask for reforms with --with NAME or a top-level reforms = [...], for a scale with --scale "
                "or scale = ..."
            )
    return over, base, reforms, scale


def load_scenario(
    path: str | Path | Scenario | None = None,
    *,
    reforms: Iterable[str] = (),
    scale: str | None = None,
    sets: Iterable[str] = (),
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Resolve a scenario: what it rests on, then the scale, reforms (in canonical order), ``--set`` items and
    overrides, in that order.

    A scenario file is an overlay on the embedded (calibrated) baseline unless it says ``base = "priors"``;
    it may ask for reforms and a scale at top level. ``meta.reforms``, ``meta.scale``, ``meta.base`` and
    ``meta.source`` record what was applied.
    """
    reforms = list(reforms)
    if isinstance(path, Scenario):
        data, path = path.model_dump(), None
        base, source = data["meta"].get("base", "baseline"), data["meta"].get("source", "scenario object")
        reforms = [*data["meta"].get("reforms", []), *reforms]
    else:
        data = Scenario().model_dump()
        base, source = "baseline", "embedded baseline"
        over: dict[str, Any] = {}
        if path is not None:
            over, base, asked, asked_scale = _read_scenario_file(Path(path))
            reforms = [*asked, *reforms]
            scale = scale or asked_scale
            source = str(path)
        if base == "baseline" and BASELINE.is_file():
            _deep_merge(data, read_toml(BASELINE), str(BASELINE))
        if path is not None:
            data["meta"]["name"] = Path(path).stem
            data["meta"]["description"] = ""
            _deep_merge(data, over, str(path))
    if scale:  # the size of the world first: a reform then changes it (its staffing scales the scale's)
        sp = overlay_path(scale, "scale")
        _deep_merge(data, read_toml(sp), str(sp))
        data["meta"]["scale"] = Path(scale).stem
    files = _reform_files(reforms)
    overlays = [(rp, read_toml(rp)) for rp in files]
    _check_conflicts(overlays)
    for rp, over in overlays:
        _deep_merge(data, {k: v for k, v in over.items() if k != "meta"}, str(rp))
    data["meta"]["reforms"] = [p.stem for p in files]
    data["meta"]["base"] = base
    data["meta"]["source"] = source
    for item in sets:
        key, value = parse_set(item)
        if key.split(".")[0] == "meta":  # meta records what ran; a label set by hand would be false
            raise ScenarioError(
                f"--set {item}: key '{key}' is written by the tool, never set; ask for reforms with --with "
                "NAME and for a scale with --scale"
            )
        set_dotted(data, key, value, f"--set {item}")
    for key, value in (overrides or {}).items():
        if key in RECORDED:
            raise ScenarioError(
                f"overrides: key '{key}' is recorded by the tool from what it applied, never set"
            )
        set_dotted(data, key, value, "overrides")
    label = source + (" with " + ", ".join(str(f) for f in files) if files else "")
    label += " with --set " + " ".join(sets) if sets else ""
    scenario = validate(data, label)
    timeline_states(scenario)  # every overlay checked on the parameters it will meet, before anything runs
    return scenario
