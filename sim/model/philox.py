"""numpy's Philox4x64-10 as a compiled kernel: the words of many streams at once, without a bit generator.

``sim.model.streams`` opens a stream by setting numpy's Philox counter; doing that once per world per day
(actors' streams) or once per remanded case costs a state assignment and a ``random_raw`` call each. These
kernels produce the same words directly from (key, counter), so any range of positions of every world's
stream is one call, and a word no rule reads today is never computed. They follow numpy's conventions
exactly (``tests/test_philox.py`` compares them word for word):

- a block is the 10-round Philox bijection of the 256-bit counter (four 64-bit words, the first the least
  significant) under the 128-bit key, giving four words in order;
- a stream opened at counter ``c`` (numpy's ``buffer_pos = 4``) first increments ``c`` (carrying into the
  next word when a word wraps), so its first four words are the block of ``c + 1``, the next of ``c + 2``.

The 64 x 64 -> 128-bit products are done with 32-bit halves (numba has no 128-bit integer), and every
constant is a ``np.uint64`` so that no step is promoted to float; the round keys are computed once in
Python (``round_keys``), so nothing wraps around in a sum, compiled or not.
"""

from __future__ import annotations

import numpy as np

from sim.model.kernel import helper, jit

ROUNDS = 10
_MUL0 = np.uint64(0xD2E7470EE14C6C93)
_MUL1 = np.uint64(0xCA5A826395121157)
_WEYL = (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B)
_LOW = np.uint64(0xFFFFFFFF)
_TOP = np.uint64(0xFFFFFFFFFFFFFFFF)
_S32 = np.uint64(32)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)


def round_keys(key: np.ndarray) -> np.ndarray:
    """The key of each of the 10 rounds (rows; the key bumped by the Weyl constants, modulo 2**64)."""
    k0, k1 = int(key[0]), int(key[1])
    out = np.empty((ROUNDS, 2), dtype=np.uint64)
    for r in range(ROUNDS):
        out[r, 0], out[r, 1] = (k0 + r * _WEYL[0]) % 2**64, (k1 + r * _WEYL[1]) % 2**64
    return out


@helper
def _mulhilo(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """The high and low 64 bits of the 128-bit product a * b, from 32-bit halves (no partial overflows)."""
    al, ah = a & _LOW, a >> _S32
    bl, bh = b & _LOW, b >> _S32
    ll, lh, hl, hh = al * bl, al * bh, ah * bl, ah * bh
    mid = (ll >> _S32) + (lh & _LOW) + (hl & _LOW)  # < 3 * 2**32
    lo = (ll & _LOW) | ((mid & _LOW) << _S32)
    hi = hh + (lh >> _S32) + (hl >> _S32) + (mid >> _S32)
    return hi, lo


@helper
def block(
    keys: np.ndarray, c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, out: np.ndarray
) -> None:
    """Philox4x64-10 of counter (c0, c1, c2, c3) under ``keys`` (``round_keys``): four words into ``out``."""
    for r in range(ROUNDS):
        hi0, lo0 = _mulhilo(_MUL0, c0)
        hi1, lo1 = _mulhilo(_MUL1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ keys[r, 0], lo1, hi0 ^ c3 ^ keys[r, 1], lo0
    out[0], out[1], out[2], out[3] = c0, c1, c2, c3


@helper
def stream(
    keys: np.ndarray, c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, out: np.ndarray
) -> None:
    """The first ``len(out)`` words of the stream opened at counter (c0, c1, c2, c3), as numpy's
    ``random_raw`` gives them after the counter is set (blocks of c + 1, c + 2, ...; any length)."""
    buf = np.empty(4, dtype=np.uint64)
    for j in range(out.shape[0]):
        if j % 4 == 0:  # the next block: increment the counter, carrying into the next word on a wrap
            if c0 == _TOP:
                c0 = _ZERO
                if c1 == _TOP:
                    c1 = _ZERO
                    if c2 == _TOP:
                        c2 = _ZERO
                        c3 = _ZERO if c3 == _TOP else c3 + _ONE
                    else:
                        c2 = c2 + _ONE
                else:
                    c1 = c1 + _ONE
            else:
                c0 = c0 + _ONE
            block(keys, c0, c1, c2, c3, buf)
        out[j] = buf[j % 4]


@jit
def spans_words(keys: np.ndarray, kind: int, day: int, spans: np.ndarray, out: np.ndarray) -> None:
    """Row w of ``out``: world w's stream (counter [0, day, w, kind], as ``stream`` gives it) at the
    positions of each span (start, width) of ``spans`` in turn, each word computed from its counter: word p
    is lane p % 4 of the block at counter [p // 4 + 1, day, w, kind]."""
    buf = np.empty(4, dtype=np.uint64)
    d, k = np.uint64(day), np.uint64(kind)
    for w in range(out.shape[0]):
        c, last = 0, -1
        for s in range(spans.shape[0]):
            for p in range(spans[s, 0], spans[s, 0] + spans[s, 1]):
                b = p // 4
                if b != last:
                    block(keys, np.uint64(b + 1), d, np.uint64(w), k, buf)
                    last = b
                out[w, c] = buf[p % 4]
                c += 1


@jit
def ranges_words(
    keys: np.ndarray, kind: int, day: int, worlds: np.ndarray, starts: np.ndarray, out: np.ndarray
) -> None:
    """Row i of ``out``: the words at positions ``starts[i]``, ``starts[i] + 1``, ... of world ``worlds[i]``'s
    stream, each computed from its counter (as ``spans_words``); a block is computed once for consecutive
    words of one world that fall in it."""
    buf = np.empty(4, dtype=np.uint64)
    d, k = np.uint64(day), np.uint64(kind)
    last_world, last_block = -1, -1
    for i in range(out.shape[0]):
        w = worlds[i]
        for j in range(out.shape[1]):
            p = starts[i] + j
            b = p // 4
            if b != last_block or w != last_world:
                block(keys, np.uint64(b + 1), d, np.uint64(w), k, buf)
                last_world, last_block = w, b
            out[i, j] = buf[p % 4]


@jit
def remand_words(
    keys: np.ndarray,
    kind: int,
    worlds: np.ndarray,
    days: np.ndarray,
    starts: np.ndarray,
    out: np.ndarray,
) -> None:
    """Case i's block (``out[i]``): the top 32 bits of the words of its stream, counter
    [starts[i], days[i], worlds[i], kind]."""
    width = out.shape[1]
    words = np.empty(width, dtype=np.uint64)
    k = np.uint64(kind)
    for i in range(out.shape[0]):
        stream(keys, np.uint64(starts[i]), np.uint64(days[i]), np.uint64(worlds[i]), k, words)
        for j in range(width):
            out[i, j] = np.uint32(words[j] >> _S32)
