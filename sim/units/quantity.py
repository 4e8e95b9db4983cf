"""Quantities (numpy arrays with a physical dimension) and named units.

Values are always stored in SI base units: ``np.asarray(3 * mV)`` is
``0.003``. The dimension lives in the ``dim`` attribute and is propagated or
checked by every numpy ufunc (``__array_ufunc__``) and by the numpy functions
listed in `sim.units.numpyfuncs` (``__array_function__``).

Results without a dimension (``(3 * mV) / mV``, comparisons, ``np.sign``)
are returned as plain numpy arrays or scalars, as in Brian 2.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .dimensions import (
    DIMENSIONLESS,
    Dimension,
    DimensionMismatchError,
    get_or_create_dimension,
)

__all__ = [
    "Quantity",
    "Unit",
    "get_dimensions",
    "is_dimensionless",
    "have_same_dimensions",
    "fail_for_dimension_mismatch",
    "get_unit",
    "get_unit_for_display",
    "in_unit",
    "in_best_unit",
    "is_scalar_type",
    "register_new_unit",
]

#: numpy functions with a dimension-aware implementation, filled by `numpyfuncs`.
HANDLED_FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {}

_SCALAR_TYPES = (numbers.Number, np.generic)


# ---------------------------------------------------------------------------
# Dimension helpers
# ---------------------------------------------------------------------------


def _split(obj: Any) -> tuple[Any, Dimension]:
    """Split ``obj`` into (plain values, dimension).

    Quantities give a plain ndarray view; lists and tuples that contain
    quantities are converted to one array (all elements must share a
    dimension); anything else is returned unchanged as dimensionless.
    """
    if isinstance(obj, Quantity):
        return obj.view(np.ndarray), obj.dim
    if isinstance(obj, (list, tuple)) and obj and _contains_quantity(obj):
        return _split_sequence(obj)
    return obj, DIMENSIONLESS


def _contains_quantity(seq: list[Any] | tuple[Any, ...]) -> bool:
    for item in seq:
        if isinstance(item, Quantity):
            return True
        if isinstance(item, (list, tuple)) and _contains_quantity(item):
            return True
    return False


def _split_sequence(seq: list[Any] | tuple[Any, ...]) -> tuple[np.ndarray, Dimension]:
    found: list[Dimension] = []

    def strip(item: Any) -> Any:
        if isinstance(item, (list, tuple)):
            return [strip(x) for x in item]
        values, dim = _split(item)
        found.append(dim)
        return values

    values = strip(seq)
    first = found[0]
    for dim in found[1:]:
        if dim is not first:
            raise DimensionMismatchError(
                "Cannot make one array of quantities with different dimensions", first, dim
            )
    return np.asarray(values), first


def get_dimensions(obj: Any) -> Dimension:
    """The `Dimension` of ``obj``.

    Quantities and units give their dimension, a `Dimension` gives itself,
    any object with a ``dim`` attribute holding a `Dimension` gives that,
    numbers (any `numbers.Number`), booleans, ranges and plain arrays are dimensionless,
    and lists or tuples
    of quantities give their common dimension. Anything else raises
    `TypeError`.
    """
    if isinstance(obj, Quantity):
        return obj.dim
    if isinstance(obj, Dimension):
        return obj
    if type(obj) in (int, float, bool):
        return DIMENSIONLESS
    dim = getattr(obj, "dim", None)
    if isinstance(dim, Dimension):
        return dim
    if isinstance(obj, (np.ndarray, *_SCALAR_TYPES)):
        return DIMENSIONLESS
    if isinstance(obj, (list, tuple)):
        return _split(obj)[1]
    if isinstance(obj, range | numbers.Number):  # Brian 2: what Quantity(obj) takes
        return DIMENSIONLESS
    raise TypeError(f"Object of type {type(obj).__name__} does not have dimensions")


def is_dimensionless(obj: Any) -> bool:
    """True if ``obj`` has no physical dimension (see `get_dimensions`)."""
    return get_dimensions(obj) is DIMENSIONLESS


def have_same_dimensions(obj1: Any, obj2: Any) -> bool:
    """True if ``obj1`` and ``obj2`` have the same dimension.

    Either argument may be a quantity, a unit, a `Dimension`, a number or an
    array (numbers and arrays are dimensionless).
    """
    return get_dimensions(obj1) is get_dimensions(obj2)


def is_scalar_type(obj: Any) -> bool:
    """True for dimensionless scalars: numbers, numpy scalars and 0-d arrays."""
    if isinstance(obj, _SCALAR_TYPES):
        return True
    return isinstance(obj, np.ndarray) and obj.ndim == 0 and get_dimensions(obj) is DIMENSIONLESS


def _is_neutral(values: Any) -> bool:
    """True if a dimensionless value may stand in for any dimension (all 0 or +-inf)."""
    if values is None:
        return True
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        return False
    if arr.dtype.kind not in "biufc":
        return False
    return bool(np.all((arr == 0) | np.isinf(arr)))


def _short_str(obj: Any, limit: int = 60) -> str:
    text = " ".join(str(obj).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail_for_dimension_mismatch(
    obj1: Any,
    obj2: Any = None,
    error_message: str | None = None,
    **names: Any,
) -> tuple[Dimension, Dimension]:
    """Raise `DimensionMismatchError` unless ``obj1`` and ``obj2`` have the same dimension.

    With ``obj2`` left out, ``obj1`` must be dimensionless. A dimensionless
    value that is all zeros (or infinite) matches any dimension, so that
    ``v = 0`` can initialise a voltage.

    Parameters
    ----------
    obj1, obj2
        Quantities, units, dimensions, numbers or arrays.
    error_message : str, optional
        Description of the operation; may contain ``{name}`` fields that are
        filled from ``names`` (quantities are shown with their unit).
    **names
        Values for the fields of ``error_message``.

    Returns
    -------
    (dim1, dim2) : tuple of `Dimension`
    """
    dim1 = get_dimensions(obj1)
    dim2 = DIMENSIONLESS if obj2 is None else get_dimensions(obj2)
    if dim1 is dim2:
        return dim1, dim2
    if obj2 is not None:
        if dim1 is DIMENSIONLESS and not isinstance(obj1, Dimension) and _is_neutral(obj1):
            return dim1, dim2
        if dim2 is DIMENSIONLESS and not isinstance(obj2, Dimension) and _is_neutral(obj2):
            return dim1, dim2
    if error_message is None:
        error_message = "Dimension mismatch"
    else:
        shown = {key: _short_str(value) for key, value in names.items()}
        error_message = error_message.format(**shown)
    if obj2 is None:
        raise DimensionMismatchError(error_message, dim1)
    raise DimensionMismatchError(error_message, dim1, dim2)


# ---------------------------------------------------------------------------
# Wrapping results
# ---------------------------------------------------------------------------


def _wrap(values: Any, dim: Dimension) -> Any:
    """A Quantity for ``values`` with ``dim``; plain values when dimensionless."""
    if dim is DIMENSIONLESS:
        return values
    arr = values if type(values) is np.ndarray else np.asarray(values)
    result = arr.view(Quantity)
    result.dim = dim
    return result


def _keep(values: Any, dim: Dimension) -> Quantity:
    """A Quantity for ``values`` with ``dim``, even when dimensionless."""
    arr = values if type(values) is np.ndarray else np.asarray(values)
    result = arr.view(Quantity)
    result.dim = dim
    return result


def _scalar(value: float, dim: Dimension) -> Any:
    if dim is DIMENSIONLESS:
        return np.float64(value)
    result = np.array(value).view(Quantity)
    result.dim = dim
    return result


def _unit_text(dim: Dimension) -> str:
    return "1" if dim is DIMENSIONLESS else str(get_unit(dim))


# ---------------------------------------------------------------------------
# ufunc rules
# ---------------------------------------------------------------------------

_SAME = {
    "add": "+",
    "subtract": "-",
    "maximum": "maximum",
    "minimum": "minimum",
    "fmax": "fmax",
    "fmin": "fmin",
    "fmod": "fmod",
    "remainder": "%",
    "hypot": "hypot",
    "nextafter": "nextafter",
}
_COMPARE = {
    "less": "<",
    "less_equal": "<=",
    "greater": ">",
    "greater_equal": ">=",
    "equal": "==",
    "not_equal": "!=",
}
_KEEP_UNARY = {
    "negative",
    "positive",
    "absolute",
    "fabs",
    "conjugate",
    "floor",
    "ceil",
    "rint",
    "trunc",
    "spacing",
}
_PLAIN = {
    "isnan",
    "isinf",
    "isfinite",
    "signbit",
    "sign",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
}
_DIMENSIONLESS_ONLY = {
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "deg2rad",
    "rad2deg",
    "degrees",
    "radians",
    "logaddexp",
    "logaddexp2",
    "frexp",
    "heaviside",
    "gcd",
    "lcm",
}
_MULTIPLY = {"multiply", "matmul", "vecdot", "matvec", "vecmat"}
_DIVIDE = {"divide", "true_divide", "floor_divide"}
_POWERS = {"sqrt": 0.5, "cbrt": 1.0 / 3.0, "square": 2.0, "reciprocal": -1.0}


def _check_same(values: list[Any], dims: list[Dimension], describe: Callable[[], str]) -> Dimension:
    """Common dimension of operands that must agree (neutral zeros/infs adapt)."""
    ref_dim = dims[0]
    ref_value = values[0]
    for value, dim in zip(values[1:], dims[1:], strict=True):
        if dim is ref_dim:
            continue
        if dim is DIMENSIONLESS and _is_neutral(value):
            continue
        if ref_dim is DIMENSIONLESS and _is_neutral(ref_value):
            ref_dim, ref_value = dim, value
            continue
        raise DimensionMismatchError(describe(), ref_dim, dim)
    return ref_dim


def _describe_binary(inputs: tuple[Any, ...], symbol: str, verb: str) -> Callable[[], str]:
    def describe() -> str:
        shown = [_short_str(x) for x in inputs]
        if len(symbol) <= 2:
            return f"Cannot {verb} {f' {symbol} '.join(shown)}"
        return f"Cannot {verb} {symbol}({', '.join(shown)})"

    return describe


def _power_dim(values: list[Any], dims: list[Dimension], inputs: tuple[Any, ...]) -> Dimension:
    base_dim, exp_dim = dims
    if exp_dim is not DIMENSIONLESS:
        raise DimensionMismatchError(
            f"The exponent of a power must be dimensionless, got {_short_str(inputs[1])}",
            exp_dim,
        )
    if base_dim is DIMENSIONLESS:
        return DIMENSIONLESS
    exponent = np.asarray(values[1])
    if exponent.size == 0:
        return base_dim
    first = exponent.flat[0]
    if exponent.size > 1 and not np.all(exponent == first):
        raise TypeError(
            "A quantity with dimensions can only be raised to a single exponent "
            f"(all exponents equal), got {_short_str(exponent)}"
        )
    return base_dim ** float(first)


def _call_dims(
    name: str, nout: int, inputs: tuple[Any, ...], values: list[Any], dims: list[Dimension]
) -> tuple[Dimension, ...]:
    """Dimensions of the outputs of ufunc ``name`` called on ``inputs``."""
    if name in _SAME:
        return (_check_same(values, dims, _describe_binary(inputs, _SAME[name], "calculate")),)
    if name in _COMPARE:
        _check_same(values, dims, _describe_binary(inputs, _COMPARE[name], "compare"))
        return (DIMENSIONLESS,)
    if name in _MULTIPLY:
        return (dims[0] * dims[1],)
    if name in _DIVIDE:
        return (dims[0] / dims[1],)
    if name in _KEEP_UNARY:
        return (dims[0],)
    if name in _PLAIN:
        return (DIMENSIONLESS,) * nout
    if name in ("power", "float_power"):
        return (_power_dim(values, dims, inputs),)
    if name in _POWERS:
        return (dims[0] ** _POWERS[name],)
    if name == "clip":
        return (_check_same(values, dims, _describe_binary(inputs, "clip", "calculate")),)
    if name in ("copysign", "ldexp"):
        if dims[1] is not DIMENSIONLESS and name == "ldexp":
            raise DimensionMismatchError("The exponent of ldexp must be dimensionless", dims[1])
        return (dims[0],)
    if name == "arctan2":
        _check_same(values, dims, _describe_binary(inputs, "arctan2", "calculate"))
        return (DIMENSIONLESS,)
    if name == "divmod":
        dim = _check_same(values, dims, _describe_binary(inputs, "divmod", "calculate"))
        return (DIMENSIONLESS, dim)
    if name == "modf":
        return (dims[0], dims[0])
    if all(dim is DIMENSIONLESS for dim in dims):
        return (DIMENSIONLESS,) * nout
    if name in _DIMENSIONLESS_ONLY:
        for inp, dim in zip(inputs, dims, strict=True):
            if dim is not DIMENSIONLESS:
                raise DimensionMismatchError(
                    f"Function {name} expects a dimensionless argument but got {_short_str(inp)}",
                    dim,
                )
    raise TypeError(f"numpy.{name} is not supported for quantities with dimensions")


def _reduce_dims(
    ufunc: np.ufunc, method: str, value: np.ndarray, dim: Dimension, kwargs: dict[str, Any]
) -> Dimension:
    name = ufunc.__name__
    if name in ("add", "subtract", "maximum", "minimum", "fmax", "fmin"):
        initial = kwargs.get("initial")
        if isinstance(initial, Quantity):
            if initial.dim is not dim:
                raise DimensionMismatchError(
                    f"The initial value of {name}.{method} must have the dimensions of the array",
                    dim,
                    initial.dim,
                )
            kwargs["initial"] = initial.view(np.ndarray)
        return dim
    if name in ("logical_and", "logical_or", "logical_xor") or dim is DIMENSIONLESS:
        return DIMENSIONLESS
    if name == "multiply" and method == "reduce":
        where = kwargs.get("where", True)
        if not (where is True or bool(np.all(where))):
            raise TypeError("A product of quantities with dimensions cannot use where=")
        axis = kwargs.get("axis", 0)
        if axis is None:
            count = value.size
        else:
            axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
            count = int(np.prod([value.shape[a] for a in axes]))
        return dim**count
    raise TypeError(f"numpy.{name}.{method} is not supported for quantities with dimensions")


def _prepare_out(out: Any, dim: Dimension) -> Any:
    """Plain view of an ``out`` array after checking that it can hold ``dim``."""
    if out is None:
        return None
    if isinstance(out, Quantity):
        if out.dim is not dim:
            raise DimensionMismatchError(
                "Cannot write a result in place into an array of other dimensions "
                "(in-place operations cannot change the dimensions of a quantity)",
                out.dim,
                dim,
            )
        return out.view(np.ndarray)
    if dim is not DIMENSIONLESS:
        raise DimensionMismatchError(
            "Cannot write a result with dimensions into a plain array", dim
        )
    return out


# ---------------------------------------------------------------------------
# Display registry
# ---------------------------------------------------------------------------


class _UnitRegistry:
    """Units available for display, grouped by dimension."""

    def __init__(self) -> None:
        self.units: dict[Dimension, list[Unit]] = {}
        self._logs: dict[Dimension, np.ndarray] = {}

    def add(self, unit: Unit) -> None:
        family = self.units.setdefault(unit.dim, [])
        value = float(unit)
        if any(float(u) == value for u in family):
            return
        family.append(unit)
        family.sort(key=float)
        self._logs[unit.dim] = np.log10([float(u) for u in family])

    def best(self, quantity: Quantity) -> Unit | None:
        family = self.units.get(quantity.dim)
        if not family:
            return None
        values = np.abs(_displayed_values(quantity.view(np.ndarray)))
        values = values[np.isfinite(values) & (values > 0)]
        if values.size == 0:
            for unit in family:
                if float(unit) == 1.0:
                    return unit
            return get_unit(quantity.dim)
        # choose the unit that puts the shown numbers closest to 10 (log scale)
        deviation = np.log10(values)[:, None] - self._logs[quantity.dim][None, :] - 1.0
        return family[int(np.argmin(np.sum(deviation**2, axis=0)))]


def _displayed_values(values: np.ndarray) -> np.ndarray:
    flat = values.ravel()
    options = np.get_printoptions()
    if flat.size > options["threshold"]:
        edge = options["edgeitems"]
        flat = np.concatenate([flat[:edge], flat[-edge:]])
    return flat


_STANDARD_REGISTER = _UnitRegistry()
_USER_REGISTER = _UnitRegistry()
_COHERENT_UNITS: dict[Dimension, Unit] = {}
_NAMED_UNITS: dict[str, Unit] = {}


def register_new_unit(unit: Unit) -> None:
    """Make ``unit`` available for displaying quantities of its dimension."""
    if not isinstance(unit, Unit):
        raise TypeError(f"register_new_unit expects a Unit, got {type(unit).__name__}")
    _USER_REGISTER.add(unit)


def _register_standard(unit: Unit, *, display: bool = True, coherent: bool = False) -> None:
    """Record a module-level unit (used by `sim.units.allunits`)."""
    _NAMED_UNITS.setdefault(unit.name, unit)
    if display:
        _STANDARD_REGISTER.add(unit)
    if coherent:
        _COHERENT_UNITS.setdefault(unit.dim, unit)


def get_unit(dim: Any) -> Unit:
    """The coherent SI unit (value 1) for a dimension.

    ``get_unit(volt.dim)`` is ``volt``. Combinations without a name of their
    own give a compound unit of base units, e.g. ``metre ** 3 * kilogram *
    second ** -3 * amp ** -1`` (shown as ``m^3 kg s^-3 A^-1``). Accepts a
    `Dimension` or anything `get_dimensions` understands.
    """
    if not isinstance(dim, Dimension):
        dim = get_dimensions(dim)
    unit = _COHERENT_UNITS.get(dim)
    if unit is None:
        if dim is DIMENSIONLESS:
            unit = Unit(1.0, DIMENSIONLESS, name="Unit(1)", dispname="1")
        else:
            unit = Unit(1.0, dim, name=repr(dim), dispname=str(dim), iscompound=True)
        _COHERENT_UNITS[dim] = unit
    return unit


def get_unit_for_display(dim: Any) -> str:
    """Short text for the unit of a dimension: ``"V"``, ``"m^2 s^-1"`` or ``"1"``."""
    if not isinstance(dim, Dimension):
        dim = get_dimensions(dim)
    return _unit_text(dim)


def _best_unit(quantity: Quantity) -> Unit:
    if quantity.dim is DIMENSIONLESS:
        return get_unit(DIMENSIONLESS)
    for register in (_STANDARD_REGISTER, _USER_REGISTER):
        unit = register.best(quantity)
        if unit is not None:
            return unit
    return get_unit(quantity.dim)


def _format_values(values: np.ndarray, precision: int | None, python_code: bool) -> str:
    if values.ndim == 0:
        text = np.array2string(values.reshape(1), precision=precision)
        return text[1:-1].strip()
    if python_code:
        return np.array_repr(values, precision=precision)
    return np.array_str(values, precision=precision)


def in_unit(x: Any, u: Any, precision: int | None = None) -> str:
    """Text of ``x`` expressed in unit ``u``, e.g. ``in_unit(3 * volt, mV) == "3000. mV"``.

    ``precision`` is the number of digits after the decimal point (numpy's
    print options when left out). Raises `DimensionMismatchError` if ``x`` and
    ``u`` have different dimensions.
    """
    if isinstance(x, Quantity):
        return x.in_unit(u, precision=precision)
    return _keep(np.asarray(x, dtype=float), DIMENSIONLESS).in_unit(u, precision=precision)


def in_best_unit(x: Any, precision: int | None = None) -> str:
    """Text of ``x`` in the unit that shows its values best (as ``str(x)`` does)."""
    if isinstance(x, Quantity):
        return x.in_best_unit(precision=precision)
    return _format_values(np.asarray(x), precision, False)


# ---------------------------------------------------------------------------
# Quantity
# ---------------------------------------------------------------------------


def _is_numeric_operand(obj: Any) -> bool:
    return isinstance(obj, (np.ndarray, list, tuple, *_SCALAR_TYPES)) or hasattr(obj, "__array__")


def _numeric_array(values: Any, dtype: Any, copy: bool) -> np.ndarray:
    arr = np.array(values, dtype=dtype, copy=True) if copy else np.asarray(values, dtype=dtype)
    if dtype is None and arr.dtype.kind not in "fc":
        if arr.dtype.kind not in "biuO":
            raise TypeError(f"Quantity values must be numbers, got {arr.dtype} data")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Quantity values must be numbers: {exc}") from None
    return arr


class Quantity(np.ndarray):
    """A numpy array of values with a physical dimension.

    Values are stored in SI base units; the dimension is in ``dim``.

    Parameters
    ----------
    arr : array-like
        The values. A quantity (or a list of quantities with one dimension)
        brings its own dimension.
    dim : Dimension, optional
        The dimension (defaults to that of ``arr``, else dimensionless). If
        ``arr`` has a dimension, ``dim`` must agree with it.
    dtype : numpy dtype, optional
        Defaults to the dtype of ``arr``, with integers and booleans turned
        into float64.
    copy : bool
        Copy the values even when a view would do.
    """

    dim: Dimension = DIMENSIONLESS
    __array_priority__ = 1000

    def __new__(
        cls,
        arr: Any,
        dim: Dimension | None = None,
        dtype: Any = None,
        copy: bool = False,
    ) -> Quantity:
        values, arr_dim = _split(arr)
        if dim is None:
            dim = arr_dim
        else:
            if not isinstance(dim, Dimension):
                dim = get_or_create_dimension(dim)
            if arr_dim is not DIMENSIONLESS and arr_dim is not dim:
                raise DimensionMismatchError(
                    "The dimension given to Quantity does not match that of the values",
                    arr_dim,
                    dim,
                )
        result = _numeric_array(values, dtype, copy).view(cls)
        result.dim = dim
        return result

    @classmethod
    def with_dimensions(cls, value: Any, *args: Any, **keywords: float) -> Quantity:
        """A quantity of ``value`` (in SI base units) with the given dimension.

        The dimension is a `Dimension`, or arguments as for
        `get_or_create_dimension`: ``Quantity.with_dimensions(2, volt.dim)``,
        ``Quantity.with_dimensions(2, length=1)``.
        """
        if len(args) == 1 and isinstance(args[0], Dimension) and not keywords:
            dim = args[0]
        else:
            dim = get_or_create_dimension(*args, **keywords)
        return Quantity(value, dim=dim)

    def __array_finalize__(self, obj: Any) -> None:
        if obj is not None:
            dim = getattr(obj, "dim", DIMENSIONLESS)
            self.dim = dim if type(dim) is Dimension else DIMENSIONLESS

    # -- attributes --------------------------------------------------------
    @property
    def dimensions(self) -> Dimension:
        """Alias of ``dim``."""
        return self.dim

    @property
    def is_dimensionless(self) -> bool:
        """True if the quantity has no physical dimension."""
        return self.dim is DIMENSIONLESS

    def has_same_dimensions(self, other: Any) -> bool:
        """True if ``other`` (quantity, unit, Dimension or number) has this dimension."""
        return get_dimensions(other) is self.dim

    # -- display -----------------------------------------------------------
    def in_unit(self, u: Any, precision: int | None = None, python_code: bool = False) -> str:
        """Text of the values in unit ``u``: ``(25.1 * mV).in_unit(volt) == "0.0251 V"``.

        ``precision`` is the number of digits after the decimal point;
        ``python_code=True`` gives evaluable text (``"25.1 * mvolt"``).
        """
        u_dim = get_dimensions(u)
        if u_dim is not self.dim:
            raise DimensionMismatchError(
                f"Cannot show {_short_str(self)} in unit {_short_str(u)}", self.dim, u_dim
            )
        values = self.view(np.ndarray) / np.asarray(u)
        text = _format_values(np.asarray(values), precision, python_code)
        if isinstance(u, Unit):
            if u_dim is DIMENSIONLESS and float(u) == 1.0:
                return f"Quantity({text})" if python_code else text
            return f"{text} * {u!r}" if python_code else f"{text} {u}"
        if isinstance(u, Quantity) and u.size == 1 and u_dim is not DIMENSIONLESS:
            unit = get_unit(u_dim)
            factor = float(np.asarray(u).ravel()[0])
            if factor == 1.0:
                return f"{text} * {unit!r}" if python_code else f"{text} {unit}"
            return f"{text} * {factor!r} * {unit!r}" if python_code else f"{text} ({u})"
        return f"Quantity({text})" if python_code else text

    def get_best_unit(self) -> Unit:
        """The unit `in_best_unit` would use."""
        return _best_unit(self)

    def in_best_unit(self, precision: int | None = None, python_code: bool = False) -> str:
        """Text of the values in the unit that shows them best (values near 10)."""
        return self.in_unit(_best_unit(self), precision=precision, python_code=python_code)

    def __str__(self) -> str:
        return self.in_best_unit()

    def __repr__(self) -> str:
        return self.in_best_unit(python_code=True)

    def __format__(self, format_spec: str) -> str:
        if format_spec == "":
            return str(self)
        return super().__format__(format_spec)

    # -- numpy protocols ---------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        values: list[Any] = []
        dims: list[Dimension] = []
        for item in inputs:
            if isinstance(item, Quantity):
                values.append(item.view(np.ndarray))
                dims.append(item.dim)
            elif isinstance(item, (np.ndarray, *_SCALAR_TYPES)):
                values.append(item)
                dims.append(DIMENSIONLESS)
            elif isinstance(item, (list, tuple)):
                value, dim = _split(item)
                values.append(value)
                dims.append(dim)
            elif hasattr(item, "__array__") or hasattr(item, "__array_interface__"):
                # (e.g. a group's variable view: its values in SI, its dimensions kept)
                values.append(np.asarray(item))
                dims.append(get_dimensions(item) if hasattr(item, "dim") else DIMENSIONLESS)
            else:
                return NotImplemented
        where = kwargs.get("where")
        if isinstance(where, Quantity):
            kwargs["where"] = where.view(np.ndarray)
        out = kwargs.pop("out", None)

        if method in ("__call__", "outer"):
            out_dims = _call_dims(ufunc.__name__, ufunc.nout, inputs, values, dims)
        elif method in ("reduce", "accumulate", "reduceat"):
            out_dims = (_reduce_dims(ufunc, method, values[0], dims[0], kwargs),)
            is_product = ufunc.__name__ == "multiply"
            if method == "accumulate" and is_product and dims[0] is not DIMENSIONLESS:
                raise TypeError("numpy.multiply.accumulate needs a dimensionless array")
        elif method == "at":
            operand_dims = [dims[0]] + dims[2:]
            operand_values = [values[0]] + values[2:]
            operand_inputs = (inputs[0], *inputs[2:])
            result_dims = _call_dims(
                ufunc.__name__, ufunc.nout, operand_inputs, operand_values, operand_dims
            )
            if result_dims[0] is not dims[0]:
                raise DimensionMismatchError(
                    f"numpy.{ufunc.__name__}.at would change the dimensions of the array",
                    dims[0],
                    result_dims[0],
                )
            return ufunc.at(*values, **kwargs)
        else:
            return NotImplemented

        if out is not None:
            kwargs["out"] = tuple(_prepare_out(o, d) for o, d in zip(out, out_dims, strict=False))
        result = getattr(ufunc, method)(*values, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        if len(out_dims) == 1:
            return _wrap(result, out_dims[0])
        return tuple(_wrap(r, d) for r, d in zip(result, out_dims, strict=True))

    def __array_function__(
        self,
        func: Callable[..., Any],
        types: tuple[type, ...],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        if not all(issubclass(t, np.ndarray) for t in types):
            return NotImplemented
        handler = HANDLED_FUNCTIONS.get(func)
        if handler is not None:
            return handler(func, args, kwargs)
        from .numpyfuncs import fallback

        return fallback(func, args, kwargs)

    # -- fast paths for scalar arithmetic -----------------------------------
    def _fast_values(self) -> float | None:
        if self.ndim == 0 and self.dtype.type is np.float64:
            return float(self)
        return None

    def __mul__(self, other: Any) -> Any:
        kind = type(other)
        if kind is float or kind is int:
            value = self._fast_values()
            if value is not None:
                try:
                    return _scalar(value * other, self.dim)
                except OverflowError:
                    pass
        elif kind is Quantity:
            a, b = self._fast_values(), other._fast_values()
            if a is not None and b is not None:
                return _scalar(a * b, self.dim * other.dim)
        return super().__mul__(other)

    def __rmul__(self, other: Any) -> Any:
        kind = type(other)
        if kind is float or kind is int:
            value = self._fast_values()
            if value is not None:
                try:
                    return _scalar(other * value, self.dim)
                except OverflowError:
                    pass
        return super().__rmul__(other)

    def __truediv__(self, other: Any) -> Any:
        kind = type(other)
        if (kind is float or kind is int) and other != 0:
            value = self._fast_values()
            if value is not None:
                try:
                    return _scalar(value / other, self.dim)
                except OverflowError:
                    pass
        elif kind is Quantity:
            a, b = self._fast_values(), other._fast_values()
            if a is not None and b is not None and b != 0:
                return _scalar(a / b, self.dim / other.dim)
        return super().__truediv__(other)

    def __rtruediv__(self, other: Any) -> Any:
        kind = type(other)
        if kind is float or kind is int:
            value = self._fast_values()
            if value is not None and value != 0:
                try:
                    return _scalar(other / value, DIMENSIONLESS / self.dim)
                except OverflowError:
                    pass
        return super().__rtruediv__(other)

    def __add__(self, other: Any) -> Any:
        if type(other) is Quantity and other.dim is self.dim:
            a, b = self._fast_values(), other._fast_values()
            if a is not None and b is not None:
                return _scalar(a + b, self.dim)
        return super().__add__(other)

    def __sub__(self, other: Any) -> Any:
        if type(other) is Quantity and other.dim is self.dim:
            a, b = self._fast_values(), other._fast_values()
            if a is not None and b is not None:
                return _scalar(a - b, self.dim)
        return super().__sub__(other)

    # -- comparisons with things that are not numbers ----------------------
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if not _is_numeric_operand(other):
            return NotImplemented
        return super().__eq__(other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        if not _is_numeric_operand(other):
            return NotImplemented
        return super().__ne__(other)

    # -- element access ------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, Quantity):
            key = key.view(np.ndarray)
        result = super().__getitem__(key)
        if isinstance(result, np.ndarray):
            return result
        return _keep(result, self.dim)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, Quantity):
            key = key.view(np.ndarray)
        values, dim = _split(value)
        if dim is not self.dim and not (dim is DIMENSIONLESS and _is_neutral(values)):
            raise DimensionMismatchError(
                f"Cannot assign {_short_str(value)} to an array with unit {_unit_text(self.dim)}",
                self.dim,
                dim,
            )
        self.view(np.ndarray)[key] = values

    def __iter__(self) -> Iterator[Quantity]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d quantity")
        dim = self.dim
        return (_keep(row, dim) for row in self.view(np.ndarray))

    def item(self, *args: Any) -> Any:
        """One element: a plain Python number if dimensionless, else a 0-d quantity."""
        value = self.view(np.ndarray).item(*args)
        if self.dim is DIMENSIONLESS:
            return value
        return _keep(value, self.dim)

    def tolist(self) -> Any:
        """Nested lists of the elements (0-d quantities unless dimensionless)."""
        plain = self.view(np.ndarray).tolist()
        if self.dim is DIMENSIONLESS:
            return plain
        dim = self.dim

        def convert(item: Any) -> Any:
            if isinstance(item, list):
                return [convert(x) for x in item]
            return _keep(item, dim)

        return convert(plain)

    def fill(self, value: Any) -> None:
        """Set every element to ``value`` (which must have this dimension)."""
        self[...] = value

    def put(self, indices: Any, values: Any, mode: str = "raise") -> None:
        """``ndarray.put`` with a dimension check of ``values``."""
        plain, dim = _split(values)
        if dim is not self.dim and not (dim is DIMENSIONLESS and _is_neutral(plain)):
            raise DimensionMismatchError("Cannot put values of other dimensions", self.dim, dim)
        self.view(np.ndarray).put(indices, plain, mode=mode)

    # -- reductions and other methods (dimension-aware numpy functions) ------
    def sum(self, *args: Any, **kwargs: Any) -> Any:
        """Sum, keeping the dimension."""
        return np.sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        """Mean, keeping the dimension."""
        return np.mean(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Any:
        """Standard deviation, keeping the dimension."""
        return np.std(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Any:
        """Variance, with the dimension squared."""
        return np.var(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        """Minimum, keeping the dimension."""
        return np.min(self, *args, **kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        """Maximum, keeping the dimension."""
        return np.max(self, *args, **kwargs)

    def ptp(self, *args: Any, **kwargs: Any) -> Any:
        """Peak-to-peak range, keeping the dimension."""
        return np.ptp(self, *args, **kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Any:
        """Cumulative sum, keeping the dimension."""
        return np.cumsum(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        """Product; the dimension is raised to the number of factors."""
        return np.prod(self, *args, **kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Any:
        """Cumulative product (dimensionless quantities only)."""
        return np.cumprod(self, *args, **kwargs)

    def round(self, *args: Any, **kwargs: Any) -> Any:
        """Round the SI values, keeping the dimension."""
        return np.round(self, *args, **kwargs)

    def __round__(self, ndigits: int | None = None) -> Any:
        return np.round(self, ndigits or 0)

    def clip(self, *args: Any, **kwargs: Any) -> Any:
        """Clip to bounds with the same dimension."""
        return np.clip(self, *args, **kwargs)

    def dot(self, *args: Any, **kwargs: Any) -> Any:
        """Dot product; dimensions multiply."""
        return np.dot(self, *args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> Any:
        """Sum along a diagonal, keeping the dimension."""
        return np.trace(self, *args, **kwargs)

    def searchsorted(self, *args: Any, **kwargs: Any) -> Any:
        """``np.searchsorted`` with a dimension check of the values."""
        return np.searchsorted(self, *args, **kwargs)

    # -- pickling ------------------------------------------------------------
    def __reduce__(self) -> tuple[Any, ...]:
        constructor, args, state = super().__reduce__()[:3]
        return constructor, args, (state, self.dim)

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], Dimension):
            super().__setstate__(state[0])
            self.dim = state[1]
        else:
            super().__setstate__(state)


# ---------------------------------------------------------------------------
# Unit
# ---------------------------------------------------------------------------


def _default_unit_names(unit: Quantity) -> tuple[str, str]:
    """(name, dispname) for an unnamed unit: its value and base-unit dimension."""
    value = np.asarray(unit).ravel()
    factor = float(value[0]) if value.size == 1 else None
    if unit.dim is DIMENSIONLESS:
        shown = "1" if factor == 1.0 else repr(factor)
        return f"Unit({shown})", shown
    if factor == 1.0:
        return repr(unit.dim), str(unit.dim)
    return f"{factor!r} * {unit.dim!r}", f"{factor!r} {unit.dim}"


def _format_power(exponent: float) -> str:
    return str(int(exponent)) if float(exponent).is_integer() else repr(float(exponent))


def _paren(text: str, needed: bool) -> str:
    return f"({text})" if needed else text


class Unit(Quantity):
    """A named unit: a scalar quantity with a ``name`` and a display name.

    ``mV.name == "mvolt"``, ``str(mV) == mV.dispname == "mV"``,
    ``float(mV) == 0.001`` (SI value) and ``mV.scale == -3`` (the power-of-ten
    prefix relative to the unprefixed unit). Multiplying, dividing or
    raising units gives compound units (``mV / ms``, ``cm ** 2``); anything
    else (``3 * mV``) gives a `Quantity`.
    """

    name: str
    dispname: str
    scale: float
    iscompound: bool

    def __new__(
        cls,
        value: Any = 1.0,
        dim: Dimension | None = None,
        name: str | None = None,
        dispname: str | None = None,
        scale: float = 0,
        iscompound: bool = False,
    ) -> Unit:
        result = Quantity.__new__(cls, value, dim=dim)
        if name is None:
            name, default_dispname = _default_unit_names(result)
            if dispname is None:
                dispname = default_dispname
        result.name = name
        result.dispname = name if dispname is None else dispname
        result.scale = scale
        result.iscompound = iscompound
        return result

    def __array_finalize__(self, obj: Any) -> None:
        super().__array_finalize__(obj)
        if isinstance(obj, Unit):
            self.name = obj.name
            self.dispname = obj.dispname
            self.scale = obj.scale
            self.iscompound = obj.iscompound
        else:
            self.name = repr(self.dim)
            self.dispname = str(self.dim)
            self.scale = 0
            self.iscompound = True

    def __repr__(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.dispname

    def __hash__(self) -> int:
        return hash((self.dim, float(self.view(np.ndarray).ravel()[0])))

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _unpickle_unit,
            (
                self.view(np.ndarray).copy(),
                self.dim,
                self.name,
                self.dispname,
                self.scale,
                self.iscompound,
            ),
        )

    # -- compound units ------------------------------------------------------
    def __mul__(self, other: Any) -> Any:
        if isinstance(other, Unit):
            return Unit(
                np.asarray(self) * np.asarray(other),
                self.dim * other.dim,
                name=f"{self.name} * {other.name}",
                dispname=(
                    f"{_paren(self.dispname, '/' in self.dispname)} "
                    f"{_paren(other.dispname, '/' in other.dispname)}"
                ),
                scale=self.scale + other.scale,
                iscompound=True,
            )
        return super().__mul__(other)

    def __rmul__(self, other: Any) -> Any:
        if isinstance(other, Unit):
            return other.__mul__(self)
        return super().__rmul__(other)

    def __truediv__(self, other: Any) -> Any:
        if isinstance(other, Unit):
            return Unit(
                np.asarray(self) / np.asarray(other),
                self.dim / other.dim,
                name=f"{self.name} / {_paren(other.name, other.iscompound)}",
                dispname=(
                    f"{_paren(self.dispname, self.iscompound)}/"
                    f"{_paren(other.dispname, other.iscompound)}"
                ),
                scale=self.scale - other.scale,
                iscompound=True,
            )
        return super().__truediv__(other)

    def __rtruediv__(self, other: Any) -> Any:
        if isinstance(other, Unit):
            return other.__truediv__(self)
        if (type(other) is int or type(other) is float) and other == 1:
            return self**-1
        return super().__rtruediv__(other)

    def __pow__(self, exponent: Any) -> Any:
        if isinstance(exponent, Quantity):
            if exponent.dim is not DIMENSIONLESS:
                raise DimensionMismatchError(
                    "The exponent of a power must be dimensionless", exponent.dim
                )
            exponent = exponent.view(np.ndarray)
        if isinstance(exponent, (numbers.Real, np.ndarray)) and np.ndim(exponent) == 0:
            power = float(exponent)
            text = _format_power(power)
            scale = self.scale * power
            return Unit(
                np.asarray(self) ** power,
                self.dim**power,
                name=f"{_paren(self.name, self.iscompound)} ** {text}",
                dispname=f"{_paren(self.dispname, self.iscompound)}^{text}",
                scale=int(scale) if float(scale).is_integer() else scale,
                iscompound=True,
            )
        return super().__pow__(exponent)


def _unpickle_unit(
    value: Any, dim: Dimension, name: str, dispname: str, scale: float, iscompound: bool
) -> Unit:
    known = _NAMED_UNITS.get(name)
    if (
        known is not None
        and known.dim is dim
        and known.dispname == dispname
        and np.array_equal(np.asarray(known), np.asarray(value))
    ):
        return known
    return Unit(value, dim, name=name, dispname=dispname, scale=scale, iscompound=iscompound)
