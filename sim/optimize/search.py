"""The search: NSGA-II/III (pymoo, ask and tell) over lever intensities, every candidate evaluated on the
same seeds; the front is taken over every candidate evaluated, so a fixed reform package tried on the way
(each starts in the first generation) is either on it or dominated by a point of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.core.evaluator import Evaluator
from pymoo.core.problem import Problem
from pymoo.problems.static import StaticProblem
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
from pymoo.util.ref_dirs import get_reference_directions

from sim.experiments.analysis import mean_ci
from sim.model.reforms import reform_names
from sim.optimize.evaluate import HOURS, Key, Runner, key_of
from sim.optimize.spec import OptimizeSpec


@dataclass
class Outcome:
    """What a search found: every candidate, the front, today's figures and the marginal values."""

    candidates: pd.DataFrame
    front: pd.DataFrame
    marginal: pd.DataFrame
    point: int  # the row of ``front`` the marginal values are for
    today: pd.DataFrame  # today's row on the fresh seeds the front is re-estimated on


def lever_column(name: str) -> str:
    return f"lever_{name}"


def start_population(spec: OptimizeSpec, rng: np.random.Generator) -> np.ndarray:
    """The first generation: today (all levers at 0), each reform package alone (its lever at 1), then
    random candidates."""
    k = len(spec.levers)
    reforms = reform_names()
    fixed = [np.zeros(k)] + [np.eye(k)[i] for i, name in enumerate(spec.levers) if name in reforms]
    rows = fixed[: spec.search.population]
    extra = rng.random((spec.search.population - len(rows), k))
    return np.vstack([*rows, extra]) if len(extra) else np.vstack(rows)


def labels(spec: OptimizeSpec) -> dict[Key, str]:
    """Names of the fixed points: today, and each lever alone at 1 (for a reform, its package)."""
    k = len(spec.levers)
    out = {key_of(np.zeros(k)): "today"}
    for i, name in enumerate(spec.levers):
        out[key_of(np.eye(k)[i])] = name
    return out


