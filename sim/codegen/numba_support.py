"""Scalar helpers that generated numba kernels call (``from ... import *`` there).

Each mirrors a function of the numpy target element by element, so that both
targets compute the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.errors import ModelValueError

__all__ = [
    "_exprel", "_clip", "_int", "_timestep", "_timedarray1", "_timedarray2",
    "_rng_rand", "_rng_randn", "_rng_binomial", "_rng_poisson", "_rng_geometric",
    "_rng_fill_rand", "_rng_fill_randn",
]

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_JIT)
def _exprel(x):
    if abs(x) < 1e-5:
        return 1.0 + x / 2.0 + x * x / 6.0
    return math.expm1(x) / x


@njit(**_JIT)
def _nan_max(a, b):
    # numpy's maximum: NaN wins (Python's max would ignore it, depending on the order)
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@njit(**_JIT)
def _nan_min(a, b):
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


@njit(**_JIT)
def _clip(x, low, high):
    # as np.clip, minimum(maximum(x, low), high): a NaN anywhere gives NaN
    return _nan_min(_nan_max(x, low), high)


@njit(**_JIT)
def _int(x, what):
    # a float outside the int64 range (inf and NaN included) has no integer value: the
    # cast would give an arbitrary number (0 or -2**63, depending on the CPU and on
    # constant folding), so stop with the expression's text instead
    y = np.float64(x)
    if not (-9.223372036854775808e18 <= y < 9.223372036854775808e18):
        raise ModelValueError(what)
    return np.int64(x)


@njit(**_JIT)
def _timestep(t, dt):
    return np.int64(math.floor((t + 1e-3 * dt) / dt))


@njit(**_JIT)
def _timedarray1(t, values, per_second, per_sample):
    ticks = np.int64(np.rint(t * per_second))
    k = ticks // per_sample
    n = values.shape[0]
    if k < 0:
        k = 0
    elif k > n - 1:
        k = n - 1
    return values[k]


@njit(**_JIT)
def _timedarray2(t, i, values, per_second, per_sample):
    ticks = np.int64(np.rint(t * per_second))
    k = ticks // per_sample
    n = values.shape[0]
    if k < 0:
        k = 0
    elif k > n - 1:
        k = n - 1
    return values[k, np.int64(i)]


# --- random numbers: see sim.codegen.random_streams -----------------------------
from sim.codegen.random_streams import (  # noqa: E402,F401
    _rng_binomial,
    _rng_fill_rand,
    _rng_fill_randn,
    _rng_geometric,
    _rng_poisson,
    _rng_rand,
    _rng_randn,
)
