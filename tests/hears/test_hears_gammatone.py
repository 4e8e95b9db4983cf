"""The gammatone family: Slaney's reference data, gain at CF, ERB, stability, Hohmann's IR."""

from pathlib import Path

import numpy as np
import pytest
from scipy import io as sio

from hears import (
    ApproximateGammatone,
    AsymmetricCompensation,
    Gammatone,
    LinearFilterbank,
    LogGammachirp,
    Sound,
    erb_bandwidth,
    erb_filters_to_ba,
    erbspace,
    hohmann_impulse_response,
    make_erb_filters,
)
from sim.units import DimensionMismatchError, Hz, kHz, ms

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
SLANEY = REFERENCE / "slaney-gammatone"

needs_slaney = pytest.mark.skipif(
    not SLANEY.is_dir(),
    reason=f"Slaney gammatone reference data not found at {SLANEY} (the shared reference "
           "folder beside the repository)")

SR = 44100.0


def load(name):
    return sio.loadmat(str(SLANEY / name))


def scalar(x):
    return float(np.asarray(x).ravel()[0])


@needs_slaney
def test_erbspace_matches_slaney():
    d = load("test_erbspace_data.mat")
    assert len(d["erbspace_inputs"]) == 7
    for inputs, expected in zip(d["erbspace_inputs"], d["erbspace_results"][:, 0], strict=True):
        low, high, n = (scalar(v) for v in inputs)
        # Slaney's N points exclude `high`: they are our N+1 points minus the last, descending
        cf = np.asarray(erbspace(low * Hz, high * Hz, int(n) + 1))[:-1][::-1]
        np.testing.assert_allclose(cf, expected.ravel(), rtol=1e-9, atol=0)


@needs_slaney
def test_coefficients_match_slaney():
    d = load("test_erb_filter_data.mat")
    assert len(d["erb_filter_inputs"]) == 10
    for inputs, expected in zip(d["erb_filter_inputs"], d["erb_filter_results"][:, 0],
                                strict=True):
        fs, cf = scalar(inputs[0]), inputs[1].ravel()
        coefs = make_erb_filters(fs, cf)
        assert coefs.shape == expected.shape
        # relative 1e-9; coefficients that cancel to zero exactly (Slaney: ~1e-21) compare
        # against the scale of their column
        scale = np.max(np.abs(expected), axis=0)
        err = np.abs(coefs - expected)
        assert np.all(err <= 1e-9 * np.abs(expected) + 1e-12 * scale), np.max(err)


@needs_slaney
def test_filterbank_output_matches_slaney():
    d = load("test_filterbank_data.mat")
    assert len(d["erb_filterbank_inputs"]) == 8
    for inputs, expected in zip(d["erb_filterbank_inputs"], d["erb_filterbank_results"][:, 0],
                                strict=True):
        fcoefs, wave = inputs[0], inputs[1].ravel()
        b, a = erb_filters_to_ba(fcoefs)
        out = LinearFilterbank(Sound(wave, samplerate=SR), b, a).process().T
        assert out.shape == expected.shape
        err = np.max(np.abs(out - expected), axis=1) / np.max(np.abs(expected), axis=1)
        assert np.all(err < 1e-9), err


@needs_slaney
def test_gammatone_class_uses_slaney_coefficients():
    d = load("test_erb_filter_data.mat")
    inputs, expected = d["erb_filter_inputs"][1], d["erb_filter_results"][1, 0]
    fs, cf = scalar(inputs[0]), inputs[1].ravel()
    g = Gammatone(Sound(np.zeros(8), samplerate=fs), cf)
    np.testing.assert_allclose(g.gain, expected[:, 9], rtol=1e-9)
    np.testing.assert_allclose(g.B1, expected[:, 7], rtol=1e-9)
    np.testing.assert_allclose(g.filt_b[:, 1, 3], expected[:, 4], rtol=1e-9)


