"""Clocks: integer step counters with a time step.

A clock's time is ``step * dt``; the step is an integer.  Each ``dt`` is also
kept as an exact fraction of a second, so that a network with several clocks
can order their ticks with integer arithmetic: no float comparison decides
whether two ticks coincide, so no tick is lost or repeated.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from sim.errors import ModelValueError
from sim.units import Quantity, fail_for_dimension_mismatch, second

__all__ = ["Clock", "RegularClock", "EventClock", "defaultclock", "as_fraction"]

#: Largest denominator used to read a float duration as an exact fraction.
_MAX_DENOMINATOR = 10**12


def as_fraction(seconds: float) -> Fraction:
    """A float number of seconds as the nearest simple fraction (1e-4 -> 1/10000)."""
    return Fraction(float(seconds)).limit_denominator(_MAX_DENOMINATOR)


def _seconds(value, name: str) -> float:
    if isinstance(value, Quantity):
        fail_for_dimension_mismatch(value, second, f"{name} must be a time")
    elif not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a time quantity, got {type(value).__name__}")
    elif value != 0:
        raise TypeError(f"{name} must have units of time (e.g. 0.1*ms), got the number {value}")
    return float(np.asarray(value))


class Clock:
    """A clock with time step ``dt`` (a time quantity, e.g. ``0.1*ms``)."""

    _count = 0

    def __init__(self, dt: Quantity, name: str | None = None):
        Clock._count += 1
        self.name = name or f"clock_{Clock._count}"
        self._i = 0
        self._i_end = 0
        self._set_dt(dt)

    def _set_dt(self, dt) -> None:
        value = _seconds(dt, "dt")
        if not value > 0 or not math.isfinite(value):
            raise ModelValueError(f"dt must be positive and finite, got {value} s")
        frac = as_fraction(value)
        if frac == 0 or abs(float(frac) / value - 1) > 1e-9:
            raise ModelValueError(
                f"dt = {value!r} s cannot be used: time steps are exact fractions of a "
                f"second with a denominator up to {_MAX_DENOMINATOR} (a resolution of "
                f"{1 / _MAX_DENOMINATOR:g} s)"
            )
        self._dt = value
        self._dt_frac = frac

    @property
    def dt(self) -> Quantity:
        """The time step (settable between runs)."""
        return Quantity(self._dt, dim=second.dim)

    @dt.setter
    def dt(self, value: Quantity) -> None:
        self._set_dt(value)

    @property
    def dt_(self) -> float:
        return self._dt

    @property
    def t(self) -> Quantity:
        """The clock's current time (step * dt)."""
        return Quantity(self._i * self._dt, dim=second.dim)

    @property
    def t_(self) -> float:
        return self._i * self._dt

    @property
    def timestep(self) -> int:
        return self._i

    def steps_for(self, t_start: Fraction, t_end: Fraction) -> tuple[int, int]:
        """First and one-past-last step with time in [t_start, t_end)."""
        start = math.ceil(t_start / self._dt_frac)
        end = math.ceil(t_end / self._dt_frac)
        return start, max(start, end)

    def t_of(self, step: int) -> float:
        """Time (s) of a step."""
        return step * self._dt

    def time_fraction(self, step: int) -> Fraction:
        """Exact time (s) of a step, for ordering ticks of several clocks."""
        return step * self._dt_frac

    def __repr__(self) -> str:
        return f"Clock(dt={self.dt!s}, name={self.name!r})"


#: Brian 1's name for a clock with a regular time step.
RegularClock = Clock


class EventClock(Clock):
    """A clock that ticks at given times (irregular ticks), e.g. for network operations.

    ``EventClock(times)``: increasing times (a time quantity array).  Its ``dt``
    is the smallest interval between ticks (used only where a step size is
    needed); objects integrating equations cannot run on it.  Brian 1's
    ``EventClock(dt=10*ms)`` (regular ticks for network operations) gives a
    regular :class:`Clock` of that period.
    """

    def __new__(cls, times=None, name: str | None = None, dt=None, t=None, **kwds):
        if times is None and dt is not None:
            # Brian 1's EventClock(dt=...): regular ticks for network operations (plots,
            # reports), a clock of its own that the integration steps do not follow
            if t is not None and _seconds(t, "t") != 0:
                raise ModelValueError("EventClock(dt=..., t=...): only t = 0 is supported")
            if kwds:
                raise TypeError(f"EventClock got unexpected arguments: {', '.join(kwds)}")
            return Clock(dt, name=name)
        if times is None:
            raise TypeError("EventClock needs tick times (EventClock([1, 5]*ms)) or, as "
                            "Brian 1, a period (EventClock(dt=10*ms))")
        return super().__new__(cls)

    def __init__(self, times=None, name: str | None = None, dt=None, t=None, **kwds):
        values = np.asarray(times, dtype=float).ravel()
        if isinstance(times, Quantity):
            fail_for_dimension_mismatch(times, second, "EventClock times must be times")
        elif np.any(values != 0):
            raise TypeError("EventClock times must have units of time (e.g. [1, 5]*ms)")
        if len(values) == 0:
            raise ValueError("EventClock needs at least one tick time")
        if np.any(np.diff(values) <= 0):
            raise ValueError("EventClock times must be strictly increasing")
        self._times = values
        self._fractions = [as_fraction(v) for v in values]
        gaps = np.diff(values)
        super().__init__((float(gaps.min()) if len(gaps) else 1.0) * second, name=name)

    def steps_for(self, t_start: Fraction, t_end: Fraction) -> tuple[int, int]:
        start = next((k for k, f in enumerate(self._fractions) if f >= t_start),
                     len(self._fractions))
        end = next((k for k, f in enumerate(self._fractions) if f >= t_end),
                   len(self._fractions))
        return start, max(start, end)

    def t_of(self, step: int) -> float:
        return float(self._times[min(step, len(self._times) - 1)])

    def time_fraction(self, step: int) -> Fraction:
        return self._fractions[step]

    @property
    def t(self) -> Quantity:
        return Quantity(self.t_of(self._i) if self._i < len(self._times) else
                        float(self._times[-1]), dim=second.dim)

    @property
    def t_(self) -> float:
        return float(self.t)

    def __repr__(self) -> str:
        return f"EventClock({len(self._times)} ticks, name={self.name!r})"


defaultclock = Clock(1e-4 * second, name="defaultclock")
