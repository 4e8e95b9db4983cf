"""Levels in decibels: the ``dB`` type of brian2hears.

A value in dB is written ``60*dB``; it is an RMS level in dB SPL (re 20 uPa), assuming the
sound's samples are pressures in pascal. ``dB_type`` refuses operations that mix decibels with
plain numbers in ways that are almost always mistakes (``60*dB + 3``, ``60*dB * 2*dB``,
``60*dB < 70``), raising :class:`dB_error`. Multiplying or dividing by a plain number is
allowed (``3*dB``, ``level/2``), and so is adding or subtracting two dB values.
"""

from __future__ import annotations

import numbers

__all__ = ["dB", "dB_type", "dB_error", "gain", "P0"]

#: Reference pressure of dB SPL, in pascal (20 uPa).
P0 = 20e-6


class dB_error(ValueError):  # noqa: N801 (brian2hears name)
    """Raised when a value in dB is used inconsistently with plain numbers."""


def _is_plain_number(x: object) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, dB_type)


class dB_type(float):  # noqa: N801 (brian2hears name)
    """A level in decibels (RMS dB SPL re 20 uPa when it describes a sound)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"{float(self)!r}*dB"

    __str__ = __repr__

    def __reduce__(self):
        return (dB_type, (float(self),))

    # -- arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, dB_type):
            return dB_type(float(self) + float(other))
        if _is_plain_number(other):
            raise dB_error(f"cannot add a plain number ({other!r}) to a level in dB; "
                           f"write {other!r}*dB")
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, dB_type):
            return dB_type(float(self) - float(other))
        if _is_plain_number(other):
            raise dB_error(f"cannot subtract a plain number ({other!r}) from a level in dB; "
                           f"write {other!r}*dB")
        return NotImplemented

    def __rsub__(self, other):
        if _is_plain_number(other):
            raise dB_error(f"cannot subtract a level in dB from a plain number ({other!r})")
        return NotImplemented

    def __mul__(self, other):
        if isinstance(other, dB_type):
            raise dB_error("cannot multiply a level in dB by another level in dB")
        if _is_plain_number(other):
            return dB_type(float(self) * other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, dB_type):
            raise dB_error("cannot divide a level in dB by another level in dB")
        if _is_plain_number(other):
            return dB_type(float(self) / other)
        return NotImplemented

    def __rtruediv__(self, other):
        if _is_plain_number(other):
            raise dB_error("cannot divide a plain number by a level in dB")
        return NotImplemented

    def __pow__(self, other, modulo=None):
        raise dB_error("cannot raise a level in dB to a power")

    def __rpow__(self, other):
        raise dB_error("cannot use a level in dB as an exponent; use gain(level)")

    def __neg__(self):
        return dB_type(-float(self))

    def __pos__(self):
        return self

    def __abs__(self):
        return dB_type(abs(float(self)))

    # -- comparisons: only between dB values ------------------------------------------------
    def _other(self, other, op: str) -> float:
        if isinstance(other, dB_type):
            return float(other)
        raise dB_error(f"can only compare a level in dB with another level in dB "
                       f"(got {other!r} in '{op}')")

    def __lt__(self, other):
        return float(self) < self._other(other, "<")

    def __le__(self, other):
        return float(self) <= self._other(other, "<=")

    def __gt__(self, other):
        return float(self) > self._other(other, ">")

    def __ge__(self, other):
        return float(self) >= self._other(other, ">=")

    def __eq__(self, other):
        if isinstance(other, dB_type):
            return float(self) == float(other)
        if _is_plain_number(other):
            raise dB_error(f"can only compare a level in dB with another level in dB "
                           f"(got {other!r} in '==')")
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = float.__hash__

    def gain(self) -> float:
        """The amplitude factor ``10**(level/20)`` of this level difference."""
        return 10.0 ** (float(self) / 20.0)


#: One decibel: write levels as ``60*dB``.
dB = dB_type(1.0)


def gain(level: dB_type) -> float:
    """Amplitude factor of a level difference in dB: ``10**(level/20)``.

    ``sound * gain(6*dB)`` is ``sound`` about twice as loud in amplitude.
    """
    if not isinstance(level, dB_type):
        raise dB_error(f"gain(level): level must be in dB (e.g. 6*dB), got {level!r}")
    return level.gain()
