"""Linear IIR filterbanks: one cascade of second-order sections per channel."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np

from . import _kernels
from ._args import float_dtype, frequencies_hz
from ._device import DeviceStage
from .base import Filterbank, as_source

__all__ = ["LinearFilterbank", "sos_to_ba"]


def sos_to_ba(sos_per_channel: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Pack per-channel SOS arrays (each ``(nsections_i, 6)``, scipy layout
    ``[b0, b1, b2, a0, a1, a2]``) into LinearFilterbank coefficients ``b``, ``a`` of shape
    ``(nchannels, 3, nsections)``; channels with fewer sections are padded with identity
    sections."""
    sos_list = [np.atleast_2d(np.asarray(s, dtype=float)) for s in sos_per_channel]
    p = max(s.shape[0] for s in sos_list)
    n = len(sos_list)
    b = np.zeros((n, 3, p))
    a = np.zeros((n, 3, p))
    b[:, 0, :] = 1.0
    a[:, 0, :] = 1.0
    for i, s in enumerate(sos_list):
        if s.shape[1] != 6:
            raise ValueError(f"second-order sections must have 6 coefficients, channel {i} has "
                             f"shape {s.shape}")
        k = s.shape[0]
        b[i, :, :k] = s[:, :3].T
        a[i, :, :k] = s[:, 3:].T
    return b, a


def _as_sections(b: Any, a: Any) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of shape (n, m) or (n, m, p) as second-order sections (n, 3, p')."""
    try:
        b = np.array(b, dtype=float)
        a = np.array(a, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("LinearFilterbank: b and a must be numeric arrays") from None
    if b.ndim == 2:
        b = b[:, :, None]
    if a.ndim == 2:
        a = a[:, :, None]
    if b.ndim != 3 or a.ndim != 3:
        raise ValueError(f"LinearFilterbank: b and a must have shape (nchannels, m) or "
                         f"(nchannels, m, nsections), got {b.shape} and {a.shape}")
    if b.shape[0] != a.shape[0] or b.shape[2] != a.shape[2]:
        raise ValueError(f"LinearFilterbank: b and a must have the same number of channels and "
                         f"sections, got shapes {b.shape} and {a.shape}")
    if b.shape[0] == 0 or b.shape[2] == 0 or b.shape[1] == 0 or a.shape[1] == 0:
        raise ValueError(f"LinearFilterbank: empty coefficients (shapes {b.shape}, {a.shape})")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(a))):
        raise ValueError("LinearFilterbank: the coefficients b and a must be finite")
    if np.any(a[:, 0, :] == 0):
        i, k = np.argwhere(a[:, 0, :] == 0)[0]
        raise ValueError(f"LinearFilterbank: a[{i}, 0, {k}] (the leading denominator "
                         "coefficient) must not be zero")
    a0 = a[:, :1, :].copy()
    b = b / a0
    a = a / a0
    m = max(b.shape[1], a.shape[1])
    if m <= 3:
        bb = np.zeros((b.shape[0], 3, b.shape[2]))
        aa = np.zeros((a.shape[0], 3, a.shape[2]))
        bb[:, :b.shape[1]] = b
        aa[:, :a.shape[1]] = a
        return bb, aa
    # High-order transfer functions are numerically fragile (their poles move far with tiny
    # coefficient errors, at low frequencies especially): factor each into 2nd-order sections.
    from scipy import signal

    per_channel = []
    for i in range(b.shape[0]):
        parts = []
        for k in range(b.shape[2]):
            bk = np.trim_zeros(b[i, :, k], "b")
            ak = np.trim_zeros(a[i, :, k], "b")
            if bk.size == 0:
                bk = np.zeros(1)
            parts.append(signal.tf2sos(bk, ak))
        per_channel.append(np.vstack(parts))
    return sos_to_ba(per_channel)


