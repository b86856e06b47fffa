"""The browser page's model: LeniencyModel with explicit keyword parameters, a lane space and a baseline twin.

Mesa's SolaraViz re-creates the model on Reset as ``type(model)(**params)``, so every control on the page
must be a keyword argument of the model class. ``AppModel`` is that thin face: its keywords map onto
``LeniencyModel(params=load_scenario(scale=..., reforms=[...]), overrides={...}, rng=seed)``. Slider
defaults and ranges are the parameters' declarations (``sim.model.registry``), never typed here; the reform
boxes are the reform catalogue (``sim.model.reforms``), one keyword each.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import solara
from mesa.space import ContinuousSpace

from sim.model import LeniencyModel
from sim.model.actors import Defendant
from sim.model.events import Closed
from sim.model.procedure import CaseState
from sim.model.reforms import find_reform, reform_names
from sim.model.registry import PARAMS, param
from sim.model.scenario import load_scenario


@dataclass(frozen=True)
class Control:
    """One slider on the page: the model keyword, the scenario key it overrides (its default, range and
    meaning are the parameter's declaration, ``sim.model.registry``), a label and a step."""

    kwarg: str
    key: str
    label: str
    step: float

    def __post_init__(self) -> None:
        declared = param(self.key, f"slider {self.kwarg}")
        if declared.lo is None or declared.hi is None:
            raise ValueError(f"slider {self.kwarg}: {self.key} has no declared range to slide over")

    @property
    def default(self) -> float:
        return PARAMS[self.key].default

    @property
    def lo(self) -> float:
        return cast(float, PARAMS[self.key].lo)  # declared (checked when the slider is made)

    @property
    def hi(self) -> float:
        return cast(float, PARAMS[self.key].hi)

    @property
    def description(self) -> str:
        return PARAMS[self.key].meaning


# The levers issue 5 asks for: the power-balance dimensions, lawyer time and file access, review depth,
# coordination, reasoning and protest policy. Each is one schema parameter.
CONTROLS: tuple[Control, ...] = (
    Control("information_asymmetry", "power.information_asymmetry", "Power: information asymmetry", 0.01),
    Control("detention_leverage", "power.detention_leverage", "Power: detention as leverage", 0.01),
    Control("charge_leverage", "power.charge_leverage", "Power: charge leverage", 0.01),
    Control("target_pressure", "power.target_pressure", "Power: target pressure", 0.01),
    Control("defence_capacity", "power.defence_capacity", "Power: defence capacity", 0.01),
    Control("judicial_review_depth", "power.judicial_review_depth", "Power: court review depth", 0.01),
    Control("lawyer_minutes", "lawyer.consultation_minutes", "Duty lawyer: minutes per case", 1.0),
    Control("file_access", "lawyer.file_access", "Duty lawyer: file access", 0.01),
    Control("review_depth", "judge.review_depth", "Judge: review depth at trial", 0.01),
    Control("coordination", "prosecutor.consult_prob", "Coordination: consult court", 0.01),
    Control("reasoning", "judge.reasoning_quality", "Judge: reasoning quality", 0.01),
    Control("protest_policy", "prosecutor.punitive_protest_prob", "Protest technical appeals", 0.01),
    # triage policies (like reforms, the baseline twin runs without them)
    Control("triage_review", "triage.review_share", "Triage: substantive review of at-risk pleas", 0.05),
    Control("triage_lawyer_time", "triage.lawyer_risk_weight", "Triage: lawyer time to at-risk cases", 0.05),
    Control(
        "triage_written_lane", "triage.written_lane_share", "Triage: written lane for bare appeals", 0.05
    ),
)
TRIAGE_KWARGS = ("triage_review", "triage_lawyer_time", "triage_written_lane")
CONTROL_BY_KWARG: dict[str, Control] = {c.kwarg: c for c in CONTROLS}
APP_SCALES: tuple[str, ...] = ("classroom", "district", "national")
# At national scale (~4,700 cases a day, ~150,000 in flight) the page draws one case in 100: a step with the
# baseline
# twin and both figures then takes ~0.06 s (~0.3 s with the page render, python -m sim.app.bench).
AGENT_SAMPLE: dict[str, int] = {"classroom": 1, "district": 1, "national": 100}
SCALE_NOTE = "Scale (national: 1 case in 100 drawn in the case flow)"
# cases 0..399 are followed from arrival, so any of them can be read as a story from its start
WATCH_FIRST = 400

# Lanes of the case-flow space, left to right; appeal holds the appeal window and second instance.
LANES: tuple[str, ...] = ("investigation", "review", "trial", "appeal", "closed")
LANE_OF_STATE = np.array([0, 1, 2, 3, 3, 4, 4, 4])  # indexed by CaseState
RECENT_CLOSED = 60  # closed cases kept for the last lane (they are no longer Mesa agents)


def _plain(value: Any) -> Any:
    """A control's value: the page binds reform boxes and sliders to reactive variables (so a reform can move
    its sliders), and Mesa hands those variables themselves to the model until one is changed."""
    return value.value if isinstance(value, solara.Reactive) else value


def reform_label(name: str) -> str:
    """A reform's box on the page."""
    return "Reform: " + find_reform(name).title


def reform_levels(ticked: tuple[str, ...] | list[str]) -> dict[str, float]:
    """Where each slider stands with these reforms: the value a ticked reform sets, else the slider's default
    (which means 'as the scenario says'). Triage sliders are policies of their own: no reform moves them."""
    plain, reformed = load_scenario().flat(), load_scenario(reforms=list(ticked)).flat()
    out = {}
    for c in CONTROLS:
        if c.kwarg in TRIAGE_KWARGS:
            continue
        moved = not np.isclose(float(reformed[c.key]), float(plain[c.key]))
        out[c.kwarg] = type(c.default)(reformed[c.key]) if moved else c.default
    return out


def overrides_from(values: dict[str, float], reforms: tuple[str, ...] | list[str] = ()) -> dict[str, float]:
    """Only the sliders moved off the baseline and off where the ``reforms`` put them become overrides, so a
    reform still sets what it changes (and the baseline twin, which gets the same overrides, stays plain).

    A slider left at its baseline value, or at a ticked reform's value (the page moves it there), means 'as
    the scenario (baseline + reforms) says'.
    """
    levels = reform_levels(reforms) if reforms else {}
    out: dict[str, float] = {}
    for kwarg, value in values.items():
        c = CONTROL_BY_KWARG[kwarg]
        if np.isclose(float(value), float(c.default)):
            continue
        if kwarg in levels and np.isclose(float(value), float(levels[kwarg])):
            continue
        out[c.key] = type(c.default)(value)
    return out


class AppModel(LeniencyModel):
    """LeniencyModel for the browser: every control is a keyword; a baseline twin runs alongside with the
    same seed.

    The twin (``self.baseline``) has the same scale, sliders and seed but no reforms: with common random
    numbers the same cases arrive in both, so a class sees what the chosen reforms change on the same
    docket. Each reform of the catalogue is a keyword (``power_rebalancing=True``): a reform file added to
    ``scenarios/reforms/`` is a box on the page with no edit here.
    """

    def __init__(
        self,
        *,
        scale: str = "classroom",
        seed: int = 1,
        side_by_side: bool = True,
        information_asymmetry: float = PARAMS["power.information_asymmetry"].default,
        detention_leverage: float = PARAMS["power.detention_leverage"].default,
        charge_leverage: float = PARAMS["power.charge_leverage"].default,
        target_pressure: float = PARAMS["power.target_pressure"].default,
        defence_capacity: float = PARAMS["power.defence_capacity"].default,
        judicial_review_depth: float = PARAMS["power.judicial_review_depth"].default,
        lawyer_minutes: float = PARAMS["lawyer.consultation_minutes"].default,
        file_access: float = PARAMS["lawyer.file_access"].default,
        review_depth: float = PARAMS["judge.review_depth"].default,
        coordination: float = PARAMS["prosecutor.consult_prob"].default,
        reasoning: float = PARAMS["judge.reasoning_quality"].default,
        protest_policy: float = PARAMS["prosecutor.punitive_protest_prob"].default,
        triage_review: float = 0.0,
        triage_lawyer_time: float = 0.0,
        triage_written_lane: float = 0.0,
        scenario: object = None,
        **reform_flags: bool,
    ) -> None:
        # ``scenario``: Mesa's SolaraViz hands its own (empty) scenario object to a model that takes keywords
        # it cannot list (here, the reforms) on Reset. The page's settings are the keywords: it is not used.
        names = reform_names()
        unknown = [k for k in reform_flags if k not in names]
        if unknown:
            raise TypeError(
                f"AppModel: unknown keyword {unknown[0]!r}: neither a control nor a reform; reforms: "
                f"{', '.join(names)}"
            )
        reforms = [r for r in names if _plain(reform_flags.get(r, False))]
        sliders = {
            "information_asymmetry": _plain(information_asymmetry),
            "detention_leverage": _plain(detention_leverage),
            "charge_leverage": _plain(charge_leverage),
            "target_pressure": _plain(target_pressure),
            "defence_capacity": _plain(defence_capacity),
            "judicial_review_depth": _plain(judicial_review_depth),
            "lawyer_minutes": _plain(lawyer_minutes),
            "file_access": _plain(file_access),
            "review_depth": _plain(review_depth),
            "coordination": _plain(coordination),
            "reasoning": _plain(reasoning),
            "protest_policy": _plain(protest_policy),
        }
        policies = {
            "triage_review": _plain(triage_review),
            "triage_lawyer_time": _plain(triage_lawyer_time),
            "triage_written_lane": _plain(triage_written_lane),
        }
        seed = int(seed)
        # In class the story starts on day 0: no warm-up, so every figure counts from the first case.
        overrides = {"run.warmup_days": 0, **overrides_from(sliders, reforms)}
        triage = overrides_from(policies)
        super().__init__(
            params=load_scenario(scale=scale, reforms=reforms),
            overrides={**overrides, **triage},
            agent_sample=AGENT_SAMPLE.get(scale, 1),
            rng=seed,
        )
        self.seed = seed
        self.reforms: tuple[str, ...] = tuple(reforms)
        self.overrides = overrides
        self.baseline: LeniencyModel | None = None
        if side_by_side and (reforms or triage):
            self.baseline = LeniencyModel(
                params=load_scenario(scale=scale), overrides=overrides, materialise_agents=False, rng=seed
            )
        self.space = ContinuousSpace(len(LANES), 1.0, torus=False)
        self._placed: dict[int, Defendant] = {}
        self.recent_closed: deque[dict[str, Any]] = deque(maxlen=RECENT_CLOSED)
        self.events.subscribe(Closed, self.on_closed)
        for cid in range(WATCH_FIRST):
            self.watch(cid)
        self.followed = 0

    def step(self) -> None:
        """One day in both models; then the defendants are laid out in their lanes."""
        super().step()
        if self.baseline is not None and self.baseline.running:
            self.baseline.step()
        self._lay_out()

    def on_closed(self, event: Closed) -> None:
        """Observer of the ``Closed`` event: note closing cases for the last lane (they stop being agents)."""
        name = CaseState(event.state).name.lower()
        last = self.docket.case_id[event.rows][-RECENT_CLOSED:]
        self.recent_closed.extend({"case_id": int(c), "state": name, "day": self.day} for c in last)

    def defendants(self) -> list[Defendant]:
        """The Mesa agents of the cases in flight."""
        return list(self.agents_by_type[Defendant]) if Defendant in self.agents_by_type else []

    def _lay_out(self) -> None:
        """Place each defendant in its stage's lane, oldest at the bottom; note cases that closed today."""
        d = self.docket
        alive = self.defendants()
        alive_ids = {a.unique_id for a in alive}
        for uid in [u for u in self._placed if u not in alive_ids]:
            self.space.remove_agent(self._placed.pop(uid))
        if not alive:
            return
        rows = np.fromiter((a.row for a in alive), dtype=np.int64, count=len(alive))
        lane = LANE_OF_STATE[d.state[rows]]
        order = np.lexsort((d.case_id[rows], lane))
        xs = np.empty(len(alive))
        ys = np.empty(len(alive))
        for ln in np.unique(lane):
            idx = order[lane[order] == ln]
            n = len(idx)
            cols = max(1, int(np.ceil(np.sqrt(n / 2.5))))  # lanes are taller than wide
            nrows = int(np.ceil(n / cols))
            k = np.arange(n)
            xs[idx] = ln + 0.1 + 0.8 * ((k % cols) + 0.5) / cols
            ys[idx] = ((k // cols) + 0.5) / max(nrows, 1)
        for a, x, y in zip(alive, xs.tolist(), ys.tolist(), strict=True):
            if a.unique_id in self._placed:
                self.space.move_agent(a, (x, y))
            else:
                self.space.place_agent(a, (x, y))
                self._placed[a.unique_id] = a
