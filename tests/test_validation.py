"""Validation at small scale: the §6 decision results on constructed defendants, and claims of §3/§4 as paired
experiments with common random numbers whose effect must vanish when its path is cut."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.engine.seeds import seed_list
from sim.fitting import validation as v
from sim.fitting.calibration import baseline
from sim.fitting.claims import Arm, Claim
from sim.fitting.replicate import worker_pool
from sim.model.scenario import Scenario

SEEDS = seed_list(4242, 8)


@pytest.fixture(scope="module")
def decisions() -> dict[str, dict]:
    table = v.decision_checks(baseline(), n=5000, seed=3)
    return {r["id"]: r for r in table.to_dict("records")}


@pytest.mark.parametrize("cid", ["D1", "D2", "D3", "D4"])
def test_plea_acceptance_rises_with_each_factor(decisions: dict[str, dict], cid: str) -> None:
    row = decisions[cid]
    assert row["holds"] == "yes", row["detail"]
    assert row["effect"] > 0.05, row["detail"]


def test_discount_cap_lowers_innocents_acceptance_more_than_the_guilty(decisions: dict[str, dict]) -> None:
    row = decisions["D5"]
    assert row["holds"] == "yes" and row["effect"] > 0.2, row["detail"]


def _claim(cid: str) -> v.Claim:
    return next(c for c in v.CLAIMS if c.id == cid)


def _small(days: int = 100) -> object:
    return baseline().with_overrides({"run.days": days, "run.drain_days": 200, "run.warmup_days": 0})


@pytest.mark.parametrize("cid", ["C3", "R1", "R5"])  # C4 (rare technical appeals) needs the full-length table
def test_claim_holds_and_travels_through_its_mechanism(cid: str) -> None:
    """Paired over 8 seeds at district scale, 100 days: effect in the expected direction (CI excludes 0)
    and at least 75 % of it gone when its path is cut."""
    row = v.run_claims([_claim(cid)], _small(), SEEDS, goals=False).iloc[0]
    assert row["holds"] == "yes", row.to_dict()
    assert row["share_through_mechanism"] >= v.MECHANISM_SHARE and row["through_mechanism"] == "yes", (
        row.to_dict()
    )


def test_arms_of_a_path_cut_carry_the_cut_on_both_sides_and_nothing_else() -> None:
    c = _claim("R1")
    arms = {k: s.flat() for k, s in v.claim_arms(c, baseline()).items()}
    assert c.off_kind == "path cut" and c.off
    for k, value in c.off.items():
        assert arms["control_off"][k] == arms["treatment_off"][k] == value
    for side in ("control", "treatment"):
        moved = {k for k in arms[side] if arms[side][k] != arms[f"{side}_off"][k]}
        assert moved <= set(c.off), moved


def test_every_shipped_cut_is_a_path_cut() -> None:
    """No claim of claims.toml cuts a parameter its treatment changes or leaves its arms the same: the
    table would say "not a path cut" (checked on the scenarios, nothing run)."""
    base = baseline()
    for c in v.CLAIMS:
        assert v.path_cut_problem(c, v.claim_arms(c, base)) == "", c.id
        assert (c.off_kind == "none") == bool(c.reason), c.id


# --- the mechanism check on synthetic replications (no simulation)
# ---------------------------------------------------------------------------------------------------------
LOW, HIGH = {"power.target_pressure": 0.2}, {"power.target_pressure": 0.85}


def _toy(off: Mapping[str, Any], control: Mapping[str, Any] = LOW, treatment: Arm | None = None) -> Claim:
    """A claim on a made-up metric ``m``: target pressure 0.2 -> 0.85 raises it."""
    return Claim("T", "§3", "toy", "toy path", "m", 1, Arm(control), treatment or Arm(HIGH), off=off)


def _reps(**arms: Sequence[float]) -> dict[str, list[dict[str, float]]]:
    """Per-seed values of ``m`` for each named arm."""
    return {name: [{"m": x} for x in xs] for name, xs in arms.items()}


CUT = {"prosecutor.target_discount_boost": 0.0}
ON = {"control": [1.0, 1.2, 0.9, 1.1], "treatment": [2.0, 2.3, 1.8, 2.1]}  # effect +1.0


@pytest.mark.parametrize(
    ("control_off", "treatment_off", "through", "share"),
    [
        ([1.0, 1.1, 0.9, 1.0], [1.1, 1.2, 1.0, 1.1], "yes", 0.9),  # the cut leaves 0.1 of 1.0
        ([1.0, 1.1, 0.9, 1.0], [1.5, 1.6, 1.4, 1.5], "no", 0.5),  # it leaves half
        ([1.0, 1.1, 0.9, 1.0], [0.8, 0.9, 0.7, 0.8], "yes", 1.2),  # it reverses the effect
        ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], v.BY_CONSTRUCTION, 1.0),  # nothing left to measure
        ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.0], "yes", 0.95),  # 0 on all seeds but one: measured
    ],
)
def test_the_share_through_the_mechanism_comes_from_the_path_cut(
    control_off: list[float], treatment_off: list[float], through: str, share: float
) -> None:
    c = _toy(CUT)
    row = v.claim_row(
        c, v.claim_arms(c, baseline()), _reps(**ON, control_off=control_off, treatment_off=treatment_off)
    )
    assert row["holds"] == "yes" and row["effect"] == pytest.approx(1.0)
    assert row["through_mechanism"] == through
    assert row["share_through_mechanism"] == pytest.approx(share)


def test_a_claim_that_does_not_hold_is_not_through_its_mechanism() -> None:
    c = _toy(CUT)
    reps = _reps(
        control=[1.0, 1.2, 0.9, 1.1],
        treatment=[1.1, 1.0, 1.0, 1.0],
        control_off=[1.0] * 4,
        treatment_off=[1.0] * 4,
    )
    row = v.claim_row(c, v.claim_arms(c, baseline()), reps)
    assert (row["holds"], row["through_mechanism"]) == ("no", "no")


@pytest.mark.parametrize(
    ("claim", "words"),
    [
        # the cut sets the very key the treatment changes: an ablation, both off arms alike
        (_toy({"power.target_pressure": 0.5}), "power.target_pressure, which the treatment changes"),
        # a reform that changes nothing the control does not already have: the same scenario with any cut
        (
            _toy(
                CUT, control={"judge.reasoning_quality": 0.85}, treatment=Arm(reforms=("judgment_reasoning",))
            ),
            "same scenario",
        ),
    ],
)
def test_a_cut_that_switches_the_cause_off_is_not_a_path_cut(claim: Claim, words: str) -> None:
    arms = v.claim_arms(claim, baseline())
    problem = v.path_cut_problem(claim, arms)
    assert words in problem
    row = v.claim_row(claim, arms, _reps(**ON))  # its off arms are not run
    assert row["through_mechanism"] == v.NOT_A_PATH_CUT and row["off_note"] == problem
    assert math.isnan(row["off_effect"]) and math.isnan(row["share_through_mechanism"])
    md = v.validation_markdown(pd.DataFrame([row]), "t")
    assert f"{v.NOT_A_PATH_CUT}: {problem}" in md


def test_run_claims_runs_no_off_arm_for_a_cut_that_is_not_a_path_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[Scenario] = []

    def fake(
        scenarios: Sequence[Scenario], seeds: Sequence[int], *_: Any, **__: Any
    ) -> list[list[dict[str, float]]]:
        ran.extend(scenarios)
        return [[{"m": s.power.target_pressure} for _ in seeds] for s in scenarios]

    monkeypatch.setattr(v, "run_replications", fake)
    table = v.run_claims([_toy({"power.target_pressure": 0.5})], baseline(), [1, 2, 3], goals=False)
    assert len(ran) == 2 and table.iloc[0]["through_mechanism"] == v.NOT_A_PATH_CUT
    ran.clear()
    table = v.run_claims([_toy(CUT)], baseline(), [1, 2, 3], goals=False)
    assert (
        len(ran) == 4 and table.iloc[0]["through_mechanism"] == "no"
    )  # m is the pressure: the cut leaves it


def test_a_claim_without_a_cut_gives_its_reason() -> None:
    c = Claim("T", "§3", "toy", "toy path", "m", 1, Arm(LOW), Arm(HIGH), off_kind="none", reason="no knob")
    arms = v.claim_arms(c, baseline())
    assert set(arms) == {"control", "treatment"}
    row = v.claim_row(c, arms, _reps(**ON))
    assert (row["through_mechanism"], row["off_note"]) == ("n/a", "no knob")
    assert "not cut: no knob" in v.validation_markdown(pd.DataFrame([row]), "t")


def test_markdown_table_lists_every_row() -> None:
    table = v.decision_checks(baseline(), n=500, seed=1)
    md = v.validation_markdown(table, "t")
    assert all(f"| {cid} |" in md for cid in table["id"])
    assert not any(math.isnan(x) for x in table["control_mean"].iloc[:4])


def test_full_validation_table_claims_that_hold() -> None:
    """At the baseline's full length, 8 fresh worlds: the claims the validation table reports as holding
    hold. Each arm's 8 worlds run as one batched model (~4x cheaper than 8 models): replications other
    than the table's, with the same distribution (tests/test_worlds.py)."""
    table = pd.read_csv(ROOT / "experiments" / "validation" / "validation_table.csv", dtype=str)
    held = set(table.loc[table["holds"] == "yes", "id"])
    claims = [c for c in v.CLAIMS if c.id in held]
    with worker_pool(2) as ex:
        table = v.run_claims(claims, baseline(), seed_list(99, 8), executor=ex, goals=False, batch=8)
    for r in table.to_dict("records"):
        assert r["holds"] == "yes", r


