"""Filterbanks that can run on a CUDA device: the part every such filterbank shares.

A :class:`DeviceStage` filterbank has a ``device`` (``'cpu'``, ``'cuda'``, or None for
``prefs.hears.device``).  On ``'cuda'`` its chunks are device arrays of the CUDA backend
(``sim.codegen.cuda_runtime``): it reads its input through the source's ``device_fetch``
when the source runs on the same backend (the source's cached chunk, no copy), or copies
the host chunk over; its own ``device_fetch`` hands its output to a following device stage,
and ``buffer_fetch`` gives host arrays to everything on the CPU side.  A chain of device
stages therefore costs one copy in and one out per chunk.  The state lives on the device
between chunks and moves back to the host when the filterbank is set to ``'cpu'``
mid-stream (the output continues exactly).

A subclass provides ``_make_device_impl(backend)`` (its kernels and device state, from the
host state), ``_device_state_to_host(impl)`` and ``_apply_on_device(impl, x)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["DeviceStage"]


class DeviceStage:
    """Mixin of the filterbanks with a CUDA path (see the module docstring)."""

    _device: str | None = None
    _on_device: Any = None  # the subclass's device implementation, once used

    @property
    def device(self) -> str:
        """Where the filterbank runs: ``'cpu'`` or ``'cuda'``."""
        if self._device is not None:
            return self._device
        from sim.prefs import prefs

        return prefs.hears.device

    @device.setter
    def device(self, value: str | None) -> None:
        if value not in (None, "cpu", "cuda"):
            raise ValueError(f"{type(self).__name__}: device must be 'cpu', 'cuda' or None "
                             f"(prefs.hears.device), got {value!r}")
        cached = getattr(self, "cached_buffer_output", None)
        if value != "cuda" and self._on_device is not None and cached is not None:
            self.cached_buffer_output = self._on_device.backend.to_host(cached)
        elif value == "cuda" and cached is not None and len(cached):
            backend = _backend()
            if not backend.is_device_array(cached):
                self.cached_buffer_output = backend.to_device(np.ascontiguousarray(cached))
        self._device = value  # (a state on the device moves back at the next CPU chunk)

    def _device_impl(self):
        """The device implementation, made from the host state on first use (or remade when
        it no longer fits: ``_device_key()`` changed)."""
        impl = self._on_device
        key = self._device_key()  # (raises for what cannot run on the device)
        if impl is None or getattr(impl, "_key", None) != key:
            # (a changed shape resets the host state too: nothing to carry over)
            impl = self._make_device_impl(_backend())
            impl._key = key
            self._on_device = impl
        return impl

    def _leave_device(self) -> None:
        """Bring the state back to the host (the filterbank now runs on the CPU)."""
        if self._on_device is not None:
            self._device_state_to_host(self._on_device)
            self._on_device = None

    def _device_reset(self) -> None:
        """``buffer_init``'s part: zero the device state, or forget it on the CPU."""
        if self.device == "cuda":
            self._device_impl().reset()
        else:
            self._on_device = None

    # -- chunks -----------------------------------------------------------------------------
    def _device_fetch_next(self, samples: int):
        """``buffer_fetch_next`` on the device: the next input chunk through the kernels."""
        start = self.next_sample
        self.next_sample = start + samples
        return self.buffer_apply(self._device_input(start, start + samples))

    def _device_input(self, start: int, end: int, source: Any = None):
        """Input samples ``[start, end)`` of the source (or of ``source``, one of several)
        as a device array."""
        source = self._source if source is None else source
        backend = self._device_impl().backend
        fetch = getattr(source, "device_fetch", None)
        x = fetch(start, end, backend) if fetch is not None else None
        if x is None:  # a CPU source: one copy of the chunk to the device
            x = backend.to_device(np.ascontiguousarray(source.buffer_fetch(start, end),
                                                       dtype=getattr(source, "dtype",
                                                                     self.dtype)))
        return x

    def device_fetch(self, start: int, end: int, backend):
        """Output samples ``[start, end)`` as a device array of ``backend`` when this
        filterbank runs there (for a device stage that follows it), else None."""
        if self.device != "cuda" or self._device_impl().backend is not backend:
            return None
        from .base import Filterbank

        return Filterbank.buffer_fetch(self, start, end)

    def buffer_fetch(self, start: int, end: int) -> np.ndarray:
        from .base import Filterbank

        out = Filterbank.buffer_fetch(self, start, end)
        if self.device == "cuda":
            return self._on_device.backend.to_host(out)  # the CPU side gets host arrays
        return out

    def buffer_fetch_next(self, samples: int):
        """The next chunk: through the device kernels on ``'cuda'``, else the CPU's way."""
        if self.device != "cuda":
            from .base import Filterbank

            return Filterbank.buffer_fetch_next(self, samples)
        return self._device_fetch_next(samples)

    def _checked_device_apply(self, input: Any):  # noqa: A002
        """``buffer_apply`` on the device: a chunk of one channel or of ``nchannels``."""
        if input.ndim != 2 or input.shape[1] not in (1, self.nchannels):
            raise ValueError(f"{type(self).__name__}: input chunk of shape {input.shape}, "
                             f"expected (samples, 1) or (samples, {self.nchannels})")
        return self._device_apply(input)

    def _device_apply(self, input: Any):  # noqa: A002
        impl = self._device_impl()
        if not impl.backend.is_device_array(input):  # called directly with a host chunk
            input = impl.backend.to_device(np.ascontiguousarray(input))
        return self._apply_on_device(impl, input)


def _backend():
    from sim.codegen.cuda_runtime import get_backend

    return get_backend()


class StatelessOnDevice:
    """The device implementation of a filterbank without state (a function of its input)."""

    def __init__(self, backend):
        self.backend = backend

    def reset(self) -> None:
        pass
