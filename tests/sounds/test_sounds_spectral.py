"""Resampling, spectra and spectrograms (with their plots)."""

import numpy as np
import pytest

from sim.units import Hz, kHz, ms, second
from sounds import Sound, Spectrogram, Spectrum, tone, whitenoise


def peak_frequency(s):
    x = np.asarray(s)[:, 0] * np.hanning(s.nsamples)
    p = np.abs(np.fft.rfft(x, n=16 * s.nsamples)) ** 2
    f = np.fft.rfftfreq(16 * s.nsamples, 1 / float(np.asarray(s.samplerate)))
    return f[np.argmax(p)]


@pytest.mark.parametrize("new_rate", [16000, 22050, 48 * kHz, 96000])
def test_resampling_a_tone_keeps_frequency_and_level(new_rate):
    s = 0.3 * tone(1 * kHz, 200 * ms, samplerate=44.1 * kHz)
    r = s.resample(new_rate)
    sr = float(np.asarray(r.samplerate))
    assert sr == float(np.asarray(new_rate))
    assert r.nsamples == int(np.ceil(s.nsamples * sr / 44100))
    assert abs(peak_frequency(r) - 1000) < 1.0
    # away from the resampling filter's edge transients; a whole number of 1 kHz cycles
    inner = r[50 * ms:150 * ms]
    assert float(inner.level) == pytest.approx(float(s.level), abs=0.05)


def test_resample_rejects_bad_rates():
    with pytest.raises(ValueError, match="samplerate must be positive"):
        tone(1 * kHz, 10 * ms).resample(-1)
    with pytest.raises(ValueError, match="not a simple fraction"):
        tone(1 * kHz, 10 * ms).resample(44100 * np.pi)


def test_spectrum_normalisation_and_peak():
    s = tone([1 * kHz, 2.5 * kHz], 100 * ms, samplerate=40000) * [1.0, 0.1]
    sp = s.spectrum(log_power=False)
    assert isinstance(sp, Spectrum) and sp.power.shape == (2001, 2)
    power, freqs, phase = sp  # brian2hears-style unpacking
    assert freqs.dim == Hz.dim
    np.testing.assert_allclose(power.sum(axis=0), np.mean(np.asarray(s) ** 2, axis=0))
    f = np.asarray(freqs)
    assert f[np.argmax(power[:, 0])] == 1000 and f[np.argmax(power[:, 1])] == 2500
    db = s.spectrum()  # dB SPL per bin: total equals the level
    total = 10 * np.log10(np.sum(10 ** (db.power / 10), axis=0))
    np.testing.assert_allclose(total, np.asarray(s.level, dtype=float), atol=1e-9)
    band = s.spectrum(low=500 * Hz, high=1500 * Hz)
    assert np.asarray(band.freqs).min() >= 500 and np.asarray(band.freqs).max() <= 1500


def test_spectrogram_tracks_a_frequency_step():
    sr = 16000
    s = Sound(np.concatenate([np.asarray(tone(500 * Hz, 0.5 * second, samplerate=sr)),
                              np.asarray(tone(3 * kHz, 0.5 * second, samplerate=sr))]), sr)
    sg = s.spectrogram(window=20 * ms)
    assert isinstance(sg, Spectrogram)
    power, freqs, times = sg
    assert power.shape == (freqs.shape[0], times.shape[0], 1)
    assert times.dim == second.dim
    f, t = np.asarray(freqs), np.asarray(times)
    peak = f[np.argmax(power[:, :, 0], axis=0)]
    assert np.all(np.abs(peak[t < 0.45] - 500) <= 50)
    assert np.all(np.abs(peak[t > 0.55] - 3000) <= 50)


def test_plots_return_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = whitenoise(4000, samplerate=8000, rng=1)
    ax = s.spectrum().plot()
    assert isinstance(ax, matplotlib.axes.Axes) and len(ax.lines) == 1
    fig, given = plt.subplots()
    assert s.spectrogram().plot(ax=given) is given and given.collections
    plt.close("all")
