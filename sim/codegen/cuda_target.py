"""CUDA C generation from the IR: one thread per element.

Each block becomes one ``extern "C" __global__`` kernel with the same argument
order as the numba kernels: ``_idx`` (int64 element indices), ``_n``, ``t``,
``dt``, then (when the block draws random numbers) ``_step`` and ``_rng_keys``,
then ``_found``/``_count`` for conditions, outputs, and the block's arrays and
constants.  Differences from the CPU targets, where order matters:

* a condition appends the element with ``atomicAdd`` on a counter: the order
  of the found elements is the launch's, and the host sorts them;
* an indirectly indexed variable that the block only increments
  (``v_post += w``) is updated with ``atomicAdd`` (double atomics: sm_60+);
  any other write through an index makes the kernel *serial*: one thread runs
  the elements in the CPU's order, so that the last writer wins as there;
* ``rand()``, ``randn()``, ``binomial``, ``poisson`` and the geometric waiting
  times draw the same Philox-4x32-10 streams as the CPU targets, bit for bit:
  the integer arithmetic and the 53-bit conversion are exact, and the
  transcendental steps use the project's own log/exp/sincos (ported from
  :mod:`sim.codegen.philox`, compiled with ``-fmad=false``).

:func:`compile_block` gives a :class:`CudaBlock` with the numba kernels' calling
convention, run on the CUDA backend of ``prefs.codegen.cuda_backend``
(:mod:`sim.codegen.cuda_runtime`): that is the per-call form, with host arrays
copied in and out at each call.  ``generate_kernel(loop=True)`` writes the form
the device-resident run loop launches (:mod:`sim.codegen.cuda_loop`).
:func:`compile_ptx` compiles source to PTX with ``nvcc`` where nvcc exists.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from sim.codegen.ir import ARRAY, CONSTANT, INDEXED, LINKED, SHARED, CodeBlock, NameTable
from sim.codegen.translate import ExpressionTranslator, int_message
from sim.parsing import ModelSyntaxError

__all__ = ["generate_source", "generate_kernel", "compile_block", "CudaBlock", "compile_ptx",
           "compile_ptx_many", "nvcc_available", "SUPPORT"]

_FUNCTIONS = {
    "exp": "exp", "log": "log", "log10": "log10", "expm1": "expm1", "log1p": "log1p",
    "exprel": "hs_exprel", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "asin": "asin", "acos": "acos", "atan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sqrt": "sqrt", "abs": "fabs",
    "floor": "floor", "ceil": "ceil", "sign": "hs_sign", "clip": "hs_clip",
    "int": "(int64_t)", "int_": "(int64_t)", "timestep": "hs_timestep",
}

def _random_constants() -> str:
    """``#define``s of the random streams' constants, written from sim.codegen.philox's
    own values (``repr`` of a double reads back as the same double in C)."""
    from sim.codegen import philox

    names = ["TWO_M53", "SQRT_HALF", "LN2_HI", "LN2_LO", "PI_4",
             *(f"LG{k}" for k in range(1, 8)), *(f"S{k}" for k in range(1, 7)),
             *(f"C{k}" for k in range(1, 7)), "INV_LN2", *(f"P{k}" for k in range(1, 6)),
             "EXP_MAX", "EXP_MIN", "HALF_LN_2PI", *(f"FC{k}" for k in range(1, 6)),
             "FC_TABLE_SIZE", "THIRD", "SIXTH", *(f"L1M{k}" for k in range(2, 9)),
             "LOG1M_SERIES_MAX"]
    lines = [f"#define HS_{n} ({float(getattr(philox, '_' + n))!r})" for n in names]
    lines += [f"#define HS_{n} ({getattr(philox, n)!r})" for n in
              ("DRAW_BITS", "MAX_ATTEMPTS", "POISSON_INVERSION_MAX", "BINOMIAL_INVERSION_MAX")]
    from sim.codegen.random_streams import NEVER

    lines.append(f"#define HS_NEVER ({NEVER}LL)")
    table = ", ".join(repr(float(v)) for v in philox._FC_TABLE)
    lines.append(f"__constant__ double HS_FC_TABLE[{len(philox._FC_TABLE)}] = "
                 f"{{{table}}};")
    return "\n".join(lines)


#: Device helpers every kernel includes (mirroring sim.codegen.numba_support).
SUPPORT = r"""
#include <stdint.h>
#include <math.h>
""" + _random_constants() + r"""
__device__ __forceinline__ double hs_exprel(double x) {
    if (fabs(x) < 1e-5) return 1.0 + x / 2.0 + x * x / 6.0;
    return expm1(x) / x;
}
__device__ __forceinline__ double hs_clip(double x, double lo, double hi) {
    if (x != x || lo != lo || hi != hi) return NAN;  // a NaN anywhere: NaN, as numpy's clip
    return fmin(fmax(x, lo), hi);
}
// int(): a value with no 64-bit integer (inf, NaN, out of range) marks the error flag with
// the call site (1-based), and the host raises the site's ModelValueError after the launch
__device__ __forceinline__ int64_t hs_int(double x, int* err, int site) {
    if (!(x >= -9.223372036854775808e18 && x < 9.223372036854775808e18)) {
        *err = site;
        return 0;
    }
    return (int64_t)x;
}
// TimedArray look-ups (sim.codegen.numba_support._timedarray1/2: same integer grid)
__device__ __forceinline__ long long hs_floordiv_ll(long long a, long long b) {  // a // b
    long long q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
__device__ __forceinline__ long long hs_timedarray_sample(double t, double n, double per_second,
                                                          double per_sample) {
    long long k = hs_floordiv_ll(llrint(t * per_second), (long long)per_sample);
    if (k < 0) k = 0; else if (k > (long long)n - 1) k = (long long)n - 1;
    return k;
}
__device__ __forceinline__ double hs_timedarray1(double t, const double* values, double n,
                                                 double per_second, double per_sample) {
    return values[hs_timedarray_sample(t, n, per_second, per_sample)];
}
__device__ __forceinline__ double hs_timedarray2(double t, double i, const double* values,
                                                 double n, double width, double per_second,
                                                 double per_sample) {
    long long k = hs_timedarray_sample(t, n, per_second, per_sample);
    return values[k * (long long)width + (long long)i];
}
// x ** n for a literal integer n >= 0, as numba computes it (its integer power loop);
// C++ only (kernels are C++; the random streams' C test does not need it)
#ifdef __cplusplus
template <typename T> __device__ __forceinline__ T hs_powi(T a, int64_t n) {
    T r = (T)1;
    while (n) {
        if (n & 1) r = r * a;
        n >>= 1;
        if (!n) break;
        a = a * a;
    }
    return r;
}
#endif
__device__ __forceinline__ double hs_sign(double x) { return (x > 0) - (x < 0); }
__device__ __forceinline__ int64_t hs_timestep(double t, double dt) {
    return (int64_t)floor((t + 1e-3 * dt) / dt);
}
__device__ __forceinline__ double hs_fmod(double a, double b) {  // Python's a % b
    return a - floor(a / b) * b;
}
__device__ __forceinline__ double hs_floordiv(double a, double b) { return floor(a / b); }
__device__ void hs_philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        uint32_t y2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[1] = (uint32_t)p1;  c[3] = (uint32_t)p0;
        c[0] = y0;            c[2] = y2;
        k0 += 0x9E3779B9u;    k1 += 0xBB67AE85u;
    }
}
__device__ __forceinline__ uint64_t hs_u53_bits(uint32_t hi, uint32_t lo) {
    return ((uint64_t)(hi >> 5) << 26) | (uint64_t)(lo >> 6);
}
// elements pair up on Philox blocks: element i reads block i >> 1 (sim.codegen.philox)
__device__ __forceinline__ void hs_block(const int64_t* keys, int site, uint64_t step,
                                         int64_t index, uint32_t c[4]) {
    c[0] = (uint32_t)step; c[1] = (uint32_t)(step >> 32);
    c[2] = (uint32_t)((uint64_t)index >> 1); c[3] = 0u;
    hs_philox4x32_10(c, (uint32_t)keys[2 * site], (uint32_t)keys[2 * site + 1]);
}
__device__ double hs_rand(const int64_t* keys, int site, uint64_t step, int64_t index) {
    uint32_t c[4];
    hs_block(keys, site, step, index, c);
    int odd = (int)(index & 1);
    return (double)hs_u53_bits(odd ? c[2] : c[0], odd ? c[3] : c[1]) * HS_TWO_M53;
}
// the project's own log of a positive normal double (fdlibm e_log.c; the bits of
// sim.codegen.philox._log_positive_scalar: same operations in the same order)
__device__ double hs_log_positive(double x) {
    union { double d; int64_t i; } u;
    u.d = x;
    int64_t b = u.i;
    int64_t e = (b >> 52) - 1022;
    u.i = (b & 0x000FFFFFFFFFFFFFLL) | 0x3FE0000000000000LL;
    double f = u.d;
    double dk;
    if (f < HS_SQRT_HALF) { f = f * 2.0; dk = (double)(e - 1); } else { dk = (double)e; }
    f = f - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (HS_LG2 + w * (HS_LG4 + w * HS_LG6));
    double t2 = z * (HS_LG1 + w * (HS_LG3 + w * (HS_LG5 + w * HS_LG7)));
    double r = t2 + t1;
    double hfsq = 0.5 * f * f;
    return dk * HS_LN2_HI - ((hfsq - (s * (hfsq + r) + dk * HS_LN2_LO)) - f);
}
// (sin 2 pi u, cos 2 pi u) for 0 <= u < 1 (sim.codegen.philox.det_sincos2pi_scalar)
__device__ void hs_sincos2pi(double u, double* s_out, double* c_out) {
    double v = 8.0 * u;
    int64_t o = (int64_t)v;
    double r = v - (double)o;
    if (o & 1) r = 1.0 - r;
    double x = r * HS_PI_4;
    double z = x * x;
    double vs = z * x;
    double rs = HS_S2 + z * (HS_S3 + z * (HS_S4 + z * (HS_S5 + z * HS_S6)));
    double sk = x + vs * (HS_S1 + z * rs);
    double rc = z * (HS_C1 + z * (HS_C2 + z * (HS_C3 + z * (HS_C4 + z * (HS_C5 + z * HS_C6)))));
    double hz = 0.5 * z;
    double w = 1.0 - hz;
    double ck = w + (((1.0 - w) - hz) + z * rc);
    int swap = ((o + 1) & 2) != 0;
    double s = swap ? ck : sk;
    double c = swap ? sk : ck;
    if (o >= 4) s = -s;
    if ((o + 2) & 4) c = -c;
    *s_out = s;
    *c_out = c;
}
// Box-Muller on the element's block: the cos output for even elements, sin for odd
__device__ double hs_randn(const int64_t* keys, int site, uint64_t step, int64_t index) {
    uint32_t c[4];
    hs_block(keys, site, step, index, c);
    double u1 = ((double)hs_u53_bits(c[0], c[1]) + 1.0) * HS_TWO_M53;
    double u2 = (double)hs_u53_bits(c[2], c[3]) * HS_TWO_M53;
    double radius = sqrt(-2.0 * hs_log_positive(u1));
    double sn, cs;
    hs_sincos2pi(u2, &sn, &cs);
    return (index & 1) ? radius * sn : radius * cs;
}
// --- binomial, poisson and geometric draws: sim.codegen.philox's algorithms, operation for
// operation (inversion for small means, PTRS and BTRD above; one block per element and
// attempt: counter (step, index, draw + attempt << DRAW_BITS))
__device__ __forceinline__ void hs_block_raw(const int64_t* keys, int site, uint64_t step,
                                             int64_t index, uint32_t word3, uint32_t c[4]) {
    c[0] = (uint32_t)step; c[1] = (uint32_t)(step >> 32);
    c[2] = (uint32_t)(uint64_t)index; c[3] = word3;
    hs_philox4x32_10(c, (uint32_t)keys[2 * site], (uint32_t)keys[2 * site + 1]);
}
__device__ __forceinline__ double hs_u53(uint32_t w0, uint32_t w1) {
    return (double)hs_u53_bits(w0, w1) * HS_TWO_M53;
}
__device__ __forceinline__ double hs_u53_open0(uint32_t w0, uint32_t w1) {
    return ((double)hs_u53_bits(w0, w1) + 1.0) * HS_TWO_M53;
}
__device__ double hs_det_log(double x) {  // philox.det_log_scalar
    if (x != x || x < 0.0) return NAN;
    if (x == 0.0) return -INFINITY;
    if (x == INFINITY) return INFINITY;
    int e;
    double f = frexp(x, &e);
    if (f < HS_SQRT_HALF) { f = f * 2.0; e = e - 1; }
    f = f - 1.0;
    double dk = (double)e;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (HS_LG2 + w * (HS_LG4 + w * HS_LG6));
    double t2 = z * (HS_LG1 + w * (HS_LG3 + w * (HS_LG5 + w * HS_LG7)));
    double r = t2 + t1;
    double hfsq = 0.5 * f * f;
    return dk * HS_LN2_HI - ((hfsq - (s * (hfsq + r) + dk * HS_LN2_LO)) - f);
}
__device__ double hs_det_exp(double x) {  // philox.det_exp_scalar
    if (x != x) return NAN;
    if (x > HS_EXP_MAX) return INFINITY;
    if (x < HS_EXP_MIN) return 0.0;
    double dk = floor(x * HS_INV_LN2 + 0.5);
    double hi = x - dk * HS_LN2_HI;
    double lo = dk * HS_LN2_LO;
    double r = hi - lo;
    double t = r * r;
    double c = r - t * (HS_P1 + t * (HS_P2 + t * (HS_P3 + t * (HS_P4 + t * HS_P5))));
    double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    return ldexp(y, (int)dk);
}
__device__ double hs_fc(double k) {
    if (k < HS_FC_TABLE_SIZE) return HS_FC_TABLE[(int)k];
    double kp1 = k + 1.0;
    double z = 1.0 / (kp1 * kp1);
    return (HS_FC1 - z * (HS_FC2 - z * (HS_FC3 - z * (HS_FC4 - z * HS_FC5)))) / kp1;
}
__device__ double hs_log_factorial(double k) {
    return (k + 0.5) * hs_det_log(k + 1.0) - (k + 1.0) + HS_HALF_LN_2PI + hs_fc(k);
}
__device__ double hs_log1m(double p) {
    if (p < HS_LOG1M_SERIES_MAX)
        return -p * (1.0 + p * (HS_L1M2 + p * (HS_L1M3 + p * (HS_L1M4 + p * (HS_L1M5
                     + p * (HS_L1M6 + p * (HS_L1M7 + p * HS_L1M8)))))));
    return hs_det_log(1.0 - p);
}
__device__ int64_t hs_poisson(double lam, const int64_t* keys, int site, uint64_t step,
                              int64_t index) {
    if (!(lam > 0.0)) return 0;
    uint32_t c[4];
    if (lam < HS_POISSON_INVERSION_MAX) {
        hs_block_raw(keys, site, step, index, 0u, c);
        double u = hs_u53(c[0], c[1]);
        double p = hs_det_exp(-lam);
        double big_f = p;
        int64_t k = 0;
        while (u >= big_f) {
            k += 1;
            p = p * lam / (double)k;
            double f_next = big_f + p;
            if (f_next == big_f) break;
            big_f = f_next;
        }
        return k;
    }
    double slam = sqrt(lam);
    double loglam = hs_det_log(lam);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2.0);
    double log_inv_alpha = hs_det_log(inv_alpha);
    for (uint32_t attempt = 0; attempt < HS_MAX_ATTEMPTS; ++attempt) {
        hs_block_raw(keys, site, step, index, attempt << HS_DRAW_BITS, c);
        double u = hs_u53(c[0], c[1]) - 0.5;
        double v = hs_u53_open0(c[2], c[3]);
        double us = 0.5 - fabs(u);
        if (us < 0.013 && v > us) continue;
        double kf = floor((2.0 * a / us + b) * u + lam + 0.43);
        if (us >= 0.07 && v <= vr) return (int64_t)kf;
        if (kf < 0.0) continue;
        double lhs = hs_det_log(v) + log_inv_alpha - hs_det_log(a / (us * us) + b);
        double rhs = -lam + kf * loglam - hs_log_factorial(kf);
        if (lhs <= rhs) return (int64_t)kf;
    }
    return (int64_t)floor(lam);
}
__device__ double hs_binomial_btrd(double n, double p, const int64_t* keys, int site,
                                   uint64_t step, int64_t index) {
    double q = 1.0 - p;
    double m = floor((n + 1.0) * p);
    double r = p / q;
    double nr = (n + 1.0) * r;
    double npq = n * p * q;
    double sqnpq = sqrt(npq);
    double b = 1.15 + 2.53 * sqnpq;
    double a = -0.0873 + 0.0248 * b + 0.01 * p;
    double cc = n * p + 0.5;
    double alpha = (2.83 + 5.1 / b) * sqnpq;
    double vr = 0.92 - 4.2 / b;
    double urvr = 0.86 * vr;
    double nm = n - m + 1.0;
    uint32_t c[4];
    for (uint32_t attempt = 0; attempt < HS_MAX_ATTEMPTS; ++attempt) {
        hs_block_raw(keys, site, step, index, attempt << HS_DRAW_BITS, c);
        double v = hs_u53(c[0], c[1]);
        double u2 = hs_u53_open0(c[2], c[3]);
        double u;
        if (v <= urvr) {
            u = v / vr - 0.43;
            return floor((2.0 * a / (0.5 - fabs(u)) + b) * u + cc);
        }
        if (v >= vr) {
            u = u2 - 0.5;
        } else {
            u = v / vr - 0.93;
            if (u < 0.0) u = -0.5 - u; else u = 0.5 - u;
            v = u2 * vr;
        }
        double us = 0.5 - fabs(u);
        if (us <= 0.0) continue;
        double k = floor((2.0 * a / us + b) * u + cc);
        if (k < 0.0 || k > n) continue;
        v = v * alpha / (a / (us * us) + b);
        double km = fabs(k - m);
        if (km <= 15.0) {
            double f = 1.0;
            if (m < k) {
                double i = m;
                while (i < k) { i = i + 1.0; f = f * (nr / i - r); }
            } else if (m > k) {
                double i = k;
                while (i < m) { i = i + 1.0; v = v * (nr / i - r); }
            }
            if (v <= f) return k;
            continue;
        }
        v = hs_det_log(v);
        double rho = (km / npq) * (((km * HS_THIRD + 0.625) * km + HS_SIXTH) / npq + 0.5);
        double t = -km * km / (2.0 * npq);
        if (v < t - rho) return k;
        if (v > t + rho) continue;
        double h = (m + 0.5) * hs_det_log((m + 1.0) / (r * nm)) + hs_fc(m) + hs_fc(n - m);
        double nk = n - k + 1.0;
        double bound = (h + (n + 1.0) * hs_det_log(nm / nk)
                        + (k + 0.5) * hs_det_log(nk * r / (k + 1.0)) - hs_fc(k)
                        - hs_fc(n - k));
        if (v <= bound) return k;
    }
    return m;
}
__device__ int64_t hs_binomial(double n_, double p, const int64_t* keys, int site,
                               uint64_t step, int64_t index) {
    double nf = (double)(int64_t)n_;
    int flip = p > 0.5;
    double pp = flip ? 1.0 - p : p;
    double x;
    if (!(nf > 0.0 && pp > 0.0)) {
        x = 0.0;
    } else if (nf * pp < HS_BINOMIAL_INVERSION_MAX) {
        uint32_t c[4];
        hs_block_raw(keys, site, step, index, 0u, c);
        double u = hs_u53(c[0], c[1]);
        double q = 1.0 - pp;
        double s = pp / q;
        double a = (nf + 1.0) * s;
        double r = hs_det_exp(nf * hs_log1m(pp));
        x = 0.0;
        while (u >= r && x < nf) {
            if (r == 0.0) break;
            u = u - r;
            x = x + 1.0;
            r = r * (a / x - s);
        }
    } else {
        x = hs_binomial_btrd(nf, pp, keys, site, step, index);
    }
    if (flip) x = nf - x;
    return (int64_t)x;
}
__device__ int64_t hs_geometric(double p, const int64_t* keys, int site, uint64_t step,
                                int64_t index) {
    if (p >= 1.0) return 0;
    if (p <= 0.0) return HS_NEVER;
    double u = 1.0 - hs_rand(keys, site, step, index);
    double log_q = p <= 0.5 ? hs_det_log(1.0 - fmax(p, 1e-300))
                            : hs_det_log(fmax(1.0 - p, 1e-300));
    double count = floor(hs_det_log(u) / log_q);
    double never = (double)HS_NEVER;
    return (int64_t)((never < count) ? never : count);  // Python's min(count, NEVER)
}
"""

_CTYPES = {
    np.dtype(np.float64): "double", np.dtype(np.float32): "float",
    np.dtype(np.int64): "int64_t", np.dtype(np.int32): "int32_t", np.dtype(bool): "bool",
}


class _Translator(ExpressionTranslator):
    """AST -> CUDA C expression text (one element per thread)."""

    target = "cuda"

    def visit(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "true" if node.value else "false"
            return repr(float(node.value)) if isinstance(node.value, float) else str(node.value)
        if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)
                and isinstance(node.right, ast.Constant) and type(node.right.value) is int
                and node.right.value >= 0):
            # numba's power by a literal integer: repeated squaring (x**3 is x*(x*x), not
            # C's pow, which rounds once): hs_powi does the same multiplications
            base = node.left  # (an integer literal base is a double: 10**19 must not wrap)
            text = (repr(float(base.value)) if isinstance(base, ast.Constant)
                    and type(base.value) is int else self.visit(base))
            return f"hs_powi({text}, (int64_t){node.right.value})"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow | ast.Mod | ast.FloorDiv):
            a, b = self.visit(node.left), self.visit(node.right)
            func = {ast.Pow: "pow", ast.Mod: "hs_fmod", ast.FloorDiv: "hs_floordiv"}[
                type(node.op)]
            return f"{func}((double)({a}), (double)({b}))"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return f"((double)({self.visit(node.left)}) / ({self.visit(node.right)}))"
        return super().visit(node)

    def not_text(self, operand: str) -> str:
        return f"(!{operand})"

    def boolop_text(self, is_and: bool, operands: list[str]) -> str:
        return "(" + (" && " if is_and else " || ").join(operands) + ")"

    def where_text(self, cond: str, a: str, b: str) -> str:
        return f"(({cond}) ? ({a}) : ({b}))"

    def random_text(self, name: str, args: list[str], site: int) -> str:
        head = "".join(f"(double)({a}), " for a in args)
        return f"hs_{name}({head}_rng_keys, {site}, _step, _j)"

    def call_text(self, name: str, args: list[str]) -> str:
        if name not in self.functions:
            raise ModelSyntaxError(f"The cuda target has no implementation of '{name}()'")
        return super().call_text(name, args)

    def int_text(self, arg: str, node: ast.Call) -> str:
        self.int_messages.append(int_message(node))
        return f"hs_int({arg}, _err, {len(self.int_messages)})"


def _accumulated(block: CodeBlock, table: NameTable) -> set[str]:
    from sim.codegen.numpy_target import _accumulated as numpy_accumulated

    return numpy_accumulated(block, table)


def generate_source(block: CodeBlock, table: NameTable, name: str = "kernel") -> str:
    """CUDA C source of one kernel for a block (see the module docstring)."""
    return generate_kernel(block, table, name)[0]


def generate_kernel(block: CodeBlock, table: NameTable, name: str = "kernel",
                    user_functions: dict | None = None, loop: bool = False,
                    support: bool = True, out_types: list | None = None
                    ) -> tuple[str, list[str], int, bool, list[str]]:
    """(CUDA C source, names of the block's own arguments in order, random sites, serial,
    the error messages of its ``int()`` sites):
    the names are those of the numba kernels' interface (``_arr_v`` for arrays, ``_index_v``
    for their indices, constants by name, then the user functions' extra arguments), after
    the fixed head (indices, n, t, dt, the step and stream keys, found/count, outputs).

    ``user_functions``: ``{name: (template, extra argument names)}`` (TimedArray's
    ``cuda_template``); extra arguments named ``..._values`` are arrays, the others doubles.
    A block that writes through an index other than by ``+=``/``-=`` (``x_post = t``,
    last writer wins) is *serial*: one thread runs its elements in order, as on the CPU.

    ``loop=True`` writes the form the device-resident run loop launches
    (:mod:`sim.codegen.cuda_loop`), whose arguments are the same at every step: the
    element count is read from device memory (``const int64_t* _n_ptr``: an event count
    the previous kernel wrote, with no copy to the host), the step and ``t`` from the
    device clock (``_clock``, ``_every``: ``HS_OWN_STEP`` of ``cuda_loop.LOOP_KERNELS``),
    threads stride over the elements (any grid covers them), a condition writes one flag
    per position (``_flags``; compacted in order afterwards, no atomics), and outputs go
    to ``_out_k[*_out_base + _k]`` (a monitor's row, placed on the device).
    ``support=False`` leaves out the shared preamble (:data:`SUPPORT`), for a module of
    several kernels.  ``out_types``: the numpy dtypes of the output arrays (default
    float64): values are converted as numpy's assignment converts them (a float to an
    integer truncates)."""
    user_functions = user_functions or {}
    translate = _Translator({**_FUNCTIONS, **{f: t for f, (t, _) in user_functions.items()}})
    translate.int_messages = []
    # every model name is written _m_<name> in C: a variable called e.g. 'fabs', 'pow' or
    # 'double' can neither clash with C nor change what a C function name means
    names = block.reads | block.writes | {st.var for st in block.statements}
    translate.renamed = {n: f"_m_{n}" for n in names if n not in ("t", "dt")}

    def m(name: str) -> str:
        return translate.renamed.get(name, name)

    reads, writes = block.reads, block.writes
    used = reads | writes
    extras = [a for _, (_, names) in sorted(user_functions.items()) for a in names]
    arrays = sorted(n for n in used if table.kind(n) in (ARRAY, SHARED, LINKED, INDEXED))
    constants = sorted(n for n in reads if table.kind(n) == CONSTANT and n not in extras)
    accumulated = _accumulated(block, table)
    serial = False
    for var in writes:
        if table.kind(var) in (CONSTANT, LINKED):
            raise ModelSyntaxError(f"'{var}' is read-only and cannot be assigned in '{block}'")
        if table.kind(var) == INDEXED and var not in accumulated:
            serial = True
    if serial:
        accumulated = set()  # one thread: plain read-modify-write, in the CPU's order
    ctype = {n: _CTYPES.get(table.dtypes.get(n, np.dtype(np.float64)), "double")
             for n in arrays}
    body: list[str] = []
    declared: set[str] = set()
    for var in arrays:
        if var not in reads or var in accumulated:
            continue
        kind = table.kind(var)
        index = {SHARED: "0", LINKED: f"_index_{var}[_j]", INDEXED: f"_index_{var}[_j]"}.get(
            kind, "_j")
        body.append(f"{ctype[var]} {m(var)} = _arr_{var}[{index}];")
        declared.add(var)
    for st in block.statements:
        expr = translate.visit(st.expr)
        if st.var in accumulated:
            sign = "" if st.op == "+=" else "-"
            body.append(f"atomicAdd(&_arr_{st.var}[_index_{st.var}[_j]], {sign}({expr}));")
            continue
        if st.var not in declared:
            decl = ctype.get(st.var, "double")
            body.append(f"{decl} {m(st.var)};" if st.op != "="
                        else f"{decl} {m(st.var)} = {expr};")
            declared.add(st.var)
            if st.op == "=":
                continue
        rhs = expr if st.op == "=" else f"{m(st.var)} {st.op[0]} ({expr})"
        body.append(f"{m(st.var)} = {rhs};")
    for var in arrays:
        if var in writes and var not in accumulated:
            index = {SHARED: "0", INDEXED: f"_index_{var}[_j]"}.get(table.kind(var), "_j")
            body.append(f"_arr_{var}[{index}] = {m(var)};")
    if block.condition is not None and loop:  # a flag per position: compacted in order
        body.append(f"_flags[_k] = ({translate.visit(block.condition)}) ? 1 : 0;")
    elif block.condition is not None:  # (positions within the indices, as the CPU kernels)
        body.append(f"if ({translate.visit(block.condition)}) "
                    f"{{ _found[atomicAdd(_count, 1ULL)] = _k; }}")
    out_at = "_ob + _k" if loop else "_k"
    out_c = [_CTYPES.get(np.dtype(d), None) for d in (out_types or [np.float64] * len(
        block.outputs))]
    if None in out_c or len(out_c) != len(block.outputs):
        raise ModelSyntaxError(f"The cuda target cannot write outputs of types {out_types}")
    for k, out in enumerate(block.outputs):
        body.append(f"_out_{k}[{out_at}] = ({out_c[k]})({m(out)});")
    if loop:  # t and the step come from the device clock (HS_OWN_STEP)
        params = ["const int64_t* _idx", "const int64_t* _n_ptr", "const int64_t* _clock",
                  "int64_t _every", "double dt"]
        if translate.random_sites:
            params.append("const int64_t* _rng_keys")
        if block.condition is not None:
            params.append("uint8_t* _flags")
    else:
        params = ["const int64_t* _idx", "int64_t _n", "double t", "double dt"]
        if translate.random_sites:
            params += ["uint64_t _step", "const int64_t* _rng_keys"]
        if block.condition is not None:
            params += ["int64_t* _found", "unsigned long long* _count"]
    if translate.int_messages:
        params += ["int* _err"]
    if loop and block.outputs:
        params.append("const int64_t* _out_base")
    params += [f"{out_c[k]}* _out_{k}" for k in range(len(block.outputs))]
    params += [f"{ctype[v]}* _arr_{v}" for v in arrays]
    indexed = [v for v in arrays if table.kind(v) in (LINKED, INDEXED)]
    params += [f"const int64_t* _index_{v}" for v in indexed]
    params += [f"double {m(c)}" for c in constants]
    params += [f"const double* {a}" if a.endswith("_values") else f"double {a}"
               for a in extras]
    arg_names = ([f"_arr_{v}" for v in arrays] + [f"_index_{v}" for v in indexed]
                 + list(constants) + extras)
    head = []
    if loop:
        head.append("    HS_OWN_STEP")
        head.append("    const int64_t _n = *_n_ptr;")
        if block.outputs:
            head.append("    const int64_t _ob = *_out_base;")
    if serial:
        head = ["    if (blockIdx.x != 0 || threadIdx.x != 0) return;", *head,
                "    for (int64_t _k = 0; _k < _n; ++_k) {",
                "    int64_t _j = _idx[_k];"]
        end = ["    }"]
    elif loop:  # a grid-stride loop: the launch need not know the count
        head += ["    for (int64_t _k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; "
                 "_k < _n; _k += (int64_t)gridDim.x * blockDim.x) {",
                 "    int64_t _j = _idx[_k];"]
        end = ["    }"]
    else:
        head = ["    int64_t _k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;",
                "    if (_k >= _n) return;",
                "    int64_t _j = _idx[_k];"]
        end = []
    lines = [
        SUPPORT if support else "",
        f'extern "C" __global__ void {name}({", ".join(params)}) {{',
        *head,
        *(f"    {line}" for line in body),
        *end,
        "}",
        "",
    ]
    return "\n".join(lines), arg_names, translate.random_sites, serial, translate.int_messages


def nvcc_available() -> bool:
    """Whether ``nvcc`` is on the PATH (it compiles without a GPU)."""
    return shutil.which("nvcc") is not None


def compile_ptx(source: str, arch: str = "sm_80") -> str:
    """Compile CUDA C to PTX with nvcc; returns the PTX, or raises with nvcc's messages."""
    if not nvcc_available():
        raise RuntimeError("nvcc is not available on this machine")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "kernel.cu"
        out = Path(tmp) / "kernel.ptx"
        src.write_text(source)
        result = subprocess.run(["nvcc", "--ptx", f"-arch={arch}", "-fmad=false", "-o",
                                 str(out), str(src)], capture_output=True, text=True,
                                timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"nvcc failed:\n{result.stderr}\n--- source ---\n{source}")
        return out.read_text()


