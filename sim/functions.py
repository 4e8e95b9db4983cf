"""User-visible functions callable from model strings, and TimedArray.

A :class:`UserFunction` found in the namespace can be called from model strings
(``I = stimulus(t, i) : amp``).  It tells the compiler its dimensions and gives
one implementation per target; nothing of it is executed at parse time.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from sim.clocks import as_fraction
from sim.units import (
    DIMENSIONLESS,
    Dimension,
    DimensionMismatchError,
    Quantity,
    fail_for_dimension_mismatch,
    get_dimensions,
    second,
)

__all__ = ["UserFunction", "TimedArray", "BinomialFunction", "timestep"]


def timestep(t, dt):
    """Brian 2's ``timestep(t, dt)``: the integer time step that the time ``t`` falls in.

    As Brian 2, ``t`` is shifted by a thousandth of ``dt`` before the division, so that a
    multiple of ``dt`` does not land in the previous step through rounding (``timestep(0.3*ms,
    0.1*ms)`` is 3).  ``t`` and ``dt`` are times (quantities) or numbers in seconds, of the same
    kind; ``t`` may be an array.  Returns a Python ``int`` for a scalar ``t``, an ``int64``
    array otherwise.  Infinite times cannot be converted (use a large value instead).
    """
    if isinstance(t, Quantity) or isinstance(dt, Quantity):
        fail_for_dimension_mismatch(t, dt, "timestep(t, dt) needs t and dt of the same "
                                           "dimension")
    elapsed = np.asarray((np.asarray(t, dtype=float) + 1e-3 * float(dt)) / float(dt))
    if not np.all(np.isfinite(elapsed)):
        raise ValueError("timestep(t, dt) cannot convert an infinite or NaN time; use a large "
                         "value instead (as Brian 2)")
    steps = elapsed.astype(np.int64)
    return steps.item() if steps.shape == () else steps


class UserFunction:
    """Base of functions usable in model strings.

    Subclasses set ``name`` and ``nargs`` and implement :meth:`result_dims`
    and :meth:`numpy_implementation`.
    """

    name: str = "function"
    nargs: int | None = None

    def result_dims(self, arg_dims: list[Dimension], expr: str) -> Dimension:
        raise NotImplementedError

    def numpy_implementation(self, owner_dt: Fraction):
        """A vectorised callable of plain SI arrays, for a group with time step ``owner_dt``."""
        raise NotImplementedError

    def is_locally_constant(self, owner_dt: Fraction) -> bool:
        """Whether ``f(t)`` is constant within each time step of ``owner_dt``."""
        return False

    def numba_template(self, name: str, owner_dt: Fraction) -> tuple[str, dict]:
        """Call template for generated numba code (``{args}`` stands for the
        arguments) and the extra arguments it needs, named ``_uf_<name>_*``."""
        raise NotImplementedError(f"The function '{name}' has no numba implementation")

    def cuda_template(self, name: str, owner_dt: Fraction) -> tuple[str, dict]:
        """The same for generated CUDA C (extra arguments named ``..._values`` are arrays,
        the others numbers)."""
        from sim.parsing import ModelSyntaxError

        raise ModelSyntaxError(f"{name}(): this user function has no implementation on the "
                               f"cuda target yet (TimedArray has; use numba or numpy)")


class TimedArray(UserFunction):
    """Values sampled every ``dt``, used in model strings as a function of time.

    ``TimedArray(values, dt)``: ``values`` of shape (time,) or (time, index), a
    quantity or an array.  In a model string, ``name(t)`` (1-D) or ``name(t, i)``
    (2-D) gives ``values[k]`` for ``k*dt <= t < (k+1)*dt``; before the start the
    first and past the end the last sample holds, as in Brian 2.  The sample is
    chosen with integer arithmetic on an exact grid of ``dt`` and the owner's
    time step, never by comparing floats.
    """

    _count = 0

    def __init__(self, values, dt: Quantity, name: str | None = None):
        TimedArray._count += 1
        self.name = name or f"timedarray_{TimedArray._count}"
        fail_for_dimension_mismatch(dt, second, "TimedArray: dt must be a time")
        dt_s = float(np.asarray(dt))
        if not dt_s > 0 or not math.isfinite(dt_s):
            raise ValueError(f"TimedArray: dt must be positive, got {dt}")
        self.dim = get_dimensions(values)
        array = np.array(np.asarray(values), dtype=float)
        if array.ndim not in (1, 2):
            raise ValueError(
                f"TimedArray: values must be 1-D (time) or 2-D (time, index), got shape "
                f"{array.shape}"
            )
        if array.shape[0] == 0:
            raise ValueError("TimedArray: values must hold at least one sample")
        if not np.all(np.isfinite(array)):
            raise ValueError("TimedArray: values contain NaN or infinite samples")
        self.values = array
        self.nargs = array.ndim
        self.dt = dt_s
        self._dt_frac = as_fraction(dt_s)

    def _checked_replacement(self, values) -> Callable[[], None]:
        """A function giving this array new ``values`` (``device.run(run_args=...)``),
        checked now: the same shape and dimensions, finite."""
        fail_for_dimension_mismatch(values, self.dim if self.dim is not None else None,
                                    f"TimedArray '{self.name}': new values must have the "
                                    f"dimensions of the old ones")
        array = np.array(np.asarray(values), dtype=float)
        if array.shape != self.values.shape:
            raise ValueError(f"TimedArray '{self.name}': new values of shape {array.shape}; "
                             f"it holds {self.values.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"TimedArray '{self.name}': new values contain NaN or infinite "
                             f"samples")

        def replace() -> None:
            self.values = array

        return replace

    def result_dims(self, arg_dims: list[Dimension], expr: str) -> Dimension:
        if arg_dims[0] != second.dim:
            raise DimensionMismatchError(
                f"The first argument of the TimedArray '{self.name}' must be a time in '{expr}'",
                arg_dims[0],
            )
        if len(arg_dims) == 2 and not arg_dims[1].is_dimensionless:
            raise DimensionMismatchError(
                f"The index argument of the TimedArray '{self.name}' must be dimensionless "
                f"in '{expr}'",
                arg_dims[1],
            )
        return self.dim

    def is_locally_constant(self, owner_dt: Fraction) -> bool:
        ratio = self._dt_frac / owner_dt
        return ratio.denominator == 1

    #: ticks of the lookup grid per tick of the time steps' common grid: times are
    #: rounded to an eighth of a step (or finer), then floored to a sample, as Brian 2
    #: does (``int(round(t/epsilon)/K)``, epsilon <= dt/8): off-grid times such as
    #: ``t - delay`` floor, and the midpoints of multistep schemes keep their sample
    SUBDIVISION = 8

    def _grid(self, owner_dt: Fraction | None) -> tuple[int, int]:
        """(ticks per second, ticks per sample) of a grid holding both time steps,
        subdivided by :attr:`SUBDIVISION`."""
        denominator = self._dt_frac.denominator
        if owner_dt is not None:
            denominator = math.lcm(denominator, owner_dt.denominator)
        ticks = denominator * self.SUBDIVISION
        return ticks, int(self._dt_frac * ticks)

    def numpy_implementation(self, owner_dt: Fraction | None = None):
        values = self.values
        n = len(values)
        per_second, per_sample = self._grid(owner_dt)

        if values.ndim == 1:
            def timed_array(t):
                ticks = np.rint(np.asarray(t, dtype=float) * per_second).astype(np.int64)
                return values[np.clip(ticks // per_sample, 0, n - 1)]
        else:
            width = values.shape[1]

            def timed_array(t, i):
                ticks = np.rint(np.asarray(t, dtype=float) * per_second).astype(np.int64)
                k = np.clip(ticks // per_sample, 0, n - 1)
                index = np.asarray(i).astype(np.int64)
                if np.any((index < 0) | (index >= width)):
                    raise IndexError(
                        f"TimedArray '{self.name}': index out of range [0, {width})"
                    )
                return values[k, index]

        return timed_array

    def numba_template(self, name: str, owner_dt: Fraction) -> tuple[str, dict]:
        per_second, per_sample = self._grid(owner_dt)
        helper = "_timedarray1" if self.values.ndim == 1 else "_timedarray2"
        extra = {
            f"_uf_{name}_values": self.values,
            f"_uf_{name}_ps": float(per_second),
            f"_uf_{name}_pt": int(per_sample),
        }
        return f"{helper}({{args}}, {', '.join(extra)})", extra

    def cuda_template(self, name: str, owner_dt: Fraction) -> tuple[str, dict]:
        per_second, per_sample = self._grid(owner_dt)
        extra = {f"_uf_{name}_values": np.ascontiguousarray(self.values),
                 f"_uf_{name}_n": float(self.values.shape[0])}
        if self.values.ndim == 2:
            extra[f"_uf_{name}_width"] = float(self.values.shape[1])
        extra[f"_uf_{name}_ps"] = float(per_second)
        extra[f"_uf_{name}_pt"] = float(per_sample)
        helper = "hs_timedarray1" if self.values.ndim == 1 else "hs_timedarray2"
        return f"{helper}({{args}}, {', '.join(extra)})", extra

    def __call__(self, t, i=None):
        """Evaluate from Python: ``ta(3*ms)`` or ``ta(3*ms, 2)``, with units."""
        fail_for_dimension_mismatch(t, second, f"TimedArray '{self.name}': t must be a time")
        impl = self.numpy_implementation(None)
        if self.values.ndim == 1:
            if i is not None:
                raise TypeError(f"The 1-D TimedArray '{self.name}' takes one argument (t)")
            result = impl(np.asarray(t))
        else:
            if i is None:
                raise TypeError(f"The 2-D TimedArray '{self.name}' takes two arguments (t, i)")
            result = impl(np.asarray(t), i)
        if self.dim is DIMENSIONLESS or self.dim.is_dimensionless:
            return result
        return Quantity(result, dim=self.dim)

    def __repr__(self) -> str:
        return f"TimedArray(shape={self.values.shape}, dt={self.dt} s, name={self.name!r})"


class BinomialFunction(UserFunction):
    """Brian 2's ``BinomialFunction(n, p, approximate=True, name='_binomial*')``: a function
    of no arguments whose every call in a model string draws from the binomial distribution
    of ``n`` trials of probability ``p`` (``f = BinomialFunction(100, 0.1)``, then
    ``v += f()*mV`` in a reset).

    With ``approximate`` (Brian 2's default) and both ``n*p > 5`` and ``n*(1 - p) > 5``, the
    draw is the normal approximation ``n*p + sqrt(n*p*(1 - p))*randn()`` (a float, as in
    Brian 2); otherwise an exact draw, ``binomial(n, p)`` of the model strings (an integer).
    A call is replaced by that expression when the code is generated, so that it draws from
    the block's random streams on every target (``seed()`` makes it reproducible).
    ``n`` and ``p`` are dimensionless (``n`` an integer >= 0, ``0 <= p <= 1``).
    """

    nargs = 0

    def __init__(self, n, p, approximate: bool = True, name: str = "_binomial*"):
        for label, value in (("n", n), ("p", p)):
            if get_dimensions(value) is not DIMENSIONLESS:
                raise DimensionMismatchError(f"BinomialFunction: {label} must be dimensionless",
                                             get_dimensions(value))
        n_value, p_value = float(n), float(p)
        if n_value < 0 or n_value != int(n_value):
            raise ValueError(f"BinomialFunction: n must be a whole number >= 0, got {n!r}")
        if not 0 <= p_value <= 1:
            raise ValueError(f"BinomialFunction: p must lie in [0, 1], got {p!r}")
        self.n, self.p = int(n_value), p_value
        self.approximate = bool(approximate)
        self.name = name
        self.use_normal = (self.approximate and self.n * self.p > 5
                           and self.n * (1 - self.p) > 5)

    def result_dims(self, arg_dims: list[Dimension], expr: str) -> Dimension:
        return DIMENSIONLESS

    def expression(self) -> str:
        """The model-string expression a call stands for."""
        if self.use_normal:
            loc = self.n * self.p
            scale = math.sqrt(self.n * self.p * (1 - self.p))
            return f"({loc!r} + {scale!r}*randn())"
        return f"binomial({self.n}, {self.p!r})"

    def expand_call(self, args: list) -> ast.expr:
        """The AST that replaces a call (no arguments) when code is generated."""
        if args:
            from sim.parsing import ModelSyntaxError

            raise ModelSyntaxError(f"{self.name}() takes no arguments, {len(args)} given")
        return ast.parse(self.expression(), mode="eval").body

    def numpy_implementation(self, owner_dt: Fraction):  # pragma: no cover - expanded
        raise AssertionError("BinomialFunction calls are expanded before code generation")

    def __repr__(self) -> str:
        return (f"BinomialFunction({self.n}, {self.p!r}, approximate={self.approximate}, "
                f"name={self.name!r})")
