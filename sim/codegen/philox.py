"""Counter-based random numbers that are bit-identical on every target.

The generator is Philox-4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random
numbers: as easy as 1, 2, 3", SC11, 2011; the Random123 library).  It is a pure
function ``philox4x32(counter, key) -> 4 words`` of a 128-bit counter and a
64-bit key: no state, so any element of any time step can draw its numbers
independently, in any order, on any number of threads, and get the same ones.

Two implementations give identical results:

* **numpy** (vectorised; the reference): :func:`philox4x32`, :func:`uniform`,
  :func:`normal`, :func:`normal_pair`, :func:`poisson`, :func:`binomial` take
  arrays of element indices (all elements of a group in one call);
* **scalar** (``numba.njit``, one element per call, for generated numba
  kernels): :func:`philox4x32_scalar`, :func:`uniform_scalar`,
  :func:`normal_scalar`, :func:`normal_pair_scalar`, :func:`poisson_scalar`,
  :func:`binomial_scalar`.  They are plain Python too (numba is optional:
  without it they run as Python functions, with ``.py_func`` under numba) and
  translate line by line to C/CUDA (see :func:`philox4x32_scalar`).

Stream layout
-------------
``key = (k0, k1) = stream_key(seed, object_name, call_site)``:

* ``k0 = seed & 0xffffffff``;
* ``k1 = FNV-1a-32(utf8(object_name) + b"\\0" + call_site (4 bytes LE)
  + (seed >> 32) (4 bytes LE))`` -- a stable hash (never Python's salted
  ``hash()``), so the same script gives the same streams in every process.

``counter = (step & 0xffffffff, step >> 32, index, draw | attempt << 24)``:

* ``step``: the integer time step (64 bits);
* ``index``: the element (neuron, synapse, ...) index, ``0 <= index < 2**32``
  (``index >> 1`` for the paired uniforms and normals, see below);
* ``draw``: which sample of this call site for this element in this step
  (``0`` for the first; ``0 <= draw < 2**24``), chosen by the caller;
* ``attempt``: internal to the rejection samplers (PTRS, BTRD), which use one
  4-word block per attempt, ``attempt = 0, 1, ...`` (at most 256 attempts; the
  probability of needing more than a handful is negligible, see
  :data:`MAX_ATTEMPTS`).  Every other sampler uses ``attempt = 0`` only, so a
  call site that asks for several samples per element per step just counts
  ``draw = 0, 1, 2, ...`` whatever the samplers do inside.

Bit-identity
------------
Philox itself is integer arithmetic (32x32 -> 64-bit products), identical
everywhere.  Uniforms use 53 random bits (exact in IEEE double).  The other
distributions need ``log``, ``exp``, ``cos``/``sin``; the platform versions
of these are *not* reproducible across targets (numpy uses its own SIMD/SVML
kernels on AVX-512 machines, numba calls the C library, CUDA has its own
libdevice: they differ in the last bit for some inputs).  This module therefore
ships its own :func:`det_log`, :func:`det_exp` and :func:`det_sincos2pi`
(fdlibm's polynomials, error below 1 ulp in practice) built only from
``+ - * /``, ``sqrt`` (correctly rounded by IEEE 754 everywhere), ``floor``,
``frexp`` and ``ldexp`` (exact).  Every sampler performs the same sequence of
IEEE double operations on every target, so results are bit-identical as long
as the compiler neither reorders nor fuses floating-point operations:

* numba: no ``fastmath`` (the default) -- LLVM then does not contract
  ``a*b + c`` into an FMA;
* C/CUDA: compile with ``-ffp-contract=off`` / ``nvcc -fmad=false`` (or use
  ``__dmul_rn``/``__dadd_rn``), and never ``-ffast-math``/``-use_fast_math``;
* numpy evaluates every operation separately, so it never fuses.

Distributions
-------------
Uniforms and normals use all four words of a block: **elements pair up on
blocks**, element ``i`` reading block ``i >> 1`` (counter word 2 is ``i >> 1``),
so one Philox call serves elements ``2b`` and ``2b + 1``.  (Before issue 19 each
element had its own block and used half of it; streams of ``rand``/``randn``
changed then, nothing else did.)

* ``uniform``: ``((wa >> 5) * 2**26 + (wb >> 6)) * 2**-53`` in ``[0, 1)``, with
  words ``(wa, wb) = (w0, w1)`` for even ``i`` and ``(w2, w3)`` for odd ``i``.
* ``normal``: Box-Muller on the block, both outputs: ``u1 = (m + 1) * 2**-53``
  in ``(0, 1]`` from words 0, 1 and ``u2`` in ``[0, 1)`` from words 2, 3;
  ``sqrt(-2 log u1) * (cos 2 pi u2, sin 2 pi u2)`` are the normals of elements
  ``2b`` (cos) and ``2b + 1`` (sin).

Block path: :func:`fill_uniform` / :func:`fill_normal` fill a tile of
consecutive elements, computing each block once in a loop that LLVM
vectorises (branch-free log and sincos, bit casts instead of ``frexp``); the
numba kernels use them over contiguous ranges and the scalar functions for
scattered elements (spiking neurons, events): the same numbers either way.
* ``poisson(lam)``: ``lam < 10``: inversion by sequential search on one
  uniform (``p_0 = exp(-lam)``, ``p_k = p_{k-1} lam / k``); ``lam >= 10``: PTRS,
  transformed rejection with squeeze (W. Hoermann, "The transformed rejection
  method for generating Poisson random variables", Insurance: Mathematics and
  Economics 12, 1993), one block per attempt.
* ``binomial(n, p)``: for ``p > 1/2`` it returns ``n - binomial(n, 1 - p)``;
  with ``p <= 1/2``: ``n p < 10``: inversion by sequential search on one
  uniform (``P(0) = exp(n log(1 - p))``, recurrence ``P(k) = P(k-1) (a/k - s)``);
  ``n p >= 10``: BTRD (W. Hoermann, "The generation of binomial random
  variates", J. Statist. Comput. Simul. 46, 1993), one block per attempt.
  ``log k!`` uses Stirling's series (5 terms) with the correction ``fc(k)``
  tabulated (correctly rounded) for ``k < 16``: relative error ~1e-16.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

try:  # numba is optional: without it the scalar functions are plain Python
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is installed in CI
    numba = None
    HAVE_NUMBA = False

__all__ = [
    "PHILOX_M0",
    "PHILOX_M1",
    "PHILOX_W0",
    "PHILOX_W1",
    "DRAW_BITS",
    "MAX_DRAW",
    "MAX_ATTEMPTS",
    "POISSON_INVERSION_MAX",
    "BINOMIAL_INVERSION_MAX",
    "fnv1a32",
    "stream_key",
    "philox4x32",
    "uniform",
    "normal",
    "normal_pair",
    "poisson",
    "binomial",
    "det_log",
    "det_exp",
    "det_sincos2pi",
    "log_factorial",
    "philox4x32_scalar",
    "uniform_scalar",
    "normal_scalar",
    "normal_pair_scalar",
    "fill_uniform",
    "fill_normal",
    "poisson_scalar",
    "binomial_scalar",
    "det_log_scalar",
    "det_exp_scalar",
    "det_sincos2pi_scalar",
    "log_factorial_scalar",
]

# --------------------------------------------------------------------------- constants

PHILOX_M0 = 0xD2511F53  #: Philox-4x32 multiplier for word 0
PHILOX_M1 = 0xCD9E8D57  #: Philox-4x32 multiplier for word 2
PHILOX_W0 = 0x9E3779B9  #: Weyl increment of key word 0 (golden ratio)
PHILOX_W1 = 0xBB67AE85  #: Weyl increment of key word 1 (sqrt(3) - 1)
PHILOX_ROUNDS = 10

DRAW_BITS = 24
MAX_DRAW = (1 << DRAW_BITS) - 1  #: largest ``draw`` a caller may use
MAX_ATTEMPTS = 256  #: attempts of a rejection sampler (counter word 3, high 8 bits)
POISSON_INVERSION_MAX = 10.0  #: ``lam`` below this: inversion; at or above: PTRS
BINOMIAL_INVERSION_MAX = 10.0  #: ``n*min(p, 1-p)`` below this: inversion; else BTRD

_MASK32 = 0xFFFFFFFF
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193

# numpy scalars for the integer kernels (numba freezes them as uint64 constants;
# mixing uint64 with int64 in numba would promote to float64)
_U_M0 = np.uint64(PHILOX_M0)
_U_M1 = np.uint64(PHILOX_M1)
_U_W0 = np.uint64(PHILOX_W0)
_U_W1 = np.uint64(PHILOX_W1)
_U_MASK = np.uint64(_MASK32)
_U_32 = np.uint64(32)
_U_26 = np.uint64(26)
_U_6 = np.uint64(6)
_U_5 = np.uint64(5)

_TWO_M53 = 2.0**-53

# fdlibm e_log.c
_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42 fee00000
_LN2_LO = 1.90821492927058770002e-10  # 0x3dea39ef 35793c76
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF = 0.7071067811865476
# fdlibm e_exp.c
_INV_LN2 = 1.44269504088896338700e00
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_EXP_MAX = 709.782712893383973096
_EXP_MIN = -745.13321910194110842
# fdlibm k_sin.c / k_cos.c (musl form)
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11
_PI_4 = 0.7853981633974483  # pi/4 correctly rounded
# Stirling's series: log k! = (k+1/2) log(k+1) - (k+1) + log(2 pi)/2 + fc(k)
_HALF_LN_2PI = 0.9189385332046728
_FC_TABLE = np.array(
    [  # fc(k), k = 0..15, from 60-digit decimal arithmetic, correctly rounded
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
        0.0052076559196096404,
    ]
)
_FC1 = 1.0 / 12.0
_FC2 = 1.0 / 360.0
_FC3 = 1.0 / 1260.0
_FC4 = 1.0 / 1680.0
_FC5 = 1.0 / 1188.0
_FC_TABLE_SIZE = 16.0
_THIRD = 1.0 / 3.0
_SIXTH = 1.0 / 6.0
# log(1 - p) for small p: -p (1 + p/2 + p^2/3 + ... + p^7/8)
_L1M = (1.0 / 2.0, 1.0 / 3.0, 1.0 / 4.0, 1.0 / 5.0, 1.0 / 6.0, 1.0 / 7.0, 1.0 / 8.0)
_L1M2, _L1M3, _L1M4, _L1M5, _L1M6, _L1M7, _L1M8 = _L1M
_LOG1M_SERIES_MAX = 0.01


def _jit(fn: Callable) -> Callable:
    """``numba.njit`` with on-disk caching and IEEE division (no fastmath)."""
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(cache=True, error_model="numpy")(fn)


def _jit_inline(fn: Callable) -> Callable:
    """:func:`_jit`, inlined into its callers at numba's IR level.

    The block path (Philox, the uniforms, the branch-free log and sincos of the
    normals) must be inlined *before* LLVM's loop vectoriser runs: called as an
    ordinary function returning a tuple, the Philox of an element loop stays
    scalar (measured: 75 M blocks/s against 680 M/s inlined, AVX-512, one core).
    """
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(cache=True, error_model="numpy", inline="always")(fn)


if numba is not None:
    from numba.core import types as _nb_types
    from numba.extending import intrinsic as _nb_intrinsic

    @_nb_intrinsic
    def _f64_bits(typingctx, x):  # noqa: ARG001 - numba's intrinsic signature
        """The IEEE bits of a float64 as an int64 (LLVM ``bitcast``: free, vectorises)."""
        if not isinstance(x, _nb_types.Float):
            return None
        sig = _nb_types.int64(_nb_types.float64)

        def codegen(context, builder, signature, args):  # noqa: ARG001
            value = context.cast(builder, args[0], x, _nb_types.float64)
            return builder.bitcast(value, context.get_value_type(_nb_types.int64))

        return sig, codegen

    @_nb_intrinsic
    def _bits_f64(typingctx, b):  # noqa: ARG001
        """The float64 whose IEEE bits are the int64 ``b`` (LLVM ``bitcast``)."""
        if not isinstance(b, _nb_types.Integer):
            return None
        sig = _nb_types.float64(_nb_types.int64)

        def codegen(context, builder, signature, args):  # noqa: ARG001
            value = context.cast(builder, args[0], b, _nb_types.int64)
            return builder.bitcast(value, context.get_value_type(_nb_types.float64))

        return sig, codegen
else:  # pragma: no cover - plain Python without numba
    import struct as _struct

    def _f64_bits(x: float) -> int:
        return _struct.unpack("<q", _struct.pack("<d", x))[0]

    def _bits_f64(b: int) -> float:
        return _struct.unpack("<d", _struct.pack("<q", b))[0]


# --------------------------------------------------------------------------- stream keys


def fnv1a32(data: bytes) -> int:
    """32-bit FNV-1a hash of ``data`` (offset basis 0x811c9dc5, prime 0x01000193)."""
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK32
    return h


def stream_key(seed: int, object_name: str, call_site: int) -> tuple[int, int]:
    """The Philox key of one random call site of one object.

    ``k0`` is the low 32 bits of ``seed``; ``k1`` is the FNV-1a-32 hash of the
    UTF-8 object name, a zero byte, ``call_site`` (4 bytes, little endian) and
    the high 32 bits of ``seed`` (4 bytes, little endian).  Stable across
    processes, machines and Python versions.

    Parameters
    ----------
    seed : int
        The simulation seed, ``0 <= seed < 2**64``.
    object_name : str
        The name of the object drawing numbers (e.g. ``"neurongroup_1"``).
    call_site : int
        Which random call of that object (``0 <= call_site < 2**32``), e.g. the
        position of a ``rand()`` in its generated code.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must satisfy 0 <= seed < 2**64, got {seed}")
    if not isinstance(object_name, str):
        raise TypeError(f"object_name must be a str, got {object_name!r}")
    if isinstance(call_site, bool) or not isinstance(call_site, int | np.integer):
        raise TypeError(f"call_site must be an integer, got {call_site!r}")
    if not 0 <= int(call_site) < 2**32:
        raise ValueError(f"call_site must satisfy 0 <= call_site < 2**32, got {call_site}")
    seed = int(seed)
    data = (
        object_name.encode("utf-8")
        + b"\0"
        + int(call_site).to_bytes(4, "little")
        + (seed >> 32).to_bytes(4, "little")
    )
    return seed & _MASK32, fnv1a32(data)


