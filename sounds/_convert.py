"""Argument conversion: quantities or plain numbers to plain floats / sample counts.

Conventions (shared by every function of :mod:`sounds`):

* **Durations** are a time quantity (``10*ms``), a Python/numpy **int** = a number of samples
  (brian2hears' convention), or a **float** = seconds. So ``tone(1*kHz, 441)`` is 441 samples
  and ``tone(1*kHz, 0.01)`` is 10 ms. Times are converted to samples by rounding.
* **Sample rates and frequencies** are a frequency quantity (``44.1*kHz``) or a plain number
  in Hz.
* A quantity of the wrong dimension raises :class:`sim.units.DimensionMismatchError` naming the
  argument; a dimensionless quantity is treated as the plain number it holds.
"""

from __future__ import annotations

import numbers

import numpy as np

from sim.units import DIMENSIONLESS, DimensionMismatchError, Hz, Quantity, get_dimensions, second

_TIME = second.dim
_FREQ = Hz.dim


def dims_of(value: object):
    """Dimensions of ``value``: DIMENSIONLESS for anything that is not a Quantity."""
    if isinstance(value, Quantity):
        return get_dimensions(value)
    return DIMENSIONLESS


def _check_dim(value: object, dim, name: str, what: str) -> None:
    d = dims_of(value)
    if d != dim and d != DIMENSIONLESS:
        raise DimensionMismatchError(f"{name} must be {what}, got {value!r} "
                                     f"with dimensions {d}")


def _reject_bool(value: object, name: str) -> None:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number or quantity, not a bool ({value!r})")


def is_int(value: object) -> bool:
    """True for Python and numpy integers (not bools, not quantities)."""
    return (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
            and not isinstance(value, Quantity))


def as_samplerate(value: object, name: str = "samplerate") -> float:
    """A sample rate in Hz as a positive finite float."""
    _reject_bool(value, name)
    _check_dim(value, _FREQ, name, "a frequency (e.g. 44.1*kHz) or a number in Hz")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a frequency or a number in Hz, got {value!r}") from None
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    sr = float(arr)
    if not np.isfinite(sr) or sr <= 0:
        raise ValueError(f"{name} must be positive and finite, got {sr!r} Hz")
    return sr


def as_seconds(value: object, name: str, samplerate: float | None = None) -> float:
    """A duration or time in seconds (int = samples, needs ``samplerate``)."""
    _reject_bool(value, name)
    if is_int(value):
        if samplerate is None:
            raise TypeError(f"{name}: an int means a number of samples, which needs a sample rate")
        return int(value) / samplerate
    _check_dim(value, _TIME, name, "a time (e.g. 10*ms), an int number of samples or "
                                   "a float in seconds")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a time, an int number of samples or a float in seconds, "
                        f"got {value!r}") from None
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    t = float(arr)
    if not np.isfinite(t):
        raise ValueError(f"{name} must be finite, got {t!r}")
    return t


def as_nsamples(value: object, samplerate: float, name: str = "duration", *,
                allow_zero: bool = False, allow_negative: bool = False) -> int:
    """A duration as an int number of samples (int = samples; time/float rounded)."""
    if is_int(value):
        n = int(value)
    else:
        t = as_seconds(value, name, samplerate)
        n = int(np.rint(t * samplerate))
        if t != 0 and n == 0 and not allow_zero:
            raise ValueError(f"{name} ({t!r} s) is shorter than one sample at {samplerate:g} Hz")
    if n < 0 and not allow_negative:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    if n == 0 and not allow_zero:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return n


def as_frequencies(value: object, name: str = "frequency") -> np.ndarray:
    """Frequencies in Hz as a 1D float array (scalar, list/tuple of quantities, or array)."""
    if isinstance(value, (list, tuple)):
        parts = [as_frequencies(v, f"{name}[{i}]") for i, v in enumerate(value)]
        if not parts:
            raise ValueError(f"{name} must not be empty")
        return np.concatenate(parts)
    _reject_bool(value, name)
    _check_dim(value, _FREQ, name, "a frequency (e.g. 1*kHz) or a number in Hz")
    try:
        arr = np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a frequency or a number in Hz, got {value!r}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def as_positive_frequency(value: object, name: str) -> float:
    """A single positive frequency in Hz."""
    f = as_frequencies(value, name)
    if f.size != 1:
        raise ValueError(f"{name} must be a single frequency, got {f.size} values")
    if f[0] <= 0:
        raise ValueError(f"{name} must be positive, got {f[0]!r} Hz")
    return float(f[0])


def as_dimensionless(value: object, name: str) -> np.ndarray:
    """A plain float array from a number, array or dimensionless quantity."""
    _check_dim(value, DIMENSIONLESS, name, "dimensionless")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {value!r}") from None
