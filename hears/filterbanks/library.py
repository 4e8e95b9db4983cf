"""Auditory filterbanks: the gammatone family, gammachirps, classic IIR designs, middle ear.

Every IIR filterbank here is a :class:`LinearFilterbank`: a cascade of second-order sections
per channel (never a high-order transfer function). Frequencies are quantities or numbers in
Hz; every centre or cut-off frequency must be positive and not above the Nyquist frequency.
"""

from __future__ import annotations

import warnings
from math import comb
from typing import Any

import numpy as np

from sim.units import Hz, second

from ._args import (
    below_nyquist,
    check_dim,
    dimensionless,
    frequencies_hz,
    is_int,
    per_channel,
    plain,
    samplerate_hz,
    times_s,
)
from .base import as_source, source_rate
from .erb import EAR_Q, MIN_BW
from .fir import FIRFilterbank
from .linear import LinearFilterbank, sos_to_ba

__all__ = [
    "make_erb_filters",
    "erb_filters_to_ba",
    "Gammatone",
    "ApproximateGammatone",
    "hohmann_impulse_response",
    "LogGammachirp",
    "LinearGammachirp",
    "LinearGaborchirp",
    "IIRFilterbank",
    "Butterworth",
    "LowPass",
    "Cascade",
    "AsymmetricCompensation",
    "asymmetric_compensation_coeffs",
    "MiddleEar",
]


def _centre_frequencies(cf: Any, samplerate: float, name: str = "cf") -> np.ndarray:
    f = frequencies_hz(cf, name)
    below_nyquist(f, samplerate, name)
    return f


# ---------------------------------------------------------------------------------------------
# Gammatone (Slaney)
# ---------------------------------------------------------------------------------------------

def make_erb_filters(samplerate: Any, cf: Any, b: Any = 1.019, erb_order: float = 1,
                     ear_Q: float = EAR_Q, min_bw: float = MIN_BW) -> np.ndarray:  # noqa: N803
    """Slaney's gammatone coefficients (``MakeERBFilters``), one row per centre frequency.

    Returns an array of shape ``(len(cf), 10)`` with columns
    ``[A0, A11, A12, A13, A14, A2, B0, B1, B2, gain]``: stage ``k`` (1..4) of the cascade has
    numerator ``[A0, A1k, A2]`` (divided by ``gain`` in stage 1) and denominator
    ``[B0, B1, B2]``; ``gain`` is the magnitude of the undivided cascade at ``cf``. The
    bandwidth is ``b * ERB(cf)`` with ``ERB = ((cf/ear_Q)**erb_order + min_bw**erb_order)**(1/
    erb_order)`` (Hz). ``samplerate`` and ``cf`` are frequencies (Hz); ``cf`` is not checked
    against the Nyquist frequency here (:class:`Gammatone` does).
    """
    fs = samplerate_hz(samplerate)
    f = frequencies_hz(cf, "cf")
    bb = per_channel(b, f.size, "b")
    T = 1.0 / fs
    erb = ((f / ear_Q) ** erb_order + min_bw ** erb_order) ** (1.0 / erb_order)
    B = bb * 2 * np.pi * erb
    theta = 2 * np.pi * f * T
    cos_t = np.cos(theta)
    sin_t = np.sin(theta)
    decay = np.exp(-B * T)
    s_plus = np.sqrt(3 + 2 ** 1.5)
    s_minus = np.sqrt(3 - 2 ** 1.5)
    A0 = np.full(f.size, T)
    A2 = np.zeros(f.size)
    B0 = np.ones(f.size)
    B1 = -2 * cos_t * decay
    B2 = np.exp(-2 * B * T)
    A11 = -T * decay * (cos_t + s_plus * sin_t)
    A12 = -T * decay * (cos_t - s_plus * sin_t)
    A13 = -T * decay * (cos_t + s_minus * sin_t)
    A14 = -T * decay * (cos_t - s_minus * sin_t)
    # |H(e^{i theta})| of the four stages: prod |A0 + A1k e^{-i theta}| / |B(e^{i theta})|^4
    zi = np.exp(-1j * theta)
    num = np.ones(f.size)
    for A1k in (A11, A12, A13, A14):
        num = num * np.abs(A0 + A1k * zi)
    den = np.abs(B0 + B1 * zi + B2 * zi * zi) ** 4
    gain = num / den
    return np.column_stack((A0, A11, A12, A13, A14, A2, B0, B1, B2, gain))


def erb_filters_to_ba(fcoefs: Any) -> tuple[np.ndarray, np.ndarray]:
    """LinearFilterbank coefficients ``(b, a)``, each ``(N, 3, 4)``, from Slaney's coefficient
    rows (see :func:`make_erb_filters`)."""
    c = np.asarray(fcoefs, dtype=float)
    if c.ndim != 2 or c.shape[1] != 10:
        raise ValueError(f"fcoefs must have shape (N, 10), got {c.shape}")
    A0, A11, A12, A13, A14, A2, B0, B1, B2, gain = c.T
    if np.any(gain == 0):
        raise ValueError("fcoefs: a gain of zero cannot be normalised")
    b = np.stack([np.stack((A0 / gain, A11 / gain, A2 / gain), axis=1),
                  np.stack((A0, A12, A2 * 0), axis=1),
                  np.stack((A0, A13, A2 * 0), axis=1),
                  np.stack((A0, A14, A2 * 0), axis=1)], axis=2)
    a = np.repeat(np.stack((B0, B1, B2), axis=1)[:, :, None], 4, axis=2)
    return b, a


