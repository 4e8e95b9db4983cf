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


def _key(key) -> tuple[int, int]:
    return int(key[0]), int(key[1])


def _flat_elements(elements) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(elements, dtype=np.int64).ravel())


def np_rand(key, step, elements):
    if _BATCH:  # compiled once: small groups cost a call, not numpy's per-array overhead
        idx = _flat_elements(elements)
        out = np.empty(idx.size)
        _batch_rand(*_key(key), np.int64(step), idx, out)
        return out.reshape(np.shape(elements))
    return _philox().uniform(_key(key), int(step), elements)


def np_randn(key, step, elements):
    if _BATCH:
        idx = _flat_elements(elements)
        out = np.empty(idx.size)
        _batch_randn(*_key(key), np.int64(step), idx, out)
        return out.reshape(np.shape(elements))
    return _philox().normal(_key(key), int(step), elements)


def np_binomial(n, p, key, step, elements):
    n = np.broadcast_to(np.asarray(n).astype(np.int64), np.shape(elements))
    p = np.broadcast_to(np.asarray(p, dtype=float), np.shape(elements))
    if _BATCH and n.size:
        if n.min() < 0 or n.max() >= 2**53:
            raise ValueError("binomial: n must satisfy 0 <= n < 2**53")
        if not (np.all(p >= 0.0) and np.all(p <= 1.0)):
            raise ValueError("binomial: p must be in [0, 1]")
        idx = _flat_elements(elements)
        out = np.empty(idx.size, dtype=np.int64)
        _batch_binomial(np.ascontiguousarray(n.ravel()), np.ascontiguousarray(p.ravel()),
                        *_key(key), np.int64(step), idx, out)
        return out.reshape(np.shape(elements))
    return _philox().binomial(n, p, _key(key), int(step), elements)


def np_poisson(lam, key, step, elements):
    lam = np.broadcast_to(np.asarray(lam, dtype=float), np.shape(elements))
    if _BATCH and lam.size:
        if not (lam.min() >= 0.0 and lam.max() < 2.0**52):
            raise ValueError("poisson: lam must satisfy 0 <= lam < 2**52 (and not be NaN)")
        idx = _flat_elements(elements)
        out = np.empty(idx.size, dtype=np.int64)
        _batch_poisson(np.ascontiguousarray(lam.ravel()), *_key(key), np.int64(step), idx, out)
        return out.reshape(np.shape(elements))
    return _philox().poisson(lam, _key(key), int(step), elements)


def np_geometric(p, key, step, elements):
    """Failures before the first success of Bernoulli(p) trials: floor(log(u)/log(1-p))
    with u in (0, 1], using the streams' own log (bit-identical to the numba version)."""
    p = np.broadcast_to(np.asarray(p, dtype=float), np.shape(elements))
    if _BATCH:
        idx = _flat_elements(elements)
        out = np.empty(idx.size, dtype=np.int64)
        _batch_geometric(np.ascontiguousarray(p.ravel()), *_key(key), np.int64(step), idx,
                         out)
        return out.reshape(np.shape(elements))
    ph = _philox()
    u = 1.0 - ph.uniform(_key(key), int(step), elements)
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

    # --- batches for the numpy target: the same numbers, one compiled call per array
    @njit(**_JIT)
    def _consecutive(idx):
        for m in range(1, idx.shape[0]):
            if idx[m] != idx[0] + m:
                return False
        return True

    @njit(**_JIT)
    def _batch_rand(k0, k1, step, idx, out):
        if idx.shape[0] > 0 and _consecutive(idx):
            fill_uniform(out, k0, k1, step, idx[0], 0)
        else:
            for m in range(idx.shape[0]):
                out[m] = uniform_scalar(k0, k1, step, idx[m], 0)

    @njit(**_JIT)
    def _batch_randn(k0, k1, step, idx, out):
        if idx.shape[0] > 0 and _consecutive(idx):
            fill_normal(out, k0, k1, step, idx[0], 0)
        else:
            for m in range(idx.shape[0]):
                out[m] = normal_scalar(k0, k1, step, idx[m], 0)

    @njit(**_JIT)
    def _batch_binomial(n, p, k0, k1, step, idx, out):
        for m in range(idx.shape[0]):
            out[m] = binomial_scalar(n[m], p[m], k0, k1, step, idx[m], 0)

    @njit(**_JIT)
    def _batch_poisson(lam, k0, k1, step, idx, out):
        for m in range(idx.shape[0]):
            out[m] = poisson_scalar(lam[m], k0, k1, step, idx[m], 0)

    @njit(**_JIT)
    def _batch_geometric(p, k0, k1, step, idx, out):
        keys = np.empty((1, 2), dtype=np.int64)
        keys[0, 0] = k0
        keys[0, 1] = k1
        for m in range(idx.shape[0]):
            out[m] = _rng_geometric(p[m], keys, 0, step, idx[m])

    _BATCH = True
else:  # pragma: no cover - numpy-only installations
    _BATCH = False
