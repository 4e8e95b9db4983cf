"""CUDA kernels of the level-dependent filterbanks :class:`~hears.DCGC` and
:class:`~hears.TanCarney`, and their device-side state.

Each model's control loop runs inside one kernel: one thread per channel, the chunk's samples
in sequence, the filter coefficients recomputed in the thread after every ``interval``-th
sample of the sound (counted from time zero), exactly as the numba kernels of
:mod:`._dynamic_kernels` do.  The C below is a line-by-line transcription of
``_dcgc_channel``, ``_tc_channel``, ``ac_coefficients``, ``tc_control_coefficients``,
``tc_signal_coefficients``, ``_sos`` and ``_power``: the same operations in the same order,
with numba's semantics spelled out where C's would differ:

* ``max(a, b)`` is numba's (Python's) ``b if b > a else a`` (not ``fmax``: the sign of a
  zero and the argument order matter for bit identity);
* ``x ** 2`` and ``x ** 3`` with a literal integer exponent are numba's unrolled products
  ``x * x`` and ``x * (x * x)``; ``x ** p`` with a float exponent is ``pow(x, p)``
  (``llvm.pow``, glibc's ``pow`` on the CPU);
* ``math.exp``/``log``/``log10``/``sin``/``cos``/``sqrt``/``copysign``/``abs`` are the C
  functions of the same names (LLVM intrinsics lowered to libm calls on the CPU).

The two exponentials of constants in ``_tc_channel`` (``exp(x0/8)`` and ``exp(5/3)``) are
computed on the host with Python's ``math.exp`` (glibc's, as numba's) and passed in, so that
no compiler folds them with another library (GCC folds constant ``exp`` with MPFR).

Compiled without FMA contraction, the host backend (glibc's libm, as numba's) gives the CPU
kernels' output bit for bit.  On a GPU, CUDA's ``exp``/``log``/``log10``/``pow``/``sin``/
``cos`` are within an ulp or two of glibc's, not always equal, so the output agrees with the
CPU's to rounding (relative differences of order 1e-13), not bit for bit; ``sqrt``, ``+``,
``*``, ``/`` are correctly rounded on both.

Layouts are the host arrays' (``(nch, nsections, 5)`` coefficients, ``(nch, nsections, 2)``
states), so moving the state between host and device is a plain copy; each thread loads its
channel's coefficients and state into local arrays at the start of a chunk and stores them at
the end.  Samples are time-major, ``x[t, c]``.
"""

from __future__ import annotations

import math

import numpy as np

from ._cuda_kernels import BLOCK, DeviceSOS
from ._dynamic_kernels import _TWO_PI

__all__ = ["dcgc_source", "tc_source", "DeviceDCGC", "DeviceTanCarney"]

#: helpers shared by both kernels (numba's semantics, see the module docstring)
_COMMON = f"""
#define HS_TWO_PI {float(_TWO_PI)!r}
/* Python's (numba's) max(a, b) */
__device__ __forceinline__ double hs_max(double a, double b) {{ return b > a ? b : a; }}
/* _sos: one transposed direct form II section, co = b0 b1 b2 a1 a2, z = its two states */
__device__ __forceinline__ double hs_sos(double v, const double* co, double* z) {{
    double y = co[0] * v + z[0];
    z[0] = co[1] * v - co[3] * y + z[1];
    z[1] = co[2] * v - co[4] * y;
    return y;
}}
"""