class Gammatone(LinearFilterbank):
    """Bank of 4th-order gammatone filters (Slaney 1993): a cascade of four second-order
    sections per channel, normalised to unit gain (0 dB) at the centre frequency.

    ``Gammatone(source, cf, b=1.019, erb_order=1, ear_Q=9.26449, min_bw=24.7, cascade=None,
    *, dtype=None)``

    ``cf``
        Centre frequencies (Hz), at most the Nyquist frequency.
    ``b``
        Bandwidth factor, a scalar or one per channel: the equivalent rectangular bandwidth
        of the filter is close to ``0.982 * b * ERB(cf)`` (within 0.1% of ``ERB(cf)`` for
        the default 1.019, Patterson et al. 1992).
    ``erb_order``, ``ear_Q``, ``min_bw``
        ``ERB(cf) = ((cf/ear_Q)**erb_order + min_bw**erb_order)**(1/erb_order)`` Hz
        (Glasberg and Moore 1990 for the defaults).
    ``cascade``
        Ignored (with a warning): brian2hears merged the sections into high-order filters,
        which are numerically unstable at low centre frequencies.

    The impulse response is approximately ``t**3 exp(-2 pi b ERB(cf) t) cos(2 pi cf t)``.
    Attributes ``A0, A11, A12, A13, A14, A2, B0, B1, B2, gain`` hold Slaney's coefficients.
    """

    def __init__(self, source: Any, cf: Any, b: Any = 1.019, erb_order: float = 1,
                 ear_Q: float = EAR_Q, min_bw: float = MIN_BW,  # noqa: N803
                 cascade: Any = None, *, dtype: Any = None,
                 device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        f = _centre_frequencies(cf, fs)
        if cascade is not None:
            warnings.warn("Gammatone(cascade=...) is ignored: the filters stay cascades of "
                          "second-order sections (high-order filters are unstable)", stacklevel=2)
        for name, v in (("erb_order", erb_order), ("ear_Q", ear_Q), ("min_bw", min_bw)):
            if float(dimensionless(v, name)) <= 0:
                raise ValueError(f"{name} must be positive, got {v!r}")
        bb = per_channel(b, f.size, "b")
        if np.any(bb <= 0):
            raise ValueError(f"b must be positive, got {b!r}")
        coefs = make_erb_filters(fs, f, bb, erb_order, ear_Q, min_bw)
        (self.A0, self.A11, self.A12, self.A13, self.A14, self.A2, self.B0, self.B1, self.B2,
         self.gain) = coefs.T
        self.cf = f * Hz
        self.b = bb
        self.erb_order, self.EarQ, self.min_bw = erb_order, ear_Q, min_bw
        filt_b, filt_a = erb_filters_to_ba(coefs)
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)


# ---------------------------------------------------------------------------------------------
# Approximate gammatone (Hohmann)
# ---------------------------------------------------------------------------------------------

def _real_quadratics(roots: np.ndarray) -> list[list[float]]:
    """Pair polynomial roots (in z^-1) into real factors ``[c0, c1, c2]`` (ascending in
    z^-1), complex roots with their conjugates."""
    tol = 1e-9
    cplx = [r for r in roots if r.imag > tol * max(1.0, abs(r))]
    real = sorted(float(r.real) for r in roots if abs(r.imag) <= tol * max(1.0, abs(r)))
    quads = [[abs(r) ** 2, -2 * r.real, 1.0] for r in cplx]
    while len(real) >= 2:
        p, q = real.pop(), real.pop()
        quads.append([p * q, -(p + q), 1.0])
    if real:
        quads.append([-real.pop(), 1.0, 0.0])
    return quads


def _hohmann_sos(cf: float, bw: float, fs: float, order: int) -> np.ndarray:
    """Sections of ``Re{1/(1 - a z^-1)^order}``, ``a = exp(-2 pi bw/fs + 2 pi i cf/fs)``,
    normalised to unit gain at ``cf``."""
    phi = 2 * np.pi * bw / fs
    theta = 2 * np.pi * cf / fs
    a = np.exp(-phi + 1j * theta)
    # numerator [(1 - conj(a) w)^n + (1 - a w)^n] / 2 (w = z^-1); its roots solve
    # (1 - conj(a) w) / (1 - a w) = zeta, zeta^n = -1:  w = (zeta - 1) / (zeta a - conj(a))
    zeta = np.exp(1j * np.pi * (2 * np.arange(order) + 1) / order)
    denom = zeta * a - np.conj(a)
    roots = []
    for z_, d_ in zip(zeta, denom, strict=True):
        if abs(d_) > 1e-300:
            roots.append((z_ - 1) / d_)  # else a root at infinity (degree drop): no factor
    quads = _real_quadratics(np.array(roots, dtype=complex))
    sos = np.zeros((order, 6))
    sos[:, 0] = 1.0
    for i, q in enumerate(quads):
        sos[i, :3] = q
    sos[:, 3] = 1.0
    sos[:, 4] = -2 * np.exp(-phi) * np.cos(theta)
    sos[:, 5] = np.exp(-2 * phi)
    zi = np.exp(-1j * theta)
    h = np.prod([(s[0] + s[1] * zi + s[2] * zi * zi) / (s[3] + s[4] * zi + s[5] * zi * zi)
                 for s in sos])
    # unit gain at cf, and a positive first sample (binom(n-1, n-1) * cos(0) = 1)
    sos[0, :3] *= np.sign(np.prod(sos[:, 0])) / abs(h)
    return sos


