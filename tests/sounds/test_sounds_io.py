"""Sound files: save/load round trips, clipping guard, bad files, block-wise streaming."""

import tracemalloc

import numpy as np
import pytest
import soundfile

from sim.units import kHz, ms, second
from sounds import (
    ClippingError,
    Sound,
    SoundFileError,
    SoundFileStream,
    UnsupportedFormatError,
    dB,
    loadsound,
    savesound,
    tone,
    whitenoise,
)


def make_sound(nchannels, sr=22050):
    noise = whitenoise(0.25, samplerate=sr, nchannels=nchannels, rng=nchannels)
    return noise.atmaxlevel(75 * dB)  # RMS 0.11: peak well below full scale


@pytest.mark.parametrize("ext", ["wav", "flac"])
@pytest.mark.parametrize("nchannels", [1, 2])
@pytest.mark.parametrize("samplewidth", [1, 2, 3])
def test_save_load_round_trip(tmp_path, ext, nchannels, samplewidth):
    s = make_sound(nchannels)
    path = tmp_path / f"x.{ext}"
    s.save(path, samplewidth=samplewidth)
    back = Sound.load(path)
    assert isinstance(back, Sound)
    assert back.shape == s.shape
    assert float(np.asarray(back.samplerate)) == 22050.0
    lsb = 2.0 ** -(8 * samplewidth - 1)  # libsndfile scales full scale to 2**(bits-1)
    assert np.max(np.abs(np.asarray(back) - np.asarray(s))) <= lsb
    info = soundfile.info(str(path))
    assert info.channels == nchannels and info.samplerate == 22050


def test_32_bit_wav_ogg_and_brian2hears_names(tmp_path):
    s = make_sound(2, sr=44100)
    savesound(s, str(tmp_path / "x.wav"), samplewidth=4)
    np.testing.assert_allclose(loadsound(str(tmp_path / "x.wav")), s, atol=2.0**-31)
    s.save(tmp_path / "x.ogg")  # lossy: shape and rate kept, waveform close
    back = Sound(str(tmp_path / "x.ogg"))
    assert back.nchannels == 2 and float(np.asarray(back.samplerate)) == 44100
    assert abs(back.nsamples - s.nsamples) <= 2048
    with pytest.raises(ValueError, match="cannot store 4-byte"):
        s.save(tmp_path / "x.flac", samplewidth=4)


def test_saving_never_clips_silently(tmp_path):
    loud = 1.5 * tone(1 * kHz, 10 * ms)
    path = tmp_path / "loud.wav"
    with pytest.raises(ClippingError, match=r"loud\.wav.*peak amplitude is 1\.4999"):
        loud.save(path)
    assert not path.exists()
    loud.save(path, normalise=True)
    back = Sound.load(path)
    assert np.max(np.abs(back)) == pytest.approx(1.0, abs=2.0**-14)
    np.testing.assert_allclose(back, loud / 1.5, atol=2.0**-14)


def test_file_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.wav"
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        Sound.load(missing)
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        SoundFileStream(missing)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF this is not really a wave file" * 10)
    with pytest.raises(SoundFileError, match="junk.wav"):
        loadsound(junk)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UnsupportedFormatError, match="notes.txt"):
        loadsound(notes)
    with pytest.raises(UnsupportedFormatError, match=r"x\.xyz.*\.wav"):
        tone(1 * kHz, 10 * ms).save(tmp_path / "x.xyz")
    with pytest.raises(FileNotFoundError, match="x.wav"):
        tone(1 * kHz, 10 * ms).save(tmp_path / "no" / "such" / "dir" / "x.wav")
    with pytest.raises(ValueError, match="samplewidth"):
        tone(1 * kHz, 10 * ms).save(tmp_path / "x.wav", samplewidth=5)
    nan = tone(1 * kHz, 10 * ms)
    np.asarray(nan)[3, 0] = np.nan
    with pytest.raises(ValueError, match="sample 3"):
        nan.save(tmp_path / "nan.wav")
    with pytest.raises(ValueError, match="whole number"):
        tone(1 * kHz, 10 * ms, samplerate=44100.5).save(tmp_path / "odd.wav")


def test_stream_blocks_match_the_file_and_buffer_fetch(tmp_path):
    s = make_sound(2, sr=8000)
    path = tmp_path / "s.flac"
    s.save(path, samplewidth=3)
    whole = Sound.load(path)
    with SoundFileStream(path, blocksize=300) as stream:
        assert stream.nsamples == whole.nsamples and stream.nchannels == 2
        assert float(np.asarray(stream.duration)) == pytest.approx(0.25)
        blocks = list(stream)
        assert all(b.nsamples == 300 for b in blocks[:-1]) and blocks[-1].nsamples == 2000 % 300
        np.testing.assert_array_equal(np.concatenate([np.asarray(b) for b in blocks]), whole)
        assert stream.read().nsamples == 0
        stream.seek(100 * ms)
        np.testing.assert_array_equal(stream.read(10), whole[800:810])
        stream.buffer_init()
        np.testing.assert_array_equal(stream.buffer_fetch_next(1500), whole[:1500])
        tail = stream.buffer_fetch_next(1000)  # reaches past the end: zeros
        np.testing.assert_array_equal(tail[:500], whole[1500:])
        assert not np.any(tail[500:])
        np.testing.assert_array_equal(stream.buffer_fetch(10, 20), whole[10:20])
    assert stream.closed


def write_long_file(path, seconds, sr):
    """A mono 16-bit wav of a 440 Hz tone, written in 1 s blocks; returns its sum of squares."""
    total = 0.0
    with soundfile.SoundFile(str(path), "w", samplerate=sr, channels=1,
                             subtype="PCM_16") as f:
        for k in range(seconds):
            t = (np.arange(sr) + k * sr) / sr
            block = 0.5 * np.sin(2 * np.pi * 440 * t)
            f.write(block)
            total += np.sum(block**2)
    return total


def test_streaming_a_long_file_keeps_memory_bounded(tmp_path):
    sr, seconds = 44100, 300  # five minutes: 106 MB as float64, 26 MB on disk
    path = tmp_path / "long.wav"
    expected = write_long_file(path, seconds, sr)
    blocksize = 8192
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        count, energy = 0, 0.0
        with SoundFileStream(path, blocksize=blocksize) as stream:
            assert float(np.asarray(stream.duration)) == pytest.approx(seconds)
            for block in stream:
                count += block.nsamples
                energy += float(np.sum(np.asarray(block) ** 2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == sr * seconds
    assert energy == pytest.approx(expected, rel=1e-4)
    # a block is 64 kB; the whole file would be 106 MB
    assert peak < 1_000_000, peak


def test_stream_blocksize_as_time(tmp_path):
    path = tmp_path / "t.wav"
    tone(1 * kHz, 1 * second, samplerate=16 * kHz).atmaxlevel(80 * dB).save(path)
    with SoundFileStream(path, blocksize=100 * ms) as stream:
        assert stream.blocksize == 1600
        assert len(list(stream.blocks())) == 10
        with pytest.raises(IndexError, match="outside the file"):
            stream.seek(2 * second)
