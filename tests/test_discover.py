"""`leniency discover`: EMA Workbench's PRIM finds a box planted in a synthetic sweep, bad conditions are one
clear error (exit 2) naming what is allowed with nothing written, --signs tells a sign that turns from one
that holds, and the design runs a point as the world the arms' reforms then change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.engine.outdir import OUTPUTS, record
from sim.engine.store import ResultStore

NONESS = "relief_initiations_per_100_nonessential"
AVOID = "relief_initiations_per_100_essential_avoidable"
IA, DL, TP = "power.information_asymmetry", "power.detention_leverage", "power.target_pressure"


def planted_sweep(folder: Path, n: int = 300, seed: int = 3) -> Path:
    """A sweep of ``n`` worlds x three arms: ``rebal`` raises non-essential relief exactly where
    IA > 0.6 and DL < 0.5 (and lowers it elsewhere), ``steady`` lowers it everywhere; the baseline's avoidable
    essential relief is high where TP > 0.7."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 3)), columns=[IA, DL, TP])
    inside = ((x[IA] > 0.6) & (x[DL] < 0.5)).to_numpy()
    base_non = 4 + rng.normal(0, 0.2, n)
    base_avoid = np.where(x[TP] > 0.7, 6.0, 3.0) + rng.normal(0, 0.2, n)
    effects = {
        "baseline": np.zeros(n),
        "rebal": np.where(inside, 1.0, -1.0) + rng.normal(0, 0.2, n),
        "steady": -1.0 + rng.normal(0, 0.2, n),
    }
    rows = []
    for arm, eff in effects.items():
        for i in range(n):
            rows.append(
                {"run_id": f"{arm}-{i}", "arm": arm, "point": i, "replication": 0, "status": "ok",
                 "attempt": 1, **x.iloc[i].to_dict(), NONESS: base_non[i] + eff[i],
                 AVOID: base_avoid[i] + 0.1 * eff[i]}
            )  # fmt: skip
    record(folder, "sweep", OUTPUTS["sweep"])
    store = ResultStore(folder)
    meta = {
        "arms": list(effects),
        "baseline_arm": "baseline",
        "factors": [IA, DL, TP],
        "outcomes": [NONESS, AVOID],
    }
    store.write_meta(meta, None, None)
    store.append(rows)
    return folder


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_sweep(tmp_path_factory.mktemp("sweep") / "s")


