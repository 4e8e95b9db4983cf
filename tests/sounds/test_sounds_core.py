"""Sound construction, properties, slicing, arithmetic and bad input."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.units import DimensionMismatchError, Hz, Quantity, kHz, ms, second
from sounds import (
    AudioDeviceError,
    SampleRateMismatchError,
    Sound,
    SoundMismatchError,
    dB,
    dB_error,
    get_default_samplerate,
    play,
    set_default_samplerate,
    silence,
    tone,
    whitenoise,
)

SR = 44100.0


def value(q):
    return float(np.asarray(q))


def test_import_is_light():
    code = ("import sys, sounds; heavy = [m for m in ('numba', 'hears', 'soundfile', "
            "'matplotlib') if m in sys.modules]; print(heavy)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_array_sound_shape_rate_duration_times():
    data = np.arange(10.0)
    s = Sound(data, samplerate=1000 * Hz)
    assert isinstance(s, np.ndarray) and s.dtype == np.float64
    assert s.shape == (10, 1) and s.nsamples == 10 and s.nchannels == 1
    assert isinstance(s.samplerate, Quantity) and value(s.samplerate) == 1000.0
    assert s.samplerate.dim == Hz.dim
    assert s.duration.dim == second.dim and value(s.duration) == pytest.approx(0.01)
    assert s.times.dim == second.dim
    np.testing.assert_allclose(np.asarray(s.times), np.arange(10) / 1000.0)
    data[0] = 99.0  # the Sound holds a copy
    assert s[0, 0] == 0.0


def test_samplerate_as_plain_number_and_default():
    assert value(Sound(np.zeros(5), 8000).samplerate) == 8000.0
    assert value(Sound(np.zeros(5)).samplerate) == value(get_default_samplerate()) == SR


def test_set_default_samplerate():
    try:
        set_default_samplerate(16 * kHz)
        assert value(tone(1 * kHz, 10 * ms).samplerate) == 16000.0
        assert tone(1 * kHz, 10 * ms).nsamples == 160
    finally:
        set_default_samplerate(44100)
    assert value(get_default_samplerate()) == SR


def test_duration_int_is_samples_float_is_seconds():
    assert tone(1 * kHz, 441).nsamples == 441
    assert tone(1 * kHz, 0.01).nsamples == 441
    assert tone(1 * kHz, 10 * ms).nsamples == 441
    assert tone(1 * kHz, np.int64(7)).nsamples == 7


def test_function_and_channel_list_construction():
    s = Sound(lambda t: np.sin(2 * np.pi * 100 * np.asarray(t)), samplerate=8000, duration=0.5)
    assert s.shape == (4000, 1)
    np.testing.assert_allclose(s[:, 0], np.sin(2 * np.pi * 100 * np.arange(4000) / 8000),
                               atol=1e-12)
    st = Sound([tone(500, 100), tone(700, 100)])
    assert st.shape == (100, 2)
    np.testing.assert_array_equal(st.right, tone(700, 100))
    with pytest.raises(SoundMismatchError, match="different lengths"):
        Sound([tone(500, 100), tone(500, 50)])
    with pytest.raises(SampleRateMismatchError):
        Sound([tone(500, 100, samplerate=8000), tone(500, 100, samplerate=16000)])


def test_left_right_channel():
    st = Sound(np.column_stack([np.ones(4), 2 * np.ones(4)]), 100)
    assert st.left.shape == (4, 1) and np.all(st.left == 1)
    assert np.all(st.right == 2) and np.all(st.channel(-1) == 2)
    with pytest.raises(IndexError, match="channel 2"):
        st.channel(2)
    with pytest.raises(IndexError, match="right"):
        _ = Sound(np.ones(3)).right


def test_slicing_by_time_returns_the_right_samples():
    data = np.arange(44100.0 * 2).reshape(-1, 2)  # 1 s stereo ramp of sample indices
    s = Sound(data, SR)
    part = s[10 * ms:20 * ms]
    assert isinstance(part, Sound) and part.shape == (441, 2)
    np.testing.assert_array_equal(part, data[441:882])
    assert value(part.samplerate) == SR
    np.testing.assert_array_equal(s[0.5:], data[22050:])  # floats are seconds
    np.testing.assert_array_equal(s[:100], data[:100])  # ints are samples
    np.testing.assert_array_equal(s[::-1], data[::-1])
    # a channel slice keeps a Sound; an int channel gives a 1D array, as in numpy
    right = s[10 * ms:20 * ms, 1:2]
    assert isinstance(right, Sound) and right.shape == (441, 1)
    np.testing.assert_array_equal(right[:, 0], data[441:882, 1])
    assert type(s[10 * ms:20 * ms, 1]) is np.ndarray and s[10 * ms:20 * ms, 1].shape == (441,)
    np.testing.assert_array_equal(s[-1 * ms:1 * ms, 0][44:], data[:44, 0])
    # beyond the ends: zero padding (brian2hears)
    padded = s[-1 * ms:1 * ms]
    assert padded.shape == (88, 2)
    assert np.all(padded[:44] == 0)
    np.testing.assert_array_equal(padded[44:], data[:44])
    late = s[990 * ms:1010 * ms]
    np.testing.assert_array_equal(late[:441], data[-441:])
    assert np.all(late[441:] == 0)
    # a single sample is a plain row
    assert type(s[3]) is np.ndarray and list(s[3]) == [6.0, 7.0]


def test_slicing_errors_name_the_problem():
    s = tone(1 * kHz, 100 * ms)
    with pytest.raises(TypeError, match="all times or all int"):
        s[10 * ms:500]
    with pytest.raises(ValueError, match="step"):
        s[0 * ms:10 * ms:2]
    with pytest.raises(DimensionMismatchError, match="slice start"):
        s[10 * Hz:]


def test_setitem_by_time():
    s = Sound(np.ones((1000, 2)), 1000)
    s[100 * ms:200 * ms] = 0
    assert np.all(s[100:200] == 0) and np.all(s[:100] == 1) and np.all(s[200:] == 1)
    s[:10 * ms, 1] = tone(100, 10, samplerate=1000)
    np.testing.assert_allclose(s[:10, 1], np.sin(2 * np.pi * 100 * np.arange(10) / 1000),
                               atol=1e-12)
    with pytest.raises(IndexError, match="outside the sound"):
        s[900 * ms:1100 * ms] = 0
    with pytest.raises(SampleRateMismatchError):
        s[:10 * ms] = tone(100, 10, samplerate=2000)


def test_arithmetic_keeps_samplerate_and_broadcasts_mono():
    a = tone(1 * kHz, 10 * ms, samplerate=8000)
    st = Sound(np.ones((80, 3)), 8000)
    total = st + a
    assert isinstance(total, Sound) and total.shape == (80, 3)
    assert value(total.samplerate) == 8000.0
    np.testing.assert_allclose(total[:, 2], 1 + a[:, 0])
    scaled = 0.5 * a
    assert isinstance(scaled, Sound) and value(scaled.samplerate) == 8000.0
    assert isinstance(abs(a), Sound) and isinstance(np.sin(a), Sound)
    per_channel = st * np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(per_channel[0], [1, 2, 3])
    # reductions and comparisons are plain arrays
    assert type(a.mean()) is not Sound and type(np.max(st, axis=0)) is np.ndarray
    assert type(a > 0) is np.ndarray
    a2 = a.copy()
    a2 *= 2
    assert isinstance(a2, Sound) and np.allclose(a2, 2 * a)


def test_arithmetic_mismatches_raise_clear_errors():
    a = tone(1 * kHz, 10 * ms, samplerate=8000)
    with pytest.raises(SampleRateMismatchError, match="8000 Hz and 16000 Hz"):
        a + tone(1 * kHz, 80, samplerate=16000)
    with pytest.raises(SoundMismatchError, match="80 and 40 samples"):
        a * tone(1 * kHz, 5 * ms, samplerate=8000)
    with pytest.raises(SoundMismatchError, match="2 and 3 channels"):
        Sound(np.ones((80, 2)), 8000) + Sound(np.ones((80, 3)), 8000)
    with pytest.raises(DimensionMismatchError, match="dimensionless"):
        a * (3 * ms)
    with pytest.raises(dB_error, match="gain"):
        a * (6 * dB)
    # a 1D per-sample array would silently broadcast along channels: refused
    with pytest.raises(SoundMismatchError, match="channel axis"):
        a * np.ones(80)
    np.testing.assert_allclose(a * np.ones(80)[:, None], a)


def test_pickle_keeps_samplerate():
    s = whitenoise(100, samplerate=22050, nchannels=2, rng=1)
    t = pickle.loads(pickle.dumps(s))
    assert isinstance(t, Sound) and value(t.samplerate) == 22050.0
    np.testing.assert_array_equal(t, s)


def test_bad_input_errors_name_the_argument():
    with pytest.raises(ValueError, match="sample 1, channel 0"):
        Sound([0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="finite"):
        Sound(np.array([[0.0, np.inf]]))
    with pytest.raises(TypeError, match="complex"):
        Sound(np.ones(3) * 1j)
    with pytest.raises(ValueError, match="1D or 2D"):
        Sound(np.ones((2, 2, 2)))
    with pytest.raises(DimensionMismatchError, match="dimensionless"):
        Sound(np.ones(3) * ms)
    with pytest.raises(ValueError, match="duration must be positive"):
        tone(1 * kHz, 0)
    with pytest.raises(ValueError, match="duration"):
        silence(-5 * ms)
    with pytest.raises(ValueError, match="duration"):
        silence(0.0)
    with pytest.raises(ValueError, match="shorter than one sample"):
        silence(1e-9)
    with pytest.raises(DimensionMismatchError, match="duration"):
        tone(1 * kHz, 10 * Hz)
    with pytest.raises(DimensionMismatchError, match="frequency"):
        tone(10 * ms, 10 * ms)
    with pytest.raises(DimensionMismatchError, match="samplerate"):
        silence(10 * ms, samplerate=10 * ms)
    with pytest.raises(ValueError, match="samplerate must be positive"):
        Sound(np.ones(3), samplerate=0)
    with pytest.raises(SampleRateMismatchError, match="resample"):
        Sound(tone(1 * kHz, 10), samplerate=8000)


def test_play_raises_a_clear_error():
    with pytest.raises(AudioDeviceError, match="save"):
        play(tone(1 * kHz, 10 * ms))
    with pytest.raises(AudioDeviceError):
        tone(1 * kHz, 10 * ms).play()


def test_buffer_fetch_pads_with_zeros():
    s = Sound(np.arange(10.0), 1000)
    np.testing.assert_array_equal(s.buffer_fetch(8, 12)[:, 0], [8, 9, 0, 0])
    s.buffer_init()
    assert s.buffer_fetch_next(4)[0, 0] == 0 and s.buffer_fetch_next(4)[0, 0] == 4
    with pytest.raises(IndexError):
        s.buffer_fetch(-1, 2)


def test_joining_sounds_keeps_their_rate_and_refuses_different_rates():
    # issue #15 (8d): np.concatenate & co. returned plain arrays, so sounds at different
    # rates were joined without a word (and even one rate was lost)
    a = Sound(np.zeros((10, 2)), samplerate=8000)
    b = Sound(np.ones((10, 2)), samplerate=8000)
    fast = Sound(np.ones((10, 2)), samplerate=16000)
    for joined, shape in [(np.concatenate([a, b]), (20, 2)), (np.vstack([a, b]), (20, 2)),
                          (np.append(a, b, axis=0), (20, 2)),
                          (np.concatenate([a, b], axis=1), (10, 4)), (np.hstack([a, b]), (10, 4)),
                          (np.column_stack([a, b]), (10, 4)), (np.block([[a, b]]), (10, 4)),
                          (np.hstack([a.left, b.right]), (10, 2))]:
        assert isinstance(joined, Sound) and joined.shape == shape
        assert value(joined.samplerate) == 8000
    np.testing.assert_array_equal(np.concatenate([a, b]), np.vstack([np.zeros((10, 2)),
                                                                    np.ones((10, 2))]))
    # a plain array among the pieces is taken as samples at the sounds' rate
    padded = np.concatenate([np.zeros((3, 2)), fast])
    assert isinstance(padded, Sound) and value(padded.samplerate) == 16000
    # results that are not (nsamples, nchannels) sounds are plain arrays
    for plain in (np.stack([a, b]), np.dstack([a, b]), np.concatenate([a, b], axis=None),
                  np.concatenate([a, b], dtype=np.float32)):
        assert type(plain) is np.ndarray
    for join in (np.concatenate, np.vstack, np.hstack, np.stack, np.column_stack, np.dstack,
                 lambda pieces: np.append(*pieces, axis=0), lambda pieces: np.block([pieces])):
        with pytest.raises(SampleRateMismatchError, match=r"8000 Hz and 16000 Hz"):
            join([a, fast])
    with pytest.raises(SampleRateMismatchError, match=r"np\.concatenate: .*8000 Hz and 16000 Hz"):
        np.concatenate([np.zeros((3, 2)), a, fast])