def dcgc_source(nsig: int) -> str:
    """CUDA C of the DCGC kernels: ``hs_dcgc_gather`` (the control path's input, channel
    ``c`` from ``p[:, indch[c]]``) and ``hs_dcgc`` (the level-dependent signal path and the
    level detectors of ``_dcgc_channel``, ``nsig`` asymmetric-compensation sections)."""
    return _COMMON + f"""
#define NSIG {int(nsig)}
/* _power */
__device__ __forceinline__ double hs_power(double x, double p) {{
    if (p == 0.5) return sqrt(x);
    if (p == 1.5) return x * sqrt(x);
    if (p == 1.0) return x;
    return pow(x, p);
}}
/* ac_coefficients: co is the channel's (NSIG, 5), kf is (NSIG, 2) */
__device__ __forceinline__ void hs_ac_coefficients(double* co, double fs, double fr, double b,
                                                   double cc, const double* kf) {{
    double erbw = 24.7 * (4.37e-3 * fr + 1.0);
    double th = HS_TWO_PI * fr / fs;
    double c1 = cos(th);
    double s1 = sin(th);
    double c2 = 2.0 * c1 * c1 - 1.0;
    double s2 = 2.0 * s1 * c1;
    double bw = HS_TWO_PI * b * erbw / fs;
#pragma unroll
    for (int k = 0; k < NSIG; ++k) {{
        double r = exp(-kf[k * 2 + 0] * bw);
        double df = kf[k * 2 + 1] * cc * b * erbw;
        double phi = HS_TWO_PI * hs_max(fr + df, 0.0) / fs;
        double psi = HS_TWO_PI * hs_max(fr - df, 0.0) / fs;
        double a1 = -2.0 * r * cos(phi);
        double b1 = -2.0 * r * cos(psi);
        double r2 = r * r;
        double ar = 1.0 + a1 * c1 + r2 * c2;
        double ai = a1 * s1 + r2 * s2;
        double br = 1.0 + b1 * c1 + r2 * c2;
        double bi = b1 * s1 + r2 * s2;
        double g = sqrt((ar * ar + ai * ai) / (br * br + bi * bi));
        co[k * 5 + 0] = g;
        co[k * 5 + 1] = b1 * g;
        co[k * 5 + 2] = r2 * g;
        co[k * 5 + 3] = a1;
        co[k * 5 + 4] = r2;
    }}
}}
extern "C" __global__ void hs_dcgc_gather(const double* __restrict__ p,
                                          double* __restrict__ out,
                                          const long long* __restrict__ indch,
                                          long long nt, long long nch) {{
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nt * nch) return;
    long long t = i / nch, c = i % nch;
    out[i] = p[t * nch + indch[c]];
}}
/* _dcgc_channel, one thread per channel: p, q, out (nt, nch); sig (nch, NSIG, 5);
   zs (nch, NSIG, 2); lev (nch, 2); ac = fs b2 c2; kf (NSIG, 2); lp (9) */
extern "C" __global__ void hs_dcgc(const double* __restrict__ p, const double* __restrict__ q,
                                   double* __restrict__ out, double* __restrict__ sig,
                                   double* __restrict__ zs, double* __restrict__ lev,
                                   const long long* __restrict__ indch,
                                   const double* __restrict__ fp1,
                                   const double* __restrict__ ac,
                                   const double* __restrict__ kf,
                                   const double* __restrict__ lp, long long n0,
                                   long long interval, long long nt, long long nch) {{
    long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= nch) return;
    double fs = ac[0], b2 = ac[1], c2 = ac[2];
    double decay = lp[0], weight = lp[1], ref = lp[2], pwr1 = lp[3], pwr2 = lp[4];
    double lmin = lp[5], rms_to_spl = lp[6], frat0 = lp[7], frat1 = lp[8];
    double kfl[NSIG * 2];
    double co[NSIG * 5], z[NSIG * 2];
#pragma unroll
    for (int i = 0; i < NSIG * 2; ++i) kfl[i] = kf[i];
#pragma unroll
    for (int i = 0; i < NSIG * 5; ++i) co[i] = sig[c * NSIG * 5 + i];
#pragma unroll
    for (int i = 0; i < NSIG * 2; ++i) z[i] = zs[c * NSIG * 2 + i];
    double lev0 = lev[c * 2 + 0], lev1 = lev[c * 2 + 1];
    double fpc = fp1[c];
    long long ic = indch[c];
    for (long long t = 0; t < nt; ++t) {{
        double v = p[t * nch + c];
#pragma unroll
        for (int k = 0; k < NSIG; ++k) v = hs_sos(v, co + k * 5, z + k * 2);
        out[t * nch + c] = v;
        /* peak-hold level detectors, every sample */
        double l1 = hs_max(hs_max(p[t * nch + ic], 0.0), lev0 * decay);
        double l2 = hs_max(hs_max(q[t * nch + c], 0.0), lev1 * decay);
        lev0 = l1;
        lev1 = l2;
        if ((n0 + t + 1) % interval == 0) {{
            double total = (weight * ref * hs_power(l1 / ref, pwr1)
                            + (1.0 - weight) * ref * hs_power(l2 / ref, pwr2));
            double level_db = 20.0 * log10(hs_max(total, lmin)) + rms_to_spl;
            double fr = fpc * (frat0 + frat1 * level_db);
            hs_ac_coefficients(co, fs, fr, b2, c2, kfl);
        }}
    }}
#pragma unroll
    for (int i = 0; i < NSIG * 5; ++i) sig[c * NSIG * 5 + i] = co[i];
#pragma unroll
    for (int i = 0; i < NSIG * 2; ++i) zs[c * NSIG * 2 + i] = z[i];
    lev[c * 2 + 0] = lev0;
    lev[c * 2 + 1] = lev1;
}}
"""