class LinearFilterbank(DeviceStage, Filterbank):
    """Bank of linear IIR filters, each a cascade of second-order sections.

    ``LinearFilterbank(source, b, a, dtype=None)``

    ``source``
        Sound, filterbank or stream with one channel (shared by every filter) or
        ``nchannels`` channels.
    ``b``, ``a``
        Coefficients of shape ``(nchannels, m)`` or ``(nchannels, m, p)``: ``p`` filters in
        cascade (``[:, :, 0]`` first), each ``(b[0] + b[1] z^-1 + ...)/(a[0] + a[1] z^-1 +
        ...)``. Sections with ``m <= 3`` run as they are; higher orders are factored into
        second-order sections (``scipy.signal.tf2sos``), because high-order transfer functions
        are numerically unstable at low centre frequencies.
    ``dtype``
        ``float64`` (default) or ``float32`` arithmetic and output.

    Each section is a transposed direct form II filter (as ``scipy.signal.sosfilt``); the
    output equals ``sosfilt`` on each channel exactly. The coefficients are in the attributes
    ``filt_b`` and ``filt_a`` (shape ``(nchannels, 3, nsections)``), which may be modified
    in place between chunks (time-varying filters); ``filt_state`` gives the state.
    The compiled kernel runs time outer, channels inner (vectorised), parallel over groups of
    channels for large banks.

    ``device``: ``'cpu'``, ``'cuda'``, or None (default: ``prefs.hears.device``, read when
    processing starts) — also settable as an attribute of any linear filterbank
    (``Gammatone(...).device = 'cuda'``). On ``'cuda'`` the cascades run on the CUDA backend
    of ``prefs.codegen.cuda_backend`` (one thread per channel, the CPU kernel's arithmetic:
    the same output bit for bit), the filter state stays on the device between chunks, and
    each chunk costs one copy to the device and one back.
    """

    # -- the CUDA path (DeviceStage) ----------------------------------------------------------
    def _device_key(self) -> tuple:
        return (self.nchannels, self.nsections, np.dtype(self.dtype))

    def _make_device_impl(self, backend):
        from ._cuda_kernels import DeviceSOS

        impl = DeviceSOS(backend, *self._device_key())
        backend.copy_to_device(impl.state, self._state)
        return impl

    def _device_state_to_host(self, impl) -> None:
        self._state[...] = impl.host_state()

    def _apply_on_device(self, impl, x):
        return impl.apply(x, self._filt_b, self._filt_a)

    def __init__(self, source: Any, b: Any, a: Any, *, dtype: Any = None,
                 device: str | None = None) -> None:
        src = as_source(source)
        fb, fa = _as_sections(b, a)
        n = fb.shape[0]
        if src.nchannels not in (1, n):
            raise ValueError(f"{type(self).__name__}: the source has {src.nchannels} channels "
                             f"but there are {n} filters; give a mono source (shared by every "
                             "filter) or one channel per filter (see RestructureFilterbank)")
        Filterbank.__init__(self, src)
        self.nchannels = n
        self.dtype = float_dtype(dtype)
        self._filt_b = np.ascontiguousarray(fb)
        self._filt_a = np.ascontiguousarray(fa)
        self._alloc_work()
        self._check_stability()
        self._on_device = None  # the cascades on a CUDA backend, once used
        self.device = device

    def _check_stability(self) -> None:
        radius = np.abs(self.poles())
        bad = np.any(radius >= 1.0, axis=1)
        if np.any(bad):
            i = int(np.argmax(bad))
            warnings.warn(f"{type(self).__name__}: unstable filter in channel {i} (a pole at "
                          f"radius {radius[i].max():.6g}, on or outside the unit circle)",
                          stacklevel=3)

    def _alloc_work(self) -> None:
        self._state = np.zeros((self._filt_b.shape[2], 2, self.nchannels), dtype=self.dtype)

    def _allowed_source_channels(self, old: Any) -> tuple[int, ...]:
        return (1, self.nchannels)

    # -- coefficients -----------------------------------------------------------------------
    @property
    def filt_b(self) -> np.ndarray:
        """Numerator coefficients, shape ``(nchannels, 3, nsections)`` (modifiable in place)."""
        return self._filt_b

    @filt_b.setter
    def filt_b(self, value: Any) -> None:
        self._set_coefficients(value, self._filt_a)

    @property
    def filt_a(self) -> np.ndarray:
        """Denominator coefficients, shape ``(nchannels, 3, nsections)``."""
        return self._filt_a

    @filt_a.setter
    def filt_a(self, value: Any) -> None:
        self._set_coefficients(self._filt_b, value)

    def _set_coefficients(self, b: Any, a: Any) -> None:
        fb, fa = _as_sections(b, a)
        if fb.shape[0] != self.nchannels:
            raise ValueError(f"{type(self).__name__}: new coefficients have {fb.shape[0]} "
                             f"channels, the filterbank has {self.nchannels}")
        resize = fb.shape[2] != self._filt_b.shape[2]
        self._filt_b = np.ascontiguousarray(fb)
        self._filt_a = np.ascontiguousarray(fa)
        if resize:
            self._alloc_work()

    @property
    def nsections(self) -> int:
        """Number of second-order sections in each channel's cascade."""
        return int(self._filt_b.shape[2])

    @property
    def filt_state(self) -> np.ndarray:
        """Current filter state ``(nchannels, 2, nsections)`` (a copy)."""
        state = self._state if self._on_device is None else self._on_device.host_state()
        return np.transpose(state, (2, 1, 0)).astype(float)

    def sos(self) -> np.ndarray:
        """The normalised sections, shape ``(nchannels, nsections, 6)`` (scipy layout)."""
        a0 = self._filt_a[:, 0:1, :]
        out = np.concatenate((self._filt_b / a0, self._filt_a / a0), axis=1)
        return np.transpose(out, (0, 2, 1)).copy()

    def poles(self) -> np.ndarray:
        """Poles of every channel's cascade (complex, shape ``(nchannels, 2*nsections)``);
        first-order sections contribute a pole at 0."""
        a = self._filt_a / self._filt_a[:, 0:1, :]
        a1 = a[:, 1, :].astype(complex)
        a2 = a[:, 2, :].astype(complex)
        disc = np.sqrt(a1 * a1 - 4 * a2)
        return np.concatenate(((-a1 + disc) / 2, (-a1 - disc) / 2), axis=1)

    def frequency_response(self, freqs: Any) -> np.ndarray:
        """Complex frequency response at ``freqs`` (Hz), shape ``(nchannels, len(freqs))``."""
        f = frequencies_hz(freqs, "freqs", allow_zero=True)
        zi = np.exp(-2j * np.pi * f / self._sr)  # z^-1
        zi2 = zi * zi
        h = np.ones((self.nchannels, f.size), dtype=complex)
        for k in range(self.nsections):
            b = self._filt_b[:, :, k]
            a = self._filt_a[:, :, k]
            num = b[:, 0:1] + b[:, 1:2] * zi + b[:, 2:3] * zi2
            den = a[:, 0:1] + a[:, 1:2] * zi + a[:, 2:3] * zi2
            h *= num / den
        return h

    def decascade(self, ncascade: int = 1) -> None:
        """brian2hears merged sections into high-order filters here; that is numerically
        unstable, so this keeps the second-order sections (and warns)."""
        warnings.warn("LinearFilterbank.decascade() is ignored: high-order filters are "
                      "numerically unstable, the filterbank keeps its second-order sections",
                      stacklevel=2)

    # -- processing -------------------------------------------------------------------------
    def buffer_init(self) -> None:
        Filterbank.buffer_init(self)
        self._state[:] = 0
        self._device_reset()

    def buffer_apply(self, input: np.ndarray) -> np.ndarray:  # noqa: A002
        if self.device == "cuda":
            return self._checked_device_apply(input)
        self._leave_device()  # moved back to the CPU: continue from the device's state
        x = np.ascontiguousarray(input, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] not in (1, self.nchannels):
            raise ValueError(f"{type(self).__name__}: input chunk of shape {x.shape}, expected "
                             f"(samples, 1) or (samples, {self.nchannels})")
        out = np.empty((x.shape[0], self.nchannels), dtype=self.dtype)
        if x.shape[0]:
            _kernels.sos_filter(x, self._filt_b, self._filt_a, self._state, out,
                                numba.get_num_threads())
        return out
