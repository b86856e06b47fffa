"""The browser app without a browser: the page rendered with solara.render, and AppModel's mapping of controls
onto the scenario, its baseline twin, lane space and case story."""

from __future__ import annotations

import math

import ipyvuetify as v
import numpy as np
import plotly.graph_objects as go
import pytest
import solara

from sim.app import app as app_module
from sim.app.app import SLIDER_VALUES_CSS, Page, model_params
from sim.app.charts import PANELS, charts_figure, series, summary_rows
from sim.app.flow import STATUS_COLOURS, flow_figure, status_of
from sim.app.model import (
    CONTROLS,
    LANE_OF_STATE,
    LANES,
    SCALE_NOTE,
    AppModel,
    overrides_from,
    reform_label,
)
from sim.app.story import next_open_case, story_lines
from sim.model import LeniencyModel
from sim.model.events import Closed
from sim.model.procedure import CaseState
from sim.model.scenario import Scenario, load_scenario, param_table, reform_names


@solara.component
def _InAppLayout() -> None:
    # SolaraViz puts its controls in solara.Sidebar, which needs the AppLayout the server wraps pages in.
    with solara.AppLayout():
        Page()


@pytest.fixture
def page():
    box, rc = solara.render(_InAppLayout(), handle_error=False)
    yield rc
    rc.close()


def _figures(rc) -> list:
    return list(rc.find(go.FigureWidget).widgets)


def _html(rc) -> str:
    return "".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def _button(rc, label: str) -> v.Btn:
    return rc.find(v.Btn, children=[label]).widget


def _flow_title(rc) -> str:
    figs = _figures(rc)
    titles = [
        f.layout.title.text
        for f in figs
        if f.layout.title.text and f.layout.title.text.startswith("Case flow")
    ]
    assert len(titles) == 1
    return titles[0]


def test_page_has_every_control(page) -> None:
    sliders = {w.label for w in page.find(v.Slider).widgets}
    for c in CONTROLS:
        assert c.label in sliders
    assert "Seed (same seed = same cases)" in sliders
    boxes = {w.label for w in page.find(v.Checkbox).widgets}
    for r in reform_names():
        assert reform_label(r) in boxes
    assert "Side by side: also run the baseline (no reforms, no triage)" in boxes
    assert page.find(v.Select, label=SCALE_NOTE).widget.items == ["classroom", "district", "national"]
    for label in ("Reset", "▶", "Step"):
        _button(page, label)


def test_page_opens_with_what_to_see_and_try(page) -> None:
    html = app_module.INTRO
    assert "<b>What you see.</b>" in html and "<b>What to try.</b>" in html
    assert any(w.unsafe_innerHTML == html for w in page.find(solara.widgets.HTML).widgets)  # on the page
    # what it tells the class to use exists on the page
    labels = {w.label for w in page.find(v.Checkbox).widgets} | {w.label for w in page.find(v.Slider).widgets}
    assert {"Reform: power rebalancing", "Power: information asymmetry"} <= labels


def test_step_advances_the_day_and_redraws(page) -> None:
    assert "day 0:" in _flow_title(page)
    _button(page, "Step").click()
    _button(page, "Step").click()
    assert "day 2:" in _flow_title(page)


def test_reform_checkbox_and_reset_change_the_model(page) -> None:
    page.find(v.Checkbox, label="Reform: power rebalancing").widget.v_model = True
    seed = page.find(v.Slider, label="Seed (same seed = same cases)").widget
    seed.v_model = 7
    _button(page, "Reset").click()
    _button(page, "Step").click()
    figs = _figures(page)
    names = {t.name for f in figs for t in f.data}
    assert "essential (baseline)" in names  # the twin's lines are overlaid
    tables = _html(page)
    assert "with reforms" in tables and "Same seed (7)" in tables


def test_model_params_are_keywords_with_schema_defaults() -> None:
    import inspect

    sig = inspect.signature(AppModel.__init__).parameters
    params = model_params()
    assert set(params) - set(reform_names()) <= set(sig)
    # each reform of the catalogue is a keyword too (no list of them here to forget one in)
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.values())
    assert set(reform_names()) <= set(params)
    schema = {row["key"]: row for row in param_table()}
    defaults = Scenario().flat()
    for c in CONTROLS:
        s = params[c.kwarg]
        assert s.value == defaults[c.key] == sig[c.kwarg].default
        assert (s.min, s.max) == (schema[c.key]["min"], schema[c.key]["max"])
        # the slider's grid contains the default, so the page shows the schema value, not a rounded one
        assert math.isclose((s.value - s.min) / s.step, round((s.value - s.min) / s.step), abs_tol=1e-9)


