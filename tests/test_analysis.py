"""Statistics on synthetic data with known answers: CI coverage, paired differences, Holm, Pareto, Sobol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.analysis import (
    group_means,
    holm,
    mean_ci,
    paired_differences,
    pareto_front,
    sobol_indices,
)


def test_ci_covers_known_mean_at_nominal_rate() -> None:
    rng = np.random.default_rng(7)
    mu, trials = 3.0, 4000
    hits = 0
    for _ in range(trials):
        ci = mean_ci(rng.normal(mu, 2.0, size=8))
        hits += ci["ci_low"] <= mu <= ci["ci_high"]
    # binomial sd of the coverage is ~0.0034; +-0.015 is more than 4 sd
    assert abs(hits / trials - 0.95) < 0.015


def test_mean_ci_edge_cases() -> None:
    assert mean_ci([])["n"] == 0
    one = mean_ci([2.0, np.nan])
    assert one["n"] == 1 and one["mean"] == 2.0 and np.isnan(one["half_width"]) and np.isnan(one["ci_low"])
    assert mean_ci([1.0, 1.0, 1.0])["half_width"] == 0.0


def _crn_runs(effect: float, noise: float, reps: int = 12, seed: int = 3) -> pd.DataFrame:
    """Two arms sharing a large per-replication random effect (what common random numbers produce)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 5.0, reps)
    rows = []
    for arm, shift in (("base", 0.0), ("reform", effect), ("null", 0.0)):
        for r in range(reps):
            rows.append(
                {"arm": arm, "point": 0, "replication": r, "y": 10 + shared[r] + shift + rng.normal(0, noise)}
            )
    return pd.DataFrame(rows)


def test_paired_differences_are_sharp_where_unpaired_are_not() -> None:
    runs = _crn_runs(effect=-1.0, noise=0.2)
    d = paired_differences(runs, ["y"], "base").set_index("arm")
    assert d.loc["reform", "ci_low"] < -1.0 < d.loc["reform", "ci_high"]
    assert d.loc["reform", "significant"] and d.loc["reform", "n_pairs"] == 12
    assert not d.loc["null", "significant"]
    # unpaired intervals of the two arms overlap heavily: pairing is what separates them
    m = group_means(runs, ["y"]).set_index("arm")
    assert m.loc["reform", "ci_high"] > m.loc["base", "ci_low"]


def test_paired_differences_use_only_common_replications() -> None:
    runs = _crn_runs(effect=2.0, noise=0.1)
    runs = runs[~((runs["arm"] == "base") & (runs["replication"] >= 10))]
    d = paired_differences(runs, ["y"], "base").set_index("arm")
    assert d.loc["reform", "n_pairs"] == 10


def test_holm() -> None:
    adj = holm(np.array([0.01, 0.04, 0.03, np.nan]))
    assert adj[0] == pytest.approx(0.03) and adj[2] == pytest.approx(0.06) and adj[1] == pytest.approx(0.06)
    assert np.isnan(adj[3])


def test_pareto_front() -> None:
    x = [1.0, 2.0, 3.0, 2.5, np.nan]
    y = [3.0, 1.0, 0.5, 2.0, 0.0]
    assert pareto_front(x, y).tolist() == [True, True, True, False, False]


def test_sobol_indices_recover_an_additive_model() -> None:
    from SALib.sample import sobol

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    x = sobol.sample(problem, 512, calc_second_order=False, seed=1)
    design = pd.DataFrame(x, columns=problem["names"])
    design.insert(0, "point_key", np.arange(len(x)))
    y = 4 * x[:, 0] + 1 * x[:, 1]  # c does nothing; a has 16/17 of the variance
    runs = pd.DataFrame({"arm": "base", "point_key": np.arange(len(x)), "y": y})
    idx, notes = sobol_indices(runs, design, problem, ["y"], "base", second_order=False)
    s = idx.set_index("factor")
    assert not notes
    assert s.loc["a", "S1"] == pytest.approx(16 / 17, abs=0.05) and s.loc["b", "ST"] == pytest.approx(
        1 / 17, abs=0.03
    )
    assert abs(s.loc["c", "ST"]) < 0.02


def test_factorial_main_effects_recover_known_effects() -> None:
    import itertools

    from sim.experiments.analysis import factorial_main_effects

    rng = np.random.default_rng(5)
    rows = []
    for rep in range(6):
        shared = rng.normal(0, 3)
        for a, b in itertools.product([False, True], repeat=2):
            y = 10 + shared - 2.0 * a + 0.0 * b + rng.normal(0, 0.1)
            rows.append(
                {
                    "arm": f"{a}{b}",
                    "point": 0,
                    "replication": rep,
                    "reform.a": a,
                    "reform.b": b,
                    "reform.c": False,
                    "y": y,
                }
            )
    eff = factorial_main_effects(pd.DataFrame(rows), ["y"]).set_index("reform")
    assert set(eff.index) == {"a", "b"}  # c never varies
    assert eff.loc["a", "ci_low"] < -2.0 < eff.loc["a", "ci_high"] and eff.loc["a", "significant"]
    assert not eff.loc["b", "significant"]
    half = pd.DataFrame(rows)
    assert factorial_main_effects(half[half["arm"] != "TrueTrue"], ["y"]).empty  # not a full factorial


def test_bounded_intervals_stay_in_the_natural_range() -> None:
    """A rare share and a small per-100 rate: the plain t interval crosses 0, the bounded one does not,
    and the bounded one still covers the true mean at least as often as asked."""
    from sim.experiments.analysis import natural_range

    assert natural_range("protest_rate") == (0.0, 1.0)
    assert natural_range("relief_rate_nonessential") == (0.0, np.inf)
    assert natural_range("not_a_metric") is None
    rare = [0.0, 0.0, 0.02, 0.0, 0.09]
    plain, ci = mean_ci(rare), mean_ci(rare, bounds=(0.0, 1.0))
    assert plain["ci_low"] < 0 and ci["ci_low"] == 0.0 and ci["ci_high"] == plain["ci_high"]
    assert ci["half_width"] == plain["half_width"]
    high = mean_ci([1.0, 0.97, 1.0, 0.9], bounds=(0.0, 1.0))
    assert 0 < high["ci_low"] < high["mean"] < high["ci_high"] == 1.0
    per100 = mean_ci([0.0, 3.0], bounds=(0.0, np.inf))
    assert per100["ci_low"] == 0.0 and per100["ci_high"] == mean_ci([0.0, 3.0])["ci_high"]
    rng = np.random.default_rng(11)
    p, trials, hits = 0.05, 2000, 0
    for _ in range(trials):
        c = mean_ci(rng.binomial(200, p, size=8) / 200, bounds=(0.0, 1.0))
        assert 0.0 <= c["ci_low"] <= c["ci_high"] <= 1.0
        hits += c["ci_low"] <= p <= c["ci_high"]
    assert hits / trials > 0.93


def test_group_means_bounded_only_when_asked() -> None:
    runs = pd.DataFrame({"arm": ["a"] * 4, "protest_rate": [0.0, 0.0, 0.0, 0.2]})
    assert group_means(runs, ["protest_rate"])["ci_low"].iloc[0] < 0
    bounded = group_means(runs, ["protest_rate"], bounded=True).iloc[0]
    assert bounded["ci_low"] == 0.0 < bounded["mean"] < bounded["ci_high"] < 1
    assert bounded["half_width"] == group_means(runs, ["protest_rate"])["half_width"].iloc[0]
