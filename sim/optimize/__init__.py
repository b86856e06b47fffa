"""Where the next hour of review does the most good: continuous reform levers and triage policies with their
costs, and a multi-objective search over them under an hours budget (``leniency optimize``)."""
