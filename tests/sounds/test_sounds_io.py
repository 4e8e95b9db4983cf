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


# -- issue #15 (8): truncated WAV files, exact integer round trips, float subtypes ---------


def write_truncated_wav(path, nframes=1000, cut=1001):
    """A stereo 16-bit WAV whose last ``cut`` bytes are missing; returns (sound, frames left)."""
    s = integer_grid_sound(16)[0][:nframes]  # on the 16-bit grid: stored exactly
    s.save(path)
    data = path.read_bytes()
    path.write_bytes(data[:-cut])
    return s, (len(data) - cut - 44) // 4  # 44-byte header, 4 bytes per stereo frame


def test_truncated_wav_warns_with_the_counts_and_strict_refuses(tmp_path):
    path = tmp_path / "cut.wav"
    s, found = write_truncated_wav(path)
    assert found == 749
    with pytest.warns(UserWarning, match=r"cut\.wav.*promises 1000 samples.*only 749"):
        back = loadsound(path)
    np.testing.assert_array_equal(back, s[:749])  # what is there is loaded
    with pytest.warns(UserWarning, match="cut.wav"):
        Sound(str(path))
    with pytest.raises(SoundFileError, match=r"cut\.wav.*promises 1000 samples.*only 749"):
        loadsound(path, strict=True)
    with pytest.raises(SoundFileError, match="strict"):
        Sound.load(path, strict=True)
    with pytest.warns(UserWarning, match="promises 1000"), SoundFileStream(path) as stream:
        assert stream.nsamples == 749
    with pytest.raises(SoundFileError, match="cut.wav"):
        SoundFileStream(path, strict=True)


def test_complete_wav_files_do_not_warn(tmp_path, recwarn):
    s = integer_grid_sound(16)[0][:1000]
    plain = tmp_path / "plain.wav"
    s.save(plain)
    # a chunk after the data (metadata written last): the data chunk itself is complete
    tagged = tmp_path / "tagged.wav"
    data = plain.read_bytes() + b"LIST" + (4).to_bytes(4, "little") + b"INFO"
    tagged.write_bytes(data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:])
    # a streaming encoder's header, which does not know the length
    streamed = tmp_path / "streamed.wav"
    data = plain.read_bytes()
    streamed.write_bytes(data[:40] + (0xFFFFFFFF).to_bytes(4, "little") + data[44:])
    for path in (plain, tagged, streamed):
        np.testing.assert_array_equal(loadsound(path, strict=True), s)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


def integer_grid_sound(bits, sr=8000):
    """Stereo samples k / 2**(bits-1) for integers k over the whole range, both ends included."""
    top = 2 ** (bits - 1)
    rng = np.random.default_rng(bits)
    k = np.concatenate([[-top, top - 1, 0, 1, -1], rng.integers(-top, top, 3000)])
    return Sound(np.column_stack([k, k[::-1]]) / top, samplerate=sr), k


GRID_CASES = [("wav", "PCM_16", 16), ("wav", "PCM_24", 24), ("flac", "PCM_16", 16),
              ("flac", "PCM_24", 24), ("wav", "PCM_32", 32), ("wav", "PCM_U8", 8),
              ("flac", "PCM_S8", 8)]