class Search:
    """One search: the spec, a runner on the search seeds, one on fresh seeds (re-estimating the front
    without the luck that selected it) and one on more fresh seeds for the marginal values."""

    def __init__(self, spec: OptimizeSpec, runner: Runner, check: Runner, margin: Runner) -> None:
        self.spec, self.runner, self.check, self.margin = spec, runner, check, margin
        zero = np.zeros((1, len(spec.levers)))
        self.today = runner.run(zero)[0]

    def extra_hours(self, per_seed: dict[str, np.ndarray], today: dict[str, np.ndarray]) -> np.ndarray:
        """Hours per case above today's, seed by seed (the same seeds: a paired difference)."""
        m = self.spec.budget.metric
        return per_seed[m] - today[m]

    def objectives(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean objectives (minimised) and the budget constraint (<= 0 is within budget)."""
        runs = self.runner.run(X)
        F = np.array([[r[o].mean() for o in self.spec.objectives] for r in runs])
        budget = self.spec.budget.extra_hours_per_case
        G = np.array([[self.extra_hours(r, self.today).mean() - budget] for r in runs])
        return F, G

    def run(self) -> None:
        """Generations of ask, evaluate, tell."""
        s = self.spec.search
        n_obj = len(self.spec.objectives)
        problem = Problem(n_var=len(self.spec.levers), n_obj=n_obj, n_ieq_constr=1, xl=0.0, xu=1.0)
        X0 = start_population(self.spec, np.random.default_rng(self.spec.master_seed))
        if s.algorithm == "nsga3":
            ref = get_reference_directions("energy", n_obj, max(s.population, n_obj), seed=1)
            algorithm = NSGA3(ref_dirs=ref, pop_size=s.population, sampling=X0)
        else:
            algorithm = NSGA2(pop_size=s.population, sampling=X0)
        algorithm.setup(problem, termination=("n_gen", s.generations), seed=self.spec.master_seed)
        while algorithm.has_next():
            pop = algorithm.ask()
            F, G = self.objectives(pop.get("X"))
            Evaluator().eval(StaticProblem(problem, F=F, G=G), pop)
            algorithm.tell(infills=pop)

    def table(self, runner: Runner, keys: list[Key]) -> pd.DataFrame:
        """Candidates on one runner's seeds: levers, means and CI half-widths, extra hours, within budget."""
        names = labels(self.spec)
        today = runner.run(np.zeros((1, len(self.spec.levers))))[0]
        per_seed = runner.run(np.array(keys)) if keys else []
        rows = []
        for key, r in zip(keys, per_seed, strict=True):
            row: dict[str, object] = {"label": names.get(key, "")}
            row.update({lever_column(n): v for n, v in zip(self.spec.levers, key, strict=True)})
            for m in dict.fromkeys((*self.spec.objectives, *HOURS)):
                ci = mean_ci(r[m])
                row[f"{m}_mean"], row[f"{m}_ci"] = ci["mean"], ci["half_width"]
            extra = mean_ci(self.extra_hours(r, today))
            row["extra_hours_mean"], row["extra_hours_ci"] = extra["mean"], extra["half_width"]
            row["within_budget"] = extra["mean"] <= self.spec.budget.extra_hours_per_case
            rows.append(row)
        return pd.DataFrame(rows)

    def front(self, table: pd.DataFrame) -> pd.DataFrame:
        """The candidates within budget that no other candidate within budget dominates (on the means)."""
        ok = table[table["within_budget"]].reset_index(drop=True)
        if ok.empty:
            return ok
        F = ok[[f"{o}_mean" for o in self.spec.objectives]].to_numpy()
        idx = NonDominatedSorting().do(F, only_non_dominated_front=True)
        first = f"{self.spec.objectives[0]}_mean"
        return ok.iloc[np.sort(idx)].sort_values(first, kind="stable").reset_index(drop=True)

    def marginal(self, front: pd.DataFrame, point: int) -> pd.DataFrame:
        """At one point of the front, on the fresh seeds: what a step of each lever changes per unit and per
        extra hour per case (paired over the seeds; per hour only for a lever whose hours change is
        distinguishable from zero). A lever already at 1 is stepped down, its sign turned."""
        if front.empty:
            return pd.DataFrame()
        step = self.spec.search.marginal_step
        x = front.loc[point, [lever_column(n) for n in self.spec.levers]].to_numpy(dtype=float)
        moves, signs = [], []
        for j in range(len(x)):
            y = x.copy()
            y[j] = min(x[j] + step, 1.0) if x[j] + step <= 1.0 + 1e-9 else x[j] - step
            moves.append(y)
            signs.append((y[j] - x[j]) / step)
        here = self.margin.run(x[None, :])[0]
        there = self.margin.run(np.array(moves))
        hm = self.spec.budget.metric
        rows = []
        for name, r, sign in zip(self.spec.levers, there, signs, strict=True):
            dh = mean_ci((r[hm] - here[hm]) / (sign * step))
            row: dict[str, object] = {"lever": name, "at": x[self.spec.levers.index(name)], "step": step}
            row["d_hours_per_unit"], row["d_hours_ci"] = dh["mean"], dh["half_width"]
            for o in self.spec.objectives:
                if o == hm:
                    continue
                d = mean_ci((r[o] - here[o]) / (sign * step))
                row[f"d_{o}_per_unit"], row[f"d_{o}_ci"] = d["mean"], d["half_width"]
                # per hour only where the lever measurably costs hours (its CI above zero): a ratio over an
                # hours change lost in the noise would be any number at all
                costs = dh["mean"] - dh["half_width"] > 0
                row[f"d_{o}_per_hour"] = d["mean"] / dh["mean"] if costs else np.nan
            rows.append(row)
        return pd.DataFrame(rows)

    def outcome(self, point: int = 0) -> Outcome:
        """Every candidate of the search; the front it selects (mutually non-dominated on the search seeds)
        with its figures re-estimated on fresh seeds beside them (columns ``*_fresh``: no selection luck);
        the marginal values at the front's ``point``. The front is ordered by its fresh figures (within the
        budget first, then lowest on the first objective): the search seeds chose the points, so their
        figures there are flattered; point 0 is the lowest as judged afresh."""
        table = self.table(self.runner, list(self.runner.evaluated))
        front = self.front(table)
        keys = [key_of(r) for r in front[[lever_column(n) for n in self.spec.levers]].to_numpy()]
        if keys:
            fresh = self.table(self.check, keys)
            measured = [c for c in fresh.columns if c.endswith(("_mean", "_ci")) or c == "within_budget"]
            front = front.join(fresh[measured].add_suffix("_fresh"))
            first = f"{self.spec.objectives[0]}_mean_fresh"
            front = front.sort_values(
                ["within_budget_fresh", first], ascending=[False, True], kind="stable"
            ).reset_index(drop=True)
        at = min(point, max(len(front) - 1, 0))
        today = self.table(self.check, [key_of(np.zeros(len(self.spec.levers)))])
        return Outcome(table, front, self.marginal(front, at), at, today)
