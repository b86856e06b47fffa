"""The evaluation engine: the one way anything above the model runs it.

Its unit of work is a ``Unit`` (a scenario, a block seed, the number of worlds and each world's
overrides), which gives one result per world; an unbatched run is a unit of one world. Sweeps, calibration,
the posterior, the search and the bench build units and hand them to ``run_units`` on an executor
(``executors``: local processes or Dask); the seeds of every unit follow ``seeds``, and how many worlds a
unit holds follows ``batching``.

Kept light: importing ``sim.engine`` (or ``sim.engine.limits``) loads neither numpy nor the model."""
