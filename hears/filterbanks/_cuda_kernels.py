"""CUDA kernels of the linear filterbanks, and their device-side state.

Second-order-section cascades on the device: one thread per channel, samples in
sequence, the cascade's coefficients and state in registers (the source is
generated per number of sections and per float type, so the section loop is
unrolled).  Each section is the CPU kernel's transposed direct form II, with the
same operations in the same order::

    y  = b0*x + z0
    z0 = b1*x - a1*y + z1
    z1 = b2*x - a2*y

and the same normalisation by ``a0`` (skipped when it is 1).  Compiled without
FMA contraction, the output equals the CPU kernel's bit for bit (tested through
the runtime's host backend).  Samples are time-major, ``x[t, c]``, so the threads
of a warp read and write consecutive addresses at each sample.

:class:`DeviceSOS` keeps a filterbank's state on the device between chunks; the
coefficients are copied at every chunk (``nchannels * 6 * nsections`` values), so
that coefficients changed in place between chunks (time-varying filters) act
from the next chunk, as on the CPU.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sos_source", "DeviceSOS", "fir_source", "DeviceFIR"]

#: threads per block
BLOCK = 128


def sos_source(nsections: int, dtype) -> str:
    """CUDA C of the cascade kernel ``hs_sos`` for ``nsections`` sections."""
    real = {np.dtype(np.float64): "double", np.dtype(np.float32): "float"}[np.dtype(dtype)]
    k = int(nsections)
    return f"""
