"""LeniencyModel: one step is one day; cases arrive, move through the stages in vectorized passes, and close.

Stage passes (each handles the docket rows whose next event falls on the day):
investigation -> review start (prosecutor queue) -> plea hearing (lawyer advice, offer, decision, signing, plea
hearing check) -> charge (withdrawal, non-prosecution, procedure choice) -> trial (voluntariness review, withdrawal,
Art. 201, judgment) -> end of the appeal window (appeal, protest) -> second instance -> final.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.model import procedure as law
from sim.model.agents import ActorPool, Defendant, DutyLawyer, Judge, Prosecutor
from sim.model.cases import CaseTable, pack_class
from sim.model.docket import Docket
from sim.model.metrics import ACTORS, ReliefLedger, Tally, summarise
from sim.model.procedure import CaseState, Procedure, Stage
from sim.model.relief import CLASS_CODE, INITIATING, INVOLUNTARY_REASON, Reason, ReliefType
from sim.model.scenario import Scenario, load_scenario


class Event(IntEnum):
    REVIEW_START = 1
    PLEA_HEARING = 2
    CHARGE = 3
    TRIAL = 4
    APPEAL_END = 5
    SECOND_INSTANCE = 6


DAILY_KEYS = (
    "arrivals",
    "warmup",
    "in_investigation",
    "in_review",
    "in_trial",
    "in_appeal",
    "closed_total",
    "detained_now",
    "signed_today",
    "relief_essential_today",
    "relief_nonessential_today",
    *(f"relief_{t.name.lower()}_today" for t in ReliefType),
    *(f"hours_{a}_today" for a in ACTORS),
    *(f"backlog_days_{a}" for a in ACTORS),
    "application_rate",
    "adoption_rate",
    "relief_rate_essential",
    "relief_rate_nonessential",
)


def _daily(key: str, model: LeniencyModel) -> float:
    """A model reporter reading one of the day's values (used through functools.partial: picklable)."""
    return model.today[key]