def tc_source() -> str:
    """CUDA C of the Tan and Carney kernel ``hs_tc`` (``_tc_channel``, one thread per
    channel; the section counts are the model's: 3 control band-pass, 10 signal band-pass,
    3 + 1 control low-pass, 7 inner-hair-cell low-pass)."""
    return _COMMON + """
/* tc_control_coefficients: co is the channel's (3, 5); returns the gain */
__device__ __forceinline__ double hs_tc_control(double* co, double u, double cf, double fshift,
                                                double fs2) {
    double pr = -HS_TWO_PI * cf / 4.0 - u;
    double pi = HS_TWO_PI * (cf + fshift);
    double d = fs2 - pr;
    double temp = d * d + pi * pi;
    double a1 = -2.0 * (fs2 * fs2 - pr * pr - pi * pi) / temp;
    double e = fs2 + pr;
    double a2 = (e * e + pi * pi) / temp;
#pragma unroll
    for (int k = 0; k < 3; ++k) {
        co[k * 5 + 3] = a1;
        co[k * 5 + 4] = a2;
        if (k == 2) {
            co[k * 5 + 0] = fs2 / temp;
            co[k * 5 + 1] = 0.0;
            co[k * 5 + 2] = -fs2 / temp;
        } else {
            co[k * 5 + 0] = 1.0 / temp;
            co[k * 5 + 1] = 2.0 / temp;
            co[k * 5 + 2] = 1.0 / temp;
        }
    }
    double wbw = cf / 4.0 + u / HS_TWO_PI;
    double f2 = 2.0 * cf + fshift;
    /* _TWO_PI ** 2: numba's unrolled product (folded to a constant) */
    double a = (HS_TWO_PI * HS_TWO_PI) * sqrt(wbw * wbw + fshift * fshift)
               * sqrt(f2 * f2 + wbw * wbw);
    return a * (a * a) / sqrt((HS_TWO_PI * HS_TWO_PI) * cf * cf);
}
/* tc_signal_coefficients: co is the channel's (10, 5) */
__device__ __forceinline__ void hs_tc_signal(double* co, double u, double rgain, double ta,
                                             double tb, double fp1, double zero, double fs2) {
    double pr0 = -rgain - u;
    if (pr0 >= -1.0) pr0 = -1.0;
    double pr4 = pr0 - ta;
    double pi0 = HS_TWO_PI * fp1;
    double pi4 = pi0 - tb;
#pragma unroll
    for (int j = 0; j < 3; ++j) {
        double pr, pi;
        if (j == 0) {
            pr = pr0; pi = pi0;
        } else if (j == 1) {
            pr = 0.5 * (pr0 + pr4); pi = 0.5 * (pi0 + pi4);
        } else {
            pr = pr4; pi = pi4;
        }
        double d = fs2 - pr;
        double temp = d * d + pi * pi;
        double b0 = (fs2 - zero) / temp;
        double b1 = -2.0 * zero / temp;
        double b2 = (-zero - fs2) / temp;
        double a1 = -2.0 * (fs2 * fs2 - pr * pr - pi * pi) / temp;
        double e = fs2 + pr;
        double a2 = (e * e + pi * pi) / temp;
#pragma unroll
        for (int k = 0; k < 10; ++k) {
            int m = k % 5;  /* sections 0-4 repeat in 5-9: pairs 0, 1, 2, 0, 2 */
            if (((m == 0 || m == 3) && j == 0) || (m == 1 && j == 1)
                    || ((m == 2 || m == 4) && j == 2)) {
                co[k * 5 + 0] = b0;
                co[k * 5 + 1] = b1;
                co[k * 5 + 2] = b2;
                co[k * 5 + 3] = a1;
                co[k * 5 + 4] = a2;
            }
        }
    }
}
/* _tc_channel, one thread per channel: x (nt, 1 or nch), out (nt, nch); bpc (nch, 3, 5),
   zbc (nch, 3, 2), gc (nch), bps (nch, 10, 5), zbs (nch, 10, 2), lpc (nch, 4, 5),
   zlc (nch, 4, 2), lps (nch, 7, 5), zls (nch, 7, 2), st (nch, 2), sp (nch, 7), prm (8),
   ex = exp(x0 / 8), exp(5 / 3) */
extern "C" __global__ void hs_tc(const double* __restrict__ x, double* __restrict__ out,
                                 double* __restrict__ bpc, double* __restrict__ zbc,
                                 double* __restrict__ gc, double* __restrict__ bps,
                                 double* __restrict__ zbs, const double* __restrict__ lpc,
                                 double* __restrict__ zlc, const double* __restrict__ lps,
                                 double* __restrict__ zls, double* __restrict__ st,
                                 const double* __restrict__ cf,
                                 const double* __restrict__ fshift,
                                 const double* __restrict__ sp,
                                 const double* __restrict__ prm,
                                 const double* __restrict__ ex, long long n0,
                                 long long interval, long long nt, long long nch, int mono) {
    long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= nch) return;
    double fs2 = prm[0], shift = prm[2];
    double s_a0 = prm[3], s_b = prm[4], s_c = prm[5], s_d = prm[6];
    int ihc = prm[7] != 0.0;
    double ex0 = ex[0], ex1 = ex[1];
    double cb[15], zb[6], sb[50], zsb[20], lc[20], zl[8], ls[35], zi[14];
#pragma unroll
    for (int i = 0; i < 15; ++i) cb[i] = bpc[c * 15 + i];
#pragma unroll
    for (int i = 0; i < 6; ++i) zb[i] = zbc[c * 6 + i];
#pragma unroll
    for (int i = 0; i < 50; ++i) sb[i] = bps[c * 50 + i];
#pragma unroll
    for (int i = 0; i < 20; ++i) zsb[i] = zbs[c * 20 + i];
#pragma unroll
    for (int i = 0; i < 20; ++i) lc[i] = lpc[c * 20 + i];
#pragma unroll
    for (int i = 0; i < 8; ++i) zl[i] = zlc[c * 8 + i];
#pragma unroll
    for (int i = 0; i < 35; ++i) ls[i] = lps[c * 35 + i];
#pragma unroll
    for (int i = 0; i < 14; ++i) zi[i] = zls[c * 14 + i];
    double g = gc[c], st0 = st[c * 2 + 0], st1 = st[c * 2 + 1];
    double cfc = cf[c], fsh = fshift[c];
    double rgain = sp[c * 7 + 0], ta = sp[c * 7 + 1], tb = sp[c * 7 + 2];
    double fp1 = sp[c * 7 + 3], zero = sp[c * 7 + 4], gain = sp[c * 7 + 5];
    double nlgain = sp[c * 7 + 6];
    for (long long t = 0; t < nt; ++t) {
        double xin = mono ? x[t] : x[t * nch + c];
        /* control path: band-pass, two nonlinearities, low-pass, feedback low-pass */
        double v = xin;
#pragma unroll
        for (int k = 0; k < 3; ++k) v = hs_sos(v, cb + k * 5, zb + k * 2);
        v *= g;
        v = copysign(2.5 * log(1.0 + 100.0 * pow(fabs(v), 0.6)), v);
        double e = exp(-v / 24.0);
        double e3 = e * e * e;
        double e8 = e3 * e3 * e * e;
        v = (1.0 / (1.0 + e3 * ex0 * (1.0 + e8 * ex1)) - shift) * nlgain;
#pragma unroll
        for (int k = 0; k < 3; ++k) v = hs_sos(v, lc + k * 5, zl + k * 2);
        double fb = hs_sos(v, lc + 15, zl + 6);
        /* signal path: band-pass, saturation, inner-hair-cell low-pass */
        double w = xin;
#pragma unroll
        for (int k = 0; k < 10; ++k) w = hs_sos(w, sb + k * 5, zsb + k * 2);
        w *= gain;
        if (ihc) {
            if (w >= 0.0) {
                w = s_a0 * log(w * s_b + 1.0);
            } else {
                double d = pow(-w, s_c);
                w = -s_a0 * (d + s_d) / (3.0 * d + s_d) * log(-w * s_b + 1.0);
            }
#pragma unroll
            for (int k = 0; k < 7; ++k) w = hs_sos(w, ls + k * 5, zi + k * 2);
        }
        out[t * nch + c] = w;
        if ((n0 + t + 1) % interval == 0) {
            st0 = v;
            st1 = fb;
            g = hs_tc_control(cb, fb, cfc, fsh, fs2);
            hs_tc_signal(sb, v, rgain, ta, tb, fp1, zero, fs2);
        }
    }
#pragma unroll
    for (int i = 0; i < 15; ++i) bpc[c * 15 + i] = cb[i];
#pragma unroll
    for (int i = 0; i < 6; ++i) zbc[c * 6 + i] = zb[i];
#pragma unroll
    for (int i = 0; i < 50; ++i) bps[c * 50 + i] = sb[i];
#pragma unroll
    for (int i = 0; i < 20; ++i) zbs[c * 20 + i] = zsb[i];
#pragma unroll
    for (int i = 0; i < 8; ++i) zlc[c * 8 + i] = zl[i];
#pragma unroll
    for (int i = 0; i < 14; ++i) zls[c * 14 + i] = zi[i];
    gc[c] = g;
    st[c * 2 + 0] = st0;
    st[c * 2 + 1] = st1;
}
"""


