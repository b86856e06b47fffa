"""The judge: procedure, voluntariness review, the court's view of the sentence, no-crime findings.

The bench (an ActorPool) owns each judge's personal sentencing norm, which drifts and turns over."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors.pool import ActorPool, PoolAgent

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel
    from sim.model.scenario import Scenario
    from sim.model.streams import ActorDraws


class Bench(ActorPool):
    """The judges of all districts: workload and each judge's personal sentencing norm (a multiplier)."""

    def __init__(self, scenario: Scenario, setup: ActorDraws) -> None:
        p, w = scenario, scenario.workload
        super().__init__(
            p.run.districts * p.judge.per_district, p.judge.hours_per_day, w.corner_cutting, w.horizon_days
        )
        self.per_district = p.judge.per_district
        self.norm = np.exp(p.judge.norm_sd * setup.normal("judge.first_norm"))

    def drift(self, scenario: Scenario, draws: ActorDraws) -> np.ndarray:
        """One day of mean-reverting drift of the norms, and turnover; returns the judges who are new
        today."""
        jp = scenario.judge
        a = np.exp(-1.0 / jp.norm_persistence_days)
        x = np.log(self.norm)
        x = a * x + np.sqrt(1 - a * a) * jp.norm_sd * draws.normal("judge.drift")
        new = draws.uniform("judge.leaves") < jp.turnover_per_year / 365.0
        x[new] = jp.norm_sd * draws.normal("judge.newcomer_norm", new)
        self.norm = np.exp(x)
        return np.flatnonzero(new)


class Judge(PoolAgent):
    """Reviews voluntariness, applies Art. 201, sentences, reasons, decides second instance."""

    pool_name = "judges"

    @property
    def sentencing_norm(self) -> float:
        return float(self.model.judges.norm[self.idx])

    @classmethod
    def case_months(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The sentence the facts as tried call for at the average norm: the file's figure times what only the
        trial shows (case-specific; the prosecutor sees it only by consulting the court)."""
        d = model.docket
        return d.base[rows] * np.exp(d.view_noise[rows])

    @classmethod
    def view(cls, model: LeniencyModel, rows: np.ndarray, discount: np.ndarray) -> np.ndarray:
        """The sentence this judge thinks right: the facts as tried, personal norm, the lawful discount."""
        d = model.docket
        return cls.case_months(model, rows) * model.judges.norm[d.judge[rows]] * (1.0 - discount)

    @classmethod
    def contested_discount(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """The discount a contested trial gives: mitigation only, within the combined cap."""
        d, p = model.docket, model.params
        return law.capped_discount(
            p.prosecutor.mitigation_discount * d.mitigation[rows], p.law.combined_discount_cap
        )

    @classmethod
    def contested_sentence(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """What this court would give these defendants after a contested trial today: the benchmark a
        knowing plea is judged against, and the sentence a contested trial gives."""
        return cls.view(model, rows, cls.contested_discount(model, rows))

    @classmethod
    def trial_expectation(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """What the file and the sentencing guideline say a contested trial gives this defendant: the
        charge's sentence at the average norm less the mitigation discount. What a defendant's own estimate
        and a lawyer's advice centre on; neither knows this judge's norm nor what only the trial shows."""
        return model.docket.base[rows] * (1.0 - cls.contested_discount(model, rows))

    @classmethod
    def suspends(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Criminal Law Art. 72: the court's judgment of the offender's suitability for suspension (before
        the sentence's eligibility is checked)."""
        d, p = model.docket, model.params_at(rows)
        sd = p.judge.suspension_view_sd
        view = d.suitability[rows] + sd * streams.normal(model, "judge.suspension_view", rows)
        return view < law.suspension_threshold(p.case.suspension_share, sd)

    @classmethod
    def procedure_for(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Procedure of first instance: fast-track for eligible plea cases the court takes up (Art. 222),
        summary for other plea cases, ordinary for contested ones (assumption: contested cases go
        ordinary)."""
        d = model.docket
        plea = d.signed[rows]
        uptake = (
            streams.uniform(model, "judge.fast_track", rows) < model.params_at(rows).judge.fast_track_uptake
        )
        fast = plea & law.fast_track_eligible(d.rec[rows]) & uptake
        return np.select(
            [fast, plea], [law.Procedure.FAST_TRACK, law.Procedure.SUMMARY], law.Procedure.ORDINARY
        )

    @classmethod
    def finds_involuntary(cls, model: LeniencyModel, rows: np.ndarray, time_factor: np.ndarray) -> np.ndarray:
        """Art. 190: review of voluntariness; detection rises with review depth and time, falls with
        workload (each trial of a case its own draw)."""
        d, p = model.docket, model.params_at(rows)
        proc_factor = np.select(
            [d.procedure[rows] == law.Procedure.FAST_TRACK, d.procedure[rows] == law.Procedure.SUMMARY],
            [p.judge.review_factor_fast, p.judge.review_factor_summary],
            1.0,
        )
        proc_factor = np.where(d.triaged[rows], 1.0, proc_factor)  # triage: a substantive review
        # the review can watch the recorded plea hearing
        seen = 1.0 + p.judge.recording_visibility * d.recorded[rows]
        q = np.clip(
            p.judge.review_depth * 2 * p.power.judicial_review_depth * proc_factor * time_factor * seen, 0, 1
        )
        u = streams.uniform(model, "judge.finds_involuntary", rows, d.trials[rows] - 1)
        return np.where(d.involuntary[rows], u < q, u < p.judge.false_finding_rate)

    @classmethod
    def finds_no_crime(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Art. 201(1): in a pleaded case of an innocent, the court may still find no crime."""
        d, p = model.docket, model.params_at(rows)
        q = np.clip(
            p.judge.innocence_detection * 2 * (1 - d.evidence[rows]) * 2 * p.power.judicial_review_depth, 0, 1
        )
        return d.innocent[rows] & (streams.uniform(model, "judge.finds_no_crime", rows) < q)
