"""Validation: does each causal claim of the source (docs/domain.md §3) and each reform (§4) produce its
effect, and does the effect travel through the named mechanism? Plus the classic decision results (§6)
checked on the defendant.

Every simulated claim is a paired experiment with common random numbers: the control and treatment arms run
on the same seeds, the effect is the mean paired difference of one metric with its 95 % t-interval. The
mechanism check repeats the experiment with the mechanism switched off by parameters ("path cut": the same
overrides on both arms, e.g. ``lawyer.misleading_strength = 0``; or "ablation": the reform applied with the
mechanism's own levers held at their baseline values). A claim *holds* when the interval excludes zero in
the expected direction; it *travels through the mechanism* when switching the mechanism off removes at
least ``MECHANISM_SHARE`` (75 %) of the effect, i.e. 1 - effect_off / effect >= 0.75 (an effect that
reverses when the mechanism is off counts as > 100 %). Nothing here is tuned to pass: a claim that fails is
reported as failing.

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

from sim.experiments.analysis import mean_interval
from sim.experiments.tables import markdown_table
from sim.fitting.calibration import baseline
from sim.fitting.claims import CLAIMS, Claim
from sim.fitting.decisions import cap_simulation, decision_checks
from sim.fitting.published import load_published, of_year
from sim.fitting.replicate import run_replications, seed_list, worker_pool
from sim.fitting.targets import ROOT
from sim.model.scenario import SCENARIO_DIR, Scenario, load_scenario

OUT_DIR = ROOT / "experiments" / "validation"
MECHANISM_SHARE = 0.75  # the effect "travels through the mechanism" if switching it off removes >= 75 % of it
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
    """The scenarios of a claim: control/treatment, and the same with the mechanism off (if any)."""
    arms = {"control": claim.control.build(base), "treatment": claim.treatment.build(base)}
    if claim.off_kind == "path cut":
        arms["control_off"] = claim.control.build(base, claim.off)
        arms["treatment_off"] = claim.treatment.build(base, claim.off)
    elif claim.off_kind == "ablation":
        flat = arms["control"].flat()
        arms["control_off"] = arms["control"]
        arms["treatment_off"] = claim.treatment.build(base, {k: flat[k] for k in claim.ablate})
    return arms


def _effect(
    reps: Mapping[str, list[dict[str, float]]], a: str, b: str, metric: str
) -> tuple[float, float, float]:
    diffs = [tb[metric] - ta[metric] for ta, tb in zip(reps[a], reps[b], strict=True)]
    return mean_interval(diffs)


def run_claims(
    claims: Sequence[Claim],
    base: Scenario,
    seeds: Sequence[int],
    *,
    executor: Executor | None = None,
    goals: bool = True,
) -> pd.DataFrame:
    """Run every claim's arms on the same seeds (each distinct scenario once) and tabulate effects and
    mechanism checks."""
    arms = {c.id: claim_arms(c, base) for c in claims}
    unique: dict[str, Scenario] = {}
    for a in arms.values():
        for s in a.values():
            unique.setdefault(s.model_dump_json(), s)
    keys = list(unique)
    results = run_replications([unique[k] for k in keys], seeds, None, executor)
    by_json = dict(zip(keys, results, strict=True))
    rows = []
    for c in claims:
        reps = {name: by_json[s.model_dump_json()] for name, s in arms[c.id].items()}
        m, lo, hi = _effect(reps, "control", "treatment", c.metric)
        ctrl = mean_interval(r[c.metric] for r in reps["control"])[0]
        holds = (lo > 0) if c.direction > 0 else (hi < 0)
        row: dict[str, Any] = {
            "id": c.id,
            "section": c.section,
            "claim": c.claim,
            "metric": c.metric,
            "expected": "+" if c.direction > 0 else "-",
            "control_mean": ctrl,
            "effect": m,
            "ci_lo": lo,
            "ci_hi": hi,
            "holds": "yes" if holds else "no",
            "mechanism": c.mechanism,
            "off_kind": c.off_kind,
            "off": ", ".join(f"{k}={v}" for k, v in c.off.items())
            if c.off_kind == "path cut"
            else ", ".join(c.ablate),
        }
        if c.off_kind == "none":
            row.update(
                off_effect=math.nan,
                off_lo=math.nan,
                off_hi=math.nan,
                share_through_mechanism=math.nan,
                through_mechanism="n/a",
            )
        else:
            om, olo, ohi = _effect(reps, "control_off", "treatment_off", c.metric)
            share = 1.0 - om / m if m and not math.isnan(m) else math.nan
            through = holds and share >= MECHANISM_SHARE
            row.update(
                off_effect=om,
                off_lo=olo,
                off_hi=ohi,
                share_through_mechanism=share,
                through_mechanism="yes" if through else "no",
            )
        if goals and c.section == "§4":
            for g in GOAL_METRICS:
                gm, glo, ghi = _effect(reps, "control", "treatment", g)
                row[f"goal:{g}"] = f"{gm:+.3g} [{glo:+.3g}, {ghi:+.3g}]"
        rows.append(row)
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
    "mechanism",
    "switched off by",
    "effect with mechanism off",
    "share through mechanism",
    "through mechanism?",
)


def _claim_cells(r: Mapping[str, Any]) -> list[str]:
    share = r.get("share_through_mechanism", math.nan)
    detail = f" ({r['detail']})" if isinstance(r.get("detail"), str) and r.get("detail") else ""
    off = f"{r['off_kind']}: {r['off']}" if r["off_kind"] != "none" else "—"
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
        off,
        _fmt(r["off_effect"], r["off_lo"], r["off_hi"]),
        "—" if math.isnan(share) else f"{100 * share:.0f} %",
        r["through_mechanism"],
    ]


def validation_markdown(table: pd.DataFrame, title: str) -> str:
    """Claim, expected direction, measured effect ± CI, holds?, mechanism switched off, effect then, through
    it?"""
    records = table.to_dict("records")
    lines = [
        f"# {title}",
        "",
        "Paired differences (treatment - control) on the same seeds (common random numbers), mean [95 % "
        "t-interval].",
        "*Holds*: the interval excludes 0 in the expected direction. *Share through mechanism* = 1 - "
        "(effect with the "
        "mechanism switched off) / effect; *through mechanism* when the claim holds and that share is at "
        "least "
        f"{100 * MECHANISM_SHARE:.0f} %. The claims are data: experiments/validation/claims.toml.",
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
        default=str(ROOT / "experiments" / "calibration"),
        help="where the 2019 comparison goes",
    )
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    table = validate(Path(args.out), n_seeds=args.seeds, days=args.days, workers=args.workers, log=log)
    print(table[["id", "metric", "effect", "ci_lo", "ci_hi", "holds", "through_mechanism"]].to_string())
    log("early 2019 vs baseline")
    print(early_2019(Path(args.early_2019_out), n_seeds=args.seeds, workers=args.workers).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
