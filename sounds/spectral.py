"""Spectra and spectrograms of sounds, with matplotlib plots that return their axes.

Powers are in pascal squared (samples are pascal by convention); with ``log_power=True`` they
are in dB SPL: ``10*log10(power / (20 uPa)**2)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.units import Hz, Quantity, second

from ._convert import as_frequencies, as_nsamples
from .db import P0

if TYPE_CHECKING:  # pragma: no cover
    from .sound import Sound

__all__ = ["Spectrum", "Spectrogram", "spectrum", "spectrogram"]

_FLOOR = 1e-30  # power floor (Pa^2) before taking logs


def _band(freqs: np.ndarray, low: Any, high: Any) -> np.ndarray:
    lo = -np.inf if low is None else float(as_frequencies(low, "low")[0])
    hi = np.inf if high is None else float(as_frequencies(high, "high")[0])
    if lo > hi:
        raise ValueError(f"low ({lo:g} Hz) must not exceed high ({hi:g} Hz)")
    return (freqs >= lo) & (freqs <= hi)


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Result of :meth:`Sound.spectrum`; unpacks as ``(power, freqs, phase)`` (brian2hears).

    ``power`` has shape ``(nfreqs, nchannels)``: the power in each FFT bin, one-sided, such
    that the bins sum to the mean square of the channel (Pa^2), or in dB SPL with
    ``log_power``. ``freqs`` is a Quantity in Hz; ``phase`` the unwrapped phase in radians.
    """

    power: np.ndarray
    freqs: Quantity
    phase: np.ndarray
    log_power: bool = True

    def __iter__(self) -> Iterator[Any]:
        return iter((self.power, self.freqs, self.phase))

    def plot(self, ax: Any = None, channel: int = 0, **kwargs: Any) -> Any:
        """Plot power against frequency (log frequency axis); returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.figure().add_subplot()
        f = np.asarray(self.freqs)
        keep = f > 0
        ax.semilogx(f[keep], self.power[keep, channel], **kwargs)
        ax.set_xlabel("Frequency (Hz)")
        ax.set_ylabel("Power (dB SPL)" if self.log_power else "Power (Pa$^2$)")
        return ax


@dataclass(frozen=True, eq=False)
class Spectrogram:
    """Result of :meth:`Sound.spectrogram`; unpacks as ``(power, freqs, times)``.

    ``power`` has shape ``(nfreqs, ntimes, nchannels)``: the power spectral density of each
    Hann-windowed segment (Pa^2/Hz, or dB SPL/Hz with ``log_power``). ``freqs`` (Hz) and
    ``times`` (segment centres, seconds) are quantities.
    """

    power: np.ndarray
    freqs: Quantity
    times: Quantity
    log_power: bool = True

    def __iter__(self) -> Iterator[Any]:
        return iter((self.power, self.freqs, self.times))

    def plot(self, ax: Any = None, channel: int = 0, **kwargs: Any) -> Any:
        """Draw the spectrogram as an image (time x frequency); returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.figure().add_subplot()
        f = np.asarray(self.freqs)
        t = np.asarray(self.times)
        z = self.power[:, :, channel]
        if not self.log_power:
            z = 10 * np.log10(np.maximum(z, _FLOOR) / P0**2)
        ax.pcolormesh(t, f, z, shading="auto", **kwargs)
        ax.set_xlabel("Time (s)")
        ax.set_ylabel("Frequency (Hz)")
        return ax


def spectrum(sound: Sound, low: Any = None, high: Any = None, log_power: bool = True,
             display: bool = False) -> Spectrum:
    """Power spectrum of every channel of ``sound`` between ``low`` and ``high`` (Hz).

    See :class:`Spectrum` for the normalisation: ``sum(power)`` over all bins equals
    ``mean(x**2)``, so ``10*log10(sum(power)/(20e-6)**2)`` is the sound's level in dB SPL.
    With ``display=True`` the spectrum is also plotted.
    """
    x = np.asarray(sound)
    n = x.shape[0]
    if n == 0:
        raise ValueError("spectrum(): the sound has no samples")
    sr = float(np.asarray(sound.samplerate))
    fx = np.fft.rfft(x, axis=0)
    power = np.abs(fx) ** 2 / n**2
    power[1:] *= 2.0
    if n % 2 == 0:
        power[-1] /= 2.0  # the Nyquist bin has no mirror image
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    phase = np.unwrap(np.angle(fx), axis=0)
    keep = _band(freqs, low, high)
    power, freqs, phase = power[keep], freqs[keep], phase[keep]
    if log_power:
        power = 10.0 * np.log10(np.maximum(power, _FLOOR) / P0**2)
    result = Spectrum(power, freqs * Hz, phase, log_power)
    if display:
        result.plot()
    return result


def spectrogram(sound: Sound, low: Any = None, high: Any = None, log_power: bool = True,
                window: Any = 0.02, overlap: float = 0.5, display: bool = False) -> Spectrogram:
    """Short-time power spectral density of every channel of ``sound``.

    ``window`` is the segment length (time, int samples or float seconds; default 20 ms,
    Hann window), ``overlap`` the fraction of a segment shared with the next one (0 <= overlap
    < 1). Frequencies outside ``[low, high]`` (Hz) are dropped. With ``display=True`` the
    first channel is also plotted.
    """
    from scipy.signal import spectrogram as scipy_spectrogram

    sr = float(np.asarray(sound.samplerate))
    nper = as_nsamples(window, sr, "window")
    if nper > sound.shape[0]:
        raise ValueError(f"spectrogram(window=...): the window ({nper} samples) is longer than "
                         f"the sound ({sound.shape[0]} samples)")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"spectrogram(overlap=...): need 0 <= overlap < 1, got {overlap!r}")
    f, t, sxx = scipy_spectrogram(np.asarray(sound), fs=sr, window="hann", nperseg=nper,
                                  noverlap=int(overlap * nper), scaling="density", axis=0)
    power = np.transpose(sxx, (0, 2, 1))  # (freq, channel, time) -> (freq, time, channel)
    keep = _band(f, low, high)
    power, f = power[keep], f[keep]
    if log_power:
        power = 10.0 * np.log10(np.maximum(power, _FLOOR) / P0**2)
    result = Spectrogram(power, f * Hz, t * second, log_power)
    if display:
        result.plot()
    return result
