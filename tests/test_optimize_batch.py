"""leniency optimize runs a candidate's seeds as the worlds of batched models: each stored run is its world,
one model per seed (--batch 1) is each seed's own run, the batching is part of the question a resume must
share, and a search that cannot batch says why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_optimize import cli, spec_text

from sim.engine.seeds import Blocks, seed_list
from sim.experiments.design.spec import SpecError
from sim.model import simulate, simulate_worlds
from sim.optimize.evaluate import read_archive, search_batch
from sim.optimize.levers import lever, lever_names, scenario_at
from sim.optimize.spec import load_spec

SIZES = ("--population", "4", "--generations", "1", "--replications", "3")


def _runs(out: Path) -> dict[tuple[tuple[float, ...], int], dict[str, float]]:
    return {(tuple(r["x"]), r["seed"]): r["metrics"] for r in read_archive(out)}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("optb") / "tiny.toml"
    path.write_text(spec_text())
    return path


def test_a_batched_search_stores_each_world_and_an_unbatched_one_each_seed(
    spec: Path, tmp_path: Path
) -> None:
    batched, single = tmp_path / "batched", tmp_path / "single"
    for out, k in ((batched, "2"), (single, "1")):
        r = cli(spec, out, *SIZES, "--batch", k, "--workers", "2")
        assert r.returncode == 0, r.stderr
    meta = json.loads((batched / "optimize.json").read_text())
    assert meta["batch"] == 2 and json.loads((single / "optimize.json").read_text())["batch"] == 1
    sp, base = load_spec(spec, {"population": 4, "generations": 1, "replications": 3})
    levers = [lever(n) for n in sp.levers]
    seeds = seed_list(sp.master_seed, 3)
    assert meta["seeds"] == seeds
    today = tuple(0.0 for _ in levers)
    scenario = scenario_at(base, levers, today)
    blocks = Blocks(seeds, 2)  # blocks of seeds [0, 1] and [2]
    worlds = [
        w
        for b in range(2)
        for w in simulate_worlds(scenario, blocks.seed(b), len(blocks.seeds(b)), daily=False)
    ]
    got_b, got_s = _runs(batched), _runs(single)
    for i, s in enumerate(seeds):
        own = simulate(scenario, s, daily=False).summary
        for m, v in got_b[(today, s)].items():
            assert v == pytest.approx(worlds[i].summary[m], nan_ok=True, rel=1e-12, abs=1e-12), (s, m)
            assert got_s[(today, s)][m] == pytest.approx(own[m], nan_ok=True, rel=1e-12, abs=1e-12), (s, m)
    # batched and unbatched runs of one candidate on one seed are different runs of the same model (the
    # search then picks its later candidates from different numbers)
    assert any(got_b[(today, s)] != got_s[(today, s)] for s in seeds)
    # --resume with other batching is another question
    r = cli(spec, batched, *SIZES, "--batch", "1", "--resume")
    assert r.returncode == 2 and "another question" in r.stderr


def test_world_i_of_a_block_sees_the_same_cases_under_every_candidate() -> None:
    """Common random numbers: a block's seed depends on its seeds only, so two candidates' worlds pair up
    (here: a lever that changes nothing about arrivals leaves the arrivals of each world as they were)."""
    b = Blocks([11, 12, 13, 14, 15], 2)
    assert [b.seeds(i) for i in range(3)] == [[11, 12], [13, 14], [15]]
    assert b.of(14) == 1 and b.seed(1) == Blocks([13, 14], 2).seed(0)
    assert len({b.seed(i) for i in range(3)}) == 3
    _, base = load_spec(_write_spec(), None)
    levers = [lever(n) for n in lever_names()]
    x = np.zeros(len(levers))
    x[lever_names().index("judgment_reasoning")] = 1.0
    runs = [simulate_worlds(scenario_at(base, levers, v), b.seed(0), 2, daily=False) for v in (0 * x, x)]
    for w in range(2):
        assert runs[0][w].summary["cases_arrived"] == runs[1][w].summary["cases_arrived"]
    assert runs[0][0].summary["cases_arrived"] != runs[0][1].summary["cases_arrived"]


def _write_spec() -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "tiny.toml"
    path.write_text(spec_text())
    return path


def test_a_search_that_cannot_batch_says_why_or_runs_one_model_per_seed() -> None:
    _, base = load_spec(_write_spec(), None)
    levers = [lever(n) for n in lever_names()]
    assert search_batch(base, levers, None, None) > 1
    assert search_batch(base, levers, ["defendant.contest_share"], None) > 1
    assert search_batch(base, levers, ["judge.norm_sd"], None) == 1  # cannot differ between worlds
    moved = "judge.reasoning_quality"  # a per-world parameter that a lever moves
    assert search_batch(base, levers, [moved], None) == 1
    dated = base.with_overrides({"run.start_date": "2019-01-01"})
    assert search_batch(dated, levers, None, None) == 1
    with pytest.raises(SpecError, match="--batch 4"):
        search_batch(dated, levers, None, 4)
    assert search_batch(dated, levers, None, 1) == 1
    crowded = base.with_overrides({"run.cases_per_day": 1000.0})
    assert search_batch(crowded, levers, None, None) == 2  # memory: ~2,000 cases a day per batch


def test_a_bad_batch_flag_is_one_clear_error(spec: Path, tmp_path: Path) -> None:
    r = cli(spec, tmp_path / "o", *SIZES, "--batch", "many")
    assert r.returncode == 2 and "--batch many" in r.stderr
    assert not (tmp_path / "o").exists()
