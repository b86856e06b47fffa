"""The browser page: Mesa SolaraViz over ``AppModel`` — case flow, case story, charts, baseline side by side.

Serve it with ``leniency viz`` (or ``solara run sim/app/app.py --production``). It renders with no network: the front
end comes from solara-assets in the virtual environment (see sim/commands/viz.py for the settings).
"""

from __future__ import annotations

from typing import Any

import solara
import solara.checks
import solara.server.settings
from mesa.visualization import Slider, SolaraViz, solara_viz
from mesa.visualization.utils import update_counter

from sim.app.charts import Charts, SummaryTable
from sim.app.flow import CaseFlow
from sim.app.model import APP_SCALES, CONTROLS, AppModel
from sim.app.story import CaseStory
from sim.model.scenario import REFORMS

# Offline and private under a plain `solara run sim/app/app.py` too: no check-in iframes to solara.dev (they fail with no
# network and show as console errors) and no telemetry. `leniency viz` gets the same from --production and its
# environment (sim/commands/viz.py).
solara.checks.should_perform_solara_check = lambda: False
solara.server.settings.telemetry.mixpanel_enable = False

TITLE = "Leniency for guilty pleas: plea bargaining and procedural relief"
SEED_MAX = 999
PLAY_INTERVAL_MS = 400  # the browser draws a district step in ~0.3-0.5 s; faster play queues updates and lags


@solara.component
def Dashboard(model: AppModel) -> None:
    """Case flow and story above, charts and summary below.

    One component reads Mesa's ``update_counter``, not four: each reader costs its own render pass over the whole
    page tree, sidebar included. A district-scale Step took ~146 ms on the server with four readers, ~114 ms with
    one (Mesa's step counter is the other); see ``python -m sim.app.bench``.
    """
    tick = update_counter.get()
    with solara.Columns([7, 5]):
        CaseFlow(model, tick)
        CaseStory(model, tick)
    with solara.Columns([8, 4]):
        Charts(model, tick)
        SummaryTable(model, tick)


COMPONENTS = [Dashboard]
# Mesa lays every component out 6 x 10 cells of its 12-column, 30-px-row grid (half width, ~390 px high);
# the dashboard takes the whole width and the height of its two rows.
GRID = [{"i": 0, "x": 0, "y": 0, "w": 12, "h": 49, "moved": False}]


def grid_layout(num_components: int) -> list[dict[str, Any]]:
    """Replaces Mesa's ``make_initial_grid_layout`` (it has no parameter for cell sizes); other pages keep Mesa's."""
    if num_components == len(GRID):
        return [dict(cell) for cell in GRID]
    return _mesa_grid_layout(num_components)


_mesa_grid_layout = solara_viz.make_initial_grid_layout
solara_viz.make_initial_grid_layout = grid_layout


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