class ApproximateGammatone(LinearFilterbank):
    """Bank of Hohmann's (2002) gammatone filters: the real part of ``order`` cascaded complex
    one-pole filters, as ``order`` second-order sections per channel.

    ``ApproximateGammatone(source, cf, bandwidth, order=4, *, dtype=None)``

    ``cf``, ``bandwidth``
        Centre frequencies and bandwidth parameters (Hz), scalars or one per channel.
    ``order``
        Order of the gammatone (number of complex poles per channel).

    The impulse response is exactly ``binom(k + order-1, order-1) * r**k * cos(2 pi cf k/fs)``
    for sample ``k`` (``r = exp(-2 pi bandwidth/fs)``), i.e. the sampled gammatone
    ``t**(order-1) exp(-2 pi bandwidth t) cos(2 pi cf t)`` up to normalisation (its envelope
    starts ``order/2`` samples early). The gain at ``cf`` is 1. brian2hears cascaded the real
    parts of one-pole filters instead, whose cross terms distort the envelope.
    """

    def __init__(self, source: Any, cf: Any, bandwidth: Any, order: int = 4, *,
                 dtype: Any = None,
                 device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        f = _centre_frequencies(cf, fs)
        bw = frequencies_hz(bandwidth, "bandwidth")
        if bw.size not in (1, f.size):
            if f.size == 1:
                f = np.repeat(f, bw.size)
            else:
                raise ValueError(f"bandwidth must be a scalar or one value per centre frequency "
                                 f"({f.size}), got {bw.size} values")
        bw = np.broadcast_to(bw, f.shape).astype(float)
        if not is_int(order) or order < 1:
            raise ValueError(f"order must be a positive int, got {order!r}")
        self.cf = f * Hz
        self.bandwidth = bw * Hz
        self.order = int(order)
        filt_b, filt_a = sos_to_ba([_hohmann_sos(fc, b_, fs, self.order)
                                    for fc, b_ in zip(f, bw, strict=True)])
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)


def hohmann_impulse_response(cf: float, bandwidth: float, samplerate: float, order: int,
                             n: int) -> np.ndarray:
    """The first ``n`` samples of the (unnormalised) impulse response of
    :class:`ApproximateGammatone`: ``binom(k+order-1, order-1) r**k cos(2 pi cf k/fs)``."""
    k = np.arange(n)
    env = np.array([comb(int(i) + order - 1, order - 1) for i in k], dtype=float)
    return env * np.exp(-2 * np.pi * bandwidth * k / samplerate) * np.cos(
        2 * np.pi * cf * k / samplerate)


# ---------------------------------------------------------------------------------------------
# Gammachirps
# ---------------------------------------------------------------------------------------------

def asymmetric_compensation_coeffs(samplerate: Any, fr: Any, filt_b: np.ndarray,
                                   filt_a: np.ndarray, b: Any, c: Any, p0: float, p1: float,
                                   p2: float, p3: float, p4: float
                                   ) -> tuple[np.ndarray, np.ndarray]:
    """Fill ``filt_b``, ``filt_a`` (shape ``(nchannels, 3, ncascades)``) with the asymmetric
    compensation sections of Unoki et al. (2001) for frequencies ``fr`` (Hz), and return them.

    Section ``k`` has poles at radius ``exp(-p1 (p0/p4)**k 2 pi b ERBw/fs)`` and angle
    ``2 pi (fr + Df)/fs``, zeros at the same radius and angle ``2 pi (fr - Df)/fs`` with
    ``Df = (p0 p4)**k p2 c b ERBw`` and ``ERBw = 24.7 (4.37e-3 fr + 1)``; each section has unit
    gain at ``fr``. All ``ncascades`` sections are filled (brian2hears always made four).
    """
    fs = samplerate_hz(samplerate)
    f = frequencies_hz(fr, "fr")
    ncas = filt_b.shape[2]
    if filt_b.shape != (f.size, 3, ncas) or filt_a.shape != filt_b.shape:
        raise ValueError(f"filt_b and filt_a must have shape ({f.size}, 3, ncascades), got "
                         f"{filt_b.shape} and {filt_a.shape}")
    bb = per_channel(b, f.size, "b")
    cc = per_channel(c, f.size, "c")
    erbw = 24.7 * (4.37e-3 * f + 1.0)
    zi = np.exp(-2j * np.pi * f / fs)
    for k in range(ncas):
        r = np.exp(-p1 * (p0 / p4) ** k * 2 * np.pi * bb * erbw / fs)
        df = (p0 * p4) ** k * p2 * cc * bb * erbw
        phi = 2 * np.pi * np.maximum(f + df, 0) / fs
        psi = 2 * np.pi * np.maximum(f - df, 0) / fs
        ap = np.stack((np.ones_like(r), -2 * r * np.cos(phi), r ** 2), axis=1)
        bz = np.stack((np.ones_like(r), -2 * r * np.cos(psi), r ** 2), axis=1)
        pa = ap[:, 0] + ap[:, 1] * zi + ap[:, 2] * zi * zi
        pb = bz[:, 0] + bz[:, 1] * zi + bz[:, 2] * zi * zi
        bz = bz * np.abs(pa / pb)[:, None]
        filt_b[:, :, k] = bz
        filt_a[:, :, k] = ap
    return filt_b, filt_a


