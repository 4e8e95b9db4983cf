"""Head-related transfer functions, with brian2hears' names: ``HRTF``, ``HRTFSet``,
``HRTFDatabase``, ``make_coordinates`` and ``HeadlessDatabase`` (interaural time
differences of two ears with no head between them).

An :class:`HRTF` is a pair of impulse responses (left, right); :meth:`HRTF.apply` turns a
mono sound into the stereo sound heard at the ears, :meth:`HRTF.filterbank` gives the same
as a 2-channel :class:`FIRFilterbank` for a chain of filterbanks.  An :class:`HRTFSet` holds
the HRTFs of many locations with their coordinates (a numpy record array), selects them by
coordinates or conditions, and gives one FIR filterbank over all of them.
"""

from __future__ import annotations

import inspect
from copy import copy
from typing import Any

import numpy as np
from scipy.signal import fftconvolve

from sounds import Sound

from .filterbanks.fir import FIRFilterbank, fractional_delay_ir

__all__ = ["HRTF", "HRTFSet", "HRTFDatabase", "HeadlessDatabase", "make_coordinates"]

#: metres per second (brian2hears' value)
SPEED_OF_SOUND_IN_AIR = 343.2


def _rate_hz(samplerate: Any) -> float:
    return float(np.asarray(samplerate))


class HRTF:
    """A pair of head-related impulse responses: ``HRTF(hrir_l, hrir_r)`` (two mono
    sounds) or ``HRTF(stereo_sound)``.

    ``left``, ``right``: the responses (mono sounds); ``impulse_response``: both, as a
    stereo sound; ``fir``: shape ``(2, length)``, for :class:`FIRFilterbank`;
    ``samplerate``; ``len(hrtf)``: the number of samples.
    """

    def __init__(self, hrir_l: Sound, hrir_r: Sound | None = None):
        if hrir_r is None:
            stereo = hrir_l
            if stereo.nchannels != 2:
                raise ValueError(f"HRTF: give two mono responses or one stereo sound, got "
                                 f"{stereo.nchannels} channels")
        else:
            if hrir_l.nchannels != 1 or hrir_r.nchannels != 1:
                raise ValueError("HRTF: the left and right responses must be mono sounds")
            if _rate_hz(hrir_l.samplerate) != _rate_hz(hrir_r.samplerate):
                raise ValueError("HRTF: the left and right responses have different rates")
            n = max(hrir_l.nsamples, hrir_r.nsamples)
            data = np.zeros((n, 2))
            data[:hrir_l.nsamples, 0] = np.asarray(hrir_l)[:, 0]
            data[:hrir_r.nsamples, 1] = np.asarray(hrir_r)[:, 0]
            stereo = Sound(data, samplerate=hrir_l.samplerate)
        self.impulse_response = stereo
        self.samplerate = stereo.samplerate
        self.left = Sound(np.asarray(stereo)[:, :1], samplerate=stereo.samplerate)
        self.right = Sound(np.asarray(stereo)[:, 1:], samplerate=stereo.samplerate)

    @property
    def fir(self) -> np.ndarray:
        return np.array(np.asarray(self.impulse_response).T, copy=True)

    def apply(self, sound: Sound) -> Sound:
        """The stereo sound at the ears for a mono ``sound`` (also ``hrtf(sound)``): each
        response convolved with the sound, truncated to the sound's length (FFT
        convolution; the same as brian2hears to rounding)."""
        if sound.nchannels != 1:
            raise ValueError(f"HRTF.apply needs a mono sound, got {sound.nchannels} channels")
        if _rate_hz(sound.samplerate) != _rate_hz(self.samplerate):
            raise ValueError(f"HRTF.apply: the sound's sample rate ({sound.samplerate}) is "
                             f"not the HRTF's ({self.samplerate})")
        x = np.asarray(sound)[:, 0]
        ir = np.asarray(self.impulse_response)
        out = np.column_stack([fftconvolve(x, ir[:, k])[:len(x)] for k in range(2)])
        return Sound(out, samplerate=self.samplerate)

    __call__ = apply

    def filterbank(self, source: Any, **kwds) -> FIRFilterbank:
        """A 2-channel FIR filterbank applying the pair to ``source``."""
        return FIRFilterbank(source, self.fir, **kwds)

    def __len__(self) -> int:
        return int(self.impulse_response.nsamples)


