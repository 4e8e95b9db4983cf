"""Filter designs of the library: classic IIR, low-pass, cascades, middle ear, gammachirps,
DRNL."""

import numpy as np
import pytest
from scipy import signal

from hears import (
    DRNL,
    AsymmetricCompensation,
    Butterworth,
    Cascade,
    Gammatone,
    IIRFilterbank,
    LogGammachirp,
    LowPass,
    MiddleEar,
    Sound,
    asymmetric_compensation_coeffs,
    dB,
    drnl_parameters,
    tone,
)
from sim.units import Hz, kHz, ms

SR = 44100.0


def column(s):
    return np.asarray(s)[:, 0]


def test_butterworth_matches_scipy(noise):
    x = column(noise)
    low = Butterworth(noise, 3, 4, [200, 1000, 5000] * Hz)
    out = low.process(buffersize=17)
    for i, fc in enumerate([200, 1000, 5000]):
        ref = signal.sosfilt(signal.butter(4, fc, fs=SR, output="sos"), x)
        np.testing.assert_allclose(out[:, i], ref, rtol=1e-12, atol=1e-14)
    band = Butterworth(noise, 2, 2, np.array([[300, 1000], [600, 3000]]), btype="bandpass")
    ref = signal.sosfilt(signal.butter(2, [1000, 3000], btype="bandpass", fs=SR, output="sos"),
                         x)
    np.testing.assert_allclose(band.process()[:, 1], ref, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="Nyquist"):
        Butterworth(noise, 1, 2, 30 * kHz)
    with pytest.raises(ValueError, match="btype"):
        Butterworth(noise, 1, 2, 1 * kHz, btype="lowish")
    with pytest.raises(ValueError, match="one frequency per channel"):
        Butterworth(noise, 3, 2, [100, 200])


def test_iir_filterbank_matches_scipy_iirdesign(noise):
    x = column(noise)
    fb = IIRFilterbank(noise, 2, [1000, 2000], [1500, 3000], 1, 40, "low", "ellip")
    out = fb.process()
    for i, (wp, ws) in enumerate([(1000, 1500), (2000, 3000)]):
        sos = signal.iirdesign(wp, ws, 1, 40, ftype="ellip", output="sos", fs=SR)
        np.testing.assert_allclose(out[:, i], signal.sosfilt(sos, x), rtol=1e-12, atol=1e-14)
    band = IIRFilterbank(noise, 1, [1000, 2000], [700, 2600], 0.5, 30, "bandpass", "cheby2")
    h = np.abs(band.frequency_response([1500.0, 500.0, 4000.0])[0])
    assert 10 ** (-0.5 / 20) - 1e-9 <= h[0] <= 1 + 1e-9
    assert np.all(h[1:] <= 10 ** (-30 / 20) + 1e-9)
    # as brian2hears (iirdesign infers the type from the edges): the edges win, with a warning
    with pytest.warns(UserWarning, match="describe a 'high' filter"):
        high = IIRFilterbank(noise, 1, 2000, 1000, 1, 40, "low", "butter")
    assert high.btype == "high"
    sos = signal.iirdesign(2000, 1000, 1, 40, ftype="butter", output="sos", fs=SR)
    np.testing.assert_allclose(high.process()[:, 0], signal.sosfilt(sos, x), rtol=1e-9,
                               atol=1e-12)
    # scipy's aliases, per-channel bands of shape (2, n), and clear errors
    alias = IIRFilterbank(noise, 1, 1000, 2000, 1, 40, "lowpass", "elliptic")
    assert alias.btype == "low" and alias.ftype == "elliptic"
    bands = IIRFilterbank(noise, 2, [[1000, 2000], [2000, 3000]], [[700, 1500], [2600, 4000]],
                          0.5, 30, "bandpass", "cheby2")
    assert bands.passband.shape == (2, 2)
    with pytest.raises(ValueError, match="Bessel"):
        IIRFilterbank(noise, 1, 1000, 2000, 1, 40, "low", "bessel")
    with pytest.raises(ValueError, match=r"transpose of the expected \(2, 3\)"):
        IIRFilterbank(noise, 3, np.ones((3, 2)) * [1000, 2000], np.ones((3, 2)) * [700, 2600],
                      0.5, 30, "bandpass", "cheby2")


def test_lowpass_step_response_and_stability(noise):
    fc = np.array([100.0, 1000.0, 20000.0])
    step = Sound(np.ones(200), samplerate=SR)
    y = LowPass(step, fc).process()
    q = np.exp(-2 * np.pi * fc / SR)
    n = np.arange(200)[:, None]
    np.testing.assert_allclose(y, 1 - q[None, :] ** (n + 1), rtol=1e-12)
    # stable up to the Nyquist frequency (the forward-Euler form is not above fs/pi)
    assert np.all(np.abs(LowPass(noise, SR / 2).poles()) < 1)