def _ac_params(b: np.ndarray, c: np.ndarray) -> tuple[float, Any, Any, Any, float]:
    p0 = 2.0
    p1 = 1.7818 * (1 - 0.0791 * b) * (1 - 0.1655 * np.abs(c))
    p2 = 0.5689 * (1 - 0.1620 * b) * (1 - 0.0857 * np.abs(c))
    p3 = 0.2523 * (1 - 0.0244 * b) * (1 + 0.0574 * np.abs(c))
    p4 = 1.0724
    return p0, p1, p2, p3, p4


def _ac_sections(fs: float, f: np.ndarray, b: np.ndarray, c: np.ndarray,
                 ncascades: int) -> tuple[np.ndarray, np.ndarray]:
    filt_b = np.zeros((f.size, 3, ncascades))
    filt_a = np.zeros((f.size, 3, ncascades))
    return asymmetric_compensation_coeffs(fs, f, filt_b, filt_a, b, c, *_ac_params(b, c))


def _check_ncascades(ncascades: Any) -> int:
    if not is_int(ncascades) or ncascades < 1:
        raise ValueError(f"ncascades must be a positive int, got {ncascades!r}")
    return int(ncascades)


class AsymmetricCompensation(LinearFilterbank):
    """Bank of asymmetric compensation filters (Unoki et al. 2001), which turn gammatone
    filters into gammachirps when cascaded with them.

    ``AsymmetricCompensation(source, f, b=1.019, c=1, ncascades=4, *, dtype=None)``: ``f``
    the frequencies (Hz), ``b`` and ``c`` the gammachirp's bandwidth and glide parameters
    (scalars or per channel), ``ncascades`` second-order sections per channel. Unit gain at
    ``f``.
    """

    def __init__(self, source: Any, f: Any, b: Any = 1.019, c: Any = 1, ncascades: int = 4, *,
                 dtype: Any = None,
                 device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        fr = _centre_frequencies(f, fs, "f")
        bb = per_channel(b, fr.size, "b")
        cc = per_channel(c, fr.size, "c")
        self.f = fr * Hz
        self.b, self.c = bb, cc
        filt_b, filt_a = _ac_sections(fs, fr, bb, cc, _check_ncascades(ncascades))
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)


class LogGammachirp(LinearFilterbank):
    """Bank of gammachirp filters with a logarithmic frequency sweep: a :class:`Gammatone`
    followed by ``ncascades`` asymmetric compensation sections (Unoki et al. 2001).

    ``LogGammachirp(source, f, b=1.019, c=1, ncascades=4, *, dtype=None)``

    The impulse response is about ``t**3 exp(-2 pi b ERB(f) t) cos(2 pi (f t + c ln t))``:
    ``f`` (Hz) is where the instantaneous frequency ends, ``c`` the glide (a downchirp for
    ``c > 0``); ``b`` and ``c`` are scalars or per channel.
    """

    def __init__(self, source: Any, f: Any, b: Any = 1.019, c: Any = 1, ncascades: int = 4, *,
                 dtype: Any = None,
                 device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        fr = _centre_frequencies(f, fs, "f")
        bb = per_channel(b, fr.size, "b")
        cc = per_channel(c, fr.size, "c")
        self.f = fr * Hz
        self.b, self.c = bb, cc
        gb, ga = erb_filters_to_ba(make_erb_filters(fs, fr, bb))
        ab, aa = _ac_sections(fs, fr, bb, cc, _check_ncascades(ncascades))
        self.gammatone_filt_b, self.gammatone_filt_a = gb, ga
        self.asymmetric_filt_b, self.asymmetric_filt_a = ab, aa
        LinearFilterbank.__init__(self, src, np.concatenate((gb, ab), axis=2),
                                  np.concatenate((ga, aa), axis=2), dtype=dtype, device=device)


def _chirp_args(f: Any, time_constant: Any, c: Any, phase: Any, fs: float
                ) -> tuple[np.ndarray, ...]:
    fr = _centre_frequencies(f, fs, "f")
    tau = np.atleast_1d(times_s(time_constant, "time_constant")).astype(float)
    if np.any(tau <= 0):
        raise ValueError(f"time_constant must be positive, got {time_constant!r}")
    tau = per_channel(tau, fr.size, "time_constant")
    cc = per_channel(c, fr.size, "c")
    ph = per_channel(phase, fr.size, "phase")
    return fr, tau, cc, ph


class LinearGammachirp(FIRFilterbank):
    """Bank of gammachirp filters with linear frequency sweeps and a gamma envelope (Wagner et
    al. 2009), as FIR filters.

    ``LinearGammachirp(source, f, time_constant, c=1, phase=0, **args)``

    The impulse response of channel ``i`` is
    ``t**3 exp(-t/tau_i) cos(2 pi (f_i t + c_i t**2/2) + phase_i)`` for ``t`` from 0 to
    ``15 * max(tau)`` (``time_constant``, a time or seconds), normalised to unit energy (sum of
    squared taps 1). ``f`` (Hz) is the starting frequency, ``c`` (Hz/s) the glide slope.
    ``**args`` go to :class:`FIRFilterbank`. Attribute ``impulse_response``.

    Differs from brian2hears 0.9.2, whose code evaluates the envelope at ``t - t_start`` but
    the carrier at ``t`` (``t`` from ``-3*max(tau)``), shifting the chirp's phase against
    its envelope, and divides by the sum of ``|taps|`` although its documentation says the
    taps' RMS is 1: amplitudes there are ~10x smaller. Here the formula above is used as
    written, from ``t = 0``.
    """

    def __init__(self, source: Any, f: Any, time_constant: Any, c: Any = 1, phase: Any = 0,
                 **args: Any) -> None:
        src = as_source(source)
        fs = source_rate(src)
        fr, tau, cc, ph = _chirp_args(f, time_constant, c, phase, fs)
        t = np.arange(int(np.ceil(15 * tau.max() * fs))) / fs
        ir = (t[None, :] ** 3 * np.exp(-t[None, :] / tau[:, None])
              * np.cos(2 * np.pi * (fr[:, None] * t + cc[:, None] / 2 * t ** 2) + ph[:, None]))
        ir /= np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))
        self.f, self.time_constant, self.c, self.phase = fr * Hz, tau * second, cc, ph
        FIRFilterbank.__init__(self, src, ir, **args)


