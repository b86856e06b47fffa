"""Observers that give the cases a public face: a Mesa ``Defendant`` agent per case in flight, and the
per-case table (``leniency run --cases``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.actors import Defendant
from sim.model.cases import CaseTable
from sim.model.events import Arrived, Closed

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel


class DefendantAgents:
    """One Mesa agent per case in flight (or per ``sample``-th case, to keep a national page light):
    created on arrival, removed when the case closes."""

    def __init__(self, model: LeniencyModel, sample: int = 1) -> None:
        self.model = model
        self.sample = sample
        self.by_row: dict[int, Defendant] = {}

    def on_arrived(self, event: Arrived) -> None:
        rows = event.rows
        ids = self.model.docket.case_id[rows]
        if self.sample > 1:
            keep = ids % self.sample == 0
            rows, ids = rows[keep], ids[keep]
        for r, cid in zip(rows.tolist(), ids.tolist(), strict=True):
            self.by_row[r] = Defendant(self.model, r, cid)

    def on_closed(self, event: Closed) -> None:
        for r in event.rows.tolist():
            agent = self.by_row.pop(r, None)
            if agent is not None:
                agent.remove()

    def moved(self, old_rows: np.ndarray) -> None:
        """The docket was compacted: row ``i`` now holds what row ``old_rows[i]`` held."""
        agents = self.by_row
        self.by_row = {new: agents[old] for new, old in enumerate(old_rows.tolist()) if old in agents}
        for new, agent in self.by_row.items():
            agent.row = new


class CaseRecorder:
    """The per-case table: one row per closed case."""

    def __init__(self, model: LeniencyModel) -> None:
        self.model = model
        self.table = CaseTable()

    def on_closed(self, event: Closed) -> None:
        m = self.model
        self.table.add(m.docket, event.rows, event.state, m.day, m.count_from)
