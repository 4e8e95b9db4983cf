"""The simulator's error for values that have no meaningful result.

Syntax and unit problems have their own types (:class:`~sim.parsing.ModelSyntaxError`,
:class:`~sim.units.DimensionMismatchError`, :class:`~sim.equations.EquationError`);
this one is for a well-formed model or argument whose *value* cannot be used:
``int()`` of an infinite value, a NaN delay, an infinite run, a time step too small
to represent, equations that divide by zero when their constants are computed.
Kernels raise it too (numba supports raising it from compiled code), so a run on
any target stops with the same error instead of computing with garbage.
"""

from __future__ import annotations

__all__ = ["ModelValueError"]


class ModelValueError(ValueError):
    """A model expression or argument has a value with no meaningful result."""