class LinearGaborchirp(FIRFilterbank):
    """Bank of chirps with linear frequency sweeps and a Gaussian envelope (Gabor), as FIR
    filters (Wagner et al. 2009).

    ``LinearGaborchirp(source, f, time_constant, c=1, phase=0, **args)``

    The impulse response of channel ``i`` is
    ``exp(-(t/(2 tau_i))**2) cos(2 pi (f_i t + c_i t**2/2) + phase_i)`` for ``t`` from
    ``-6 max(tau)`` to ``6 max(tau)``, delayed by ``6 max(tau)`` to be causal (attribute
    ``delay``), normalised to unit energy. ``f`` (Hz) is the frequency at the envelope's peak,
    ``c`` (Hz/s) the glide slope.
    """

    def __init__(self, source: Any, f: Any, time_constant: Any, c: Any = 1, phase: Any = 0,
                 **args: Any) -> None:
        src = as_source(source)
        fs = source_rate(src)
        fr, tau, cc, ph = _chirp_args(f, time_constant, c, phase, fs)
        half = int(np.ceil(6 * tau.max() * fs))
        t = np.arange(-half, half + 1) / fs
        ir = (np.exp(-(t[None, :] / (2 * tau[:, None])) ** 2)
              * np.cos(2 * np.pi * (fr[:, None] * t + cc[:, None] / 2 * t ** 2) + ph[:, None]))
        ir /= np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))
        self.f, self.time_constant, self.c, self.phase = fr * Hz, tau * second, cc, ph
        self.delay = half / fs * second
        FIRFilterbank.__init__(self, src, ir, **args)


# ---------------------------------------------------------------------------------------------
# Classic IIR designs
# ---------------------------------------------------------------------------------------------

_BTYPES = ("low", "high", "bandpass", "bandstop")


def _band_edges(value: Any, btype: str, nchannels: int, fs: float, name: str) -> np.ndarray:
    """Edges in Hz as an array (nchannels,) for low/high or (nchannels, 2) for bands."""
    check_dim(value, Hz.dim, name, "frequencies (e.g. 1*kHz) or numbers in Hz")
    arr = np.asarray(plain(value, name), dtype=float)
    if btype in ("low", "high"):
        arr = np.atleast_1d(arr)
        if arr.ndim == 2 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != 1 or arr.size not in (1, nchannels):
            raise ValueError(f"{name} must be a scalar or one frequency per channel "
                             f"({nchannels}) for btype={btype!r}, got shape {arr.shape}")
        arr = np.broadcast_to(arr, (nchannels,)).astype(float)
        flat = arr
    else:
        if arr.shape == (2,):
            arr = np.broadcast_to(arr, (nchannels, 2)).astype(float)
        elif arr.shape == (2, nchannels):
            arr = arr.T.copy()
        else:
            raise ValueError(f"{name} must be a pair of frequencies or an array of shape "
                             f"(2, {nchannels}) for btype={btype!r}, got shape {arr.shape}")
        flat = arr.ravel()
    if not np.all(np.isfinite(flat)) or np.any(flat <= 0):
        raise ValueError(f"{name} must be positive frequencies, got {value!r}")
    if np.any(flat >= fs / 2):
        raise ValueError(f"{name} must be below the Nyquist frequency {fs / 2:g} Hz, got "
                         f"{flat.max():g} Hz")
    return arr


def _check_common(nchannels: Any, btype: str) -> int:
    if not is_int(nchannels) or nchannels < 1:
        raise ValueError(f"nchannels must be a positive int, got {nchannels!r}")
    if btype not in _BTYPES:
        raise ValueError(f"btype must be one of {_BTYPES}, got {btype!r}")
    return int(nchannels)


