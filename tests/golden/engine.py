"""Golden outputs of the experiment engine: what a batched run, a sweep (replications and design points,
batched and not, on one and two workers), calibration replications and a small search produce, so that a
refactor of the engine can prove it changed no number.

``python tests/golden/engine.py OUT.json`` writes the digests; ``tests/test_engine_golden.py`` compares them
against ``tests/golden/engine.json``. Only what the inputs and seeds decide is digested (never attempt ids,
durations, workers or clock times).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.cli import main as cli
from sim.fitting import calibration as cal
from sim.fitting import targets as tgt
from sim.fitting.replicate import run_replications
from sim.model import simulate, simulate_worlds
from sim.model.scenario import load_scenario

try:
    from sim.engine.seeds import seed_list
except ImportError:  # the goldens' own commit, before the engine
    from sim.fitting.replicate import seed_list  # type: ignore[attr-defined,no-redef]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capture import frame_digest  # noqa: E402  (the scenario goldens' digest)

SEED = 20260101
SMALL = {"run.days": 60, "run.drain_days": 120, "run.cases_per_day": 4.0}
# the columns of runs.parquet that the inputs and seeds decide
VOLATILE = ("attempt", "duration_s", "worker", "finished_at", "traceback")

SWEEP = """
name = "golden"
description = "engine golden sweep"
scale = "classroom"
master_seed = 11
replications = {replications}
reform_arms = ["baseline", "all"]
baseline_arm = "baseline"
outcomes = ["relief_initiations_per_100_nonessential", "hours_per_case_total", "adoption_rate"]
headline = ["relief_initiations_per_100_nonessential", "adoption_rate"]
[overrides]
"run.days" = 60
"run.drain_days" = 120
"run.cases_per_day" = 4.0
{factors}
"""
FACTORS = """
[factors]
design = "lhs"
samples = 4
seed = 5
[factors.ranges]
"power.information_asymmetry" = [0.2, 0.8]
"power.detention_leverage" = [0.1, 0.7]
"""
SEARCH = """
name = "golden"
scale = "classroom"
master_seed = 7
levers = ["power_rebalancing", "appeal_countermeasures"]
objectives = ["relief_initiations_per_100_nonessential", "hours_per_case_total"]
[budget]
extra_hours_per_case = 2.0
[search]
population = 4
generations = 2
replications = 2
[overrides]
"run.days" = 60
"run.drain_days" = 120
"run.cases_per_day" = 4.0
"""


def summary_repr(summary: dict[str, float]) -> dict[str, str]:
    return {k: repr(v) for k, v in summary.items()}  # repr: every bit of a float


def runs_digest(folder: Path) -> str:
    runs = pd.read_parquet(folder / "runs.parquet")
    runs = runs.drop(columns=[c for c in VOLATILE if c in runs.columns])
    runs = runs.sort_values("run_id").reset_index(drop=True)
    return frame_digest(runs[sorted(runs.columns)])


def batched() -> dict[str, Any]:
    scenario = load_scenario(scale="classroom").with_overrides(SMALL)
    over = [{"power.information_asymmetry": v} for v in (0.2, 0.5, 0.8)]
    worlds = simulate_worlds(scenario, SEED, 3, daily=True, world_overrides=over)
    return {
        str(w): {"summary": summary_repr(r.summary), "daily": frame_digest(r.daily)}
        for w, r in enumerate(worlds)
    }


def sweeps(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    cases = {
        "replications-batched": (SWEEP.format(replications=4, factors=""), ["--workers", "1"]),
        "replications-batched-2": (SWEEP.format(replications=4, factors=""), ["--workers", "2"]),
        "replications-unbatched": (
            SWEEP.format(replications=3, factors=""),
            ["--workers", "1", "--batch", "1"],
        ),
        "points-batched": (SWEEP.format(replications=2, factors=FACTORS), ["--workers", "1"]),
        "points-unbatched": (
            SWEEP.format(replications=1, factors=FACTORS),
            ["--workers", "2", "--batch", "1"],
        ),
    }
    for name, (text, args) in cases.items():
        spec = root / f"{name}.toml"
        spec.write_text(text, encoding="utf-8")
        folder = root / name
        code = cli(["sweep", str(spec), "--out", str(folder), "--quiet", *args])
        assert code == 0, f"sweep {name} failed"
        out[name] = runs_digest(folder)
    return out


def replications() -> dict[str, Any]:
    base = load_scenario(scale="classroom").with_overrides(SMALL)
    other = base.with_overrides({"power.detention_leverage": 0.6})
    seeds = seed_list(3, 4)
    out: dict[str, Any] = {}
    for batch in (1, 4):
        done = run_replications([base, other], seeds, ["adoption_rate", "appeal_rate"], batch=batch)
        out[str(batch)] = [[summary_repr(r) for r in per] for per in done]
    return out


def calibration() -> dict[str, Any]:
    """The shipped calibration's objective J at the middle of its bounds and at a shifted candidate, on fixed
    fit seeds, one model per seed and three seeds per model."""
    out: dict[str, Any] = {}
    spec = tgt.load_spec()
    middle = [(p.lo + p.hi) / 2 for p in spec.free]
    shifted = [p.lo + 0.25 * (p.hi - p.lo) for p in spec.free]
    for batch in (1, 3):
        batched = replace(spec, settings={**spec.settings, "fit_batch": batch})
        ev = cal.Evaluator(load_scenario(scale="classroom"), batched, seed_list(9, 3), 60, 150)
        out[str(batch)] = [repr(j) for j in ev.evaluate([middle, shifted])]
    return out


def national() -> dict[str, Any]:
    """A national year (``--all`` only: a few minutes)."""
    res = simulate(load_scenario(scale="national"), SEED, daily=True)
    return {"summary": summary_repr(res.summary), "daily": frame_digest(res.daily)}


def archive(folder: Path) -> list[dict[str, Any]]:
    """The search's finished runs, as ``{"spec", "x", "seed", "metrics"}``."""
    try:
        from sim.optimize.evaluate import read_archive
    except ImportError:  # the goldens' own commit: one JSON line per run
        lines = (folder / "evaluations.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]
    return read_archive(folder)


def search(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for batch in ("1", "2"):
        spec = root / "search.toml"
        spec.write_text(SEARCH, encoding="utf-8")
        folder = root / f"search-{batch}"
        code = cli(
            ["optimize", str(spec), "--out", str(folder), "--quiet", "--workers", "1", "--batch", batch]
        )
        assert code == 0, "search failed"
        recs = sorted(archive(folder), key=lambda r: (r["x"], r["seed"]))
        out[f"evaluations-{batch}"] = hashlib.sha256(json.dumps(recs, sort_keys=True).encode()).hexdigest()
        out[f"pareto-{batch}"] = frame_digest(pd.read_parquet(folder / "pareto.parquet"))
    return out


def capture() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        doc = {
            "batched": batched(),
            "sweeps": sweeps(root),
            "replications": replications(),
            "calibration": calibration(),
            "search": search(root),
        }
        if "--all" in sys.argv[2:]:
            doc["national"] = national()
        return doc


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(capture(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