def make_coordinates(**kwds) -> np.ndarray:
    """A record array of coordinates: ``make_coordinates(azim=[...], elev=[...])``."""
    if not kwds:
        raise ValueError("make_coordinates needs at least one coordinate")
    lengths = {name: len(np.atleast_1d(values)) for name, values in kwds.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"make_coordinates: coordinates of different lengths {lengths}")
    out = np.zeros(next(iter(lengths.values())), dtype=[(name, float) for name in kwds])
    for name, values in kwds.items():
        out[name] = np.asarray(values, dtype=float)
    return out


class HRTFSet:
    """The HRTFs of many locations (usually of one subject).

    ``HRTFSet(data, samplerate, coordinates)``: ``data`` of shape ``(2, num_indices,
    num_samples)`` (left ear, right ear), ``coordinates`` a record array with one entry per
    location (see :func:`make_coordinates`).  ``hrtfset[k]`` is an :class:`HRTF`,
    ``hrtfset(azim=..., ...)`` the one at those coordinates; :meth:`subset` selects;
    ``fir_serial`` (LL...RR...) and ``fir_interleaved`` (LRLR...) are the responses for
    :class:`FIRFilterbank`, :meth:`filterbank` the filterbank itself.
    """

    def __init__(self, data: Any, samplerate: Any, coordinates: np.ndarray):
        data = np.asarray(data, dtype=float)
        if data.ndim != 3 or data.shape[0] != 2:
            raise ValueError(f"HRTFSet: data must have shape (2, num_indices, num_samples), "
                             f"got {data.shape}")
        if len(coordinates) != data.shape[1]:
            raise ValueError(f"HRTFSet: {len(coordinates)} coordinates for {data.shape[1]} "
                             f"HRTFs")
        self.data = data
        self.samplerate = samplerate
        self.coordinates = coordinates
        self.name = "HRTFSet"
        self.hrtf = [HRTF(Sound(data[0, k, :], samplerate=samplerate),
                          Sound(data[1, k, :], samplerate=samplerate))
                     for k in range(data.shape[1])]

    @property
    def num_indices(self) -> int:
        return self.data.shape[1]

    @property
    def num_samples(self) -> int:
        return self.data.shape[2]

    def __len__(self) -> int:
        return self.num_indices

    def __getitem__(self, key) -> HRTF:
        return self.hrtf[key]

    def get_index(self, **kwds) -> int:
        """The index of the HRTF at these coordinates (to 1e-10)."""
        match = np.ones(self.num_indices, dtype=bool)
        for name, value in kwds.items():
            if name not in (self.coordinates.dtype.names or ()):
                raise KeyError(f"HRTFSet has no coordinate '{name}' (coordinates: "
                               f"{', '.join(self.coordinates.dtype.names)})")
            match &= np.abs(self.coordinates[name] - value) < 1e-10
        found = np.flatnonzero(match)
        if len(found) != 1:
            raise IndexError(f"{'No' if not len(found) else 'More than one'} HRTF at "
                             f"{kwds}")
        return int(found[0])

    def __call__(self, **kwds) -> HRTF:
        return self.hrtf[self.get_index(**kwds)]

    def subset(self, condition) -> HRTFSet:
        """The HRTFs whose coordinates satisfy ``condition``: a boolean array, an array of
        indices, or a function of coordinate names (``lambda azim: azim < pi/2``), called
        on whole arrays, or location by location when that fails."""
        if callable(condition):
            names = list(inspect.signature(condition).parameters)
            columns = {n: self.coordinates[n] for n in names}
            try:
                keep = np.asarray(condition(**columns))
                if keep.shape != (self.num_indices,):
                    raise ValueError
            except Exception:  # a condition written for one location at a time
                keep = np.array([bool(condition(**{n: columns[n][k] for n in names}))
                                 for k in range(self.num_indices)])
            indices = np.flatnonzero(keep)
        else:
            condition = np.asarray(condition)
            indices = np.flatnonzero(condition) if condition.dtype == bool else condition
        out = copy(self)
        out.data = self.data[:, indices, :]
        out.coordinates = self.coordinates[indices]
        out.hrtf = [self.hrtf[k] for k in indices]
        return out

    @property
    def fir_serial(self) -> np.ndarray:
        return self.data.reshape(2 * self.num_indices, self.num_samples).copy()

    @property
    def fir_interleaved(self) -> np.ndarray:
        fir = np.empty((2 * self.num_indices, self.num_samples))
        fir[0::2] = self.data[0]
        fir[1::2] = self.data[1]
        return fir

    def filterbank(self, source: Any, interleaved: bool = False, **kwds) -> FIRFilterbank:
        """One FIR filterbank applying every HRTF: channels LL...RR... (or LRLR...)."""
        fir = self.fir_interleaved if interleaved else self.fir_serial
        return FIRFilterbank(source, fir, **kwds)