class Butterworth(LinearFilterbank):
    """Bank of low-, high-, band-pass or band-stop Butterworth filters.

    ``Butterworth(source, nchannels, order, fc, btype='low', *, dtype=None)``

    ``fc`` (Hz): for ``'low'``/``'high'`` a scalar or one cut-off per channel; for
    ``'bandpass'``/``'bandstop'`` a pair ``[f1, f2]`` or an array of shape
    ``(2, nchannels)``. Designed with ``scipy.signal.butter`` as second-order sections.
    """

    def __init__(self, source: Any, nchannels: int, order: int, fc: Any, btype: str = "low", *,
                 dtype: Any = None,
                 device: str | None = None) -> None:
        from scipy import signal

        src = as_source(source)
        fs = source_rate(src)
        n = _check_common(nchannels, btype)
        if not is_int(order) or order < 1:
            raise ValueError(f"order must be a positive int, got {order!r}")
        edges = _band_edges(fc, btype, n, fs, "fc")
        if btype in ("bandpass", "bandstop") and np.any(edges[:, 0] >= edges[:, 1]):
            raise ValueError("fc: the lower band edge must be below the upper one")
        cache: dict[tuple, np.ndarray] = {}
        sos = []
        for e in edges:
            key = tuple(np.atleast_1d(e))
            if key not in cache:
                cache[key] = signal.butter(order, e, btype=btype, output="sos", fs=fs)
            sos.append(cache[key])
        self.order, self.fc, self.btype = int(order), edges * Hz, btype
        filt_b, filt_a = sos_to_ba(sos)
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)


# scipy.signal's band names (``band_dict``), as brian2hears passes btype on to scipy
_BTYPE_ALIASES = {"low": "low", "lowpass": "low", "l": "low", "lp": "low",
                  "high": "high", "highpass": "high", "h": "high", "hp": "high",
                  "bandpass": "bandpass", "band": "bandpass", "pass": "bandpass", "bp": "bandpass",
                  "bandstop": "bandstop", "bands": "bandstop", "stop": "bandstop",
                  "bs": "bandstop"}
# the ftype names scipy.signal.iirdesign can choose an order for
_IIRDESIGN_FTYPES = ("butter", "butterworth", "cheby1", "chebyshev1", "chebyshevi", "cheby2",
                     "chebyshev2", "chebyshevii", "ellip", "elliptic", "cauer")


def _iir_edges(value: Any, band: bool, n: int, fs: float, name: str) -> np.ndarray:
    """Band edges in Hz as an array ``(n, k)``: ``k = 1`` for one edge (low/high-pass) and
    ``k = 2`` for a band, per channel (see :class:`IIRFilterbank` for the accepted forms)."""
    check_dim(value, Hz.dim, name, "frequencies (e.g. 1*kHz) or numbers in Hz")
    arr = np.asarray(plain(value, name), dtype=float)
    shape = arr.shape
    kind = "'bandpass'/'bandstop'" if band else "'low'/'high'"
    if arr.ndim == 0 or shape == (1,):
        out = np.full((n, 1), float(arr.reshape(-1)[0]))
    elif shape == (2,) and (band or n != 2):
        if not band:
            raise ValueError(f"{name} has two values for btype {kind} with {n} channel(s): "
                             "give one edge (or one per channel) for a low/high-pass filter, "
                             "or use btype='bandpass' or 'bandstop' for a band")
        out = np.broadcast_to(arr, (n, 2)).copy()
    elif arr.ndim == 1 and shape[0] == n and not band:
        out = arr.reshape(n, 1).copy()
    elif arr.ndim == 2 and shape[0] in (1, 2) and shape[1] == n:
        out = arr.T.copy()
    elif arr.ndim == 2 and shape == (n, 1) and not band:
        out = arr.copy()
    else:
        forms = (f"a pair [f1, f2] or an array of shape (2, {n})" if band else
                 f"a scalar, one edge per channel (shape ({n},), (1, {n}) or ({n}, 1))")
        hint = (f" (an array of shape ({n}, 2) is the transpose of the expected (2, {n}))"
                if arr.ndim == 2 and shape == (n, 2) else "")
        raise ValueError(f"{name} must be {forms} for btype {kind} with {n} channel(s), got "
                         f"shape {shape}{hint}")
    if not np.all(np.isfinite(out)) or np.any(out <= 0):
        raise ValueError(f"{name} must be positive finite frequencies, got {value!r}")
    if np.any(out >= fs / 2):
        raise ValueError(f"{name} must be below the Nyquist frequency {fs / 2:g} Hz, got "
                         f"{out.max():g} Hz")
    return out


def _iir_band_type(wp: np.ndarray, ws: np.ndarray, channel: int) -> str:
    """The filter type ``scipy.signal.iirdesign`` designs for edges ``wp``, ``ws`` (Hz)."""
    if wp.size == 1:
        if wp[0] == ws[0]:
            raise ValueError(f"IIRFilterbank: passband and stopband edges of channel {channel} "
                             f"are equal ({wp[0]:g} Hz); there is no transition band")
        return "low" if wp[0] < ws[0] else "high"
    if ws[0] < wp[0] and wp[1] < ws[1]:
        return "bandpass"
    if wp[0] < ws[0] and ws[1] < wp[1]:
        return "bandstop"
    raise ValueError(f"IIRFilterbank: the passband {wp} Hz must lie strictly inside the "
                     f"stopband {ws} Hz (a band-pass filter) or the stopband strictly inside "
                     f"the passband (a band-stop filter), channel {channel}")


