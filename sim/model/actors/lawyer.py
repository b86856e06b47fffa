"""The duty lawyer: advice before the plea, presence at signing, continuity to trial."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model import streams
from sim.model.actors import triage
from sim.model.actors.judge import Judge
from sim.model.actors.pool import PoolAgent
from sim.model.actors.prosecutor import Prosecutor

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


class DutyLawyer(PoolAgent):
    """Advises and witnesses the signing. Time per case shrinks with caseload, and with it substance."""

    pool_name = "lawyers"

    @classmethod
    def substantiveness(cls, model: LeniencyModel, rows: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """0-1 for the cases ``rows``: enough minutes, file access and private meetings make help substantive
        (assumption on the form)."""
        lp = model.params_at(rows).lawyer
        time_part = np.sqrt(np.minimum(minutes / lp.substantive_minutes, 1.0))
        return time_part * (0.5 + 0.25 * lp.file_access + 0.25 * lp.private_meeting)

    @classmethod
    def advise(cls, model: LeniencyModel, rows: np.ndarray) -> np.ndarray:
        """Consult before the plea; returns the lawyer wait in days. Moves beliefs toward truth or framing."""
        d, p = model.docket, model.params
        lp = p.lawyer
        wait = np.zeros(len(rows), dtype=np.int32)
        duty = ~d.retained[rows]
        drows = rows[duty]
        pw = model.params_at(drows)  # each case's world's values where they differ between worlds
        rush = 1.0 - pw.prosecutor.rush_share * pw.power.target_pressure * Prosecutor.shortfall(
            model, d.prosecutor[drows]
        )
        planned = pw.lawyer.consultation_minutes * (0.5 + pw.power.defence_capacity) * rush
        if p.triage.lawyer_risk_weight > 0.0:  # the office's time goes to at-risk cases first
            worlds = model.world_of(drows) if model.worlds > 1 else None  # each world's office its own
            planned = planned * triage.by_risk(p.triage.lawyer_risk_weight, d.at_risk[drows], worlds)
        w, hours, tf = model.lawyers.book(d.lawyer[drows], (planned + lp.signing_minutes) / 60.0)
        model.add_hours("lawyer", law.Stage.REVIEW, drows, hours)
        wait[duty] = w
        d.lawyer_minutes[drows] = planned * tf
        d.substantive[drows] = cls.substantiveness(model, drows, d.lawyer_minutes[drows])
        d.substantive[rows[~duty]] = lp.retained_substantiveness
        d.lawyer_minutes[rows[~duty]] = lp.substantive_minutes
        s = d.substantive[rows].astype(np.float64)
        # formalised advice echoes the prosecutor's framing
        pl = model.params_at(rows).lawyer
        m = pl.misleading_strength * (1.0 - s)
        log_b = (1 - m) * np.log(d.belief_T[rows]) + m * np.log(d.framed_T[rows])
        # substantive advice corrects beliefs toward what a contested trial would bring on the file
        c = pl.belief_correction * s
        d.belief_T[rows] = np.exp((1 - c) * log_b + c * np.log(Judge.trial_expectation(model, rows)))
        d.belief_p[rows] = (1 - c) * d.belief_p[rows] + c * d.p_conv[rows]
        d.lawyer_present[rows] = True  # Art. 174: the consultation ends with the lawyer present at signing
        return wait

    @classmethod
    def continue_to_trial(cls, model: LeniencyModel, rows: np.ndarray, relief: bool = False) -> None:
        """Continuity: the same lawyer stays, or a new duty lawyer with little time takes over."""
        d, p = model.docket, model.params
        u = streams.uniform(model, "lawyer.changes", rows, d.trials[rows] - 1)
        changes = ~d.retained[rows] & (u >= model.params_at(rows).lawyer.continuity)
        d.substantive[rows[changes]] *= 0.5
        duty = rows[~d.retained[rows]]
        _, hours, _ = model.lawyers.book(d.lawyer[duty], p.lawyer.trial_hours)
        model.add_hours("lawyer", law.Stage.TRIAL, duty, hours, relief=relief)
