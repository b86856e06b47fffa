"""Adaptive multiple importance sampling (AMIS; Cornuet, Marin, Mira & Robert 2012) for a target known up to a
constant and expensive to evaluate, on a box.

Each generation draws from a Student-t proposal (5 degrees of freedom: heavy tails keep any one weight from
dominating) truncated to the box, evaluates the log target once per draw,
and re-weights *every* draw so far against the mixture of all proposals used (the deterministic-mixture
weights, which keep early draws useful); the next proposal is the weighted mean and covariance. Nothing is
thrown away and the weights are importance weights for the truncated target (exact up to each proposal's
Monte Carlo mass in the box, 50,000 draws), so a poor first proposal
(e.g. a Laplace approximation at a bound) only costs effective sample size, which is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

LogTarget = Callable[[np.ndarray], np.ndarray]  # (n, d) points -> (n,) log density up to a constant


DF = 5.0  # the proposals' degrees of freedom


def sample_t(mean: np.ndarray, cov: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Multivariate Student-t draws (location ``mean``, shape ``cov``, ``DF`` degrees of freedom)."""
    z = rng.multivariate_normal(np.zeros(len(mean)), cov, size=size, method="eigh")
    return mean + z * np.sqrt(DF / rng.chisquare(DF, size=size))[:, None]


@dataclass(frozen=True)
class Proposal:
    """A Student-t proposal truncated to [lo, hi]; ``inside`` is its mass in the box."""

    mean: np.ndarray
    cov: np.ndarray
    inside: float

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        t = stats.multivariate_t(self.mean, self.cov, df=DF, allow_singular=True)
        return t.logpdf(x) - np.log(self.inside)


@dataclass(frozen=True)
class AmisResult:
    draws: np.ndarray  # (n, d), every draw of every generation
    log_target: np.ndarray  # (n,)
    generation: np.ndarray  # (n,)
    weights: np.ndarray  # (n,), sum 1
    proposals: list[Proposal]

    @property
    def ess(self) -> float:
        """Kish's effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))


def box_mass(
    mean: np.ndarray, cov: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> float:
    """Monte Carlo mass of the proposal inside the box (50,000 draws: ample for a weight's normaliser)."""
    x = sample_t(mean, cov, 50_000, rng)
    return max(float(np.mean(np.all((x >= lo) & (x <= hi), axis=1))), 1e-6)


def truncated_draws(
    p: Proposal, n: int, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``n`` draws from the proposal restricted to the box, by rejection (exact)."""
    kept: list[np.ndarray] = []
    batch = max(4 * n, int(n / max(p.inside, 1e-3)) + 16)
    while sum(len(k) for k in kept) < n:
        x = sample_t(p.mean, p.cov, batch, rng)
        kept.append(x[np.all((x >= lo) & (x <= hi), axis=1)])
    return np.vstack(kept)[:n]


def mixture_weights(
    log_target: np.ndarray, draws: np.ndarray, proposals: list[Proposal], counts: list[int]
) -> np.ndarray:
    """Deterministic-mixture importance weights, normalised: target / (sum_g n_g q_g) over all draws."""
    n = np.asarray(counts, dtype=float)
    logq = np.stack([p.logpdf(draws) for p in proposals], axis=1) + np.log(n / n.sum())
    log_mix = np.logaddexp.reduce(logq, axis=1)
    logw = np.where(np.isfinite(log_target), log_target - log_mix, -np.inf)
    if not np.isfinite(logw).any():
        raise ValueError("every draw has zero target density: the proposal misses the target entirely")
    w = np.exp(logw - logw.max())
    return w / w.sum()


def moments(
    draws: np.ndarray, w: np.ndarray, span: np.ndarray, floor: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and covariance, with a ridge of ``floor`` of each range so a degenerate weight set cannot
    collapse the next proposal."""
    mean = w @ draws
    d = draws - mean
    cov = (d * w[:, None]).T @ d
    return mean, cov + np.diag((floor * span) ** 2)


def amis(
    log_target: LogTarget,
    mean: np.ndarray,
    cov: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    generations: int,
    per_generation: int,
    seed: int,
    on_generation: Callable[[int, float], None] | None = None,
) -> AmisResult:
    """Run ``generations`` generations of ``per_generation`` draws each, starting from t(mean, cov) on the
    box. ``on_generation(g, ess)`` is called after each generation."""
    rng = np.random.default_rng(seed)
    span = hi - lo
    proposals: list[Proposal] = []
    counts: list[int] = []
    xs: list[np.ndarray] = []
    lps: list[np.ndarray] = []
    gens: list[np.ndarray] = []
    m, c = np.asarray(mean, float), np.asarray(cov, float)
    w = np.empty(0)
    for g in range(generations):
        p = Proposal(m, c, box_mass(m, c, lo, hi, rng))
        x = truncated_draws(p, per_generation, lo, hi, rng)
        proposals.append(p)
        counts.append(per_generation)
        xs.append(x)
        lps.append(np.asarray(log_target(x), dtype=float))
        gens.append(np.full(per_generation, g))
        allx, alllp = np.vstack(xs), np.concatenate(lps)
        w = mixture_weights(alllp, allx, proposals, counts)
        if on_generation is not None:
            on_generation(g, float(1.0 / np.sum(w**2)))
        m, c = moments(allx, w, span)
    return AmisResult(np.vstack(xs), np.concatenate(lps), np.concatenate(gens), w, proposals)
