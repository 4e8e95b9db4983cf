"""The :class:`Sound` type: an array of samples that knows its sample rate.

A ``Sound`` is a ``numpy.ndarray`` subclass of shape ``(nsamples, nchannels)`` and dtype
float64, following brian2hears. Samples are plain (dimensionless) numbers; by convention they
are sound pressures in pascal, which is what the levels in dB SPL assume (re 20 uPa).

Interaction with :mod:`sim.units`: ``samplerate``, ``duration`` and ``times`` are quantities
(Hz, seconds), and durations/times may be given as quantities anywhere. The samples themselves
are not a ``Quantity``: multiplying a sound by a dimensionless quantity gives a Sound, while
combining it in arithmetic with a dimensioned quantity (``sound * (3*ms)``) raises
``DimensionMismatchError`` when the Sound is the left operand (with a quantity on the left, the
quantity's own rules apply). Multiplying a Sound by a level in dB raises :class:`dB_error`; use
``sound * gain(6*dB)`` or :meth:`Sound.atlevel`.

Arithmetic between sounds requires equal sample rates (:class:`SampleRateMismatchError`
otherwise: use :meth:`Sound.resample`) and equal lengths (:class:`SoundMismatchError`: use
:meth:`Sound.resized` or :meth:`Sound.extended`); a mono sound broadcasts against a
multichannel one. Results that keep the ``(nsamples, channels)`` shape are Sounds with the same
sample rate; reductions (``sound.mean()``, ``np.max(sound, axis=0)``), comparisons and other
shapes are plain arrays. Joining sounds (``np.concatenate``, ``np.vstack`` in time;
``np.hstack``, ``np.column_stack`` in channels; ``np.append``, ``np.block``) needs one sample
rate (:class:`SampleRateMismatchError` otherwise) and gives a Sound at that rate; ``np.stack``
and ``np.dstack`` check the rates too and give plain 3D arrays.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.units import DIMENSIONLESS, DimensionMismatchError, Hz, Quantity, second

from ._convert import (
    as_nsamples,
    as_samplerate,
    as_seconds,
    dims_of,
    is_int,
)
from .db import P0, dB_error, dB_type
from .defaults import default_samplerate_hz
from .errors import AudioDeviceError, SampleRateMismatchError, SoundMismatchError

if TYPE_CHECKING:  # pragma: no cover
    from .spectral import Spectrogram, Spectrum

__all__ = ["Sound", "play"]

# numpy functions that join arrays; with Sounds they keep (and check) the sample rate.
# np.row_stack (deprecated in numpy 2) goes through np.vstack.
_JOINING = frozenset({np.concatenate, np.hstack, np.vstack, np.stack, np.column_stack,
                      np.dstack, np.append, np.block})

Duration = Any  # a time Quantity, an int number of samples or a float in seconds
Rate = Any  # a frequency Quantity or a number in Hz


def _rebuild_sound(data: np.ndarray, samplerate: float) -> Sound:
    return Sound._wrap(np.array(data, dtype=float), samplerate)


def _first_bad_sample(x: np.ndarray) -> tuple[int, int, float]:
    i, j = np.argwhere(~np.isfinite(x))[0]
    return int(i), int(j), float(x[i, j])


def _sounds_in(obj: Any, depth: int = 0) -> Iterator[Sound]:
    """The Sounds among numpy function arguments (nested lists/tuples/dicts, as np.block)."""
    if isinstance(obj, Sound):
        yield obj
    elif depth < 32 and isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _sounds_in(item, depth + 1)
    elif depth < 32 and isinstance(obj, dict):
        for item in obj.values():
            yield from _sounds_in(item, depth + 1)


def _rates_of(sounds: Iterator[Sound], what: str) -> list[float]:
    """The one sample rate of ``sounds`` (as a list; empty if none has a rate), or raise."""
    rates = sorted({s._samplerate for s in sounds if s._samplerate is not None})
    if len(rates) > 1:
        shown = " and ".join(f"{r:g} Hz" for r in rates)
        raise SampleRateMismatchError(
            f"np.{what}: cannot combine sounds with sample rates {shown}; resample them to one "
            "rate first (sound.resample(...))")
    return rates


class Sound(np.ndarray):
    """A sound: float64 samples of shape ``(nsamples, nchannels)`` with a sample rate.

    ``Sound(data, samplerate=None, duration=None)`` where ``data`` is

    * an array (1D: one channel; 2D: ``(nsamples, nchannels)``), copied to float64;
      ``samplerate`` defaults to :func:`get_default_samplerate` (or the rate of a Sound);
    * a file name (``str`` or path): the file is loaded, see :meth:`Sound.load`;
    * a function ``f(t)`` of the times (a Quantity array in seconds), with ``duration``;
    * a list/tuple of any of those (Sounds, arrays, file names, functions): one channel each.

    Samples must be finite: NaN or infinite values raise ``ValueError`` naming the sample.
    Durations are a time quantity, an ``int`` number of samples, or a ``float`` in seconds.

    Slicing: ``sound[10*ms:20*ms]`` selects times (start included, stop excluded, rounded to
    the nearest sample); a time slice reaching outside ``[0, duration]`` is zero-padded, as in
    brian2hears. Integer slices (``sound[:100]``, ``sound[::-1]``) follow numpy. A second index
    selects channels: a slice or list keeps a Sound (``sound[:, 1:3]``), while an int gives a
    plain 1D array as in numpy (``sound[:, 0]``; unlike brian2hears, which returns a mono
    Sound: use ``sound.channel(0)``, ``sound.left`` or ``sound[:, 0:1]`` for that). Any other
    index (a single sample ``sound[5]``, boolean masks) returns a plain ndarray.
    """

    _samplerate: float | None

    # -- construction -----------------------------------------------------------------------
    def __new__(cls, data: Any, samplerate: Rate | None = None,
                duration: Duration | None = None) -> Sound:
        if isinstance(data, (str, os.PathLike)):
            if samplerate is not None or duration is not None:
                raise ValueError(f"Sound({os.fspath(data)!r}): samplerate and duration cannot be "
                                 "given when loading a file (use .resample() afterwards)")
            from .io import load_sound

            return load_sound(data)
        if isinstance(data, Sound):
            sr = data._samplerate
            if samplerate is not None:
                new_sr = as_samplerate(samplerate, "samplerate")
                if sr is not None and new_sr != sr:
                    raise SampleRateMismatchError(
                        f"Sound(data, samplerate={new_sr:g} Hz): data is a Sound at {sr:g} Hz; "
                        "use data.resample(samplerate) to change its rate")
                sr = new_sr
            if duration is not None:
                raise ValueError("Sound(data, duration=...): duration is only used with a function")
            return cls._from_array(np.asarray(data), sr if sr is not None
                                   else default_samplerate_hz())
        if callable(data) and not isinstance(data, np.ndarray):
            sr = (default_samplerate_hz() if samplerate is None
                  else as_samplerate(samplerate, "samplerate"))
            if duration is None:
                raise ValueError("Sound(function): a duration is needed to sample a function")
            n = as_nsamples(duration, sr, "duration")
            t = (np.arange(n) / sr) * second
            values = data(t)
            if dims_of(values) != DIMENSIONLESS:
                raise DimensionMismatchError(
                    f"Sound(function): the function returned values with dimensions "
                    f"{dims_of(values)}; sound samples must be dimensionless (pascal)")
            values = np.asarray(values, dtype=float)
            if values.shape[:1] != (n,):
                raise ValueError(f"Sound(function): the function returned shape {values.shape} "
                                 f"for {n} times")
            return cls._from_array(values, sr)
        if isinstance(data, (list, tuple)) and data and all(
                isinstance(c, (Sound, np.ndarray, str, os.PathLike)) or callable(c) for c in data):
            channels = [Sound(c, samplerate=samplerate, duration=duration) for c in data]
            rates = {c._samplerate for c in channels}
            if len(rates) > 1:
                raise SampleRateMismatchError(
                    "Sound([...]): the channels have different sample rates "
                    f"({', '.join(f'{r:g} Hz' for r in sorted(rates))})")
            lengths = {c.nsamples for c in channels}
            if len(lengths) > 1:
                raise SoundMismatchError(
                    "Sound([...]): the channels have different lengths "
                    f"({', '.join(str(n) for n in sorted(lengths))} samples)")
            return cls._wrap(np.hstack([np.asarray(c) for c in channels]),
                             channels[0]._samplerate)
        if duration is not None:
            raise ValueError("Sound(data, duration=...): duration is only used with a function")
        if isinstance(data, Quantity) and dims_of(data) != DIMENSIONLESS:
            raise DimensionMismatchError(
                f"Sound(data): samples must be dimensionless (pressure in pascal by convention), "
                f"got dimensions {dims_of(data)}")
        sr = (default_samplerate_hz() if samplerate is None
              else as_samplerate(samplerate, "samplerate"))
        return cls._from_array(data, sr)

    @classmethod
    def _from_array(cls, data: Any, samplerate: float) -> Sound:
        """Checked construction from array-like data (copies)."""
        try:
            arr = np.asarray(data)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Sound(data): cannot make an array of samples from {type(data)}: "
                            f"{exc}") from None
        if arr.dtype.kind == "c":
            raise TypeError("Sound(data): samples must be real, got a complex array")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"Sound(data): samples must be numbers, got dtype {arr.dtype}")
        arr = np.array(arr, dtype=np.float64, order="C")
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise ValueError(f"Sound(data): data must be 1D or 2D (nsamples, nchannels), "
                             f"got shape {arr.shape}")
        if arr.shape[1] == 0:
            raise ValueError("Sound(data): a sound needs at least one channel, got shape "
                             f"{arr.shape}")
        if not np.isfinite(arr).all():
            i, j, v = _first_bad_sample(arr)
            raise ValueError(f"Sound(data): samples must be finite, got {v} at sample {i}, "
                             f"channel {j}")
        return cls._wrap(arr, samplerate)

    @classmethod
    def _wrap(cls, arr: np.ndarray, samplerate: float | None) -> Sound:
        """Unchecked view of a 2D float64 array as a Sound (internal)."""
        obj = arr.view(cls)
        obj._samplerate = None if samplerate is None else float(samplerate)
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self._samplerate = getattr(obj, "_samplerate", None)

    def __reduce__(self):
        return (_rebuild_sound, (np.asarray(self), self._sr))

    # -- numpy protocol ---------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        sounds: list[Sound] = []
        args = [self._ufunc_operand(x, ufunc, sounds) for x in inputs]
        if out is not None:
            kwargs["out"] = tuple(self._ufunc_operand(o, ufunc, []) for o in out)
        rates = {s._samplerate for s in sounds if s._samplerate is not None}
        if len(rates) > 1:
            a, b = sorted(rates)
            raise SampleRateMismatchError(
                f"cannot combine sounds with sample rates {a:g} Hz and {b:g} Hz in "
                f"'{ufunc.__name__}'; resample one of them first (sound.resample(...))")
        if method == "__call__" and len(sounds) > 1:
            self._check_compatible(sounds, ufunc.__name__)
        if method == "__call__" and sounds:
            n, c = sounds[0].shape
            for x in args:
                if (isinstance(x, np.ndarray) and x.ndim == 1 and x.shape[0] == n and n > 1
                        and n != c):
                    raise SoundMismatchError(
                        f"a 1D array of {n} values combined with a sound of {n} samples in "
                        f"'{ufunc.__name__}' would broadcast along the channel axis; use "
                        "array[:, None] for one value per sample")
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        rate = rates.pop() if rates else None
        nsamples = sounds[0].shape[0] if sounds else None

        def wrap(r):
            if (method == "__call__" and isinstance(r, np.ndarray) and r.ndim == 2
                    and r.dtype.kind == "f" and r.shape[0] == nsamples and rate is not None):
                return Sound._wrap(r, rate)
            return r

        if isinstance(result, tuple):
            return tuple(wrap(r) for r in result)
        return wrap(result)

    @staticmethod
    def _ufunc_operand(x: Any, ufunc, sounds: list) -> Any:
        if isinstance(x, Sound):
            sounds.append(x)
            return x.view(np.ndarray)
        if isinstance(x, dB_type):
            raise dB_error(f"cannot use a level in dB ({x!r}) as a factor of a Sound in "
                           f"'{ufunc.__name__}'; use gain(level) or sound.atlevel(level)")
        if isinstance(x, Quantity):
            if dims_of(x) != DIMENSIONLESS:
                raise DimensionMismatchError(
                    f"cannot combine a Sound (dimensionless samples, pascal by convention) with a "
                    f"quantity of dimensions {dims_of(x)} in '{ufunc.__name__}'")
            return np.asarray(x)
        return x

    @staticmethod
    def _check_compatible(sounds: Sequence[Sound], what: str) -> None:
        first = sounds[0]
        for other in sounds[1:]:
            if other.shape[0] != first.shape[0]:
                raise SoundMismatchError(
                    f"cannot combine sounds of different lengths ({first.shape[0]} and "
                    f"{other.shape[0]} samples) in '{what}'; use resized() or extended()")
            c1, c2 = first.shape[1], other.shape[1]
            if c1 != c2 and 1 not in (c1, c2):
                raise SoundMismatchError(
                    f"cannot combine sounds with {c1} and {c2} channels in '{what}' (only a "
                    "mono sound broadcasts against a multichannel one)")

    def __array_function__(self, func, types, args, kwargs):
        if func in _JOINING:
            return self._join(func, types, args, kwargs)
        result = super().__array_function__(func, types, args, kwargs)
        if isinstance(result, Sound) and result.ndim == 2:
            # a Sound made from several sounds can only have one sample rate
            rates = _rates_of(_sounds_in((args, kwargs)), func.__name__)
            result._samplerate = rates[0] if rates else self._samplerate
        elif isinstance(result, Sound):
            return result.view(np.ndarray)
        return result

    def _join(self, func, types, args, kwargs):
        """``np.concatenate`` and the other joining functions on sounds (one sample rate).

        numpy returns a plain array for them (Sound has no ``__array_priority__``), which
        dropped the rate, whatever the rates of the pieces. A 2D float64 result is a Sound at
        the pieces' common rate (plain arrays among them are taken as samples at that rate);
        other results (``np.stack``'s 3D array, ``axis=None``'s 1D one) are plain arrays.
        """
        rates = _rates_of(_sounds_in((args, kwargs)), func.__name__)
        result = super().__array_function__(func, types, args, kwargs)
        if kwargs.get("out") is not None:
            return result
        if (isinstance(result, np.ndarray) and result.ndim == 2 and result.dtype == np.float64
                and rates):
            return Sound._wrap(result.view(np.ndarray), rates[0])
        if isinstance(result, Sound):
            return result.view(np.ndarray)
        return result

    def ravel(self, order: str = "C") -> np.ndarray:  # noqa: D102 - plain 1D array
        return np.asarray(self).ravel(order)

    def flatten(self, order: str = "C") -> np.ndarray:  # noqa: D102 - plain 1D array
        return np.asarray(self).flatten(order)

    def squeeze(self, axis=None) -> np.ndarray:  # noqa: D102 - plain array
        return np.asarray(self).squeeze(axis)

    # -- basic properties -------------------------------------------------------------------
    @property
    def _sr(self) -> float:
        if self._samplerate is None:
            raise ValueError("this Sound has no sample rate (it was made by a raw numpy view)")
        return self._samplerate

    @property
    def samplerate(self) -> Quantity:
        """Sample rate (Quantity in Hz)."""
        return self._sr * Hz

    @property
    def nsamples(self) -> int:
        """Number of samples (per channel)."""
        return int(self.shape[0])

    @property
    def nchannels(self) -> int:
        """Number of channels."""
        return int(self.shape[1])

    @property
    def duration(self) -> Quantity:
        """Duration (Quantity in seconds): ``nsamples / samplerate``."""
        return (self.shape[0] / self._sr) * second

    @property
    def times(self) -> Quantity:
        """Time of each sample (Quantity array in seconds), starting at 0."""
        return (np.arange(self.shape[0]) / self._sr) * second

    def channel(self, n: int) -> Sound:
        """Channel ``n`` as a mono Sound (a view: writing to it writes to this sound)."""
        if not is_int(n):
            raise TypeError(f"channel(n): n must be an int, got {n!r}")
        if not -self.shape[1] <= n < self.shape[1]:
            raise IndexError(f"channel {n} out of range for a sound with {self.shape[1]} "
                             "channel(s)")
        n = int(n) % self.shape[1]
        return np.ndarray.__getitem__(self, (slice(None), slice(n, n + 1)))

    @property
    def left(self) -> Sound:
        """The left channel (channel 0)."""
        return self.channel(0)

    @property
    def right(self) -> Sound:
        """The right channel (channel 1); needs at least two channels."""
        if self.shape[1] < 2:
            raise IndexError(f"right: a sound with {self.shape[1]} channel has no right channel")
        return self.channel(1)

    def __repr__(self) -> str:
        rate = "None" if self._samplerate is None else f"{self._samplerate!r}*Hz"
        return f"Sound({np.asarray(self)!r}, samplerate={rate})"

    def __str__(self) -> str:
        if self.ndim != 2 or self._samplerate is None:
            return str(np.asarray(self))
        return (f"Sound: {self.shape[0]} samples x {self.shape[1]} channel(s), "
                f"{self._samplerate:g} Hz, {self.shape[0] / self._samplerate:g} s")

    # -- indexing ---------------------------------------------------------------------------
    def _time_index(self, value: Any, name: str) -> int:
        return int(np.rint(as_seconds(value, name) * self._sr))

    def _resolve_time_slice(self, key: slice) -> tuple[slice, bool]:
        """Return an integer slice and whether the bounds were times."""
        bounds = [v for v in (key.start, key.stop) if v is not None]
        ints = [is_int(v) for v in bounds]
        if all(ints) and (key.step is None or is_int(key.step)):
            return key, False
        if any(ints):
            raise TypeError(f"slice bounds must be all times or all int sample indices, got "
                            f"{key.start!r}:{key.stop!r}")
        if key.step is not None:
            raise ValueError(f"a time slice cannot have a step, got step {key.step!r}")
        start = 0 if key.start is None else self._time_index(key.start, "slice start")
        stop = self.shape[0] if key.stop is None else self._time_index(key.stop, "slice stop")
        return slice(start, stop), True

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], slice):
            tkey, ckey = key
        elif isinstance(key, slice):
            tkey, ckey = key, slice(None)
        else:
            return np.asarray(self)[key]
        if self.ndim != 2:
            return np.asarray(self)[key]
        tkey, by_time = self._resolve_time_slice(tkey)
        raw = np.asarray(self)
        if by_time and (tkey.start < 0 or tkey.stop > raw.shape[0]):
            start, stop = tkey.start, max(tkey.stop, tkey.start)
            inner = raw[max(start, 0):min(stop, raw.shape[0])]
            full = np.zeros((stop - start, raw.shape[1]))
            lo = max(-start, 0)
            full[lo:lo + inner.shape[0]] = inner
            result = full[:, ckey]
        else:
            result = raw[tkey, ckey]
        if result.ndim != 2:
            return result
        return Sound._wrap(result, self._samplerate)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, Sound) and value._samplerate not in (None, self._samplerate):
            raise SampleRateMismatchError(
                f"cannot assign a sound at {value._samplerate:g} Hz into a sound at "
                f"{self._samplerate:g} Hz; resample it first")
        if isinstance(value, Quantity) and dims_of(value) != DIMENSIONLESS:
            raise DimensionMismatchError(f"cannot assign values with dimensions {dims_of(value)} "
                                         "to sound samples (dimensionless)")
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], slice):
            tkey, ckey = key
        elif isinstance(key, slice):
            tkey, ckey = key, slice(None)
        else:
            np.asarray(self)[key] = np.asarray(value)
            return
        tkey, by_time = self._resolve_time_slice(tkey)
        if by_time and (tkey.start < 0 or tkey.stop > self.shape[0]):
            raise IndexError(f"time slice [{tkey.start / self._sr:g} s, {tkey.stop / self._sr:g} "
                             f"s) reaches outside the sound (duration "
                             f"{self.shape[0] / self._sr:g} s)")
        value = np.asarray(value)
        if is_int(ckey) and value.ndim == 2 and value.shape[1] == 1:
            value = value[:, 0]
        np.asarray(self)[tkey, ckey] = value

    # -- buffered source protocol (online filterbanks) --------------------------------------
    def buffer_init(self) -> None:
        """Rewind the sequential reader used by :meth:`buffer_fetch_next`."""
        self._buffer_pos = 0

    def buffer_fetch(self, start: int, end: int) -> np.ndarray:
        """Samples ``[start, end)`` as a plain ``(end-start, nchannels)`` array.

        Samples past the end of the sound are zeros, so a filterbank can run past it.
        """
        if start < 0 or end < start:
            raise IndexError(f"buffer_fetch({start}, {end}): need 0 <= start <= end")
        raw = np.asarray(self)
        block = raw[start:end]
        if block.shape[0] < end - start:
            padded = np.zeros((end - start, raw.shape[1]))
            padded[:block.shape[0]] = block
            return padded
        return block

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        """The next ``samples`` samples after the last fetch (see :meth:`buffer_init`)."""
        start = getattr(self, "_buffer_pos", 0)
        self._buffer_pos = start + samples
        return self.buffer_fetch(start, start + samples)

    # -- levels -----------------------------------------------------------------------------
    def get_level(self, remove_dc: bool = True) -> dB_type | np.ndarray:
        """RMS level in dB SPL re 20 uPa, assuming the samples are in pascal.

        ``20*log10(rms/20e-6)`` with ``rms = sqrt(mean((x - mean(x))**2))`` per channel, as
        brian2hears computes it: a DC offset (not heard as sound pressure) does not count.
        ``remove_dc=False`` gives the RMS of the samples as they are, offset included. A
        mono sound gives a ``dB_type`` value; a multichannel sound gives a float array of
        one level (in dB) per channel. A silent (or constant) channel has level ``-inf``.
        The ``level`` property and ``set_level``/``atlevel`` use the DC-removed level.
        """
        raw = np.asarray(self)
        if raw.shape[0] == 0:
            raise ValueError("level: an empty sound (0 samples) has no level")
        if remove_dc:
            raw = raw - np.mean(raw, axis=0)
        rms = np.sqrt(np.mean(raw * raw, axis=0))
        with np.errstate(divide="ignore"):
            levels = 20.0 * np.log10(rms / P0)
        if raw.shape[1] == 1:
            return dB_type(levels[0])
        return levels

    def _target_levels(self, level: Any, name: str) -> np.ndarray:
        if isinstance(level, dB_type):
            return np.full(self.shape[1], float(level))
        if isinstance(level, (list, tuple)) and all(isinstance(v, dB_type) for v in level):
            if len(level) != self.shape[1]:
                raise ValueError(f"{name}: got {len(level)} levels for a sound with "
                                 f"{self.shape[1]} channel(s)")
            return np.array([float(v) for v in level])
        raise dB_error(f"{name}: level must be in dB (e.g. 60*dB), or a list of one dB level per "
                       f"channel, got {level!r}")

    def _gains_to(self, targets: np.ndarray, name: str) -> np.ndarray:
        current = np.asarray(self.get_level(), dtype=float).reshape(-1)
        silent = np.flatnonzero(~np.isfinite(current))
        if silent.size:
            raise ValueError(f"{name}: cannot set the level of a silent channel (channel "
                             f"{int(silent[0])} is all zeros)")
        return 10.0 ** ((targets - current) / 20.0)

    def set_level(self, level: dB_type | Sequence[dB_type]) -> None:
        """Scale this sound in place to an RMS level in dB SPL (one value or one per channel)."""
        gains = self._gains_to(self._target_levels(level, "set_level"), "set_level")
        np.asarray(self)[...] *= gains

    level = property(get_level, set_level, doc="RMS level in dB SPL re 20 uPa (get or set); "
                                               "see get_level and set_level.")

    def atlevel(self, level: dB_type | Sequence[dB_type]) -> Sound:
        """A copy of this sound scaled to the given RMS level (``60*dB``, or one per channel)."""
        out = self.copy()
        out.set_level(level)
        return out

    def get_maxlevel(self) -> dB_type:
        """The highest channel level in dB SPL (the level for a mono sound)."""
        return dB_type(np.max(np.asarray(self.get_level(), dtype=float)))

    def set_maxlevel(self, level: dB_type) -> None:
        """Scale all channels by one gain so the loudest channel is at ``level`` (in place)."""
        if not isinstance(level, dB_type):
            raise dB_error(f"maxlevel: level must be in dB (e.g. 60*dB), got {level!r}")
        current = float(self.get_maxlevel())
        if not np.isfinite(current):
            raise ValueError("maxlevel: cannot set the level of a silent sound")
        np.asarray(self)[...] *= 10.0 ** ((float(level) - current) / 20.0)

    maxlevel = property(get_maxlevel, set_maxlevel,
                        doc="The highest channel level in dB SPL (get or set; setting keeps the "
                            "level differences between channels).")

    def atmaxlevel(self, level: dB_type) -> Sound:
        """A copy whose loudest channel is at ``level``, keeping the channels' level differences.

        With ``sound.atmaxlevel(level)`` for a level below the file's full scale (a sine of
        amplitude 1 is at 90.97 dB SPL), a saved sound cannot clip.
        """
        out = self.copy()
        out.set_maxlevel(level)
        return out

    @property
    def peak(self) -> float:
        """Largest absolute sample value over all channels (pascal)."""
        raw = np.asarray(self)
        return float(np.max(np.abs(raw))) if raw.size else 0.0

    def normalized(self, peak: float = 1.0) -> Sound:
        """A copy scaled so that its largest absolute sample (over all channels) is ``peak``.

        The channels keep their relative levels. A silent sound raises ``ValueError``.
        """
        p = float(peak)
        if not np.isfinite(p) or p <= 0:
            raise ValueError(f"normalized(peak): peak must be positive and finite, got {peak!r}")
        current = self.peak
        if current == 0:
            raise ValueError("normalized(): cannot normalise a silent sound")
        return Sound._wrap(np.asarray(self) * (p / current), self._sr)

    # -- ramps ------------------------------------------------------------------------------
    def ramp(self, when: str = "onset", duration: Duration = 0.01,
             envelope: Callable[[np.ndarray], np.ndarray] | None = None,
             inplace: bool = True) -> Sound:
        """Apply an onset and/or offset ramp; returns the ramped sound.

        ``when`` is ``'onset'``, ``'offset'`` or ``'both'``; ``duration`` (default 10 ms) is the
        ramp length; ``envelope(t)`` maps ``t`` in [0, 1] to a gain rising from 0 to 1 (default
        ``sin(pi*t/2)**2``), reversed for the offset. ``inplace=True`` (brian2hears' default)
        modifies this sound; otherwise a ramped copy is returned (see :meth:`ramped`).
        """
        w = str(when).lower().strip()
        if w not in ("onset", "offset", "both"):
            raise ValueError(f"ramp(when=...): expected 'onset', 'offset' or 'both', got {when!r}")
        n = as_nsamples(duration, self._sr, "duration")
        if n > self.shape[0]:
            raise ValueError(f"ramp(duration=...): the ramp ({n} samples) is longer than the "
                             f"sound ({self.shape[0]} samples)")
        if envelope is None:
            envelope = lambda t: np.sin(np.pi * t / 2) ** 2
        gains = np.asarray(envelope(np.linspace(0.0, 1.0, n)), dtype=float).reshape(n, 1)
        target = self if inplace else self.copy()
        raw = np.asarray(target)
        if w in ("onset", "both"):
            raw[:n] *= gains
        if w in ("offset", "both"):
            raw[raw.shape[0] - n:] *= gains[::-1]
        return target

    def ramped(self, when: str = "onset", duration: Duration = 0.01,
               envelope: Callable[[np.ndarray], np.ndarray] | None = None) -> Sound:
        """A ramped copy of the sound (see :meth:`ramp`)."""
        return self.ramp(when=when, duration=duration, envelope=envelope, inplace=False)

    # -- timing -----------------------------------------------------------------------------
    def shifted(self, duration: Duration, fractional: bool = False,
                filter_length: int = 2048) -> Sound:
        """The sound delayed by ``duration`` (positive: zeros prepended, the sound gets longer;
        negative: the start is cut off).

        Without ``fractional`` the delay is rounded to whole samples. With ``fractional=True``
        the remaining fraction of a sample is applied with a Blackman-windowed sinc filter of
        ``filter_length`` taps (accurate for frequencies well inside (20 Hz, Nyquist)); the
        output then has ``nsamples + ceil(delay)`` samples.
        """
        if not fractional:
            n = as_nsamples(duration, self._sr, "duration", allow_zero=True, allow_negative=True)
            raw = np.asarray(self)
            if n >= 0:
                out = np.zeros((raw.shape[0] + n, raw.shape[1]))
                out[n:] = raw
                return Sound._wrap(out, self._sr)
            return Sound._wrap(raw[-n:].copy(), self._sr)
        delay = as_seconds(duration, "duration", self._sr) * self._sr
        whole = int(np.floor(delay))
        frac = delay - whole
        if frac < 1e-9 or frac > 1 - 1e-9:
            return self.shifted(int(round(delay)))
        if not is_int(filter_length) or filter_length < 4:
            raise ValueError(f"shifted(filter_length=...): need an int >= 4, got "
                             f"{filter_length!r}")
        from scipy.signal import fftconvolve

        half = filter_length // 2
        k = np.arange(-half, half + 1)
        taps = np.sinc(k - frac) * np.blackman(k.size + 2)[1:-1]
        raw = np.asarray(self)
        padded = np.vstack([raw, np.zeros((1, raw.shape[1]))])
        y = fftconvolve(padded, taps[:, None], axes=0)[half:half + padded.shape[0]]
        return Sound._wrap(np.ascontiguousarray(y), self._sr).shifted(whole)

    def repeat(self, n: int, axis: int | None = None) -> Any:  # type: ignore[override]
        """The sound repeated ``n`` times in a row (brian2hears; not numpy's ``repeat``).

        With an explicit ``axis`` this is numpy's element-wise ``repeat`` on the plain array.
        """
        if axis is not None:
            return np.asarray(self).repeat(n, axis)
        if not is_int(n) or n < 1:
            raise ValueError(f"repeat(n): n must be a positive int, got {n!r}")
        return Sound._wrap(np.tile(np.asarray(self), (int(n), 1)), self._sr)

    def extended(self, duration: Duration) -> Sound:
        """The sound followed by ``duration`` of silence."""
        n = as_nsamples(duration, self._sr, "duration", allow_zero=True)
        return self.resized(self.shape[0] + n)

    def resized(self, L: int) -> Sound:  # noqa: N803 (brian2hears name)
        """The sound cut or zero-padded to exactly ``L`` samples."""
        if not is_int(L) or L < 0:
            raise ValueError(f"resized(L): L must be a non-negative int number of samples, "
                             f"got {L!r}")
        raw = np.asarray(self)
        out = np.zeros((int(L), raw.shape[1]))
        m = min(int(L), raw.shape[0])
        out[:m] = raw[:m]
        return Sound._wrap(out, self._sr)

    # -- binaural ---------------------------------------------------------------------------
    def itd(self, delay: Duration, fractional: bool = False) -> Sound:
        """A stereo sound with an interaural time difference.

        A mono sound is copied to both ears; a stereo sound keeps its two channels. A positive
        ``delay`` delays the right channel (the left ear leads: the source is on the left), a
        negative one delays the left channel. Both channels are padded to the same length,
        ``nsamples + |delay|`` samples. ``fractional`` is as in :meth:`shifted`.
        """
        if self.shape[1] not in (1, 2):
            raise ValueError(f"itd(): needs a mono or stereo sound, got {self.shape[1]} channels")
        left = self.channel(0)
        right = self.channel(self.shape[1] - 1)
        d = as_seconds(delay, "delay", self._sr)
        shift = abs(d) if fractional else int(round(abs(d) * self._sr))
        if d >= 0:
            right = right.shifted(shift, fractional=fractional)
        else:
            left = left.shifted(shift, fractional=fractional)
        n = max(left.shape[0], right.shape[0])
        return Sound._wrap(np.hstack([np.asarray(left.resized(n)),
                                      np.asarray(right.resized(n))]), self._sr)

    def pan(self, position: float) -> Sound:
        """A stereo sound from a mono one with constant-power panning.

        ``position`` runs from -1 (left only) through 0 (centre: both channels at 1/sqrt(2),
        3 dB down) to +1 (right only); the total power is that of the mono sound.
        """
        if self.shape[1] != 1:
            raise ValueError(f"pan(): needs a mono sound, got {self.shape[1]} channels")
        p = float(position)
        if not -1.0 <= p <= 1.0:
            raise ValueError(f"pan(position): position must be in [-1, 1], got {position!r}")
        angle = (p + 1.0) * np.pi / 4.0
        raw = np.asarray(self)
        return Sound._wrap(np.hstack([raw * np.cos(angle), raw * np.sin(angle)]), self._sr)

    # -- resampling -------------------------------------------------------------------------
    def resample(self, samplerate: Rate) -> Sound:
        """The sound at another sample rate, with scipy's polyphase resampler.

        The ratio of the rates must be a fraction with a denominator up to 10000 (any pair
        of common audio rates is); the result has ``ceil(nsamples * new/old)`` samples.
        """
        new = as_samplerate(samplerate, "samplerate")
        old = self._sr
        if new == old:
            return self.copy()
        ratio = Fraction(new / old).limit_denominator(10000)
        if abs(old * ratio.numerator / ratio.denominator - new) > 1e-9 * new:
            raise ValueError(f"resample(samplerate): the ratio {new:g}/{old:g} Hz is not a simple "
                             "fraction (denominator <= 10000)")
        from scipy.signal import resample_poly

        y = resample_poly(np.asarray(self), ratio.numerator, ratio.denominator, axis=0)
        return Sound._wrap(np.ascontiguousarray(y, dtype=float), new)

    # -- spectra ----------------------------------------------------------------------------
    def spectrum(self, low: Rate | None = None, high: Rate | None = None,
                 log_power: bool = True, display: bool = False) -> Spectrum:
        """Power spectrum of each channel; see :func:`sounds.spectral.spectrum`."""
        from .spectral import spectrum

        return spectrum(self, low=low, high=high, log_power=log_power, display=display)

    def spectrogram(self, low: Rate | None = None, high: Rate | None = None,
                    log_power: bool = True, window: Duration = 0.02, overlap: float = 0.5,
                    display: bool = False) -> Spectrogram:
        """Short-time power spectra; see :func:`sounds.spectral.spectrogram`."""
        from .spectral import spectrogram

        return spectrogram(self, low=low, high=high, log_power=log_power, window=window,
                           overlap=overlap, display=display)

    # -- files and playback -----------------------------------------------------------------
    def save(self, filename: str | os.PathLike, normalise: bool = False,
             samplewidth: int | None = None, subtype: str | None = None) -> None:
        """Write the sound to a file (``samplewidth`` in bytes, default 2, or a libsndfile
        ``subtype`` such as ``'FLOAT'``); see :func:`sounds.io.save_sound`."""
        from .io import save_sound

        save_sound(self, filename, normalise=normalise, samplewidth=samplewidth,
                   subtype=subtype)

    @staticmethod
    def load(filename: str | os.PathLike, strict: bool = False) -> Sound:
        """Read a sound file (wav, flac, ogg, aiff, ...); ``strict=True`` refuses a truncated
        WAV file instead of warning; see :func:`sounds.io.load_sound`."""
        from .io import load_sound

        return load_sound(filename, strict=strict)

    def play(self, normalise: bool = False, sleep: bool = False) -> None:
        """Play the sound: not available in hearsim (no audio output); raises AudioDeviceError."""
        play(self, normalise=normalise, sleep=sleep)


def play(*sounds: Sound, normalise: bool = False, sleep: bool = False) -> None:
    """Play sounds one after another.

    hearsim has no audio output backend: this always raises :class:`AudioDeviceError`. Save the
    sound with :meth:`Sound.save` and play the file with another program instead.
    """
    raise AudioDeviceError("sounds.play: hearsim has no audio output; save the sound with "
                           "sound.save('file.wav') and play the file with another program")
