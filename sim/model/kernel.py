"""The compiled kernels' common ground: the ``jit`` decorator and the per-case draws read inside a kernel.

A kernel is a plain Python function over docket rows (a loop, one case at a time, every step of a decision
fused) compiled by numba. There is one implementation: with ``NUMBA_DISABLE_JIT=1`` the same source runs as
Python, for debugging (``tests/test_kernel.py`` checks that both give the same numbers).

Conventions that keep the compiled and the uncompiled run equal, and both close to numpy's arithmetic:
- mirror numpy's dtype at every step: where numpy computed in float64, widen a float32 column with
  ``np.float64(x)`` (compiled, ``float(x)`` of a float32 stays float32 and ``math.exp`` of it is ``expf``);
  where numpy computed in float32 (a float32 array with a Python float, a comparison with one), compute in
  float32 (``np.float32(c) * x``); writing a float64 into a float32 column rounds as ``astype`` does;
- no fastmath (no reassociation, no fused multiply-add): each operation is rounded as numpy rounds it;
- ``exp``, ``log`` and ``pow`` are the C library's (``math``); numpy's vectorised ones differ from it in the
  last bit for a few inputs in a hundred, so a case exactly at a decision threshold may fall the other way;
- a parameter that may differ between worlds (``PER_WORLD``) arrives as an array over the worlds
  (``LeniencyModel.per_world``) and is read at the case's world, ``district // districts_per_world``.

Compiled functions are cached on disk (``cache=True``, in ``cache_dir()``): the first run after an install,
or after any change to ``sim/model``, compiles them once. What keeps that first compile short
(``tests/test_kernel.py`` checks that every kernel compiles once):
- a function only kernels call is a ``helper`` (no Python wrapper, which every caller compiled again);
- every call of a kernel passes arguments of one type: the same dtype (convert at the call site where that
  is exact), whole contiguous arrays, a counter table with the column to count in rather than a column of it
  (one world's column is contiguous, several worlds' strided), no read-only broadcast views;
- a count begun at a literal 0 and passed to a helper compiles it twice (once for ``Literal[int](0)`` while
  numba infers the loop): pass ``values[:k]`` instead;
- no slice assignment (``a[1:] = b[:-1]``) and no ``np.round`` of a scalar (``round``): they compile numpy's
  broadcasting and decimals machinery, seconds each.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import llvmlite.binding
import numba
import numpy as np
from numba import types
from numba.core.registry import CPUDispatcher
from numba.extending import get_cython_function_address

JIT_DISABLED = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")


def cache_dir() -> Path:
    """Where compiled kernels are kept: one folder per version of the model's source.

    numba checks a cached kernel against its own file only, not against the kernels it calls in other
    files (``uniform32`` here, a helper of another actor); keying the folder by every source file of
    ``sim.model`` makes any change to any of them compile afresh. Under ``$NUMBA_CACHE_DIR`` if set, else
    the user's cache folder."""
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "leniency-sim"
    )
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return Path(base) / f"kernels-{digest.hexdigest()[:16]}"


numba.config.CACHE_DIR = str(cache_dir())  # type: ignore[attr-defined]  # read when a kernel is declared


_OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy", "no_cfunc_wrapper": True}


def jit[F: Callable[..., Any]](fn: F) -> F:
    """Compile ``fn`` (cached on disk; numpy's error model: a division by zero gives inf or nan). Without the
    C-callable wrapper (``no_cfunc_wrapper``: only for passing a kernel to a kernel as a first-class function,
    which none does), which cost compile time in every kernel and again in every caller that links it."""
    return cast(F, numba.njit(cache=True, **_OPTIONS)(fn))


class _Helper(CPUDispatcher):
    """A ``helper``'s dispatcher: kernels call its wrapper-less compiled code; a call from Python (a test)
    goes to a twin compiled with the wrapper (not cached: a cache entry is keyed by signature, not by the
    wrapper, and a wrapper-less entry run from Python crashes)."""

    _twin: Any = None

    def __call__(self, *args: Any) -> Any:
        if self._twin is None:
            self._twin = numba.njit(**_OPTIONS)(self.py_func)
        return self._twin(*args)


def helper[F: Callable[..., Any]](fn: F) -> F:
    """Compile ``fn``, a function that kernels call (a draw, a rule, a sum), as ``jit`` but without the
    wrapper that lets Python call it: numba links a callee's whole library, wrapper included, into every
    kernel that calls it and compiles it there again (~2 s of a first run's compile, measured when 27
    functions became helpers). A call from Python still works (``_Helper``), compiled afresh in each
    process: for tests only."""
    if JIT_DISABLED:
        return fn
    dispatcher = _Helper(py_func=fn, locals={}, targetoptions={**_OPTIONS, "no_cpython_wrapper": True})
    dispatcher.enable_caching()
    return cast(F, dispatcher)


# scipy's own inverse normal CDF (the function ``scipy.special.ndtri`` calls), callable from a kernel: the
# same bits as the uncompiled streams. Bound by symbol name, so a kernel that calls it can be cached.
llvmlite.binding.add_symbol(
    "leniency_ndtri", get_cython_function_address("scipy.special.cython_special", "ndtri")
)
_ndtri: Any = types.ExternalFunction("leniency_ndtri", types.float64(types.float64))
if JIT_DISABLED:
    from scipy.special import ndtri as _ndtri_py

    def _ndtri(u: float) -> float:
        return float(_ndtri_py(u))


_U32 = 2.0**-32


@helper
def uniform32(word: Any) -> float:
    """A behavioural word as a uniform on the open interval (0, 1), centred in its cell (as
    ``sim.model.streams.uniform``)."""
    return (np.float64(word) + 0.5) * _U32


@helper
def normal32(word: Any) -> float:
    """A behavioural word as a standard normal (exact inverse CDF of its uniform)."""
    return _ndtri((np.float64(word) + 0.5) * _U32)


@helper
def exponential32(word: Any, scale: float) -> float:
    """A behavioural word as an exponential with mean ``scale``."""
    return -math.log((np.float64(word) + 0.5) * _U32) * scale


@helper
def uniform52(word: Any) -> float:
    """A 64-bit word (an actor's draw of the day, a new case's fact) as a uniform on (0, 1): its top 52
    bits, centred in their cell (as ``ActorDraws.uniform`` and ``Arrivals.uniform``)."""
    return (float(word >> np.uint64(12)) + 0.5) * 2.0**-52


@helper
def normal52(word: Any) -> float:
    """A 64-bit word as a standard normal (as ``ActorDraws.normal`` and ``Arrivals.normal``): ``normal32``
    of the value that ``normal32`` opens to the same uniform, exactly (its top 52 bits and a half, scaled
    by 2**-20, less the half ``normal32`` adds back: every step exact in float64). ``normal32``'s steps are
    written out here: called with a float64 it compiled once more."""
    x = (float(word >> np.uint64(12)) + 0.5) * 2.0**-20 - 0.5
    return _ndtri((x + 0.5) * _U32)


__all__ = ["JIT_DISABLED", "exponential32", "helper", "jit", "normal32", "normal52", "uniform32", "uniform52"]
