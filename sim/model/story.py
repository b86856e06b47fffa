"""Case stories: an observer that writes the events of followed cases in plain words (the app's story panel
and
``LeniencyModel.case_log``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.actors import Judge
from sim.model.events import (
    AppealWindowClosed,
    Arrived,
    Closed,
    Judged,
    PleaHearing,
    PleaSetAside,
    Remanded,
    SecondInstance,
    Withdrawn,
)
from sim.model.procedure import CaseState

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


class CaseStories:
    """Follows chosen cases (past, in flight or yet to arrive) and keeps their story. It observes the model's
    events from the first case watched on (until then there is nothing to write)."""

    def __init__(self, model: LeniencyModel) -> None:
        self.model = model
        self.watched: set[int] = set()
        self.logs: dict[int, list[dict[str, Any]]] = {}
        self.attached = False

    def watch(self, case_id: int) -> None:
        if not self.attached:
            self.model.events.attach(self)
            self.attached = True
        self.watched.add(int(case_id))
        self.logs.setdefault(int(case_id), [])

    def _note(self, rows: np.ndarray, event: str, text: Callable[[int], str]) -> None:
        if not self.watched or not len(rows):
            return
        d = self.model.docket
        for r in rows[np.isin(d.case_id[rows], list(self.watched))].tolist():
            entry = {"day": self.model.day, "event": event, "text": text(r), "case": d.record(r)}
            self.logs[int(d.case_id[r])].append(entry)

    # --- events ---------------------------------------------------------------------------------------------
    def on_arrived(self, event: Arrived) -> None:
        d = self.model.docket
        self._note(
            event.rows,
            "arrival",
            lambda r: (
                f"Case {d.case_id[r]} opens: the charge carries about {d.base[r]:.0f} months at a contested "
                f"trial. "
                + ("The suspect is detained. " if d.detained[r] else "The suspect stays at liberty. ")
                + ("(Ground truth: innocent.)" if d.innocent[r] else "")
            ),
        )

    def on_plea_hearing(self, event: PleaHearing) -> None:
        self._note(event.rows, "plea hearing", self._plea)

    def on_plea_set_aside(self, event: PleaSetAside) -> None:
        d = self.model.docket
        self._note(
            event.rows,
            "voluntariness finding",
            lambda r: (
                "The plea is found involuntary and set aside; the defendant now knows the real odds and "
                + ("signs again." if d.signed[r] else "contests the charge.")
            ),
        )

    def on_withdrawn(self, event: Withdrawn) -> None:
        self._note(
            event.rows,
            "withdrawal",
            lambda r: "The defendant withdraws the plea (反悔); the discount is lost.",
        )

    def on_judged(self, event: Judged) -> None:
        self._note(event.rows, "judgment", self._judgment)

    def on_appeal_window_closed(self, event: AppealWindowClosed) -> None:
        self._note(event.rows[event.appealed | event.protested], "appeal", self._appeal)

    def on_second_instance(self, event: SecondInstance) -> None:
        d = self.model.docket
        self._note(
            event.rows,
            "second instance",
            lambda r: f"Second instance: the sentence stands at {d.sentence[r]:.1f} months.",
        )

    def on_remanded(self, event: Remanded) -> None:
        self._note(
            event.rows,
            "remanded",
            lambda r: (
                "Remanded for retrial: the plea was found involuntary on appeal; the defendant decides "
                "again knowing what a trial would bring, and the case is tried anew."
            ),
        )

    def on_closed(self, event: Closed) -> None:
        day = self.model.day
        name = CaseState(event.state).name.lower().replace("_", " ")
        self._note(event.rows, "closed", lambda r: f"Case closed: {name} on day {day}.")

    # --- texts ----------------------------------------------------------------------------------------------
    def _plea(self, r: int) -> str:
        d = self.model.docket
        who = (
            "a retained defender"
            if d.retained[r]
            else f"the duty lawyer for {d.lawyer_minutes[r]:.0f} minutes"
        )
        rec = f"{d.rec[r]:.1f} months" if d.determinate[r] else f"{d.rec_lo[r]:.1f}-{d.rec_hi[r]:.1f} months"
        # the offer against the sentence a trial would really bring (this court, this case, the mitigation),
        # and against the prosecutor's framing of it
        truth = float(Judge.contested_sentence(self.model, np.array([r]))[0])
        below_truth = 1.0 - d.rec[r] / truth
        below_framed = 1.0 - d.rec[r] / d.framed_T[r]
        text = (
            f"Meets {who}. Believes a trial would bring {d.belief_T[r]:.1f} months (truth: {truth:.1f}) "
            f"and "
            f"conviction is {100 * d.belief_p[r]:.0f}% likely (truth: {100 * d.p_conv[r]:.0f}%). "
            f"Offer: {rec}: "
            f"{_pct(below_truth)} the {truth:.1f} months a trial would really bring, "
            f"{_pct(below_framed)} the {d.framed_T[r]:.1f} months the prosecutor spoke of. "
        )
        if d.ever_signed[r]:
            text += "Signs the plea agreement with the lawyer present"
            text += (
                " — but would have refused knowing the truth without pressure (involuntary)."
                if d.involuntary[r]
                else " (voluntarily)."
            )
        else:
            text += "Refuses the offer."
        return text

    def _judgment(self, r: int) -> str:
        d = self.model.docket
        text = f"Judgment: {d.sentence[r]:.1f} months" + (
            " in custody." if d.custodial[r] else ", suspended."
        )
        if d.leniency_judged[r]:
            adopted = " The court adopts the recommendation."
            text += adopted if d.adopted[r] else " The court does not adopt the recommendation."
            if d.suspension_refused[r]:
                text += (
                    " The agreement promised suspension; the court imposes custody: the promise is not kept."
                )
            elif d.promise_unfulfilled[r]:
                text += " The sentence is above what was signed for: the promise is not fulfilled."
        return text

    def _appeal(self, r: int) -> str:
        d = self.model.docket
        parts = []
        if d.technical[r]:
            parts.append(
                "The defendant files a technical appeal to serve the short remainder in the detention house."
            )
        elif d.appealed[r]:
            parts.append("The defendant appeals.")
        if d.protested[r]:
            motive = (
                "",
                " (punitive)",
                " (its recommendation not adopted)",
                " (a sentence off the lawful one)",
            )
            parts.append("The procuratorate protests" + motive[int(d.protest_motive[r])] + ".")
        return " ".join(parts)


def _pct(share: float) -> str:
    """'12% below' or '5% above' (an offer can exceed the true trial sentence when the court is harsh)."""
    return f"{100 * abs(share):.0f}% {'below' if share >= 0 else 'above'}"