class IIRFilterbank(LinearFilterbank):
    """Bank of IIR filters designed by ``scipy.signal.iirdesign`` (as second-order sections).

    ``IIRFilterbank(source, nchannels, passband, stopband, gpass, gstop, btype, ftype, *,
    dtype=None)``

    ``nchannels``
        The number of channels (int).
    ``passband``, ``stopband``
        Band edges (Hz, quantities or numbers). For ``btype='low'``/``'high'``: a scalar (the
        same filter in every channel) or one edge per channel, shape ``(nchannels,)``,
        ``(1, nchannels)`` or ``(nchannels, 1)``. For ``'bandpass'``/``'bandstop'``: a pair
        ``[f1, f2]`` (every channel), or an array of shape ``(2, nchannels)`` (column ``i``
        is channel ``i``'s band); with two channels a 1D pair is the same band for both. An
        array of shape ``(1, nchannels)`` is one edge per channel for any ``btype``.
    ``gpass``, ``gstop``
        The maximum loss in the passband and the minimum attenuation in the stopband (dB;
        scalars or one per channel; ``0 < gpass <= gstop`` as scipy requires).
    ``btype``
        ``'low'``, ``'high'``, ``'bandpass'`` or ``'bandstop'`` (or scipy's other names for
        them: ``'lowpass'``, ``'hp'``, ``'bp'``, ``'stop'``, ...). It says how ``passband``
        and ``stopband`` are laid out. The kind of filter follows from the edges, as in
        brian2hears, which passes the edges to ``iirdesign`` without ``btype``: low-pass if
        ``passband < stopband``, high-pass if above, band-pass if the passband lies inside
        the stopband, band-stop if the stopband lies inside the passband. Where that differs
        from ``btype`` a ``UserWarning`` says so and the edges win.
    ``ftype``
        ``'ellip'``, ``'butter'``, ``'cheby1'`` or ``'cheby2'`` (or scipy's aliases
        ``'elliptic'``, ``'cauer'``, ``'butterworth'``, ``'chebyshev1'``, ...). Bessel
        filters have no order selection in ``iirdesign`` and raise.

    Each channel's filter is that of ``scipy.signal.iirdesign(wp, ws, gpass, gstop,
    ftype=ftype, fs=samplerate)``. Attributes: ``passband``, ``stopband`` (Hz, shape
    ``(nchannels,)`` or ``(nchannels, 2)``), ``gpass``, ``gstop`` (dB, per channel),
    ``btype`` (the kind designed; a tuple of one per channel if they differ), ``ftype``,
    ``order`` (the highest filter order over the channels).
    """

    def __init__(self, source: Any, nchannels: int, passband: Any, stopband: Any, gpass: Any,
                 gstop: Any, btype: str, ftype: str, *, dtype: Any = None,
                 device: str | None = None) -> None:
        from scipy import signal

        src = as_source(source)
        fs = source_rate(src)
        if not is_int(nchannels) or nchannels < 1:
            raise ValueError(f"nchannels must be a positive int, got {nchannels!r}")
        n = int(nchannels)
        kind = _BTYPE_ALIASES.get(btype) if isinstance(btype, str) else None
        if kind is None:
            raise ValueError(f"btype must be one of {_BTYPES} (or scipy's names for them: "
                             f"{tuple(_BTYPE_ALIASES)}), got {btype!r}")
        if not isinstance(ftype, str) or ftype not in _IIRDESIGN_FTYPES:
            extra = (" (scipy.signal.iirdesign cannot choose the order of a Bessel filter)"
                     if isinstance(ftype, str) and ftype.startswith("bessel") else "")
            raise ValueError(f"ftype must be 'ellip', 'butter', 'cheby1' or 'cheby2' (or "
                             f"scipy's aliases {_IIRDESIGN_FTYPES[1:]}), got {ftype!r}{extra}")
        band = kind in ("bandpass", "bandstop")
        wp = _iir_edges(passband, band, n, fs, "passband")
        ws = _iir_edges(stopband, band, n, fs, "stopband")
        if wp.shape != ws.shape:
            raise ValueError(f"passband and stopband must both be single edges or both bands, "
                             f"got {wp.shape[1]} and {ws.shape[1]} edge(s) per channel")
        gp = per_channel(gpass, n, "gpass")
        gs = per_channel(gstop, n, "gstop")
        for i in range(n):
            if not (0 < gp[i] <= gs[i]):
                raise ValueError(f"IIRFilterbank: need 0 < gpass <= gstop (dB), got gpass="
                                 f"{gp[i]:g}, gstop={gs[i]:g} (channel {i})")
        kinds = [_iir_band_type(wp[i], ws[i], i) for i in range(n)]
        wrong = [i for i, k in enumerate(kinds) if k != kind]
        if wrong:
            i = wrong[0]
            warnings.warn(f"IIRFilterbank: btype={btype!r} but the passband {wp[i]} Hz and "
                          f"stopband {ws[i]} Hz describe a {kinds[i]!r} filter (channel {i}, "
                          f"{len(wrong)} of {n} channels); the filters follow the band edges, "
                          "as in brian2hears (scipy.signal.iirdesign infers the filter type "
                          "from them)", UserWarning, stacklevel=2)
        cache: dict[tuple, tuple[np.ndarray, int]] = {}
        sos, orders = [], []
        for i in range(n):
            key = (tuple(wp[i]), tuple(ws[i]), gp[i], gs[i])
            if key not in cache:
                e_p = wp[i, 0] if wp.shape[1] == 1 else wp[i]
                e_s = ws[i, 0] if ws.shape[1] == 1 else ws[i]
                z, p, k = signal.iirdesign(e_p, e_s, gp[i], gs[i], ftype=ftype, output="zpk",
                                           fs=fs)
                cache[key] = (signal.zpk2sos(z, p, k), len(p))
            sos.append(cache[key][0])
            orders.append(cache[key][1])
        flat = wp.shape[1] == 1
        self.passband = (wp[:, 0] if flat else wp) * Hz
        self.stopband = (ws[:, 0] if flat else ws) * Hz
        self.gpass, self.gstop, self.ftype = gp, gs, ftype
        self.btype: str | tuple[str, ...] = kinds[0] if len(set(kinds)) == 1 else tuple(kinds)
        self.order = int(max(orders))
        filt_b, filt_a = sos_to_ba(sos)
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)


