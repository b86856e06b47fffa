"""The compiled Philox (sim.model.philox) gives numpy's Philox4x64-10 words bit for bit: the streams it
replaced were numpy's bit generator opened at a counter, so any difference would change every run."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import philox
from sim.model.streams import BLOCK_WIDTH, SLOTS, Kind, Streams

TOP = 2**64 - 1
STRIDE = -(-BLOCK_WIDTH // 4)  # counter steps per remand block (streams.refill)


def numpy_words(key: np.ndarray, counter: list[int], n: int) -> np.ndarray:
    """numpy's words of the stream opened at ``counter`` (state set, buffer empty), as streams.open did."""
    bits = np.random.Philox(key=key)
    st = bits.state
    st["state"]["counter"] = np.array(counter, dtype=np.uint64)
    st["buffer_pos"], st["has_uint32"], st["uinteger"] = 4, 0, 0
    bits.state = st
    return bits.random_raw(n)


def kernel_words(key: np.ndarray, counter: list[int], n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.uint64)
    philox.stream(philox.round_keys(key), *(np.uint64(c) for c in counter), out)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_stream_equals_numpy_for_random_keys_counters_and_lengths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        key = rng.integers(0, 2**64, 2, dtype=np.uint64, endpoint=False)
        counter = [int(c) for c in rng.integers(0, 2**64, 4, dtype=np.uint64)]
        for i in range(4):  # words at their top, so incrementing carries into the next ones
            if rng.random() < 0.4:
                counter[i] = TOP
        n = int(rng.integers(1, 42))  # mostly not a multiple of four
        np.testing.assert_array_equal(kernel_words(key, counter, n), numpy_words(key, counter, n))


@pytest.mark.parametrize(
    "counter",
    [
        [TOP, 0, 0, 0],  # carry into the second word
        [TOP, TOP, 5, 1],  # into the third
        [TOP, TOP, TOP, 7],  # into the fourth
        [TOP, TOP, TOP, TOP],  # the whole counter wraps to zero
        [TOP - 1, TOP, 3, 2],  # a carry on the second block, not the first
        [0, 0, 0, 0],
    ],
)
def test_stream_carries_across_the_counter_words(counter: list[int]) -> None:
    key = np.random.SeedSequence(7).generate_state(2, np.uint64)
    for n in (1, 3, 4, 5, 11):
        np.testing.assert_array_equal(kernel_words(key, counter, n), numpy_words(key, counter, n))


def test_block_is_the_known_answer() -> None:
    """Random123's known-answer vector for Philox4x64-10 (counter and key all ones' complement of zero)."""
    keys = philox.round_keys(np.array([TOP, TOP], dtype=np.uint64))
    out = np.empty(4, dtype=np.uint64)
    philox.block(keys, *(np.uint64(TOP) for _ in range(4)), out)
    expected = [0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0]
    assert [int(x) for x in out] == expected


@pytest.mark.parametrize("seed", [1, 42, 2**40 + 3])
def test_actors_and_refill_equal_the_bit_generator_opened_per_stream(seed: int) -> None:
    """Streams.actors and Streams.refill give the words of numpy's generator opened per world / per case."""
    s = Streams(seed)
    for kind, day in ((Kind.SETUP, 0), (Kind.STAFF, 1), (Kind.STAFF, 367)):
        draws = s.actors(kind, day, 5, 6, 9, 3)
        stream = "staff" if kind == Kind.STAFF else "setup"
        got = np.hstack([draws.words(x.name).reshape(5, -1) for x in SLOTS if x.stream == stream])
        for w in range(5):
            s.open(kind, w, day)
            np.testing.assert_array_equal(got[w], s.bits.random_raw(got.shape[1]))
    worlds, days, seqs = np.array([0, 3, 3, 1]), np.array([4, 4, 200, 0]), np.array([0, 17, 2, 5])
    got = s.refill(worlds, days, seqs)
    assert got.shape == (4, BLOCK_WIDTH)
    for i in range(4):
        s.open(Kind.REMAND, int(worlds[i]), int(days[i]), position=int(seqs[i]) * STRIDE)
        expected = (s.bits.random_raw(BLOCK_WIDTH) >> np.uint64(32)).astype(np.uint32)
        np.testing.assert_array_equal(got[i], expected)
