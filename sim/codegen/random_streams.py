"""Random streams shared by all targets (provisional: replaced by the Philox streams)."""

from __future__ import annotations

from numba import njit

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_JIT)
def _rng_rand(key0, key1, site, step, index):
    raise NotImplementedError("random numbers on the numba target")


@njit(**_JIT)
def _rng_randn(key0, key1, site, step, index):
    raise NotImplementedError("random numbers on the numba target")


@njit(**_JIT)
def _rng_binomial(n, p, key0, key1, site, step, index):
    raise NotImplementedError("random numbers on the numba target")


@njit(**_JIT)
def _rng_poisson(lam, key0, key1, site, step, index):
    raise NotImplementedError("random numbers on the numba target")