class HRTFDatabase:
    """Base of HRTF databases: ``subjects`` and ``load_subject(subject) -> HRTFSet``."""

    subjects: list[str] = []

    def load_subject(self, subject: str) -> HRTFSet:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not define load_subject")


class HeadlessDatabase(HRTFDatabase):
    """HRTFs that are pure interaural time differences: two ears ``diameter`` apart and no
    head (brian2hears' class).

    ``HeadlessDatabase(n, azim_max=pi/2, diameter=343.2 m/s * 650 us, samplerate=None)``:
    ``n`` azimuths evenly spaced in [-azim_max, azim_max] (radians), ITD
    ``diameter*sin(azim)/c`` (coordinates ``azim`` and ``itd``); or ``itd=`` an array of
    ITDs (coordinate ``itd``).  Delays are whole samples: the leading ear gets none, the
    other ``round(|itd|*samplerate)``; with ``fractional_itds=True`` each ear is delayed by
    ``delay_offset -+ itd/2`` with windowed-sinc filters (as :class:`FractionalDelay`).
    ``load_subject()`` returns the :class:`HRTFSet`.
    """

    def __init__(self, n: int | None = None, azim_max: float = np.pi / 2,
                 diameter: Any = None, itd: Any = None, samplerate: Any = None,
                 fractional_itds: bool = False):
        from sounds.defaults import default_samplerate_hz

        diameter_m = (SPEED_OF_SOUND_IN_AIR * 650e-6 if diameter is None
                      else float(np.asarray(diameter)))
        if itd is None:
            if n is None:
                raise ValueError("HeadlessDatabase: give n (number of azimuths) or itd=")
            azim = np.linspace(-azim_max, azim_max, n)
            itd_s = diameter_m * np.sin(azim) / SPEED_OF_SOUND_IN_AIR
            coordinates = make_coordinates(azim=azim, itd=itd_s)
        else:
            itd_s = np.asarray(itd, dtype=float).ravel()
            coordinates = make_coordinates(itd=itd_s)
        self.itd = itd_s
        rate = default_samplerate_hz() if samplerate is None else _rate_hz(samplerate)
        self.samplerate = samplerate if samplerate is not None else rate
        from sim.units import Hz, second

        if fractional_itds:
            # windowed-sinc delays of +-itd/2 around a common offset (FractionalDelay's)
            delays = np.hstack((itd_s / 2, -itd_s / 2))
            longest = int(np.ceil(rate * np.max(np.abs(delays))))
            length = max(2048, 2 * int(longest * 1.25) + 1)
            irs = np.array([fractional_delay_ir(d, rate, length) for d in delays])
            data = np.stack([irs[:len(itd_s)], irs[len(itd_s):]])
            self.delay_offset = (length // 2) / rate * second
        else:
            left = np.rint(np.clip(itd_s, 0, None) * rate).astype(int)
            right = np.rint(np.clip(-itd_s, 0, None) * rate).astype(int)
            data = np.zeros((2, len(itd_s), int(max(left.max(), right.max())) + 1))
            rows = np.arange(len(itd_s))
            data[0, rows, left] = 1.0
            data[1, rows, right] = 1.0

        self.hrtfset = HRTFSet(data, rate * Hz, coordinates)
        self.hrtfset.name = "ITDDatabaseSubject"
        self.subjects = ["0"]

    def load_subject(self, subject: str = "0") -> HRTFSet:
        return self.hrtfset
