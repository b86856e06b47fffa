"""The worlds of a sweep as EMA Workbench sees them: one row per world with its uncertainties (the factors
the design varied and, over posterior draws, each draw's parameter values) and the outcome a condition reads
(a metric of one arm, or a reform arm's paired difference from the baseline arm in the same world)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.discover.expr import Condition
from sim.engine.outdir import CHECKOUT
from sim.engine.store import ResultStore
from sim.experiments.design.uncertainty import UNCERTAINTY, parameters, read_posterior
from sim.model.errors import ScenarioError

COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
WORLD = ["point", "replication"]  # a world: a design point at one replication (its seed and posterior draw)


@dataclass
class Worlds:
    """What PRIM reads: ``x`` (uncertainties, one row per world) and ``y`` (the outcome per world)."""

    x: pd.DataFrame
    y: np.ndarray
    condition: Condition
    policy: str  # the arm (EMA: the policy) whose outcome or effect y is
    constant: list[str]  # inputs that did not vary (left out: no box can restrict them)

    @property
    def hit(self) -> np.ndarray:
        """Whether the condition holds in each world (EMA: the cases of interest)."""
        return np.asarray(COMPARE[self.condition.op](self.y, self.condition.value), dtype=bool)

    @property
    def uncertainties(self) -> list[str]:
        return list(self.x.columns)


def sweep_meta(folder: Path) -> dict[str, Any]:
    """A sweep folder's metadata, or one error saying the folder is no (finished) sweep."""
    store = ResultStore(folder)
    if not (folder / "runs.parquet").is_dir() or not store.has_runs():
        raise ScenarioError(
            f"{folder}: not a sweep folder with finished runs (no runs.parquet); run `leniency sweep SPEC "
            f"--out {folder}` first"
        )
    return store.meta()


def reform_arms(meta: dict[str, Any]) -> list[str]:
    """The arms a condition may name in effect(...): every arm but the baseline."""
    arms = list(meta.get("arms", []))
    base = meta.get("baseline_arm") or (arms[0] if arms else "")
    return [a for a in arms if a != base]


def _posterior(meta: dict[str, Any], given: str | None) -> pd.DataFrame | None:
    source = given or meta.get("posterior")
    if not source:
        return None
    path = Path(source)
    if not path.is_file() and not path.is_absolute() and (CHECKOUT / path).is_file():
        path = CHECKOUT / path
    if not path.is_file():
        raise ScenarioError(
            f"the sweep ran over posterior draws from {source}, which is not found; give the file with "
            "--posterior FILE"
        )
    return read_posterior(path)


def load_worlds(
    folder: Path, condition: Condition, *, arm: str | None = None, posterior: str | None = None
) -> Worlds:
    """The worlds of the sweep in ``folder`` for ``condition``: with a reform, that arm minus the baseline
    arm in each world both ran (same seed, same draw: paired); else ``arm``'s own runs (default: baseline)."""
    meta = sweep_meta(folder)
    base = meta.get("baseline_arm") or meta["arms"][0]
    factors = [f for f in meta.get("factors", []) if f != UNCERTAINTY]
    draws = _posterior(meta, posterior)
    runs = ResultStore(folder).read_runs(ok_only=True, current=True)
    keep = [*WORLD, *factors, *(["posterior_draw"] if draws is not None else []), condition.metric]
    policy = condition.reform or arm or base
    if policy not in set(meta.get("arms", [])):
        raise ScenarioError(f"--arm {policy}: not an arm of the sweep; arms: {', '.join(meta['arms'])}")
    own = runs.loc[runs["arm"] == policy, keep].set_index(WORLD)
    if condition.reform is not None:
        ref = runs.loc[runs["arm"] == base, [*WORLD, condition.metric]].set_index(WORLD)
        own = own.join(ref.add_suffix(".baseline"), how="inner")
        own[condition.metric] = own[condition.metric] - own.pop(f"{condition.metric}.baseline")
    own = own.dropna(subset=[condition.metric]).reset_index()
    if len(own) < 10:
        raise ScenarioError(
            f"{folder}: {len(own)} worlds with {condition.text} computable; scenario discovery needs more "
            "(at least 10; more design points or replications)"
        )
    x = own[factors].astype(float)
    if draws is not None:
        idx = own["posterior_draw"].to_numpy(int)
        if (idx < 0).any():  # point-estimate worlds carry no draw: PRIM sees the draw worlds only
            keep_rows = idx >= 0
            own, x, idx = (
                own[keep_rows].reset_index(drop=True),
                x[keep_rows].reset_index(drop=True),
                idx[keep_rows],
            )
        for p in parameters(draws):
            if p not in x:
                x[p] = draws[p].to_numpy(float)[idx]
    constant = [c for c in x.columns if x[c].nunique() < 2]
    x = x.drop(columns=constant)
    if x.shape[1] == 0:
        raise ScenarioError(
            f"{folder}: no input varies between the worlds (no factors, no posterior draws); scenario "
            "discovery needs a sweep with a design ([factors]) or --posterior"
        )
    return Worlds(x, own[condition.metric].to_numpy(float), condition, policy, constant)
