"""Generators: tones, noises (spectral slopes), clicks, complexes, vowels, IRN, sequences,
ramps, shifts and interaural differences."""

import numpy as np
import pytest

from sim.units import Hz, kHz, ms, second
from sounds import (
    VOWEL_FORMANTS,
    SampleRateMismatchError,
    Sound,
    SoundMismatchError,
    brownnoise,
    click,
    clicks,
    dB,
    harmoniccomplex,
    irno,
    irns,
    pinknoise,
    powerlawnoise,
    sequence,
    silence,
    tone,
    vowel,
    whitenoise,
)


def power_spectrum(x):
    x = np.asarray(x)[:, 0]
    return np.abs(np.fft.rfft(x)) ** 2


def octave_slope(x, sr, lows):
    """Least-squares slope (dB per octave) of the mean power density in octave bands."""
    p = power_spectrum(x)
    f = np.fft.rfftfreq(x.shape[0], 1 / sr)
    dens = [np.mean(p[(f >= lo) & (f < 2 * lo)]) for lo in lows]
    return np.polyfit(np.log2(lows), 10 * np.log10(dens), 1)[0]


def test_tone_samples_frequency_list_and_phase():
    s = tone([500 * Hz, 1 * kHz], 20 * ms, phase=[0, np.pi / 2], samplerate=8000)
    t = np.arange(160) / 8000
    assert s.shape == (160, 2)
    np.testing.assert_allclose(s[:, 0], np.sin(2 * np.pi * 500 * t), atol=1e-12)
    np.testing.assert_allclose(s[:, 1], np.cos(2 * np.pi * 1000 * t), atol=1e-12)
    assert tone(1 * kHz, 10 * ms, nchannels=3).shape == (441, 3)
    with pytest.raises(ValueError, match="frequencies must be in"):
        tone(30 * kHz, 10 * ms)
    with pytest.raises(ValueError, match="nchannels=3"):
        tone([1, 2], 10, nchannels=3)


def test_generators_are_seedable():
    for gen in (whitenoise, pinknoise, brownnoise):
        a = gen(1000, rng=42)
        np.testing.assert_array_equal(a, gen(1000, rng=42))
        assert not np.array_equal(a, gen(1000, rng=43))
        np.testing.assert_array_equal(gen(1000, rng=np.random.default_rng(7)),
                                      gen(1000, rng=np.random.default_rng(7)))
    np.testing.assert_array_equal(irns(2 * ms, 1, 4, 1000, rng=3), irns(2 * ms, 1, 4, 1000, rng=3))
    np.testing.assert_array_equal(irno(2 * ms, 1, 4, 1000, rng=3), irno(2 * ms, 1, 4, 1000, rng=3))
    # channels are independent
    st = whitenoise(10000, nchannels=2, rng=0)
    assert abs(np.corrcoef(st[:, 0], st[:, 1])[0, 1]) < 0.05
    with pytest.raises(TypeError, match="rng"):
        whitenoise(10, rng="seed")


def test_white_noise_spectrum_is_flat_within_statistical_bounds():
    n, sr = 2**16, 16000.0
    x = whitenoise(n, samplerate=sr, rng=123)
    assert float(x.level) == pytest.approx(93.98, abs=0.1)  # unit variance
    p = power_spectrum(x)[1:-1]  # drop DC and Nyquist (different distributions)
    m = p.size // 32
    bands = p[: 32 * m].reshape(32, m).mean(axis=1) / p.mean()
    # each band mean of m exponential variables has relative s.d. 1/sqrt(m); allow 5 s.d.
    assert np.max(np.abs(bands - 1)) < 5 / np.sqrt(m)
    assert abs(octave_slope(x, sr, [125, 250, 500, 1000, 2000])) < 0.25


def test_pink_noise_falls_3_dB_per_octave_and_brown_6():
    n, sr = 2**17, 16000.0
    lows = [62.5, 125, 250, 500, 1000, 2000]
    # the lowest band holds ~500 bins: s.d. of its mean ~0.2 dB, so the slope is good to ~0.1
    assert octave_slope(pinknoise(n, samplerate=sr, rng=1), sr, lows) == pytest.approx(-3.01,
                                                                                      abs=0.25)
    assert octave_slope(brownnoise(n, samplerate=sr, rng=2), sr, lows) == pytest.approx(-6.02,
                                                                                       abs=0.25)
    assert octave_slope(powerlawnoise(n, 0.5, samplerate=sr, rng=3), sr, lows) == pytest.approx(
        -1.505, abs=0.25)
    # scaled to RMS 1, or peak 1 when normalised
    unit_rms_level = 20 * np.log10(1 / 20e-6)
    assert float(pinknoise(n, samplerate=sr, rng=1).level) == pytest.approx(unit_rms_level,
                                                                             abs=1e-9)
    assert np.max(np.abs(pinknoise(1000, normalise=True, rng=1))) == pytest.approx(1.0)


