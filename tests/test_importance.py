"""The adaptive importance sampler recovers a known truncated target from a poor first proposal (wrong centre,
wrong scale, no correlation), keeps every draw in the box, and is deterministic in its seed."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.fitting.importance import Proposal, amis, mixture_weights

LO, HI = np.array([0.0, 0.0]), np.array([1.0, 10.0])
TARGET = stats.multivariate_normal([0.9, 3.0], [[0.04, -0.12], [-0.12, 4.0]])  # near a bound, correlated


def _truth() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).multivariate_normal(TARGET.mean, TARGET.cov, size=1_000_000)
    x = x[np.all((x >= LO) & (x <= HI), axis=1)]
    return x.mean(axis=0), x.std(axis=0)


def _run(seed: int, generations: int = 5):
    return amis(
        TARGET.logpdf,
        np.array([0.5, 6.0]),
        np.diag([0.3**2, 3.0**2]),
        LO,
        HI,
        generations=generations,
        per_generation=200,
        seed=seed,
    )


def test_amis_recovers_the_truncated_targets_mean_and_spread() -> None:
    mean, sd = _truth()
    res = _run(1)
    assert np.all((res.draws >= LO) & (res.draws <= HI))
    assert abs(res.weights.sum() - 1) < 1e-12
    m = res.weights @ res.draws
    s = np.sqrt(res.weights @ (res.draws - m) ** 2)
    assert res.ess > 300  # of 1000 draws: the later proposals fit the target
    assert np.all(np.abs(m - mean) < 0.1 * sd), (m, mean)
    assert np.all(np.abs(s / sd - 1) < 0.15), (s, sd)
    first = _run(1, generations=1)
    assert first.ess < res.ess / 3  # the first proposal alone is poor: adaptation is what helps


def test_amis_is_deterministic_in_its_seed() -> None:
    a, b, c = _run(7, 2), _run(7, 2), _run(8, 2)
    assert np.array_equal(a.draws, b.draws) and np.array_equal(a.weights, b.weights)
    assert not np.array_equal(a.draws, c.draws)


def test_a_draw_of_zero_density_gets_zero_weight() -> None:
    p = Proposal(np.zeros(2), np.eye(2), 1.0)
    x = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    w = mixture_weights(np.array([0.0, -np.inf, 0.0]), x, [p], [3])
    assert w[1] == 0 and abs(w.sum() - 1) < 1e-12 and w[2] > w[0]  # farther from the proposal: heavier
