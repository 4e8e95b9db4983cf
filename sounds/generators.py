"""Sound generators: tones, noises, clicks, harmonic complexes, vowels, silence, sequences.

Conventions (see :mod:`sounds._convert`): durations are a time quantity, an ``int`` number of
samples, or a ``float`` in seconds, and must be positive; frequencies and sample rates are
frequency quantities or numbers in Hz; ``samplerate=None`` uses
:func:`sounds.get_default_samplerate` (44.1 kHz). Random generators take ``rng``: a
``numpy.random.Generator``, an int seed, or ``None`` (fresh OS entropy); the same seed gives the
same sound. Every generator is also a static method of :class:`Sound` (``Sound.tone``), as in
brian2hears.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._convert import (
    as_dimensionless,
    as_frequencies,
    as_nsamples,
    as_positive_frequency,
    as_samplerate,
    as_seconds,
    is_int,
)
from .db import P0, dB_error, dB_type
from .defaults import default_samplerate_hz
from .errors import SampleRateMismatchError, SoundMismatchError
from .sound import Sound

__all__ = [
    "tone",
    "harmoniccomplex",
    "whitenoise",
    "powerlawnoise",
    "pinknoise",
    "brownnoise",
    "irns",
    "irno",
    "click",
    "clicks",
    "silence",
    "vowel",
    "sequence",
    "VOWEL_FORMANTS",
]

RNGLike = np.random.Generator | np.random.SeedSequence | int | None

#: Formant frequencies (F1, F2, F3) in Hz of the vowels known to :func:`vowel`: averages for
#: adult male speakers from Peterson & Barney (1952), for the vowels of "hod" (a), "head" (e),
#: "heed" (i), "hawed" (o) and "who'd" (u).
VOWEL_FORMANTS: dict[str, tuple[float, float, float]] = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
}


def _rate(samplerate: Any) -> float:
    if samplerate is None:
        return default_samplerate_hz()
    return as_samplerate(samplerate, "samplerate")


def _nchannels(nchannels: Any) -> int:
    if not is_int(nchannels) or nchannels < 1:
        raise ValueError(f"nchannels must be a positive int, got {nchannels!r}")
    return int(nchannels)


def _generator(rng: RNGLike):
    """The random source of a noise generator: ``rng`` (a Generator or a seed), or, by
    default, numpy's global random state, as brian2hears: ``seed(n)`` (sim's or
    ``numpy.random.seed``) makes a script's sounds reproducible."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.mtrand._rand  # the global RandomState (standard_normal(size))
    if is_int(rng) or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {rng!r}")


def _unit_rms(x: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(x * x, axis=0))
    rms[rms == 0] = 1.0
    return x / rms


def _peak_normalise(x: np.ndarray) -> np.ndarray:
    peak = np.max(np.abs(x), axis=0)
    peak[peak == 0] = 1.0
    return x / peak


def _per_channel(values: np.ndarray, name: str, nchannels: int) -> np.ndarray:
    if values.size not in (1, nchannels):
        raise ValueError(f"{name} has {values.size} values for {nchannels} channels")
    return np.broadcast_to(values.reshape(1, -1), (1, nchannels))


def tone(frequency: Any, duration: Any, phase: Any = 0.0, samplerate: Any = None,
         nchannels: int = 1) -> Sound:
    """A pure tone ``sin(2*pi*frequency*t + phase)`` of amplitude 1 (90.97 dB SPL).

    ``frequency`` (Hz) and ``phase`` (radians) may be sequences: one channel per value
    (then ``nchannels`` must be 1 or equal to that number). Frequencies must lie in
    ``[0, samplerate/2]``.
    """
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    freqs = as_frequencies(frequency, "frequency")
    phases = as_dimensionless(phase, "phase").ravel()
    if phases.size == 0:
        raise ValueError("phase must not be empty")
    nch = _nchannels(nchannels)
    count = max(freqs.size, phases.size)
    if count > 1:
        if nch not in (1, count):
            raise ValueError(f"tone(): {count} frequencies/phases but nchannels={nch}")
        nch = count
    if np.any(freqs < 0) or np.any(freqs > sr / 2):
        raise ValueError(f"tone(frequency=...): frequencies must be in [0, {sr / 2:g}] Hz "
                         f"(half the sample rate), got {freqs.tolist()}")
    f = _per_channel(freqs, "frequency", nch)
    p = _per_channel(phases, "phase", nch)
    t = (np.arange(n) / sr).reshape(-1, 1)
    return Sound._wrap(np.sin(2 * np.pi * f * t + p), sr)