def test_click_and_clicks():
    c = click(3, peak=80 * dB, samplerate=10000)
    assert c.shape == (3, 1)
    np.testing.assert_allclose(c, np.sqrt(2) * 20e-6 * 10**4)
    train = clicks(1, 4, 10 * ms, samplerate=10000)
    assert train.shape == (400, 1)
    np.testing.assert_array_equal(np.flatnonzero(train[:, 0]), [0, 100, 200, 300])
    with pytest.raises(ValueError, match="interval"):
        clicks(20, 3, 10, samplerate=10000)


def test_silence():
    s = silence(5 * ms, nchannels=2)
    assert s.shape == (220, 2) and not np.any(s)


def test_harmonic_complex_has_only_harmonics():
    sr = 8000.0
    hc = harmoniccomplex(200 * Hz, 1 * second, samplerate=sr)
    p = power_spectrum(hc)
    peaks = np.flatnonzero(p > 1e-6 * p.max())  # 1 Hz bins
    np.testing.assert_array_equal(peaks, np.arange(200, 4000, 200))
    amps = harmoniccomplex(100, 8000, amplitude=[1.0, 0.0, 0.5], samplerate=sr)
    spec = np.abs(np.fft.rfft(amps[:, 0])) * 2 / 8000
    np.testing.assert_allclose(spec[[100, 200, 300]], [1.0, 0.0, 0.5], atol=1e-9)


@pytest.mark.parametrize("name", sorted(VOWEL_FORMANTS))
def test_vowel_spectral_envelope_peaks_at_its_formants(name):
    f0 = 100.0
    v = vowel(name, pitch=f0 * Hz, duration=1 * second)
    assert np.max(np.abs(v)) == pytest.approx(1.0)
    p = power_spectrum(v)  # 1 Hz bins: harmonics k*f0 fall on exact bins
    harmonics = np.arange(1, 45) * f0
    env = 10 * np.log10(p[harmonics.astype(int)])
    local_max = harmonics[1:-1][(env[1:-1] > env[:-2]) & (env[1:-1] > env[2:])]
    for formant in VOWEL_FORMANTS[name]:
        assert np.min(np.abs(local_max - formant)) <= f0, (name, formant, local_max)


def test_vowel_from_formants_and_errors():
    v = vowel(formants=[500 * Hz, 1500 * Hz], pitch=125, duration=0.5)
    p = power_spectrum(v)
    f = np.fft.rfftfreq(v.nsamples, 1 / 44100)
    assert abs(f[np.argmax(p)] - 500) <= 125
    with pytest.raises(ValueError, match="unknown vowel"):
        vowel("y")
    with pytest.raises(ValueError, match="exactly one"):
        vowel()


@pytest.mark.parametrize("gen", [irns, irno])
def test_iterated_rippled_noise_has_spectral_ripples_at_1_over_delay(gen):
    sr, d = 16000.0, 5 * ms  # ripple peaks every 200 Hz
    x = gen(d, 1.0, 8, 1 * second, samplerate=sr, rng=11)
    # unit RMS as generated (the level property leaves out the small DC of the noise)
    assert float(x.get_level(remove_dc=False)) == pytest.approx(20 * np.log10(1 / 20e-6),
                                                                abs=1e-9)
    p = power_spectrum(x)  # 1 Hz bins
    peaks = np.mean([p[k * 200 - 10:k * 200 + 11].mean() for k in range(2, 20)])
    troughs = np.mean([p[k * 200 + 90:k * 200 + 111].mean() for k in range(2, 20)])
    assert 10 * np.log10(peaks / troughs) > 15
    raw = np.asarray(x)[:, 0]
    lag = 80  # 5 ms
    r = np.dot(raw[:-lag], raw[lag:]) / np.dot(raw, raw)
    assert r > 0.5


