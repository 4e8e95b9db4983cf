"""Compiled (numba) kernels of the level-dependent filterbanks :class:`DCGC` and
:class:`TanCarney`.

Each kernel runs a whole model (every filter stage and the control loop) over one chunk of
input: time outer, channels inner, the filter coefficients recomputed in the kernel after every
``interval``-th sample of the sound (counted from time zero, so that the output does not depend
on how the sound is cut into chunks). Second-order sections are transposed direct form II, as
:mod:`scipy.signal.sosfilt`; first-order sections the same with ``b2 = a2 = 0``. States, levels
and coefficients live in arrays owned by the filterbank and are carried between chunks.

Section arrays have shape ``(nchannels, nsections, 5)`` holding ``b0 b1 b2 a1 a2``
(``a0 = 1``); states ``(nchannels, nsections, 2)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_TWO_PI = 2.0 * math.pi


@njit(cache=True, nogil=True, inline="always")
def _sos(v, co, z, c, k):  # pragma: no cover - compiled
    """Section ``k`` of channel ``c`` on one sample ``v``; returns the output."""
    y = co[c, k, 0] * v + z[c, k, 0]
    z[c, k, 0] = co[c, k, 1] * v - co[c, k, 3] * y + z[c, k, 1]
    z[c, k, 1] = co[c, k, 2] * v - co[c, k, 4] * y
    return y


@njit(cache=True, nogil=True)
def ac_coefficients(co, c, fs, fr, b, cc, kf):  # pragma: no cover - compiled
    """Asymmetric compensation sections (Unoki et al. 2001) of channel ``c`` for the frequency
    ``fr`` (Hz), written into ``co[c, k]`` for every section ``k``: the formula of
    :func:`hears.filterbanks.asymmetric_compensation_coeffs` (unit gain at ``fr``), with
    ``kf[k] = (p1 (p0/p4)**k, (p0 p4)**k p2)`` precomputed."""
    erbw = 24.7 * (4.37e-3 * fr + 1.0)
    th = _TWO_PI * fr / fs
    c1 = math.cos(th)
    s1 = math.sin(th)
    c2 = 2.0 * c1 * c1 - 1.0
    s2 = 2.0 * s1 * c1
    bw = _TWO_PI * b * erbw / fs
    for k in range(co.shape[1]):
        r = math.exp(-kf[k, 0] * bw)
        df = kf[k, 1] * cc * b * erbw
        phi = _TWO_PI * max(fr + df, 0.0) / fs
        psi = _TWO_PI * max(fr - df, 0.0) / fs
        a1 = -2.0 * r * math.cos(phi)
        b1 = -2.0 * r * math.cos(psi)
        r2 = r * r
        # |1 + a1 z^-1 + r2 z^-2| / |1 + b1 z^-1 + r2 z^-2| at z = exp(i th)
        ar = 1.0 + a1 * c1 + r2 * c2
        ai = a1 * s1 + r2 * s2
        br = 1.0 + b1 * c1 + r2 * c2
        bi = b1 * s1 + r2 * s2
        g = math.sqrt((ar * ar + ai * ai) / (br * br + bi * bi))
        co[c, k, 0] = g
        co[c, k, 1] = b1 * g
        co[c, k, 2] = r2 * g
        co[c, k, 3] = a1
        co[c, k, 4] = r2


@njit(cache=True, nogil=True, inline="always")
def _power(x, p):  # pragma: no cover - compiled
    if p == 0.5:
        return math.sqrt(x)
    if p == 1.5:
        return x * math.sqrt(x)
    if p == 1.0:
        return x
    return x ** p


@njit(cache=True, nogil=True, inline="always")
def _dcgc_channel(p, q, out, sig, zs, lev, indch, fp1, ac, kf, lp, n0, interval,
                  c):  # pragma: no cover - compiled
    nt = out.shape[0]
    nsig = sig.shape[1]
    fs, b2, c2 = ac[0], ac[1], ac[2]
    decay, weight, ref, pwr1, pwr2 = lp[0], lp[1], lp[2], lp[3], lp[4]
    lmin, rms_to_spl, frat0, frat1 = lp[5], lp[6], lp[7], lp[8]
    ic = indch[c]
    for t in range(nt):
        v = p[t, c]
        for k in range(nsig):
            v = _sos(v, sig, zs, c, k)
        out[t, c] = v
        # peak-hold level detectors, every sample
        l1 = max(max(p[t, ic], 0.0), lev[c, 0] * decay)
        l2 = max(max(q[t, c], 0.0), lev[c, 1] * decay)
        lev[c, 0] = l1
        lev[c, 1] = l2
        if (n0 + t + 1) % interval == 0:
            total = (weight * ref * _power(l1 / ref, pwr1)
                     + (1.0 - weight) * ref * _power(l2 / ref, pwr2))
            level_db = 20.0 * math.log10(max(total, lmin)) + rms_to_spl
            fr = fp1[c] * (frat0 + frat1 * level_db)
            ac_coefficients(sig, c, fs, fr, b2, c2, kf)


@njit(cache=True, nogil=True)
def dcgc_signal(p, q, out, sig, zs, lev, indch, fp1, ac, kf, lp, n0,
                interval):  # pragma: no cover - compiled
    """The DCGC's level-dependent part over one chunk, channel by channel.

    ``p`` (``(nt, nch)``): passive gammachirp output; ``q``: the control path's compensated
    output (channel ``c`` from ``p[:, indch[c]]``); ``sig``/``zs``: the signal path's
    asymmetric compensation (recomputed in place) and state; ``lev`` (``(nch, 2)``): the two
    level detectors; ``fp1``: peak frequencies (Hz); ``ac = [fs, b2, c2]``; ``kf``: see
    :func:`ac_coefficients`; ``lp = [decay, weight, lin_ref, pwr1, pwr2, lin_min, rms_to_spl,
    frat0, frat1]`` (``decay`` per sample); ``n0``: index of the chunk's first sample.
    """
    for c in range(out.shape[1]):
        _dcgc_channel(p, q, out, sig, zs, lev, indch, fp1, ac, kf, lp, n0, interval, c)


@njit(cache=True, parallel=True)
def dcgc_signal_parallel(p, q, out, sig, zs, lev, indch, fp1, ac, kf, lp, n0,
                         interval):  # pragma: no cover - compiled
    """:func:`dcgc_signal` with the channels shared among threads (same output)."""
    for c in prange(out.shape[1]):
        _dcgc_channel(p, q, out, sig, zs, lev, indch, fp1, ac, kf, lp, n0, interval, c)


@njit(cache=True, nogil=True)
def tc_control_coefficients(co, c, u, cf, fshift, fs2):  # pragma: no cover - compiled
    """Control-path band-pass of Tan and Carney (2003) for channel ``c`` and control value
    ``u`` (rad/s): three pole pairs at ``-2 pi cf/4 - u +- 2 pi i (cf + fshift)`` (bilinear
    transform, ``fs2 = 2 fs``) with double zeros at ``z = -1``, times the bilinear transform of
    a differentiator ``s``; the differentiator's pole at ``z = -1`` cancels one of the last
    section's zeros, which is done here analytically (section 2 gets the zeros ``+-1``).
    Returns the normalisation gain."""
    pr = -_TWO_PI * cf / 4.0 - u
    pi = _TWO_PI * (cf + fshift)
    temp = (fs2 - pr) ** 2 + pi * pi
    a1 = -2.0 * (fs2 * fs2 - pr * pr - pi * pi) / temp
    a2 = ((fs2 + pr) ** 2 + pi * pi) / temp
    for k in range(3):
        co[c, k, 3] = a1
        co[c, k, 4] = a2
        if k == 2:
            co[c, k, 0] = fs2 / temp
            co[c, k, 1] = 0.0
            co[c, k, 2] = -fs2 / temp
        else:
            co[c, k, 0] = 1.0 / temp
            co[c, k, 1] = 2.0 / temp
            co[c, k, 2] = 1.0 / temp
    wbw = cf / 4.0 + u / _TWO_PI
    return ((_TWO_PI ** 2 * math.sqrt(wbw * wbw + fshift * fshift)
             * math.sqrt((2.0 * cf + fshift) ** 2 + wbw * wbw)) ** 3
            / math.sqrt(_TWO_PI ** 2 * cf * cf))


@njit(cache=True, nogil=True)
def tc_signal_coefficients(co, c, u, rgain, ta, tb, fp1, zero, fs2):  # pragma: no cover
    """Signal-path band-pass of Tan and Carney (2003) for channel ``c`` and control value ``u``
    (rad/s): ten pole pairs (four at ``p0 = -rgain - u``, ``+-2 pi fp1``; two at the mean of
    that and the next; four at ``p0 - ta``, ``+-(2 pi fp1 - tb)``), one zero at ``zero``
    (rad/s) per section, bilinear transform with ``fs2 = 2 fs``."""
    pr0 = -rgain - u
    if pr0 >= -1.0:
        pr0 = -1.0  # keep the poles in the left half-plane (never reached below ~57 kHz)
    pr4 = pr0 - ta
    pi0 = _TWO_PI * fp1
    pi4 = pi0 - tb
    for j in range(3):  # the three distinct pole pairs
        if j == 0:
            pr, pi = pr0, pi0
        elif j == 1:
            pr, pi = 0.5 * (pr0 + pr4), 0.5 * (pi0 + pi4)
        else:
            pr, pi = pr4, pi4
        temp = (fs2 - pr) ** 2 + pi * pi
        b0 = (fs2 - zero) / temp
        b1 = -2.0 * zero / temp
        b2 = (-zero - fs2) / temp
        a1 = -2.0 * (fs2 * fs2 - pr * pr - pi * pi) / temp
        a2 = ((fs2 + pr) ** 2 + pi * pi) / temp
        for k in range(10):
            m = k % 5  # sections 0-4 repeat in 5-9: pairs 0, 1, 2, 0, 2
            if (m == 0 or m == 3) and j == 0 or m == 1 and j == 1 or (m == 2 or m == 4) and j == 2:
                co[c, k, 0] = b0
                co[c, k, 1] = b1
                co[c, k, 2] = b2
                co[c, k, 3] = a1
                co[c, k, 4] = a2


@njit(cache=True, nogil=True, inline="always")
def _tc_channel(x, out, bpc, zbc, gc, bps, zbs, lpc, zlc, lps, zls, st, cf, fshift, sp, prm,
                n0, interval, c):  # pragma: no cover - compiled
    nt = out.shape[0]
    mono = x.shape[1] == 1
    fs2, x0, shift = prm[0], prm[1], prm[2]
    s_a0, s_b, s_c, s_d = prm[3], prm[4], prm[5], prm[6]
    ihc = prm[7] != 0.0  # 0: the signal path's band-pass output (TanCarneySignal)
    ex0 = math.exp(x0 / 8.0)
    ex1 = math.exp(5.0 / 3.0)
    for t in range(nt):
        xin = x[t, 0] if mono else x[t, c]
        # control path: band-pass, two nonlinearities, low-pass, feedback low-pass
        v = xin
        for k in range(3):
            v = _sos(v, bpc, zbc, c, k)
        v *= gc[c]
        v = math.copysign(2.5 * math.log(1.0 + 100.0 * abs(v) ** 0.6), v)
        # 1/(1 + exp(-(v - x0)/8) (1 + exp(-(v - 5)/3))) with one exp: e = exp(-v/24)
        e = math.exp(-v / 24.0)
        e3 = e * e * e
        e8 = e3 * e3 * e * e
        v = (1.0 / (1.0 + e3 * ex0 * (1.0 + e8 * ex1)) - shift) * sp[c, 6]
        for k in range(3):
            v = _sos(v, lpc, zlc, c, k)
        fb = _sos(v, lpc, zlc, c, 3)
        # signal path: band-pass, saturation, inner-hair-cell low-pass
        w = xin
        for k in range(10):
            w = _sos(w, bps, zbs, c, k)
        w *= sp[c, 5]
        if ihc:
            if w >= 0.0:
                w = s_a0 * math.log(w * s_b + 1.0)
            else:
                d = (-w) ** s_c
                w = -s_a0 * (d + s_d) / (3.0 * d + s_d) * math.log(-w * s_b + 1.0)
            for k in range(7):
                w = _sos(w, lps, zls, c, k)
        out[t, c] = w
        if (n0 + t + 1) % interval == 0:
            st[c, 0] = v
            st[c, 1] = fb
            gc[c] = tc_control_coefficients(bpc, c, fb, cf[c], fshift[c], fs2)
            tc_signal_coefficients(bps, c, v, sp[c, 0], sp[c, 1], sp[c, 2], sp[c, 3],
                                   sp[c, 4], fs2)


@njit(cache=True, nogil=True)
def tc_run(x, out, bpc, zbc, gc, bps, zbs, lpc, zlc, lps, zls, st, cf, fshift, sp, prm,
           n0, interval):  # pragma: no cover - compiled
    """Run Tan and Carney's model (control path, signal path, inner hair cell) over ``x``
    (``(nt, 1)`` or ``(nt, nch)``) into ``out``, channel by channel (they are independent).

    ``bpc``/``zbc``: control band-pass (3 sections) and state; ``gc`` (``(nch,)``): its gain;
    ``bps``/``zbs``: signal band-pass (10 sections; the gain ``sp[:, 5]`` follows);
    ``lpc``/``zlc`` (``(nch, 4, 5)``/``(nch, 4, 2)``): control low-pass (3 first-order
    sections, the gain in the last) and feedback low-pass (1 section); ``lps``/``zls``:
    inner-hair-cell low-pass (7 sections); ``st`` (``(nch, 2)``): the current control values
    (signal, feedback) in rad/s; ``sp`` (``(nch, 7)``): rgain, ta, tb, fp1, zero, gain/3,
    nlgain; ``prm``: fs2, x0, shift, the saturation's A0, B, C, D, and 1 to apply the
    inner hair cell (0: ``out`` is the signal path's band-pass output).
    """
    for c in range(out.shape[1]):
        _tc_channel(x, out, bpc, zbc, gc, bps, zbs, lpc, zlc, lps, zls, st, cf, fshift, sp,
                    prm, n0, interval, c)


@njit(cache=True, parallel=True)
def tc_run_parallel(x, out, bpc, zbc, gc, bps, zbs, lpc, zlc, lps, zls, st, cf, fshift, sp,
                    prm, n0, interval):  # pragma: no cover - compiled
    """:func:`tc_run` with the channels shared among threads (same output)."""
    for c in prange(out.shape[1]):
        _tc_channel(x, out, bpc, zbc, gc, bps, zbs, lpc, zlc, lps, zls, st, cf, fshift, sp,
                    prm, n0, interval, c)


def pack_sections(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``(nch, 3, nsec)`` LinearFilterbank coefficients as ``(nch, nsec, 5)`` normalised
    ``b0 b1 b2 a1 a2`` rows."""
    a0 = a[:, 0:1, :]
    bb = b / a0
    aa = a / a0
    return np.ascontiguousarray(np.concatenate((bb, aa[:, 1:, :]), axis=1).transpose(0, 2, 1))
