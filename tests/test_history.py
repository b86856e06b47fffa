"""python -m sim.fitting.history: the leave-one-out arms pair with the full history seed by seed, each
change's effect has the sign its text implies, the words at the top follow the numbers, the published
figures' marks agree with the calibration targets, and the README shows the generated table, not a copy that
can drift."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.fitting import history as h
from sim.fitting import history_page as page
from sim.fitting.published import PUBLISHED_PATH, Published, load_published
from sim.fitting.targets import load_spec
from sim.model.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parent.parent


def test_published_marks_agree_with_the_calibration_targets() -> None:
    """'in' needs a full-weight target on the metric, 'soft' a soft one (weight < 1): a mark that claims a
    figure was fitted when no target holds its metric is wrong."""
    weights = {t.metric: t.weight for t in load_spec().targets}
    figures = load_published()
    assert {f.metric for f in figures} >= set(page.FIGURES)
    for f in figures:
        if f.sample == "in":
            assert weights.get(f.metric) == 1.0, f
        elif f.sample == "soft":
            assert 0 < weights.get(f.metric, 0) < 1, f


def test_a_bad_published_figure_names_its_entry(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    text = PUBLISHED_PATH.read_text(encoding="utf-8")
    bad.write_text(
        text + '\n[[figure]]\nmetric = "no_such_rate"\nyear = 2020\ntext = "1 %"\nvalue = 0.01\n'
        'sample = "out"\nsource = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"\[\[figure\]\] #\d+: unknown metric 'no_such_rate'"):
        load_published(bad)


def test_leaving_one_change_out_keeps_the_others_in_order() -> None:
    scenario = load_scenario(h.HISTORY)
    changes = h.changes_of(scenario)
    assert [c.name for c in changes][:2] == ["application target", "guiding opinions"]
    arms = h.arms_of(scenario)
    assert len(arms) == 1 + len(changes)
    for c in changes:
        kept = [e.overlay for e in arms[c.arm].timeline]
        assert kept == [e.overlay for i, e in enumerate(scenario.timeline) if i != c.index]


NAMES = ("a", "b", "c")
CHANGES = [page.Change(i, "2019-06-01", f"2019-06_{x}.toml") for i, x in enumerate(NAMES)]


def _table(effect: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Levels of 0.5 in 2019 and 2020; each change's effect 0 in 2019 and as given in 2020 (± 0.01, or
    exactly 0 on every seed when 0)."""
    rows = []
    for metric in page.FIGURES:
        for year in (2019, 2020):
            rows.append(h._row("level", None, metric, year, 0.5, 0.45, 0.55, 3))
    for (name, metric), m in effect.items():
        c = CHANGES[NAMES.index(name)]
        rows.append(h._row("effect", c, metric, 2019, 0.0, 0.0, 0.0, 3))
        half = 0.01 if m else 0.0
        rows.append(h._row("effect", c, metric, 2020, m, m - half, m + half, 3))
    return pd.DataFrame(rows)


def test_the_words_name_the_change_that_moves_each_figure_most() -> None:
    effect = {(c, m): 0.0 for c in NAMES for m in page.FIGURES}
    effect[("a", "application_rate")] = 0.031
    effect[("b", "application_rate")] = -0.012
    effect[("b", "pretrial_detention_rate")] = -0.08
    fig = Published("pretrial_detention_rate", 2020, "40 %", 0.40, "out", "x")
    text = page.summary_words(_table(effect), CHANGES, [fig])
    assert (
        "application rate goes from 50.0 % (2019) to 50.0 % (2020); the change that moves it most is **a**"
        in (text)
    )
    assert "+3.1 percentage points in 2020" in text and "no other change by more than 1.2 points" in text
    assert "moves it most is **b** (in force from 2019-06-01), by -8.0 percentage points" in text
    assert "The **c** changes none of the three figures at all" in text and "No effect of" not in text
    assert "pretrial detention rate 2020: 50.0 % simulated against ○ 40 % (+10.0 points)" in text
    effect[("c", "adoption_rate")] = 0.001  # moves, but within the noise
    text = page.summary_words(_table(effect), CHANGES, [fig])
    assert "No effect of **c** on these three figures is distinguishable from zero" in text


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole command on 2 seeds at half a case a day (about 25 s)."""
    out = tmp_path_factory.mktemp("history")
    argv = ["--seeds", "2", "--workers", "1", "--quiet", "--set", "run.cases_per_day=0.5", "--out", str(out)]
    assert h.main(argv) == 0
    return out


def test_each_change_is_paired_with_the_full_history_and_acts_as_its_text_says(small: Path) -> None:
    table = pd.read_csv(small / "history_effects.csv")
    changes = h.changes_of(load_scenario(h.HISTORY))
    level = table[table["quantity"] == "level"]
    assert sorted(level["year"].unique()) == [2019, 2020, 2021, 2022, 2023]
    assert set(level["metric"]) == set(page.LEVELS) and (level["seeds"] == 2).all()
    eff = table[table["quantity"] == "effect"].set_index(["change", "metric", "year"])
    assert set(eff.index.get_level_values("change")) == {c.name for c in changes}
    # the last change (2022) cannot reach the 2019 cohort: on the same seeds the two arms ran the same
    last = changes[-1].name
    first = eff.loc[last].xs(2019, level="year")
    assert (first[["mean", "ci_low", "ci_high"]] == 0).all().all()
    # fewer arrests lowers detention once in force: full minus without is below zero
    assert eff.loc[("fewer arrests", "pretrial_detention_rate", 2022), "ci_high"] < 0
    pub = level.set_index(["metric", "year"])
    assert pub.loc[("application_rate", 2019), "published"] == "83.1 % (Dec 2019)"
    assert pub.loc[("application_rate", 2019), "sample"] == "out"


def test_the_page_says_what_the_numbers_say(small: Path) -> None:
    md = (small / "history_effects.md").read_text(encoding="utf-8")
    assert md.startswith("# The 2019–2023 history, change by change (2 seeds)")
    for metric in page.FIGURES:
        assert f"The {metric.replace('_', ' ')} goes from" in md
    assert "| published | ○ 83.1 % (Dec 2019) |" in md
    assert "| fewer arrests (2021-04-01) | `pretrial_detention_rate` | 0 | 0 |" in md
    assert h.main(["--rewrite", "--quiet", "--out", str(small)]) == 0  # the page again from the .csv alone
    assert (small / "history_effects.md").read_text(encoding="utf-8") == md
    readme = f"a\n{page.START}\nold\n{page.END}\nb\n"
    assert page.readme_with_history(readme, md) == f"a\n{page.START}\n{page.readme_body(md)}\n{page.END}\nb\n"


def test_the_readme_shows_the_generated_history_table() -> None:
    md = (ROOT / "experiments" / "calibration" / "history_effects.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == page.readme_with_history(readme, md), "run python -m sim.fitting.history --readme"
