"""What the worker pools' forkserver loads before it forks a worker (``executors.local_processes``): the
model's modules and its compiled kernels. A worker forked from it has both from its first run on, instead of
importing Mesa, pandas and the model and loading every kernel from the cache itself (~1.5 s of CPU a worker,
each time a pool starts); with an empty cache the kernels are compiled here once, not in every worker."""

from __future__ import annotations

import contextlib


def load() -> None:
    from sim.model import simulate
    from sim.model.run import every_kernel_scenarios

    for scenario in every_kernel_scenarios():
        simulate(scenario, 1, daily=False)


with contextlib.suppress(
    Exception
):  # the forkserver must start whatever happens here: workers load their own
    load()
