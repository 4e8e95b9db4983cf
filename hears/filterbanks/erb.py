"""The equivalent rectangular bandwidth (ERB) scale of Glasberg and Moore."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.units import Hz, Quantity

from ._args import dimensionless, frequencies_hz, is_int

__all__ = ["erbspace", "erb_bandwidth"]

EAR_Q = 9.26449
MIN_BW = 24.7


def _scalar_param(value: Any, name: str, positive: bool = True) -> float:
    arr = dimensionless(value, name)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    v = float(arr)
    if positive and v <= 0:
        raise ValueError(f"{name} must be positive, got {v!r}")
    return v


def erb_bandwidth(cf: Any, earQ: float = EAR_Q, minBW: float = MIN_BW,  # noqa: N803
                  order: float = 1) -> Quantity:
    """Equivalent rectangular bandwidth at ``cf`` (Hz):
    ``((cf/earQ)**order + minBW**order)**(1/order)`` (Glasberg & Moore 1990 for the defaults:
    ``24.7 + 0.108*cf``)."""
    f = frequencies_hz(cf, "cf", allow_zero=True)
    q = _scalar_param(earQ, "earQ")
    m = _scalar_param(minBW, "minBW")
    o = _scalar_param(order, "order")
    return ((f / q) ** o + m ** o) ** (1 / o) * Hz


def _erb_number(f: np.ndarray, q: float, m: float, o: float) -> np.ndarray:
    """A monotonic ERB-number scale: the integral of 1/ERB(f) (up to a constant)."""
    if o == 1:
        return q * np.log(f + q * m)
    if o == 2:
        return q * np.arcsinh(f / (q * m))
    raise ValueError(f"The ERB scale is defined here for erb_order 1 or 2, got {o}")


def _erb_number_inverse(e: np.ndarray, q: float, m: float, o: float) -> np.ndarray:
    if o == 1:
        return np.exp(e / q) - q * m
    return q * m * np.sinh(e / q)


def erbspace(low: Any, high: Any, N: int, earQ: float = EAR_Q,  # noqa: N803
             minBW: float = MIN_BW, order: float = 1) -> Quantity:
    """``N`` frequencies from ``low`` to ``high`` (both included, ascending), equally spaced on
    the ERB-number scale (the integral of 1/ERB, see :func:`erb_bandwidth`).

    ``low``, ``high`` are frequencies (quantities or Hz); ``earQ=9.26449``, ``minBW=24.7``,
    ``order=1`` are Glasberg and Moore's parameters (``order`` 1 or 2 is supported; brian2hears
    ignored it). Returns a Quantity array in Hz. Slaney's ``ERBSpace(low, high, N)`` is
    ``erbspace(low, high, N + 1)[:-1]`` in descending order.
    """
    lo_arr = frequencies_hz(low, "low", allow_zero=True)
    hi_arr = frequencies_hz(high, "high")
    if lo_arr.size != 1 or hi_arr.size != 1:
        raise ValueError("erbspace: low and high must be single frequencies")
    lo, hi = float(lo_arr[0]), float(hi_arr[0])
    if not is_int(N) or N < 1:
        raise ValueError(f"erbspace: N must be a positive int number of channels, got {N!r}")
    if not lo < hi:
        raise ValueError(f"erbspace: low ({lo:g} Hz) must be below high ({hi:g} Hz)")
    q = _scalar_param(earQ, "earQ")
    m = _scalar_param(minBW, "minBW")
    o = _scalar_param(order, "order")
    if o not in (1, 2):
        raise ValueError(f"erbspace: order must be 1 or 2, got {o!r}")
    if N == 1:
        return np.array([lo]) * Hz
    # same arithmetic as Slaney's ERBSpace for order 1 (exact endpoints)
    if o == 1:
        step = (np.log(lo + q * m) - np.log(hi + q * m)) / (N - 1)
        cf = -(q * m) + np.exp(np.arange(N) * step) * (hi + q * m)
        cf = cf[::-1].copy()
    else:
        e_lo, e_hi = _erb_number(np.array([lo, hi]), q, m, o)
        cf = _erb_number_inverse(np.linspace(e_lo, e_hi, N), q, m, o)
    cf[0] = lo
    cf[-1] = hi
    return cf * Hz
