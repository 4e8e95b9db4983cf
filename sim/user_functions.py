"""Brian 2's user-defined functions: ``Function`` and ``@implementation``.

A Python function decorated with ``@check_units`` (or wrapped in ``Function``) can be
called from model strings.  Its units are checked once, when the model is built.

* numpy target: the function is called with whole arrays, with units (Brian 2's
  default; ``@implementation('numpy', discard_units=True)`` passes plain SI arrays).
* numba target: the function's own source is compiled by numba, with plain SI floats
  (its global constants, quantities included, become SI numbers; ``numpy``/``math``
  and their functions are allowed).  The compiled function lives in a module of the
  kernel cache named by its source, so a second process compiles nothing.  A function
  numba cannot compile gets a clear error (give ``@implementation('numba', f)`` with a
  numba-compatible version, or use the numpy target).  Brian 2's C++/Cython code
  (``@implementation('cpp', code)``) is kept but not used.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
import types
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from sim.functions import UserFunction
from sim.units import (
    DIMENSIONLESS,
    Dimension,
    DimensionMismatchError,
    Quantity,
    get_dimensions,
)

__all__ = ["Function", "implementation", "as_user_function"]


def _dimension_of(unit) -> Dimension:
    if unit is None or unit is bool or (isinstance(unit, int | float) and unit == 1):
        return DIMENSIONLESS
    if isinstance(unit, Dimension):
        return unit
    return get_dimensions(unit)


class Function(UserFunction):
    """A Python function usable in model strings (Brian 2's ``Function``).

    ``arg_units`` and ``return_unit`` default to the ``@check_units`` declaration of
    ``pyfunc``; ``auto_vectorise=True`` calls it element by element on the numpy target.
    """

    def __init__(self, pyfunc: Callable, sympy_func=None, arg_units=None, arg_names=None,
                 return_unit=None, arg_types=None, return_type=None, stateless: bool = True,
                 auto_vectorise: bool = False, name: str | None = None):
        self.pyfunc = pyfunc
        self.name = name or getattr(pyfunc, "__name__", "function")
        if arg_units is None:
            arg_units = getattr(pyfunc, "_arg_units", None)
        if return_unit is None:
            return_unit = getattr(pyfunc, "_return_unit", None)
        if arg_units is None or (return_unit is None
                                 and not hasattr(pyfunc, "_return_unit")):
            raise ValueError(
                f"Function '{self.name}': give arg_units and return_unit, or decorate it "
                f"with @check_units(..., result=...)"
            )
        self.arg_units = list(arg_units)
        self.arg_names = list(arg_names or getattr(pyfunc, "_arg_names", []))
        self.return_unit = return_unit
        self.nargs = len(self.arg_units)
        self.stateless = stateless
        self.auto_vectorise = auto_vectorise
        self.implementations: dict[str, dict] = {}

    # -- units ---------------------------------------------------------------------
    def result_dims(self, arg_dims: list[Dimension], expr: str) -> Dimension:
        for k, (unit, dim) in enumerate(zip(self.arg_units, arg_dims, strict=True)):
            if unit is None:
                continue
            wanted = _dimension_of(unit)
            if dim != wanted:
                label = self.arg_names[k] if k < len(self.arg_names) else f"#{k + 1}"
                raise DimensionMismatchError(
                    f"Argument '{label}' of {self.name}() has the wrong unit in '{expr}' "
                    f"(expected {wanted})", dim
                )
        unit = self.return_unit
        if callable(unit) and not isinstance(unit, Quantity) and unit is not bool:
            unit = unit(*arg_dims)
        return _dimension_of(unit)

    # -- numpy -------------------------------------------------------------------
    def numpy_implementation(self, owner_dt: Fraction | None = None):
        spec = self.implementations.get("numpy", {})
        func = spec.get("function") or getattr(self.pyfunc, "_orig_func", self.pyfunc)
        discard = spec.get("discard_units", False)
        if discard and isinstance(func, types.FunctionType):
            func = _without_units(func)
        if self.auto_vectorise:
            func = np.vectorize(func, otypes=[float])
        dims = [_dimension_of(u) for u in self.arg_units]

        def call(*args):
            if not discard:
                args = [a if d.is_dimensionless else Quantity(np.asarray(a, dtype=float), dim=d)
                        for a, d in zip(args, dims, strict=True)]
            return np.asarray(func(*args))

        return call

    # -- numba -------------------------------------------------------------------
    def numba_template(self, name: str, owner_dt: Fraction) -> tuple[str, dict]:
        module = _numba_module(self)
        return f"{module}._f({{args}})", {}

    def __call__(self, *args):
        return self.pyfunc(*args)

    def __repr__(self) -> str:
        return f"Function({self.name!r}, nargs={self.nargs})"


def _without_units(func: types.FunctionType) -> types.FunctionType:
    """``func`` with the quantities of its globals replaced by SI numbers (Brian 2's
    ``discard_units``: ``v/(5*mV)`` then works on plain arrays)."""
    names = set(func.__code__.co_names)
    plain = dict(func.__globals__)
    for name in names & set(plain):
        value = plain[name]
        if isinstance(value, Quantity):
            plain[name] = float(np.asarray(value)) if value.size == 1 else np.asarray(value)
    return types.FunctionType(func.__code__, plain, func.__name__, func.__defaults__,
                              func.__closure__)


def implementation(target: str, code=None, namespace=None, dependencies=None,
                   discard_units=None, name=None, **compiler_kwds):
    """Brian 2's decorator giving a function's implementation for a target.

    ``'numpy'`` (``code`` None): the decorated Python function; ``'numba'``: ``code`` a
    numba-compatible Python function (else the decorated one); ``'cython'``/``'cpp'``:
    ``code`` is kept and not used (hearsim compiles the Python function with numba).
    """

    def decorate(func):
        wrapped = func if isinstance(func, Function) else Function(func)
        spec = {"code": code, "discard_units": bool(discard_units)}
        if target == "numpy":
            spec["function"] = getattr(func, "_orig_func", func) if code is None else code
        elif target == "numba":
            spec["function"] = code if callable(code) else None
        wrapped.implementations[target] = spec
        return wrapped

    return decorate


def as_user_function(value):
    """A namespace value usable as a function in model strings, or None."""
    if isinstance(value, UserFunction):
        return value
    if callable(value) and hasattr(value, "_arg_units"):  # @check_units functions
        cached = getattr(value, "_hearsim_function", None)
        if cached is None:
            cached = Function(value)
            try:
                value._hearsim_function = cached
            except AttributeError:
                pass
        return cached
    return None


# -- numba: the function's own source, compiled in a module of the kernel cache ---------
class FunctionNotCompilable(TypeError):
    pass


def _numba_module(fn: Function) -> str:
    cached = getattr(fn, "_numba_module_name", None)  # on the object: ids are reused
    if cached is not None:
        return cached
    from sim.codegen.numba_target import load_module

    spec = fn.implementations.get("numba", {})
    func = spec.get("function") or getattr(fn.pyfunc, "_orig_func", fn.pyfunc)
    source = _module_source(fn.name, func)
    module = load_module(source, prefix="hearsim_userfunc")
    from numba import float64

    try:  # compile now (or load from the cache) so that failures name the function
        module._f.compile((float64,) * fn.nargs)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FunctionNotCompilable(
            f"The function '{fn.name}' cannot run on the numba target ({first}). Give a "
            f"numba-compatible version with @implementation('numba', func), or set "
            f"prefs.codegen.target = 'numpy'"
        ) from None
    fn._numba_module_name = module.__name__
    return module.__name__


def _module_source(name: str, func) -> str:
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        raise FunctionNotCompilable(
            f"The function '{name}' has no Python source to compile with numba (defined "
            f"interactively?); use prefs.codegen.target = 'numpy'"
        ) from None
    if func.__name__ == "<lambda>":
        body = _lambda_as_def(name, func, source)
    else:
        lines = source.splitlines()
        start = next((k for k, line in enumerate(lines) if line.lstrip().startswith("def ")),
                     None)
        if start is None:
            raise FunctionNotCompilable(
                f"The function '{name}' has no 'def' in its source to compile with numba; "
                f"give a numba version with @implementation('numba', func), or use "
                f"prefs.codegen.target = 'numpy'")
        body = "\n".join(lines[start:])
        body = body.replace(f"def {func.__name__}(", "def _f(", 1)
    constants = []
    code = func.__code__
    names = set(code.co_names) | set(code.co_freevars)
    closure = dict(zip(code.co_freevars, (c.cell_contents for c in func.__closure__ or ()),
                       strict=False))
    for ref in sorted(names):
        if ref in closure:
            value = closure[ref]
        elif ref in func.__globals__:
            value = func.__globals__[ref]
        else:
            continue  # a builtin or an attribute name
        constants.append(_global_line(name, ref, value))
    from sim.codegen.numba_target import generated_module

    return generated_module(constants, [body])


def _lambda_as_def(name: str, func, source: str) -> str:
    """``lambda x: 2*x`` as ``def _f(x): return 2*x``, found in the source it came from."""
    code = func.__code__
    params = list(code.co_varnames[:code.co_argcount])
    try:
        tree = ast.parse(source.strip())
    except SyntaxError:
        tree = None  # a lambda inside a statement spread over several lines
    found = [] if tree is None else [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Lambda) and [a.arg for a in node.args.args] == params
        and not (node.args.vararg or node.args.kwarg or node.args.kwonlyargs
                 or node.args.defaults)
    ]
    if len(found) != 1:
        why = ("its source could not be read on its own" if not found
               else "several such lambdas are on the same line")
        raise FunctionNotCompilable(
            f"The lambda function '{name}' cannot be compiled with numba ({why}); define it "
            f"with 'def', or use prefs.codegen.target = 'numpy'")
    return f"def _f({', '.join(params)}):\n    return {ast.unparse(found[0].body)}\n"


def _global_line(fname: str, ref: str, value) -> str:
    """How a global the function uses is given to numba: modules, numpy/math functions
    and numbers (quantities as SI numbers); anything else is refused."""
    if isinstance(value, types.ModuleType):
        if value is np or value is math:
            return f"import {value.__name__} as {ref}"
    elif isinstance(value, bool | int | float | np.number):
        return f"{ref} = {value!r}"
    elif isinstance(value, Quantity) and value.size == 1:
        return f"{ref} = {float(np.asarray(value))!r}"
    elif callable(value):
        for module, label in ((np, "np"), (math, "math")):
            if getattr(module, getattr(value, "__name__", ""), None) is value:
                return f"{ref} = {label}.{value.__name__}"
    raise FunctionNotCompilable(
        f"The function '{fname}' uses '{ref}' ({type(value).__name__}), which numba "
        f"cannot be given; give @implementation('numba', func) or use the numpy target"
    )
