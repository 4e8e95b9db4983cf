"""The `check_units` decorator: dimension checks on function arguments and results."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from .dimensions import Dimension, DimensionMismatchError
from .quantity import Quantity, _short_str, get_dimensions, get_unit_for_display

__all__ = ["check_units"]

F = TypeVar("F", bound=Callable[..., Any])

_BOOL_TYPES = (bool, np.bool_)


def _is_bool_spec(spec: Any) -> bool:
    return spec is bool or spec is np.bool_


def _expected_dim(spec: Any) -> Dimension:
    if isinstance(spec, Dimension):
        return spec
    return get_dimensions(spec)


def _validate_spec(key: str, spec: Any) -> None:
    if spec is None or _is_bool_spec(spec) or isinstance(spec, (str, Dimension, Quantity)):
        return
    if isinstance(spec, (int, float)) and spec == 1:
        return
    if key == "result" and callable(spec):
        return
    raise TypeError(
        f"check_units: invalid specification {spec!r} for {key!r}; use a unit, 1 "
        "(dimensionless), bool, None (unchecked) or the name of another argument"
    )


def _describe_value(value: Any) -> str:
    return _short_str(value, 50)


def _value_dim(function_name: str, key: str, value: Any) -> Dimension:
    try:
        return get_dimensions(value)
    except TypeError:
        pass
    try:
        return Quantity(value).dim
    except (TypeError, ValueError):
        raise TypeError(
            f"Function {function_name}: argument '{key}' should be a quantity or a number, "
            f"got an object of type {type(value).__name__}"
        ) from None


def check_units(**au: Any) -> Callable[[F], F]:
    """Decorator that checks the dimensions of arguments and of the return value.

    Each keyword names an argument of the decorated function and gives what
    it must be:

    * a unit or quantity (``v=volt``): the argument must have its dimension;
    * ``1``: the argument must be dimensionless (numbers and arrays are);
    * ``bool``: the argument must be ``True`` or ``False``;
    * ``None``: no check;
    * a string naming another argument: the same dimension as that argument.

    ``result=`` checks the return value the same way; it may also be a
    function that receives the dimensions of the positional arguments and
    returns the expected unit or dimension. ``None`` and string values of
    arguments are never checked (they are typically defaults or names).

    Example::

        @check_units(v=volt, I=amp, result=volt)
        def f(v, I):
            return v + I * ohm

    Raises `DimensionMismatchError` (naming the function, the argument, its
    unit and the expected one) or `TypeError` for a non-boolean ``bool``
    argument. The wrapper keeps the original function as ``_orig_func`` and
    the specification as ``_arg_names``, ``_arg_units``, ``_return_unit`` and
    ``_returns_bool``.
    """
    for key, spec in au.items():
        _validate_spec(key, spec)

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        fname = getattr(func, "__name__", repr(func))

        def check_argument(key: str, value: Any, bound: dict[str, Any]) -> None:
            spec = au[key]
            if spec is None or value is None or isinstance(value, str):
                return
            if _is_bool_spec(spec):
                if not isinstance(value, _BOOL_TYPES):
                    raise TypeError(
                        f"Function {fname}: argument '{key}' should be a boolean, "
                        f"got {_describe_value(value)}"
                    )
                return
            dim = _value_dim(fname, key, value)
            if isinstance(spec, str):
                if spec not in bound:
                    if spec not in signature.parameters:
                        raise TypeError(
                            f"Function {fname}: argument '{key}' should have the unit of "
                            f"argument '{spec}', but there is no argument of that name"
                        )
                    return
                other = bound[spec]
                if other is None or isinstance(other, str):
                    return
                other_dim = _value_dim(fname, spec, other)
                if dim is not other_dim:
                    raise DimensionMismatchError(
                        f"Function {fname}: argument '{key}' has unit "
                        f"{get_unit_for_display(dim)}, but it should have the unit of "
                        f"argument '{spec}' ({get_unit_for_display(other_dim)})",
                        dim,
                        other_dim,
                    )
                return
            expected = _expected_dim(spec)
            if dim is not expected:
                raise DimensionMismatchError(
                    f"Function {fname}: argument '{key}' has unit {get_unit_for_display(dim)} "
                    f"(got {_describe_value(value)}), expected unit "
                    f"{get_unit_for_display(expected)}",
                    dim,
                    expected,
                )

        def check_result(result: Any, args: tuple[Any, ...]) -> None:
            spec = au["result"]
            if spec is None:
                return
            if _is_bool_spec(spec):
                if not isinstance(result, _BOOL_TYPES) and not (
                    isinstance(result, np.ndarray) and result.dtype == bool
                ):
                    raise TypeError(
                        f"Function {fname}: the result should be a boolean, "
                        f"got {_describe_value(result)}"
                    )
                return
            if callable(spec) and not isinstance(spec, (Quantity, Dimension)):
                spec = spec(*[get_dimensions(arg) for arg in args])
            expected = _expected_dim(spec)
            dim = _value_dim(fname, "result", result)
            if dim is not expected:
                raise DimensionMismatchError(
                    f"Function {fname}: the result has unit {get_unit_for_display(dim)} "
                    f"(got {_describe_value(result)}), expected unit "
                    f"{get_unit_for_display(expected)}",
                    dim,
                    expected,
                )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs).arguments
            except TypeError:
                return func(*args, **kwargs)  # let Python report the bad call
            values = dict(bound)
            for name, param in signature.parameters.items():
                if param.kind is inspect.Parameter.VAR_KEYWORD and name in values:
                    values.update(values.pop(name))
            for key in au:
                if key != "result" and key in values:
                    check_argument(key, values[key], values)
            result = func(*args, **kwargs)
            if "result" in au:
                check_result(result, args)
            return result

        arg_names = [
            name
            for name, param in signature.parameters.items()
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
        ]
        wrapper._orig_func = func  # type: ignore[attr-defined]
        wrapper._arg_names = arg_names  # type: ignore[attr-defined]
        wrapper._arg_units = [au.get(name) for name in arg_names]  # type: ignore[attr-defined]
        wrapper._return_unit = au.get("result")  # type: ignore[attr-defined]
        wrapper._returns_bool = _is_bool_spec(au.get("result"))  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
