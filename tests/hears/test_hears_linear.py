"""LinearFilterbank: second-order-section cascades, compiled kernel, state between chunks."""

import warnings

import numpy as np
import pytest
from scipy import signal

from hears import (
    ApproximateGammatone,
    Gammatone,
    LinearFilterbank,
    LogGammachirp,
    Sound,
    erbspace,
    sos_to_ba,
)
from hears.filterbanks import _kernels
from sim.units import Hz, kHz

SR = 44100.0
BUFFER_SIZES = (1, 7, 32, 1000)


def sos_bank(sos_list):
    b, a = sos_to_ba(sos_list)
    return b, a


def test_output_equals_scipy_sosfilt_exactly(noise):
    sos1 = signal.butter(4, [300, 3000], btype="bandpass", fs=SR, output="sos")
    sos2 = signal.cheby1(3, 1, 2000, fs=SR, output="sos")
    b, a = sos_bank([sos1, sos2])
    out = LinearFilterbank(noise, b, a).process()
    x = np.asarray(noise)[:, 0]
    np.testing.assert_array_equal(out[:, 0], signal.sosfilt(sos1, x))
    # channel 1 has 2 real sections and 2 identity sections of padding
    np.testing.assert_array_equal(out[:, 1], signal.sosfilt(sos2, x))


@pytest.mark.parametrize("make", [
    lambda s: Gammatone(s, erbspace(100 * Hz, 10 * kHz, 5)),
    lambda s: ApproximateGammatone(s, [200, 1000, 5000], [60, 130, 500], order=3),
    lambda s: LogGammachirp(s, [500, 2000], c=-2),
], ids=["Gammatone", "ApproximateGammatone", "LogGammachirp"])
def test_bit_identical_across_buffer_sizes(noise, make):
    fb = make(noise)
    whole = fb.process(buffersize=noise.nsamples)
    for bs in BUFFER_SIZES:
        np.testing.assert_array_equal(fb.process(buffersize=bs), whole, err_msg=f"bs={bs}")


def test_parallel_kernel_equals_serial_and_scipy():
    # enough channels x samples for the parallel kernel, odd count to exercise a partial group
    n = 3 * _kernels.W + 5
    x = Sound(np.random.default_rng(4).standard_normal(2000), samplerate=SR)
    assert 2000 * n >= _kernels.PARALLEL_THRESHOLD
    fb = Gammatone(x, erbspace(50 * Hz, 15 * kHz, n))
    out_parallel = fb.process(buffersize=2000)
    out_serial = fb.process(buffersize=3)  # 3*n < threshold: serial kernel
    np.testing.assert_array_equal(out_parallel, out_serial)
    sos = fb.sos()
    xx = np.asarray(x)[:, 0]
    for i in (0, 40, n - 1):
        np.testing.assert_array_equal(out_parallel[:, i], signal.sosfilt(sos[i], xx))


def test_multichannel_input_one_filter_per_channel(stereo_noise):
    sos = [signal.butter(2, 500, fs=SR, output="sos"), signal.butter(2, 5000, fs=SR, output="sos")]
    b, a = sos_bank(sos)
    out = LinearFilterbank(stereo_noise, b, a).process(buffersize=10)
    x = np.asarray(stereo_noise)
    np.testing.assert_array_equal(out[:, 0], signal.sosfilt(sos[0], x[:, 0]))
    np.testing.assert_array_equal(out[:, 1], signal.sosfilt(sos[1], x[:, 1]))


def test_float32_close_to_float64(noise):
    cf = [250, 1000, 4000]
    f64 = Gammatone(noise, cf).process()
    fb32 = Gammatone(noise, cf, dtype=np.float32)
    f32 = fb32.process()
    assert f32.dtype == np.float32
    err = np.max(np.abs(f32 - f64), axis=0) / np.max(np.abs(f64), axis=0)
    # single precision: poles close to z=1 (low centre frequencies) cost accuracy
    assert np.all(err < 1e-3), err
    assert err[2] < 1e-5
    np.testing.assert_array_equal(fb32.process(buffersize=7), f32)
    with pytest.raises(TypeError, match="dtype"):
        Gammatone(noise, cf, dtype=np.int32)