def test_sequence_and_repeat_extended_resized():
    a = tone(1 * kHz, 10 * ms)
    b = Sound(np.ones((5, 2)))
    seq = sequence(a, [b, a])
    assert seq.shape == (441 * 2 + 5, 2)
    np.testing.assert_array_equal(seq[:441, 1], a[:, 0])
    np.testing.assert_array_equal(seq[441:446], np.ones((5, 2)))
    assert Sound.sequence(a, a).nsamples == 882
    with pytest.raises(SampleRateMismatchError, match="sound 1"):
        sequence(a, tone(1 * kHz, 10 * ms, samplerate=16000))
    mixed = sequence(a, tone(1 * kHz, 10 * ms, samplerate=22050), samplerate=22050)
    assert mixed.nsamples == 441 and float(np.asarray(mixed.samplerate)) == 22050.0
    with pytest.raises(SoundMismatchError, match="sound 0 has 2 channels"):
        sequence(b, Sound(np.ones((5, 3))))
    assert a.repeat(3).nsamples == 3 * 441
    ext = a.extended(5 * ms)
    assert ext.nsamples == 441 + 220 and not np.any(ext[441:])
    assert a.resized(100).nsamples == 100 and a.resized(500).nsamples == 500


def test_ramp_onset_offset_both():
    s = Sound(np.ones((1000, 1)), 1000)
    r = s.ramped(when="onset", duration=100 * ms)
    assert r[0, 0] == 0.0 and r[99, 0] == pytest.approx(1.0) and np.all(s == 1)
    assert r[np.argmin(np.abs(np.linspace(0, 1, 100) - 0.5)), 0] == pytest.approx(0.5, abs=0.02)
    r = s.ramped(when="both", duration=100)
    assert r[0, 0] == 0.0 and r[-1, 0] == 0.0 and r[500, 0] == 1.0
    s.ramp(when="offset", duration=0.05)
    assert s[-1, 0] == 0.0 and s[0, 0] == 1.0
    with pytest.raises(ValueError, match="when"):
        s.ramp(when="middle")


def test_shifted_integer_and_fractional():
    s = Sound(np.arange(1.0, 6.0), 1000)
    np.testing.assert_array_equal(s.shifted(2)[:, 0], [0, 0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(s.shifted(-2 * ms)[:, 0], [3, 4, 5])
    sr = 44100.0
    x = tone(1 * kHz, 200 * ms, samplerate=sr)
    delay = 2.5 / sr
    y = x.shifted(delay, fractional=True)
    assert y.nsamples == x.nsamples + 3
    n = np.arange(y.nsamples)
    expected = np.sin(2 * np.pi * 1000 * (n / sr - delay))
    inner = slice(3000, 6000)  # away from the filter's edge transients
    np.testing.assert_allclose(y[inner, 0], expected[inner], atol=1e-3)


def test_itd_delays_the_right_ear_and_pan_keeps_power():
    sr = 44100.0
    x = whitenoise(4410, samplerate=sr, rng=5)
    st = x.itd(10)  # positive: the right channel lags by 10 samples
    assert st.shape == (4420, 2)
    left, right = np.asarray(st.left)[:, 0], np.asarray(st.right)[:, 0]
    lags = np.arange(-20, 21)
    xc = [np.dot(left[max(0, -k):len(left) - max(0, k)], right[max(0, k):len(right)
                                                             - max(0, -k)]) for k in lags]
    assert lags[int(np.argmax(xc))] == 10
    st2 = x.itd(-10 / sr)
    np.testing.assert_array_equal(st2.left[10:], x)
    for position, (gl, gr) in [(-1, (1, 0)), (0, (2**-0.5, 2**-0.5)), (1, (0, 1))]:
        p = x.pan(position)
        np.testing.assert_allclose(p.left[:, 0], gl * x[:, 0], atol=1e-12)
        np.testing.assert_allclose(p.right[:, 0], gr * x[:, 0], atol=1e-12)
    p = x.pan(0.3)
    np.testing.assert_allclose(np.sum(np.asarray(p) ** 2), np.sum(np.asarray(x) ** 2))
    with pytest.raises(ValueError, match="position"):
        x.pan(2)


def test_seed_makes_default_noise_reproducible_as_brian2hears():
    """Without rng=, noise comes from numpy's global generator, which sim's seed() seeds
    (as Brian 2's): brian2hears gives these first samples for seed(3)."""
    import numpy as np

    from sim import kHz, ms, seed
    from sounds import whitenoise

    seed(3)
    a = np.asarray(whitenoise(2 * ms, samplerate=20 * kHz))
    seed(3)
    b = np.asarray(whitenoise(2 * ms, samplerate=20 * kHz))
    assert np.array_equal(a, b)
    assert np.allclose(a[:5, 0], [1.788628, 0.43651, 0.096497, -1.863493, -0.277388], atol=1e-6)