@pytest.mark.parametrize(("ext", "subtype", "bits"), GRID_CASES)
def test_integer_grid_samples_round_trip_exactly(tmp_path, ext, subtype, bits):
    s, k = integer_grid_sound(bits)
    by_width, by_subtype = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    s.save(by_width, samplewidth=bits // 8)
    s.save(by_subtype, subtype=subtype)
    for path in (by_width, by_subtype):
        assert soundfile.info(str(path)).subtype == subtype
        np.testing.assert_array_equal(Sound.load(path), s)
        # the file holds the intended integers (libsndfile puts them in the top bits)
        raw, _ = soundfile.read(str(path), dtype="int32", always_2d=True)
        np.testing.assert_array_equal(raw[:, 0] >> (32 - bits), k)
        with SoundFileStream(path, blocksize=700) as stream:
            np.testing.assert_array_equal(np.concatenate([np.asarray(b) for b in stream]), s)


@pytest.mark.parametrize(("ext", "subtype", "bits"), GRID_CASES[:4])
def test_round_trip_does_not_depend_on_libsndfiles_float_scaling(tmp_path, monkeypatch,
                                                                 ext, subtype, bits):
    # libsndfile before 1.1 scaled floats by 2**(bits-1) - 1 when writing WAV but divided by
    # 2**(bits-1) when reading: every WAV round trip was off by one step. Emulate that writer.
    real_write = soundfile.write

    def old_libsndfile_write(file, data, samplerate, subtype=None, format=None, **kwargs):
        data = np.asarray(data)
        if data.dtype.kind == "f" and str(format).upper() == "WAV":
            n = {"PCM_16": 16, "PCM_24": 24}[subtype]
            data = (np.rint(data * (2 ** (n - 1) - 1)).astype(np.int64) << (32 - n))
            data = data.astype(np.int32)
        return real_write(file, data, samplerate, subtype=subtype, format=format, **kwargs)

    monkeypatch.setattr(soundfile, "write", old_libsndfile_write)
    s, _ = integer_grid_sound(bits)
    path = tmp_path / f"x.{ext}"
    s.save(path, samplewidth=bits // 8)
    assert soundfile.info(str(path)).subtype == subtype
    np.testing.assert_array_equal(Sound.load(path), s)


def test_full_scale_plus_one_is_stored_one_step_lower(tmp_path):
    s = Sound(np.array([1.0, -1.0, 0.5]), samplerate=8000)
    s.save(tmp_path / "x.wav")
    np.testing.assert_array_equal(np.asarray(Sound.load(tmp_path / "x.wav"))[:, 0],
                                  [1 - 2.0**-15, -1.0, 0.5])


def test_float_subtypes_store_samples_as_they_are(tmp_path):
    # k/1024 is exact in float32; 1.5 is beyond full scale, which a float file can hold
    loud = Sound(np.column_stack([np.arange(-1536, 1537), np.arange(1536, -1537, -1)]) / 1024,
                 samplerate=8000)
    loud.save(tmp_path / "f.wav", subtype="FLOAT")
    assert soundfile.info(str(tmp_path / "f.wav")).subtype == "FLOAT"
    np.testing.assert_array_equal(Sound.load(tmp_path / "f.wav"), loud)
    noise = 3 * whitenoise(10 * ms, samplerate=8000, rng=1)
    savesound(noise, tmp_path / "d.wav", subtype="double")
    assert soundfile.info(str(tmp_path / "d.wav")).subtype == "DOUBLE"
    np.testing.assert_array_equal(loadsound(tmp_path / "d.wav"), noise)
    # integer subtypes still refuse to clip, and the default is unchanged (16-bit PCM)
    with pytest.raises(ClippingError, match="f2.wav"):
        loud.save(tmp_path / "f2.wav", subtype="PCM_24")
    with pytest.raises(ClippingError):
        loud.save(tmp_path / "f3.wav")
    (loud / 2).save(tmp_path / "default.wav")
    assert soundfile.info(str(tmp_path / "default.wav")).subtype == "PCM_16"


def test_bad_subtypes_name_the_file_and_the_choices(tmp_path):
    s = tone(1 * kHz, 10 * ms)
    with pytest.raises(ValueError, match=r"x\.wav.*unknown subtype 'PCM_12'.*FLOAT.*PCM_24"):
        s.save(tmp_path / "x.wav", subtype="PCM_12")
    with pytest.raises(ValueError, match=r"x\.flac.*'FLOAT' for the FLAC format.*PCM_16"):
        s.save(tmp_path / "x.flac", subtype="FLOAT")
    with pytest.raises(TypeError, match=r"x\.wav.*subtype must be a string"):
        s.save(tmp_path / "x.wav", subtype=16)
    with pytest.raises(ValueError, match=r"samplewidth=3 contradicts subtype='PCM_16'"):
        s.save(tmp_path / "x.wav", samplewidth=3, subtype="PCM_16")
    assert not list(tmp_path.iterdir())
    s.save(tmp_path / "ok.wav", samplewidth=2, subtype="PCM_16")  # agreeing is fine