def compile_ptx_many(sources, arch: str = "sm_80",
                     shared: tuple[str, ...] = ()) -> tuple[str, list[list[str]]]:
    """Compile many CUDA modules to PTX in one nvcc run (a test compiles every module the
    run made): each source goes in a namespace of its own with its kernels renamed
    ``<name>__u<k>`` and its macros undefined after it; the includes are hoisted.
    ``shared``: preambles that sources begin with (:data:`SUPPORT`, the device loop's
    kernels), compiled once in front of them all instead of once per source.

    Returns the PTX and, per source, the renamed kernel names (each is a PTX ``.entry``)."""
    import re

    kernel = re.compile(r'(extern\s+"C"\s+__global__\s+void\s+)(\w+)(\s*\()')
    parts, names = ["#include <stdint.h>", "#include <math.h>"], []
    used = [False] * len(shared)
    preambles = len(parts)
    for k, source in enumerate(sources):
        for j, text in enumerate(shared):  # (in order: a source starts with a prefix of them)
            if source.lstrip("\n").startswith(text.lstrip("\n")):
                source = source.lstrip("\n")[len(text.lstrip("\n")):]
                used[j] = True
        body = re.sub(r"^\s*#include\s*<[^>]+>\s*$", "", source, flags=re.M)
        found: list[str] = []

        def rename(m, k=k, found=found):
            found.append(f"{m.group(2)}__u{k}")
            return f"{m.group(1)}{m.group(2)}__u{k}{m.group(3)}"

        body = kernel.sub(rename, body)
        macros = sorted(set(re.findall(r"^\s*#define\s+(\w+)", body, flags=re.M)))
        parts += [f"namespace hs_module_{k} {{", body, "}", *(f"#undef {m}" for m in macros)]
        names.append(found)
    front = [re.sub(r"^\s*#include\s*<[^>]+>\s*$", "", text, flags=re.M)
             for text, wanted in zip(shared, used, strict=True) if wanted]
    parts[preambles:preambles] = front
    return compile_ptx("\n".join(parts), arch), names


