"""Case story: one defendant's case in plain words, as it happens.

The words come from the model's own log of a followed case (``model.watch`` / ``model.case_log``) and from the
relief ledger (``model.ledger.for_case``), which says whether each relief answered a real defect (essential).
"""

from __future__ import annotations

from typing import Any

import solara

from sim.app.flow import follow
from sim.app.model import WATCH_FIRST, AppModel
from sim.model.procedure import CaseState

RELIEF_WORDS: dict[str, str] = {
    "voluntariness_finding": "the plea is examined and found involuntary",
    "adjustment_request": "the court asks the prosecutor to adjust the recommendation (Art. 201)",
    "not_adopted": "the court does not adopt the recommendation",
    "withdrawal": "the defendant withdraws the plea",
    "appeal": "the defendant appeals",
    "protest": "the procuratorate protests",
    "second_instance": "the second-instance court decides",
}
REASON_WORDS: dict[str, str] = {
    "involuntary_pressure": "the plea was coerced (pressure above what the law allows decided it)",
    "involuntary_framing": "the plea rested on false beliefs from the prosecutor's framing or misleading "
    "advice",
    "involuntary_own_error": "the plea rested on the defendant's own misjudgment of the trial",
    "innocent": "the defendant is innocent",
    "miscalibrated_rec": "the recommendation was off the lawful sentence",
    "unexplained_departure": "the court went above the agreement, lawfully, without reasons; an appeal "
    "cannot make a lawful sentence lighter",
    "wrong_sentence": "the sentence was heavier than the lawful one (or, for a protest, off it) by more "
    "than the court's tolerance",
    "explained_departure": "the court went above the agreement and explained why",
    "judge_norm": "the judge's own sentencing norm differs from a lawful recommendation",
    "technical": "a technical appeal, only to serve the rest of a short term in the detention house",
    "misinformation": "the defendant was misinformed after a voluntary plea",
    "punitive": "a punitive protest answering a groundless appeal against a judgment that kept the agreement",
    "perceived_unfairness": "the judgment seemed unfair, with no defect an appeal could correct",
    "false_alarm": "a voluntary plea was wrongly found involuntary",
    "target_driven": "the court would have adopted the recommendation without the extra discount the "
    "application-rate target drove",
    "suspension_refused": "the agreement promised a suspended sentence and the court imposed custody",
    "not_adopted_protest": "the procuratorate protests that its recommendation was not adopted, against a "
    "lawful sentence",
}


def story_lines(model: AppModel, case_id: int) -> list[dict[str, Any]]:
    """The followed case's events and relief, in day order, as plain sentences."""
    lines = [{"day": e["day"], "what": e["event"], "text": e["text"]} for e in model.case_log(case_id)]
    for r in model.ledger.for_case(case_id):
        kind = (
            "essential relief: it answers a real defect"
            if r["essential"]
            else "non-essential relief: no defect a lawful remedy can correct"
        )
        text = (
            f"{RELIEF_WORDS.get(r['type'], r['type'])} — "
            f"because {REASON_WORDS.get(r['reason'], r['reason'])} ({kind})."
        )
        lines.append(
            {
                "day": r["day"],
                "what": "relief",
                "text": text[0].upper() + text[1:],
                "essential": r["essential"],
            }
        )
    lines.sort(key=lambda line: (line["day"], line["what"] == "relief"))
    return lines


def status_line(model: AppModel, case_id: int) -> str:
    """Where the case stands now, in a sentence."""
    if case_id >= model.next_case_id:
        return f"Case {case_id} has not arrived yet (it is day {model.day}). Press Step or Play."
    row = model.docket.row_of(case_id)
    if row is None:
        return f"Case {case_id} is closed."
    rec = model.docket.record(row)
    state = CaseState(int(rec["state"])).name.lower().replace("_", " ")
    bits = [f"Case {case_id} is in {state}", "detained" if rec["detained"] else "at liberty"]
    if rec["signed"]:
        bits.append("with a plea agreement standing")
    return ", ".join(bits) + "."


def next_open_case(model: AppModel) -> int | None:
    """The next case after the followed one that is in flight, followed from its arrival and has at least had
    its plea hearing (so its story has something to tell), if any."""
    d = model.docket
    # the lawyer is present from the plea hearing
    told = d.active & (d.case_id < WATCH_FIRST) & d.lawyer_present
    open_ids = sorted(int(c) for c in d.case_id[told & (d.case_id != model.followed)])
    if not open_ids:
        return None
    later = [c for c in open_ids if c > model.followed]
    return later[0] if later else open_ids[0]


@solara.component
def CaseStory(model: AppModel, tick: int = 0) -> None:
    """Follow one defendant: pick a case (or click one in the case flow) and read its story."""
    case_id = model.followed
    known = max(model.next_case_id, 1)

    def pick(value: int) -> None:
        follow(model, value)

    def pick_next() -> None:
        nxt = next_open_case(model)
        if nxt is not None:
            follow(model, nxt)

    lines = story_lines(model, case_id)
    in_flight = model.docket.row_of(case_id) is not None
    with solara.Column(
        style={"padding": "6px", "height": "650px", "overflow": "auto"}, classes=["leniency-story"]
    ):
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>Case story: case {case_id}</b>", style="font-size: 14px")
        with solara.Row(style={"align-items": "center"}):
            solara.SliderInt("Case", value=min(case_id, known - 1), min=0, max=known - 1, on_value=pick)
            solara.Button("Next open case", on_click=pick_next, small=True, outlined=True)
        solara.Text(status_line(model, case_id), classes=["leniency-status"])
        if case_id >= WATCH_FIRST and lines:
            solara.Text(f"(Cases from {WATCH_FIRST} on are followed from the moment you pick them.)")
        if not lines and case_id < model.next_case_id and not in_flight:
            solara.Text("Nothing was recorded for this case: it was picked after it closed.")
        items = "".join(
            f"<li><b>Day {line['day']}</b> · {line['what']}: {line['text']}</li>" for line in lines
        )
        solara.HTML(
            tag="ul",
            unsafe_innerHTML=items,
            attributes={"class": "leniency-story-events"},
            style="font-size: 13px; padding-left: 18px",
        )
