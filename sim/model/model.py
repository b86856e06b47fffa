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
from sim.model.docket import Docket
from sim.model.metrics import ACTORS, Reason, ReliefLedger, ReliefType, Tally, summarise
from sim.model.procedure import CaseState, Procedure, Stage
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
        self._relief_before = self.tally.relief.copy()
        self.today: dict[str, float] = dict.fromkeys(DAILY_KEYS, 0.0)
        self.datacollector = mesa.DataCollector(model_reporters={"day": "day", **{k: partial(_daily, k) for k in DAILY_KEYS}})
        self.running = True

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

    def add_hours(self, actor: str, stage: Stage, hours: float) -> None:
        a = ACTORS.index(actor)
        self.tally.hours[a, stage] += hours
        self._hours_today[a] += hours

    # --- the day ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One day: arrivals, then each stage's cases due today, then the actors work off a day's capacity."""
        p = self.params
        d = self.docket
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
        self.tally.arrived += n
        detained = int(d.detained[rows].sum())
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
        self.add_hours("prosecutor", Stage.REVIEW, hours.sum())
        limit = law.review_limit(likely)
        half = np.round(0.5 * np.where(law.fast_track_eligible(likely), p.prosecutor.review_days_fast, p.prosecutor.review_days_other))
        self._schedule(rows, Event.PLEA_HEARING, self.day + np.clip(wait + half.astype(np.int32), 1, limit - 2))

    def _plea_hearing(self, rows: np.ndarray) -> None:
        """Lawyer advice, the offer and the defendant's decision; signing with a lawyer present (Art. 174)."""
        d, t = self.docket, self.tally
        Defendant.form_beliefs(self, rows)
        lawyer_wait = DutyLawyer.advise(self, rows)
        d.pressure[rows] = Defendant.pressure(self, rows)
        accept, accept_cf = Defendant.decide_plea(self, rows)
        bargain = ~accept & Prosecutor.will_negotiate(self, rows)
        if bargain.any():
            Prosecutor.negotiate(self, rows[bargain])
            accept[bargain], accept_cf[bargain] = Defendant.decide_plea(self, rows[bargain])
        sign = accept & law.may_sign(d.lawyer_present[rows])
        srows = rows[sign]
        d.signed[srows] = True
        d.ever_signed[srows] = True
        d.accept_cf[rows] = accept_cf
        d.involuntary[srows] = ~accept_cf[sign]
        t.signed += len(srows)
        t.determinate += int(d.determinate[srows].sum())
        t.discount_sum += float(d.discount[srows].sum())
        t.involuntary += int(d.involuntary[srows].sum())
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
        reasons = np.where(d.involuntary[rows], Reason.INVOLUNTARY, Reason.FALSE_ALARM)
        self.ledger.add(self.day, stage, d.case_id[rows], ReliefType.VOLUNTARINESS_FINDING, reasons)
        self.tally.involuntary_found += int((d.involuntary[rows] & ~d.found_involuntary[rows]).sum())
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
        self.tally.withdrawals += len(rows)
        self.ledger.add(self.day, stage, d.case_id[rows], ReliefType.WITHDRAWAL, reasons)
        _, hours, _ = self.prosecutors.book(d.prosecutor[rows], self.params.prosecutor.withdrawal_hours)
        self.add_hours("prosecutor", stage, hours.sum())
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
        reasons = np.where(learn[go], np.where(d.innocent[standing[go]], Reason.INNOCENT, Reason.INVOLUNTARY), Reason.MISINFORMATION)
        self._withdraw(standing[go], stage, reasons)

    def _charge(self, rows: np.ndarray) -> None:
        """End of review: withdrawal, non-prosecution or prosecution with a procedure (Arts. 172-177, 222)."""
        d, t = self.docket, self.tally
        self._withdrawals(rows, Stage.REVIEW, 1.0)
        t.review_concluded += len(rows)
        t.pleas_at_charge += int(d.signed[rows].sum())
        t.innocent_review_concluded += int(d.innocent[rows].sum())
        t.innocent_signed += int((d.innocent[rows] & d.ever_signed[rows]).sum())
        Prosecutor.record_outcome(self, d.prosecutor[rows], d.signed[rows].astype(float))
        t.review_days_sum += int((self.day - d.stage_start[rows]).sum())
        drop = Prosecutor.declines(self, rows)
        self._close(rows[drop], CaseState.NOT_PROSECUTED)
        rows = rows[~drop]
        self._release(rows[Prosecutor.releases_on_plea(self, rows)])
        d.procedure[rows] = Judge.procedure_for(self, rows)
        fast = rows[d.procedure[rows] == Procedure.FAST_TRACK]
        t.review_fast_n += len(fast)
        t.review_fast_days_sum += int((self.day - d.stage_start[fast]).sum())
        self._to_trial(rows)

    # --- trial --------------------------------------------------------------------------------------------------
    def _to_trial(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        d, jp = self.docket, self.params.judge
        d.state[rows] = CaseState.TRIAL
        d.stage_start[rows] = self.day
        proc = d.procedure[rows]
        std_h = np.select([proc == Procedure.FAST_TRACK, proc == Procedure.SUMMARY], [jp.fast_track_hours, jp.summary_hours], jp.ordinary_hours)
        std_d = np.select([proc == Procedure.FAST_TRACK, proc == Procedure.SUMMARY], [jp.trial_days_fast, jp.trial_days_summary], jp.trial_days_ordinary)
        wait, hours, tf = self.judges.book(d.judge[rows], std_h)
        self.add_hours("judge", Stage.TRIAL, hours.sum())
        d.hearing_time[rows] = tf
        limit = law.trial_limit(proc, d.rec[rows])
        self._schedule(rows, Event.TRIAL, self.day + np.clip(np.round(std_d).astype(np.int32) + wait, 1, limit))
        DutyLawyer.continue_to_trial(self, rows[d.signed[rows]])

    def _trial(self, rows: np.ndarray) -> None:
        """First instance: voluntariness review (Art. 190), withdrawal, Art. 201, judgment."""
        d = self.docket
        tf = d.hearing_time[rows]
        plea = d.signed[rows]
        found = plea & Judge.finds_involuntary(self, rows, tf)
        self._set_aside(rows[found], Stage.TRIAL)
        self._withdrawals(rows[d.signed[rows]], Stage.TRIAL, 0.5)
        converted = plea & ~d.signed[rows]
        # Art. 226: a plea case that loses its plea converts to ordinary procedure and is tried anew.
        conv = rows[converted]
        d.procedure[conv] = Procedure.ORDINARY
        self._to_trial(conv)
        rows = rows[~converted]
        plea_rows = rows[d.signed[rows]]
        contested = rows[~d.signed[rows]]
        self._judge_plea(plea_rows)
        self._judge_contested(contested)

    def _judge_plea(self, rows: np.ndarray) -> None:
        d, p, t = self.docket, self.params, self.tally
        if not len(rows):
            return
        no_crime = Judge.finds_no_crime(self, rows)
        acq = rows[no_crime]
        self.ledger.add(self.day, Stage.TRIAL, d.case_id[acq], ReliefType.NOT_ADOPTED, Reason.INNOCENT)
        t.leniency_judged += len(acq)
        d.leniency_judged[acq] = True
        self._close(acq, CaseState.ACQUITTED)
        rows = rows[~no_crime]
        tol = p.judge.tolerance
        view = Judge.view(self, rows, d.legal_discount[rows])
        lawful = d.base[rows] * (1.0 - d.legal_discount[rows])
        wrong_rec = np.abs(d.rec[rows] / lawful - 1.0) > tol
        d.wrong_rec[rows] = wrong_rec
        adopt = law.art201_adopts(d.rec[rows], d.rec_lo[rows], d.rec_hi[rows], view, tol)
        reason = np.where(wrong_rec, Reason.WRONG_SENTENCE, Reason.JUDGE_NORM)
        ask = rows[~adopt]
        self.ledger.add(self.day, Stage.TRIAL, d.case_id[ask], ReliefType.ADJUSTMENT_REQUEST, reason[~adopt])
        adjusted = np.zeros(len(rows), dtype=bool)
        adjusted[~adopt] = Prosecutor.adjusts(self, ask)
        _, hours, _ = self.prosecutors.book(d.prosecutor[ask], p.prosecutor.negotiation_hours)
        self.add_hours("prosecutor", Stage.TRIAL, hours.sum())
        independent = ~adopt & ~adjusted
        self.ledger.add(self.day, Stage.TRIAL, d.case_id[rows[independent]], ReliefType.NOT_ADOPTED, reason[independent])
        sentence = np.where(adopt, law.sentence_within_recommendation(d.rec_lo[rows], d.rec_hi[rows], view), view)
        d.adopted[rows] = adopt | adjusted
        d.promise_unfulfilled[rows] = sentence > d.rec_hi[rows] * 1.0001
        t.leniency_judged += len(rows)
        t.adopted += int((adopt | adjusted).sum())
        t.adopted_as_signed += int(adopt.sum())
        t.fast_track += int((d.procedure[rows] == Procedure.FAST_TRACK).sum())
        d.leniency_judged[rows] = True
        Prosecutor.learn(self, rows)
        self._judgment(rows, sentence, lawful)

    def _judge_contested(self, rows: np.ndarray) -> None:
        d, p = self.docket, self.params
        if not len(rows):
            return
        convicted = self.rng.random(len(rows)) < d.p_conv[rows]
        self._close(rows[~convicted], CaseState.ACQUITTED)
        rows = rows[convicted]
        mitig = np.minimum(p.prosecutor.mitigation_discount * d.mitigation[rows], p.law.combined_discount_cap)
        sentence = Judge.view(self, rows, mitig)
        self._judgment(rows, sentence, d.base[rows] * (1.0 - mitig))

    def _judgment(self, rows: np.ndarray, sentence: np.ndarray, lawful: np.ndarray) -> None:
        d, p = self.docket, self.params
        d.sentence[rows] = sentence
        d.first_sentence[rows] = sentence
        d.lawful[rows] = lawful
        d.convicted[rows] = True
        self.tally.convictions_first += len(rows)
        self.tally.short_sentences += int((sentence <= law.FAST_TRACK_MAX_MONTHS).sum())
        d.judged_day[rows] = self.day
        suspended = (sentence <= law.FAST_TRACK_MAX_MONTHS) & (self.rng.random(len(rows)) < p.case.suspension_share)
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
        too_heavy = d.sentence[rows] > lawful * (1 + tol)
        wrong = np.abs(d.sentence[rows] / lawful - 1.0) > tol
        undetected = d.involuntary[rows] & ~d.found_involuntary[rows] & d.signed[rows]
        innocent = d.innocent[rows]
        grievance = innocent | undetected | d.promise_unfulfilled[rows] | too_heavy
        explainable = d.promise_unfulfilled[rows] & ~too_heavy & ~innocent & ~undetected
        appeal, technical = Defendant.decide_appeal(self, rows, grievance, eligible, explainable)
        punitive, supervisory = Prosecutor.protests(self, rows, technical, wrong)
        defect_reason = np.select(
            [innocent, undetected, d.promise_unfulfilled[rows], too_heavy],
            [Reason.INNOCENT, Reason.INVOLUNTARY, Reason.UNFULFILLED_PROMISE, Reason.WRONG_SENTENCE],
            Reason.PERCEIVED_UNFAIRNESS,
        )
        appeal_reason = np.where(technical, Reason.TECHNICAL, defect_reason)
        protest_reason = np.where(punitive, Reason.PUNITIVE, Reason.WRONG_SENTENCE)
        any_appeal = appeal | technical
        protested = punitive | supervisory
        d.appealed[rows] = any_appeal
        d.technical[rows] = technical
        d.grounded[rows] = appeal & grievance
        d.protested[rows] = protested
        d.punitive[rows] = punitive
        len_ = d.leniency_judged[rows]
        t.appeals += int((any_appeal & len_).sum())
        t.technical_appeals += int((technical & len_).sum())
        t.protests += int((protested & len_).sum())
        t.appealed_or_protested += int(((any_appeal | protested) & len_).sum())
        lr = len_
        self.ledger.add(self.day, Stage.APPEAL, d.case_id[rows[any_appeal & lr]], ReliefType.APPEAL, appeal_reason[any_appeal & lr])
        self.ledger.add(self.day, Stage.APPEAL, d.case_id[rows[protested & lr]], ReliefType.PROTEST, protest_reason[protested & lr])
        go = any_appeal | protested
        prow = rows[protested]
        _, hours, _ = self.prosecutors.book(d.prosecutor[prow], p.prosecutor.protest_hours)
        self.add_hours("prosecutor", Stage.APPEAL, hours.sum())
        srows = rows[go]
        # The second-instance court: a judge of the district pool stands in for the intermediate court (assumption).
        upper = d.district[srows] * p.judge.per_district + self.rng.integers(0, p.judge.per_district, len(srows))
        wait, hours, _ = self.judges.book(upper, p.judge.second_instance_hours)
        self.add_hours("judge", Stage.APPEAL, hours.sum())
        d.state[srows] = CaseState.SECOND_INSTANCE
        days = np.clip(np.round(p.judge.second_instance_days).astype(np.int32) + wait, 1, law.SECOND_INSTANCE_LIMIT)
        self._schedule(srows, Event.SECOND_INSTANCE, self.day + days)
        if self._watch:
            self._note(srows, "appeal", self._story_appeal)
        self._close(rows[~go], CaseState.FINAL)

    def _second_instance(self, rows: np.ndarray) -> None:
        """Second instance: correct real defects; no heavier sentence on a defendant-only appeal (Art. 237)."""
        d, p = self.docket, self.params
        tol = p.judge.tolerance
        first = d.sentence[rows]
        lawful = d.lawful[rows]
        defect = d.grounded[rows] | (d.protested[rows] & ~d.punitive[rows])
        correct = defect & (self.rng.random(len(rows)) < p.judge.correction_prob)
        proposed = np.where(correct, lawful, first)
        proposed = np.where(d.punitive[rows], first * (1 + p.prosecutor.protest_increase), proposed)
        final = law.second_instance_sentence(first, proposed, d.protested[rows])
        d.sentence[rows] = final
        acquit = correct & d.innocent[rows]
        wrong = np.abs(first / lawful - 1.0) > tol
        reason = np.select(
            [d.innocent[rows], d.involuntary[rows] & ~d.found_involuntary[rows], d.promise_unfulfilled[rows], wrong, d.punitive[rows], d.technical[rows]],
            [Reason.INNOCENT, Reason.INVOLUNTARY, Reason.UNFULFILLED_PROMISE, Reason.WRONG_SENTENCE, Reason.PUNITIVE, Reason.TECHNICAL],
            Reason.PERCEIVED_UNFAIRNESS,
        )
        reason = np.where(defect, reason, np.where(d.punitive[rows], Reason.PUNITIVE, np.where(d.technical[rows], Reason.TECHNICAL, Reason.PERCEIVED_UNFAIRNESS)))
        lr = d.leniency_judged[rows]
        self.ledger.add(self.day, Stage.APPEAL, d.case_id[rows[lr]], ReliefType.SECOND_INSTANCE, reason[lr])
        if self._watch:
            self._note(rows, "second instance", lambda r: f"Second instance: final sentence {d.sentence[r]:.1f} months.")
        self._close(rows[acquit], CaseState.ACQUITTED)
        self._close(rows[~acquit], CaseState.FINAL)

    # --- closing and detention ----------------------------------------------------------------------------------
    def _release(self, rows: np.ndarray) -> None:
        """End pre-trial detention (release, or the judgment becoming final)."""
        d = self.docket
        rows = rows[d.detained[rows]]
        if not len(rows):
            return
        days = self.day - d.det_since[rows]
        d.det_days[rows] += days
        self.tally.detention_days += int(days.sum())
        self._live_counts()[-1] -= len(rows)
        d.detained[rows] = False
        d.det_since[rows] = -1

    def _close(self, rows: np.ndarray, state: CaseState) -> None:
        if not len(rows):
            return
        d, t = self.docket, self.tally
        self._release(rows)
        d.state[rows] = state
        t.closed += len(rows)
        t.closed_final += len(rows) if state == CaseState.FINAL else 0
        t.acquitted += len(rows) if state == CaseState.ACQUITTED else 0
        t.not_prosecuted += len(rows) if state == CaseState.NOT_PROSECUTED else 0
        t.days_to_final_sum += int((self.day - d.arrival[rows]).sum())
        if self._watch:
            self._note(rows, "closed", lambda r: f"Case closed: {CaseState(d.state[r]).name.lower().replace('_', ' ')} on day {self.day}.")
        if self._defendants:
            for r in rows.tolist():
                agent = self._defendants.pop(r, None)
                if agent is not None:
                    agent.remove()
        d.release(rows)

    # --- observation --------------------------------------------------------------------------------------------
    def state_counts(self) -> dict[str, int]:
        """Cases by state: open states from the docket, closed states from the tally (every case in exactly one)."""
        d, t = self.docket, self.tally
        counts = np.bincount(d.state[d.active], minlength=len(CaseState))
        out = {s.name.lower(): int(counts[s]) for s in law.OPEN_STATES}
        out.update(final=t.closed_final, acquitted=t.acquitted, not_prosecuted=t.not_prosecuted)
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
        today["closed_total"] = t.closed
        today["detained_now"] = c[-1]
        new = t.relief - self._relief_before
        self._relief_before = t.relief.copy()
        today["relief_essential_today"] = int(new[:, 1].sum())
        today["relief_nonessential_today"] = int(new[:, 0].sum())
        for rt in ReliefType:
            today[f"relief_{rt.name.lower()}_today"] = int(new[rt].sum())
        for i, a in enumerate(ACTORS):
            today[f"hours_{a}_today"] = float(self._hours_today[i])
            pool = (self.prosecutors, self.lawyers, self.judges)[i]
            today[f"backlog_days_{a}"] = float(pool.backlog.sum() / pool.capacity.sum())
        self._hours_today[:] = 0
        s = summarise(t, 0)
        for k in ("application_rate", "adoption_rate", "relief_rate_essential", "relief_rate_nonessential"):
            today[k] = s[k]

    def summary(self) -> dict[str, float]:
        """All summary metrics so far (definitions in ``sim.model.metrics.METRICS``)."""
        d = self.docket
        open_det = d.active & d.detained
        t = self.tally
        saved = t.detention_days
        t.detention_days += int((self.day - d.det_since[open_det]).sum())  # spells still running count so far
        try:
            return summarise(t, d.in_flight)
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


def simulate(
    scenario: Scenario, seed: int, *, daily: bool = True, materialise_agents: bool = False, progress: bool = False
) -> RunResult:
    """Run one scenario to the end of its horizon and return its results."""
    model = LeniencyModel(scenario, materialise_agents=materialise_agents, rng=int(seed))
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
    return RunResult(model.summary(), frame, model.ledger.to_frame())