class LowPass(LinearFilterbank):
    """Bank of first-order low-pass filters with cut-off frequencies ``fc`` (Hz, scalar or one
    per channel): ``y[n] = (1-q) x[n] + q y[n-1]`` with ``q = exp(-2 pi fc/fs)`` (unit gain at
    0 Hz, time constant ``1/(2 pi fc)``). brian2hears used the forward-Euler form, unstable for
    ``fc > fs/pi``.

    ``LowPass(source, fc, *, dtype=None)``
    """

    def __init__(self, source: Any, fc: Any, *, dtype: Any = None,
                 device: str | None = None) -> None:
        src = as_source(source)
        fs = source_rate(src)
        f = _centre_frequencies(fc, fs, "fc")
        if f.size == 1:
            f = np.repeat(f, src.nchannels)
        q = np.exp(-2 * np.pi * f / fs)
        filt_b = np.zeros((f.size, 3, 1))
        filt_a = np.zeros((f.size, 3, 1))
        filt_b[:, 0, 0] = 1 - q
        filt_a[:, 0, 0] = 1
        filt_a[:, 1, 0] = -q
        self.fc = f * Hz
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)


class Cascade(LinearFilterbank):
    """``n`` copies in series of the filters of a :class:`LinearFilterbank`, applied to
    ``source``.

    ``Cascade(source, filterbank, n, *, dtype=None)``: every section of ``filterbank``'s
    cascade is repeated ``n`` times (brian2hears kept only its first section).
    """

    def __init__(self, source: Any, filterbank: LinearFilterbank, n: int, *,
                 dtype: Any = None,
                 device: str | None = None) -> None:
        if not isinstance(filterbank, LinearFilterbank):
            raise TypeError(f"filterbank must be a LinearFilterbank, got "
                            f"{type(filterbank).__name__}")
        if not is_int(n) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        src = as_source(source)
        if not np.isclose(source_rate(src), filterbank._sr, rtol=1e-9, atol=0):
            raise ValueError(f"source runs at {source_rate(src):g} Hz but filterbank was "
                             f"designed for {filterbank._sr:g} Hz")
        self.n = int(n)
        LinearFilterbank.__init__(self, src, np.tile(filterbank.filt_b, (1, 1, n)),
                                  np.tile(filterbank.filt_a, (1, 1, n)),
                                  dtype=dtype if dtype is not None else filterbank.dtype,
                                  device=device)


class MiddleEar(LinearFilterbank):
    """Middle-ear filter of Tan and Carney (2003): two pole pairs (``-250 +- 400i`` and
    ``-2000 +- 6000i`` times 2 pi rad/s) and a double zero (at -200 rad/s), bilinear
    transform, gain 1 at 1 kHz for the analog filter, times ``gain`` (scalar or per channel).

    ``MiddleEar(source, gain=1, *, dtype=None)``
    """

    def __init__(self, source: Any, gain: Any = 1, *, dtype: Any = None,
                 device: str | None = None) -> None:
        from scipy import signal

        src = as_source(source)
        fs = source_rate(src)
        g = np.atleast_1d(dimensionless(gain, "gain")).astype(float)
        n = src.nchannels if g.size == 1 else g.size
        if g.size not in (1, n) or (src.nchannels not in (1, n)):
            raise ValueError(f"gain must be a scalar or one value per channel, got {g.size} "
                             f"values for a source with {src.nchannels} channels")
        g = np.broadcast_to(g, (n,))
        zeros = np.array([-200.0, -200.0])
        poles = np.array([-250 + 400j, -250 - 400j, -2000 + 6000j, -2000 - 6000j]) * 2 * np.pi
        w = 2 * np.pi * 1000.0
        resp = np.abs(np.prod(1j * w - zeros) / np.prod(1j * w - poles))
        zd, pd, kd = signal.bilinear_zpk(zeros, poles, 1.0 / resp, fs)
        sos = signal.zpk2sos(zd, pd, kd)
        sos_list = []
        for gi in g:
            s = sos.copy()
            s[0, :3] *= gi
            sos_list.append(s)
        self.gain = np.array(g)
        filt_b, filt_a = sos_to_ba(sos_list)
        LinearFilterbank.__init__(self, src, filt_b, filt_a, dtype=dtype, device=device)
