"""Physical dimensions: exponents of the seven SI base units.

A `Dimension` is an immutable, hashable record of seven exponents (length,
mass, time, current, temperature, amount of substance, luminous intensity).
There is exactly one `Dimension` object per distinct exponent tuple: every way
of obtaining a dimension (`get_or_create_dimension`, arithmetic, unpickling)
goes through a cache, so dimensions can be compared by identity and
arithmetic on them is a dictionary look-up after the first time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from sim.errors import ModelValueError

__all__ = [
    "Dimension",
    "DimensionMismatchError",
    "get_or_create_dimension",
    "DIMENSIONLESS",
]

#: Symbols used by ``str(dimension)``, in base-unit order.
_SYMBOLS = ("m", "kg", "s", "A", "K", "mol", "cd")
#: Unit names used by ``repr(dimension)``, in base-unit order.
_NAMES = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")
#: Keyword names accepted by `get_or_create_dimension`, mapped to their index.
_KEYWORDS: dict[str, int] = {}
for _i, _words in enumerate(
    (
        ("length", "m", "metre", "meter"),
        ("mass", "kg", "kilogram"),
        ("time", "s", "second"),
        ("current", "A", "amp", "ampere"),
        ("temperature", "K", "kelvin"),
        ("substance", "mol", "mole"),
        ("luminosity", "cd", "candela"),
    )
):
    for _word in _words:
        _KEYWORDS[_word] = _i
del _i, _words, _word

_CACHE: dict[tuple[float, ...], Dimension] = {}
_MUL_CACHE: dict[tuple[Dimension, Dimension], Dimension] = {}
_DIV_CACHE: dict[tuple[Dimension, Dimension], Dimension] = {}
_POW_CACHE: dict[tuple[Dimension, float], Dimension] = {}


def _normalise(exponents: Iterable[Any]) -> tuple[float, ...]:
    """Exponents as a 7-tuple of floats, with rounding noise and -0.0 removed."""
    result = []
    for value in exponents:
        number = float(value)
        rounded = round(number)
        if abs(number - rounded) < 1e-10:
            number = float(rounded)
        else:
            number = round(number, 12)
        result.append(number + 0.0)
    if len(result) != 7:
        raise TypeError(f"A dimension needs 7 exponents (SI base units), got {len(result)}")
    return tuple(result)


def _format_exponent(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


class Dimension:
    """The physical dimension of a quantity, as exponents of the SI base units.

    Do not call the constructor with new exponents and rely on getting a new
    object: instances are shared, ``Dimension(dims)`` returns the cached
    instance for ``dims``. Prefer `get_or_create_dimension`.

    Parameters
    ----------
    dims : sequence of 7 numbers
        Exponents of metre, kilogram, second, amp, kelvin, mole and candela.
    """

    __slots__ = ("_dims", "_hash")
    _dims: tuple[float, ...]
    _hash: int

    def __new__(cls, dims: Sequence[float]) -> Dimension:
        key = _normalise(dims)
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        self = object.__new__(cls)
        object.__setattr__(self, "_dims", key)
        object.__setattr__(self, "_hash", hash(key))
        _CACHE[key] = self
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Dimension objects are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Dimension objects are immutable")

    # -- introspection -----------------------------------------------------
    @property
    def is_dimensionless(self) -> bool:
        """True if every exponent is zero."""
        return not any(self._dims)

    @property
    def dim(self) -> Dimension:
        """The dimension itself (so `Dimension` objects can stand in for quantities)."""
        return self

    def get_dimension(self, d: str | int) -> float:
        """Exponent of one base unit, by index (0-6) or name ("length", "m", ...)."""
        if isinstance(d, str):
            try:
                d = _KEYWORDS[d]
            except KeyError:
                raise KeyError(f"Unknown base dimension {d!r}") from None
        return self._dims[d]

    # -- arithmetic --------------------------------------------------------
    def __mul__(self, other: Dimension) -> Dimension:
        if not isinstance(other, Dimension):
            return NotImplemented
        key = (self, other)
        result = _MUL_CACHE.get(key)
        if result is None:
            result = Dimension([a + b for a, b in zip(self._dims, other._dims, strict=True)])
            _MUL_CACHE[key] = result
        return result

    def __truediv__(self, other: Dimension) -> Dimension:
        if not isinstance(other, Dimension):
            return NotImplemented
        key = (self, other)
        result = _DIV_CACHE.get(key)
        if result is None:
            result = Dimension([a - b for a, b in zip(self._dims, other._dims, strict=True)])
            _DIV_CACHE[key] = result
        return result

    def __pow__(self, exponent: float) -> Dimension:
        try:
            exponent = float(exponent)
        except (TypeError, ValueError):
            return NotImplemented
        if not math.isfinite(exponent):
            if not any(self._dims):
                return self  # a dimensionless value to any power stays dimensionless
            raise ModelValueError(
                f"The unit '{self}' cannot be raised to the power {exponent!r}: the "
                f"exponent of a quantity with units must be finite"
            )
        key = (self, exponent)
        result = _POW_CACHE.get(key)
        if result is None:
            result = Dimension([a * exponent for a in self._dims])
            _POW_CACHE[key] = result
        return result

    # -- comparison, hashing, pickling --------------------------------------
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, Dimension):
            return self._dims == other._dims
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, tuple[tuple[float, ...]]]:
        return (get_or_create_dimension, (self._dims,))

    def __copy__(self) -> Dimension:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Dimension:
        return self

    # -- display -----------------------------------------------------------
    def __str__(self) -> str:
        parts = []
        for symbol, exponent in zip(_SYMBOLS, self._dims, strict=True):
            if exponent == 1:
                parts.append(symbol)
            elif exponent:
                parts.append(f"{symbol}^{_format_exponent(exponent)}")
        return " ".join(parts) if parts else "1"

    def __repr__(self) -> str:
        parts = []
        for name, exponent in zip(_NAMES, self._dims, strict=True):
            if exponent == 1:
                parts.append(name)
            elif exponent:
                parts.append(f"{name} ** {_format_exponent(exponent)}")
        return " * ".join(parts) if parts else "Dimension()"


def get_or_create_dimension(*args: Any, **kwds: float) -> Dimension:
    """Return the (shared) `Dimension` with the given exponents.

    Call it with one sequence of seven exponents, seven numbers, or keywords::

        get_or_create_dimension([2, 1, -3, -1, 0, 0, 0])  # volt
        get_or_create_dimension(length=2, mass=1, time=-3, current=-1)
        get_or_create_dimension(m=2, kg=1, s=-3, A=-1)

    Keyword names: ``length``/``m``, ``mass``/``kg``, ``time``/``s``,
    ``current``/``A``, ``temperature``/``K``, ``substance``/``mol``,
    ``luminosity``/``cd`` (the unit names ``metre``, ``second``, ... work too).
    """
    if args and kwds:
        raise TypeError("Give the exponents either positionally or as keywords, not both")
    if kwds:
        exponents = [0.0] * 7
        for key, value in kwds.items():
            try:
                index = _KEYWORDS[key]
            except KeyError:
                raise TypeError(f"Unknown base dimension keyword {key!r}") from None
            exponents[index] = value
        return Dimension(exponents)
    if len(args) == 1:
        (exponents,) = args
        if isinstance(exponents, Dimension):
            return exponents
        if isinstance(exponents, tuple) and exponents in _CACHE:
            return _CACHE[exponents]
        return Dimension(list(exponents))
    if len(args) == 7:
        return Dimension(args)
    if not args:
        return DIMENSIONLESS
    raise TypeError(
        "get_or_create_dimension takes a sequence of 7 exponents, 7 numbers or keywords"
    )


#: The dimension of pure numbers.
DIMENSIONLESS = Dimension((0, 0, 0, 0, 0, 0, 0))


class DimensionMismatchError(Exception):
    """Raised when the dimensions of values do not fit an operation.

    Parameters
    ----------
    description : str
        What was attempted, e.g. ``"Cannot calculate 3. mV + 2. nA"``.
    *dims : Dimension
        The dimensions involved; they are listed in the message as
        ``"..., dimensions were (m^2 kg s^-3 A^-1) (A)"``.
    """

    def __init__(self, description: str, *dims: Dimension) -> None:
        super().__init__(description, *dims)
        self.desc = description
        self.dims = dims

    def __str__(self) -> str:
        if not self.dims:
            return self.desc
        listed = " ".join(f"({dim})" for dim in self.dims)
        return f"{self.desc}, dimensions were {listed}"

    def __repr__(self) -> str:
        args = ", ".join([repr(self.desc)] + [repr(d) for d in self.dims])
        return f"{type(self).__name__}({args})"