# --------------------------------------------------------------------------- scalar kernels


@_jit_inline
def philox4x32_scalar(c0: int, c1: int, c2: int, c3: int, k0: int, k1: int) -> tuple:
    """Philox-4x32-10 of one counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)``.

    Returns the four output words (each ``< 2**32``, typed uint64 under numba).
    All arguments must be ``0 <= x < 2**32`` (higher bits are masked off).

    The exact C/CUDA equivalent::

        static inline void philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
            for (int r = 0; r < 10; ++r) {
                uint64_t p0 = (uint64_t)0xD2511F53u * c[0];   // CUDA: __umulhi
                uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
                uint32_t y0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
                uint32_t y2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
                c[1] = (uint32_t)p1;  c[3] = (uint32_t)p0;
                c[0] = y0;            c[2] = y2;
                k0 += 0x9E3779B9u;    k1 += 0xBB67AE85u;  // wraps mod 2**32
            }
        }
    """
    x0 = np.uint64(c0) & _U_MASK
    x1 = np.uint64(c1) & _U_MASK
    x2 = np.uint64(c2) & _U_MASK
    x3 = np.uint64(c3) & _U_MASK
    key0 = np.uint64(k0) & _U_MASK
    key1 = np.uint64(k1) & _U_MASK
    for _ in range(10):
        p0 = _U_M0 * x0
        p1 = _U_M1 * x2
        y0 = (p1 >> _U_32) ^ x1 ^ key0
        y2 = (p0 >> _U_32) ^ x3 ^ key1
        x1 = p1 & _U_MASK
        x3 = p0 & _U_MASK
        x0 = y0
        x2 = y2
        key0 = (key0 + _U_W0) & _U_MASK
        key1 = (key1 + _U_W1) & _U_MASK
    return x0, x1, x2, x3