def test_gain_at_cf_is_0_dB():
    for fs in (16000.0, 44100.0, 96000.0):
        cf = erbspace(20 * Hz, fs / 2 * 0.999 * Hz, 60)
        g = Gammatone(Sound(np.zeros(4), samplerate=fs), cf)
        gains = np.abs(np.diagonal(g.frequency_response(cf)))
        db = 20 * np.log10(gains)
        assert np.all(np.abs(db) < 0.01), (fs, db.min(), db.max())
        # and, away from the Nyquist frequency, the gain at cf is the peak of the response
        f = np.linspace(10, fs / 2, 3001)
        low = np.asarray(cf) < 0.4 * fs
        peak = np.max(np.abs(g.frequency_response(f)), axis=1)[low]
        assert np.all(peak < 10 ** (0.1 / 20)), peak.max()


def test_equivalent_rectangular_bandwidth_matches_glasberg_moore():
    cf = np.array([50, 100, 250, 500, 1000, 2000, 4000, 8000, 12000, 16000.0])
    g = Gammatone(Sound(np.zeros(4), samplerate=SR), cf)
    f = np.linspace(0, SR / 2, 200001)
    power = np.abs(g.frequency_response(f)) ** 2
    peak = np.abs(np.diagonal(g.frequency_response(cf))) ** 2
    erb = np.trapezoid(power, f, axis=1) / peak
    expected = np.asarray(erb_bandwidth(cf))  # 24.7 + cf/9.26449 Hz
    np.testing.assert_allclose(expected, 24.7 + cf / 9.26449, rtol=1e-12)
    ratio = erb / expected
    assert np.all(np.abs(ratio - 1) < 0.01), ratio


@pytest.mark.parametrize("fs", [16000.0, 22050.0, 44100.0, 48000.0, 96000.0])
def test_all_poles_inside_unit_circle_from_20_Hz_to_nyquist(fs):
    cf = np.asarray(erbspace(20 * Hz, fs / 2 * Hz, 200))
    s = Sound(np.zeros(4), samplerate=fs)
    banks = [
        Gammatone(s, cf),
        ApproximateGammatone(s, cf, np.asarray(erb_bandwidth(cf)), order=4),
        LogGammachirp(s, cf, c=-2),
        LogGammachirp(s, cf, c=2),
        AsymmetricCompensation(s, cf, ncascades=4),
    ]
    assert cf[0] == 20 and cf[-1] == fs / 2
    for fb in banks:
        radius = np.abs(fb.poles())
        assert np.all(radius < 1), (type(fb).__name__, radius.max())


def test_stable_output_at_20_Hz():
    # a 20 Hz gammatone at 96 kHz (poles within 2e-3 of z=1) rings and decays as it should
    fs = 96000.0
    x = np.zeros(int(0.5 * fs))
    x[0] = 1
    y = Gammatone(Sound(x, samplerate=fs), [20]).process(buffersize=4096)[:, 0]
    assert np.all(np.isfinite(y))
    peak = np.max(np.abs(y))
    assert np.max(np.abs(y[-4800:])) < 1e-3 * peak


@pytest.mark.parametrize("order", [1, 3, 4, 6])
def test_approximate_gammatone_impulse_response(order, make_impulse):
    n = 4000
    cf = np.array([150.0, 1000.0, 5000.0])
    bw = 1.019 * np.asarray(erb_bandwidth(cf))
    fb = ApproximateGammatone(make_impulse(n), cf, bw, order=order)
    h = fb.process()
    k = np.arange(n)
    t = k / SR
    for i in range(cf.size):
        # exactly Hohmann's discrete gammatone (binomial envelope), up to normalisation
        ref = hohmann_impulse_response(cf[i], bw[i], SR, order, n)
        c = np.dot(h[:, i], ref) / np.dot(ref, ref)
        assert np.max(np.abs(h[:, i] - c * ref)) < 1e-9 * np.max(np.abs(c * ref))
        # which is the sampled t^(n-1) exp(-2 pi b t) cos(2 pi f t), up to normalisation: the
        # binomial envelope equals t^(n-1) (to 3e-3 of its peak for responses as short as 25
        # samples, 2e-4 from 1 kHz down) on a time axis starting order/2 samples early
        ts = t + order / 2 / SR
        g = ts ** (order - 1) * np.exp(-2 * np.pi * bw[i] * ts) * np.cos(2 * np.pi * cf[i] * t)
        hn = h[:, i] / np.max(np.abs(h[:, i]))
        gn = g / np.max(np.abs(g))
        assert np.max(np.abs(hn - gn)) < 5e-3, (order, cf[i], np.max(np.abs(hn - gn)))
        # and on the plain time axis the shapes agree to a correlation above 0.99
        g0 = t ** (order - 1) * np.exp(-2 * np.pi * bw[i] * t) * np.cos(2 * np.pi * cf[i] * t)
        corr = np.dot(h[:, i], g0) / np.linalg.norm(h[:, i]) / np.linalg.norm(g0)
        assert corr > 0.99
    gains = np.abs(np.diagonal(fb.frequency_response(cf)))
    np.testing.assert_allclose(gains, 1, rtol=1e-9)


