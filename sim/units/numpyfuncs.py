"""Dimension rules for numpy functions called on quantities (``__array_function__``).

Each supported function strips the dimensions, calls numpy on the SI values
and puts the right dimension back on the result. Functions that are not
listed here work on quantities only when every quantity involved is
dimensionless; otherwise they raise `TypeError` rather than silently drop the
units.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .dimensions import DIMENSIONLESS, Dimension, DimensionMismatchError
from .quantity import (
    HANDLED_FUNCTIONS,
    Quantity,
    _check_same,
    _is_neutral,
    _short_str,
    _split,
    _wrap,
    get_dimensions,
)

Handler = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]

_ARRAY_NAMES = ("a", "arr", "ary", "array", "m", "x", "y", "f", "ar", "input")


def _functions(names: Iterable[str], module: Any = np) -> list[Callable[..., Any]]:
    """The numpy functions among ``names`` that exist in this numpy version."""
    found = []
    for name in names:
        func = getattr(module, name, None)
        if func is not None and func not in found:
            found.append(func)
    return found


def _implements(funcs: Iterable[Callable[..., Any]]) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for func in funcs:
            HANDLED_FUNCTIONS[func] = handler
        return handler

    return register


def _strip(obj: Any) -> Any:
    """Replace quantities by plain arrays, also inside lists and tuples."""
    if isinstance(obj, Quantity):
        return obj.view(np.ndarray)
    if type(obj) in (list, tuple):
        return type(obj)(_strip(x) for x in obj)
    return obj


def _strip_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: _strip(value) for key, value in kwargs.items()}


def _quantities(obj: Any) -> Iterable[Quantity]:
    if isinstance(obj, Quantity):
        yield obj
    elif type(obj) in (list, tuple):
        for item in obj:
            yield from _quantities(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _quantities(item)


def _elements(obj: Any) -> Iterable[Any]:
    """Leaves of nested lists/tuples (the arrays of ``np.block`` and friends)."""
    if type(obj) in (list, tuple):
        for item in obj:
            yield from _elements(item)
    else:
        yield obj


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__name__", repr(func))


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, *names: str) -> Any:
    if len(args) > position:
        return args[position]
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return None


def _common_dim(func: Callable[..., Any], items: list[Any]) -> Dimension:
    """Dimension shared by ``items`` (dimensionless zeros adapt), else raise."""
    present = [item for item in items if item is not None and item is not np._NoValue]
    if not present:
        return DIMENSIONLESS
    values = []
    dims = []
    for item in present:
        value, dim = _split(item)
        values.append(value)
        dims.append(dim)

    def describe() -> str:
        shown = ", ".join(_short_str(item, 30) for item in present)
        return f"numpy.{_name(func)} needs arguments with the same dimensions, got {shown}"

    return _check_same(values, dims, describe)


def _call(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], dim: Dimension
) -> Any:
    """Call ``func`` on plain values, handling a quantity passed as ``out``."""
    out = kwargs.get("out")
    plain_kwargs = _strip_kwargs(kwargs)
    if isinstance(out, Quantity):
        if out.dim is not dim:
            raise DimensionMismatchError(
                f"numpy.{_name(func)} cannot write its result into an array of other dimensions",
                out.dim,
                dim,
            )
    elif out is not None and dim is not DIMENSIONLESS:
        raise DimensionMismatchError(
            f"numpy.{_name(func)} cannot write a result with dimensions into a plain array", dim
        )
    result = func(*_strip(args), **plain_kwargs)
    if out is not None:
        return out
    return result


def _wrap_all(result: Any, dim: Dimension) -> Any:
    if isinstance(result, (list, tuple)):
        return type(result)(_wrap(item, dim) for item in result)
    return _wrap(result, dim)


def _wrap_first(result: Any, dim: Dimension) -> Any:
    if isinstance(result, tuple):
        return (_wrap(result[0], dim), *result[1:])
    return _wrap(result, dim)


def _check_extras(func: Callable[..., Any], main: Any, args: tuple[Any, ...], kwargs: dict) -> None:
    """Other quantity arguments must be dimensionless or share the main dimension."""
    dim = get_dimensions(main)
    for item in [*args, *kwargs.values()]:
        if item is main:
            continue
        for quantity in _quantities(item):
            if quantity.dim is not dim and quantity.dim is not DIMENSIONLESS:
                raise DimensionMismatchError(
                    f"numpy.{_name(func)}: argument {_short_str(quantity)} does not have the "
                    "dimensions of the array",
                    dim,
                    quantity.dim,
                )


# ---------------------------------------------------------------------------
# Functions that keep the dimension of their (first) array argument
# ---------------------------------------------------------------------------

_KEEP_NAMES = [
    # reductions and statistics
    "sum", "nansum", "mean", "nanmean", "median", "nanmedian", "std", "nanstd",
    "min", "max", "amin", "amax", "nanmin", "nanmax", "ptp",
    "percentile", "nanpercentile", "quantile", "nanquantile",
    "cumsum", "nancumsum", "cumulative_sum", "diff", "ediff1d", "trace",
    # rounding and element-wise helpers
    "round", "around", "fix", "real", "imag", "conj", "conjugate", "real_if_close",
    "nan_to_num", "sort_complex",
    # shape and order
    "reshape", "ravel", "transpose", "permute_dims", "matrix_transpose", "swapaxes",
    "moveaxis", "rollaxis", "squeeze", "expand_dims", "flip", "fliplr", "flipud", "roll",
    "rot90", "repeat", "tile", "broadcast_to", "take", "take_along_axis", "diagonal",
    "diag", "diagflat", "tril", "triu", "resize", "copy", "sort", "partition",
    "trim_zeros", "delete", "pad", "unique_values", "histogram_bin_edges",
    # creation from a template
    "ones_like", "zeros_like", "empty_like",
]  # fmt: skip

_FFT_NAMES = [
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
    "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift",
]  # fmt: skip


@_implements(
    _functions(_KEEP_NAMES)
    + _functions(_FFT_NAMES, np.fft)
    + _functions(["norm", "matrix_norm", "vector_norm"], np.linalg)
)
def _keep_dims(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    main = args[0] if args else _argument(args, kwargs, 0, *_ARRAY_NAMES)
    dim = get_dimensions(main)
    _check_extras(func, main, args, kwargs)
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["unique"]))
def _unique(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    main = _argument(args, kwargs, 0, "ar")
    return _wrap_first(func(*_strip(args), **_strip_kwargs(kwargs)), get_dimensions(main))


_EACH_NAMES = [
    "split", "array_split", "hsplit", "vsplit", "dsplit", "unstack",
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "meshgrid",
]  # fmt: skip


@_implements(_functions(_EACH_NAMES))
def _each(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    name = _name(func)
    if name in ("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "meshgrid"):
        dims = [get_dimensions(a) for a in args]
        result = func(*_strip(args), **_strip_kwargs(kwargs))
        if isinstance(result, (list, tuple)):
            return type(result)(_wrap(r, d) for r, d in zip(result, dims, strict=True))
        return _wrap(result, dims[0])
    main = _argument(args, kwargs, 0, "ary", "x")
    return _wrap_all(func(*_strip(args), **_strip_kwargs(kwargs)), get_dimensions(main))


@_implements(_functions(["compress", "extract"]))
def _second_is_array(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    main = _argument(args, kwargs, 1, "a", "arr")
    dim = get_dimensions(main)
    return _wrap(_call(func, args, kwargs, dim), dim)


# ---------------------------------------------------------------------------
# Functions whose array arguments must share one dimension
# ---------------------------------------------------------------------------


_JOIN_NAMES = [
    "concatenate", "concat", "stack", "hstack", "vstack", "dstack", "column_stack",
    "row_stack", "block",
]  # fmt: skip


@_implements(_functions(_JOIN_NAMES))
def _join(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    arrays = _argument(args, kwargs, 0, "arrays", "tup")
    dim = _common_dim(func, list(_elements(arrays)))
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["append"]))
def _append(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    arr = _argument(args, kwargs, 0, "arr")
    values = _argument(args, kwargs, 1, "values")
    dim = _common_dim(func, [arr, values])
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["insert"]))
def _insert(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    arr = _argument(args, kwargs, 0, "arr")
    values = _argument(args, kwargs, 2, "values")
    dim = _common_dim(func, [arr, values])
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["where"]))
def _where(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if len(args) + len(kwargs) == 1:
        return func(*_strip(args), **_strip_kwargs(kwargs))
    x = _argument(args, kwargs, 1, "x")
    y = _argument(args, kwargs, 2, "y")
    dim = _common_dim(func, [x, y])
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["clip"]))
def _clip(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    bounds = [
        _argument(args, kwargs, 1, "a_min"),
        _argument(args, kwargs, 2, "a_max"),
        kwargs.get("min"),
        kwargs.get("max"),
    ]
    dim = _common_dim(func, [a, *bounds])
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["full_like"]))
def _full_like(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    fill_value = _argument(args, kwargs, 1, "fill_value")
    dim = _common_dim(func, [a, fill_value])
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["intersect1d", "union1d", "setdiff1d", "setxor1d"]))
def _sets(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    ar1 = _argument(args, kwargs, 0, "ar1")
    ar2 = _argument(args, kwargs, 1, "ar2")
    dim = _common_dim(func, [ar1, ar2])
    return _wrap_first(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["linspace", "geomspace"]))
def _spaces(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    start = _argument(args, kwargs, 0, "start")
    stop = _argument(args, kwargs, 1, "stop")
    dim = _common_dim(func, [start, stop])
    return _wrap_all(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["interp"]))
def _interp(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x = _argument(args, kwargs, 0, "x")
    xp = _argument(args, kwargs, 1, "xp")
    fp = _argument(args, kwargs, 2, "fp")
    _common_dim(func, [x, xp, kwargs.get("period")])
    left = _argument(args, kwargs, 3, "left")
    right = _argument(args, kwargs, 4, "right")
    dim = _common_dim(func, [fp, left, right])
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


# ---------------------------------------------------------------------------
# Functions returning plain values
# ---------------------------------------------------------------------------

_PLAIN_NAMES = [
    "argmax", "argmin", "nanargmax", "nanargmin", "argsort", "argpartition", "argwhere",
    "nonzero", "flatnonzero", "count_nonzero", "shape", "ndim", "size", "iscomplexobj",
    "isrealobj", "iscomplex", "isreal", "isneginf", "isposinf", "may_share_memory",
    "shares_memory", "result_type", "can_cast", "min_scalar_type", "any", "all",
    "array_repr", "array_str", "array2string", "save", "savez", "savez_compressed",
    "savetxt", "corrcoef", "lexsort",
]  # fmt: skip


@_implements(_functions(_PLAIN_NAMES))
def _plain(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return func(*_strip(args), **_strip_kwargs(kwargs))


@_implements(_functions(["isclose", "allclose"]))
def _close(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    b = _argument(args, kwargs, 1, "b")
    dim = _common_dim(func, [a, b])
    atol = _argument(args, kwargs, 3, "atol")
    if isinstance(atol, Quantity) and atol.dim is not dim:
        raise DimensionMismatchError(
            f"numpy.{_name(func)}: atol must have the dimensions of the values", dim, atol.dim
        )
    return func(*_strip(args), **_strip_kwargs(kwargs))


@_implements(_functions(["array_equal", "array_equiv"]))
def _equal(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a1 = _argument(args, kwargs, 0, "a1")
    a2 = _argument(args, kwargs, 1, "a2")
    if get_dimensions(a1) is not get_dimensions(a2):
        return False
    return func(*_strip(args), **_strip_kwargs(kwargs))


@_implements(_functions(["searchsorted"]))
def _searchsorted(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    v = _argument(args, kwargs, 1, "v")
    _common_dim(func, [a, v])
    return func(*_strip(args), **_strip_kwargs(kwargs))


@_implements(_functions(["isin", "in1d"]))
def _isin(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    first = _argument(args, kwargs, 0, "element", "ar1")
    second = _argument(args, kwargs, 1, "test_elements", "ar2")
    _common_dim(func, [first, second])
    return func(*_strip(args), **_strip_kwargs(kwargs))


# ---------------------------------------------------------------------------
# Functions that combine dimensions
# ---------------------------------------------------------------------------


_PRODUCT_NAMES = [
    "dot", "vdot", "inner", "outer", "tensordot", "kron", "cross", "convolve", "correlate",
    "matmul", "vecdot",
]  # fmt: skip


@_implements(_functions(_PRODUCT_NAMES))
def _product(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a", "x1")
    b = _argument(args, kwargs, 1, "b", "v", "x2")
    dim = get_dimensions(a) * get_dimensions(b)
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["var", "nanvar"]))
def _variance(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    dim = get_dimensions(_argument(args, kwargs, 0, "a")) ** 2
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["cov"]))
def _covariance(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    m = _argument(args, kwargs, 0, "m")
    y = _argument(args, kwargs, 1, "y")
    dim = _common_dim(func, [m, y]) ** 2
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


def _count(shape: tuple[int, ...], axis: Any) -> int:
    if axis is None:
        return int(np.prod(shape))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return int(np.prod([shape[a] for a in axes]))


@_implements(_functions(["prod", "nanprod"]))
def _prod(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    dim = get_dimensions(a)
    if dim is not DIMENSIONLESS:
        if _name(func) == "nanprod" or kwargs.get("where", True) is not True:
            raise TypeError(
                f"numpy.{_name(func)} with NaNs or where= is not supported for quantities "
                "with dimensions (the number of factors would vary)"
            )
        dim = dim ** _count(np.shape(a), _argument(args, kwargs, 1, "axis"))
    return _wrap(_call(func, args, kwargs, dim), dim)


@_implements(_functions(["average"]))
def _average(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    weights = _argument(args, kwargs, 2, "weights")
    dim = get_dimensions(a)
    result = func(*_strip(args), **_strip_kwargs(kwargs))
    if _argument(args, kwargs, 3, "returned"):
        weight_dim = DIMENSIONLESS if weights is None else get_dimensions(weights)
        return _wrap(result[0], dim), _wrap(result[1], weight_dim)
    return _wrap(result, dim)


@_implements(_functions(["histogram"]))
def _histogram(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    bins = _argument(args, kwargs, 1, "bins")
    value_range = _argument(args, kwargs, 2, "range")
    density = _argument(args, kwargs, 3, "density")
    weights = _argument(args, kwargs, 4, "weights")
    items = [a, bins if isinstance(bins, Quantity) else None]
    if value_range is not None:
        items.extend(value_range)
    dim = _common_dim(func, items)
    hist, edges = func(*_strip(args), **_strip_kwargs(kwargs))
    if density:
        hist_dim = DIMENSIONLESS / dim
    else:
        hist_dim = DIMENSIONLESS if weights is None else get_dimensions(weights)
    return _wrap(hist, hist_dim), _wrap(edges, dim)


@_implements(_functions(["histogram2d"]))
def _histogram2d(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``histogram2d(x, y, bins, range, density, weights)``: ``x`` and ``y`` may each have a
    dimension; bins given as edges (``[x_edges, y_edges]``) and ``range``'s rows are in the
    dimension of their coordinate.  Returns ``(H, x_edges, y_edges)``, the edges with their
    coordinate's unit, ``H`` dimensionless (the weights' dimension with ``weights``, the
    inverse of the bin area's with ``density``)."""
    x = _argument(args, kwargs, 0, "x")
    y = _argument(args, kwargs, 1, "y")
    bins = _argument(args, kwargs, 2, "bins")
    value_range = _argument(args, kwargs, 3, "range")
    density = _argument(args, kwargs, 4, "density")
    weights = _argument(args, kwargs, 5, "weights")
    x_bins = y_bins = None
    if isinstance(bins, Quantity) and np.ndim(bins) == 1:  # the same edges for both
        x_bins = y_bins = bins
    elif isinstance(bins, list | tuple) and len(bins) == 2:
        x_bins, y_bins = (b if isinstance(b, Quantity) else None for b in bins)
    x_items, y_items = [x, x_bins], [y, y_bins]
    if value_range is not None:
        x_items.extend(value_range[0])
        y_items.extend(value_range[1])
    x_dim, y_dim = _common_dim(func, x_items), _common_dim(func, y_items)
    plain_bins = [_strip(b) for b in bins] if isinstance(bins, list | tuple) else _strip(bins)
    plain_range = None if value_range is None else [_strip(list(r)) for r in value_range]
    hist, x_edges, y_edges = func(_strip(x), _strip(y), bins=plain_bins, range=plain_range,
                                  density=density, weights=_strip(weights))
    if density:
        hist_dim = DIMENSIONLESS / (x_dim * y_dim)
    else:
        hist_dim = DIMENSIONLESS if weights is None else get_dimensions(weights)
    return _wrap(hist, hist_dim), _wrap(x_edges, x_dim), _wrap(y_edges, y_dim)