def test_high_order_transfer_function_is_factored_into_sections(noise):
    b6, a6 = signal.butter(3, [800, 1200], btype="bandpass", fs=SR)  # one 6th-order filter
    sos = signal.butter(3, [800, 1200], btype="bandpass", fs=SR, output="sos")
    fb = LinearFilterbank(noise, b6[None, :], a6[None, :])
    assert fb.nsections == 3
    assert np.all(np.abs(fb.poles()) < 1)
    ref = signal.sosfilt(sos, np.asarray(noise)[:, 0])
    out = fb.process()[:, 0]
    assert np.max(np.abs(out - ref)) < 1e-7 * np.max(np.abs(ref))


def test_unstable_filters_are_reported(noise):
    # an 8th-order low-pass at 30 Hz as one transfer function: its coefficients, rounded to
    # doubles, no longer describe a stable filter (why filters here are built as sections)
    b8, a8 = signal.butter(8, 30, fs=SR)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LinearFilterbank(noise, b8[None, :], a8[None, :])
    assert any("unstable filter in channel 0" in str(w.message) for w in caught)


def test_first_order_and_unnormalised_coefficients(noise):
    # y[n] = 0.5 x[n] + 0.5 y[n-1], written with a[0] = 2
    out = LinearFilterbank(noise, [[1.0, 0.0]], [[2.0, -1.0]]).process()
    ref = signal.lfilter([0.5], [1.0, -0.5], np.asarray(noise)[:, 0])
    np.testing.assert_allclose(out[:, 0], ref, rtol=1e-13, atol=1e-15)


def test_coefficients_changed_between_chunks_take_effect(noise):
    fb = LinearFilterbank(noise, np.array([[1.0, 0, 0]]), np.array([[1.0, 0, 0]]))
    fb.buffer_init()
    first = fb.buffer_fetch(0, 100).copy()
    fb.filt_b[0, 0, 0] = 3.0  # in place, as time-varying filters do
    second = fb.buffer_fetch(100, 200)
    x = np.asarray(noise)[:, 0]
    np.testing.assert_array_equal(first[:, 0], x[:100])
    np.testing.assert_array_equal(second[:, 0], 3 * x[100:200])


def test_state_is_carried_and_reset(noise):
    fb = Gammatone(noise, [1000])
    fb.buffer_init()
    fb.buffer_fetch(0, 500)
    assert np.any(fb.filt_state != 0)
    assert fb.filt_state.shape == (1, 2, 4)
    fb.buffer_init()
    assert np.all(fb.filt_state == 0)


def test_frequency_response_matches_scipy(noise):
    sos = signal.ellip(4, 1, 40, [500, 1500], btype="bandpass", fs=SR, output="sos")
    fb = LinearFilterbank(noise, *sos_bank([sos]))
    f = np.array([100.0, 500.0, 1000.0, 3000.0])
    _, h = signal.sosfreqz(sos, worN=f, fs=SR)
    np.testing.assert_allclose(fb.frequency_response(f)[0], h, rtol=1e-10)


def test_decascade_keeps_sections_with_a_warning(noise):
    fb = Gammatone(noise, [1000])
    with pytest.warns(UserWarning, match="unstable"):
        fb.decascade(1)
    assert fb.nsections == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Gammatone(noise, [1000])  # no warning without cascade=
    with pytest.warns(UserWarning, match="cascade"):
        Gammatone(noise, [1000], cascade=2)


def test_bad_coefficients_are_named(noise, stereo_noise):
    one = np.array([[1.0, 0, 0]])
    with pytest.raises(ValueError, match=r"a\[0, 0, 0\]"):
        LinearFilterbank(noise, one, np.array([[0.0, 1, 0]]))
    with pytest.raises(ValueError, match="same number of channels"):
        LinearFilterbank(noise, np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        LinearFilterbank(noise, np.array([[np.nan, 0, 0]]), one)
    with pytest.raises(ValueError, match="source has 2 channels"):
        LinearFilterbank(stereo_noise, np.ones((3, 3)), np.ones((3, 3)))
    with pytest.raises(TypeError, match="numeric"):
        LinearFilterbank(noise, "abc", one)
