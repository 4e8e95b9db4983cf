"""FIR filterbanks (direct and FFT overlap-add), fractional delays, linear chirps."""

import numpy as np
import pytest

from hears import (
    FIRFilterbank,
    FractionalDelay,
    Gammatone,
    LinearGaborchirp,
    LinearGammachirp,
    Sound,
    fractional_delay_ir,
    tone,
)
from sim.units import Hz, kHz, ms, second

SR = 44100.0
BUFFER_SIZES = (1, 7, 32, 1000)


def test_fir_and_iir_paths_agree(noise, make_impulse):
    cf = [700.0, 1500.0, 4000.0]
    iir = Gammatone(noise, cf)
    y_iir = iir.process()
    # the IIR filters' impulse responses, truncated where they have decayed below 1e-16
    irs = Gammatone(make_impulse(5000), cf).process().T
    assert np.all(np.abs(irs[:, -50:]) < 1e-16 * np.abs(irs).max())
    for method in ("direct", "fft"):
        fir = FIRFilterbank(noise, irs, method=method)
        assert fir.method == method
        err = np.max(np.abs(fir.process() - y_iir)) / np.max(np.abs(y_iir))
        assert err < 1e-12, (method, err)


@pytest.mark.parametrize("method,ntaps", [("direct", 20), ("fft", 20), ("fft", 700)])
def test_bit_identical_across_buffer_sizes(noise, method, ntaps):
    ir = np.random.default_rng(5).standard_normal((3, ntaps)) * np.exp(-np.arange(ntaps) / 50)
    fb = FIRFilterbank(noise, ir, method=method)
    whole = fb.process(buffersize=noise.nsamples)
    for bs in BUFFER_SIZES:
        np.testing.assert_array_equal(fb.process(buffersize=bs), whole, err_msg=f"bs={bs}")
    ref = np.stack([np.convolve(np.asarray(noise)[:, 0], h)[:noise.nsamples] for h in ir], axis=1)
    np.testing.assert_allclose(whole, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))


def test_auto_method_and_brian2hears_switch(noise):
    assert FIRFilterbank(noise, np.ones(10)).method == "direct"
    assert FIRFilterbank(noise, np.ones(1000)).method == "fft"
    assert FIRFilterbank(noise, np.ones(1000), use_linearfilterbank=True).method == "direct"
    with pytest.raises(ValueError, match="method"):
        FIRFilterbank(noise, np.ones(10), method="magic")


def test_shared_response_on_every_channel(stereo_noise):
    h = np.array([0.5, 0.25, 0.125])
    out = FIRFilterbank(stereo_noise, h).process(buffersize=5)
    x = np.asarray(stereo_noise)
    assert out.shape == x.shape
    for c in range(2):
        np.testing.assert_allclose(out[:, c], np.convolve(x[:, c], h)[:x.shape[0]], rtol=0,
                                   atol=1e-15)
    # one response per channel of a mono source
    fb = FIRFilterbank(Sound(x[:, 0], samplerate=SR), np.eye(4)[:, :3])
    y = fb.process()
    np.testing.assert_array_equal(y[:, 0], x[:, 0])
    np.testing.assert_array_equal(y[:, 3], 0 * x[:, 0])
    assert fb.impulse_response.shape == (4, 3)
    with pytest.raises(ValueError, match="impulse_response has 3 rows"):
        FIRFilterbank(stereo_noise, np.ones((3, 5)))
    with pytest.raises(ValueError, match="1D or 2D"):
        FIRFilterbank(stereo_noise, np.ones((3, 5, 2)))


def test_fractional_delay_integer_delays_are_exact_shifts(noise):
    fd = FractionalDelay(noise, [0, 3 / SR, -2 / SR], filter_length=101)
    assert fd.nchannels == 3
    assert abs(float(fd.delay_offset) - 50 / SR) < 1e-15
    np.testing.assert_array_equal(fd.impulse_response, np.eye(101)[[50, 53, 48]])
    out = fd.process()
    x = np.asarray(noise)[:, 0]
    # (through FFTs: equal to rounding)
    np.testing.assert_allclose(out[50:, 0], x[:-50], rtol=0, atol=1e-14)
    np.testing.assert_allclose(out[53:, 1], x[:-53], rtol=0, atol=1e-14)
    np.testing.assert_allclose(out[48:, 2], x[:-48], rtol=0, atol=1e-14)
    np.testing.assert_allclose(out[:48], 0, atol=1e-14)


def test_fractional_delay_delays_a_tone():
    f = 500.0
    x = tone(f * Hz, 200 * ms, samplerate=SR)
    delays = np.array([0.25, 0.5, -1.7]) / SR
    fd = FractionalDelay(x, delays * second)
    out = fd.process()
    t = np.arange(out.shape[0]) / SR
    steady = slice(fd.filter_length, None)
    for i, d in enumerate(delays):
        expected = np.sin(2 * np.pi * f * (t - float(fd.delay_offset) - d))
        assert np.max(np.abs(out[steady, i] - expected[steady])) < 1e-3
    assert fd.filter_length == 2048
    with pytest.raises(ValueError, match="too short"):
        FractionalDelay(x, [30 / SR], filter_length=51)


def test_fractional_delay_ir_is_windowed_sinc():
    h = fractional_delay_ir(0.5 / SR, SR, filter_length=21)
    assert h.shape == (21,)
    # symmetric about 10.5 samples, sums to about 1 (unit gain at low frequencies)
    np.testing.assert_allclose(h[1:11], h[20:10:-1], rtol=1e-12)
    assert abs(h.sum() - 1) < 0.02
    np.testing.assert_array_equal(fractional_delay_ir(2 / SR, SR, 11), np.eye(11)[7])


def test_linear_gammachirp_impulse_response(make_impulse):
    f, tau, c = 2000.0, 1 * ms, 1e5
    fb = LinearGammachirp(make_impulse(2000), [f, 3000], tau, c=[c, 0], phase=0.3)
    ir = fb.impulse_response
    n = ir.shape[1]
    assert n == int(np.ceil(15e-3 * SR))
    t = np.arange(n) / SR
    expected = t ** 3 * np.exp(-t / 1e-3) * np.cos(2 * np.pi * (f * t + c / 2 * t ** 2) + 0.3)
    np.testing.assert_allclose(ir[0], expected / np.linalg.norm(expected), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(np.sum(ir ** 2, axis=1), 1, rtol=1e-12)
    out = fb.process()
    np.testing.assert_allclose(out[:n], ir.T[:min(n, 2000)], rtol=1e-9, atol=1e-13)


def test_linear_gaborchirp_peak_at_f():
    s = Sound(np.zeros(10), samplerate=SR)
    fb = LinearGaborchirp(s, [1 * kHz, 5 * kHz], 0.5 * ms, c=0)
    ir = fb.impulse_response
    assert ir.shape[1] % 2 == 1
    np.testing.assert_allclose(ir[:, ::-1], ir, atol=1e-12)  # even for c=0, phase=0
    spectrum = np.abs(np.fft.rfft(ir, 1 << 16, axis=1))
    freqs = np.fft.rfftfreq(1 << 16, 1 / SR)
    np.testing.assert_allclose(freqs[np.argmax(spectrum, axis=1)], [1000, 5000], atol=2)
    assert abs(float(fb.delay) - (ir.shape[1] // 2) / SR) < 1e-15