def test_sliders_at_their_default_leave_reforms_alone_and_moved_sliders_win() -> None:
    reformed = load_scenario(reforms=["power_rebalancing"], scale="classroom")
    m = AppModel(power_rebalancing=True, side_by_side=False)
    assert (
        m.params.power.information_asymmetry
        == reformed.power.information_asymmetry
        != Scenario().power.information_asymmetry
    )
    m2 = AppModel(power_rebalancing=True, information_asymmetry=0.9, side_by_side=False)
    assert m2.params.power.information_asymmetry == 0.9
    assert overrides_from({"lawyer_minutes": 60.0, "file_access": Scenario().lawyer.file_access}) == {
        "lawyer.consultation_minutes": 60.0
    }


def test_baseline_twin_is_the_plain_model_with_the_same_seed() -> None:
    m = AppModel(seed=5, substantive_duty_lawyers=True, detention_leverage=0.8)
    plain = LeniencyModel(
        params=load_scenario(scale="classroom"), overrides={"power.detention_leverage": 0.8}, rng=5
    )
    assert m.baseline is not None and m.reforms == ("substantive_duty_lawyers",)
    for _ in range(60):
        m.step()
        plain.step()
    assert m.baseline.summary() == pytest.approx(plain.summary(), nan_ok=True)
    assert AppModel(seed=5).baseline is None  # nothing to compare without a reform


def test_defendants_sit_in_the_lane_of_their_stage_and_closed_cases_are_kept() -> None:
    m = AppModel(seed=3)
    for _ in range(80):
        m.step()
    agents = m.defendants()
    assert agents and all(a.pos is not None for a in agents)
    for a in agents:
        lane = int(a.pos[0])
        assert lane == LANE_OF_STATE[m.docket.state[a.row]]
        assert 0 < a.pos[1] < 1
    assert len(m.space.agents) == len(agents)  # closed cases left the space
    assert m.recent_closed and {c["state"] for c in m.recent_closed} <= {
        "final",
        "acquitted",
        "not_prosecuted",
    }
    fig = flow_figure(m)
    shown = sum(len(t["x"]) for t in fig["data"] if t["name"] in STATUS_COLOURS)
    assert shown == len(agents)
    ticks = fig["layout"]["xaxis"]["ticktext"]
    counts = m.state_counts()
    assert ticks[0] == f"investigation ({counts['investigation']})" and len(ticks) == len(LANES)


def test_status_follows_the_docket() -> None:
    m = AppModel(seed=11, scale="district", side_by_side=False)
    for _ in range(70):
        m.step()
    d = m.docket
    rows = np.fromiter((a.row for a in m.defendants()), dtype=np.int64)
    status = status_of(d, rows)
    assert set(status) - {"not pleaded"}  # something happened by day 70
    assert not np.any((status == "pleaded") & ~d.signed[rows])
    assert np.all(status[d.protested[rows]] == "protested")


def test_charts_read_the_datacollector_and_agree_with_summary() -> None:
    m = AppModel(seed=2, scale="district", judgment_reasoning=True)
    for _ in range(150):
        m.step()
    spec = charts_figure(m)
    ess = next(t for t in spec["data"] if t["name"] == "essential")
    assert ess["y"][-1] == pytest.approx(series(m, "relief_essential_today").sum())
    s = m.summary()
    # the cumulative relief line and the summary metric count the same events
    assert ess["y"][-1] == pytest.approx(s["relief_rate_essential"] * s["leniency_cases"] / 100)
    assert len(spec["data"]) == 2 * sum(len(p.keys) for p in PANELS)  # every line, twice with the twin
    rows = {r["key"]: r for r in summary_rows(m)}
    assert rows["cases_arrived"]["value"] == f"{s['cases_arrived']:,.0f}"
    assert rows["cases_arrived"]["baseline"] == f"{m.baseline.summary()['cases_arrived']:,.0f}"


