"""The default sample rate used when a generator is not given one (brian2hears: 44.1 kHz)."""

from __future__ import annotations

from sim.units import Hz, Quantity

from ._convert import as_samplerate

__all__ = ["get_default_samplerate", "set_default_samplerate", "get_samplerate"]

_default_samplerate = 44100.0


def get_default_samplerate() -> Quantity:
    """The sample rate (Quantity in Hz) used when ``samplerate=None``; 44.1 kHz initially."""
    return _default_samplerate * Hz


def set_default_samplerate(samplerate: Quantity | float) -> None:
    """Set the default sample rate: a frequency quantity (``48*kHz``) or a number in Hz."""
    global _default_samplerate
    _default_samplerate = as_samplerate(samplerate, "samplerate")


def get_samplerate(samplerate: Quantity | float | None) -> Quantity | float:
    """``samplerate``, or the default sample rate when it is None (brian2hears' helper)."""
    return get_default_samplerate() if samplerate is None else samplerate


def default_samplerate_hz() -> float:
    """The default sample rate as a plain float in Hz (internal helper)."""
    return _default_samplerate
