"""LeniencyModel: one step is one day. Cases arrive, the stage handlers (``sim.model.stages``) take the
cases falling due, the actors work off a day's capacity, and observers (bookkeeping, case stories,
defendant agents, the per-case table) follow the events the stages emit."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.model import procedure as law
from sim.model.actors import ActorPool, Bench, DutyLawyer, Judge, Prosecutor, ProsecutorOffice
from sim.model.bookkeeping import Bookkeeping
from sim.model.cases import CaseTable
from sim.model.collect import DailyCollector, daily_reporters
from sim.model.daily import DAILY_KEYS, DailySeries
from sim.model.docket import Docket
from sim.model.events import EventBus, Hours
from sim.model.kernel import jit
from sim.model.ledger import ACTORS, ActorName, Tally
from sim.model.metrics import summarise
from sim.model.observers import CaseRecorder, DefendantAgents
from sim.model.procedure import CaseState, Stage
from sim.model.run import RunResult, simulate, simulate_worlds
from sim.model.scenario import Scenario, ScenarioError, load_scenario
from sim.model.stages import HANDLERS, Due, arrive
from sim.model.story import CaseStories
from sim.model.streams import ActorDraws, Kind, Streams
from sim.model.timeline import Timeline, YearlyBooks
from sim.model.varying import WorldValues


@jit
def add_to(column: Any, rows: Any, values: Any) -> None:
    """``column[rows] += values`` in one visit per row (rows distinct: a case is booked once per call)."""
    for i in range(rows.shape[0]):
        r = rows[i]
        column[r] = column[r] + values[i]


@jit
def group_by(key: Any, rows: Any, groups: int) -> tuple[Any, Any]:
    """``rows`` ordered by ``key[row]`` (a stable counting sort: each group keeps the rows' order), and the
    end of each key's group (group g is ``[ends[g - 1], ends[g])``); keys run from 0 to at least
    ``groups - 1``."""
    n = rows.shape[0]
    keys = np.empty(n, dtype=np.int64)
    for i in range(n):
        keys[i] = key[rows[i]]
        groups = max(groups, keys[i] + 1)
    ends = np.zeros(groups, dtype=np.int64)
    for i in range(n):
        ends[keys[i]] += 1
    for g in range(1, groups):
        ends[g] += ends[g - 1]
    at = np.empty(groups, dtype=np.int64)  # the next free place of each group
    at[0] = 0
    for g in range(1, groups):  # a loop: a slice assignment compiles numpy's broadcasting (~2 s)
        at[g] = ends[g - 1]
    out = np.empty(n, dtype=rows.dtype)
    for i in range(n):
        g = keys[i]
        out[at[g]] = rows[i]
        at[g] += 1
    return out, ends


class LeniencyModel(mesa.Model):
    """Plea bargaining under the leniency system, with its procedural relief.

    Args:
        params: a resolved Scenario (default: the embedded baseline).
        scale: a scale preset applied on top ("classroom", "district", "national").
        reforms: reform overlays applied on top (names from ``sim.model.reforms.reform_names()``).
        overrides: dotted-key parameter overrides applied last.
        materialise_agents: create a Mesa ``Defendant`` per case in flight (off for fast headless runs).
        record_cases: keep the per-case table (``cases``).
        agent_sample: with ``materialise_agents``, create an agent for every n-th case only (large scales).
        rng: integer seed.
        worlds: independent copies of the scenario run side by side (a batch; ``sim.model.simulate_worlds``).
        world_overrides: with ``worlds``, one dict of dotted overrides per world, of the keys that may differ
            between worlds (``sim.model.varying.PER_WORLD``).
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
        agent_sample: int = 1,
        rng: int | None = None,
        worlds: int = 1,
        world_overrides: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(rng=rng)
        # Common random numbers: every random decision draws from its own stream, keyed by the seed and what
        # it is about (sim.model.streams), so two runs with the same seed differ only where a change acts.
        # Mesa's own generators draw nothing; an unseeded run keys its streams from fresh OS entropy.
        seed = int(rng) if rng is not None else secrets.randbits(63)
        self.streams = Streams(seed)
        base = params if params is not None else load_scenario()
        resolved = load_scenario(base, reforms=reforms, scale=scale) if (scale or reforms) else base
        world: Scenario = resolved.with_overrides(overrides) if overrides else resolved
        self.worlds, self.districts_per_world = int(worlds), world.run.districts
        self.world_params = world  # one world's scenario; ``params`` holds all worlds' districts and arrivals
        self.params: Scenario = world if worlds == 1 else batch_scenario(world, self.worlds)
        self.varying: WorldValues | None = None
        self.per_world_cache: dict[str, tuple[Scenario, np.ndarray]] = {}
        # what an actor derives from the parameters, kept with the parameters it came from (as per_world)
        self.derived: dict[str, tuple[Scenario, Any]] = {}
        if world_overrides:
            if len(world_overrides) != self.worlds:
                raise ScenarioError(
                    f"world_overrides: {len(world_overrides)} dicts for {self.worlds} worlds; "
                    "give one per world"
                )
            self.varying = WorldValues(world, world_overrides)
        self.materialise_agents = materialise_agents
        self.day = 0
        self.next_case_id = 0
        self.count_from = self.params.run.warmup_days  # summary figures count cases arriving from this day on
        self.docket = Docket(capacity=max(1024, int(self.params.run.cases_per_day * 200)))
        self._build_actors()
        self.events = EventBus()
        self.books = Bookkeeping(self)
        self.daily = DailySeries(self)  # every world's daily series; ``today``: the first world's day
        self.ledger, self.today = self.books.ledger, self.daily.today
        self.stories = CaseStories(self)
        self.defendant_agents = DefendantAgents(self, agent_sample) if materialise_agents else None
        self.case_recorder = CaseRecorder(self) if record_cases else None
        # the case stories observe from the first case watched on (CaseStories.watch)
        for observer in (self.books, self.daily, self.defendant_agents, self.case_recorder):
            if observer is not None:
                self.events.attach(observer)
        # a calendar (run.start_date): the timeline's overlays at their dates, and figures per year of arrival
        calendar = bool(self.params.run.start_date)
        self.timeline = Timeline(self.params) if calendar and self.params.timeline else None
        self.yearly_books = YearlyBooks(self) if calendar else None
        if self.yearly_books is not None:
            self.yearly_books.attach()
        self.datacollector = DailyCollector(daily_reporters(DAILY_KEYS))  # Mesa's face: the first world
        self.running = True

    def _build_actors(self) -> None:
        p = self.params
        w = p.workload
        self.prosecutors = ProsecutorOffice(p)
        if self.varying is not None and "prosecutor.norm_belief_sd" in self.varying.values:
            own = np.arange(self.prosecutors.n) // p.prosecutor.per_district // self.districts_per_world
            self.prosecutors.belief_sd[:] = self.varying.values["prosecutor.norm_belief_sd"][own]
        n_lawyers = p.run.districts * p.lawyer.per_district
        self.lawyers = ActorPool(n_lawyers, p.lawyer.hours_per_day, w.corner_cutting, w.horizon_days)
        setup = self.actor_draws(Kind.SETUP, 0)
        self.judges = Bench(p, setup)
        self.prosecutors.meet_judges(self.judges.norm, p.judge.per_district, setup)
        pools = ((Prosecutor, self.prosecutors), (DutyLawyer, self.lawyers), (Judge, self.judges))
        per = {
            Prosecutor: p.prosecutor.per_district,
            DutyLawyer: p.lawyer.per_district,
            Judge: p.judge.per_district,
        }
        for cls, pool in pools:
            for i in range(pool.n):
                cls(self, i, i // per[cls])

    def actor_draws(self, kind: Kind, day: int) -> ActorDraws:
        """Every actor's draws for a day (``STAFF``) or the start (``SETUP``), from each world's stream."""
        p, dw = self.params, self.districts_per_world
        return self.streams.actors(
            kind,
            day,
            self.worlds,
            dw * p.judge.per_district,
            dw * p.prosecutor.per_district,
            p.judge.per_district,
        )

    def world_of(self, rows: np.ndarray) -> np.ndarray:
        """The world of each docket row (its district's block of ``districts_per_world``)."""
        if self.worlds == 1:  # the same zeros, without reading the docket
            return np.zeros(len(rows), dtype=np.int32)
        return self.docket.district[rows] // self.districts_per_world

    def per_world(self, key: str) -> np.ndarray:
        """A parameter's value in each world (float64, one per world), as a compiled kernel reads it at a
        case's world: the world's own value where the key differs between worlds, the scenario's
        elsewhere. Cached until the parameters change (a timeline entry)."""
        hit = self.per_world_cache.get(key)
        if hit is not None and hit[0] is self.params:
            return hit[1]
        if self.varying is not None and key in self.varying.values:
            values = self.varying.values[key]
        else:
            section, name = key.split(".")
            values = np.full(self.worlds, float(getattr(getattr(self.params, section), name)))
        self.per_world_cache[key] = (self.params, values)
        return values

    @property
    def tally(self) -> Tally:
        """The summary's counters so far (all worlds together)."""
        return self.books.tally

    @property
    def cases(self) -> CaseTable | None:
        """The per-case table being recorded (``record_cases``), or None."""
        return self.case_recorder.table if self.case_recorder is not None else None

    # --- the day
    # ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One day: staff changes, arrivals, each stage's cases due today, then the actors work off a day."""
        if self.timeline is not None:
            self.timeline.apply_due(self)
        p, d = self.params, self.docket
        self.staff_day()
        if self.day < p.run.days:
            arrive(self)
        due = d.due(self.day)
        if len(due):
            # Only today's due rows change state (closed rows keep their closing state until the end-of-day
            # wipe), so the open-state counts are kept up to date from them instead of a scan of the docket.
            self.daily.leave(due)
            # Group today's rows by what is due (each group keeps ascending row order).
            by_event, group_ends = group_by(d.next_event, due, len(Due) + 1)
            ends = group_ends.tolist()
            for ev, handler in HANDLERS:
                rows = by_event[ends[ev - 1] : ends[ev]]
                if len(rows):
                    handler(self, rows)
            self.daily.enter(due)
        d.wipe()
        for pool in (self.prosecutors, self.lawyers, self.judges):
            pool.end_day()
        self.daily.record_day()
        self.datacollector.collect(self)
        self.day += 1
        if self.day >= p.run.days + p.run.drain_days or (self.day >= p.run.days and d.in_flight == 0):
            self.running = False
            # Memory follows the cases in flight: a mostly empty docket gives its free rows back before
            # results are built.
            if d.wasteful():
                moved = d.compact()
                if self.defendant_agents is not None:
                    self.defendant_agents.moved(moved)

    def staff_day(self) -> None:
        """Turnover and drift keep the world stationary: judges' norms drift (mean-reverting) and judges and
        prosecutors leave and are replaced (newcomers hold uninformed beliefs)."""
        p = self.params
        draws = self.actor_draws(Kind.STAFF, self.day)
        new_judges = self.judges.drift(p, draws)
        self.prosecutors.forget_judges(new_judges, p.judge.per_district, draws)
        self.prosecutors.turnover(p.prosecutor.turnover_per_year, draws)

    def add_hours(
        self, actor: ActorName, stage: Stage, rows: np.ndarray, hours: np.ndarray, relief: bool = False
    ) -> None:
        """Book hours spent on cases (``rows``); relief hours are also attributed to the case's relief
        class."""
        n = len(rows)
        if not n:
            return
        # The pools' bookings already give float64 arrays over the rows: only anything else is widened (a
        # broadcast on every call was a district run's largest per-call cost).
        if not (type(hours) is np.ndarray and hours.dtype == np.float64 and hours.shape == (n,)):
            hours = np.broadcast_to(np.asarray(hours, dtype=np.float64), (n,))
        add_to(self.docket.hours_case, rows, hours)
        self.events.emit(Hours(rows, actor, stage, hours, relief))

    # --- observation
    # --------------------------------------------------------------------------------------------
    def state_counts(self) -> dict[str, int]:
        """Cases by state, warm-up included: open states from the docket, closed ones counted as they
        close."""
        d = self.docket
        counts = np.bincount(d.state[d.active], minlength=len(CaseState))
        out = {s.name.lower(): int(counts[s]) for s in law.OPEN_STATES}
        out.update({s.name.lower(): n for s, n in self.daily.closed_by_state().items()})
        return out

    def summary(self) -> dict[str, float]:
        """All summary metrics so far (definitions in ``sim.model.metrics.METRICS``)."""
        return self.window_summary(self.tally, self.count_from)

    def open_cases(self, first_day: int, end_day: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per world: the open cases that arrived on days [first_day, end_day), and the days their detention
        spells still running have lasted so far (a summary counts both)."""
        d = self.docket
        mine = d.active & (d.arrival >= first_day)
        if end_day is not None:
            mine &= d.arrival < end_day
        rows = np.flatnonzero(mine)
        world = self.world_of(rows)
        held = d.detained[rows]
        running = np.zeros(self.worlds, dtype=np.int64)
        np.add.at(running, world[held], self.day - d.det_since[rows[held]])
        return np.bincount(world, minlength=self.worlds), running

    def window_summary(self, t: Tally, first_day: int, end_day: int | None = None) -> dict[str, float]:
        """The summary metrics of a tally kept over cases arriving on days [first_day, end_day) (all worlds
        together), counting the detention spells of its open cases so far."""
        n_open, running = self.open_cases(first_day, end_day)
        return summarise(replace(t, detention_days=t.detention_days + int(running.sum())), int(n_open.sum()))

    def world_summaries(self) -> list[dict[str, float]]:
        """The summary metrics of each world (as ``summary`` for an unbatched model)."""
        n_open, running = self.open_cases(self.count_from)
        out = []
        for w in range(self.worlds):
            t = self.books.counts.tally(w)
            out.append(
                summarise(replace(t, detention_days=t.detention_days + int(running[w])), int(n_open[w]))
            )
        return out

    def yearly(self) -> pd.DataFrame | None:
        """The summary metrics per calendar year of arrival (``sim.model.timeline``), or None without a
        calendar."""
        return self.yearly_books.frame() if self.yearly_books is not None else None

    def watch(self, case_id: int) -> None:
        """Follow one case (past, in flight or yet to arrive): its events are written to ``case_log``."""
        self.stories.watch(case_id)

    def case_log(self, case_id: int) -> list[dict[str, Any]]:
        """The followed case's events in plain words."""
        return list(self.stories.logs.get(int(case_id), []))


def batch_scenario(world: Scenario, worlds: int) -> Scenario:
    """The scenario of a batch of ``worlds`` copies of ``world``: its districts (each with its actors) and its
    arrivals, times ``worlds``. Worlds share only the calendar: a timeline or yearly figures are refused."""
    if world.run.start_date:
        raise ScenarioError(
            f"run.start_date: a run with a calendar cannot be batched (worlds={worlds}); run it with worlds=1"
        )
    return world.with_overrides(
        {
            "run.districts": world.run.districts * worlds,
            "run.cases_per_day": world.run.cases_per_day * worlds,
        }
    )


__all__ = ["ACTORS", "DAILY_KEYS", "LeniencyModel", "RunResult", "simulate", "simulate_worlds"]
