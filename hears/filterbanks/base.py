"""The filterbank protocol: buffered sources and the :class:`Filterbank` base class.

A *source* is anything with ``nchannels``, ``samplerate`` (Hz) and the buffered interface

``buffer_init()``
    rewind to time zero and reset any internal state;
``buffer_fetch(start, end)``
    samples ``[start, end)`` as an array of shape ``(end - start, nchannels)``.

:class:`~sounds.Sound` and :class:`~sounds.SoundFileStream` are sources (a sound file name is
opened as a ``SoundFileStream``), and so is every :class:`Filterbank`. A chain of filterbanks is
processed chunk by chunk: each filterbank asks its source(s) for the samples it needs, so a
sound of any length runs in bounded memory. Fetches are expected to move forward in time;
each filterbank keeps a cache of its latest output so that several consumers of the same
filterbank (a filterbank used in two branches of a model) each get the samples they ask for.

Arrays returned by ``buffer_fetch`` may be views of internal caches: treat them as read-only.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sim.units import Hz, Quantity, second

from ._args import is_int, nsamples, samplerate_hz

__all__ = ["Bufferable", "Filterbank", "as_source", "is_source"]

_RATE_RTOL = 1e-9


def is_source(obj: Any) -> bool:
    """Whether ``obj`` offers the buffered source interface (a Sound, a filterbank, a stream)."""
    if isinstance(obj, Bufferable):
        return True
    return all(hasattr(obj, a) for a in ("buffer_init", "buffer_fetch", "nchannels",
                                          "samplerate"))


def as_source(obj: Any, name: str = "source") -> Any:
    """Check that ``obj`` is a buffered source; a file name is opened as a SoundFileStream."""
    if isinstance(obj, (str, os.PathLike)):
        from sounds import SoundFileStream

        return SoundFileStream(obj)
    if is_source(obj):
        samplerate_hz(obj.samplerate, f"{name}.samplerate")
        n = obj.nchannels
        if not is_int(n) or n < 1:
            raise ValueError(f"{name} must have at least one channel, got nchannels={n!r}")
        return obj
    if isinstance(obj, np.ndarray):
        raise TypeError(f"{name} must be a Sound, a filterbank or a sound file, got a plain "
                        f"array of shape {obj.shape}: wrap it as Sound(array, samplerate=...)")
    raise TypeError(f"{name} must be a Sound, a filterbank, a SoundFileStream or a sound file "
                    f"name, got {type(obj).__name__}")


def source_rate(obj: Any) -> float:
    """Sample rate of a source in Hz (float)."""
    sr = getattr(obj, "_sr", None)
    if isinstance(sr, float):
        return sr
    return samplerate_hz(obj.samplerate, "source.samplerate")


def same_rate(a: float, b: float) -> bool:
    """Whether two sample rates (Hz) are equal up to rounding."""
    return abs(a - b) <= _RATE_RTOL * max(abs(a), abs(b))


class Bufferable:
    """Base of every buffered object: the output cache behind ``buffer_fetch``.

    Subclasses implement ``buffer_fetch_next(samples)``, which returns the next ``samples``
    samples of output (shape ``(samples, nchannels)``) after the previous call, and define
    ``nchannels`` and ``samplerate``. ``buffer_fetch(start, end)`` serves requests from a
    cache of recent output and calls ``buffer_fetch_next`` for what is missing. Optional
    attributes: ``minimum_buffer_size`` (``buffer_fetch_next`` is always asked for at least
    this many samples; the extra output is cached) and ``maximum_buffer_size`` (large requests
    are split into calls of at most this size, e.g. for filters updated between chunks).

    The cache is kept in ``cached_buffer_output`` (samples ``cached_buffer_start`` to
    ``cached_buffer_end``); it holds at least the last request, so every consumer that moves
    forward in steps no larger than the others finds its samples.
    """

    nchannels: int
    dtype: np.dtype = np.dtype(np.float64)

    def buffer_init(self) -> None:
        """Rewind to time zero: empty the cache (subclasses also reset their state)."""
        self.cached_buffer_output = np.zeros((0, self.nchannels), dtype=self.dtype)
        self.cached_buffer_start = 0
        self.cached_buffer_end = 0

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        """The next ``samples`` samples of output (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement buffer_fetch_next")

    def _fetch_next(self, samples: int) -> np.ndarray:
        maxsize = getattr(self, "maximum_buffer_size", None)
        if maxsize is None or samples <= maxsize:
            out = self.buffer_fetch_next(samples)
        else:
            parts = []
            done = 0
            while done < samples:
                n = min(maxsize, samples - done)
                parts.append(self.buffer_fetch_next(n))
                done += n
            out = np.concatenate(parts, axis=0)
        if out.shape != (samples, self.nchannels):
            raise RuntimeError(f"{type(self).__name__}.buffer_fetch_next({samples}) returned "
                               f"shape {out.shape}, expected {(samples, self.nchannels)}")
        return out

    def buffer_fetch(self, start: int, end: int) -> np.ndarray:
        """Output samples ``[start, end)``, shape ``(end - start, nchannels)`` (read-only).

        Raises IndexError for ``end < start``, negative indices, or samples that have already
        left the cache (fetches must move forward in time; call :meth:`buffer_init` to
        rewind).
        """
        if not hasattr(self, "cached_buffer_output"):
            self.buffer_init()
        if not (is_int(start) and is_int(end)):
            raise TypeError(f"buffer_fetch(start, end) needs int sample indices, got "
                            f"{start!r}, {end!r}")
        start = int(start)
        end = int(end)
        cs, ce = self.cached_buffer_start, self.cached_buffer_end
        if start == cs and end == ce:
            return self.cached_buffer_output
        if start < 0 or end < start:
            raise IndexError(f"{type(self).__name__}.buffer_fetch({start}, {end}): need "
                             "0 <= start <= end")
        if start < cs:
            raise IndexError(
                f"{type(self).__name__}.buffer_fetch({start}, {end}): samples before {cs} have "
                "already left the buffer (fetches must move forward in time; call "
                "buffer_init() to start again)")
        if end <= ce:
            return self.cached_buffer_output[start - cs:end - cs]
        if start == ce and end - start == ce - cs:
            # the common case: the next chunk, of the same size as the previous one
            new = self._fetch_next(end - start)
            self.cached_buffer_output = new
            self.cached_buffer_start = start
            self.cached_buffer_end = end
            return new
        samples = end - ce
        minsize = getattr(self, "minimum_buffer_size", None)
        if minsize is not None:
            samples = max(samples, int(minsize))
        new = self._fetch_next(samples)
        new_end = ce + samples
        keep_from = max(cs, min(start, new_end - (ce - cs)))
        if keep_from >= ce:
            output = new
            new_start = ce
        else:
            output = np.concatenate((self.cached_buffer_output[keep_from - cs:], new), axis=0)
            new_start = keep_from
        self.cached_buffer_output = output
        self.cached_buffer_start = new_start
        self.cached_buffer_end = new_end
        return output[start - new_start:end - new_start]


def _n_running_args(func: Callable) -> int:
    """1 for ``func(chunk)``, 2 for ``func(chunk, running_value)``: as brian2hears, any
    second positional parameter, with a default or not, means "accumulate"."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return 1
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return 2 if len(positional) >= 2 else 1


class Filterbank(Bufferable):
    """Base class of the filterbanks: a buffered source computed from one or more sources.

    ``Filterbank(source)`` takes a source (a :class:`~sounds.Sound`, another filterbank, a
    :class:`~sounds.SoundFileStream` or a sound file name) or a tuple/list of sources with
    equal channel counts and sample rates, and copies ``nchannels`` and ``samplerate`` from it.

    Attributes: ``source``, ``nchannels``, ``samplerate`` (Hz), ``duration`` (the longest
    duration of the sources, or the value it was set to), ``dtype`` (of the output samples).

    Derived classes usually override :meth:`buffer_apply` (the output for one chunk of input,
    shape ``(samples, nchannels)``), or :meth:`buffer_fetch_next` when they have several
    sources or need more control; stateful ones also extend :meth:`buffer_init`.

    Arithmetic: ``fb1 + fb2``, ``fb - 3``, ``2 * fb``, ``fb1 * fb2``, ``fb / fb2``... give new
    filterbanks (sums of filterbanks are :class:`SumFilterbank`, other combinations
    :class:`FunctionFilterbank`); the other operand is a filterbank or Sound with the same
    number of channels, a number, or an array of one value per channel.
    """

    __array_ufunc__ = None  # ``sound + fb`` must defer to Filterbank.__radd__

    def __init__(self, source: Any) -> None:
        if isinstance(source, (tuple, list)):
            if not source:
                raise ValueError(f"{type(self).__name__}: source must not be an empty sequence")
            sources = tuple(as_source(s, f"source[{i}]") for i, s in enumerate(source))
            n = sources[0].nchannels
            sr = source_rate(sources[0])
            for i, s in enumerate(sources[1:], 1):
                if s.nchannels != n:
                    raise ValueError(f"{type(self).__name__}: all sources must have the same "
                                     f"number of channels: source[0] has {n}, source[{i}] has "
                                     f"{s.nchannels}")
                if not same_rate(source_rate(s), sr):
                    raise ValueError(f"{type(self).__name__}: all sources must have the same "
                                     f"sample rate: source[0] has {sr:g} Hz, source[{i}] has "
                                     f"{source_rate(s):g} Hz")
            self._source = sources
        else:
            src = as_source(source)
            n = src.nchannels
            sr = source_rate(src)
            self._source = src
        self.nchannels = int(n)
        self._sr = float(sr)

    # -- description ------------------------------------------------------------------------
    @property
    def samplerate(self) -> Quantity:
        """Sample rate (Quantity in Hz)."""
        return self._sr * Hz

    @samplerate.setter
    def samplerate(self, value: Any) -> None:
        self._sr = samplerate_hz(value, "samplerate")

    @property
    def source(self) -> Any:
        """The source (or tuple of sources). Can be replaced by a source with the same sample
        rate and channel count (e.g. to run the same filterbank on another sound)."""
        return self._source

    @source.setter
    def source(self, value: Any) -> None:
        self.change_source(value)

    def _allowed_source_channels(self, old: Any) -> tuple[int, ...]:
        return (old.nchannels,)

    def change_source(self, source: Any) -> None:
        """Replace the source (see :attr:`source`); the filterbank is rewound on next use."""
        old = self._source
        if isinstance(old, tuple):
            if not isinstance(source, (tuple, list)) or len(source) != len(old):
                raise ValueError(f"{type(self).__name__}.source: expected a sequence of "
                                 f"{len(old)} sources")
            new = tuple(as_source(s, f"source[{i}]") for i, s in enumerate(source))
            for i, (s, o) in enumerate(zip(new, old, strict=True)):
                self._check_replacement(s, o, f"source[{i}]")
            self._source = new
        else:
            new = as_source(source)
            self._check_replacement(new, old, "source")
            self._source = new
        if hasattr(self, "cached_buffer_output"):
            del self.cached_buffer_output

    def _check_replacement(self, new: Any, old: Any, name: str) -> None:
        if not same_rate(source_rate(new), self._sr):
            raise ValueError(f"{type(self).__name__}.{name}: the new source has sample rate "
                             f"{source_rate(new):g} Hz, the filterbank runs at {self._sr:g} Hz")
        allowed = self._allowed_source_channels(old)
        if new.nchannels not in allowed:
            raise ValueError(f"{type(self).__name__}.{name}: the new source has "
                             f"{new.nchannels} channels, expected "
                             f"{' or '.join(str(a) for a in allowed)}")

    def _sources(self) -> tuple[Any, ...]:
        s = self._source
        return s if isinstance(s, tuple) else (s,)

    @property
    def duration(self) -> Quantity:
        """Duration (Quantity in seconds): as set, or the longest duration of the sources."""
        if getattr(self, "_duration", None) is not None:
            return self._duration * second
        durations = []
        for s in self._sources():
            d = getattr(s, "duration", None)
            if d is None:
                raise AttributeError(f"{type(self).__name__}: cannot tell the duration: source "
                                     f"{type(s).__name__} has none (give a duration)")
            durations.append(float(np.asarray(d)))
        return max(durations) * second

    @duration.setter
    def duration(self, value: Any) -> None:
        if value is None:
            self._duration = None
            return
        self._duration = nsamples(value, self._sr, "duration", allow_zero=True) / self._sr

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(nchannels={self.nchannels}, "
                f"samplerate={self._sr:g} Hz)")

    # -- buffering --------------------------------------------------------------------------
    def buffer_init(self) -> None:
        """Rewind to time zero: reset the cache, the state and the sources."""
        Bufferable.buffer_init(self)
        for s in self._sources():
            s.buffer_init()
        self.next_sample = 0

    def reset(self) -> None:
        """Same as :meth:`buffer_init`."""
        self.buffer_init()

    def buffer_apply(self, input: np.ndarray) -> np.ndarray:  # noqa: A002 (brian2hears name)
        """The output for one chunk of input of shape ``(samples, source channels)``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement buffer_apply")

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        """Fetch the next ``samples`` samples from the source and apply :meth:`buffer_apply`."""
        start = self.next_sample
        self.next_sample = start + samples
        return self.buffer_apply(self._source.buffer_fetch(start, start + samples))

    # -- running a whole sound --------------------------------------------------------------
    def process(self, func: Callable | None = None, duration: Any = None,
                buffersize: Any = 32) -> Any:
        """Run the filterbank from time zero, chunk by chunk.

        ``func=None``
            Return the whole output, an array of shape ``(duration in samples, nchannels)``.
            Otherwise ``func`` is called on each chunk (shape ``(samples, nchannels)``, in
            order): ``func(chunk)`` (returns nothing), or ``func(chunk, running)`` whose
            result is passed as ``running`` to the next call (0 for the first) and returned at
            the end: an online reduction in bounded memory, e.g. the running sum of squares
            for an RMS per channel::

                rms = np.sqrt(fb.process(lambda x, s: s + np.sum(x**2, axis=0)) / n)

        ``duration=None``
            How much to process: a time, an int number of samples, or a float in seconds;
            by default the filterbank's :attr:`duration`.
        ``buffersize=32``
            Chunk size (int samples or a time). The output does not depend on it.
        """
        if duration is None:
            try:
                duration = self.duration
            except AttributeError as exc:
                raise ValueError(f"process(): {exc}") from None
        n = nsamples(duration, self._sr, "duration", allow_zero=True)
        bs = nsamples(buffersize, self._sr, "buffersize")
        if func is not None and not callable(func):
            raise TypeError(f"process(): func must be callable, got {type(func).__name__}")
        self.buffer_init()
        if func is None:
            if n <= bs:
                chunk = self.buffer_fetch(0, n)
                if chunk.base is None and chunk.flags.c_contiguous:
                    return chunk
                return np.array(chunk, dtype=self.dtype, order="C")
            out = np.empty((n, self.nchannels), dtype=self.dtype)
            for start in range(0, n, bs):
                end = min(n, start + bs)
                out[start:end] = self.buffer_fetch(start, end)
            return out
        if _n_running_args(func) == 2:
            running: Any = 0
            for start in range(0, n, bs):
                running = func(self.buffer_fetch(start, min(n, start + bs)), running)
            return running
        for start in range(0, n, bs):
            func(self.buffer_fetch(start, min(n, start + bs)))
        return None

    # -- arithmetic -------------------------------------------------------------------------
    def _operand(self, other: Any, op: str) -> tuple[str, Any]:
        """Classify an arithmetic operand: ('source', src) or ('const', array)."""
        if isinstance(other, (str, os.PathLike)):
            raise TypeError(f"unsupported operand for {op}: {type(other).__name__}")
        if is_source(other):
            if other.nchannels != self.nchannels:
                raise ValueError(f"cannot combine {type(self).__name__} ({self.nchannels} "
                                 f"channels) with {type(other).__name__} ({other.nchannels} "
                                 f"channels) in '{op}': channel counts differ")
            if not same_rate(source_rate(other), self._sr):
                raise ValueError(f"cannot combine filterbanks with sample rates {self._sr:g} Hz "
                                 f"and {source_rate(other):g} Hz in '{op}'")
            return "source", other
        if isinstance(other, Quantity):
            from ._args import dimensionless

            other = dimensionless(other, f"operand of '{op}'")
        try:
            arr = np.asarray(other, dtype=float)
        except (TypeError, ValueError):
            return "none", None
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, self.nchannels)):
            raise ValueError(f"an array operand of '{op}' must hold one value per channel "
                             f"({self.nchannels}), got shape {arr.shape}")
        return "const", arr

    def _binary(self, other: Any, op: str, reflected: bool) -> Any:
        kind, val = self._operand(other, op)
        if kind == "none":
            return NotImplemented
        return _arithmetic(self, kind, val, op, reflected)

    def __add__(self, other: Any) -> Any:
        return self._binary(other, "+", False)

    def __radd__(self, other: Any) -> Any:
        return self._binary(other, "+", True)

    def __sub__(self, other: Any) -> Any:
        return self._binary(other, "-", False)

    def __rsub__(self, other: Any) -> Any:
        return self._binary(other, "-", True)

    def __mul__(self, other: Any) -> Any:
        return self._binary(other, "*", False)

    def __rmul__(self, other: Any) -> Any:
        return self._binary(other, "*", True)

    def __truediv__(self, other: Any) -> Any:
        return self._binary(other, "/", False)

    def __rtruediv__(self, other: Any) -> Any:
        return self._binary(other, "/", True)

    def __neg__(self) -> Any:
        return _arithmetic(self, "none", None, "neg", False)

    def __pos__(self) -> Filterbank:
        return self