def test_case_story_tells_the_followed_case() -> None:
    m = AppModel(seed=4)
    assert story_lines(m, 0) == []
    for _ in range(150):
        m.step()
    lines = story_lines(m, 0)
    assert lines[0]["what"] == "arrival" and "Case 0 opens" in lines[0]["text"]
    assert [ln["day"] for ln in lines] == sorted(ln["day"] for ln in lines)
    # a case with relief: its lines say whether each relief was essential
    with_relief = next(c for c in range(m.next_case_id) if m.ledger.for_case(c))
    rel = [ln for ln in story_lines(m, with_relief) if ln["what"] == "relief"]
    assert rel and all(("(essential relief" in ln["text"]) == ln["essential"] for ln in rel)
    nxt = next_open_case(m)
    assert nxt is None or m.docket.row_of(nxt) is not None


def test_page_draws_its_own_dashboard_without_mesas_tab(page) -> None:
    from mesa.visualization import solara_viz

    assert not page.find(v.Tab).widgets  # no "Page 0" tab: the dashboard is not a Mesa grid component
    assert (
        not hasattr(app_module, "grid_layout")
        and solara_viz.make_initial_grid_layout.__module__ == solara_viz.__name__
    )
    assert "thumb-label-container" in SLIDER_VALUES_CSS
    assert len(LANE_OF_STATE) == len(CaseState)  # lanes cover every state


def test_viz_rejects_a_bad_or_busy_port(capsys) -> None:
    import socket

    from sim.cli import main

    assert main(["viz", "--port", "70000"]) == 2
    assert "--port 70000" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert main(["viz", "--port", str(busy)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_viz_serves_offline_settings() -> None:
    from sim.commands.viz import APP_PATH, server_command, server_env

    cmd = server_command("127.0.0.1", 8765)
    assert str(APP_PATH) in cmd and "--production" in cmd and cmd[cmd.index("--host") + 1] == "127.0.0.1"
    env = server_env({})
    assert env["SOLARA_ASSETS_PROXY"] == "True" and env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"  # the badge covered the summary table


def test_app_bench_steps_the_rendered_page() -> None:
    """`python -m sim.app.bench` drives the page's own controls: it must keep finding them (speed is its
    output, not asserted here)."""
    from sim.app.bench import measure

    out = measure("classroom", warm_days=5, steps=2, reforms=("judgment_reasoning",))
    assert out["day"] == 5 and out["page_step_ms"]["median"] > 0 and out["model_step_ms"]["median"] > 0


def test_a_triage_policy_runs_in_the_app_against_a_twin_without_it() -> None:
    m = AppModel(seed=5, triage_review=1.0, triage_written_lane=0.5)
    assert m.params.triage.review_share == 1.0 and m.params.triage.written_lane_share == 0.5
    assert m.baseline is not None
    assert m.baseline.params.triage.review_share == 0.0 and m.baseline.params.triage.written_lane_share == 0.0
    reviewed: list[int] = []
    m.events.subscribe(Closed, lambda event: reviewed.append(int(m.docket.triaged[event.rows].sum())))
    for _ in range(120):
        m.step()
    assert sum(reviewed) > 0


def test_ticking_a_reform_moves_its_sliders_and_the_twin_stays_plain(page) -> None:
    from sim.app.model import CONTROL_BY_KWARG, reform_levels

    box = page.find(v.Checkbox, label="Reform: power rebalancing").widget
    asym = page.find(v.Slider, label="Power: information asymmetry").widget
    lawyer = page.find(v.Slider, label="Duty lawyer: minutes per case").widget
    default = CONTROL_BY_KWARG["information_asymmetry"].default
    assert asym.v_model == pytest.approx(default)
    box.v_model = True
    target = reform_levels(["power_rebalancing"])["information_asymmetry"]
    assert target != pytest.approx(default) and asym.v_model == pytest.approx(target)
    assert lawyer.v_model == pytest.approx(CONTROL_BY_KWARG["lawyer_minutes"].default)  # not this reform's
    _button(page, "Reset").click()
    _button(page, "Step").click()
    assert "with reforms" in _html(page)  # the reform runs against a plain twin: no slider override
    box.v_model = False
    assert asym.v_model == pytest.approx(default)
    # a slider the user moved stays where the user put it
    asym.v_model = 0.9
    box.v_model = True
    assert asym.v_model == pytest.approx(0.9)


def test_sliders_at_a_reforms_value_are_no_override() -> None:
    from sim.app.model import overrides_from, reform_levels

    at_reform = reform_levels(["power_rebalancing"])
    assert overrides_from(at_reform, ["power_rebalancing"]) == {}
    m = AppModel(power_rebalancing=True, **at_reform)
    assert m.baseline is not None and m.overrides == {"run.warmup_days": 0}
    assert m.baseline.params.power.information_asymmetry != m.params.power.information_asymmetry
