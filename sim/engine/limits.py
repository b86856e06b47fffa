"""Batch limits, apart from the designs that use them so the CLI can state them in --help without loading
numpy, pandas and the samplers.

Batches hold at most ``MAX_BATCH`` worlds, and at most ``MAX_BATCH_CASES_PER_DAY`` cases arriving a day over
all their worlds (memory follows the cases in flight: ~2,000 a day keeps a batch's docket well under 100 MB).
Replications of one point batch up to ``REPLICATION_BATCH`` (more rarely pays: a block of replications is also
the step of a --target-ci extension); design points up to ``MAX_BATCH``.
"""

MAX_BATCH = 128
REPLICATION_BATCH = 64
MAX_BATCH_CASES_PER_DAY = 2000.0
