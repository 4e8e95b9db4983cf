"""Variables of groups, their resolution, and unit-aware state access.

A group's state lives in plain numpy arrays in SI units (``Variable.array``);
users see it through :class:`VariableView`, which carries the unit and accepts
quantities, arrays, or string expressions on assignment (``G.v = '-60*mV +
10*mV*rand()'``, ``G.v[:10] = -70*mV``, ``G.v['i > 5'] = 0*mV``).
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass

import numpy as np

from sim import units as _units
from sim.equations import NOISE_DIM, is_noise_name
from sim.parsing import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS
from sim.units import (
    DIMENSIONLESS,
    Dimension,
    Quantity,
    second,
)
from sim.user_functions import as_user_function

__all__ = [
    "Variable", "VariableView", "Resolved", "resolve_external", "DEFAULT_NAMESPACE",
    "ScopedNamespace",
]


class ScopedNamespace(ChainMap):
    """Names an object adds for its own code (e.g. PoissonInput's weight), on top of the
    namespace that would otherwise apply; a group's own ``namespace=`` does not hide them."""


@dataclass
class Variable:
    """One named variable of a group.

    ``kind``: ``'array'`` (state, ``array`` holds SI values; length 1 if shared),
    ``'subexpression'`` (``expr``), ``'constant'`` (``value``).
    """

    name: str
    dim: Dimension
    kind: str
    dtype: np.dtype = np.dtype(np.float64)
    array: np.ndarray | None = None
    shared: bool = False
    constant: bool = False
    read_only: bool = False
    expr: str | None = None
    value: object = None
    linked: bool = False
    index: np.ndarray | None = None  # linked variables: element -> index into ``array``

    @property
    def is_bool(self) -> bool:
        return self.dtype == np.dtype(bool)


@dataclass(frozen=True)
class Resolved:
    """What a name in a model string refers to, for one run."""

    kind: str  # 'variable' | 'constant' | 'clock' | 'noise' | 'function'
    dim: Dimension
    value: object = None
    variable: Variable | None = None


def _default_namespace() -> dict:
    ns: dict[str, object] = {}
    for name in dir(_units):
        value = getattr(_units, name)
        if isinstance(value, Quantity) and not name.startswith("_"):
            ns[name] = value
    ns.update(DEFAULT_CONSTANTS)
    ns["True"] = True
    ns["False"] = False
    return ns


DEFAULT_NAMESPACE = _default_namespace()


def resolve_external(name: str, namespace: dict | None, context: str) -> Resolved:
    """Resolve a name that is not a model variable: namespace, then units and constants."""
    if is_noise_name(name):
        return Resolved("noise", NOISE_DIM)
    if name in ("t", "dt"):
        return Resolved("clock", second.dim)
    found = False
    value = None
    if namespace is not None and name in namespace:
        value, found = namespace[name], True
    elif name in DEFAULT_NAMESPACE:
        value, found = DEFAULT_NAMESPACE[name], True
    if not found:
        if name in DEFAULT_FUNCTIONS:
            raise SyntaxError(f"'{name}' is a function and must be called in {context}")
        raise KeyError(
            f"The identifier '{name}' in {context} could not be resolved: it is not a model "
            f"variable and is not defined in the namespace (define it before run(), or pass "
            f"namespace={{'{name}': ...}})"
        )
    if isinstance(value, bool | np.bool_):
        return Resolved("constant", DIMENSIONLESS, bool(value))
    if isinstance(value, Quantity):
        if value.size != 1:
            raise TypeError(
                f"The external constant '{name}' in {context} must be a scalar, "
                f"got an array of shape {value.shape}"
            )
        return Resolved("constant", value.dim, float(np.asarray(value).reshape(())))
    if isinstance(value, int | float | np.number):
        return Resolved("constant", DIMENSIONLESS, value.item() if hasattr(value, "item")
                        else value)
    if isinstance(value, np.ndarray) and value.size == 1:
        return Resolved("constant", DIMENSIONLESS, value.reshape(()).item())
    function = as_user_function(value)  # TimedArray, Function, @check_units functions
    if function is not None:
        return Resolved("function", DIMENSIONLESS, function)
    raise TypeError(
        f"The identifier '{name}' in {context} refers to a {type(value).__name__}, which "
        f"cannot be used in model strings (only numbers and quantities)"
    )


class VariableView:
    """A live, unit-aware view of a group's variable (what ``G.v`` returns)."""

    __slots__ = ("group", "variable")
    __array_priority__ = 1000

    def __init__(self, group, variable: Variable):
        self.group = group
        self.variable = variable

    # -- reading -----------------------------------------------------------
    def _values(self) -> np.ndarray:
        return self.group._get_values(self.variable)

    def _whole_shared(self, key) -> bool:
        """``G.s[:]`` of a shared variable: one value for the group, a scalar (Brian 2)."""
        return self.variable.shared and isinstance(key, slice) and key == slice(None)

    def _quantity(self, values: np.ndarray):
        if self.variable.dim.is_dimensionless:
            return values
        return Quantity(values, dim=self.variable.dim)

    def get_item(self, key):
        if isinstance(key, str):
            key = self.group._indices_from_condition(key, level=2)
        values = self._values()  # (the frame depth matters: names resolve in the caller's)
        return self._quantity(values.reshape(()) if self._whole_shared(key) else values[key])

    def __getitem__(self, key):
        if isinstance(key, str):
            key = self.group._indices_from_condition(key, level=1)
        values = self._values()
        return self._quantity(values.reshape(()) if self._whole_shared(key) else values[key])

    def __setitem__(self, key, value) -> None:
        self.group._set_values(self.variable, key, value, level=1)

    def __array__(self, dtype=None, copy=None):
        values = self._values()
        return np.asarray(values, dtype=dtype) if dtype is not None else np.array(values)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x[:] if isinstance(x, VariableView) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        args = tuple(x[:] if isinstance(x, VariableView) else x for x in args)
        return func(*args, **kwargs)

    def __len__(self) -> int:
        return len(self._values())

    def __iter__(self):
        return iter(self[:])

    @property
    def shape(self) -> tuple:
        return self._values().shape

    @property
    def dim(self) -> Dimension:
        return self.variable.dim

    def __repr__(self) -> str:
        return f"<{self.group.name}.{self.variable.name}: {self[:]!r}>"

    def __str__(self) -> str:  # Brian 2 prints the view: <neurongroup.v: array(...) * volt>
        return repr(self)

    def __bool__(self) -> bool:
        return bool(self[:])

    def __float__(self) -> float:
        return float(self[:])

    def __int__(self) -> int:
        return int(self[:])


def _make_op(name: str):
    def op(self, *args):
        return getattr(self[:], name)(*args)

    op.__name__ = name
    return op


for _name in (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__pow__", "__rpow__",
    "__neg__", "__pos__", "__abs__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__",
    "__ne__", "sum", "mean", "std", "var", "min", "max", "copy", "__round__",
):
    setattr(VariableView, _name, _make_op(_name))



def _view_hash(self) -> int:
    # Brian 2's views hash by (group, variable name), so that they can be dictionary keys
    # (``device.run(run_args={G.v: ...})``); ``==`` stays element-wise, as numpy's
    return hash((id(self.group), self.variable.name))


VariableView.__hash__ = _view_hash  # type: ignore[assignment]
del _name