def harmoniccomplex(f0: Any, duration: Any, amplitude: Any = 1.0, phase: Any = 0.0,
                    samplerate: Any = None, nchannels: int = 1) -> Sound:
    """A sum of sines at the harmonics ``k*f0`` (k = 1, 2, ...).

    ``amplitude`` and ``phase`` (radians) are one value for all harmonics, in which case every
    harmonic below half the sample rate is included, or sequences with one value per harmonic
    (starting with the fundamental), which set the number of harmonics.
    """
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    fund = as_positive_frequency(f0, "f0")
    amps = as_dimensionless(amplitude, "amplitude").ravel()
    phases = as_dimensionless(phase, "phase").ravel()
    if amps.size > 1 and phases.size > 1 and amps.size != phases.size:
        raise ValueError(f"harmoniccomplex(): {amps.size} amplitudes but {phases.size} phases")
    if amps.size > 1 or phases.size > 1:
        nharm = max(amps.size, phases.size)
    else:
        nharm = int(np.ceil(sr / 2 / fund)) - 1
    if nharm < 1 or nharm * fund > sr / 2:
        raise ValueError(f"harmoniccomplex(): harmonics up to {nharm * fund:g} Hz do not fit "
                         f"below half the sample rate ({sr / 2:g} Hz)")
    amps = np.broadcast_to(amps, (nharm,))
    phases = np.broadcast_to(phases, (nharm,))
    t = np.arange(n) / sr
    x = np.zeros(n)
    for k in range(nharm):
        if amps[k] != 0:
            x += amps[k] * np.sin(2 * np.pi * (k + 1) * fund * t + phases[k])
    return Sound._wrap(np.tile(x.reshape(-1, 1), (1, _nchannels(nchannels))), sr)


def whitenoise(duration: Any, samplerate: Any = None, nchannels: int = 1,
               rng: RNGLike = None) -> Sound:
    """Gaussian white noise of unit variance (expected level 93.98 dB SPL).

    Channels are independent; ``rng`` makes it reproducible.
    """
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    return Sound._wrap(_generator(rng).standard_normal((n, _nchannels(nchannels))), sr)


def powerlawnoise(duration: Any, alpha: float, samplerate: Any = None, nchannels: int = 1,
                  normalise: bool = False, rng: RNGLike = None) -> Sound:
    """Gaussian noise whose power spectral density falls as ``1/f**alpha``.

    ``alpha=0`` is white, 1 pink (-3 dB per octave), 2 brown (-6 dB per octave). Made in the
    frequency domain (random complex Gaussian amplitudes shaped by ``f**(-alpha/2)``, no DC),
    so the sound is periodic over its duration. Each channel is scaled to RMS 1 (93.98 dB SPL),
    or, with ``normalise=True``, to a peak amplitude of 1.
    """
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    a = float(as_dimensionless(alpha, "alpha"))
    if not np.isfinite(a):
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    nch = _nchannels(nchannels)
    gen = _generator(rng)
    nbins = n // 2 + 1
    spec = gen.standard_normal((nbins, nch)) + 1j * gen.standard_normal((nbins, nch))
    f = np.fft.rfftfreq(n, 1.0 / sr)
    shape = np.zeros(nbins)
    shape[1:] = f[1:] ** (-a / 2.0)
    spec *= shape[:, None]
    if n % 2 == 0:
        spec[-1] = spec[-1].real  # the Nyquist bin of a real signal is real
    x = np.fft.irfft(spec, n=n, axis=0)
    x = _peak_normalise(x) if normalise else _unit_rms(x)
    return Sound._wrap(np.ascontiguousarray(x), sr)


def pinknoise(duration: Any, samplerate: Any = None, nchannels: int = 1,
              normalise: bool = False, rng: RNGLike = None) -> Sound:
    """Pink noise (power falls 3 dB per octave): :func:`powerlawnoise` with ``alpha=1``."""
    return powerlawnoise(duration, 1.0, samplerate=samplerate, nchannels=nchannels,
                         normalise=normalise, rng=rng)


def brownnoise(duration: Any, samplerate: Any = None, nchannels: int = 1,
               normalise: bool = False, rng: RNGLike = None) -> Sound:
    """Brown noise (power falls 6 dB per octave): :func:`powerlawnoise` with ``alpha=2``."""
    return powerlawnoise(duration, 2.0, samplerate=samplerate, nchannels=nchannels,
                         normalise=normalise, rng=rng)