typedef {real} real;
#define NSEC {k}
extern "C" __global__ void hs_sos(const real* __restrict__ x, real* __restrict__ y,
                                  const double* __restrict__ fb,
                                  const double* __restrict__ fa,
                                  real* __restrict__ z, long long nt, long long nch,
                                  int mono) {{
    long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= nch) return;
    real b0[NSEC], b1[NSEC], b2[NSEC], a1[NSEC], a2[NSEC], z0[NSEC], z1[NSEC];
#pragma unroll
    for (int k = 0; k < NSEC; ++k) {{
        /* fb, fa: (nch, 3, NSEC); z: (NSEC, 2, nch) */
        /* coefficients are float64 and normalised in float64, then rounded to real,
           as the CPU kernel does */
        double a0 = fa[(c * 3 + 0) * NSEC + k];
        if (a0 == 1.0) {{
            b0[k] = (real)fb[(c * 3 + 0) * NSEC + k];
            b1[k] = (real)fb[(c * 3 + 1) * NSEC + k];
            b2[k] = (real)fb[(c * 3 + 2) * NSEC + k];
            a1[k] = (real)fa[(c * 3 + 1) * NSEC + k];
            a2[k] = (real)fa[(c * 3 + 2) * NSEC + k];
        }} else {{
            b0[k] = (real)(fb[(c * 3 + 0) * NSEC + k] / a0);
            b1[k] = (real)(fb[(c * 3 + 1) * NSEC + k] / a0);
            b2[k] = (real)(fb[(c * 3 + 2) * NSEC + k] / a0);
            a1[k] = (real)(fa[(c * 3 + 1) * NSEC + k] / a0);
            a2[k] = (real)(fa[(c * 3 + 2) * NSEC + k] / a0);
        }}
        z0[k] = z[(k * 2 + 0) * nch + c];
        z1[k] = z[(k * 2 + 1) * nch + c];
    }}
    for (long long t = 0; t < nt; ++t) {{
        real v = mono ? x[t] : x[t * nch + c];
#pragma unroll
        for (int k = 0; k < NSEC; ++k) {{
            real yi = b0[k] * v + z0[k];
            z0[k] = b1[k] * v - a1[k] * yi + z1[k];
            z1[k] = b2[k] * v - a2[k] * yi;
            v = yi;
        }}
        y[t * nch + c] = v;
    }}
#pragma unroll
    for (int k = 0; k < NSEC; ++k) {{
        z[(k * 2 + 0) * nch + c] = z0[k];
        z[(k * 2 + 1) * nch + c] = z1[k];
    }}
}}
"""


class DeviceSOS:
    """A filterbank's cascades on a CUDA backend: device state, coefficients, kernel."""

    def __init__(self, backend, nchannels: int, nsections: int, dtype):
        self.backend = backend
        self.dtype = np.dtype(dtype)
        self.nchannels = int(nchannels)
        self.nsections = int(nsections)
        self.kernel = backend.compile(sos_source(nsections, dtype)).function("hs_sos")
        self.state = backend.zeros((self.nsections, 2, self.nchannels), self.dtype)
        self._fb = backend.zeros((self.nchannels, 3, self.nsections), np.float64)
        self._fa = backend.zeros((self.nchannels, 3, self.nsections), np.float64)

    def reset(self) -> None:
        self.backend.copy_to_device(self.state, np.zeros(self.state.shape, self.dtype))

    def host_state(self) -> np.ndarray:
        return self.backend.to_host(self.state)

    def apply(self, x, fb: np.ndarray, fa: np.ndarray):
        """Filter a chunk ``x`` ((nt, 1) or (nt, nch), a device array); returns the output as
        a device array (nt, nch)."""
        backend = self.backend
        if x.dtype != self.dtype or not x.flags.c_contiguous:
            x = x.astype(self.dtype, order="C")
        nt = int(x.shape[0])
        y = backend.zeros((nt, self.nchannels), self.dtype)
        if nt:
            backend.copy_to_device(self._fb, fb)
            backend.copy_to_device(self._fa, fa)
            grid = ((self.nchannels + BLOCK - 1) // BLOCK,)
            self.kernel(grid, (BLOCK,), (x, y, self._fb, self._fa, self.state, np.int64(nt),
                                         np.int64(self.nchannels),
                                         np.int32(1 if x.shape[1] == 1 else 0)))
        return y


def fir_source(dtype) -> str:
    """CUDA C of the direct FIR kernels: ``hs_fir`` (one thread per output sample and
    channel, ``y[t, c] = sum_k h[k, c] * ext[t + L-1 - k, c]`` summed for ``k = 0 .. L-1``
    in that order, as the CPU kernel) and ``hs_fir_history`` (the last ``L-1`` input rows,
    kept for the next chunk).  ``ext`` is the history followed by the chunk, read from the
    two arrays without joining them."""
    real = {np.dtype(np.float64): "double", np.dtype(np.float32): "float"}[np.dtype(dtype)]
    return f"""
typedef {real} real;
__device__ __forceinline__ real hs_ext(const real* hist, const real* x, long long row,
                                       long long c, long long nh, long long nch, int mono) {{
    if (row < nh) return hist[row * nch + c];
    return mono ? x[row - nh] : x[(row - nh) * nch + c];
}}
extern "C" __global__ void hs_fir(const real* __restrict__ hist, const real* __restrict__ x,
                                  const real* __restrict__ h, real* __restrict__ y,
                                  long long nt, long long nch, long long ntaps, int mono,
                                  int shared) {{
    long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (q >= nt * nch) return;
    long long t = q / nch, c = q % nch;
    real acc = (real)0.0;
    for (long long k = 0; k < ntaps; ++k) {{
        real hk = shared ? h[k] : h[k * nch + c];
        acc += hk * hs_ext(hist, x, t + ntaps - 1 - k, c, ntaps - 1, nch, mono);
    }}
    y[q] = acc;
}}
extern "C" __global__ void hs_fir_history(const real* __restrict__ hist,
                                          const real* __restrict__ x,
                                          real* __restrict__ out, long long nt, long long nch,
                                          long long ntaps, int mono) {{
    long long q = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    long long nh = ntaps - 1;
    if (q >= nh * nch) return;
    long long r = q / nch, c = q % nch;
    out[q] = hs_ext(hist, x, nt + r, c, nh, nch, mono);
}}
"""


class DeviceFIR:
    """A direct-form FIR filterbank on a CUDA backend: taps and input history on the device."""

    def __init__(self, backend, taps: np.ndarray, nchannels: int, dtype):
        self.backend = backend
        self.dtype = np.dtype(dtype)
        self.nchannels = int(nchannels)
        self.ntaps = int(taps.shape[0])
        self.shared = taps.shape[1] == 1
        module = backend.compile(fir_source(dtype))
        self.kernel, self.history_kernel = module.function("hs_fir"), \
            module.function("hs_fir_history")
        self.taps = backend.to_device(np.ascontiguousarray(taps, dtype=self.dtype))
        self.history = backend.zeros((max(self.ntaps - 1, 1), self.nchannels), self.dtype)

    def reset(self) -> None:
        self.backend.copy_to_device(self.history, np.zeros(self.history.shape, self.dtype))

    def apply(self, x):
        """Filter a chunk ``x`` ((nt, 1) or (nt, nch), a device array) into a new device
        array (nt, nch); the history moves on to the chunk's last ``L-1`` rows."""
        backend = self.backend
        if x.dtype != self.dtype or not x.flags.c_contiguous:
            x = x.astype(self.dtype, order="C")
        nt, nch = int(x.shape[0]), self.nchannels
        mono = np.int32(1 if x.shape[1] == 1 and nch > 1 else 0)
        y = backend.zeros((nt, nch), self.dtype)
        if nt:
            n = nt * nch
            self.kernel(((n + BLOCK - 1) // BLOCK,), (BLOCK,),
                        (self.history, x, self.taps, y, np.int64(nt), np.int64(nch),
                         np.int64(self.ntaps), mono, np.int32(self.shared)))
            if self.ntaps > 1:
                new = backend.zeros(self.history.shape, self.dtype)
                m = (self.ntaps - 1) * nch
                self.history_kernel(((m + BLOCK - 1) // BLOCK,), (BLOCK,),
                                    (self.history, x, new, np.int64(nt), np.int64(nch),
                                     np.int64(self.ntaps), mono))
                self.history = new
        return y