def load_claims_text(tmp_path: Path, text: str) -> None:
    from sim.fitting.claims import load_claims

    path = tmp_path / "good.toml"
    path.write_text(text, encoding="utf-8")
    load_claims(path)


def test_claims_file_errors_name_the_file_the_claim_and_the_key(tmp_path) -> None:
    from sim.fitting.claims import CLAIMS_FILE, load_claims
    from sim.model.scenario import ScenarioError

    text = CLAIMS_FILE.read_text(encoding="utf-8")
    assert load_claims(CLAIMS_FILE) == v.CLAIMS
    # a claim without a cut, appended: the shipped file may have none left
    uncut = (
        '\n[[claims]]\nid = "Z9"\nsection = "§3"\nclaim = "c"\nmechanism = "m"\nmetric = "adoption_rate"\n'
        'direction = 1\ncontrol = {}\ntreatment = { overrides = { "judge.tolerance" = 0.2 } }\n'
        'off_kind = "none"\nreason = "no parameter isolates it"\n'
    )
    load_claims_text(tmp_path, text + uncut)
    for bad, words in (
        (text.replace('off = "norms_off"', 'off = "no_such_set"', 1), ["claims[", "no_such_set"]),
        (text.replace("direction = 1", "direction = 2", 1), ["claims[0] (C1)", "direction"]),
        (text + uncut.replace('off_kind = "none"', 'off_kind = "switch"'), ["off_kind", "path cut"]),
        (text + uncut.replace('off_kind = "none"', 'off_kind = "ablation"'), ["off_kind", "path cut, none"]),
        (text.replace('off = "norms_off"', 'ablate = ["judge.norm_sd"]', 1), ["unknown key ablate"]),
        (text.replace('off = "norms_off"', "", 1), ["path cut needs off"]),
        (text + re.sub(r"\nreason = .*", "", uncut), ["needs a reason"]),
    ):
        path = tmp_path / "claims.toml"
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ScenarioError) as exc:
            load_claims(path)
        assert str(path) in str(exc.value) and all(w in str(exc.value) for w in words), exc.value