def _iterated_ripple(kind: str, delay: Any, gain: float, niter: int, duration: Any,
                     samplerate: Any, nchannels: int, rng: RNGLike) -> Sound:
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    d = as_seconds(delay, "delay", sr)
    if d <= 0:
        raise ValueError(f"{kind}(delay=...): the delay must be positive, got {delay!r}")
    if not is_int(niter) or niter < 0:
        raise ValueError(f"{kind}(niter=...): niter must be a non-negative int, got {niter!r}")
    g = float(as_dimensionless(gain, "gain"))
    base = _generator(rng).standard_normal((n, _nchannels(nchannels)))
    spec = np.fft.rfft(base, axis=0)
    z = g * np.exp(-2j * np.pi * np.fft.rfftfreq(n, 1.0 / sr) * d)
    if kind == "irns":  # add-same: each stage adds its own delayed output
        transfer = (1.0 + z) ** int(niter)
    else:  # add-original: delayed copies of the original noise, k*delay for k = 0..niter
        transfer = np.sum([z**k for k in range(int(niter) + 1)], axis=0)
    x = np.fft.irfft(spec * transfer[:, None], n=n, axis=0)
    return Sound._wrap(np.ascontiguousarray(_unit_rms(x)), sr)


def irns(delay: Any, gain: float, niter: int, duration: Any, samplerate: Any = None,
         nchannels: int = 1, rng: RNGLike = None) -> Sound:
    """Iterated rippled noise, "add-same" network (IRNS; Yost 1996).

    White noise passed ``niter`` times through a delay-and-add stage ``y + gain*y(t-delay)``:
    transfer function ``(1 + gain*exp(-2j*pi*f*delay))**niter``, a pitch at ``1/delay``.
    Delays are circular over the sound's duration (applied in the frequency domain, so
    fractional delays are exact). Each channel is scaled to RMS 1.
    """
    return _iterated_ripple("irns", delay, gain, niter, duration, samplerate, nchannels, rng)


def irno(delay: Any, gain: float, niter: int, duration: Any, samplerate: Any = None,
         nchannels: int = 1, rng: RNGLike = None) -> Sound:
    """Iterated rippled noise, "add-original" network (IRNO; Yost 1996).

    The original noise plus ``gain**k`` times itself delayed by ``k*delay`` for ``k = 1..niter``.
    Delays are circular, as in :func:`irns`. Each channel is scaled to RMS 1.
    """
    return _iterated_ripple("irno", delay, gain, niter, duration, samplerate, nchannels, rng)


def _click_amplitude(peak: Any) -> float:
    if peak is None:
        return 1.0
    if not isinstance(peak, dB_type):
        raise dB_error(f"click(peak=...): peak must be in dB (e.g. 80*dB), got {peak!r}")
    return float(np.sqrt(2.0) * P0 * 10.0 ** (float(peak) / 20.0))


def click(duration: Any = 1, peak: dB_type | None = None, samplerate: Any = None,
          nchannels: int = 1) -> Sound:
    """A rectangular click: ``duration`` (default one sample) of constant amplitude.

    The amplitude is 1, or with ``peak`` (in dB) the peak-equivalent SPL
    ``sqrt(2)*20e-6*10**(peak/20)`` Pa (the amplitude of a sine at that RMS level).
    """
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    amp = _click_amplitude(peak)
    return Sound._wrap(np.full((n, _nchannels(nchannels)), amp), sr)


def clicks(duration: Any, n: int, interval: Any, peak: dB_type | None = None,
           samplerate: Any = None, nchannels: int = 1) -> Sound:
    """``n`` clicks (see :func:`click`), one every ``interval`` (onset to onset).

    The sound lasts ``n*interval``; ``interval`` must be at least the click ``duration``.
    """
    sr = _rate(samplerate)
    width = as_nsamples(duration, sr, "duration")
    period = as_nsamples(interval, sr, "interval")
    if not is_int(n) or n < 1:
        raise ValueError(f"clicks(n=...): n must be a positive int, got {n!r}")
    if period < width:
        raise ValueError(f"clicks(): interval ({period} samples) is shorter than the click "
                         f"duration ({width} samples)")
    one = np.zeros((period, _nchannels(nchannels)))
    one[:width] = _click_amplitude(peak)
    return Sound._wrap(np.tile(one, (int(n), 1)), sr)


def silence(duration: Any, samplerate: Any = None, nchannels: int = 1) -> Sound:
    """Zeros for ``duration``."""
    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    return Sound._wrap(np.zeros((n, _nchannels(nchannels))), sr)


