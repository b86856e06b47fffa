"""Relief initiations and their classes, relief hours, the warm-up window and the per-case table (model
v2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.model import simulate
from sim.model.relief import CLASS_OF_REASON, INITIATING, Reason, ReliefClass, ReliefType
from tests.conftest import small


@pytest.fixture(scope="module")
def run() -> object:
    return simulate(small(days=120, warmup=30), 5, cases=True)


def test_every_reason_has_one_class() -> None:
    assert set(CLASS_OF_REASON) == set(Reason)
    assert {CLASS_OF_REASON[r] for r in Reason} == set(ReliefClass)


def test_each_kind_initiates_at_most_once_per_case_and_continuations_link_back(run: object) -> None:
    ev = run.relief_events
    init = ev[ev["initiation"]]
    assert not init.duplicated(["case_id", "type"]).any()
    assert set(init["type"].astype(str)) <= {t.name.lower() for t in INITIATING}
    assert not ev[ev["type"].isin(["not_adopted", "second_instance"])]["initiation"].any()
    # an initiation links to itself; a continuation to an earlier event of the same case, of its root kind
    idx = np.arange(len(ev))
    link = ev["initiation_event"].to_numpy()
    assert np.array_equal(link[ev["initiation"].to_numpy()], idx[ev["initiation"].to_numpy()])
    si = ev[ev["type"] == "second_instance"]
    assert (si["initiation_event"] >= 0).all()
    roots = ev.iloc[si["initiation_event"].to_numpy()]
    assert (roots["case_id"].to_numpy() == si["case_id"].to_numpy()).all()
    assert set(roots["type"].astype(str)) <= {"appeal", "protest"}
    assert (roots["day"].to_numpy() <= si["day"].to_numpy()).all()


def test_summary_counts_only_cases_after_the_warm_up(run: object) -> None:
    cases = run.cases
    after = cases[cases["after_warmup"]]
    assert (after["arrival_day"] >= 30).all() and (
        cases.loc[~cases["after_warmup"], "arrival_day"] < 30
    ).all()
    assert run.summary["cases_closed"] == len(after)
    # signed cases still open at the end count too
    assert run.summary["leniency_cases"] >= after["signed"].sum()


def test_relief_hours_add_up_by_class(run: object) -> None:
    s = run.summary
    parts = sum(s[f"relief_hours_per_case_{c.name.lower()}"] for c in ReliefClass)
    assert s["relief_hours_per_case"] == pytest.approx(parts)
    assert 0 < s["relief_hours_per_case"] < s["hours_per_case_total"]


def test_case_table_has_one_row_per_closed_case(run: object) -> None:
    cases = run.cases
    assert cases["case_id"].is_unique
    assert len(cases) == run.summary["cases_closed"] + (~cases["after_warmup"]).sum()
    for col in (
        "involuntary",
        "involuntary_cause",
        "detained_at_arrival",
        "literacy",
        "offer_months",
        "recommendation_months",
        "determinate",
        "signed",
        "procedure",
        "sentence_months",
        "adopted",
        "appealed",
        "technical_appeal",
        "protested",
        "second_instance",
        "hours",
        "days_to_final",
    ):
        assert col in cases.columns, col
    inv = cases[cases["involuntary"]]
    assert (inv["involuntary_cause"].astype(str) != "").all()
    assert (cases.loc[~cases["involuntary"], "involuntary_cause"].astype(str) == "").all()
    # each relief column holds the class of that kind's initiation, as the ledger has it
    ev = run.relief_events
    init = ev[ev["initiation"]].set_index(["case_id", "type"])["class"].astype(str)
    for rt in INITIATING:
        col = cases.set_index("case_id")[f"relief_{rt.name.lower()}"].astype(str)
        mine = (
            init.xs(rt.name.lower(), level="type")
            if rt.name.lower() in init.index.get_level_values(1)
            else pd.Series(dtype=str)
        )
        closed = mine[mine.index.isin(col.index)]
        assert (col.loc[closed.index] == closed).all(), rt
    assert ReliefType.APPEAL in INITIATING