@_jit_inline
def _block_scalar(k0: int, k1: int, step: int, index: int, word3: int) -> tuple:
    """The block of counter ``(step lo, step hi, index, word3)``."""
    s = np.uint64(step)
    return philox4x32_scalar(s & _U_MASK, s >> _U_32, index, word3, k0, k1)


@_jit_inline
def _u53_scalar(w0: Any, w1: Any) -> float:
    """Uniform in [0, 1) from two words: C ``(double)((w0>>5)<<26 | w1>>6) * 0x1p-53``."""
    m = ((w0 >> _U_5) << _U_26) | (w1 >> _U_6)
    return float(m) * _TWO_M53


@_jit_inline
def _u53_open0_scalar(w0: Any, w1: Any) -> float:
    """Uniform in (0, 1] from two words: ``(m + 1) * 2**-53`` (exact)."""
    m = ((w0 >> _U_5) << _U_26) | (w1 >> _U_6)
    return (float(m) + 1.0) * _TWO_M53


@_jit
def det_log_scalar(x: float) -> float:
    """Natural logarithm from basic IEEE operations only (fdlibm e_log.c).

    ``x = f 2**e`` (``frexp``, exact), ``f`` moved into ``[sqrt(1/2), sqrt(2))``,
    ``log(1+f) = 2s + s R(s**2)`` with ``s = f/(2+f)``.  Same bits on every target.
    """
    if x != x or x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    if x == math.inf:
        return math.inf
    f, e = math.frexp(x)
    if f < _SQRT_HALF:
        f = f * 2.0
        e = e - 1
    f = f - 1.0
    dk = float(e)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)


@_jit
def det_exp_scalar(x: float) -> float:
    """Exponential from basic IEEE operations only (fdlibm e_exp.c)."""
    if x != x:
        return math.nan
    if x > _EXP_MAX:
        return math.inf
    if x < _EXP_MIN:
        return 0.0
    k = math.floor(x * _INV_LN2 + 0.5)
    dk = float(k)
    hi = x - dk * _LN2_HI
    lo = dk * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return math.ldexp(y, int(k))


@_jit_inline
def _ksin_scalar(x: float) -> float:
    z = x * x
    v = z * x
    r = _S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))
    return x + v * (_S1 + z * r)


@_jit_inline
def _kcos_scalar(x: float) -> float:
    z = x * x
    r = z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + z * r)


@_jit_inline
def _log_positive_scalar(x: float) -> float:
    """:func:`det_log_scalar` for positive normal finite ``x`` (same bits), branch-free.

    ``frexp`` is read off the IEEE bits (exponent field, mantissa moved into
    ``[1/2, 1)``), so that an element loop of it vectorises; the uniforms of the
    normals, ``(m + 1) 2**-53``, are always in this domain.
    """
    b = _f64_bits(x)
    e = (b >> 52) - 1022
    f = _bits_f64((b & 0x000FFFFFFFFFFFFF) | 0x3FE0000000000000)
    low = f < _SQRT_HALF
    f = f * 2.0 if low else f
    dk = float(e - 1) if low else float(e)
    f = f - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)


@_jit_inline
def det_sincos2pi_scalar(u: float) -> tuple:
    """``(sin 2 pi u, cos 2 pi u)`` for ``0 <= u < 1`` from basic IEEE operations.

    ``8u = o + r`` (exact), the angle is reduced to ``[0, pi/4]`` by octant
    symmetry and fdlibm's sin/cos kernels are applied.  Written with selects
    only (no branches), so that element loops of it vectorise.
    """
    v = 8.0 * u
    o = np.int64(v)  # v >= 0: truncation is floor
    r = v - float(o)
    r = 1.0 - r if (o & 1) != 0 else r
    x = r * _PI_4
    sk = _ksin_scalar(x)
    ck = _kcos_scalar(x)
    swap = ((o + 1) & 2) != 0
    s = ck if swap else sk
    c = sk if swap else ck
    s = -s if o >= 4 else s
    c = -c if ((o + 2) & 4) != 0 else c
    return s, c


