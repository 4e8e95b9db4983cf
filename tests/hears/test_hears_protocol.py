"""The filterbank protocol: buffered fetching, process(), sources, namespace, bad input."""

import numpy as np
import pytest
from scipy import signal

import hears
from hears import (
    Bufferable,
    DoNothingFilterbank,
    Filterbank,
    FunctionFilterbank,
    Gammatone,
    LinearFilterbank,
    Sound,
    SoundFileStream,
    erbspace,
)
from sim.units import DimensionMismatchError, Hz, kHz, ms, second

SR = 44100.0


class Counter(Bufferable):
    """A source whose sample i is i (every channel), recording each buffer_fetch_next."""

    def __init__(self, nchannels=1):
        self.nchannels = nchannels
        self.samplerate = SR * Hz
        self.calls = []

    def buffer_init(self):
        Bufferable.buffer_init(self)
        self.pos = 0
        self.calls = []

    def buffer_fetch_next(self, samples):
        self.calls.append(samples)
        out = np.arange(self.pos, self.pos + samples, dtype=float)[:, None]
        self.pos += samples
        return np.repeat(out, self.nchannels, axis=1)


def test_star_import_gives_sound_names_and_filterbanks():
    ns = {}
    exec("from hears import *", ns)
    for name in ("Sound", "tone", "whitenoise", "vowel", "harmoniccomplex", "click", "dB",
                 "SoundFileStream", "Gammatone", "erbspace", "LinearFilterbank",
                 "FunctionFilterbank", "Join", "DRNL"):
        assert name in ns, name
    assert ns["Sound"] is Sound
    assert set(hears.__all__) >= {"Gammatone", "dB", "Sound"}


def test_buffer_fetch_serves_cache_and_moves_forward():
    src = Counter()
    src.buffer_init()
    np.testing.assert_array_equal(src.buffer_fetch(0, 10)[:, 0], np.arange(10))
    # inside the cache: no new computation
    np.testing.assert_array_equal(src.buffer_fetch(3, 7)[:, 0], np.arange(3, 7))
    assert src.calls == [10]
    # overlapping the end of the cache: only the missing samples are computed
    np.testing.assert_array_equal(src.buffer_fetch(5, 25)[:, 0], np.arange(5, 25))
    assert src.calls == [10, 15]
    with pytest.raises(IndexError, match="already left the buffer"):
        src.buffer_fetch(0, 5)
    with pytest.raises(IndexError, match="start <= end"):
        src.buffer_fetch(30, 20)
    with pytest.raises(TypeError, match="int sample indices"):
        src.buffer_fetch(30.0, 40)


def test_minimum_and_maximum_buffer_size():
    src = Counter()
    src.minimum_buffer_size = 16
    src.buffer_init()
    np.testing.assert_array_equal(src.buffer_fetch(0, 4)[:, 0], np.arange(4))
    np.testing.assert_array_equal(src.buffer_fetch(4, 20)[:, 0], np.arange(4, 20))
    assert src.calls == [16, 16]
    big = Counter()
    big.maximum_buffer_size = 7
    big.buffer_init()
    np.testing.assert_array_equal(big.buffer_fetch(0, 20)[:, 0], np.arange(20))
    assert big.calls == [7, 7, 6]


def test_two_consumers_of_one_filterbank_get_the_same_samples(noise):
    g = Gammatone(noise, [500, 2000])
    ref = g.process()
    a = FunctionFilterbank(g, lambda x: x)
    b = FunctionFilterbank(g, lambda x: 2 * x)
    total = a + b
    np.testing.assert_allclose(total.process(buffersize=13), 3 * ref, rtol=1e-12)


def test_process_returns_whole_output_and_online_reductions(noise):
    fb = Gammatone(noise, [300, 3000])
    out = fb.process()
    assert out.shape == (noise.nsamples, 2)
    assert out.dtype == np.float64
    # two-argument function: running value, starting at 0
    ss = fb.process(lambda x, s: s + np.sum(x ** 2, axis=0), buffersize=100)
    np.testing.assert_allclose(np.sqrt(ss / noise.nsamples),
                               np.sqrt(np.mean(out ** 2, axis=0)), rtol=1e-12)
    # one-argument function: called on every chunk in order
    chunks = []
    assert fb.process(chunks.append, buffersize=1000) is None
    assert [c.shape[0] for c in chunks] == [1000] * 4 + [410]
    np.testing.assert_array_equal(np.vstack(chunks), out)
    # as brian2hears: a second parameter with a default still means "accumulate"
    peak = fb.process(lambda x, r=0: np.maximum(r, np.abs(x).max(axis=0)), buffersize=100)
    np.testing.assert_allclose(peak, np.abs(out).max(axis=0), rtol=1e-12)


