"""Random functions of generated code, per target, over the Philox streams.

A kernel with random call sites receives ``_rng_keys`` (one key per call site,
from :func:`sim.random.stream_keys`) and the clock step; each call draws the
counter ``(step, element index, draw 0)`` of its site's stream.  The numpy and
numba versions return bit-identical numbers (see :mod:`sim.codegen.philox`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "_rng_rand", "_rng_randn", "_rng_binomial", "_rng_poisson", "_rng_geometric",
    "_rng_fill_rand", "_rng_fill_randn",
    "np_rand", "np_randn", "np_binomial", "np_poisson", "np_geometric",
]

#: ``geometric(p)`` for p <= 0: "never" (a count no run reaches).
NEVER = 2**62


# --- numpy: whole arrays of elements -----------------------------------------------
def _philox():
    from sim.codegen import philox  # imported on first use: it loads numba

    return philox


def np_rand(key, step, elements):
    return _philox().uniform((int(key[0]), int(key[1])), int(step), elements)


def np_randn(key, step, elements):
    return _philox().normal((int(key[0]), int(key[1])), int(step), elements)


def np_binomial(n, p, key, step, elements):
    n = np.broadcast_to(np.asarray(n).astype(np.int64), np.shape(elements))
    p = np.broadcast_to(np.asarray(p, dtype=float), np.shape(elements))
    return _philox().binomial(n, p, (int(key[0]), int(key[1])), int(step), elements)


def np_poisson(lam, key, step, elements):
    lam = np.broadcast_to(np.asarray(lam, dtype=float), np.shape(elements))
    return _philox().poisson(lam, (int(key[0]), int(key[1])), int(step), elements)


def np_geometric(p, key, step, elements):
    """Failures before the first success of Bernoulli(p) trials: floor(log(u)/log(1-p))
    with u in (0, 1], using the streams' own log (bit-identical to the numba version)."""
    ph = _philox()
    u = 1.0 - ph.uniform((int(key[0]), int(key[1])), int(step), elements)
    p = np.broadcast_to(np.asarray(p, dtype=float), np.shape(elements))
    safe = np.clip(p, 1e-300, 0.5)
    small = p <= 0.5
    # log(1 - p) for p <= 0.5 directly; above, through log(q) with q = 1 - p exact enough
    log_q = np.where(small, ph.det_log(1.0 - safe), ph.det_log(np.clip(1.0 - p, 1e-300, 1)))
    with np.errstate(divide="ignore", invalid="ignore"):  # p = 0 is replaced below
        counts = np.floor(ph.det_log(u) / log_q)
    counts = np.where(p >= 1.0, 0.0, np.where(p <= 0.0, float(NEVER), counts))
    return np.minimum(counts, float(NEVER)).astype(np.int64)


# --- numba: one element per call ------------------------------------------------------
try:
    from numba import njit
except ImportError:  # pragma: no cover - numpy-only installations
    njit = None

if njit is not None:
    from sim.codegen.philox import (
        binomial_scalar,
        det_log_scalar,
        fill_normal,
        fill_uniform,
        normal_scalar,
        poisson_scalar,
        uniform_scalar,
    )

    #: a tile of numbers of a contiguous range (the block path of the kernels)
    _rng_fill_rand = fill_uniform
    _rng_fill_randn = fill_normal

    _JIT = dict(cache=True, nogil=True, error_model="numpy")
    @njit(**_JIT)
    def _rng_rand(keys, site, step, index):
        return uniform_scalar(keys[site, 0], keys[site, 1], step, index, 0)

    @njit(**_JIT)
    def _rng_randn(keys, site, step, index):
        return normal_scalar(keys[site, 0], keys[site, 1], step, index, 0)

    @njit(**_JIT)
    def _rng_binomial(n, p, keys, site, step, index):
        return binomial_scalar(np.int64(n), p, keys[site, 0], keys[site, 1], step, index, 0)

    @njit(**_JIT)
    def _rng_poisson(lam, keys, site, step, index):
        return poisson_scalar(lam, keys[site, 0], keys[site, 1], step, index, 0)

    @njit(**_JIT)
    def _rng_geometric(p, keys, site, step, index):
        if p >= 1.0:
            return np.int64(0)
        if p <= 0.0:
            return np.int64(NEVER)
        u = 1.0 - uniform_scalar(keys[site, 0], keys[site, 1], step, index, 0)
        if p <= 0.5:
            log_q = det_log_scalar(1.0 - max(p, 1e-300))
        else:
            log_q = det_log_scalar(max(1.0 - p, 1e-300))
        count = math.floor(det_log_scalar(u) / log_q)
        return np.int64(min(count, float(NEVER)))