class LeniencyModel(mesa.Model):
    """Plea bargaining under the leniency system, with its procedural relief.

    Args:
        params: a resolved Scenario (default: the embedded baseline).
        scale: a scale preset applied on top ("classroom", "district", "national").
        reforms: reform overlays applied on top (names from ``sim.model.scenario.REFORMS``).
        overrides: dotted-key parameter overrides applied last.
        materialise_agents: create a Mesa ``Defendant`` per case in flight (off for fast headless runs).
        rng: integer seed.
    """

    def __init__(
        self,
        params: Scenario | None = None,
        *,
        scale: str | None = None,
        reforms: Sequence[str] = (),
        overrides: Mapping[str, Any] | None = None,
        materialise_agents: bool = True,
        record_cases: bool = False,
        rng: int | None = None,
    ) -> None:
        super().__init__(rng=rng)
        # Common random numbers: who arrives, with what case, comes from a stream of its own, so two runs with the
        # same seed see the same cases whatever a reform changes in behaviour (paired comparisons stay sharp).
        case_seed = np.random.SeedSequence(int(rng)).spawn(1)[0] if isinstance(rng, int | np.integer) else None
        self.case_rng = np.random.default_rng(case_seed) if case_seed is not None else np.random.default_rng(self.rng.integers(2**63))
        base = params if params is not None else load_scenario()
        resolved = load_scenario(base, reforms=reforms, scale=scale) if (scale or reforms) else base
        self.params: Scenario = resolved.with_overrides(overrides) if overrides else resolved
        self.materialise_agents = materialise_agents
        self.day = 0
        self.next_case_id = 0
        self.docket = Docket(capacity=max(1024, int(self.params.run.cases_per_day * 200)))
        self.tally = Tally()
        self.ledger = ReliefLedger(self.tally)
        self._defendants: dict[int, Defendant] = {}
        self._watch: set[int] = set()
        self._logs: dict[int, list[dict[str, Any]]] = {}
        self._build_actors()
        self._hours_today = np.zeros(len(ACTORS))
        self.today: dict[str, float] = dict.fromkeys(DAILY_KEYS, 0.0)
        self.datacollector = mesa.DataCollector(model_reporters={"day": "day", **{k: partial(_daily, k) for k in DAILY_KEYS}})
        self.running = True
        self.count_from = self.params.run.warmup_days  # summary figures count cases arriving from this day on
        self.closed_by_state = dict.fromkeys(law.CLOSED_STATES, 0)
        self.cases: CaseTable | None = CaseTable() if record_cases else None

    # --- set-up -------------------------------------------------------------------------------------------------
    def _build_actors(self) -> None:
        p = self.params
        nd, w = p.run.districts, p.workload
        self.prosecutors = ActorPool(nd * p.prosecutor.per_district, p.prosecutor.hours_per_day, w.corner_cutting, w.horizon_days)
        self.lawyers = ActorPool(nd * p.lawyer.per_district, p.lawyer.hours_per_day, w.corner_cutting, w.horizon_days)
        self.judges = ActorPool(nd * p.judge.per_district, p.judge.hours_per_day, w.corner_cutting, w.horizon_days)
        self.judge_norm = np.exp(p.judge.norm_sd * self.rng.standard_normal(self.judges.n))
        # A prosecutor's beliefs about the norms of the judges of the same district (log scale).
        pd_, jd = p.prosecutor.per_district, p.judge.per_district
        own = np.log(self.judge_norm).reshape(nd, jd)[np.arange(self.prosecutors.n) // pd_]
        self.norm_belief = own + p.prosecutor.norm_belief_sd * self.rng.standard_normal(own.shape)
        self.prosecutor_rate = np.full(self.prosecutors.n, p.prosecutor.application_target)
        for cls, pool, per in ((Prosecutor, self.prosecutors, pd_), (DutyLawyer, self.lawyers, p.lawyer.per_district), (Judge, self.judges, jd)):
            for i in range(pool.n):
                cls(self, i, i // per)

    # --- the day ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One day: arrivals, then each stage's cases due today, then the actors work off a day's capacity."""
        p = self.params
        d = self.docket
        self._staff_day()
        live = self._live_counts()
        arrivals = 0
        if self.day < p.run.days:
            arrivals = int(self.case_rng.poisson(p.run.cases_per_day))
            self._arrive(arrivals)
        due = d.due(self.day)
        if len(due):
            # Only today's due rows change state (closed rows keep their closing state until the end-of-day wipe), so
            # the open-state counts are kept up to date from them instead of a scan of the whole docket.
            live[: len(CaseState)] -= np.bincount(d.state[due], minlength=len(CaseState))
            # Group today's rows by event with one stable (radix) sort: each group keeps ascending row order.
            events = d.next_event[due]
            order = np.argsort(events, kind="stable")
            by_event = due[order]
            ends = np.cumsum(np.bincount(events, minlength=len(Event) + 1)).tolist()
            for ev, handler in self._handlers():
                rows = by_event[ends[ev - 1] : ends[ev]]
                if len(rows):
                    handler(rows)
            live[: len(CaseState)] += np.bincount(d.state[due], minlength=len(CaseState))
        d.wipe()
        for pool in (self.prosecutors, self.lawyers, self.judges):
            pool.end_day()
        self._record_day(arrivals)
        self._collect_day()
        self.day += 1
        if self.day >= p.run.days + p.run.drain_days or (self.day >= p.run.days and d.in_flight == 0):
            self.running = False
            # Memory follows the cases in flight: give the docket's empty rows back before results are built.
            moved = d.compact()
            if self._defendants:
                agents = self._defendants
                self._defendants = {new: agents[old] for new, old in enumerate(moved.tolist()) if old in agents}
                for new, agent in self._defendants.items():
                    agent.row = new

    def _staff_day(self) -> None:
        """Turnover and drift keep the world stationary: prosecutors and judges leave and are replaced (newcomers
        hold uninformed beliefs), judges' norms drift (mean-reverting) around the average."""
        p, rng = self.params, self.rng
        tau = p.judge.norm_persistence_days
        a = np.exp(-1.0 / tau)
        x = np.log(self.judge_norm)
        x = a * x + np.sqrt(1 - a * a) * p.judge.norm_sd * rng.standard_normal(len(x))
        newj = rng.random(len(x)) < p.judge.turnover_per_year / 365.0
        x[newj] = p.judge.norm_sd * rng.standard_normal(int(newj.sum()))
        self.judge_norm = np.exp(x)
        jd = p.judge.per_district
        if newj.any():
            for j in np.flatnonzero(newj).tolist():  # prosecutors of the district start afresh on the new judge
                dist, jl = divmod(j, jd)
                prs = np.arange(dist * p.prosecutor.per_district, (dist + 1) * p.prosecutor.per_district)
                self.norm_belief[prs, jl] = p.prosecutor.norm_belief_sd * rng.standard_normal(len(prs))
        newp = rng.random(self.prosecutors.n) < p.prosecutor.turnover_per_year / 365.0
        if newp.any():
            k = int(newp.sum())
            self.norm_belief[newp] = p.prosecutor.norm_belief_sd * rng.standard_normal((k, jd))
            self.prosecutor_rate[newp] = p.prosecutor.application_target

    def _collect_day(self) -> None:
        """``datacollector.collect`` without Mesa's per-reporter type dispatch and deepcopy when every reporter is
        one of ours (``"day"`` or ``partial(_daily, key)``, plain numbers); otherwise Mesa's own collect."""
        dc = self.datacollector
        cached = self.__dict__.get("_collect_plan")
        if cached is None or cached[0] is not dc or cached[1] != len(dc.model_reporters):
            dc.collect(self)  # through Mesa (it validates the reporters), then plan the fast path
            plan: list[tuple[list[Any], str | None]] = []
            for var, rep in dc.model_reporters.items():
                if isinstance(rep, str) and rep == "day":
                    plan.append((dc.model_vars[var], None))
                elif isinstance(rep, partial) and rep.func is _daily and len(rep.args) == 1 and not rep.keywords:
                    plan.append((dc.model_vars[var], rep.args[0]))
            fast = len(plan) == len(dc.model_reporters) and not dc.agent_reporters and not dc.agenttype_reporters
            self._collect_plan = (dc, len(dc.model_reporters), plan if fast else [])
            return
        plan = cached[2]
        if not plan:
            dc.collect(self)
            return
        today, day = self.today, self.day
        for values, key in plan:
            values.append(day if key is None else today[key])
        steps = getattr(dc, "_collection_steps", None)
        if steps is not None:
            steps.append(self.time)

    def _live_counts(self) -> np.ndarray:
        """Running counts: cases in each state (open states meaningful), then cases detained now (last slot)."""
        live = self.__dict__.get("_live")
        if live is None:  # first call: count once from the docket
            d = self.docket
            live = np.zeros(len(CaseState) + 1, dtype=np.int64)
            live[: len(CaseState)] = np.bincount(d.state[d.active], minlength=len(CaseState))
            live[-1] = int((d.detained & d.active).sum())
            self._live = live
        return live

    def _handlers(self) -> tuple[tuple[Event, Callable[[np.ndarray], None]], ...]:
        return (
            (Event.REVIEW_START, self._review_start),
            (Event.PLEA_HEARING, self._plea_hearing),
            (Event.CHARGE, self._charge),
            (Event.TRIAL, self._trial),
            (Event.APPEAL_END, self._appeal_end),
            (Event.SECOND_INSTANCE, self._second_instance),
        )

    def _schedule(self, rows: np.ndarray, event: Event, day: np.ndarray | int) -> None:
        self.docket.next_event[rows] = event
        self.docket.next_day[rows] = np.maximum(day, self.day + 1)

    # --- investigation ------------------------------------------------------------------------------------------
    def _arrive(self, n: int) -> None:
        if n == 0:
            return
        p, d, rng = self.params, self.docket, self.case_rng
        rows = d.add(n)
        ids = np.arange(self.next_case_id, self.next_case_id + n)
        self.next_case_id += n
        d.case_id[rows] = ids
        d.arrival[rows] = self.day
        d.state[rows] = CaseState.INVESTIGATION
        nd = p.run.districts
        dist = rng.integers(0, nd, n)
        d.district[rows] = dist
        d.prosecutor[rows] = dist * p.prosecutor.per_district + rng.integers(0, p.prosecutor.per_district, n)
        jl = rng.integers(0, p.judge.per_district, n)
        d.judge_local[rows] = jl
        d.judge[rows] = dist * p.judge.per_district + jl
        d.retained[rows] = rng.random(n) < p.lawyer.retained_share
        d.lawyer[rows] = np.where(d.retained[rows], -1, dist * p.lawyer.per_district + rng.integers(0, p.lawyer.per_district, n))
        Defendant.draw(self, rows)
        d.judged_day[rows] = -1
        d.relief_class[rows] = -1
        d.relief_reason[rows] = -1
        d.first_relief_day[rows] = -1
        detained = int(d.detained[rows].sum())
        if self.day >= self.count_from:  # summary figures cover cases arriving after the warm-up
            self.tally.arrived += n
            self.tally.detained_at_arrival += detained
        live = self._live_counts()
        live[CaseState.INVESTIGATION] += n
        live[-1] += detained
        inv = 3 + rng.exponential(max(p.case.investigation_days_mean - 3, 0.1), n)
        self._schedule(rows, Event.REVIEW_START, self.day + np.round(inv).astype(np.int32))
        if self.materialise_agents:
            for r, cid in zip(rows.tolist(), ids.tolist(), strict=True):
                self._defendants[r] = Defendant(self, r, cid)
        if self._watch:
            self._note(rows, "arrival", lambda r: (
                f"Case {d.case_id[r]} opens: the charge carries about {d.base[r]:.0f} months at a contested trial. "
                + ("The suspect is detained. " if d.detained[r] else "The suspect stays at liberty. ")
                + ("(Ground truth: innocent.)" if d.innocent[r] else "")))

    # --- review and prosecution ---------------------------------------------------------------------------------
    def _review_start(self, rows: np.ndarray) -> None:
        d, p = self.docket, self.params
        d.state[rows] = CaseState.REVIEW
        d.stage_start[rows] = self.day
        Prosecutor.offer(self, rows)
        likely = d.rec[rows]
        std = np.where(law.fast_track_eligible(likely), p.prosecutor.review_hours_fast, p.prosecutor.review_hours_other)
        wait, hours, _ = self.prosecutors.book(d.prosecutor[rows], std + p.prosecutor.negotiation_hours)
        self.add_hours("prosecutor", Stage.REVIEW, rows, hours)
        limit = law.review_limit(likely)
        half = np.round(0.5 * np.where(law.fast_track_eligible(likely), p.prosecutor.review_days_fast, p.prosecutor.review_days_other))
        self._schedule(rows, Event.PLEA_HEARING, self.day + np.clip(wait + half.astype(np.int32), 1, limit - 2))

    def _plea_hearing(self, rows: np.ndarray) -> None:
        """Lawyer advice, the offer and the defendant's decision; signing with a lawyer present (Art. 174)."""
        d, t = self.docket, self.tally
        Defendant.form_beliefs(self, rows)
        d.recorded[rows] = self.rng.random(len(rows)) < self.params.prosecutor.recorded_hearing_share
        lawyer_wait = DutyLawyer.advise(self, rows)
        d.pressure[rows] = Defendant.pressure(self, rows)
        accept, accept_cf = Defendant.decide_plea(self, rows)
        bargain = ~accept & Prosecutor.will_negotiate(self, rows)
        if bargain.any():
            Prosecutor.negotiate(self, rows[bargain])
            accept[bargain], accept_cf[bargain] = Defendant.decide_plea(self, rows[bargain])
        refused = np.flatnonzero(~accept)
        if len(refused):
            go = Defendant.insist(self, rows[refused])
            again = refused[go]
            if len(again):
                accept[again], accept_cf[again] = Defendant.decide_plea(self, rows[again])
        sign = accept & law.may_sign(d.lawyer_present[rows])
        srows = rows[sign]
        d.signed[srows] = True
        d.ever_signed[srows] = True
        d.accept_cf[rows] = accept_cf
        d.involuntary[srows] = ~accept_cf[sign]
        c = srows[self._counted(srows)]
        t.signed += len(c)
        t.determinate += int(d.determinate[c].sum())
        t.discount_sum += float(d.discount[c].sum())
        t.involuntary += int(d.involuntary[c].sum())
        self.today["signed_today"] += len(srows)
        self._set_aside(srows[Prosecutor.finds_involuntary(self, srows)], Stage.REVIEW)
        if self._watch:
            self._note(rows, "plea hearing", self._story_plea)
        start, pp = d.stage_start[rows], self.params.prosecutor
        limit = law.review_limit(d.rec[rows])
        usual = np.where(law.fast_track_eligible(d.rec[rows]), pp.review_days_fast, pp.review_days_other)
        charge_day = np.maximum(self.day + 1 + lawyer_wait, start + np.round(usual).astype(np.int32))
        self._schedule(rows, Event.CHARGE, np.minimum(charge_day, start + limit))

    def _set_aside(self, rows: np.ndarray, stage: Stage) -> None:
        """A voluntariness finding: the plea is set aside; the defendant decides again with accurate beliefs."""
        if not len(rows):
            return
        d = self.docket
        reasons = np.where(d.involuntary[rows], INVOLUNTARY_REASON[d.inv_cause[rows]], Reason.FALSE_ALARM)
        reasons = np.where(d.involuntary[rows] & d.innocent[rows], Reason.INNOCENT, reasons)
        self._relief(rows, stage, ReliefType.VOLUNTARINESS_FINDING, reasons)
        self.tally.involuntary_found += int((self._counted(rows) & d.involuntary[rows] & ~d.found_involuntary[rows]).sum())
        # the prosecutor re-reviews the case with the defendant's new decision (relief hours)
        _, hours, _ = self.prosecutors.book(d.prosecutor[rows], self.params.prosecutor.withdrawal_hours)
        self.add_hours("prosecutor", stage, rows, hours, relief=True)
        d.found_involuntary[rows] = True
        d.belief_T[rows] = d.base[rows]
        d.belief_p[rows] = d.p_conv[rows]
        d.pressure[rows] = 0.0
        d.signed[rows] = d.accept_cf[rows]
        if self._watch:
            self._note(rows, "voluntariness finding", lambda r: (
                "The plea is found involuntary and set aside; the defendant now knows the real odds and "
                + ("signs again." if d.signed[r] else "contests the charge.")))

    def _withdraw(self, rows: np.ndarray, stage: Stage, reasons: np.ndarray) -> None:
        if not len(rows):
            return
        d = self.docket
        d.signed[rows] = False
        d.withdrawn[rows] = True
        self.tally.withdrawals += int(self._counted(rows).sum())
        self._relief(rows, stage, ReliefType.WITHDRAWAL, reasons)
        _, hours, _ = self.prosecutors.book(d.prosecutor[rows], self.params.prosecutor.withdrawal_hours)
        self.add_hours("prosecutor", stage, rows, hours, relief=True)
        if self._watch:
            self._note(rows, "withdrawal", lambda r: "The defendant withdraws the plea (反悔); the discount is lost.")

    def _withdrawals(self, rows: np.ndarray, stage: Stage, scale: float) -> None:
        """Withdrawal of a standing plea: essential if the plea was involuntary, else driven by misinformation."""
        d, p = self.docket, self.params
        standing = rows[d.signed[rows]]
        inv = d.involuntary[standing] & ~d.found_involuntary[standing]
        learn = inv & Defendant.learns_truth(self, standing, scale)
        misinf = ~inv & Defendant.misinformed(self, standing, scale)
        go = (learn | misinf) & (self.rng.random(len(standing)) < p.defendant.withdrawal_propensity)
        g = standing[go]
        inv_reason = np.where(d.innocent[g], Reason.INNOCENT, INVOLUNTARY_REASON[d.inv_cause[g]])
        reasons = np.where(learn[go], inv_reason, Reason.MISINFORMATION)
        self._withdraw(standing[go], stage, reasons)

    def _charge(self, rows: np.ndarray) -> None:
        """End of review: withdrawal, non-prosecution or prosecution with a procedure (Arts. 172-177, 222)."""
        d, t = self.docket, self.tally
        self._withdrawals(rows, Stage.REVIEW, 1.0)
        c = rows[self._counted(rows)]
        t.review_concluded += len(c)
        t.pleas_at_charge += int(d.signed[c].sum())
        t.innocent_review_concluded += int(d.innocent[c].sum())
        t.innocent_signed += int((d.innocent[c] & d.ever_signed[c]).sum())
        Prosecutor.record_outcome(self, d.prosecutor[rows], d.signed[rows].astype(float))
        t.review_days_sum += int((self.day - d.stage_start[c]).sum())
        drop = Prosecutor.declines(self, rows)
        self._close(rows[drop], CaseState.NOT_PROSECUTED)
        rows = rows[~drop]
        self._release(rows[Prosecutor.releases_on_plea(self, rows)])
        d.procedure[rows] = Judge.procedure_for(self, rows)
        fast = rows[d.procedure[rows] == Procedure.FAST_TRACK]
        fast = fast[self._counted(fast)]
        t.review_fast_n += len(fast)
        t.review_fast_days_sum += int((self.day - d.stage_start[fast]).sum())
        self._to_trial(rows)

    # --- trial --------------------------------------------------------------------------------------------------
    def _to_trial(self, rows: np.ndarray, relief: bool = False) -> None:
        """Send cases to first instance; ``relief`` marks a re-trial after a plea was lost (its hours are relief)."""
        if not len(rows):
            return
        d, jp = self.docket, self.params.judge
        d.state[rows] = CaseState.TRIAL
        d.stage_start[rows] = self.day
        proc = d.procedure[rows]
        fast, summ = proc == Procedure.FAST_TRACK, proc == Procedure.SUMMARY
        std_h = np.select([fast, summ], [jp.fast_track_hours, jp.summary_hours], jp.ordinary_hours)
        # the court examines the recorded plea hearing when there is one (voluntariness safeguards)
        std_h = std_h + jp.record_review_hours * (d.recorded[rows] & d.signed[rows])
        std_d = np.select([fast, summ], [jp.trial_days_fast, jp.trial_days_summary], jp.trial_days_ordinary)
        wait, hours, tf = self.judges.book(d.judge[rows], std_h)
        self.add_hours("judge", Stage.TRIAL, rows, hours, relief=relief)
        d.hearing_time[rows] = tf
        limit = law.trial_limit(proc, d.rec[rows])
        self._schedule(rows, Event.TRIAL, self.day + np.clip(np.round(std_d).astype(np.int32) + wait, 1, limit))
        DutyLawyer.continue_to_trial(self, rows[d.signed[rows]], relief)

    def _trial(self, rows: np.ndarray) -> None:
        """First instance: voluntariness review (Art. 190), withdrawal, Art. 201, judgment."""
        d = self.docket
        tf = d.hearing_time[rows]
        plea = d.signed[rows]
        found = plea & Judge.finds_involuntary(self, rows, tf)
        self._set_aside(rows[found], Stage.TRIAL)
        self._withdrawals(rows[d.signed[rows]], Stage.TRIAL, self.params.defendant.trial_withdrawal_scale)
        converted = plea & ~d.signed[rows]
        # Art. 226: a plea case that loses its plea converts to ordinary procedure and is tried anew.
        conv = rows[converted]
        d.procedure[conv] = Procedure.ORDINARY
        self._to_trial(conv, relief=True)
        rows = rows[~converted]
        plea_rows = rows[d.signed[rows]]
        contested = rows[~d.signed[rows]]
        self._judge_plea(plea_rows)
        self._judge_contested(contested)

    def _judge_plea(self, rows: np.ndarray) -> None:
        """Art. 201: the court adopts, asks the prosecutor to adjust, or sentences on its own; a defendant facing a
        heavier sentence than agreed may withdraw the plea."""
        d, p, t = self.docket, self.params, self.tally
        if not len(rows):
            return
        no_crime = Judge.finds_no_crime(self, rows)
        acq = rows[no_crime]
        self._relief(acq, Stage.TRIAL, ReliefType.NOT_ADOPTED, Reason.INNOCENT)
        t.leniency_judged += int(self._counted(acq).sum())
        d.leniency_judged[acq] = True
        self._close(acq, CaseState.ACQUITTED)
        rows = rows[~no_crime]
        tol = p.judge.tolerance
        view = Judge.view(self, rows, d.legal_discount[rows])
        lawful = law.lawful_sentence(Judge.case_months(self, rows), d.legal_discount[rows])
        wrong_rec = law.off_lawful(d.rec[rows], lawful, tol)
        d.wrong_rec[rows] = wrong_rec
        adopt = law.art201_adopts(d.rec[rows], d.rec_lo[rows], d.rec_hi[rows], view, tol)
        # why the court asks: a recommendation off the lawful sentence (the system's own error) or a lawful one this
        # judge sees differently (no prosecutor-judge communication)
        reason = np.where(wrong_rec, Reason.MISCALIBRATED_REC, Reason.JUDGE_NORM)
        ask = rows[~adopt]
        self._relief(ask, Stage.TRIAL, ReliefType.ADJUSTMENT_REQUEST, reason[~adopt])
        adjusted = np.zeros(len(rows), dtype=bool)
        adjusted[~adopt] = Prosecutor.adjusts(self, ask)
        _, hours, _ = self.prosecutors.book(d.prosecutor[ask], p.prosecutor.negotiation_hours)
        self.add_hours("prosecutor", Stage.TRIAL, ask, hours, relief=True)
        # the court's view is revealed to the prosecutor: informative feedback
        Prosecutor.learn(self, ask)
        independent = ~adopt & ~adjusted
        self._relief(rows[independent], Stage.TRIAL, ReliefType.NOT_ADOPTED, reason[independent])
        # Facing a heavier sentence than agreed (adjusted upward, or the court's own), the defendant may withdraw
        # the plea (反悔): the case converts to ordinary procedure and is tried as contested, the discount lost.
        heavier = ~adopt & (view > d.rec_hi[rows] * (1 + law.SAME_SENTENCE_RTOL))
        wd = np.zeros(len(rows), dtype=bool)
        wd[heavier] = Defendant.withdraws_after_refusal(self, rows[heavier], view[heavier])
        if wd.any():
            conv = rows[wd]
            self._withdraw(conv, Stage.TRIAL, reason[wd])
            d.procedure[conv] = Procedure.ORDINARY
            self._to_trial(conv, relief=True)
            keep = ~wd
            rows, view, lawful, adopt, adjusted = rows[keep], view[keep], lawful[keep], adopt[keep], adjusted[keep]
        # an adjustment the defendant accepts is the new agreement
        agreed = rows[adjusted]
        for col in (d.rec, d.rec_lo, d.rec_hi):
            col[agreed] = view[adjusted]
        # Art. 226: an agreed sentence above the fast-track limit takes the case out of fast-track procedure
        out = agreed[(d.procedure[agreed] == Procedure.FAST_TRACK) & ~law.fast_track_eligible(d.rec[agreed])]
        d.procedure[out] = Procedure.SUMMARY
        sentence = np.where(adopt, law.sentence_within_recommendation(d.rec_lo[rows], d.rec_hi[rows], view), view)
        d.adopted[rows] = adopt | adjusted
        d.promise_unfulfilled[rows] = sentence > d.rec_hi[rows] * (1 + law.SAME_SENTENCE_RTOL)
        c = self._counted(rows)
        t.leniency_judged += int(c.sum())
        t.adopted += int(((adopt | adjusted) & c).sum())
        t.adopted_as_signed += int((adopt & c).sum())
        t.fast_track += int(((d.procedure[rows] == Procedure.FAST_TRACK) & c).sum())
        d.leniency_judged[rows] = True
        self._judgment(rows, sentence, lawful)
        # a reasoned judgment states the court's view too (learning from informative feedback only), and under
        # coordination the court tells the prosecutor its view on a share of adopted cases
        told = d.explained[rows] | (self.rng.random(len(rows)) < p.judge.feedback_share)
        Prosecutor.learn(self, rows[adopt & told])

    def _judge_contested(self, rows: np.ndarray) -> None:
        d, p = self.docket, self.params
        if not len(rows):
            return
        convicted = self.rng.random(len(rows)) < d.p_conv[rows]
        self._close(rows[~convicted], CaseState.ACQUITTED)
        rows = rows[convicted]
        mitig = law.capped_discount(p.prosecutor.mitigation_discount * d.mitigation[rows], p.law.combined_discount_cap)
        sentence = Judge.view(self, rows, mitig)
        self._judgment(rows, sentence, law.lawful_sentence(Judge.case_months(self, rows), mitig))

    def _judgment(self, rows: np.ndarray, sentence: np.ndarray, lawful: np.ndarray) -> None:
        d, p = self.docket, self.params
        d.sentence[rows] = sentence
        d.first_sentence[rows] = sentence
        d.lawful[rows] = lawful
        d.convicted[rows] = True
        c = self._counted(rows)
        self.tally.convictions_first += int(c.sum())
        self.tally.short_sentences += int(((sentence <= law.SHORT_SENTENCE_MONTHS) & c).sum())
        d.judged_day[rows] = self.day
        # Reasons are written for a share of judgments (reasoning effort), at a cost in judge hours.
        d.explained[rows] = self.rng.random(len(rows)) < p.judge.reasoning_quality
        er = rows[d.explained[rows]]
        _, rh, _ = self.judges.book(d.judge[er], p.judge.reasoning_hours)
        self.add_hours("judge", Stage.TRIAL, er, rh)
        eligible = law.suspension_eligible(sentence)
        suspended = eligible & (self.rng.random(len(rows)) < p.case.suspension_share)
        d.custodial[rows] = ~suspended
        self._release(rows[suspended])
        d.state[rows] = CaseState.APPEAL_WINDOW
        self._schedule(rows, Event.APPEAL_END, self.day + law.APPEAL_WINDOW_DAYS)
        if self._watch:
            self._note(rows, "judgment", self._story_judgment)

    # --- appeal, protest, second instance -----------------------------------------------------------------------
    def _appeal_end(self, rows: np.ndarray) -> None:
        """Art. 230 window over: appeals (Art. 227) and protests (Art. 228) decided; others become final."""
        d, p, t = self.docket, self.params, self.tally
        tol = p.judge.tolerance
        served = d.det_days[rows] + np.where(d.detained[rows], self.day - d.det_since[rows], 0)
        remaining = d.sentence[rows] * law.DAYS_PER_MONTH - served
        eligible = law.technical_appeal_eligible(d.custodial[rows] & d.detained[rows], remaining)
        lawful = d.lawful[rows]
        wrong = law.off_lawful(d.sentence[rows], lawful, tol)
        undetected = d.involuntary[rows] & ~d.found_involuntary[rows] & d.signed[rows]
        innocent = d.innocent[rows]
        defect = innocent | undetected | wrong
        plea = d.leniency_judged[rows]
        anchor = np.where(plea, d.rec_hi[rows], lawful)  # what was promised, or what seems fair
        appeal, technical = Defendant.decide_appeal(
            self, rows, anchor, ~wrong, defect, eligible, remaining / law.DAYS_PER_MONTH
        )
        punitive, supervisory = Prosecutor.protests(self, rows, technical, wrong)
        departed = d.promise_unfulfilled[rows]
        departure = np.select(
            [d.wrong_rec[rows], d.explained[rows]], [Reason.MISCALIBRATED_REC, Reason.EXPLAINED_DEPARTURE],
            Reason.UNEXPLAINED_DEPARTURE,
        )
        defect_reason = np.select(
            [innocent, undetected, wrong, departed],
            [Reason.INNOCENT, INVOLUNTARY_REASON[d.inv_cause[rows]], Reason.WRONG_SENTENCE, departure],
            Reason.PERCEIVED_UNFAIRNESS,
        )
        appeal_reason = np.where(technical, Reason.TECHNICAL, defect_reason)
        protest_reason = np.where(punitive, Reason.PUNITIVE, Reason.WRONG_SENTENCE)
        protested = punitive | supervisory
        d.appealed[rows] = appeal
        d.technical[rows] = technical
        d.grounded[rows] = appeal & ~technical & defect
        d.protested[rows] = protested
        d.punitive[rows] = punitive
        c = plea & self._counted(rows)
        t.appeals += int((appeal & c).sum())
        t.technical_appeals += int((technical & c).sum())
        t.protests += int((protested & c).sum())
        t.appealed_or_protested += int(((appeal | protested) & c).sum())
        self._relief(rows[appeal & plea], Stage.APPEAL, ReliefType.APPEAL, appeal_reason[appeal & plea])
        self._relief(rows[protested & plea], Stage.APPEAL, ReliefType.PROTEST, protest_reason[protested & plea])
        go = appeal | protested
        prow = rows[protested]
        _, hours, _ = self.prosecutors.book(d.prosecutor[prow], p.prosecutor.protest_hours)
        self.add_hours("prosecutor", Stage.APPEAL, prow, hours, relief=True)
        srows = rows[go]
        # The second-instance court: a judge of the district pool stands in for the intermediate court (assumption).
        upper = d.district[srows] * p.judge.per_district + self.rng.integers(0, p.judge.per_district, len(srows))
        wait, hours, _ = self.judges.book(upper, p.judge.second_instance_hours)
        self.add_hours("judge", Stage.APPEAL, srows, hours, relief=True)
        d.state[srows] = CaseState.SECOND_INSTANCE
        days = np.clip(np.round(p.judge.second_instance_days).astype(np.int32) + wait, 1, law.SECOND_INSTANCE_LIMIT)
        self._schedule(srows, Event.SECOND_INSTANCE, self.day + days)
        if self._watch:
            self._note(srows, "appeal", self._story_appeal)
        self._close(rows[~go], CaseState.FINAL)

    def _second_instance(self, rows: np.ndarray) -> None:
        """Second instance: correct real defects; no heavier sentence on a defendant-only appeal (Art. 237)."""
        d, p = self.docket, self.params
        first = d.sentence[rows]
        lawful = d.lawful[rows]
        defect = d.grounded[rows] | (d.protested[rows] & ~d.punitive[rows])
        correct = defect & (self.rng.random(len(rows)) < p.judge.correction_prob)
        proposed = np.where(correct, lawful, first)
        proposed = np.where(d.punitive[rows], first * (1 + p.prosecutor.protest_increase), proposed)
        final = law.second_instance_sentence(first, proposed, d.protested[rows])
        d.sentence[rows] = final
        acquit = correct & d.innocent[rows]
        # a continuation: its reason is the reason of the appeal (or protest) it decides
        lr = rows[d.leniency_judged[rows]]
        self._relief(lr, Stage.APPEAL, ReliefType.SECOND_INSTANCE, d.relief_reason[lr])
        if self._watch:
            self._note(rows, "second instance", lambda r: f"Second instance: final sentence {d.sentence[r]:.1f} months.")
        self._close(rows[acquit], CaseState.ACQUITTED)
        self._close(rows[~acquit], CaseState.FINAL)

    # --- relief, hours, closing and detention -------------------------------------------------------------------
    def _counted(self, rows: np.ndarray) -> np.ndarray:
        """Cases that arrived after the warm-up: the only ones summary figures count."""
        return self.docket.arrival[rows] >= self.count_from

    def _relief(self, rows: np.ndarray, stage: Stage, rtype: ReliefType, reasons: np.ndarray | int) -> None:
        """Record relief events: the first of its kind in a case is an initiation; the case remembers its class
        (hours and detention days spent on relief are attributed to it)."""
        if not len(rows):
            return
        d = self.docket
        reasons = np.broadcast_to(np.asarray(reasons, dtype=np.int8), (len(rows),))
        bit = np.uint8(1 << int(rtype))
        initiation = np.zeros(len(rows), dtype=bool)
        if rtype in INITIATING:
            initiation = (d.relief_seen[rows] & bit) == 0
            d.relief_seen[rows] |= bit
            ir = rows[initiation]
            d.relief_class[ir] = CLASS_CODE[reasons[initiation]]
            d.relief_cls_bits[ir] = pack_class(d.relief_cls_bits[ir], INITIATING.index(rtype), d.relief_class[ir])
            d.first_relief_day[ir] = np.where(d.first_relief_day[ir] < 0, self.day, d.first_relief_day[ir])
            if rtype in (ReliefType.APPEAL, ReliefType.PROTEST):
                first = d.relief_reason[ir] < 0
                d.relief_reason[ir[first]] = reasons[initiation][first]
        self.ledger.add(self.day, stage, d.case_id[rows], rtype, reasons, initiation, self._counted(rows))

    def add_hours(self, actor: str, stage: Stage, rows: np.ndarray, hours: np.ndarray, relief: bool = False) -> None:
        """Book hours spent on cases (``rows``); relief hours are also attributed to the case's relief class."""
        if not len(rows):
            return
        a = ACTORS.index(actor)
        hours = np.broadcast_to(np.asarray(hours, dtype=np.float64), (len(rows),))
        self._hours_today[a] += float(hours.sum())
        d = self.docket
        d.hours_case[rows] += hours
        c = self._counted(rows)
        self.tally.hours[a, stage] += float(hours[c].sum())
        if relief:
            cls = d.relief_class[rows[c]]
            ok = cls >= 0
            np.add.at(self.tally.relief_hours[:, a], cls[ok], hours[c][ok])

    def _release(self, rows: np.ndarray) -> None:
        """End pre-trial detention (release, or the judgment becoming final)."""
        d = self.docket
        rows = rows[d.detained[rows]]
        if not len(rows):
            return
        days = self.day - d.det_since[rows]
        d.det_days[rows] += days
        c = self._counted(rows)
        self.tally.detention_days += int(days[c].sum())
        # detention served after the first relief initiation is a cost of relief
        fr = d.first_relief_day[rows]
        extra = np.where(fr >= 0, self.day - np.maximum(d.det_since[rows], fr), 0)
        rc = c & (fr >= 0)
        np.add.at(self.tally.relief_detention_days, d.relief_class[rows[rc]], extra[rc])
        self._live_counts()[-1] -= len(rows)
        d.detained[rows] = False
        d.det_since[rows] = -1

    def _close(self, rows: np.ndarray, state: CaseState) -> None:
        if not len(rows):
            return
        d, t = self.docket, self.tally
        self._release(rows)
        d.state[rows] = state
        self.closed_by_state[state] += len(rows)
        c = self._counted(rows)
        n = int(c.sum())
        t.closed += n
        t.closed_final += n if state == CaseState.FINAL else 0
        t.acquitted += n if state == CaseState.ACQUITTED else 0
        t.not_prosecuted += n if state == CaseState.NOT_PROSECUTED else 0
        t.days_to_final_sum += int((self.day - d.arrival[rows[c]]).sum())
        if self._watch:
            self._note(rows, "closed", lambda r: f"Case closed: {CaseState(d.state[r]).name.lower().replace('_', ' ')} on day {self.day}.")
        if self._defendants:
            for r in rows.tolist():
                agent = self._defendants.pop(r, None)
                if agent is not None:
                    agent.remove()
        if self.cases is not None:
            self.cases.add(d, rows, state, self.day, self.count_from)
        d.release(rows)

    # --- observation --------------------------------------------------------------------------------------------
    def state_counts(self) -> dict[str, int]:
        """Cases by state, warm-up included: open states from the docket, closed ones counted as they close."""
        d = self.docket
        counts = np.bincount(d.state[d.active], minlength=len(CaseState))
        out = {s.name.lower(): int(counts[s]) for s in law.OPEN_STATES}
        out.update({s.name.lower(): n for s, n in self.closed_by_state.items()})
        return out

    def _record_day(self, arrivals: int) -> None:
        c = self._live_counts().tolist()  # kept by step, _arrive and _release instead of a scan of the docket
        t = self.tally
        today = self.today
        today["arrivals"] = arrivals
        today["in_investigation"] = c[CaseState.INVESTIGATION]
        today["in_review"] = c[CaseState.REVIEW]
        today["in_trial"] = c[CaseState.TRIAL]
        today["in_appeal"] = c[CaseState.APPEAL_WINDOW] + c[CaseState.SECOND_INSTANCE]
        today["closed_total"] = sum(self.closed_by_state.values())
        today["detained_now"] = c[-1]
        today["warmup"] = float(self.day < self.count_from)
        new = self.ledger.today
        today["relief_essential_today"] = int(new[:, 1].sum())
        today["relief_nonessential_today"] = int(new[:, 0].sum())
        for rt in ReliefType:
            today[f"relief_{rt.name.lower()}_today"] = int(new[rt].sum())
        for i, a in enumerate(ACTORS):
            today[f"hours_{a}_today"] = float(self._hours_today[i])
            pool = (self.prosecutors, self.lawyers, self.judges)[i]
            today[f"backlog_days_{a}"] = float(pool.backlog.sum() / pool.capacity.sum())
        self._hours_today[:] = 0
        new[:] = 0
        s = summarise(t, 0)
        for k in ("application_rate", "adoption_rate", "relief_rate_essential", "relief_rate_nonessential"):
            today[k] = s[k]

    def summary(self) -> dict[str, float]:
        """All summary metrics so far (definitions in ``sim.model.metrics.METRICS``)."""
        d = self.docket
        open_det = d.active & d.detained & (d.arrival >= self.count_from)
        t = self.tally
        saved = t.detention_days
        t.detention_days += int((self.day - d.det_since[open_det]).sum())  # spells still running count so far
        try:
            return summarise(t, int((d.active & (d.arrival >= self.count_from)).sum()))
        finally:
            t.detention_days = saved

    # --- case stories ---------------------------------------------------------------------------------------------
    def watch(self, case_id: int) -> None:
        """Follow one case (past, in flight or yet to arrive): its events are written to ``case_log``."""
        self._watch.add(int(case_id))
        self._logs.setdefault(int(case_id), [])

    def case_log(self, case_id: int) -> list[dict[str, Any]]:
        """The followed case's events in plain words, with its relief events."""
        return list(self._logs.get(int(case_id), []))

    def _note(self, rows: np.ndarray, event: str, text: Callable[[int], str]) -> None:
        ids = self.docket.case_id[rows]
        for r in rows[np.isin(ids, list(self._watch))].tolist():
            cid = int(self.docket.case_id[r])
            self._logs[cid].append({"day": self.day, "event": event, "text": text(r), "case": self.docket.record(r)})

    def _story_plea(self, r: int) -> str:
        d = self.docket
        who = "a retained defender" if d.retained[r] else f"the duty lawyer for {d.lawyer_minutes[r]:.0f} minutes"
        rec = f"{d.rec[r]:.1f} months" if d.determinate[r] else f"{d.rec_lo[r]:.1f}-{d.rec_hi[r]:.1f} months"
        text = (
            f"Meets {who}. Believes a trial would bring {d.belief_T[r]:.1f} months (truth: {d.base[r]:.1f}) and "
            f"conviction is {100 * d.belief_p[r]:.0f}% likely (truth: {100 * d.p_conv[r]:.0f}%). Offer: {rec}, "
            f"a {100 * d.discount[r]:.0f}% discount. "
        )
        if d.ever_signed[r]:
            text += "Signs the plea agreement with the lawyer present"
            text += " — but would have refused knowing the truth without pressure (involuntary)." if d.involuntary[r] else " (voluntarily)."
        else:
            text += "Refuses the offer."
        return text

    def _story_judgment(self, r: int) -> str:
        d = self.docket
        text = f"Judgment: {d.sentence[r]:.1f} months" + (" in custody." if d.custodial[r] else ", suspended.")
        if d.leniency_judged[r]:
            text += " The court adopts the recommendation." if d.adopted[r] else " The court does not adopt the recommendation."
            if d.promise_unfulfilled[r]:
                text += " The sentence is above what was signed for: the promise is not fulfilled."
        return text

    def _story_appeal(self, r: int) -> str:
        d = self.docket
        parts = []
        if d.technical[r]:
            parts.append("The defendant files a technical appeal to serve the short remainder in the detention house.")
        elif d.appealed[r]:
            parts.append("The defendant appeals.")
        if d.protested[r]:
            parts.append("The procuratorate protests" + (" (punitive)." if d.punitive[r] else "."))
        return " ".join(parts)


@dataclass
class RunResult:
    """What one run produces: flat summary metrics, the daily series, the relief ledger."""

    summary: dict[str, float]
    daily: pd.DataFrame | None
    relief_events: pd.DataFrame
    cases: pd.DataFrame | None = None


def simulate(
    scenario: Scenario,
    seed: int,
    *,
    daily: bool = True,
    materialise_agents: bool = False,
    progress: bool = False,
    cases: bool = False,
) -> RunResult:
    """Run one scenario to the end of its horizon and return its results (``cases``: the per-case table too)."""
    model = LeniencyModel(scenario, materialise_agents=materialise_agents, record_cases=cases, rng=int(seed))
    total = scenario.run.days + scenario.run.drain_days
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="day", desc="simulating", leave=False, mininterval=0.5, delay=2.0)
    while model.running:
        model.step()
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True) if daily else None
    table = model.cases.frame() if model.cases is not None else None
    return RunResult(model.summary(), frame, model.ledger.to_frame(), table)