def _no_arithmetic(*args: Any) -> Any:
    raise RuntimeError("filterbank arithmetic needs hears.filterbanks.structural imported")


#: ``f(filterbank, kind, operand, op, reflected)`` building the filterbank of ``fb op x``
#: (``kind``: 'source' or 'const'; ``op``: '+', '-', '*', '/' or 'neg'). The combining
#: filterbanks are subclasses defined in ``structural``, which registers it through
#: :func:`set_arithmetic` on import (the package imports it): the base class does not
#: import its subclasses.
_arithmetic: Callable[..., Any] = _no_arithmetic


def set_arithmetic(build: Callable[..., Any]) -> None:
    """Register the function that builds ``fb + x``, ``fb * x``, ``-fb``... (structural's)."""
    global _arithmetic
    _arithmetic = build


def check_sources(sources: Sequence[Any], name: str = "source") -> tuple[Any, ...]:
    """Validate a sequence of sources that must share a sample rate (channels may differ)."""
    srcs = tuple(as_source(s, f"{name}[{i}]") for i, s in enumerate(sources))
    if not srcs:
        raise ValueError(f"{name} must not be empty")
    sr = source_rate(srcs[0])
    for i, s in enumerate(srcs[1:], 1):
        if not same_rate(source_rate(s), sr):
            raise ValueError(f"all sources must have the same sample rate: {name}[0] has "
                             f"{sr:g} Hz, {name}[{i}] has {source_rate(s):g} Hz")
    return srcs