#: threads per block of the element kernels
BLOCK = 128


class CudaBlock:
    """A CUDA kernel with the numba kernels' calling convention:
    ``kernel(idx, n, t, dt, *args, step=0)`` (``idx`` an index array or a slice); a
    condition returns the positions within ``idx`` where it holds, in increasing order
    (the device finds them in any order); output blocks return a tuple of arrays.

    Each call runs on the CUDA backend of ``prefs.codegen.cuda_backend``: host arrays are
    copied to the device and the ones the block writes copied back (no copy on the host
    backend, whose device arrays are host arrays).  This is the per-call form that every
    object's Python step runs unchanged; a run with state resident on the device is the
    loop builder's job.
    """

    def __init__(self, source: str, arg_names: list[str], has_condition: bool, n_outputs: int,
                 n_sites: int, written: set[str], backend, serial: bool = False,
                 int_messages: list[str] | None = None, loop_form=None):
        self.source = source
        #: name -> (source of the kernel's device-loop form without the preamble, ...):
        #: see generate_kernel(loop=True); None where the block was not made by compile_block
        self.loop_form = loop_form
        self.arg_names = arg_names
        self.has_condition = has_condition
        self.n_outputs = n_outputs
        self.n_sites = n_sites
        self.keys = None
        self.serial = serial
        self.backend = backend
        self.module_name = "hs_cuda_" + hashlib.sha1(source.encode()).hexdigest()[:16]
        self.int_messages = list(int_messages or [])
        self._launch = None  # compiled on first use, as numba compiles its kernels
        self._written = [k for k, name in enumerate(arg_names)
                         if name.startswith("_arr_") and name[len("_arr_"):] in written]
        self._ranges: dict[tuple[int, int], np.ndarray] = {}

    @property
    def uses_random(self) -> bool:
        return self.n_sites > 0

    def _indices(self, idx, n: int) -> np.ndarray:
        if isinstance(idx, slice):
            key = (idx.start or 0, n)
            if key not in self._ranges:
                self._ranges[key] = np.arange(key[0], key[0] + n, dtype=np.int64)
            return self._ranges[key]
        return np.ascontiguousarray(idx, dtype=np.int64)

    def _device(self, value, name: str):
        backend = self.backend
        if isinstance(value, np.ndarray):
            return value if backend.is_device_array(value) else backend.to_device(value)
        if name.startswith("_arr_") or name.startswith("_index_"):
            return backend.to_device(np.ascontiguousarray(value))
        return np.float64(value)  # a constant: every constant parameter is a double

    def __call__(self, idx, n, t, dt, *args, step: int = 0):
        backend = self.backend
        n = int(n)
        indices = self._indices(idx, n)
        head = [self._device(indices, "_index_"), np.int64(n), np.float64(t), np.float64(dt)]
        if self.n_sites:
            head += [np.uint64(step), self._device(np.ascontiguousarray(self.keys,
                                                                        dtype=np.int64),
                                                   "_index_")]
        found = count = None
        if self.has_condition:
            found = backend.zeros(max(n, 1), np.int64)
            count = backend.zeros(1, np.uint64)
            head += [found, count]
        err = None
        if self.int_messages:
            err = backend.zeros(1, np.int32)
            head.append(err)
        outs = [backend.zeros(max(n, 1), np.float64) for _ in range(self.n_outputs)]
        values = [self._device(v, name) for v, name in zip(args, self.arg_names, strict=True)]
        if n:
            if self._launch is None:
                self._launch = backend.compile(self.source).function("kernel")
            grid, block = ((1,), (1,)) if self.serial else (((n + BLOCK - 1) // BLOCK,),
                                                             (BLOCK,))
            self._launch(grid, block, (*head, *outs, *values))
        if err is not None:
            site = int(backend.to_host(err)[0])
            if site:
                from sim.errors import ModelValueError

                raise ModelValueError(self.int_messages[site - 1])
        for k in self._written:  # back into the host arrays (not needed on the host backend)
            if values[k] is not args[k]:
                args[k][...] = backend.to_host(values[k])
        if self.has_condition:
            c = int(backend.to_host(count)[0])
            return np.sort(backend.to_host(found)[:c])
        if self.n_outputs:
            return tuple(backend.to_host(o)[:n] for o in outs)
        return None


def compile_block(block: CodeBlock, table: NameTable, user_functions: dict | None = None,
                  size: int = 0) -> CudaBlock:
    """Compile a block into a CUDA kernel on the active CUDA backend (see CudaBlock)."""
    from sim.codegen.cuda_runtime import get_backend

    source, arg_names, n_sites, serial, int_messages = generate_kernel(
        block, table, user_functions=user_functions)

    def loop_form(name: str, out_types: list | None = None):
        return generate_kernel(block, table, name, user_functions, loop=True, support=False,
                               out_types=out_types)

    return CudaBlock(source, arg_names, block.condition is not None, len(block.outputs),
                     n_sites, set(block.writes), get_backend(), serial, int_messages,
                     loop_form)
