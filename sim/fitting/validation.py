"""Validation: does each causal claim of the source (docs/domain.md §3) and each reform (§4) produce its
effect, and does the effect travel through the named mechanism? Plus the classic decision results (§6)
checked on the defendant.

Every simulated claim is a paired experiment with common random numbers: the control and treatment arms run
on the same seeds, the effect is the mean paired difference of one metric with its 95 % t-interval. A claim
*holds* when the interval excludes zero in the expected direction.

The mechanism check repeats the experiment with the claim's *path* cut: the same overrides on both arms break
the link from the cause to the outcome and leave the cause as it is (``lawyer.misleading_strength = 0``: the
lawyers stay formalised, their advice no longer echoes the framing). The claim travels *through the
mechanism* when it holds and the cut removes at least ``MECHANISM_SHARE`` (75 %) of the effect (an effect
that reverses counts as > 100 %). The cuts that would pass whatever the mechanism are detected, not labelled
by hand: one that switches the cause off ("not a path cut", ``path_cut_problem``) and one under which the
metric is 0 in both arms on every seed ("by construction"). A claim whose path no parameter isolates says
so (``off_kind = "none"`` with its reason). Nothing here is tuned to pass: a failing claim is reported.

The claims are data (``experiments/validation/claims.toml``, read by ``sim.fitting.claims``); the §6
decision checks are in ``sim.fitting.decisions``.

Run ``python -m sim.fitting.validation`` to regenerate experiments/validation/ (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.seeds import seed_list
from sim.experiments.analysis import mean_interval
from sim.experiments.report.tables import markdown_table
from sim.fitting.calibration import baseline
from sim.fitting.claims import CLAIMS, Claim
from sim.fitting.decisions import cap_simulation, decision_checks
from sim.fitting.published import load_published, of_year
from sim.fitting.replicate import run_replications, worker_pool
from sim.fitting.targets import ROOT
from sim.model.scenario import SCENARIO_DIR, Scenario, load_scenario

OUT_DIR = ROOT / "experiments" / "validation"
MECHANISM_SHARE = 0.75  # the effect "travels through the mechanism" if cutting its path removes >= 75 % of it
ZERO = 1e-9  # a metric this close to 0 is 0 (a rate or count per 100 of events that cannot happen)
BY_CONSTRUCTION = "by construction"  # the cut makes the metric 0 in both arms: no test of the mechanism
NOT_A_PATH_CUT = "not a path cut"  # the cut switches the cause off: the share would be 100 % automatically
SEED_ENTROPY = 20240402


# The seed's goal for every reform: fewer non-essential reliefs, essential relief not suppressed (reported, no
# test).
GOAL_METRICS = (
    "relief_initiations_per_100_nonessential",
    "relief_initiations_per_100_essential_avoidable",
    "relief_initiations_per_100_essential_unavoidable",
    "hours_per_case_total",
)


def claim_arms(claim: Claim, base: Scenario) -> dict[str, Scenario]:
    """The scenarios of a claim: control and treatment, and with a path cut both again with the cut."""
    arms = {"control": claim.control.build(base), "treatment": claim.treatment.build(base)}
    if claim.off_kind == "path cut":
        arms["control_off"] = claim.control.build(base, claim.off)
        arms["treatment_off"] = claim.treatment.build(base, claim.off)
    return arms


def _params(s: Scenario) -> dict[str, Any]:
    """The flat parameters without ``meta`` (its name and reform list differ between equal scenarios)."""
    return {k: v for k, v in s.flat().items() if not k.startswith("meta.")}


def path_cut_problem(claim: Claim, arms: Mapping[str, Scenario]) -> str:
    """Why the claim's cut is not a path cut ("" if it is, or there is no cut): it sets a parameter the
    treatment changes, or leaves both arms the same scenario. Either switches the cause off rather than its
    link to the outcome, so the effect with the cut would be 0 and the share 100 % whatever the mechanism."""
    if "control_off" not in arms:
        return ""
    control, treatment = _params(arms["control"]), _params(arms["treatment"])
    cause = sorted(k for k in claim.off if control.get(k) != treatment.get(k))
    if cause:
        return f"the cut sets {', '.join(cause)}, which the treatment changes"
    if _params(arms["control_off"]) == _params(arms["treatment_off"]):
        return "the cut leaves both arms the same scenario"
    return ""


def _effect(
    reps: Mapping[str, Sequence[Mapping[str, float]]], a: str, b: str, metric: str
) -> tuple[float, float, float]:
    diffs = [tb[metric] - ta[metric] for ta, tb in zip(reps[a], reps[b], strict=True)]
    return mean_interval(diffs)


def claim_row(
    claim: Claim,
    arms: Mapping[str, Scenario],
    reps: Mapping[str, Sequence[Mapping[str, float]]],
    *,
    goals: bool = True,
) -> dict[str, Any]:
    """One claim's row from its arms' per-seed metrics (the off arms may be missing when the cut is not a
    path cut): effect, holds, and the mechanism check with its degenerate cases detected."""
    c = claim
    m, lo, hi = _effect(reps, "control", "treatment", c.metric)
    holds = (lo > 0) if c.direction > 0 else (hi < 0)
    problem = path_cut_problem(c, arms)
    row: dict[str, Any] = {
        "id": c.id,
        "section": c.section,
        "claim": c.claim,
        "metric": c.metric,
        "expected": "+" if c.direction > 0 else "-",
        "control_mean": mean_interval(r[c.metric] for r in reps["control"])[0],
        "effect": m,
        "ci_lo": lo,
        "ci_hi": hi,
        "holds": "yes" if holds else "no",
        "mechanism": c.mechanism,
        "off_kind": c.off_kind,
        "off": ", ".join(f"{k}={v}" for k, v in c.off.items()),
        "off_note": c.reason or problem,
        "off_effect": math.nan,
        "off_lo": math.nan,
        "off_hi": math.nan,
        "control_off_mean": math.nan,
        "share_through_mechanism": math.nan,
        "through_mechanism": "n/a" if c.off_kind == "none" else NOT_A_PATH_CUT,
    }
    if c.off_kind == "path cut" and not problem:
        om, olo, ohi = _effect(reps, "control_off", "treatment_off", c.metric)
        share = 1.0 - om / m if m and not math.isnan(m) else math.nan
        nothing_left = all(
            abs(r[c.metric]) <= ZERO for a in ("control_off", "treatment_off") for r in reps[a]
        )
        through = "yes" if holds and share >= MECHANISM_SHARE else "no"
        row.update(
            off_effect=om,
            off_lo=olo,
            off_hi=ohi,
            control_off_mean=mean_interval(r[c.metric] for r in reps["control_off"])[0],
            share_through_mechanism=share,
            through_mechanism=BY_CONSTRUCTION if nothing_left else through,
        )
    if goals and c.section == "§4":
        for g in GOAL_METRICS:
            gm, glo, ghi = _effect(reps, "control", "treatment", g)
            row[f"goal:{g}"] = f"{gm:+.3g} [{glo:+.3g}, {ghi:+.3g}]"
    return row


def run_claims(
    claims: Sequence[Claim],
    base: Scenario,
    seeds: Sequence[int],
    *,
    executor: Executor | None = None,
    goals: bool = True,
    batch: int = 1,
) -> pd.DataFrame:
    """Run every claim's arms on the same seeds (each distinct scenario once; no off arms for a cut that is
    not a path cut) and tabulate effects and mechanism checks. ``batch`` > 1 runs each scenario's seeds in
    blocks as the worlds of one model: other, equally valid replications, cheaper on one core."""
    arms: dict[str, dict[str, Scenario]] = {}
    needed: dict[str, dict[str, Scenario]] = {}
    for c in claims:
        arms[c.id] = claim_arms(c, base)
        cut = not path_cut_problem(c, arms[c.id])
        needed[c.id] = {n: s for n, s in arms[c.id].items() if cut or not n.endswith("_off")}
    unique: dict[str, Scenario] = {}
    for a in needed.values():
        for s in a.values():
            unique.setdefault(s.model_dump_json(), s)
    keys = list(unique)
    results = run_replications([unique[k] for k in keys], seeds, None, executor, batch=batch)
    by_json = dict(zip(keys, results, strict=True))
    rows = []
    for c in claims:
        reps = {name: by_json[s.model_dump_json()] for name, s in needed[c.id].items()}
        rows.append(claim_row(c, arms[c.id], reps, goals=goals))
    return pd.DataFrame(rows)


# --- the early-practice 2019 scenario beside the baseline
# ---------------------------------------------------------
COMPARE_METRICS = (
    "application_rate",
    "determinate_recommendation_share",
    "adoption_rate",
    "acceptance_rate",
    "appeal_rate",
    "protest_rate",
    "fast_track_share",
    "pretrial_detention_rate",
    "involuntary_plea_rate",
    "involuntary_detected_share",
    "withdrawal_rate",
    "relief_rate_essential",
    "relief_rate_nonessential",
    "hours_per_case_total",
    "mean_days_to_final",
)
PUBLISHED_2019 = {  # experiments/calibration/published.toml, the one place the published figures live
    m: f.text if "2019" in f.text else f"{f.text} (2019)" for m, f in of_year(load_published(), 2019).items()
}


def compare_scenarios(
    named: Mapping[str, Scenario], seeds: Sequence[int], executor: Executor | None = None
) -> pd.DataFrame:
    """Mean and 95 % CI of the headline metrics per scenario, on the same seeds."""
    names = list(named)
    reps = run_replications([named[n] for n in names], seeds, COMPARE_METRICS, executor)
    rows = []
    for metric in COMPARE_METRICS:
        row: dict[str, Any] = {"metric": metric}
        for n, r in zip(names, reps, strict=True):
            m, lo, hi = mean_interval(x[metric] for x in r)
            row[n] = f"{m:.4g} [{lo:.4g}, {hi:.4g}]"
        a, b = reps[0], reps[-1]
        dm, dlo, dhi = mean_interval(y[metric] - x[metric] for x, y in zip(a, b, strict=True))
        row[f"{names[-1]} - {names[0]}"] = f"{dm:+.3g} [{dlo:+.3g}, {dhi:+.3g}]"
        row["published 2019"] = PUBLISHED_2019.get(metric, "")
        rows.append(row)
    return pd.DataFrame(rows)


# --- output
# ---------------------------------------------------------------------------------------------------------
def _fmt(m: float, lo: float, hi: float) -> str:
    if math.isnan(m):
        return "—"
    if math.isnan(lo):
        return f"{m:+.4g}"
    return f"{m:+.4g} [{lo:+.4g}, {hi:+.4g}]"


_CLAIM_BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}
CLAIM_COLUMNS = (
    "id",
    "claim",
    "metric",
    "expected",
    "control mean",
    "effect [95 % CI]",
    "holds?",
    "mechanism (the path)",
    "path cut",
    "effect with the path cut",
    "share through mechanism",
    "through mechanism?",
)
LEGEND = (
    "Paired differences (treatment - control) on the same seeds (common random numbers), mean [95 % "
    "t-interval]. The claims are data: experiments/validation/claims.toml.",
    "",
    "- *Holds*: the interval excludes 0 in the expected direction.",
    "- *Path cut*: the same overrides on both arms break the link from the cause to the outcome and leave "
    "the cause as it is. *Share through mechanism* = 1 - (effect with the path cut) / effect (over 100 % "
    "when the cut reverses the effect).",
    f"- *Through mechanism?* **yes**: the claim holds and the share is at least {100 * MECHANISM_SHARE:.0f} "
    "%; **no**: it does not hold, or the share is smaller; "
    f"**{BY_CONSTRUCTION}**: the cut makes the metric 0 in both arms on every seed, so the effect is gone "
    "because nothing is left to measure (no test of the mechanism); "
    f"**{NOT_A_PATH_CUT}**: the cut sets a parameter the treatment changes or leaves both arms the same "
    "scenario, which would give 100 % whatever the mechanism (a spec error; the cut is not run); "
    "**n/a**: no parameter isolates the path (the reason is given), or a decision check.",
    "- A claim *fails* when it does not hold or its answer is **no**.",
)


def _cut_cell(r: Mapping[str, Any]) -> str:
    """The cut as written in the claim, with why there is none or why it is not a path cut."""
    note = r.get("off_note")
    note = note if isinstance(note, str) else ""
    if r["off_kind"] == "none":
        return f"not cut: {note}" if note else "—"
    return f"{r['off']} ({NOT_A_PATH_CUT}: {note})" if note else str(r["off"])


def _claim_cells(r: Mapping[str, Any]) -> list[str]:
    share = r.get("share_through_mechanism", math.nan)
    detail = f" ({r['detail']})" if isinstance(r.get("detail"), str) and r.get("detail") else ""
    control = "—" if math.isnan(r["control_mean"]) else format(r["control_mean"], ".4g")
    return [
        r["id"],
        f"{r['claim']}{detail}",
        f"`{r['metric']}`",
        r["expected"],
        control,
        _fmt(r["effect"], r["ci_lo"], r["ci_hi"]),
        f"**{r['holds']}**",
        r["mechanism"],
        _cut_cell(r),
        _fmt(r["off_effect"], r["off_lo"], r["off_hi"]),
        "—" if math.isnan(share) else f"{100 * share:.0f} %",
        r["through_mechanism"],
    ]


def validation_markdown(table: pd.DataFrame, title: str) -> str:
    """Claim, expected direction, measured effect ± CI, holds?, the path cut, the effect with it, through the
    mechanism?"""
    records = table.to_dict("records")
    lines = [
        f"# {title}",
        "",
        *LEGEND,
        "",
        *markdown_table(CLAIM_COLUMNS, [_claim_cells(r) for r in records]),
    ]
    goal_cols = [c for c in table.columns if c.startswith("goal:")]
    goal_rows = [
        r for r in records if r["section"] == "§4" and goal_cols and isinstance(r.get(goal_cols[0]), str)
    ]
    if goal_rows:
        lines += ["", "## The seed's goal per reform (effect on relief and resources, same runs)", ""]
        # one row per reform: claims on the same reform (R2, R2b) share their runs and so their goal effects
        by_reform: dict[str, list[Any]] = {}
        for r in goal_rows:
            reform = (
                ", ".join(_CLAIM_BY_ID[r["id"]].treatment.reforms) if r["id"] in _CLAIM_BY_ID else r["claim"]
            )
            by_reform.setdefault(reform, [reform, *(r[c] for c in goal_cols)])
        header = ["reform", *(f"`{c[5:]}`" for c in goal_cols)]
        lines += markdown_table(header, by_reform.values())
    return "\n".join(lines) + "\n"


def validate(
    out: Path = OUT_DIR,
    *,
    n_seeds: int = 12,
    days: int | None = None,
    workers: int = 2,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The whole validation: claims (§3, §4), decision checks (§6), the cap simulation; tables to ``out``."""
    base = baseline()
    if days is not None:
        base = base.with_overrides({"run.days": days})
    seeds = seed_list(SEED_ENTROPY, n_seeds)
    with worker_pool(workers) as ex:
        if log:
            log(f"claims: {len(CLAIMS)} experiments x {n_seeds} seeds, run.days = {base.run.days}")
        claims = run_claims(CLAIMS, base, seeds, executor=ex)
        if log:
            log("decision checks and the cap simulation")
        cap = cap_simulation(base, seeds, ex)
    table = pd.concat([claims, decision_checks(baseline()), cap], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation_table.csv", index=False)
    title = f"Validation table ({n_seeds} seeds, run.days = {base.run.days}, calibrated baseline)"
    (out / "validation_table.md").write_text(validation_markdown(table, title), encoding="utf-8")
    return table


def early_2019(out: Path, *, n_seeds: int = 12, workers: int = 2) -> pd.DataFrame:
    """What the 2019 early-practice scenario (policy facts only, not fitted) yields beside the calibrated
    baseline."""
    named = {
        "baseline (fitted, 2020-21)": baseline(),
        "early_2019 (policy facts)": load_scenario(
            baseline(), reforms=[str(SCENARIO_DIR / "early_2019.toml")]
        ),
    }
    with worker_pool(workers) as ex:
        table = compare_scenarios(named, seed_list(SEED_ENTROPY, n_seeds, 2), ex)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "early_2019_vs_baseline.csv", index=False)
    cols = list(table.columns)
    records = table.to_dict("records")
    lines = [
        f"# Early practice 2019 beside the calibrated baseline ({n_seeds} seeds, same seeds in both)",
        "",
        "scenarios/early_2019.toml is built only from 2019 policy facts (not fitted to any 2019 outcome); "
        "the published",
        "2019 figures are shown for an out-of-sample comparison. Mean [95 % CI]; the difference is paired "
        "(CRN).",
        "",
        *markdown_table(cols, [[f"`{r[c]}`" if c == "metric" else r[c] for c in cols] for r in records]),
    ]
    (out / "early_2019_vs_baseline.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m sim.fitting.validation", description=__doc__.split("\n\n")[0]
    )
    ap.add_argument("--seeds", type=int, default=12, help="replications per arm (default 12)")
    ap.add_argument("--days", type=int, help="shorten run.days (default: the baseline's)")
    ap.add_argument("--out", default=str(OUT_DIR), help="output folder (default experiments/validation)")
    ap.add_argument(
        "--early-2019-out",
        help="where the 2019 comparison goes (default experiments/calibration, or --out when that is "
        "given, so a trial run elsewhere leaves the shipped files alone)",
    )
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    out = Path(args.out)
    shipped = out.resolve() == OUT_DIR.resolve()
    early_out = Path(args.early_2019_out or (ROOT / "experiments" / "calibration" if shipped else out))
    table = validate(out, n_seeds=args.seeds, days=args.days, workers=args.workers, log=log)
    print(table[["id", "metric", "effect", "ci_lo", "ci_hi", "holds", "through_mechanism"]].to_string())
    log("early 2019 vs baseline")
    print(early_2019(early_out, n_seeds=args.seeds, workers=args.workers).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
