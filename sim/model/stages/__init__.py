"""One handler per procedural stage. A handler takes the docket rows whose next step falls due today, changes
their state, schedules what comes next and emits events (``sim.model.events``) for the observers."""

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from sim.model.stages.appeal import appeal_end, second_instance
from sim.model.stages.casework_kernels import Due
from sim.model.stages.review import arrive, charge, plea_hearing, review_start
from sim.model.stages.trial import trial

if TYPE_CHECKING:
    from sim.model.model import LeniencyModel

Handler = Callable[["LeniencyModel", np.ndarray], None]

# In the order a day runs them (the order of Due).
HANDLERS: tuple[tuple[Due, Handler], ...] = (
    (Due.REVIEW_START, review_start),
    (Due.PLEA_HEARING, plea_hearing),
    (Due.CHARGE, charge),
    (Due.TRIAL, trial),
    (Due.APPEAL_END, appeal_end),
    (Due.SECOND_INSTANCE, second_instance),
)

__all__ = ["HANDLERS", "Due", "Handler", "arrive"]