# --- the README's list of failed claims against the shipped table
# ---------------------------------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
NUMBERS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def readme_failed_claims(text: str) -> tuple[int, list[str]]:
    """The count and the ids of README's failed-claims list: the "Known limitations" bullet "<N> claims of the
    validation table fail" and the ids in bold at the start of its sub-bullets."""
    section = text.split("\n## Known limitations", 1)[1].split("\n## ", 1)[0]
    head = re.search(r"^\* (\w+) claims? of the validation table fails?\b", section, re.M)
    assert head, "README's Known limitations has no bullet '<N> claims of the validation table fail'"
    block = section[head.start() :].split("\n* ", 1)[0]
    return NUMBERS.index(head.group(1).lower()), re.findall(r"^  - \*\*([A-Z][0-9A-Za-z]*)\b", block, re.M)


def test_readme_lists_every_failed_claim_of_the_shipped_table() -> None:
    """A claim fails when it does not hold or does not travel through its mechanism; README names exactly
    those of experiments/validation/validation_table.csv, and counts them right."""
    table = pd.read_csv(ROOT / "experiments" / "validation" / "validation_table.csv", dtype=str)
    failed = sorted(table.loc[(table["holds"] == "no") | (table["through_mechanism"] == "no"), "id"])
    assert v.NOT_A_PATH_CUT not in set(table["through_mechanism"]), "a spec error shipped in the table"
    count, listed = readme_failed_claims((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sorted(listed) == failed, f"README lists {listed}; the table fails {failed}"
    assert count == len(failed)


def test_readme_failed_claims_parser_sees_a_missing_or_extra_claim() -> None:
    text = (
        "intro\n## Known limitations\n\n* Two claims of the validation table fail (table):\n"
        "  - **C1c, target**: text\n    more text\n  - **R3** (does not hold): text\n"
        "  C1a, listed before, now holds.\n* Another limitation **C9**\n  - **C8** not in the list\n## Next\n"
    )
    assert readme_failed_claims(text) == (2, ["C1c", "R3"])


def test_the_shipped_table_has_every_claim_of_the_claims_file() -> None:
    """The table is regenerated whenever a claim is added, removed or renamed."""
    table = pd.read_csv(ROOT / "experiments" / "validation" / "validation_table.csv", dtype=str)
    simulated = {i for i in table["id"] if not i.startswith("D")}
    assert simulated == {c.id for c in v.CLAIMS}