def vowel(vowel: str | None = None, formants: Any = None, pitch: Any = 100.0,
          duration: Any = 1.0, samplerate: Any = None, nchannels: int = 1,
          bandwidths: Any = None) -> Sound:
    """A synthetic vowel: a glottal pulse train filtered by formant resonators.

    Give either ``vowel`` (``'a'``, ``'e'``, ``'i'``, ``'o'``, ``'u'``, also written ``'/a/'``;
    see :data:`VOWEL_FORMANTS`) or ``formants`` (a sequence of frequencies, Hz). The source is a
    pulse train at ``pitch`` (default 100 Hz; pulses placed with sub-sample precision) shaped
    to fall 6 dB per octave (glottal roll-off of 12 dB/octave above 100 Hz plus 6 dB/octave lip
    radiation). Each formant is a two-pole resonator of unit gain at 0 Hz with bandwidth from
    ``bandwidths`` (Hz, one per formant) or, by default, ``max(50 Hz, 6% of the formant)``.
    ``duration`` defaults to 1 s. The result is normalised to a peak amplitude of 1.
    """
    from scipy.signal import lfilter

    sr = _rate(samplerate)
    n = as_nsamples(duration, sr, "duration")
    if (vowel is None) == (formants is None):
        raise ValueError("vowel(): give exactly one of vowel='a' (or e, i, o, u) and formants=")
    if vowel is not None:
        key = str(vowel).strip().strip("/").lower()
        if key not in VOWEL_FORMANTS:
            raise ValueError(f"vowel(vowel=...): unknown vowel {vowel!r}; known vowels: "
                             f"{', '.join(sorted(VOWEL_FORMANTS))}")
        freqs = np.array(VOWEL_FORMANTS[key])
    else:
        freqs = as_frequencies(formants, "formants")
    if np.any(freqs <= 0) or np.any(freqs >= sr / 2):
        raise ValueError(f"vowel(formants=...): formants must lie in (0, {sr / 2:g}) Hz, got "
                         f"{freqs.tolist()}")
    if bandwidths is None:
        bws = np.maximum(50.0, 0.06 * freqs)
    else:
        bws = as_frequencies(bandwidths, "bandwidths")
        if bws.size != freqs.size or np.any(bws <= 0):
            raise ValueError(f"vowel(bandwidths=...): need {freqs.size} positive bandwidths, "
                             f"got {bws.tolist()}")
    f0 = as_positive_frequency(pitch, "pitch")
    if f0 >= sr / 2:
        raise ValueError(f"vowel(pitch=...): pitch must be below {sr / 2:g} Hz, got {f0:g} Hz")
    # pulse train: each pulse split between the two samples around its exact time
    positions = np.arange(0.0, n - 1, sr / f0)
    whole = np.floor(positions).astype(int)
    frac = positions - whole
    source = np.zeros(n)
    np.add.at(source, whole, 1.0 - frac)
    np.add.at(source, whole + 1, frac)
    # glottal roll-off (double real pole at 100 Hz) and lip radiation (first difference)
    r = np.exp(-2 * np.pi * 100.0 / sr)
    y = lfilter([1.0, -1.0], [1.0, -2 * r, r * r], source)
    for f, bw in zip(freqs, bws, strict=True):
        radius = np.exp(-np.pi * bw / sr)
        a1 = -2 * radius * np.cos(2 * np.pi * f / sr)
        a2 = radius * radius
        y = lfilter([1.0 + a1 + a2], [1.0, a1, a2], y)
    y /= np.max(np.abs(y))
    return Sound._wrap(np.tile(y.reshape(-1, 1), (1, _nchannels(nchannels))), sr)


def sequence(*sounds: Any, samplerate: Any = None) -> Sound:
    """The sounds played one after another (lists or tuples of sounds are flattened).

    All sounds must share a sample rate, unless ``samplerate`` is given: then every sound is
    resampled to it. Mono sounds are copied to every channel of multichannel ones; other
    channel counts must agree.
    """
    items: list[Sound] = []
    for arg in sounds:
        items.extend(arg if isinstance(arg, (list, tuple)) else [arg])
    if not items:
        raise ValueError("sequence(): no sounds given")
    for i, s in enumerate(items):
        if not isinstance(s, Sound):
            raise TypeError(f"sequence(): item {i} is a {type(s).__name__}, not a Sound")
    if samplerate is not None:
        sr = as_samplerate(samplerate, "samplerate")
        items = [s if s._sr == sr else s.resample(sr) for s in items]
    else:
        sr = items[0]._sr
        for i, s in enumerate(items):
            if s._sr != sr:
                raise SampleRateMismatchError(
                    f"sequence(): sound {i} has sample rate {s._sr:g} Hz but sound 0 has "
                    f"{sr:g} Hz; pass samplerate= to resample them")
    nch = max(s.shape[1] for s in items)
    for i, s in enumerate(items):
        if s.shape[1] not in (1, nch):
            raise SoundMismatchError(f"sequence(): sound {i} has {s.shape[1]} channels, others "
                                     f"have {nch}")
    parts = [np.broadcast_to(np.asarray(s), (s.shape[0], nch)) for s in items]
    return Sound._wrap(np.concatenate(parts, axis=0), sr)


# brian2hears exposes the generators as static methods of Sound too.
for _f in (tone, harmoniccomplex, whitenoise, powerlawnoise, pinknoise, brownnoise, irns, irno,
           click, clicks, silence, vowel, sequence):
    setattr(Sound, _f.__name__, staticmethod(_f))
del _f