@_jit
def _fc_scalar(k: float) -> float:
    """Stirling correction ``fc(k) = log k! - (k+1/2) log(k+1) + (k+1) - log(2 pi)/2``.

    Tabulated for ``k < 16``; above, the series ``1/(12n) - 1/(360n^3) + 1/(1260n^5)
    - 1/(1680n^7) + 1/(1188n^9)`` with ``n = k + 1`` (truncation error < 1e-16).
    """
    if k < _FC_TABLE_SIZE:
        return _FC_TABLE[int(k)]
    kp1 = k + 1.0
    z = 1.0 / (kp1 * kp1)
    return (_FC1 - z * (_FC2 - z * (_FC3 - z * (_FC4 - z * _FC5)))) / kp1


@_jit
def log_factorial_scalar(k: float) -> float:
    """``log k!`` for integer-valued ``k >= 0`` (Stirling's series with correction)."""
    return (k + 0.5) * det_log_scalar(k + 1.0) - (k + 1.0) + _HALF_LN_2PI + _fc_scalar(k)


@_jit
def _log1m_scalar(p: float) -> float:
    """``log(1 - p)`` for ``0 <= p <= 1/2``, accurate for small ``p``."""
    if p < _LOG1M_SERIES_MAX:
        return -p * (
            1.0 + p * (_L1M2 + p * (_L1M3 + p * (_L1M4 + p * (_L1M5 + p * (_L1M6 + p * (
                _L1M7 + p * _L1M8))))))
        )
    return det_log_scalar(1.0 - p)


@_jit_inline
def _uniform_pair_inline(k0: int, k1: int, step: int, block: int, draw: int) -> tuple:
    """The two uniforms of one block: words 0, 1 and words 2, 3."""
    w0, w1, w2, w3 = _block_scalar(k0, k1, step, block, draw)
    return _u53_scalar(w0, w1), _u53_scalar(w2, w3)


@_jit_inline
def _normal_pair_inline(k0: int, k1: int, step: int, block: int, draw: int) -> tuple:
    """The two normals of one block (Box-Muller, both outputs), branch-free."""
    w0, w1, w2, w3 = _block_scalar(k0, k1, step, block, draw)
    u1 = _u53_open0_scalar(w0, w1)
    u2 = _u53_scalar(w2, w3)
    radius = math.sqrt(-2.0 * _log_positive_scalar(u1))
    s, c = det_sincos2pi_scalar(u2)
    return radius * c, radius * s


@_jit
def uniform_scalar(k0: int, k1: int, step: int, index: int, draw: int) -> float:
    """Uniform double in ``[0, 1)`` for one element.

    Elements pair up on blocks: ``index`` reads block ``index >> 1``, words 0, 1
    when it is even and words 2, 3 when it is odd.
    """
    a, b = _uniform_pair_inline(k0, k1, step, index >> 1, draw)
    return b if (index & 1) != 0 else a


@_jit
def normal_pair_scalar(k0: int, k1: int, step: int, block: int, draw: int) -> tuple:
    """The two standard normals of one block (Box-Muller, both outputs): those of
    elements ``2 block`` (the cos one) and ``2 block + 1`` (the sin one)."""
    return _normal_pair_inline(k0, k1, step, block, draw)


@_jit
def normal_scalar(k0: int, k1: int, step: int, index: int, draw: int) -> float:
    """Standard normal for one element: its half of the pair of block ``index >> 1``
    (:func:`normal_pair_scalar`; the cos one for even ``index``, the sin one for odd)."""
    z0, z1 = _normal_pair_inline(k0, k1, step, index >> 1, draw)
    return z1 if (index & 1) != 0 else z0


# ---------------------------------------------------------------- block fills (numba)
# ``out[m]`` gets the number of element ``start + m``: the same as the scalar
# functions give, but each block's two numbers are computed once, in a loop over
# whole blocks that LLVM vectorises (the block path of the generated kernels).


@_jit
def fill_uniform(out: np.ndarray, k0: int, k1: int, step: int, start: int, draw: int) -> None:
    """``out[m] = uniform_scalar(k0, k1, step, start + m, draw)`` for every ``m``."""
    n = out.shape[0]
    if n == 0:
        return
    head = start & 1  # an odd start takes the second half of its block
    if head:
        out[0] = _uniform_pair_inline(k0, k1, step, start >> 1, draw)[1]
    first = (start + head) >> 1
    full = (n - head) >> 1
    for q in range(full):
        a, b = _uniform_pair_inline(k0, k1, step, first + q, draw)
        out[head + 2 * q] = a
        out[head + 2 * q + 1] = b
    if head + 2 * full < n:  # an odd end takes the first half of its block
        out[n - 1] = _uniform_pair_inline(k0, k1, step, first + full, draw)[0]


@_jit
def fill_normal(out: np.ndarray, k0: int, k1: int, step: int, start: int, draw: int) -> None:
    """``out[m] = normal_scalar(k0, k1, step, start + m, draw)`` for every ``m``."""
    n = out.shape[0]
    if n == 0:
        return
    head = start & 1
    if head:
        out[0] = _normal_pair_inline(k0, k1, step, start >> 1, draw)[1]
    first = (start + head) >> 1
    full = (n - head) >> 1
    for q in range(full):
        z0, z1 = _normal_pair_inline(k0, k1, step, first + q, draw)
        out[head + 2 * q] = z0
        out[head + 2 * q + 1] = z1
    if head + 2 * full < n:
        out[n - 1] = _normal_pair_inline(k0, k1, step, first + full, draw)[0]


@_jit
def _poisson_inversion_scalar(lam: float, u: float) -> int:
    p = det_exp_scalar(-lam)
    big_f = p
    k = 0
    while u >= big_f:
        k += 1
        p = p * lam / k
        f_next = big_f + p
        if f_next == big_f:  # the tail is below rounding: stop (probability ~1e-16)
            break
        big_f = f_next
    return k