@_implements(_functions(["bincount"]))
def _bincount(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    x = _argument(args, kwargs, 0, "x")
    if get_dimensions(x) is not DIMENSIONLESS:
        raise DimensionMismatchError("numpy.bincount needs dimensionless indices", x.dim)
    weights = _argument(args, kwargs, 1, "weights")
    dim = DIMENSIONLESS if weights is None else get_dimensions(weights)
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["gradient"]))
def _gradient(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    f = _argument(args, kwargs, 0, "f")
    spacing = _common_dim(func, list(args[1:]))
    dim = get_dimensions(f) / spacing
    return _wrap_all(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["trapezoid"]))
def _trapezoid(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    y = _argument(args, kwargs, 0, "y")
    x = _argument(args, kwargs, 1, "x")
    dx = _argument(args, kwargs, 2, "dx")
    step = x if x is not None else dx
    dim = get_dimensions(y) * (DIMENSIONLESS if step is None else get_dimensions(step))
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["inv"], np.linalg))
def _inverse(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    dim = DIMENSIONLESS / get_dimensions(_argument(args, kwargs, 0, "a"))
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


@_implements(_functions(["solve"], np.linalg))
def _solve(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    a = _argument(args, kwargs, 0, "a")
    b = _argument(args, kwargs, 1, "b")
    dim = get_dimensions(b) / get_dimensions(a)
    return _wrap(func(*_strip(args), **_strip_kwargs(kwargs)), dim)


# ---------------------------------------------------------------------------
# In-place writers
# ---------------------------------------------------------------------------


@_implements(_functions(["copyto", "putmask", "place", "put", "put_along_axis"]))
def _write(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    target = _argument(args, kwargs, 0, "dst", "a", "arr")
    name = _name(func)
    position = {"copyto": 1, "putmask": 2, "place": 2, "put": 2, "put_along_axis": 2}[name]
    source = _argument(args, kwargs, position, "src", "values", "vals")
    target_dim = get_dimensions(target)
    value, dim = _split(source)
    if dim is not target_dim and not (dim is DIMENSIONLESS and _is_neutral(value)):
        raise DimensionMismatchError(
            f"numpy.{name} cannot write values of other dimensions", target_dim, dim
        )
    return func(*_strip(args), **_strip_kwargs(kwargs))


# ---------------------------------------------------------------------------
# Everything else
# ---------------------------------------------------------------------------


def fallback(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run an unlisted numpy function: fine for dimensionless quantities only."""
    for quantity in _quantities((args, kwargs)):
        if quantity.dim is not DIMENSIONLESS:
            module = getattr(func, "__module__", "numpy") or "numpy"
            prefix = "numpy" if module.startswith("numpy") else module
            raise TypeError(
                f"{prefix}.{_name(func)} does not support quantities with dimensions "
                f"(got {_short_str(quantity, 40)}); pass np.asarray(x) for the values in SI "
                "base units, or x / unit for the values in a unit of your choice"
            )
    return func(*_strip(args), **_strip_kwargs(kwargs))
