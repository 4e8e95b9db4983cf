"""Argument conversion for the filterbanks: quantities or plain numbers to floats and arrays.

Conventions (as in :mod:`sounds`):

* frequencies and sample rates are frequency quantities (``1*kHz``) or plain numbers in Hz;
* durations are time quantities (``10*ms``), ``int`` numbers of samples, or ``float`` seconds;
* a quantity of the wrong dimension raises :class:`~sim.units.DimensionMismatchError` naming
  the argument, and every other bad value a ``ValueError``/``TypeError`` naming it.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from sim.units import DIMENSIONLESS, DimensionMismatchError, Hz, Quantity, get_dimensions, second

_FREQ = Hz.dim
_TIME = second.dim


def _dims(value: Any):
    if isinstance(value, Quantity):
        return get_dimensions(value)
    if isinstance(value, (list, tuple)):
        for v in value:
            d = _dims(v)
            if d != DIMENSIONLESS:
                return d
    return DIMENSIONLESS


def check_dim(value: Any, dim, name: str, what: str) -> None:
    d = _dims(value)
    if d != dim and d != DIMENSIONLESS:
        raise DimensionMismatchError(f"{name} must be {what}, got {value!r} with dimensions {d}")


def is_int(value: Any) -> bool:
    """True for Python/numpy integers (not bools, not quantities)."""
    return (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
            and not isinstance(value, Quantity))


def plain(value: Any, name: str) -> np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, not a bool ({value!r})")
    if isinstance(value, (list, tuple)):
        value = [np.asarray(v) if isinstance(v, Quantity) else v for v in value]
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numeric, got {value!r}") from None
    return arr


def samplerate_hz(value: Any, name: str = "samplerate") -> float:
    """A sample rate in Hz as a positive finite float."""
    check_dim(value, _FREQ, name, "a frequency (e.g. 44.1*kHz) or a number in Hz")
    arr = plain(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    sr = float(arr)
    if not np.isfinite(sr) or sr <= 0:
        raise ValueError(f"{name} must be positive and finite, got {sr!r} Hz")
    return sr


def frequencies_hz(value: Any, name: str, *, allow_zero: bool = False) -> np.ndarray:
    """Frequencies in Hz as a 1D float array (scalar, list or array; quantities or numbers)."""
    check_dim(value, _FREQ, name, "a frequency (e.g. 1*kHz) or a number in Hz")
    arr = np.atleast_1d(plain(value, name)).astype(float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a 1D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    bad = arr < 0 if allow_zero else arr <= 0
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'}, "
                         f"got {arr[i]!r} Hz at index {i}")
    return arr


def below_nyquist(freqs: np.ndarray, samplerate: float, name: str, *,
                  inclusive: bool = True) -> None:
    """Raise ValueError if a frequency exceeds the Nyquist frequency ``samplerate/2``."""
    nyq = samplerate / 2
    bad = freqs > nyq if inclusive else freqs >= nyq
    if np.any(bad):
        i = int(np.argmax(bad))
        rel = "above" if inclusive else "at or above"
        raise ValueError(f"{name}[{i}] = {freqs[i]:g} Hz is {rel} the Nyquist frequency "
                         f"{nyq:g} Hz (sample rate {samplerate:g} Hz)")


def times_s(value: Any, name: str) -> np.ndarray:
    """Times in seconds as a float array (quantities or numbers in seconds)."""
    check_dim(value, _TIME, name, "a time (e.g. 1*ms) or a number in seconds")
    arr = plain(value, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def dimensionless(value: Any, name: str) -> np.ndarray:
    """A plain float array from a number, array or dimensionless quantity."""
    check_dim(value, DIMENSIONLESS, name, "dimensionless")
    arr = plain(value, name)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def per_channel(value: Any, n: int, name: str, conv=None) -> np.ndarray:
    """``value`` (a scalar or one value per channel) as a float array of length ``n``."""
    arr = np.atleast_1d(conv(value, name) if conv is not None else dimensionless(value, name))
    if arr.ndim != 1 or arr.size not in (1, n):
        raise ValueError(f"{name} must be a scalar or have one value per channel ({n}), "
                         f"got shape {np.shape(arr)}")
    return np.broadcast_to(arr, (n,)).astype(float)


def nsamples(value: Any, samplerate: float, name: str, *, allow_zero: bool = False) -> int:
    """A duration as an int number of samples (int = samples; time or float seconds rounded)."""
    if is_int(value):
        n = int(value)
    else:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be a duration, not a bool ({value!r})")
        check_dim(value, _TIME, name,
                   "a time (e.g. 10*ms), an int number of samples or a float in seconds")
        arr = plain(value, name)
        if arr.ndim != 0 or not np.isfinite(arr):
            raise ValueError(f"{name} must be a finite scalar duration, got {value!r}")
        n = int(np.rint(float(arr) * samplerate))
    if n < 0 or (n == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'} "
                         f"(at least one sample at {samplerate:g} Hz), got {value!r}")
    return n


def float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """``None``/float64/float32 as a numpy dtype (other types raise)."""
    if dtype is None:
        return np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    return dt