def _grid(n: int) -> tuple[int]:
    return ((n + BLOCK - 1) // BLOCK,)


def _as_input(x):
    if x.dtype != np.float64 or not x.flags.c_contiguous:
        x = x.astype(np.float64, order="C")
    return x


class _DeviceModel:
    """A model's state on a CUDA backend: ``self.state`` maps the filterbank's attribute
    names to device arrays of the same shape; :meth:`reset` copies the filterbank's host
    arrays over (``buffer_init`` has just reset them), :meth:`to_host` copies them back."""

    backend: object
    state: dict

    def __init__(self, backend, filterbank, names: tuple[str, ...]):
        self.backend = backend
        self._fb = filterbank
        self.state = {name: backend.zeros(getattr(filterbank, name).shape, np.float64)
                      for name in names}
        self.reset()

    def reset(self) -> None:
        for name, device in self.state.items():
            self.backend.copy_to_device(device, np.ascontiguousarray(getattr(self._fb, name)))

    def to_host(self) -> None:
        for name, device in self.state.items():
            getattr(self._fb, name)[...] = self.backend.to_host(device)

    def host(self, name: str) -> np.ndarray:
        """A host copy of one state array."""
        return self.backend.to_host(self.state[name])


class DeviceDCGC(_DeviceModel):
    """:class:`~hears.DCGC` on a CUDA backend: the passive gammachirp and the control
    path's compensation filter as SOS cascades (:class:`DeviceSOS`, the linear filterbanks'
    kernel), then the level-dependent signal path and level detectors in ``hs_dcgc``."""

    def __init__(self, backend, fb):
        n = fb.nchannels
        self.pgc = DeviceSOS(backend, n, fb._pgc_b.shape[2], np.float64)
        self.ctl = DeviceSOS(backend, n, fb._ctl_b.shape[2], np.float64)
        module = backend.compile(dcgc_source(fb._sig.shape[1]))
        self.kernel = module.function("hs_dcgc")
        self.gather = module.function("hs_dcgc_gather")
        const = {"indch": np.ascontiguousarray(fb.indch1_control, dtype=np.int64),
                 "fp1": fb._fp1, "ac": fb._ac, "kf": fb._kf, "lp": fb._lp}
        self.const = {k: backend.to_device(np.ascontiguousarray(v)) for k, v in const.items()}
        super().__init__(backend, fb, ("_sig", "_zs", "_lev"))

    def reset(self) -> None:
        super().reset()
        self.backend.copy_to_device(self.pgc.state, self._fb._zp)
        self.backend.copy_to_device(self.ctl.state, self._fb._zc)

    def to_host(self) -> None:
        super().to_host()
        self._fb._zp[...] = self.pgc.host_state()
        self._fb._zc[...] = self.ctl.host_state()

    def apply(self, x, n0: int, interval: int):
        """One chunk ``x`` ((nt, 1) or (nt, nch), a device array) whose first sample is
        sample ``n0`` of the sound; returns the output, a device array (nt, nch)."""
        fb, backend = self._fb, self.backend
        x = _as_input(x)
        nt, nch = int(x.shape[0]), fb.nchannels
        if not nt:
            return backend.zeros((0, nch), np.float64)
        pgc = self.pgc.apply(x, fb._pgc_b, fb._pgc_a)
        gathered = backend.zeros((nt, nch), np.float64)
        self.gather(_grid(nt * nch), (BLOCK,), (pgc, gathered, self.const["indch"],
                                                np.int64(nt), np.int64(nch)))
        ctl = self.ctl.apply(gathered, fb._ctl_b, fb._ctl_a)
        out = backend.zeros((nt, nch), np.float64)
        s, k = self.state, self.const
        self.kernel(_grid(nch), (BLOCK,),
                    (pgc, ctl, out, s["_sig"], s["_zs"], s["_lev"], k["indch"], k["fp1"],
                     k["ac"], k["kf"], k["lp"], np.int64(n0), np.int64(interval),
                     np.int64(nt), np.int64(nch)))
        return out


class DeviceTanCarney(_DeviceModel):
    """:class:`~hears.TanCarney` (and :class:`~hears.TanCarneySignal`) on a CUDA backend:
    the whole model in ``hs_tc``."""

    def __init__(self, backend, fb):
        self.kernel = backend.compile(tc_source()).function("hs_tc")
        for name, shape in (("_bpc", (3, 5)), ("_bps", (10, 5)), ("_lpc", (4, 5)),
                            ("_lps", (7, 5))):
            if getattr(fb, name).shape[1:] != shape:  # the kernel's fixed section counts
                raise ValueError(f"DeviceTanCarney: {name} has shape "
                                 f"{getattr(fb, name).shape}, the kernel expects (n, {shape})")
        prm = fb._prm
        # exp(x0/8) and exp(5/3) of _tc_channel, with glibc's exp as numba's (see above)
        ex = np.array([math.exp(float(prm[1]) / 8.0), math.exp(5.0 / 3.0)])
        const = {"_lpc": fb._lpc, "_lps": fb._lps, "_cf": fb._cf, "_fshift": fb._fshift,
                 "_sp": fb._sp, "_prm": prm, "ex": ex}
        self.const = {k: backend.to_device(np.ascontiguousarray(v, dtype=np.float64))
                      for k, v in const.items()}
        super().__init__(backend, fb, ("_bpc", "_zbc", "_gc", "_bps", "_zbs", "_zlc", "_zls",
                                       "_st"))

    def apply(self, x, n0: int, interval: int):
        """One chunk ``x`` ((nt, 1) or (nt, nch), a device array) whose first sample is
        sample ``n0`` of the sound; returns the output, a device array (nt, nch)."""
        fb, backend = self._fb, self.backend
        x = _as_input(x)
        nt, nch = int(x.shape[0]), fb.nchannels
        out = backend.zeros((nt, nch), np.float64)
        if nt:
            s, k = self.state, self.const
            self.kernel(_grid(nch), (BLOCK,),
                        (x, out, s["_bpc"], s["_zbc"], s["_gc"], s["_bps"], s["_zbs"],
                         k["_lpc"], s["_zlc"], k["_lps"], s["_zls"], s["_st"], k["_cf"],
                         k["_fshift"], k["_sp"], k["_prm"], k["ex"], np.int64(n0),
                         np.int64(interval), np.int64(nt), np.int64(nch),
                         np.int32(1 if x.shape[1] == 1 else 0)))
        return out
