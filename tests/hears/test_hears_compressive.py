"""DCGC and TanCarney: level-dependent filterbanks with compiled control loops."""

import math
import warnings

import numpy as np
import pytest

from hears import (
    DCGC,
    AsymmetricCompensation,
    LogGammachirp,
    MiddleEar,
    Sound,
    TanCarney,
    asymmetric_compensation_coeffs,
    dB,
    tone,
    whitenoise,
)
from sim.units import Hz, kHz, ms

FS = 50000.0
CFS = np.array([500.0, 800.0, 1300.0, 2000.0])


def _tc(source, cf, update_interval=1, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TanCarney(source, cf, update_interval, **kw)


MODELS = {
    "DCGC": lambda s, cf, ui=1: DCGC(s, cf, ui),
    "TanCarney": lambda s, cf, ui=1: _tc(MiddleEar(s), cf, ui),
}


def _gain_db(make, level, cf=1000.0, channel=1):
    s = tone(cf * Hz, 40 * ms, samplerate=FS * Hz).atlevel(level * dB)
    y = make(s).process()
    x = np.asarray(s)[:, 0]
    return 20 * np.log10(np.sqrt(np.mean(y[1000:, channel] ** 2))
                         / np.sqrt(np.mean(x[1000:] ** 2)))


@pytest.mark.parametrize("name", MODELS)
def test_shape_and_channels(name):
    s = whitenoise(5 * ms, samplerate=FS * Hz, rng=1).atlevel(60 * dB)
    fb = MODELS[name](s, CFS * Hz)
    assert fb.nchannels == CFS.size
    y = fb.process()
    assert y.shape == (s.nsamples, CFS.size)
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("update_interval", [1, 3])
def test_bit_identical_across_buffer_sizes(name, update_interval):
    s = whitenoise(12 * ms, samplerate=FS * Hz, rng=2).atlevel(70 * dB)
    fb = MODELS[name](s, CFS * Hz, update_interval)
    whole = fb.process(buffersize=s.nsamples)
    for bs in (1, 7, 32, 1000):
        assert np.array_equal(fb.process(buffersize=bs), whole), bs


@pytest.mark.parametrize("name", MODELS)
def test_gain_at_cf_falls_with_level_and_is_linear_at_low_levels(name):
    make = lambda s: MODELS[name](s, CFS * Hz)  # noqa: E731
    gains = [_gain_db(make, lev, cf=CFS[1]) for lev in (-20, -10, 30, 60, 90)]
    assert abs(gains[0] - gains[1]) < 0.3  # linear: same gain 10 dB apart
    assert all(g1 > g2 for g1, g2 in zip(gains[1:], gains[2:], strict=False))
    assert gains[1] - gains[-1] > (1.0 if name == "DCGC" else 20.0)


@pytest.mark.parametrize("name", MODELS)
def test_stable_at_high_levels(name):
    s = whitenoise(30 * ms, samplerate=FS * Hz, rng=3).atlevel(120 * dB)
    fb = MODELS[name](s, np.array([100.0, 1000.0, 10000.0, 20000.0]) * Hz)
    y = fb.process()
    assert np.all(np.isfinite(y))
    assert np.abs(y[-500:]).max() < 1e3
    sections = fb._sig if name == "DCGC" else fb._bps
    a1, a2 = sections[..., 3], sections[..., 4]
    disc = np.sqrt((a1 * a1 - 4 * a2).astype(complex))
    assert np.all(np.abs((-a1 + disc) / 2) < 1) and np.all(np.abs((-a1 - disc) / 2) < 1)


def test_parameters_are_checked():
    s = whitenoise(1 * ms, samplerate=FS * Hz)
    with pytest.raises(KeyError, match="not a DCGC parameter"):
        DCGC(s, CFS * Hz, param={"nope": 1})
    with pytest.raises(ValueError, match="too low"):
        DCGC(s, [30.0] * Hz)
    with pytest.raises(ValueError, match="update_interval"):
        DCGC(s, CFS * Hz, 0)
    with pytest.warns(UserWarning, match="50 kHz"):
        TanCarney(tone(1 * kHz, 1 * ms, samplerate=44.1 * kHz), [1000.0] * Hz)
    tc = _tc(s, CFS * Hz, param={"nlgain": 5.0})  # a given nlgain is kept
    assert np.all(tc.parameters["nlgain"] == 5.0)


def test_single_channel_dcgc_works():
    s = whitenoise(5 * ms, samplerate=FS * Hz, rng=4).atlevel(60 * dB)
    assert np.all(np.isfinite(DCGC(s, [1000.0] * Hz).process()))


# --- slow pure-Python references of the same update rules -------------------------------------


def _sos_step(v, sos, z):
    """One sample through sections ``sos`` (``(nsec, 6)``, a0 = 1) with state ``z``."""
    for k in range(sos.shape[0]):
        b0, b1, b2, _, a1, a2 = sos[k]
        y = b0 * v + z[k, 0]
        z[k, 0] = b1 * v - a1 * y + z[k, 1]
        z[k, 1] = b2 * v - a2 * y
        v = y
    return v


def dcgc_reference(x, cf, interval):
    n = cf.size
    snd = Sound(np.zeros(10), samplerate=FS)
    b1, c1, b2, c2 = 1.81, -2.96, 2.17, 2.2
    erbw = 24.7 * (4.37 * cf / 1000 + 1)
    erbrate = 21.4 * np.log10(4.37 * cf / 1000 + 1)
    fp1 = cf + c1 * erbw * b1 / 4
    shift = round(1.5 / np.mean(np.diff(erbrate)))
    ind = np.clip(np.arange(n) + shift, 0, n - 1)
    pgc = LogGammachirp(snd, cf, b=b1, c=c1).sos()
    ctl = AsymmetricCompensation(snd, 1.08 * fp1[ind], b=b2, c=c2).sos()
    sig_fb = AsymmetricCompensation(snd, 0.233 * fp1, b=b2, c=c2)
    fb, fa = sig_fb.filt_b.copy(), sig_fb.filt_a.copy()
    p0, p4 = 2.0, 1.0724
    p1 = 1.7818 * (1 - 0.0791 * b2) * (1 - 0.1655 * abs(c2))
    p2 = 0.5689 * (1 - 0.1620 * b2) * (1 - 0.0857 * abs(c2))
    p3 = 0.2523 * (1 - 0.0244 * b2) * (1 + 0.0574 * abs(c2))
    decay = math.exp(-math.log(2) / (0.5e-3 * FS))
    ref = 10 ** ((50 - 30) / 20)
    zp, zc, zs = (np.zeros((n, s, 2)) for s in (pgc.shape[1], 4, 4))
    lev1, lev2 = np.zeros(n), np.zeros(n)
    out = np.zeros((x.size, n))
    for t, xt in enumerate(x):
        p = np.array([_sos_step(xt, pgc[c], zp[c]) for c in range(n)])
        sig = np.concatenate((fb, fa), axis=1).transpose(0, 2, 1)
        out[t] = [_sos_step(p[c], sig[c], zs[c]) for c in range(n)]
        q = p[ind]
        r = np.array([_sos_step(q[c], ctl[c], zc[c]) for c in range(n)])
        lev1 = np.maximum(np.maximum(q, 0), lev1 * decay)  # every sample
        lev2 = np.maximum(np.maximum(r, 0), lev2 * decay)
        if (t + 1) % interval == 0:
            total = 0.5 * ref * (lev1 / ref) ** 1.5 + 0.5 * ref * (lev2 / ref) ** 0.5
            level = 20 * np.log10(np.maximum(total, 10 ** (-30 / 20))) + 30
            fb, fa = asymmetric_compensation_coeffs(FS, fp1 * (0.233 + 0.005 * level), fb, fa,
                                                    b2, c2, p0, p1, p2, p3, p4)
    return out


def tan_carney_reference(x, cf, interval, merged=True):
    """brian2hears' rules. The control band-pass is 3 biquads with double zeros at -1, the
    differentiator ``fs2 (1 - z^-1)/(1 + z^-1)`` and a gain; ``merged=False`` runs the
    differentiator as its own section, as brian2hears (a pole on the unit circle),
    ``merged=True`` cancels its pole against a zero of the third biquad, as TanCarney."""
    n = cf.size
    fs2 = 2 * FS
    pi2 = 2 * np.pi
    lcf = np.log10(cf)
    fp1 = 1.0854 * cf - 106.0034
    ta = 10 ** (lcf * 1.0230 + 0.1607)
    tb = 10 ** (lcf * 1.4292 - 1.1550) - 1000
    rgain = 10 ** (lcf * 0.4 + 1.9)
    nlgain = (10 ** (lcf * 0.5732 + 1.5220) - rgain) / 0.3357
    zero = -10 ** (lcf * 1.5 - 0.9)
    x_cf = 11.9 * np.log10(0.8 + cf / 456)
    fshift = (10 ** ((x_cf + 1.2) / 11.9) - 0.8) * 456 - cf

    def signal_poles(u):
        pr0 = -rgain - u
        pr4 = pr0 - ta
        pr2 = (pr0 + pr4) / 2
        pi0 = pi2 * fp1
        pi4 = pi0 - tb
        pi2_ = (pi0 + pi4) / 2
        preal = np.stack([pr0, pr0, pr2, pr2, pr4, pr4, pr0, pr0, pr4, pr4] * 2, axis=1)
        pimg = np.stack([pi0, -pi0, pi2_, -pi2_, pi4, -pi4, pi0, -pi0, pi4, -pi4] * 2, axis=1)
        return preal, pimg

    preal, pimg = signal_poles(0.0)
    gnorm = np.sqrt(np.prod((pi2 * cf[:, None] - pimg) ** 2 + preal ** 2, axis=1))
    gnorm /= np.sqrt((pi2 * cf) ** 2 + zero ** 2) ** 10

    def signal_sos(u):
        preal, pimg = signal_poles(u)
        pr, pim = preal[:, 1::2], pimg[:, 1::2]
        temp = (fs2 - pr) ** 2 + pim ** 2
        sos = np.zeros((n, 11, 6))
        z = zero[:, None]
        sos[:, :10] = np.stack([(fs2 - z) / temp, -2 * z / temp, (-z - fs2) / temp,
                                np.ones_like(temp), -2 * (fs2 ** 2 - pr ** 2 - pim ** 2) / temp,
                                ((fs2 + pr) ** 2 + pim ** 2) / temp], axis=2)
        sos[:, 10, 0] = gnorm / 3
        sos[:, 10, 3] = 1
        return sos

    def control_sos(u):
        pr = -pi2 * cf / 4 - u
        pim = pi2 * (cf + fshift)
        temp = (fs2 - pr) ** 2 + pim ** 2
        wbw = -(-pi2 * cf / 4 - u) / pi2
        gain = (pi2 ** 2 * np.sqrt(wbw ** 2 + fshift ** 2)
                * np.sqrt((2 * cf + fshift) ** 2 + wbw ** 2)) ** 3 / np.sqrt(pi2 ** 2 * cf ** 2)
        sos = np.zeros((n, 5, 6))
        for k in range(3):
            sos[:, k] = np.stack([1 / temp, 2 / temp, 1 / temp, np.ones(n),
                                  -2 * (fs2 ** 2 - pr ** 2 - pim ** 2) / temp,
                                  ((fs2 + pr) ** 2 + pim ** 2) / temp], axis=1)
        if merged:
            sos[:, 2, :3] = np.stack([fs2 / temp, 0 * temp, -fs2 / temp], axis=1)
            sos[:, 3] = [1, 0, 0, 1, 0, 0]
        else:
            sos[:, 3] = [fs2, -fs2, 0, 1, 1, 0]
        sos[:, 4, 0] = gain
        sos[:, 4, 3] = 1
        return sos

    def lowpass(fc, gain, order, gain_at):
        w = pi2 * fc
        sos = np.zeros((order, 6))
        sos[:] = [1 / (fs2 + w), 1 / (fs2 + w), 0, 1, -(fs2 - w) / (fs2 + w), 0]
        sos[gain_at, :3] *= gain
        return sos

    lp_con = lowpass(800, (pi2 * 800) ** 3 * 1.5, 3, 2)
    lp_fb = lowpass(500, 500 * pi2 * 10, 1, 0)
    w = pi2 * 3800
    ihc = np.tile([w / (w + fs2), w / (w + fs2), 0, 1, -(fs2 - w) / (fs2 + w), 0], (7, 1))
    shift = 1 / 8
    x0 = 8 * np.log((1 / shift - 1) / (1 + np.exp(5 / 3)))
    bpc, bps = control_sos(np.zeros(n)), signal_sos(np.zeros(n))
    z_bpc, z_bps = np.zeros((n, 5, 2)), np.zeros((n, 11, 2))
    z_lc, z_lf, z_ihc = np.zeros((n, 3, 2)), np.zeros((n, 1, 2)), np.zeros((n, 7, 2))
    out = np.zeros((x.size, n))
    for t, xt in enumerate(x):
        u, ufb = np.zeros(n), np.zeros(n)
        for c in range(n):
            v = _sos_step(xt, bpc[c], z_bpc[c])
            v = np.sign(v) * 2.5 * np.log(1 + 100 * abs(v) ** 0.6)
            v = (1 / (1 + np.exp(-(v - x0) / 8) * (1 + np.exp(-(v - 5) / 3))) - shift) * nlgain[c]
            u[c] = _sos_step(v, lp_con, z_lc[c])
            ufb[c] = _sos_step(u[c], lp_fb, z_lf[c])
            s = _sos_step(xt, bps[c], z_bps[c])
            if s >= 0:
                s = 0.1 * np.log(s * 2000 + 1)
            else:
                d = (-s) ** 1.74
                s = -0.1 * (d + 6.87e-9) / (3 * d + 6.87e-9) * np.log(-s * 2000 + 1)
            out[t, c] = _sos_step(s, ihc, z_ihc[c])
        if (t + 1) % interval == 0:
            bpc, bps = control_sos(ufb), signal_sos(u)
    return out


@pytest.mark.parametrize("update_interval", [1, 4])
def test_dcgc_matches_a_python_reference(update_interval):
    s = whitenoise(6 * ms, samplerate=FS * Hz, rng=5).atlevel(80 * dB)
    y = DCGC(s, CFS * Hz, update_interval).process(buffersize=64)
    ref = dcgc_reference(np.asarray(s)[:, 0], CFS, update_interval)
    assert np.max(np.abs(y - ref)) < 1e-9 * np.max(np.abs(ref))


@pytest.mark.parametrize("update_interval", [1, 4])
def test_tan_carney_matches_a_python_reference(update_interval):
    s = whitenoise(6 * ms, samplerate=FS * Hz, rng=6).atlevel(1 * dB) * 30000
    x = np.asarray(s)[:, 0]
    y = _tc(s, CFS * Hz, update_interval).process(buffersize=50)
    ref = tan_carney_reference(x, CFS, update_interval)
    assert np.max(np.abs(y - ref)) < 1e-7 * np.max(np.abs(ref))
    assert np.max(np.abs(ref)) > 1e-3


def test_tan_carney_control_band_pass_equals_brian2hears_form_without_updates():
    # the cancelled differentiator pole gives the same filter as brian2hears' separate section
    s = whitenoise(4 * ms, samplerate=FS * Hz, rng=7).atlevel(1 * dB) * 30000
    y = _tc(s, CFS * Hz, 10 ** 6).process()
    ref = tan_carney_reference(np.asarray(s)[:, 0], CFS, 10 ** 6, merged=False)
    assert np.max(np.abs(y - ref)) < 1e-9 * np.max(np.abs(ref))


@pytest.mark.parametrize("name", MODELS)
def test_threaded_and_serial_runs_agree(name):
    # large chunks run the per-channel loops on several threads, small ones serially
    import numba

    s = whitenoise(24 * ms, samplerate=FS * Hz, rng=8).atlevel(70 * dB)
    cf = np.geomspace(200, 8000, 16) * Hz
    fb = MODELS[name](s, cf, 2)
    serial = fb.process(buffersize=5)
    threads = numba.get_num_threads()
    numba.set_num_threads(max(1, min(2, numba.config.NUMBA_NUM_THREADS)))
    try:
        threaded = fb.process(buffersize=s.nsamples)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(serial, threaded)
