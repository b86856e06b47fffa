"""The browser page: Mesa SolaraViz over ``AppModel`` — case flow, case story, charts, baseline side by side.

Serve it with ``leniency viz`` (or ``solara run sim/app/app.py --production``). It renders with no network:
the front end comes from solara-assets in the virtual environment (see sim/commands/viz.py for the
settings).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import solara
import solara.checks
import solara.server.settings
from mesa.visualization import Slider, SolaraViz
from mesa.visualization.utils import update_counter

from sim.app.charts import Charts, SummaryTable
from sim.app.flow import CaseFlow
from sim.app.model import (
    APP_SCALES,
    CONTROLS,
    SCALE_NOTE,
    TRIAGE_KWARGS,
    AppModel,
    reform_label,
    reform_levels,
)
from sim.app.story import CaseStory
from sim.model.reforms import reform_names

# Offline and private under a plain `solara run sim/app/app.py` too: no check-in iframes to solara.dev (they
# fail with no
# network and show as console errors) and no telemetry. `leniency viz` gets the same from --production and its
# environment (sim/commands/viz.py).
solara.checks.should_perform_solara_check = lambda: False
solara.server.settings.telemetry.mixpanel_enable = False


def _fix_solara_navigator() -> None:
    """Solara 1.58.2's router template says ``modules.export = {``: ipyvue's loader throws on it, warns
    "Failed to evaluate Vue script" in every visitor's console and parses the script a second way. Serve the
    corrected text instead (a no-op once Solara ships the fix)."""
    from pathlib import Path

    from solara.widgets.widgets import Navigator

    path = Navigator.template_file
    if not isinstance(path, str) or not Path(path).is_file():
        return
    text = Path(path).read_text(encoding="utf-8")
    if "modules.export = {" not in text:
        return
    fixed = text.replace("modules.export = {", "module.exports = {", 1)
    plain_init = Navigator.__init__

    def init(self: Navigator, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("template", fixed)
        plain_init(self, *args, **kwargs)

    Navigator.template_file = None  # type: ignore[assignment]
    Navigator.__init__ = init  # type: ignore[method-assign,assignment]


_fix_solara_navigator()

TITLE = "Leniency for guilty pleas: plea bargaining and procedural relief"
TAB_TITLE = "leniency-sim: plea bargaining and relief"
SEED_MAX = 999
PLAY_INTERVAL_MS = 400  # the browser draws a district step in ~0.3-0.5 s; faster play queues updates and lags


@solara.component
def Dashboard(model: AppModel) -> None:
    """Case flow and story above, charts and summary below.

    One component reads Mesa's ``update_counter``, not four: each reader costs its own render pass over the
    whole page tree, sidebar included. A district-scale Step took ~146 ms on the server with four readers,
    ~114 ms with one (Mesa's step counter is the other); see ``python -m sim.app.bench``.
    """
    tick = update_counter.get()
    with solara.Columns([7, 5]):
        CaseFlow(model, tick)
        CaseStory(model, tick)
    with solara.Columns([8, 4]):
        Charts(model, tick)
        SummaryTable(model, tick)


# Warned on every first load: Solara would like samesite=none cookies, which need https; on plain http at
# 127.0.0.1 it falls back to samesite=lax, which is right for a page served to this machine.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)

# Mesa's sliders show their value only while dragged; a class needs to read them. Vuetify's thumb label,
# always on.
SLIDER_VALUES_CSS = """
.v-slider__thumb-container .v-slider__thumb-label-container { display: block !important; }
.v-input__slider { margin-top: 18px; }
"""


def model_params(
    reforms: dict[str, Any] | None = None, levels: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The page's controls; every key is a keyword of AppModel, every default and range comes from the
    schema. ``reforms`` and ``levels`` (the page's reactive values, by keyword) bind the reform boxes and the
    sliders, so ticking a reform can move the sliders it changes (``reform_levels``)."""
    reforms, levels = reforms or {}, levels or {}
    params: dict[str, Any] = {
        "scale": {"type": "Select", "value": APP_SCALES[0], "values": list(APP_SCALES), "label": SCALE_NOTE},
        "seed": Slider("Seed (same seed = same cases)", 1, 0, SEED_MAX, 1, dtype=int),
        "side_by_side": {
            "type": "Checkbox",
            "value": True,
            "label": "Side by side: also run the baseline (no reforms, no triage)",
        },
    }
    keywords = inspect.signature(AppModel).parameters
    for reform in reform_names():
        if reform in keywords:
            raise ValueError(f"reform '{reform}' has the name of a control on the page; rename its file")
        params[reform] = {
            "type": "Checkbox",
            "value": reforms.get(reform, False),
            "label": reform_label(reform),
        }
    for c in CONTROLS:
        dtype = int if isinstance(c.default, int) else float
        params[c.kwarg] = Slider(c.label, levels.get(c.kwarg, c.default), c.lo, c.hi, c.step, dtype=dtype)
    return params


@solara.component
def ReformMovesSliders(reforms: dict[str, Any], levels: dict[str, Any]) -> None:
    """Ticking or unticking a reform moves the sliders it changes to the reform's values (and back); a slider
    the user has moved away from where the reforms put it stays where the user put it."""
    ticked = tuple(r for r, box in reforms.items() if box.value)
    last = solara.use_ref(reform_levels(()))

    def follow() -> None:
        now = reform_levels(ticked)
        for kwarg, value in now.items():
            if np.isclose(float(levels[kwarg].value), float(last.current[kwarg])):
                levels[kwarg].set(value)
        last.current = now

    solara.use_effect(follow, [ticked])


# plain HTML: solara.Markdown would fetch KaTeX, which solara-assets does not hold (404s offline)
INTRO = """<p><b>What you see.</b> Each dot in the <i>case flow</i> is a case moving from investigation
through review, trial and appeal to closing (squares: the defendant is detained); click one to read its
<i>case story</i>. The charts and the table compare the reforms you ticked (solid) with the plain
baseline on the same cases and the same luck (dashed: same seed).</p>
<p><b>What to try.</b> Press <i>Step</i> a few times and read case 0's story; press ▶ and click a
dot to follow another case. Tick <i>Reform: power rebalancing</i>, press <i>Reset</i> and watch
non-essential relief against the dashed baseline. Raise <i>Power: information asymmetry</i> and
<i>Reset</i>: involuntary pleas rise. Change the <i>Seed</i>: other cases, the same tendencies.</p>"""


@solara.component
def Intro() -> None:
    """What the class sees and what to try, above the dashboard."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=INTRO,
        classes=["leniency-intro"],
        style={"max-width": "70em", "font-size": "0.95em"},
    )


@solara.component
def Page() -> None:
    """One model per browser session (a module-level model would be shared by every visitor).

    The dashboard is drawn here rather than as a SolaraViz component: Mesa would put it under a "Page 0"
    tab in a draggable grid sized for half-width cells.
    """
    first = solara.use_memo(AppModel, [])
    model: solara.Reactive[AppModel] = solara.use_reactive(first)
    solara.Title(TAB_TITLE)
    solara.Style(SLIDER_VALUES_CSS)
    names = solara.use_memo(reform_names, [])  # the catalogue as the session began: a fixed list of hooks
    reforms = {r: solara.use_reactive(False) for r in names}
    levels = {c.kwarg: solara.use_reactive(c.default) for c in CONTROLS if c.kwarg not in TRIAGE_KWARGS}
    ReformMovesSliders(reforms, levels)
    SolaraViz(
        model,
        components=[],
        model_params=model_params(reforms, levels),
        name=TITLE,
        play_interval=PLAY_INTERVAL_MS,
    )
    Intro()
    Dashboard(model.value)