def test_process_duration_and_buffersize_units(noise):
    fb = Gammatone(noise, [1000])
    full = fb.process()
    np.testing.assert_array_equal(fb.process(duration=441), full[:441])
    np.testing.assert_array_equal(fb.process(duration=10 * ms, buffersize=1 * ms), full[:441])
    np.testing.assert_array_equal(fb.process(duration=0.01), full[:441])
    # past the end of the sound the source gives zeros: the filter rings on
    longer = fb.process(duration=5000)
    assert longer.shape == (5000, 1)
    np.testing.assert_array_equal(longer[:4410], full)
    assert np.any(longer[4410:] != 0)
    assert abs(float(fb.duration) - 0.1) < 1e-12
    fb.duration = 20 * ms
    assert fb.process().shape == (882, 1)
    with pytest.raises(ValueError, match="buffersize"):
        fb.process(buffersize=0)
    with pytest.raises(DimensionMismatchError, match="duration"):
        fb.process(duration=3 * Hz)
    with pytest.raises(TypeError, match="callable"):
        fb.process(func=3)


def test_sources_sound_filterbank_stream_and_file(tmp_path, noise):
    quiet = noise * 0.1
    path = tmp_path / "noise.wav"
    quiet.save(str(path))
    from sounds import loadsound

    loaded = loadsound(str(path))
    cf = [400, 4000]
    ref = Gammatone(loaded, cf).process()
    with SoundFileStream(str(path), blocksize=300) as stream:
        np.testing.assert_array_equal(Gammatone(stream, cf).process(buffersize=77), ref)
    np.testing.assert_array_equal(Gammatone(str(path), cf).process(), ref)
    np.testing.assert_array_equal(Gammatone(DoNothingFilterbank(loaded), cf).process(), ref)


def test_change_source_runs_on_new_sound(noise):
    other = Sound(np.random.default_rng(9).standard_normal(4410), samplerate=SR)
    fb = Gammatone(noise, [1000, 2000])
    fb.process()
    fb.source = other
    np.testing.assert_array_equal(fb.process(), Gammatone(other, [1000, 2000]).process())
    with pytest.raises(ValueError, match="sample rate"):
        fb.source = Sound(np.zeros(10), samplerate=22050)
    with pytest.raises(ValueError, match="channels"):
        fb.source = Sound(np.zeros((10, 3)), samplerate=SR)


def test_bad_sources_are_named():
    with pytest.raises(TypeError, match="Sound"):
        Gammatone(np.zeros(100), [1000])
    with pytest.raises(TypeError, match="source"):
        Gammatone(3.0, [1000])

    class BadRate:
        nchannels = 1
        samplerate = 0 * Hz

        def buffer_init(self):
            pass

        def buffer_fetch(self, start, end):
            return np.zeros((end - start, 1))

    with pytest.raises(ValueError, match="samplerate"):
        Gammatone(BadRate(), [100])
    with pytest.raises(ValueError, match="same sample rate"):
        Filterbank((Sound(np.zeros(10), samplerate=SR), Sound(np.zeros(10), samplerate=8000)))


def test_filterbank_subclass_with_buffer_apply(noise):
    class Halve(Filterbank):
        def buffer_apply(self, input):
            return input / 2

    out = Halve(noise).process(buffersize=33)
    np.testing.assert_array_equal(out, np.asarray(noise) / 2)
    assert repr(Halve(noise)) == "Halve(nchannels=1, samplerate=44100 Hz)"


def test_samplerate_is_a_quantity(noise):
    fb = LinearFilterbank(noise, np.array([[1.0, 0, 0]]), np.array([[1.0, 0, 0]]))
    assert fb.samplerate.dim == Hz.dim
    assert float(fb.samplerate) == SR
    assert fb.duration.dim == second.dim


def test_gammatone_on_stream_is_chunked(tmp_path):
    # a long file streamed in blocks: the result equals filtering the whole file at once
    x = Sound(0.05 * np.random.default_rng(3).standard_normal(3 * 44100), samplerate=SR)
    path = tmp_path / "long.wav"
    x.save(str(path))
    from sounds import loadsound

    whole = loadsound(str(path))
    cf = erbspace(100 * Hz, 8 * kHz, 4)
    sos = Gammatone(whole, cf).sos()
    ref = np.stack([signal.sosfilt(s, np.asarray(whole)[:, 0]) for s in sos], axis=1)
    with SoundFileStream(str(path)) as stream:
        out = Gammatone(stream, cf).process(buffersize=4096)
    np.testing.assert_array_equal(out, ref)
