"""The browser page: Mesa SolaraViz over ``AppModel`` — case flow, case story, charts, baseline side by side.

Serve it with ``leniency viz`` (or ``solara run sim/app.py --production``). It renders with no network: the front
end comes from solara-assets in the virtual environment (see sim/commands/viz.py for the settings).
"""

from __future__ import annotations

from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz

from sim.app_charts import Backlog, EssentialRelief, Hours, Rates, ReliefByType, SummaryTable
from sim.app_flow import CaseFlow
from sim.app_model import APP_SCALES, CONTROLS, AppModel
from sim.app_story import CaseStory
from sim.scenario import REFORMS

TITLE = "Leniency for guilty pleas: plea bargaining and procedural relief"
SEED_MAX = 999
PLAY_INTERVAL_MS = 150
COMPONENTS = [CaseFlow, CaseStory, EssentialRelief, ReliefByType, Rates, Hours, Backlog, SummaryTable]


def model_params() -> dict[str, Any]:
    """The page's controls; every key is a keyword of AppModel, every default and range comes from the schema."""
    params: dict[str, Any] = {
        "scale": {"type": "Select", "value": APP_SCALES[0], "values": list(APP_SCALES), "label": "Scale"},
        "seed": Slider("Seed (same seed = same cases)", 1, 0, SEED_MAX, 1, dtype=int),
        "side_by_side": {"type": "Checkbox", "value": True, "label": "Side by side: also run the baseline (no reforms)"},
    }
    for reform in REFORMS:
        params[reform] = {"type": "Checkbox", "value": False, "label": "Reform: " + reform.replace("_", " ")}
    for c in CONTROLS:
        dtype = int if isinstance(c.default, int) else float
        params[c.kwarg] = Slider(c.label, c.default, c.lo, c.hi, c.step, dtype=dtype)
    return params


@solara.component
def Page() -> None:
    """One model per browser session (a module-level model would be shared by every visitor)."""
    model = solara.use_memo(AppModel, [])
    SolaraViz(model, components=list(COMPONENTS), model_params=model_params(), name=TITLE, play_interval=PLAY_INTERVAL_MS)