def test_gammatone_impulse_response_is_a_gammatone(make_impulse):
    # Slaney's filter approximates t^3 exp(-2 pi b ERB t) cos(2 pi f t) (to a few percent)
    n = 3000
    cf = 2000.0
    h = Gammatone(make_impulse(n), [cf]).process()[:, 0]
    t = np.arange(n) / SR
    bw = 1.019 * (24.7 + cf / 9.26449)
    env = t ** 3 * np.exp(-2 * np.pi * bw * t)
    from scipy.signal import hilbert

    henv = np.abs(hilbert(h))
    assert abs(np.argmax(henv) - np.argmax(env)) <= 3
    corr = np.dot(henv, env) / np.linalg.norm(henv) / np.linalg.norm(env)
    assert corr > 0.999


def test_erbspace_properties_and_bad_input():
    cf = erbspace(20 * Hz, 20 * kHz, 3000)
    assert cf.dim == Hz.dim
    f = np.asarray(cf)
    assert f.size == 3000 and f[0] == 20 and f[-1] == 20000
    assert np.all(np.diff(f) > 0)
    # equal steps on the ERB-number scale 9.26449 ln(f + 228.83)
    e = 9.26449 * np.log(f + 9.26449 * 24.7)
    np.testing.assert_allclose(np.diff(e), np.diff(e)[0], rtol=1e-9)
    f2 = np.asarray(erbspace(100, 8000, 10, order=2))
    e2 = np.arcsinh(f2 / (9.26449 * 24.7))
    np.testing.assert_allclose(np.diff(e2), np.diff(e2)[0], rtol=1e-9)
    np.testing.assert_array_equal(np.asarray(erbspace(300, 400, 1)), [300])
    with pytest.raises(ValueError, match="below"):
        erbspace(2 * kHz, 1 * kHz, 10)
    with pytest.raises(ValueError, match="N must be"):
        erbspace(100, 1000, 0)
    with pytest.raises(DimensionMismatchError, match="low"):
        erbspace(1 * ms, 1000, 10)


def test_bad_gammatone_arguments_are_named():
    s = Sound(np.zeros(10), samplerate=16000)
    with pytest.raises(ValueError, match=r"cf\[1\] = 9000 Hz is above the Nyquist"):
        Gammatone(s, [1000, 9000])
    with pytest.raises(ValueError, match="cf must be positive"):
        Gammatone(s, [0, 1000])
    with pytest.raises(ValueError, match="b must be"):
        Gammatone(s, [1000, 2000], b=[1.0, 1.0, 1.0])
    with pytest.raises(DimensionMismatchError, match="cf"):
        Gammatone(s, 3 * ms)
    with pytest.raises(ValueError, match="bandwidth"):
        ApproximateGammatone(s, [100, 200, 300], [10, 20])
    with pytest.raises(ValueError, match="order"):
        ApproximateGammatone(s, [100], [10], order=0)
    with pytest.raises(ValueError, match=r"f\[0\]"):
        LogGammachirp(s, [8001])