@_jit
def poisson_scalar(lam: float, k0: int, k1: int, step: int, index: int, draw: int) -> int:
    """Poisson(``lam``) for one element: inversion (``lam < 10``) or PTRS."""
    if not lam > 0.0:
        return 0
    if lam < POISSON_INVERSION_MAX:
        w0, w1, w2, w3 = _block_scalar(k0, k1, step, index, draw)
        return _poisson_inversion_scalar(lam, _u53_scalar(w0, w1))
    slam = math.sqrt(lam)
    loglam = det_log_scalar(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    log_inv_alpha = det_log_scalar(inv_alpha)
    for attempt in range(MAX_ATTEMPTS):
        w0, w1, w2, w3 = _block_scalar(k0, k1, step, index, draw + (attempt << DRAW_BITS))
        u = _u53_scalar(w0, w1) - 0.5
        v = _u53_open0_scalar(w2, w3)
        us = 0.5 - abs(u)
        if us < 0.013 and v > us:
            continue
        kf = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(kf)
        if kf < 0.0:
            continue
        lhs = det_log_scalar(v) + log_inv_alpha - det_log_scalar(a / (us * us) + b)
        rhs = -lam + kf * loglam - log_factorial_scalar(float(kf))
        if lhs <= rhs:
            return int(kf)
    return int(math.floor(lam))  # not reached in practice (< 0.2**256)


@_jit
def _binomial_inversion_scalar(n: float, p: float, u: float) -> float:
    q = 1.0 - p
    s = p / q
    a = (n + 1.0) * s
    r = det_exp_scalar(n * _log1m_scalar(p))
    x = 0.0
    while u >= r and x < n:
        if r == 0.0:  # the tail is below rounding (probability ~1e-16)
            break
        u = u - r
        x = x + 1.0
        r = r * (a / x - s)
    return x


@_jit
def _binomial_btrd_scalar(n: float, p: float, k0: int, k1: int, step: int, index: int,
                          draw: int) -> float:
    q = 1.0 - p
    m = float(math.floor((n + 1.0) * p))
    r = p / q
    nr = (n + 1.0) * r
    npq = n * p * q
    sqnpq = math.sqrt(npq)
    b = 1.15 + 2.53 * sqnpq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    alpha = (2.83 + 5.1 / b) * sqnpq
    vr = 0.92 - 4.2 / b
    urvr = 0.86 * vr
    nm = n - m + 1.0
    for attempt in range(MAX_ATTEMPTS):
        w0, w1, w2, w3 = _block_scalar(k0, k1, step, index, draw + (attempt << DRAW_BITS))
        v = _u53_scalar(w0, w1)
        u2 = _u53_open0_scalar(w2, w3)
        if v <= urvr:
            u = v / vr - 0.43
            return float(math.floor((2.0 * a / (0.5 - abs(u)) + b) * u + c))
        if v >= vr:
            u = u2 - 0.5
        else:
            u = v / vr - 0.93
            if u < 0.0:
                u = -0.5 - u
            else:
                u = 0.5 - u
            v = u2 * vr
        us = 0.5 - abs(u)
        if us <= 0.0:
            continue
        k = float(math.floor((2.0 * a / us + b) * u + c))
        if k < 0.0 or k > n:
            continue
        v = v * alpha / (a / (us * us) + b)
        km = abs(k - m)
        if km <= 15.0:
            f = 1.0
            if m < k:
                i = m
                while i < k:
                    i = i + 1.0
                    f = f * (nr / i - r)
            elif m > k:
                i = k
                while i < m:
                    i = i + 1.0
                    v = v * (nr / i - r)
            if v <= f:
                return k
            continue
        v = det_log_scalar(v)
        rho = (km / npq) * (((km * _THIRD + 0.625) * km + _SIXTH) / npq + 0.5)
        t = -km * km / (2.0 * npq)
        if v < t - rho:
            return k
        if v > t + rho:
            continue
        h = (m + 0.5) * det_log_scalar((m + 1.0) / (r * nm)) + _fc_scalar(m) + _fc_scalar(n - m)
        nk = n - k + 1.0
        bound = (h + (n + 1.0) * det_log_scalar(nm / nk)
                 + (k + 0.5) * det_log_scalar(nk * r / (k + 1.0)) - _fc_scalar(k)
                 - _fc_scalar(n - k))
        if v <= bound:
            return k
    return m  # not reached in practice


@_jit
def binomial_scalar(n: int, p: float, k0: int, k1: int, step: int, index: int,
                    draw: int) -> int:
    """Binomial(``n``, ``p``) for one element: inversion (``n min(p, 1-p) < 10``) or BTRD."""
    nf = float(n)
    flip = p > 0.5
    pp = 1.0 - p if flip else p
    if not (nf > 0.0 and pp > 0.0):
        x = 0.0
    elif nf * pp < BINOMIAL_INVERSION_MAX:
        w0, w1, w2, w3 = _block_scalar(k0, k1, step, index, draw)
        x = _binomial_inversion_scalar(nf, pp, _u53_scalar(w0, w1))
    else:
        x = _binomial_btrd_scalar(nf, pp, k0, k1, step, index, draw)
    if flip:
        x = nf - x
    return int(x)


# --------------------------------------------------------------------------- numpy kernels

_CHUNK = 1 << 15  # elements per Philox pass: keeps the temporaries in cache


def _philox_np(x0: Any, x1: Any, x2: Any, x3: Any, k0: int, k1: int,
               rounds: int = PHILOX_ROUNDS) -> tuple:
    """Philox-4x32 on uint64 arrays or scalars (broadcast); words ``< 2**32``."""
    for r in range(rounds):
        key0 = np.uint64((k0 + r * PHILOX_W0) & _MASK32)
        key1 = np.uint64((k1 + r * PHILOX_W1) & _MASK32)
        p0 = x0 * _U_M0
        p1 = x2 * _U_M1
        y0 = (p1 >> _U_32) ^ x1 ^ key0
        y2 = (p0 >> _U_32) ^ x3 ^ key1
        x0, x1, x2, x3 = y0, p1 & _U_MASK, y2, p0 & _U_MASK
    return x0, x1, x2, x3


def philox4x32(counter: Any, key: Any, rounds: int = PHILOX_ROUNDS) -> np.ndarray:
    """Philox-4x32-``rounds`` (default 10), vectorised.

    Parameters
    ----------
    counter : array_like
        Four counter words (shape ``(4, ...)`` or a sequence of four values or
        arrays that broadcast together), each ``0 <= word < 2**32``.
    key : array_like
        Two key words ``(k0, k1)``, each ``0 <= word < 2**32``.
    rounds : int
        Number of rounds (10 for Philox-4x32-10).

    Returns
    -------
    numpy.ndarray
        uint32 array of shape ``(4, ...)``.
    """
    if len(counter) != 4:
        raise ValueError(f"counter must have 4 words, got {len(counter)}")
    if len(key) != 2:
        raise ValueError(f"key must have 2 words, got {len(key)}")
    k0, k1 = (_check_word(k, "key word") for k in key)
    words = []
    for c in counter:
        arr = np.asarray(c)
        if arr.size and (arr.min() < 0 or arr.max() > _MASK32):
            raise ValueError("counter words must satisfy 0 <= word < 2**32")
        words.append(arr.astype(np.uint64))
    out = _philox_np(*np.broadcast_arrays(*words), k0, k1, rounds)
    return np.stack([np.asarray(w, dtype=np.uint32) for w in out])


def _check_word(value: Any, what: str) -> int:
    value = int(value)
    if not 0 <= value <= _MASK32:
        raise ValueError(f"{what} must satisfy 0 <= {what} < 2**32, got {value}")
    return value


def _prepare(key: Any, step: int, index: Any, draw: int) -> tuple:
    """Validate and convert (key, step, index, draw): returns words and a flat index."""
    if len(key) != 2:
        raise ValueError(f"key must be a pair (k0, k1), got {key!r}")
    k0, k1 = (_check_word(k, "key word") for k in key)
    step = int(step)
    if not 0 <= step < 2**64:
        raise ValueError(f"step must satisfy 0 <= step < 2**64, got {step}")
    draw = int(draw)
    if not 0 <= draw <= MAX_DRAW:
        raise ValueError(f"draw must satisfy 0 <= draw < 2**{DRAW_BITS}, got {draw}")
    idx = np.asarray(index)
    if idx.dtype.kind not in "iu":
        if idx.size == 0:
            idx = idx.astype(np.int64)
        else:
            raise TypeError(f"index must be an integer array, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() > _MASK32):
        raise ValueError("element indices must satisfy 0 <= index < 2**32")
    flat = idx.astype(np.uint64).ravel()
    return k0, k1, np.uint64(step & _MASK32), np.uint64(step >> 32), flat, idx.shape, draw


def _blocks(k0: int, k1: int, c0: Any, c1: Any, idx: np.ndarray, word3: int):
    """Yield ``(slice, (w0, w1, w2, w3))`` over chunks of the flat index array."""
    w3 = np.uint64(word3)
    n = idx.size
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        yield sl, _philox_np(c0, c1, idx[sl], w3, k0, k1)


def _u53(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    return (((w0 >> _U_5) << _U_26) | (w1 >> _U_6)).astype(np.float64) * _TWO_M53


def _u53_open0(w0: np.ndarray, w1: np.ndarray) -> np.ndarray:
    return ((((w0 >> _U_5) << _U_26) | (w1 >> _U_6)).astype(np.float64) + 1.0) * _TWO_M53


def _uniforms2(k0: int, k1: int, c0: Any, c1: Any, idx: np.ndarray, word3: int,
               open0_second: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Both uniforms of each block: [0, 1) from words 0, 1; (0, 1] from words 2, 3."""
    a = np.empty(idx.size)
    b = np.empty(idx.size)
    conv = _u53_open0 if open0_second else _u53
    for sl, (w0, w1, w2, w3) in _blocks(k0, k1, c0, c1, idx, word3):
        a[sl] = _u53(w0, w1)
        b[sl] = conv(w2, w3)
    return a, b


def det_log(x: Any) -> np.ndarray:
    """Vectorised :func:`det_log_scalar` (bit-identical)."""
    x = np.asarray(x, dtype=np.float64)
    bad = ~(x > 0.0) | (x == np.inf)
    any_bad = bool(np.any(bad))
    f, e = np.frexp(np.where(bad, 1.0, x) if any_bad else x)
    low = f < _SQRT_HALF
    f = np.where(low, f * 2.0, f)
    dk = e.astype(np.float64) - low
    f = f - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    r = t2 + t1
    hfsq = 0.5 * f * f
    out = dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)
    if any_bad:
        out = np.where(x == 0.0, -np.inf, out)
        out = np.where((x < 0.0) | np.isnan(x), np.nan, out)
        out = np.where(x == np.inf, np.inf, out)
    return out


def det_exp(x: Any) -> np.ndarray:
    """Vectorised :func:`det_exp_scalar` (bit-identical)."""
    x = np.asarray(x, dtype=np.float64)
    xc = np.clip(x, _EXP_MIN, _EXP_MAX)
    dk = np.floor(xc * _INV_LN2 + 0.5)
    hi = xc - dk * _LN2_HI
    lo = dk * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    out = np.ldexp(y, dk.astype(np.int32))
    out = np.where(x > _EXP_MAX, np.inf, np.where(x < _EXP_MIN, 0.0, out))
    return np.where(np.isnan(x), np.nan, out)


def _ksin(x: np.ndarray) -> np.ndarray:
    z = x * x
    v = z * x
    r = _S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))
    return x + v * (_S1 + z * r)


def _kcos(x: np.ndarray) -> np.ndarray:
    z = x * x
    r = z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + z * r)


def det_sincos2pi(u: Any) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`det_sincos2pi_scalar`: ``(sin 2 pi u, cos 2 pi u)``, ``0 <= u < 1``."""
    u = np.asarray(u, dtype=np.float64)
    v = 8.0 * u
    of = np.floor(v)
    r = v - of
    o = of.astype(np.int64)
    r = np.where(o & 1, 1.0 - r, r)
    x = r * _PI_4
    s = _ksin(x)
    c = _kcos(x)
    swap = ((o + 1) & 2) != 0
    s, c = np.where(swap, c, s), np.where(swap, s, c)
    s = np.where(o >= 4, -s, s)
    c = np.where(((o + 2) & 4) != 0, -c, c)
    return s, c


def _fc(k: np.ndarray) -> np.ndarray:
    kp1 = k + 1.0
    z = 1.0 / (kp1 * kp1)
    series = (_FC1 - z * (_FC2 - z * (_FC3 - z * (_FC4 - z * _FC5)))) / kp1
    small = k < _FC_TABLE_SIZE
    if not np.any(small):
        return series
    table = _FC_TABLE[np.where(small, k, 0.0).astype(np.int64)]
    return np.where(small, table, series)


def log_factorial(k: Any) -> np.ndarray:
    """Vectorised :func:`log_factorial_scalar`: ``log k!`` for integer-valued ``k >= 0``."""
    k = np.asarray(k, dtype=np.float64)
    return (k + 0.5) * det_log(k + 1.0) - (k + 1.0) + _HALF_LN_2PI + _fc(k)


def _log1m(p: np.ndarray) -> np.ndarray:
    series = -p * (
        1.0 + p * (_L1M2 + p * (_L1M3 + p * (_L1M4 + p * (_L1M5 + p * (_L1M6 + p * (
            _L1M7 + p * _L1M8))))))
    )
    return np.where(p < _LOG1M_SERIES_MAX, series, det_log(1.0 - p))


def uniform(key: Any, step: int, index: Any, draw: int = 0) -> np.ndarray:
    """Uniform doubles in ``[0, 1)``, one per element of ``index``.

    Parameters
    ----------
    key : (int, int)
        The stream's key, from :func:`stream_key`.
    step : int
        Time step (``0 <= step < 2**64``).
    index : array_like of int
        Element indices (``0 <= index < 2**32``); the result has its shape.
    draw : int
        Which sample of this call site for these elements in this step.
    """
    k0, k1, c0, c1, idx, shape, draw = _prepare(key, step, index, draw)
    out = np.empty(idx.size)
    odd = (idx & np.uint64(1)).astype(bool)
    for sl, (w0, w1, w2, w3) in _blocks(k0, k1, c0, c1, idx >> np.uint64(1), draw):
        o = odd[sl]
        out[sl] = _u53(np.where(o, w2, w0), np.where(o, w3, w1))
    return out.reshape(shape)


def _box_muller(u1: np.ndarray, u2: np.ndarray) -> tuple:
    radius = np.sqrt(-2.0 * det_log(u1))
    s, c = det_sincos2pi(u2)
    return radius * c, radius * s


def normal_pair(key: Any, step: int, block: Any, draw: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The two standard normals of each block (Box-Muller, both outputs): those of
    elements ``2 block`` and ``2 block + 1`` in :func:`normal`."""
    k0, k1, c0, c1, idx, shape, draw = _prepare(key, step, block, draw)
    z0 = np.empty(idx.size)
    z1 = np.empty(idx.size)
    for sl, (w0, w1, w2, w3) in _blocks(k0, k1, c0, c1, idx, draw):
        z0[sl], z1[sl] = _box_muller(_u53_open0(w0, w1), _u53(w2, w3))
    return z0.reshape(shape), z1.reshape(shape)


def normal(key: Any, step: int, index: Any, draw: int = 0) -> np.ndarray:
    """Standard normals, one per element: element ``index`` takes its half of the
    pair of block ``index >> 1`` (the cos one when even, the sin one when odd)."""
    k0, k1, c0, c1, idx, shape, draw = _prepare(key, step, index, draw)
    out = np.empty(idx.size)
    odd = (idx & np.uint64(1)).astype(bool)
    for sl, (w0, w1, w2, w3) in _blocks(k0, k1, c0, c1, idx >> np.uint64(1), draw):
        z0, z1 = _box_muller(_u53_open0(w0, w1), _u53(w2, w3))
        out[sl] = np.where(odd[sl], z1, z0)
    return out.reshape(shape)


def _broadcast_param(value: Any, shape: tuple, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    try:
        return np.broadcast_to(arr, shape).ravel()
    except ValueError:
        raise ValueError(
            f"{name} of shape {arr.shape} does not broadcast to the index shape {shape}"
        ) from None


def _poisson_inversion_np(lam: np.ndarray, u: np.ndarray) -> np.ndarray:
    p = det_exp(-lam)
    big_f = p.copy()
    k = np.zeros(lam.size)
    act = np.nonzero(u >= big_f)[0]
    kk = 0
    while act.size:
        kk += 1
        k[act] = kk
        pa = p[act] * lam[act] / float(kk)
        p[act] = pa
        fa = big_f[act]
        f_next = fa + pa
        moved = f_next != fa
        act = act[moved]
        big_f[act] = f_next[moved]
        act = act[u[act] >= big_f[act]]
    return k


def _poisson_ptrs_np(lam: np.ndarray, k0: int, k1: int, c0: Any, c1: Any,
                     idx: np.ndarray, draw: int) -> np.ndarray:
    slam = np.sqrt(lam)
    loglam = det_log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    log_inv_alpha = det_log(inv_alpha)
    out = np.floor(lam)  # the fallback, overwritten on acceptance
    pend = np.arange(lam.size)
    for attempt in range(MAX_ATTEMPTS):
        if pend.size == 0:
            break
        uu, v = _uniforms2(k0, k1, c0, c1, idx[pend], draw + (attempt << DRAW_BITS))
        u = uu - 0.5
        us = 0.5 - np.abs(u)
        cand = ~((us < 0.013) & (v > us))
        sel, u, v, us = pend[cand], u[cand], v[cand], us[cand]
        la, aa, bb = lam[sel], a[sel], b[sel]
        kf = np.floor((2.0 * aa / us + bb) * u + la + 0.43)
        quick = (us >= 0.07) & (v <= vr[sel])
        test = ~quick & (kf >= 0.0)
        accept = quick.copy()
        if np.any(test):
            t_sel = sel[test]
            ut, kt = us[test], kf[test]
            lhs = det_log(v[test]) + log_inv_alpha[t_sel] - det_log(aa[test] / (ut * ut)
                                                                     + bb[test])
            rhs = -la[test] + kt * loglam[t_sel] - log_factorial(kt)
            accept[test] = lhs <= rhs
        out[sel[accept]] = kf[accept]
        done = np.zeros(lam.size, dtype=bool)
        done[sel[accept]] = True
        pend = pend[~done[pend]]
    return out


def poisson(lam: Any, key: Any, step: int, index: Any, draw: int = 0) -> np.ndarray:
    """Poisson(``lam``) samples (int64), one per element of ``index``.

    ``lam`` is a scalar or an array that broadcasts to ``index``'s shape,
    ``0 <= lam < 2**52``.  ``lam < 10``: inversion on one uniform; ``lam >= 10``:
    PTRS, one block per attempt (``attempt`` in the high 8 bits of counter word 3).
    """
    k0, k1, c0, c1, idx, shape, draw = _prepare(key, step, index, draw)
    lam = _broadcast_param(lam, shape, "lam")
    if lam.size and not (lam.min() >= 0.0 and lam.max() < 2.0**52):
        raise ValueError("poisson: lam must satisfy 0 <= lam < 2**52 (and not be NaN)")
    out = np.zeros(idx.size, dtype=np.int64)
    small = np.nonzero((lam > 0.0) & (lam < POISSON_INVERSION_MAX))[0]
    if small.size:
        u, _ = _uniforms2(k0, k1, c0, c1, idx[small], draw)
        out[small] = _poisson_inversion_np(lam[small], u)
    large = np.nonzero(lam >= POISSON_INVERSION_MAX)[0]
    if large.size:
        out[large] = _poisson_ptrs_np(lam[large], k0, k1, c0, c1, idx[large], draw)
    return out.reshape(shape)


def _binomial_inversion_np(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    q = 1.0 - p
    s = p / q
    a = (n + 1.0) * s
    r = det_exp(n * _log1m(p))
    u = u.copy()
    x = np.zeros(n.size)
    act = np.nonzero((u >= r) & (x < n) & (r != 0.0))[0]
    while act.size:
        ra = r[act]
        u[act] = u[act] - ra
        xa = x[act] + 1.0
        x[act] = xa
        r[act] = ra * (a[act] / xa - s[act])
        act = act[(u[act] >= r[act]) & (x[act] < n[act]) & (r[act] != 0.0)]
    return x


def _binomial_btrd_np(n: np.ndarray, p: np.ndarray, k0: int, k1: int, c0: Any, c1: Any,
                      idx: np.ndarray, draw: int) -> np.ndarray:
    q = 1.0 - p
    m = np.floor((n + 1.0) * p)
    r = p / q
    nr = (n + 1.0) * r
    npq = n * p * q
    sqnpq = np.sqrt(npq)
    b = 1.15 + 2.53 * sqnpq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    alpha = (2.83 + 5.1 / b) * sqnpq
    vr = 0.92 - 4.2 / b
    urvr = 0.86 * vr
    nm = n - m + 1.0
    out = m.copy()  # the fallback, overwritten on acceptance
    pend = np.arange(n.size)
    for attempt in range(MAX_ATTEMPTS):
        if pend.size == 0:
            break
        v, u2 = _uniforms2(k0, k1, c0, c1, idx[pend], draw + (attempt << DRAW_BITS))
        done = np.zeros(pend.size, dtype=bool)
        # step 1: the quick acceptance
        quick = v <= urvr[pend]
        if np.any(quick):
            e = pend[quick]
            uq = v[quick] / vr[e] - 0.43
            out[e] = np.floor((2.0 * a[e] / (0.5 - np.abs(uq)) + b[e]) * uq + c[e])
            done[quick] = True
        # step 2
        rest = np.nonzero(~quick)[0]
        e = pend[rest]
        vv = v[rest]
        uu = u2[rest]
        wide = vv >= vr[e]
        u_in = vv / vr[e] - 0.93
        u_in = np.where(u_in < 0.0, -0.5 - u_in, 0.5 - u_in)
        u = np.where(wide, uu - 0.5, u_in)
        vv = np.where(wide, vv, uu * vr[e])
        us = 0.5 - np.abs(u)
        ok = us > 0.0
        rest, e, u, vv, us = rest[ok], e[ok], u[ok], vv[ok], us[ok]
        k = np.floor((2.0 * a[e] / us + b[e]) * u + c[e])
        ok = (k >= 0.0) & (k <= n[e])
        rest, e, vv, us, k = rest[ok], e[ok], vv[ok], us[ok], k[ok]
        vv = vv * alpha[e] / (a[e] / (us * us) + b[e])
        me = m[e]
        km = np.abs(k - me)
        accept = np.zeros(rest.size, dtype=bool)
        # step 3.1: recursive evaluation of f(k) near the mode
        near = km <= 15.0
        if np.any(near):
            kn, mn, vn = k[near], me[near], vv[near]
            en = e[near]
            f = np.ones(kn.size)
            for t in range(1, 16):
                up = (kn - mn) >= t
                if np.any(up):
                    i = mn[up] + float(t)
                    f[up] = f[up] * (nr[en[up]] / i - r[en[up]])
                down = (mn - kn) >= t
                if np.any(down):
                    i = kn[down] + float(t)
                    vn[down] = vn[down] * (nr[en[down]] / i - r[en[down]])
            accept[near] = vn <= f
        # steps 3.2-3.4: squeeze, then the final test on log f(k)
        far = np.nonzero(~near)[0]
        if far.size:
            ef, kf, kmf = e[far], k[far], km[far]
            lv = det_log(vv[far])
            npqf = npq[ef]
            rho = (kmf / npqf) * (((kmf * _THIRD + 0.625) * kmf + _SIXTH) / npqf + 0.5)
            t = -kmf * kmf / (2.0 * npqf)
            acc = lv < t - rho
            undecided = ~acc & ~(lv > t + rho)
            if np.any(undecided):
                eu, ku = ef[undecided], kf[undecided]
                nu, mu, ru, nmu = n[eu], m[eu], r[eu], nm[eu]
                h = (mu + 0.5) * det_log((mu + 1.0) / (ru * nmu)) + _fc(mu) + _fc(nu - mu)
                nk = nu - ku + 1.0
                bound = (h + (nu + 1.0) * det_log(nmu / nk)
                         + (ku + 0.5) * det_log(nk * ru / (ku + 1.0)) - _fc(ku) - _fc(nu - ku))
                acc[undecided] = lv[undecided] <= bound
            accept[far] = acc
        out[e[accept]] = k[accept]
        done[rest[accept]] = True
        pend = pend[~done]
    return out


def binomial(n: Any, p: Any, key: Any, step: int, index: Any, draw: int = 0) -> np.ndarray:
    """Binomial(``n``, ``p``) samples (int64), one per element of ``index``.

    ``n`` (integers ``>= 0``) and ``p`` (in ``[0, 1]``) are scalars or arrays
    that broadcast to ``index``'s shape.  For ``p > 1/2`` the sample is
    ``n - Binomial(n, 1 - p)``; with ``p <= 1/2``, ``n p < 10`` uses inversion
    on one uniform and ``n p >= 10`` uses BTRD (one block per attempt).
    """
    k0, k1, c0, c1, idx, shape, draw = _prepare(key, step, index, draw)
    n_arr = np.asarray(n)
    if n_arr.dtype.kind not in "iu" and not (
        n_arr.dtype.kind == "f" and np.all(n_arr == np.floor(n_arr))
    ):
        raise TypeError("binomial: n must be an integer or an integer array")
    if n_arr.size and (n_arr.min() < 0 or n_arr.max() >= 2**53):
        raise ValueError("binomial: n must satisfy 0 <= n < 2**53")
    nf = _broadcast_param(n_arr, shape, "n")
    p = _broadcast_param(p, shape, "p")
    if p.size and not (np.all(p >= 0.0) and np.all(p <= 1.0)):
        raise ValueError("binomial: p must be in [0, 1]")
    flip = p > 0.5
    pp = np.where(flip, 1.0 - p, p)
    x = np.zeros(idx.size)
    live = (nf > 0.0) & (pp > 0.0)
    inv = np.nonzero(live & (nf * pp < BINOMIAL_INVERSION_MAX))[0]
    if inv.size:
        u, _ = _uniforms2(k0, k1, c0, c1, idx[inv], draw)
        x[inv] = _binomial_inversion_np(nf[inv], pp[inv], u)
    big = np.nonzero(live & (nf * pp >= BINOMIAL_INVERSION_MAX))[0]
    if big.size:
        x[big] = _binomial_btrd_np(nf[big], pp[big], k0, k1, c0, c1, idx[big], draw)
    x = np.where(flip, nf - x, x)
    return x.astype(np.int64).reshape(shape)
