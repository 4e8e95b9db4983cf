"""Nonlinear and structural filterbanks: functions of the output, sums, channel restructuring,
compound filterbanks and control paths."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._args import dimensionless, is_int, nsamples
from ._device import DeviceStage, StatelessOnDevice
from .base import (
    Filterbank,
    as_source,
    check_sources,
    is_source,
    set_arithmetic,
    source_rate,
)

__all__ = [
    "RestructureFilterbank",
    "Repeat",
    "Tile",
    "Join",
    "Interleave",
    "FunctionFilterbank",
    "SumFilterbank",
    "DoNothingFilterbank",
    "CombinedFilterbank",
    "ControlFilterbank",
]


def _flatten_sources(sources: Sequence[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for s in sources:
        if is_source(s):
            out.append(s)
        elif isinstance(s, (list, tuple)):
            out.extend(s)
        else:
            out.append(s)  # as_source gives the error
    return tuple(out)


def _func_name(func: Callable) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    return str(name) if name is not None else f"a {type(func).__name__} object"


def _broadcast_output(result: Any, samples: int, nchannels: int, func: Callable) -> np.ndarray:
    """A function's result for a chunk as an array of shape ``(samples, nchannels)``.

    Accepts what broadcasts to that shape under numpy's rules (brian2hears assigns the result
    into its float buffer), plus ``(samples,)`` for one channel; quantities give their SI
    values, ints and bools floats."""
    target = (samples, nchannels)
    try:
        out = np.asarray(result)
    except Exception as e:  # noqa: BLE001 - reported with the function's name
        raise TypeError(f"FunctionFilterbank: func {_func_name(func)} returned "
                        f"{type(result).__name__}, which is not an array ({e})") from None
    if out.shape == target and out.dtype.kind in "fc":
        return out
    if out.dtype.kind in "biu":
        out = out.astype(np.float64)
    elif out.dtype.kind not in "fc":
        raise TypeError(f"FunctionFilterbank: func {_func_name(func)} returned an array of "
                        f"dtype {out.dtype}; expected numbers")
    while out.ndim > 2 and out.shape[0] == 1:  # leading length-1 axes, as numpy assignment
        out = out[0]
    if out.ndim == 1 and out.shape[0] == samples and nchannels == 1:
        out = out.reshape(samples, 1)
    try:
        ok = out.ndim <= 2 and np.broadcast_shapes(out.shape, target) == target
    except ValueError:
        ok = False
    if not ok:
        hint = ""
        if out.ndim == 1 and out.shape[0] == samples:
            hint = f" (for one value per sample return shape {(samples, 1)})"
        raise ValueError(f"FunctionFilterbank: func {_func_name(func)} returned shape "
                         f"{np.shape(result)} for a chunk of {samples} samples, which does not "
                         f"broadcast to {target}{hint}; it may return a scalar, one value per "
                         f"channel {(nchannels,)}, one per sample {(samples, 1)} or "
                         f"{target} (set nchannels= if the function changes the number of "
                         "channels)")
    return np.array(np.broadcast_to(out, target))


class RestructureFilterbank(DeviceStage, Filterbank):
    """Repeat, join, interleave and tile the channels of one or more sources.

    ``RestructureFilterbank(source, numrepeat=1, type='serial', numtile=1, indexmapping=None)``

    ``source``
        A source or a tuple of sources (same sample rate).
    ``numrepeat``
        Each channel of each source is repeated this many times first (``AB`` -> ``AABB``).
    ``type``
        How the sources are joined: ``'serial'`` (``AB`` and ``CD`` -> ``ABCD``) or
        ``'interleave'`` (-> ``ACBD``; the sources must have equal channel counts).
    ``numtile``
        The joined channels are then tiled this many times (``ABC`` -> ``ABCABC``).
    ``indexmapping``
        Instead of the above, output channel ``i`` is input channel ``indexmapping[i]``,
        counting the channels of all sources in order.
    """

    def __init__(self, source: Any, numrepeat: int = 1, type: str = "serial",  # noqa: A002
                 numtile: int = 1, indexmapping: Any = None) -> None:
        sources = check_sources(source if isinstance(source, (tuple, list)) else (source,))
        counts = [s.nchannels for s in sources]
        total = sum(counts)
        if indexmapping is None:
            for name, v in (("numrepeat", numrepeat), ("numtile", numtile)):
                if not is_int(v) or v < 1:
                    raise ValueError(f"{name} must be a positive int, got {v!r}")
            offsets = np.concatenate(([0], np.cumsum(counts)))
            blocks = [np.repeat(np.arange(offsets[i], offsets[i + 1]), numrepeat)
                      for i in range(len(sources))]
            if type == "serial":
                mapping = np.concatenate(blocks)
            elif type == "interleave":
                if len(set(counts)) != 1:
                    raise ValueError("RestructureFilterbank: interleaving needs sources with equal "
                                     f"channel counts, got {counts}")
                mapping = np.stack(blocks, axis=1).ravel()
            else:
                raise ValueError(f"type must be 'serial' or 'interleave', got {type!r}")
            mapping = np.tile(mapping, numtile)
        else:
            mapping = np.asarray(indexmapping)
            if mapping.ndim != 1 or mapping.size == 0 or mapping.dtype.kind not in "iu":
                raise ValueError("indexmapping must be a non-empty 1D array of int channel "
                                 f"indices, got {indexmapping!r}")
            if mapping.min() < 0 or mapping.max() >= total:
                raise ValueError(f"indexmapping values must lie in [0, {total}) (the sources "
                                 f"have {total} channels in all), got {mapping.min()} to "
                                 f"{mapping.max()}")
        self._source = sources
        self._sr = source_rate(sources[0])
        self.indexmapping = mapping.astype(np.intp)
        self.nchannels = int(mapping.size)
        self.dtype = np.result_type(*[getattr(s, "dtype", np.float64) for s in sources])
        self._offsets = np.concatenate(([0], np.cumsum(counts)))

    def _check_replacement(self, new: Any, old: Any, name: str) -> None:
        if new.nchannels != old.nchannels:
            raise ValueError(f"{type(self).__name__}.{name}: the new source has "
                             f"{new.nchannels} channels, expected {old.nchannels}")
        Filterbank._check_replacement(self, new, old, name)

    def change_source(self, source: Any) -> None:
        if not isinstance(source, (tuple, list)):
            source = (source,)
        Filterbank.change_source(self, tuple(source))

    # -- the CUDA path (DeviceStage; ``device`` an attribute, default prefs.hears.device) ----
    def _device_key(self) -> tuple:
        return ("restructure", self.indexmapping.tobytes())

    def _make_device_impl(self, backend):
        impl = StatelessOnDevice(backend)
        impl.mapping = backend.to_device(self.indexmapping.astype(np.int64))
        return impl

    def _device_state_to_host(self, impl) -> None:
        pass

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        self._device_reset()

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        start = self.next_sample
        self.next_sample = start + samples
        if self.device == "cuda":  # gathered on the device (CuPy's hstack and indexing)
            impl = self._device_impl()
            inputs = [self._device_input(start, start + samples, s) for s in self._source]
            x = inputs[0] if len(inputs) == 1 else np.hstack(inputs)
            return x[:, impl.mapping]
        self._on_device = None
        inputs = [s.buffer_fetch(start, start + samples) for s in self._source]
        x = inputs[0] if len(inputs) == 1 else np.hstack(inputs)
        return x[:, self.indexmapping]


class Repeat(RestructureFilterbank):
    """Repeat each channel ``numrepeat`` times: ``ABC`` -> ``AAABBBCCC`` for 3."""

    def __init__(self, source: Any, numrepeat: int) -> None:
        RestructureFilterbank.__init__(self, source, numrepeat=numrepeat)


class Tile(RestructureFilterbank):
    """Tile the channels ``numtile`` times: ``ABC`` -> ``ABCABCABC`` for 3."""

    def __init__(self, source: Any, numtile: int) -> None:
        RestructureFilterbank.__init__(self, source, numtile=numtile)


class Join(RestructureFilterbank):
    """Join the channels of several sources in series: ``AB``, ``CD`` -> ``ABCD``.
    ``Join(a, b, c)`` or ``Join([a, b, c])``."""

    def __init__(self, *sources: Any) -> None:
        RestructureFilterbank.__init__(self, _flatten_sources(sources), type="serial")


class Interleave(RestructureFilterbank):
    """Interleave the channels of sources with equal channel counts: ``AB``, ``CD`` ->
    ``ACBD``. ``Interleave(a, b)`` or ``Interleave([a, b])``."""

    def __init__(self, *sources: Any) -> None:
        RestructureFilterbank.__init__(self, _flatten_sources(sources), type="interleave")


class FunctionFilterbank(DeviceStage, Filterbank):
    """Apply a function to each chunk of one or more sources.

    ``FunctionFilterbank(source, func, nchannels=None, **params)``

    ``func(*inputs, **params)`` receives one array of shape ``(samples, channels)`` per source
    and returns an array of shape ``(samples, nchannels)``; it must work element-wise in time
    (each output sample may only depend on the input samples at that time), e.g. half-wave
    rectification and compression::

        FunctionFilterbank(gfb, lambda x: np.cbrt(np.maximum(x, 0.0)))

    The function runs in Python on each chunk, so its cost is numpy's: prefer the
    dedicated ufunc to the general one where there is one. ``np.cbrt(y)`` is the same
    function as ``y ** (1/3)`` for ``y >= 0`` but about 4x cheaper (3000 channels at
    44.1 kHz: 0.58 s per second of sound against 2.3 s, measured in issue 19), and
    ``np.maximum(x, 0.0)`` is cheaper than ``np.clip(x, 0, np.inf)``.

    ``nchannels`` is needed when the function changes the number of channels. Several
    sources must have equal channel counts and sample rates.

    As in brian2hears (which assigns the result into the ``(samples, nchannels)`` chunk), the
    result may be anything that broadcasts to that shape: a scalar (one value held over the
    whole chunk, e.g. a control signal computed once per chunk), one value per channel
    (``(nchannels,)`` or ``(1, nchannels)``) or one per sample (``(samples, 1)``; also
    ``(samples,)`` when there is one channel). A 1D result of length ``nchannels`` is one
    value per channel, whatever the chunk length; one value per sample repeated in several
    channels warns once (it is also what a function that reduces the channels to one gives
    when ``nchannels=1`` was forgotten). Quantities are taken in SI units (a
    frequency in Hz), as brian2hears' float buffers do; int and bool results become floats.
    Anything else raises a ``ValueError`` naming the function and both shapes.

    ``device`` (an attribute, default ``prefs.hears.device``; ``**params`` go to the
    function): on ``'cuda'`` the function receives device arrays (CuPy's, which numpy's
    functions accept through numpy's dispatch protocols), read from device sources without
    a copy, and its result stays on the device for a following device stage. A result of
    another shape than ``(samples, nchannels)`` is checked and broadcast on the host.
    """

    # -- the CUDA path (DeviceStage): no state ------------------------------------------------
    def _device_key(self) -> tuple:
        return ("function",)

    def _make_device_impl(self, backend):
        return StatelessOnDevice(backend)

    def _device_state_to_host(self, impl) -> None:
        pass

    def __init__(self, source: Any, func: Callable, nchannels: int | None = None,
                 **params: Any) -> None:
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        if not isinstance(source, (tuple, list)):
            source = (source,)
        Filterbank.__init__(self, tuple(source))
        self.func = func
        self.params = params
        if nchannels is not None:
            if not is_int(nchannels) or nchannels < 1:
                raise ValueError(f"nchannels must be a positive int, got {nchannels!r}")
            self.nchannels = int(nchannels)
        self.dtype = np.result_type(*[getattr(s, "dtype", np.float64) for s in self._source])

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        self._device_reset()

    def _device_chunk(self, start: int, samples: int):
        backend = self._device_impl().backend
        inputs = [self._device_input(start, start + samples, s) for s in self._source]
        result = self.func(*inputs, **self.params)
        if (backend.is_device_array(result) and tuple(result.shape) == (samples, self.nchannels)
                and result.dtype.kind in "fc"):
            return result
        # another shape (a scalar, one value per channel...): checked and broadcast as on the
        # CPU, then sent back (one copy each way)
        host = backend.to_host(result) if backend.is_device_array(result) else result
        return backend.to_device(_broadcast_output(host, samples, self.nchannels, self.func))

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        start = self.next_sample
        self.next_sample = start + samples
        if self.device == "cuda":
            return self._device_chunk(start, samples)
        self._on_device = None
        inputs = [s.buffer_fetch(start, start + samples) for s in self._source]
        result = self.func(*inputs, **self.params)
        out = _broadcast_output(result, samples, self.nchannels, self.func)
        shape = np.shape(result)
        if (self.nchannels > 1 and samples > 1 and shape[-2:] == (samples, 1)
                and not getattr(self, "_warned_per_sample", False)):
            self._warned_per_sample = True
            warnings.warn(f"FunctionFilterbank: func {_func_name(self.func)} returned one value "
                          f"per sample (shape {shape}); it is repeated in all {self.nchannels} "
                          "channels, as brian2hears does (set nchannels=1 if the function "
                          "reduces the channels to one)", UserWarning, stacklevel=4)
        return out


class SumFilterbank(FunctionFilterbank):
    """Weighted sum of sources with equal channel counts.

    ``SumFilterbank((fb1, fb2))`` is ``fb1 + fb2``; ``SumFilterbank((fb1, fb2), (1, -1))`` is
    ``fb1 - fb2``. ``weights`` (one per source) may be scalars or per-channel arrays.
    """

    def __init__(self, source: Sequence[Any], weights: Any = None) -> None:
        if not isinstance(source, (tuple, list)) or not source:
            raise TypeError("SumFilterbank: source must be a non-empty tuple of sources")
        if weights is None:
            weights = [1.0] * len(source)
        if len(weights) != len(source):
            raise ValueError(f"SumFilterbank: {len(weights)} weights for {len(source)} sources")
        w = [dimensionless(x, f"weights[{i}]") for i, x in enumerate(weights)]
        self.weights = w

        def weighted_sum(*inputs: np.ndarray) -> np.ndarray:
            total = inputs[0] * w[0]
            for x, wi in zip(inputs[1:], w[1:], strict=True):
                total = total + x * wi
            return total

        FunctionFilterbank.__init__(self, tuple(source), weighted_sum)


def _arithmetic(fb: Filterbank, kind: str, val: Any, op: str, reflected: bool) -> Filterbank:
    """The filterbank of ``fb op val`` (``val op fb`` when reflected), or of ``-fb``."""
    if op == "neg":
        return FunctionFilterbank(fb, np.negative)
    if kind == "source":
        first, second_ = (val, fb) if reflected else (fb, val)
        if op == "+":
            return SumFilterbank((first, second_))
        if op == "-":
            return SumFilterbank((first, second_), (1, -1))
        if op == "*":
            return FunctionFilterbank((first, second_), np.multiply)
        return FunctionFilterbank((first, second_), np.divide)
    c = val
    if op == "+":
        return FunctionFilterbank(fb, lambda x: x + c.astype(x.dtype))
    if op == "-":
        if reflected:
            return FunctionFilterbank(fb, lambda x: c.astype(x.dtype) - x)
        return FunctionFilterbank(fb, lambda x: x - c.astype(x.dtype))
    if op == "*":
        return FunctionFilterbank(fb, lambda x: x * c.astype(x.dtype))
    if reflected:
        return FunctionFilterbank(fb, lambda x: c.astype(x.dtype) / x)
    return FunctionFilterbank(fb, lambda x: x / c.astype(x.dtype))


set_arithmetic(_arithmetic)


class DoNothingFilterbank(Filterbank):
    """Pass the source through unchanged (a placeholder, or the input of a compound
    filterbank)."""

    def __init__(self, source: Any) -> None:
        Filterbank.__init__(self, source)
        self.dtype = np.dtype(getattr(self._source, "dtype", np.float64))

    def buffer_apply(self, input: np.ndarray) -> np.ndarray:  # noqa: A002
        return input


class CombinedFilterbank(Filterbank):
    """A chain of filterbanks wrapped as one filterbank.

    In a derived class's ``__init__``::

        CombinedFilterbank.__init__(self, source)
        source = self.get_modified_source()
        ...  # build the chain on source
        self.set_output(last_filterbank)

    Changing :attr:`source` later re-routes the whole chain.
    """

    def __init__(self, source: Any) -> None:
        Filterbank.__init__(self, source)
        self._modified_source: DoNothingFilterbank | None = None
        self.output: Any = None

    def get_modified_source(self) -> DoNothingFilterbank:
        """The source to build the internal chain on."""
        if self._modified_source is None:
            self._modified_source = DoNothingFilterbank(self._source)
        return self._modified_source

    def set_output(self, output: Any) -> None:
        """Set the last filterbank of the internal chain."""
        out = as_source(output, "output")
        self.output = out
        self.nchannels = int(out.nchannels)
        self.dtype = np.dtype(getattr(out, "dtype", np.float64))

    def change_source(self, source: Any) -> None:
        Filterbank.change_source(self, source)
        if self._modified_source is not None:
            self._modified_source.change_source(self._source)

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        if self.output is None:
            raise RuntimeError(f"{type(self).__name__}: set_output() was never called")
        self.output.buffer_init()

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        start = self.next_sample
        self.next_sample = start + samples
        return self.output.buffer_fetch(start, start + samples)


class ControlFilterbank(Filterbank):
    """Update filterbanks at run time from the output of other filterbanks (a control path).

    ``ControlFilterbank(source, inputs, targets, updater, max_interval=None)``

    ``source``
        Its output is this filterbank's output, unchanged. Put the controller last in the
        chain.
    ``inputs``
        A filterbank or sequence of filterbanks whose output chunks are passed to the updater.
    ``targets``
        The filterbank(s) the updater modifies (e.g. coefficients ``filt_b``, ``filt_a`` of a
        :class:`LinearFilterbank`).
    ``updater``
        ``updater(*input_chunks)``, called once per chunk after the source's chunk was
        computed; a callable object may define ``reinit()``, called by ``buffer_init()``.
    ``max_interval``
        If given (a time or int samples), chunks of the inputs, targets and this filterbank
        are at most this long, so the updates happen at least this often.
    """

    def __init__(self, source: Any, inputs: Any, targets: Any, updater: Callable,
                 max_interval: Any = None) -> None:
        Filterbank.__init__(self, source)
        self.dtype = np.dtype(getattr(self._source, "dtype", np.float64))
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        targets = list(targets) if isinstance(targets, (list, tuple)) else [targets]
        self.inputs = [as_source(x, f"inputs[{i}]") for i, x in enumerate(inputs)]
        self.targets = targets
        if not callable(updater):
            raise TypeError(f"updater must be callable, got {type(updater).__name__}")
        self.updater = updater
        if max_interval is not None:
            m = nsamples(max_interval, self._sr, "max_interval")
            for x in [*self.inputs, *self.targets, self]:
                x.maximum_buffer_size = m

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        for x in self.inputs:
            x.buffer_init()
        reinit = getattr(self.updater, "reinit", None)
        if callable(reinit):
            reinit()

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        start = self.next_sample
        self.next_sample = start + samples
        out = self._source.buffer_fetch(start, start + samples)
        chunks = [x.buffer_fetch(start, start + samples) for x in self.inputs]
        self.updater(*chunks)
        return out
