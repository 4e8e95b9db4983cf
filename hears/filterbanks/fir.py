"""Finite impulse response filterbanks: direct convolution or FFT overlap-add."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.units import Quantity, second

from . import _kernels
from ._args import dimensionless, float_dtype, is_int, samplerate_hz, times_s
from ._device import DeviceStage
from .base import Filterbank, as_source, source_rate

__all__ = ["FIRFilterbank", "FractionalDelay", "fractional_delay_ir", "LinearFIRFilterbank",
           "FFTFIRFilterbank"]

#: impulse responses up to this many taps are convolved directly by default
DIRECT_MAX_TAPS = 48


class FIRFilterbank(DeviceStage, Filterbank):
    """Bank of finite impulse response filters.

    ``FIRFilterbank(source, impulse_response, use_linearfilterbank=False,
    minimum_buffer_size=None, *, method='auto', dtype=None)``

    ``impulse_response``
        A 1D array (one response applied to every channel of the source) or an array of shape
        ``(nchannels, ir_length)`` (one response per channel; the source then has one channel,
        shared, or ``nchannels``). For a multichannel Sound ``x`` of responses use
        ``np.asarray(x).T``.
    ``method``
        ``'direct'`` (time-domain convolution, compiled; best for short responses), ``'fft'``
        (overlap-add on fixed blocks, best for long ones) or ``'auto'`` (direct up to
        ``DIRECT_MAX_TAPS`` taps). ``use_linearfilterbank=True`` (brian2hears) means direct.
    ``minimum_buffer_size``
        Minimum number of samples computed at a time (see :class:`Bufferable`).

    ``device``
        ``'cpu'``, ``'cuda'`` or None (``prefs.hears.device``), as for
        :class:`LinearFilterbank`: the direct method runs on the CUDA backend (one thread per
        output sample and channel, the CPU's sum in the CPU's order: the same output bit for
        bit), with the taps and the input history on the device; the FFT method runs the same
        overlap-add with the backend's FFTs (cuFFT through CuPy: equal to the CPU's output to
        rounding), its tail on the device. PyCUDA offers no FFT: the FFT method is refused
        there when processing starts.

    Both methods carry their state (past input, or the overlap-add tail) between chunks and
    compute in a fixed order independent of the chunk sizes, so the output does not depend on
    the buffer size. The FFT method processes the source in fixed blocks of
    :attr:`block_size` samples (it reads up to one block ahead of the requested output).
    """

    def __init__(self, source: Any, impulse_response: Any, use_linearfilterbank: bool = False,
                 minimum_buffer_size: Any = None, *, method: str = "auto",
                 dtype: Any = None, device: str | None = None) -> None:
        src = as_source(source)
        ir = dimensionless(impulse_response, "impulse_response")
        if ir.ndim == 1:
            ir = ir[None, :]
            n = src.nchannels
            shared = True
        elif ir.ndim == 2:
            n = ir.shape[0]
            shared = n == 1 and src.nchannels > 1
            if shared:
                n = src.nchannels
            elif src.nchannels not in (1, n):
                raise ValueError(f"{type(self).__name__}: the source has {src.nchannels} "
                                 f"channels but impulse_response has {n} rows; give a mono "
                                 "source or one channel per impulse response")
        else:
            raise ValueError("impulse_response must be 1D or 2D (nchannels, ir_length), got "
                             f"shape {ir.shape}")
        if ir.shape[1] == 0:
            raise ValueError("impulse_response must have at least one tap")
        Filterbank.__init__(self, src)
        self.nchannels = int(n)
        self.dtype = float_dtype(dtype)
        self._shared = shared
        self._ir = np.ascontiguousarray(ir, dtype=float)
        if use_linearfilterbank:
            method = "direct"
        if method not in ("auto", "direct", "fft"):
            raise ValueError(f"method must be 'auto', 'direct' or 'fft', got {method!r}")
        ntaps = ir.shape[1]
        if method == "auto":
            method = "direct" if ntaps <= DIRECT_MAX_TAPS else "fft"
        self.method = method
        if minimum_buffer_size is not None:
            if not is_int(minimum_buffer_size) or minimum_buffer_size < 1:
                raise ValueError("minimum_buffer_size must be a positive int, got "
                                 f"{minimum_buffer_size!r}")
            self.minimum_buffer_size = int(minimum_buffer_size)
        if method == "direct":
            self._taps = np.ascontiguousarray(self._ir.T, dtype=self.dtype)  # (L, 1 or n)
        else:
            from scipy import fft

            nfft = fft.next_fast_len(max(2 * ntaps, 512) + ntaps - 1, real=True)
            self.block_size = nfft - ntaps + 1
            self._nfft = nfft
            self._H = fft.rfft(self._ir.T, n=nfft, axis=0)  # (nfft//2+1, 1 or n)
        self._reset_state()
        self.device = device

    # -- the CUDA path (DeviceStage): the direct kernel, or FFTs of the backend ---------------
    def _device_key(self) -> tuple:
        if self.method == "fft":
            return ("fft", self.nchannels, self._nfft, np.dtype(self.dtype))
        return ("direct", self.nchannels, self._taps.shape, np.dtype(self.dtype))

    def _make_device_impl(self, backend):
        if self.method == "fft":
            if backend.fft is None:
                raise NotImplementedError(
                    f"{type(self).__name__}(method='fft') on the '{backend.name}' CUDA backend: "
                    f"it has no FFT (CuPy has); give method='direct' or device='cpu'")
            host = self._ola
            return _OverlapAdd(backend.xp, backend.fft, backend.to_device(host.H),
                               backend.to_device(host.tail),
                               backend.to_device(np.ascontiguousarray(host.pending)), backend)
        from ._cuda_kernels import DeviceFIR

        impl = DeviceFIR(backend, self._taps, self.nchannels, self.dtype)
        if self._history.shape[0]:
            backend.copy_to_device(impl.history, self._history)
        return impl

    def _device_state_to_host(self, impl) -> None:
        if isinstance(impl, _OverlapAdd):
            self._ola.tail = impl.backend.to_host(impl.tail)
            self._ola.pending = impl.backend.to_host(impl.pending).astype(self.dtype)
            return
        if self._history.shape[0]:
            self._history = impl.backend.to_host(impl.history).astype(self.dtype)

    def _apply_on_device(self, impl, x):
        return impl.apply(x)

    @property
    def impulse_response(self) -> np.ndarray:
        """The impulse responses, shape ``(nchannels, ir_length)``."""
        if self._shared:
            return np.repeat(self._ir, self.nchannels, axis=0)
        return self._ir.copy()

    @property
    def length_impulse_response(self) -> int:
        """Number of taps of the impulse responses."""
        return int(self._ir.shape[1])

    def _allowed_source_channels(self, old: Any) -> tuple[int, ...]:
        return (old.nchannels,) if self._shared else (1, self.nchannels)

    def _reset_state(self) -> None:
        ntaps = self._ir.shape[1]
        self._history = np.zeros((ntaps - 1, self.nchannels), dtype=self.dtype)
        if self.method == "fft":
            from scipy import fft

            self._ola = _OverlapAdd(np, fft, self._H, np.zeros((ntaps - 1, self.nchannels)),
                                    np.zeros((0, self.nchannels), dtype=self.dtype))
        self._read = 0

    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        self._reset_state()
        self._device_reset()

    def buffer_apply(self, input: np.ndarray) -> np.ndarray:  # noqa: A002 - direct method
        if self.device == "cuda":
            return self._device_apply(input)
        self._leave_device()  # moved back to the CPU: continue from the device's history
        nt = input.shape[0]
        ntaps = self._ir.shape[1]
        ext = np.empty((ntaps - 1 + nt, self.nchannels), dtype=self.dtype)
        ext[:ntaps - 1] = self._history
        ext[ntaps - 1:] = input
        out = np.empty((nt, self.nchannels), dtype=self.dtype)
        if nt:
            _kernels.fir_direct(ext, self._taps, out)
        if ntaps > 1:
            self._history = ext[ext.shape[0] - (ntaps - 1):].copy()
        return out

    def buffer_fetch_next(self, samples: int) -> np.ndarray:
        if self.method == "direct":
            if self.device == "cuda":
                return self._device_fetch_next(samples)
            return Filterbank.buffer_fetch_next(self, samples)
        if self.device == "cuda":  # the same overlap-add with the backend's FFTs (cuFFT)
            ola = self._device_impl()
            read = self._device_input
        else:
            self._leave_device()  # moved back to the CPU: continue from the device's tail
            ola = self._ola

            def read(start: int, end: int) -> np.ndarray:
                return np.asarray(self._source.buffer_fetch(start, end), dtype=float)

        parts = [ola.pending]
        have = ola.pending.shape[0]
        while have < samples:  # fixed blocks of block_size input samples
            x = read(self._read, self._read + self.block_size).astype(np.float64, copy=False)
            self._read += self.block_size
            block = ola.block(x, self._nfft, self.nchannels, self.dtype)
            parts.append(block)
            have += block.shape[0]
        allout = parts[0] if len(parts) == 1 else ola.xp.concatenate(parts, axis=0)
        ola.pending = allout[samples:]
        return allout[:samples]


class _OverlapAdd:
    """The FFT method's running state, on the host (numpy, scipy's FFTs) or on a CUDA
    backend (its array module and FFTs): the responses' spectra ``H``, the overlap-add
    ``tail`` and the computed samples not yet handed out (``pending``)."""

    def __init__(self, xp, fft, H, tail, pending, backend=None):
        self.xp, self.fft, self.backend = xp, fft, backend
        self.H, self.tail, self.pending = H, tail, pending

    def block(self, x, nfft: int, nchannels: int, dtype):
        """The output of one input block ``x`` (float64, ``block_size`` samples)."""
        xp, fft = self.xp, self.fft
        bsize = x.shape[0]
        ntaps = self.tail.shape[0] + 1
        y = fft.irfft(fft.rfft(x, n=nfft, axis=0) * self.H, n=nfft, axis=0)
        if y.shape[1] != nchannels:
            y = xp.broadcast_to(y, (y.shape[0], nchannels))
        out = xp.array(y[:bsize])
        if ntaps > 1:
            out[:ntaps - 1] += self.tail
            self.tail = xp.array(y[bsize:bsize + ntaps - 1])
        return out.astype(dtype, copy=False)

    def reset(self) -> None:
        self.tail = self.xp.zeros(self.tail.shape, dtype=self.tail.dtype)
        self.pending = self.pending[:0]


def fractional_delay_ir(delay: Any, samplerate: Any, filter_length: int = 151) -> np.ndarray:
    """Impulse response delaying by ``filter_length//2`` samples plus ``delay`` (a time or
    seconds; may be a fraction of a sample): a Hamming-windowed sinc. An integer number of
    samples gives an exact unit impulse."""
    fs = samplerate_hz(samplerate, "samplerate")
    if not is_int(filter_length) or filter_length < 1:
        raise ValueError(f"filter_length must be a positive int, got {filter_length!r}")
    d = float(times_s(delay, "delay")) * fs
    centre = filter_length // 2
    n = np.arange(filter_length)
    if abs(round(d) - d) < 1e-10:
        return (n == centre + round(d)).astype(float)
    x = n - centre - d
    window = 0.54 - 0.46 * np.cos(2 * np.pi * (n - d + 0.5) / filter_length)
    return window * np.sinc(x)


class FractionalDelay(FIRFilterbank):
    """Delays that may be fractions of a sample, one per channel (windowed-sinc FIR filters).

    ``FractionalDelay(source, delays, filter_length=None, **args)``

    ``delays``
        Times (quantities or seconds), one per output channel; positive or negative.
    ``filter_length``
        Number of taps (odd). By default ``max(2048, 2*int(1.25*max delay in samples)+1)``,
        accurate for signals above about 20 Hz.
    ``**args``
        Passed to :class:`FIRFilterbank`.

    Every channel is delayed by :attr:`delay_offset` (``(filter_length//2)/samplerate``) plus
    its own delay, so negative delays are possible.
    """

    def __init__(self, source: Any, delays: Any, filter_length: int | None = None,
                 **args: Any) -> None:
        src = as_source(source)
        fs = source_rate(src)
        d = np.atleast_1d(times_s(delays, "delays")).astype(float)
        if d.ndim != 1:
            raise ValueError(f"delays must be a 1D array of times, got shape {d.shape}")
        maxd = int(np.ceil(np.max(np.abs(d)) * fs - 1e-9))
        if filter_length is None:
            filter_length = max(2048, 2 * int(maxd * 1.25) + 1)
        if not is_int(filter_length) or filter_length < 1:
            raise ValueError(f"filter_length must be a positive int, got {filter_length!r}")
        if filter_length // 2 <= maxd:
            raise ValueError(f"filter_length ({filter_length}) is too short for delays of up "
                             f"to {maxd} samples: it must exceed twice the largest delay")
        self.delays = d * second
        self.filter_length = int(filter_length)
        self.delay_offset = (filter_length // 2) / fs * second
        irs = np.array([fractional_delay_ir(x, fs, filter_length) for x in d])
        FIRFilterbank.__init__(self, src, irs, **args)

    @property
    def delay(self) -> Quantity:
        """Total delay of each channel: ``delay_offset + delays``."""
        return self.delay_offset + self.delays


class LinearFIRFilterbank(FIRFilterbank):
    """brian2hears' name for an FIR filterbank convolving in the time domain
    (``FIRFilterbank(..., method='direct')``)."""

    def __init__(self, source: Any, impulse_response: Any, minimum_buffer_size: Any = None,
                 **args: Any) -> None:
        FIRFilterbank.__init__(self, source, impulse_response,
                               minimum_buffer_size=minimum_buffer_size, method="direct", **args)


class FFTFIRFilterbank(FIRFilterbank):
    """brian2hears' name for an FIR filterbank convolving by FFT (overlap-add:
    ``FIRFilterbank(..., method='fft')``)."""

    def __init__(self, source: Any, impulse_response: Any, minimum_buffer_size: Any = None,
                 **args: Any) -> None:
        FIRFilterbank.__init__(self, source, impulse_response,
                               minimum_buffer_size=minimum_buffer_size, method="fft", **args)