def test_prim_recovers_the_planted_box(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "d"
    code = main(["discover", str(sweep), "--when", f"effect(rebal, {NONESS}) > 0", "--out", str(out),
                 "--resamples", "4"])  # fmt: skip
    assert code == 0
    said = capsys.readouterr().out
    assert said.startswith("rebal raises non-essential relief where ")
    traj = pd.read_csv(out / "trajectory.csv")
    box = pd.read_csv(out / "box.csv").set_index("uncertainty")
    assert set(box.index) == {IA, DL}  # the planted dimensions, and not the idle one
    assert box.loc[IA, "min"] == pytest.approx(0.6, abs=0.05) and pd.isna(box.loc[IA, "max"])
    assert box.loc[DL, "max"] == pytest.approx(0.5, abs=0.05) and pd.isna(box.loc[DL, "min"])
    assert (box[["qp_min", "qp_max"]].min(axis=1) < 0.01).all()
    chosen = traj[(traj["coverage"] >= 0.8) & (traj["density"] >= 0.8)]
    assert len(chosen), "no box on the trajectory with coverage and density >= 0.8"
    stab = pd.read_csv(out / "stability.csv").set_index("uncertainty")["restricted_pct"]
    assert stab[IA] == 100 and stab[DL] == 100 and stab[TP] < 50
    html = (out / "discover.html").read_text()
    assert "Coverage against density" in html and "plotly" in html.lower()
    assert len(pd.read_csv(out / "cart.csv"))


def test_a_plain_outcome_threshold_reads_one_arm(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "d"
    code = main(["discover", str(sweep), "--when", f"{AVOID} >= 4.5", "--out", str(out), "--resamples", "0"])
    assert code == 0
    box = pd.read_csv(out / "box.csv").set_index("uncertainty")
    assert list(box.index) == [TP] and box.loc[TP, "min"] == pytest.approx(0.7, abs=0.05)


@pytest.mark.parametrize(
    ("expr", "said"),
    [
        (f"effect(nope, {NONESS}) > 0", "unknown reform 'nope'; allowed (the sweep's arms other than the "
         "baseline): rebal, steady"),
        ("effect(rebal, nope) > 0",
         f"unknown metric 'nope'; allowed (the sweep's outcomes): {NONESS}, {AVOID}"),
        ("nope > 1", f"unknown metric 'nope'; allowed (the sweep's outcomes): {NONESS}"),
        ("__import__('os').system('touch pwned') > 0", "the only function is effect(REFORM, METRIC)"),
        (f"{NONESS} >", "not an expression"),
        (f"{NONESS} > {AVOID}", "the right-hand side must be a number"),
        (f"{NONESS} > 1 and {AVOID} > 1", "must be one comparison"),
        (f"0 < {NONESS} < 1", "must be one comparison"),
        ("effect(rebal) > 0", "effect takes two names"),
    ],
)  # fmt: skip
def test_a_bad_condition_exits_2_naming_what_is_allowed(
    sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], expr: str, said: str
) -> None:
    out = tmp_path / "d"
    assert main(["discover", str(sweep), "--when", expr, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1
    assert not out.exists() and not (sweep / "discover").exists() and not Path("pwned").exists()


def test_signs_tell_a_turning_sign_from_one_that_holds(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    assert main(["discover", str(sweep), "--signs", "--out", str(out), "--quiet"]) == 0
    df = pd.read_csv(out / "signs.csv").set_index(["reform", "metric"])
    assert bool(df.loc[("rebal", NONESS), "sign_changes"]) is True
    assert bool(df.loc[("steady", NONESS), "sign_changes"]) is False
    text = (out / "signs.md").read_text()
    assert (
        "rebal lowers non-essential relief in" in text and "it raises it where information asymmetry" in text
    )


def test_the_command_is_wired_and_its_help_loads_no_analysis_library() -> None:
    code = (
        "import sys, sim.cli\n"
        "p = sim.cli.build_parser()\n"
        "assert 'discover' in p._subparsers._group_actions[0].choices\n"
        "print(','.join(m for m in ('ema_workbench', 'sklearn', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    helped = subprocess.run(
        [sys.executable, "-m", "sim.cli", "discover", "--help"], capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0 and "--when" in helped.stdout and "effect(REFORM, METRIC)" in helped.stdout


def test_a_design_point_can_be_the_world_the_reforms_change() -> None:
    from sim.experiments.design.plan import Plan
    from sim.experiments.design.spec import parse_spec

    doc = {
        "name": "w", "description": "d", "scale": "classroom", "replications": 1,
        "reform_arms": ["baseline", "each"],
        "factors": {"design": "grid", "grid": {DL: [0.9]}},
    }  # fmt: skip
    over = Plan(parse_spec(doc))
    world = Plan(parse_spec({**doc, "factors": {**doc["factors"], "before_reforms": True}}))
    arm = over.arm_names.index("power_rebalancing")
    assert over.scenario(arm, 0).flat()[DL] == 0.9  # default: the factor overrides the reform
    assert world.scenario(arm, 0).flat()[DL] == 0.25  # the reform caps the world's leverage
    assert world.scenario(0, 0).flat()[DL] == 0.9  # the baseline arm lives in the world as it is
    assert world.mode == "replications"


def test_a_posterior_sweep_may_skip_the_point_estimate() -> None:
    from sim.experiments.design.plan import Plan
    from sim.experiments.design.spec import parse_spec
    from sim.experiments.design.uncertainty import UNCERTAINTY

    posterior = pd.DataFrame({"judge.case_view_sd": [0.1, 0.2], "weight": [0.5, 0.5]})
    doc = {"name": "p", "description": "d", "scale": "classroom", "reform_arms": ["baseline"],
           "factors": {"design": "grid", "grid": {DL: [0.2, 0.8]}}}  # fmt: skip
    both = Plan(parse_spec(doc), posterior)
    draws = Plan(parse_spec({**doc, "point_estimate": False}), posterior)
    assert [p[UNCERTAINTY] for p in both.points] == [0, 1, 0, 1]
    assert [p[UNCERTAINTY] for p in draws.points] == [1, 1]
    assert all(draws.draw(p, 0) >= 0 for p in range(2))
