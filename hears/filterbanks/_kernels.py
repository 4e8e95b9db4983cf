"""Compiled (numba) kernels of the linear filterbanks.

Second-order-section cascades
-----------------------------
Channels are processed in *groups* of ``W`` lanes. For each call and group, the coefficients
and state of the group's channels are copied into one small local block::

    [ v (W) | section 0: b0 b1 b2 a1 a2 z0 z1 (7 W) | section 1 ... ]

where ``v`` is the signal passing through the cascade and ``z0``, ``z1`` the transposed direct
form II state of each section. Every access in the hot loop is ``loc[o + q*W + j]`` with a
compile-time ``W`` and non-negative offsets, so the loop over the ``W`` lanes of a group is a
plain SIMD loop (one base pointer, constant distances: no aliasing checks). Time is the outer
loop (per group), sections next, lanes innermost; the state is written back to the
``(nsections, 2, nchannels)`` state array at the end of each call, so chunks of any size give
bit-identical output. Each section computes, as ``scipy.signal.sosfilt`` does::

    y  = b0*x + z0
    z0 = b1*x - a1*y + z1
    z1 = b2*x - a2*y

The coefficients are read from ``(nchannels, 3, nsections)`` arrays ``b`` and ``a`` (divided
by ``a[:, 0, :]`` unless it is 1) at the start of every call, so filters whose coefficients
change between chunks (time-varying filters) need no other bookkeeping. Large calls run the
groups in parallel (numba ``prange``), in time blocks of ``TBLOCK`` samples so that the output
block being written stays in cache. No fastmath: the output does not depend on the chunking,
the number of threads or the group a channel falls in.

FIR (direct form)
-----------------
``y[t, c] = sum_k h[c, k] * x[t - k, c]`` summed for ``k = 0 .. L-1`` in that order, over an
input extended by the last ``L-1`` samples of the previous chunk.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: lanes per channel group (a multiple of the SIMD width of every current CPU)
W = 32
#: values per section in a group's local block
_SEC = 7 * W


@njit(cache=True, nogil=True, inline="always")
def _sos_group(x, y, fb, fa, z, g):  # pragma: no cover - compiled
    """Run group ``g`` (channels ``g*W`` to ``g*W + W``) over all samples of ``x``."""
    nt = y.shape[0]
    nch = y.shape[1]
    nsec = fb.shape[2]
    mono = x.shape[1] == 1
    c0 = g * W
    w = min(W, nch - c0)
    loc = np.zeros(W + nsec * _SEC, dtype=y.dtype)
    for k in range(nsec):
        o = W + k * _SEC
        for j in range(w):
            c = c0 + j
            a0 = fa[c, 0, k]
            if a0 == 1.0:
                loc[o + j] = fb[c, 0, k]
                loc[o + W + j] = fb[c, 1, k]
                loc[o + 2 * W + j] = fb[c, 2, k]
                loc[o + 3 * W + j] = fa[c, 1, k]
                loc[o + 4 * W + j] = fa[c, 2, k]
            else:
                loc[o + j] = fb[c, 0, k] / a0
                loc[o + W + j] = fb[c, 1, k] / a0
                loc[o + 2 * W + j] = fb[c, 2, k] / a0
                loc[o + 3 * W + j] = fa[c, 1, k] / a0
                loc[o + 4 * W + j] = fa[c, 2, k] / a0
            loc[o + 5 * W + j] = z[k, 0, c]
            loc[o + 6 * W + j] = z[k, 1, c]
    for t in range(nt):
        if mono:
            xv = x[t, 0]
            for j in range(W):
                loc[j] = xv
        else:
            for j in range(w):
                loc[j] = x[t, c0 + j]
        for k in range(nsec):
            o = W + k * _SEC
            for j in range(W):
                xi = loc[j]
                yi = loc[o + j] * xi + loc[o + 5 * W + j]
                loc[o + 5 * W + j] = (loc[o + W + j] * xi - loc[o + 3 * W + j] * yi
                                      + loc[o + 6 * W + j])
                loc[o + 6 * W + j] = loc[o + 2 * W + j] * xi - loc[o + 4 * W + j] * yi
                loc[j] = yi
        for j in range(w):
            y[t, c0 + j] = loc[j]
    for k in range(nsec):
        o = W + k * _SEC
        for j in range(w):
            z[k, 0, c0 + j] = loc[o + 5 * W + j]
            z[k, 1, c0 + j] = loc[o + 6 * W + j]


@njit(cache=True, nogil=True)
def _sos_serial(x, y, fb, fa, z):  # pragma: no cover - compiled
    for g in range((y.shape[1] + W - 1) // W):
        _sos_group(x, y, fb, fa, z, g)


@njit(cache=True, parallel=True)
def _sos_parallel(x, y, fb, fa, z):  # pragma: no cover - compiled
    for g in prange((y.shape[1] + W - 1) // W):
        _sos_group(x, y, fb, fa, z, g)


@njit(cache=True, nogil=True)
def _fir_direct(ext, h, y):  # pragma: no cover - compiled
    # ext: (L-1+nt, nch) input with history; h: (L, nh) taps, nh == 1 or nch; y: (nt, nch)
    nt, nch = y.shape
    ntaps = h.shape[0]
    shared = h.shape[1] == 1
    for t in range(nt):
        for c in range(nch):
            y[t, c] = 0.0
        for k in range(ntaps):
            row = t + ntaps - 1 - k
            if shared:
                hk = h[k, 0]
                for c in range(nch):
                    y[t, c] += hk * ext[row, c]
            else:
                for c in range(nch):
                    y[t, c] += h[k, c] * ext[row, c]


#: channel-samples per call above which the parallel SOS kernel is used
PARALLEL_THRESHOLD = 1 << 15
#: long inputs are run in blocks of this many samples (the output block stays in cache)
TBLOCK = 256


def sos_filter(x: np.ndarray, fb: np.ndarray, fa: np.ndarray, z: np.ndarray,
               out: np.ndarray, nthreads: int) -> None:
    """Run the SOS cascades on ``x`` (``(nt, 1)`` or ``(nt, nch)``) into ``out``
    (``(nt, nch)``), updating the state ``z`` (``(nsections, 2, nch)``)."""
    nt, nch = out.shape
    if nthreads > 1 and nch > W and nt * nch >= PARALLEL_THRESHOLD:
        for t0 in range(0, nt, TBLOCK):
            t1 = min(nt, t0 + TBLOCK)
            _sos_parallel(x[t0:t1], out[t0:t1], fb, fa, z)
    else:
        for t0 in range(0, nt, 8 * TBLOCK):
            t1 = min(nt, t0 + 8 * TBLOCK)
            _sos_serial(x[t0:t1], out[t0:t1], fb, fa, z)


def fir_direct(ext: np.ndarray, h: np.ndarray, out: np.ndarray) -> None:
    """Direct-form FIR: ``out[t] = sum_k h[k] * ext[t + L-1 - k]`` for taps ``h`` of shape
    ``(L, 1 or nch)`` and an input ``ext`` extended by ``L-1`` samples of history."""
    _fir_direct(ext, h, out)
