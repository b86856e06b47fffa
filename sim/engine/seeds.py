"""Every seed the engine hands a model, by one rule: the first 63 bits of a ``SeedSequence`` whose entropy
is the experiment's seed and whose spawn key names what the seed is for (``seed_of``). What it is for
decides the key:

- a run (``run_seed``): the design point and the replication, never the arm (common random numbers);
- a batch of replications (``batch_seed``) or of design points (``points_batch_seed``): the points and
  replications it holds, never the arm;
- a list of independent seeds (``seed_list``): its stream (fit, check, ...), then the i-th of its words;
- a block of seeds from such a list (``Blocks``): the block's own seeds as the entropy; a block of one is the
  run on its seed.

So a figure depends on the inputs alone: not on the order of execution, the other scenarios run beside it, the
number of workers or the machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import numpy as np


def seed_of(ss: np.random.SeedSequence) -> int:
    """A seed sequence's first 64 bits as a non-negative 63-bit int (the form every run and batch seed
    takes)."""
    state = ss.generate_state(2, np.uint32)
    return int((int(state[0]) << 32 | int(state[1])) >> 1)


def seed_list(entropy: int, n: int, stream: int = 0) -> list[int]:
    """``n`` independent integer seeds from a SeedSequence; stream 0 = fit seeds, 1 = check seeds."""
    return [int(s) for s in np.random.SeedSequence(entropy, spawn_key=(stream,)).generate_state(n)]


def run_seed(master_seed: int, key: int, replication: int) -> int:
    """The seed of one run: ``SeedSequence(master_seed, spawn_key=(point, replication))`` as a 63-bit int.

    It depends on the design point and the replication only — not on the arm (common random numbers), the
    order of execution or the number of workers."""
    return seed_of(np.random.SeedSequence(master_seed, spawn_key=(key, replication)))


def batch_seed(master_seed: int, key: int, size: int, block: int) -> int:
    """The seed of one batch of ``size`` worlds (replications ``block * size`` on of a design point): as
    ``run_seed``, a function of the point and the replications only, the same for every arm."""
    return seed_of(np.random.SeedSequence(master_seed, spawn_key=(key, size, block, 1)))


def points_batch_seed(master_seed: int, keys: list[int], replication: int) -> int:
    """The seed of one batch of design points (``keys``, in world order) at one replication: a function of
    those points and the replication only, the same for every arm."""
    block = int.from_bytes(hashlib.sha256(json.dumps(keys).encode()).digest()[:8], "big") >> 1
    return seed_of(np.random.SeedSequence(master_seed, spawn_key=(block, len(keys), replication, 2)))


class Blocks:
    """Seeds in blocks of at most ``size``, each block the worlds of one model.

    A block's seed is a function of its seeds alone, so world i of a block sees the same cases under every
    scenario run on it (common random numbers, as between the arms of a batched sweep), and a scenario's
    figures do not depend on which other scenarios ran or on the workers. With ``size`` 1 each seed is an
    ordinary run on that seed."""

    def __init__(self, seeds: Sequence[int], size: int) -> None:
        self.all = [int(s) for s in seeds]
        self.size = max(1, min(int(size), len(self.all)))

    @property
    def count(self) -> int:
        return -(-len(self.all) // self.size)

    def of(self, seed: int) -> int:
        return self.all.index(seed) // self.size

    def seeds(self, block: int) -> list[int]:
        return self.all[block * self.size : (block + 1) * self.size]

    def seed(self, block: int) -> int:
        if self.size == 1:
            return self.all[block]
        return seed_of(np.random.SeedSequence(self.seeds(block)))
