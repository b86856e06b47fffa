"""The duty lawyer: advice before the plea, presence at signing, continuity to trial."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model import procedure as law
from sim.model.actors import triage
from sim.model.actors.pool import PoolAgent
from sim.model.actors.prosecutor_kernels import shortfall_at
from sim.model.kernel import jit, uniform32
from sim.model.streams import CASE_COLUMN

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

_CHANGES = CASE_COLUMN["lawyer.changes"]


class DutyLawyer(PoolAgent):
    """Advises and witnesses the signing. Time per case shrinks with caseload, and with it substance."""

    pool_name = "lawyers"

    @classmethod
    def advise(cls, model: LeniencyModel, rows: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """Consult before the plea; returns the lawyer wait in days. Moves beliefs toward truth (``expected``:
        what the file and the guideline say a trial gives, ``judge.expected_at``) or framing."""
        d, p = model.docket, model.params
        lp, pp = p.lawyer, p.prosecutor
        n = len(rows)
        share = np.ones(0)
        if p.triage.lawyer_risk_weight > 0.0:  # the office's time goes to at-risk cases first
            drows = rows[~d.retained[rows]]
            worlds = model.world_of(drows) if model.worlds > 1 else None  # each world's office its own
            share = triage.by_risk(p.triage.lawyer_risk_weight, d.at_risk[drows], worlds)
        drows, lawyers = np.empty_like(rows), np.empty(n, dtype=np.int32)
        planned, std = np.empty(n), np.empty(n)
        k = _planned(
            d.retained, d.prosecutor, d.lawyer, d.district, rows, model.districts_per_world,
            model.prosecutors.rate, pp.application_target, share, pp.rush_share,
            model.per_world("power.target_pressure"), model.per_world("lawyer.consultation_minutes"),
            model.per_world("power.defence_capacity"), lp.signing_minutes, drows, lawyers, planned, std,
        )  # fmt: skip
        w, hours, tf = model.lawyers.book(lawyers[:k], std[:k])
        model.add_hours("lawyer", law.Stage.REVIEW, drows[:k], hours)
        wait = np.zeros(n, dtype=np.int32)
        _advised(
            d.retained, d.lawyer_minutes, d.substantive, d.belief_T, d.framed_T, d.belief_p, d.p_conv,
            d.lawyer_present, d.district, rows, model.districts_per_world, planned, tf, w, expected,
            lp.substantive_minutes, model.per_world("lawyer.file_access"),
            model.per_world("lawyer.private_meeting"), lp.retained_substantiveness,
            model.per_world("lawyer.misleading_strength"), lp.belief_correction, wait,
        )  # fmt: skip
        return wait

    @classmethod
    def continue_to_trial(cls, model: LeniencyModel, rows: np.ndarray, relief: bool = False) -> None:
        """Continuity: the same lawyer stays, or a new duty lawyer with little time takes over."""
        d = model.docket
        duty, lawyers = np.empty_like(rows), np.empty(len(rows), dtype=np.int32)
        k = _continuity(
            d.retained, d.substantive, d.lawyer, d.trials, d.district, d.draws, rows,
            model.districts_per_world, model.per_world("lawyer.continuity"), duty, lawyers,
        )  # fmt: skip
        _, hours, _ = model.lawyers.book(lawyers[:k], model.params.lawyer.trial_hours)
        model.add_hours("lawyer", law.Stage.TRIAL, duty[:k], hours, relief=relief)


@jit
def _continuity(
    retained: np.ndarray, substantive: np.ndarray, lawyer: np.ndarray, trials: np.ndarray,
    district: np.ndarray, draws: np.ndarray, rows: np.ndarray, dpw: int, continuity: np.ndarray,
    duty: np.ndarray, lawyers: np.ndarray,
) -> int:  # fmt: skip
    """A duty lawyer stays with the case to trial with the world's ``continuity``, else a successor gives
    half the substance. The duty-lawyer cases and their lawyers go to the front of ``duty`` and ``lawyers``;
    returns their number."""
    k = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if retained[r]:
            continue
        if uniform32(draws[r, _CHANGES + int(trials[r]) - 1]) >= continuity[district[r] // dpw]:
            substantive[r] *= np.float32(0.5)
        duty[k] = r
        lawyers[k] = lawyer[r]
        k += 1
    return k


@jit
def _planned(
    retained: np.ndarray, prosecutor: np.ndarray, lawyer: np.ndarray, district: np.ndarray, rows: np.ndarray,
    dpw: int, rate: np.ndarray, target: float, share: np.ndarray, rush_share: float,
    target_pressure: np.ndarray, consultation_minutes: np.ndarray, defence_capacity: np.ndarray,
    signing_minutes: float, drows: np.ndarray, lawyers: np.ndarray, planned: np.ndarray,
    std_hours: np.ndarray,
) -> int:  # fmt: skip
    """Minutes the duty lawyer plans for each case with one (to the front of the outputs, with its row and
    lawyer; returns their number): the world's consultation time, scaled by the defence's capacity, cut by
    the rush a prosecutor short of the target brings (and shared by risk, ``share``, when triage moves the
    office's time); ``std_hours`` adds the signing."""
    j = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        if retained[r]:
            continue
        w = district[r] // dpw
        rush = 1.0 - rush_share * target_pressure[w] * shortfall_at(rate[prosecutor[r]], target)
        x = consultation_minutes[w] * (0.5 + defence_capacity[w]) * rush
        if share.shape[0]:
            x = x * share[j]
        drows[j], lawyers[j] = r, lawyer[r]
        planned[j] = x
        std_hours[j] = (x + signing_minutes) / 60.0
        j += 1
    return j


@jit
def _advised(
    retained: np.ndarray, lawyer_minutes: np.ndarray, substantive: np.ndarray, belief_T: np.ndarray,
    framed_T: np.ndarray, belief_p: np.ndarray, p_conv: np.ndarray, lawyer_present: np.ndarray,
    district: np.ndarray, rows: np.ndarray, dpw: int, planned: np.ndarray, tf: np.ndarray, waits: np.ndarray,
    expectation: np.ndarray, substantive_minutes: float, file_access: np.ndarray, private_meeting: np.ndarray,
    retained_substantiveness: float, misleading_strength: np.ndarray, belief_correction: float,
    wait: np.ndarray,
) -> None:  # fmt: skip
    """The consultation's effect (duty lawyers' in the order of ``planned``): enough minutes, file access
    and private meetings make help substantive (assumption on the form, in float32 as the column);
    formalised advice echoes the prosecutor's framing, substantive advice corrects beliefs toward what a
    contested trial would bring on the file. Art. 174: it ends with the lawyer present at signing."""
    j = 0
    for i in range(rows.shape[0]):
        r = rows[i]
        w = district[r] // dpw
        if retained[r]:
            substantive[r] = retained_substantiveness
            lawyer_minutes[r] = substantive_minutes
        else:
            wait[i] = waits[j]
            lawyer_minutes[r] = planned[j] * tf[j]
            j += 1
            t = min(lawyer_minutes[r] / np.float32(substantive_minutes), np.float32(1.0))
            form = 0.5 + 0.25 * file_access[w] + 0.25 * private_meeting[w]
            substantive[r] = np.float32(np.sqrt(t)) * np.float32(form)
        s = float(substantive[r])
        m = misleading_strength[w] * (1.0 - s)
        log_b = (1 - m) * math.log(belief_T[r]) + m * math.log(framed_T[r])
        c = belief_correction * s
        belief_T[r] = math.exp((1 - c) * log_b + c * math.log(expectation[i]))
        belief_p[r] = (1 - c) * float(belief_p[r]) + c * float(p_conv[r])
        lawyer_present[r] = True