def test_cascade_repeats_every_section(noise):
    lp = LowPass(noise, [300, 3000])
    np.testing.assert_allclose(Cascade(noise, lp, 3).process(),
                               LowPass(LowPass(lp, [300, 3000]), [300, 3000]).process(),
                               rtol=1e-12, atol=1e-15)
    g = Gammatone(noise, [1000])
    c2 = Cascade(noise, g, 2)
    assert c2.nsections == 8
    np.testing.assert_allclose(c2.process(), Gammatone(g, [1000]).process(), rtol=1e-10,
                               atol=1e-14)


def test_middle_ear_gain_and_shape(noise):
    me = MiddleEar(noise)
    h = np.abs(me.frequency_response([100.0, 1000.0, 10000.0])[0])
    # unit gain at 1 kHz for the analog prototype: within bilinear warping at 44.1 kHz
    assert abs(20 * np.log10(h[1])) < 0.1
    assert h[0] < h[1] and h[2] < h[1]  # band-pass
    two = MiddleEar(noise, gain=[1.0, 0.5])
    out = two.process()
    np.testing.assert_allclose(out[:, 1], 0.5 * out[:, 0], rtol=1e-12)
    assert np.all(np.abs(me.poles()) < 1)


def test_asymmetric_compensation_unit_gain_and_all_cascades(noise):
    f = np.array([500.0, 2000.0, 6000.0])
    for n in (1, 2, 4, 6):
        ac = AsymmetricCompensation(noise, f, b=1.019, c=-1.5, ncascades=n)
        assert ac.nsections == n
        gains = np.abs(np.diagonal(ac.frequency_response(f)))
        np.testing.assert_allclose(gains, 1, rtol=1e-9)
    # the coefficient function fills as many cascades as the arrays hold
    fb = np.zeros((3, 3, 6))
    fa = np.zeros((3, 3, 6))
    asymmetric_compensation_coeffs(SR, f, fb, fa, 1.019, 1.0, 2.0, 1.5, 0.5, 0.25, 1.07)
    assert np.all(fa[:, 0, :] == 1) and np.all(fb[:, 0, :] != 0)


def test_log_gammachirp_reduces_to_gammatone_for_c_0(noise):
    f = [400, 1200, 3000]
    np.testing.assert_allclose(LogGammachirp(noise, f, c=0).process(),
                               Gammatone(noise, f).process(), rtol=1e-9, atol=1e-12)
    # with c != 0 the peak of the response moves away from f (an asymmetric filter)
    # (the peak moves by roughly c b ERB(f) / 3: below f for c < 0)
    below = LogGammachirp(noise, [2000], c=-2)
    above = LogGammachirp(noise, [2000], c=2)
    freqs = np.linspace(1000, 3000, 2001)
    peak_below = freqs[np.argmax(np.abs(below.frequency_response(freqs)[0]))]
    peak_above = freqs[np.argmax(np.abs(above.frequency_response(freqs)[0]))]
    assert peak_below < 2000 < peak_above


def test_drnl_input_output_function():
    # linear at low levels, compressive in mid levels, linear again when the linear path
    # dominates (Lopez-Poveda and Meddis 2001, Fig. 2)
    cf = 1000.0

    def level(L):
        x = tone(cf * Hz, 60 * ms, samplerate=SR).atlevel(L * dB)
        y = DRNL(x, [cf]).process()[:, 0]
        return 20 * np.log10(np.sqrt(np.mean(y[-1000:] ** 2)))

    low = np.diff([level(L) for L in (10, 20, 30)])
    mid = np.diff([level(L) for L in (50, 60, 70)])
    high = np.diff([level(L) for L in (90, 100)])
    np.testing.assert_allclose(low, 10, atol=0.2)
    assert np.all(mid < 5), mid
    assert np.all(high > 7), high


def test_drnl_parameters_and_buffering(noise):
    fb = DRNL(noise, [500, 2000], type="guinea pig")
    whole = fb.process(buffersize=noise.nsamples)
    for bs in (1, 32, 1000):
        np.testing.assert_array_equal(fb.process(buffersize=bs), whole)
    p = drnl_parameters("human", {"g_p0": 3.0})
    assert p["g_p0"] == 3.0 and p["order_linear"] == 3
    with pytest.raises(KeyError, match="not a DRNL parameter"):
        DRNL(noise, [500], param={"gain": 1})
    with pytest.raises(ValueError, match="type"):
        DRNL(noise, [500], type="cat")
