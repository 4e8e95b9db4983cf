"""Groups of elements with state, and the code runners that act on them.

:class:`Group` holds variables and turns abstract code into compiled kernels
for the active target (:meth:`Group.compile`): it inlines subexpressions,
resolves every name (model variables, then the namespace, then units and
constants), checks dimensions, and hands the block and a name table to the
target.  :class:`CodeRunner` is a scheduled object that runs one such kernel
every time step; :class:`NeuronGroup` is made of three of them (state update,
threshold, reset), as in Brian 2.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import sys
from collections.abc import Callable

import numpy as np

from sim import prefs as _prefs
from sim import random as _random
from sim.base import SimObject, find_name
from sim.codegen.ir import ARRAY, CONSTANT, INDEXED, LINKED, SHARED, CodeBlock, NameTable
from sim.codegen.stateupdate import IntegrationProblem, integrate
from sim.codegen.translate import RANDOM_FUNCTIONS
from sim.equations import (
    _ALL_FUNCTIONS,
    DIFFERENTIAL_EQUATION,
    PARAMETER,
    SUBEXPRESSION,
    EquationError,
    Equations,
    SingleEquation,
)
from sim.errors import ModelValueError
from sim.parsing import (
    DEFAULT_FUNCTIONS,
    Function,
    ModelSyntaxError,
    Statement,
    generated_code,
    get_called_functions,
    get_identifiers,
    infer_dimensions,
    is_boolean_expression,
    parse_expression,
    parse_statements,
    substitute,
    to_source,
)
from sim.units import (
    DIMENSIONLESS,
    DimensionMismatchError,
    Quantity,
    fail_for_dimension_mismatch,
    get_dimensions,
    second,
)
from sim.variables import (
    Resolved,
    ScopedNamespace,
    Variable,
    VariableView,
    resolve_external,
)

__all__ = ["Group", "NeuronGroup", "Subgroup", "CodeRunner", "linked_var", "LinkedVariable"]

_NO_EVENTS = np.zeros(0, dtype=np.int64)

_NEURON_FLAGS = {
    DIFFERENTIAL_EQUATION: {"unless refractory"},
    SUBEXPRESSION: {"shared", "constant over dt"},
    PARAMETER: {"constant", "shared", "linked"},
}


def _target_module():
    target = _prefs.active_target()
    if target == "numpy":
        from sim.codegen import numpy_target

        return numpy_target
    if target == "numba":
        from sim.codegen import numba_target

        return numba_target
    if target == "cuda":
        from sim.codegen import cuda_target

        return cuda_target
    raise ValueError(f"The code generation target '{target}' is not available")


def group_size(N, owner: str, argument: str = "N") -> int:
    """A group size as Brian 2 takes it: a positive integer, or a number with an integral
    value (``1000.0``, a float computed from other sizes, a dimensionless quantity).

    Booleans, non-integral or non-finite numbers, dimensioned quantities and sizes below 1
    are refused with a ``ValueError`` naming ``owner`` and ``argument``.
    """
    bad = ValueError(f"{owner}: {argument} must be a positive integer, got {N!r}")
    if isinstance(N, bool | np.bool_):
        raise bad
    if isinstance(N, int | np.integer):
        value = int(N)
    elif isinstance(N, float | np.floating | np.ndarray):
        if np.ndim(N) != 0 or np.asarray(N).dtype.kind not in "iuf":
            raise bad
        if not get_dimensions(N).is_dimensionless:
            raise bad
        number = float(N)
        if not np.isfinite(number) or number != int(number):
            raise bad
        value = int(number)
    else:
        raise bad
    if value < 1:
        raise bad
    return value


def _caller_namespace(level: int) -> dict:
    frame = sys._getframe(level + 1)
    namespace = dict(frame.f_globals)
    namespace.update(frame.f_locals)
    return namespace


def _constant_divisors(tree: ast.expr) -> list[ast.expr]:
    """The right operands of the divisions in ``tree``, outside ``where()`` calls."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and node.func.id == "where":
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv
                                                      | ast.Mod):
            found.append(node.right)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _clock_variable(group, name: str):
    """Brian 2's clock variables of a group: ``G.t``, ``G.dt``, ``G.t_in_timesteps`` (read-only
    shared views of its clock, so that ``dt=G.dt[:]`` gives a scalar time) and ``G.t_``,
    ``G.dt_`` (plain floats, seconds); None for other names."""
    raw = name.endswith("_")
    base = name[:-1] if raw else name
    clock = group.__dict__.get("clock")
    if base not in ("t", "dt", "t_in_timesteps") or clock is None or (
            raw and base == "t_in_timesteps"):
        return None
    if base == "t_in_timesteps":
        value, dim, dtype = clock._i, DIMENSIONLESS, np.dtype(np.int64)
    else:
        value = clock.t_ if base == "t" else clock.dt_
        dim, dtype = second.dim, np.dtype(np.float64)
    if raw:
        return value
    var = Variable(base, dim, "array", dtype=dtype, array=np.array([value], dtype=dtype),
                   shared=True, read_only=True)
    return VariableView(group, var)


class UnknownFormatError(ValueError, NotImplementedError):
    """A ``format=`` of ``get_states``/``set_states`` that is not known (Brian 2 raises
    ``NotImplementedError``, hearsim raised ``ValueError``: it is both)."""


def _registered_format(format: str, what: str):
    from sim.importexport import ImportExport

    if format not in ImportExport.methods:
        known = ", ".join(repr(name) for name in ImportExport.methods)
        raise UnknownFormatError(f"{what}: format must be one of {known} (or a format "
                                 f"registered with ImportExport.register), got {format!r}")
    return ImportExport.methods[format]


class Group:
    """Shared machinery of everything with named variables: state access and compilation."""

    # set by subclasses
    variables: dict[str, Variable]
    namespace: dict | None
    N: int

    # Brian 2's Group.add_attribute, for every group (subgroups included)
    add_attribute = SimObject.add_attribute

    # -- state access ------------------------------------------------------
    def __getattr__(self, name: str):
        if name.startswith("__") or "variables" not in self.__dict__:
            raise AttributeError(name)
        variables = self.__dict__["variables"]
        if name in variables:
            return VariableView(self, variables[name])
        if name.endswith("_") and name[:-1] in variables:
            var = variables[name[:-1]]
            return self._get_values(var) if var.kind != "array" else self._raw_view(var)
        clock_value = _clock_variable(self, name)
        if clock_value is not None:
            return clock_value
        raise AttributeError(
            f"{type(self).__name__} '{self.__dict__.get('name', '?')}' has no variable "
            f"'{name}' (variables: {', '.join(k for k in variables if not k.startswith('_'))})"
        )

    def __setattr__(self, name: str, value) -> None:
        variables = self.__dict__.get("variables")
        if variables is not None and self.__dict__.get("_frozen", False):
            if name in variables:
                self._set_values(variables[name], slice(None), value, level=1)
                return
            if name.endswith("_") and name[:-1] in variables:
                var = variables[name[:-1]]
                self._check_writable(var)
                self._raw_view(var)[...] = value
                return
            if not name.startswith("_") and name not in self.__dict__ and not hasattr(
                type(self), name
            ):
                raise AttributeError(
                    f"Cannot set '{name}': {type(self).__name__} '{self.name}' has no such "
                    f"variable (to add state, declare it in the model equations)"
                )
        object.__setattr__(self, name, value)

    def _index_offset(self) -> int:
        return 0

    def _conditional_write_map(self) -> dict[str, str]:
        """Variables whose writes wait for the end of refractoriness, and the condition
        (``{'v': 'not_refractory'}``) — see :func:`conditional_writes`."""
        return {}

    # -- Brian 2's bulk access -------------------------------------------------
    def _state_names(self, subexpressions: bool, read_only: bool) -> list[str]:
        names = []
        for name, var in self.variables.items():
            if name.startswith("_") or var.kind == "constant":
                continue
            if var.kind == "subexpression" and not subexpressions:
                continue
            if var.read_only and not read_only:
                continue
            names.append(name)
        return names

    def get_states(self, vars=None, units: bool = True, format: str = "dict",
                   subexpressions: bool = False, read_only_variables: bool = True,
                   level: int = 0):
        """The values of several variables at once, as Brian 2: a dict ``{name: values}``
        (with units unless ``units=False``), or a pandas DataFrame (``format='pandas'``,
        plain values)."""
        names = list(vars) if vars is not None else self._state_names(
            subexpressions, read_only_variables)
        if format not in ("dict", "pandas"):  # a format registered by the user (Brian 2's)
            return _registered_format(format, "get_states").export_data(
                self, names, units=units, level=level + 1)
        states = {}
        for name in names:
            if name not in self.variables:
                raise KeyError(f"{type(self).__name__} '{self.name}' has no variable '{name}'")
            view = VariableView(self, self.variables[name])
            states[name] = view[:] if units else np.asarray(self._get_values(
                self.variables[name]))
        if format == "dict":
            return states
        if format == "pandas":
            import pandas as pd  # optional: only for this format

            return pd.DataFrame({k: np.asarray(v) for k, v in states.items()})

    def set_states(self, values, units: bool = True, format: str = "dict",
                   level: int = 0) -> None:
        """Set several variables at once from ``{name: values}`` (or a pandas DataFrame);
        with ``units=False`` the values are taken as plain SI numbers."""
        if format == "pandas":
            values = {k: values[k].to_numpy() for k in values.columns}
        elif format != "dict":  # a format registered by the user (Brian 2's)
            _registered_format(format, "set_states").import_data(self, values, units=units,
                                                                 level=level + 1)
            return
        for name, value in values.items():
            if name not in self.variables:
                raise KeyError(f"{type(self).__name__} '{self.name}' has no variable '{name}'")
            var = self.variables[name]
            if units:
                self._set_values(var, slice(None), value, level=level + 1)
            else:
                self._check_writable(var)
                self._raw_view(var)[...] = np.asarray(value)

    def _link(self, var: Variable, link: LinkedVariable) -> None:
        if not var.linked:
            raise TypeError(
                f"'{var.name}' of '{self.name}' is not declared (linked): write "
                f"'{var.name} : <unit> (linked)' in the equations to link it"
            )
        source_var = link.variable
        if source_var.dim != var.dim:
            raise DimensionMismatchError(
                f"Cannot link '{var.name}' of '{self.name}' to '{link.name}': units differ",
                var.dim, source_var.dim,
            )
        if source_var.kind != "array" or source_var.array is None:
            raise TypeError(f"Can only link to state variables, '{link.name}' is not one")
        if source_var.shared or (link.index is None and link.group.N == 1
                                 and len(source_var.array) == 1 and self.N != 1):
            # Brian 2's index '0': a shared variable, or a variable of a one-element group
            # linked from a larger group, is read by every element from element 0
            index = np.zeros(self.N, dtype=np.int64)
        elif link.index is None:
            if link.group.N != self.N:
                raise ValueError(
                    f"Cannot link '{var.name}' of '{self.name}' ({self.N} elements) to "
                    f"'{link.name}' of '{link.group.name}' ({link.group.N} elements) without "
                    f"index=: give linked_var(group, name, index=...)"
                )
            index = np.arange(self.N) + link.group._index_offset()
        else:
            index = np.asarray(link.index).astype(np.int64)
            if index.shape != (self.N,):
                raise ValueError(f"linked_var index must have one entry per element of "
                                 f"'{self.name}' ({self.N}), got shape {index.shape}")
            if index.min() < 0 or index.max() >= link.group.N:
                raise IndexError(f"linked_var index out of range [0, {link.group.N})")
            index = index + link.group._index_offset()
        if source_var.index is not None:
            index = source_var.index[index]
        var.array = source_var.array
        var.index = index
        var.dtype = source_var.dtype

    def _raw_view(self, var: Variable) -> np.ndarray:
        if var.linked:
            if var.array is None:
                raise ValueError(f"The (linked) variable '{var.name}' of '{self.name}' is "
                                 f"not linked yet")
            start = self._index_offset()
            return var.array[var.index[start:start + self.N]]
        if var.shared:
            return var.array
        start = self._index_offset()
        return var.array[start:start + self.N]

    def _get_values(self, var: Variable) -> np.ndarray:
        if var.kind == "array":
            return self._raw_view(var).copy()
        if var.kind == "constant":
            return np.asarray(var.value)
        # subexpression: evaluate with the numpy target
        return self._evaluate(var.expr, namespace=None, level=3)

    def _check_writable(self, var: Variable) -> None:
        if var.kind == "subexpression":
            raise TypeError(f"'{var.name}' is a subexpression of '{self.name}' and is read-only")
        if var.read_only or var.kind != "array":
            raise TypeError(f"The variable '{var.name}' of '{self.name}' is read-only")

    def _indices_from_condition(self, condition: str, level: int) -> np.ndarray:
        mask = self._evaluate(condition, namespace=None, level=level + 1)
        mask = np.broadcast_to(np.asarray(mask), (self.N,))
        if mask.dtype != bool:
            raise TypeError(f"The index condition '{condition}' must be a boolean expression")
        return np.flatnonzero(mask)

    def _set_values(self, var: Variable, key, value, level: int) -> None:
        if isinstance(value, LinkedVariable):
            self._link(var, value)
            return
        self._check_writable(var)
        if isinstance(key, str):
            key = self._indices_from_condition(key, level=level + 1)
        view = self._raw_view(var)
        if var.shared:
            if key not in (slice(None), 0, Ellipsis):
                raise IndexError(f"The shared variable '{var.name}' can only be set as a whole")
            key = slice(None)
        if isinstance(value, str):
            indices = np.arange(len(view))[key]
            self._assign_expression(var, np.atleast_1d(indices), value, level=level + 1)
            return
        if isinstance(value, VariableView):
            value = value[:]
        if var.is_bool or var.dtype.kind in "iu":
            if get_dimensions(value) is not DIMENSIONLESS and not get_dimensions(
                value
            ).is_dimensionless:
                raise DimensionMismatchError(
                    f"Cannot assign a dimensioned value to the {var.dtype} variable '{var.name}'",
                    get_dimensions(value),
                )
        else:
            fail_for_dimension_mismatch(
                value,
                Quantity(1, dim=var.dim),
                f"Cannot assign to '{var.name}' of '{self.name}': wrong units",
            )
        view[key] = np.asarray(value)

    # -- Brian 2's Group methods: code run at regular intervals or given times -------
    def run_regularly(self, code: str, dt=None, clock=None, when: str = "start",
                      order: int = 0, name: str | None = None) -> CodeRunner:
        """Run statements on every element at regular intervals: every ``dt``, on ``clock``,
        or on the group's own clock (Brian 2's ``Group.run_regularly``).

        On a subgroup (``G[2:5].run_regularly(...)``) the code acts on the subgroup's
        elements only, ``i`` and ``N`` are the subgroup's (``i`` counts from 0 at its first
        element), and the operation runs with the source group, as in Brian 2.
        """
        if clock is None and dt is not None:
            from sim.clocks import Clock

            clock = Clock(dt)
        runner_name = name or find_name(f"{self.name}_run_regularly")
        return self.run_on_clock(code, clock, when, order, runner_name)

    def run_on_clock(self, code: str, clock=None, when: str = "start", order: int = 0,
                     name: str | None = None) -> CodeRunner:
        """Run statements on every element at the ticks of ``clock`` (default: the group's
        clock), as Brian 2's ``Group.run_on_clock``; returns the :class:`CodeRunner`."""
        statements = parse_statements(code, functions=_ALL_FUNCTIONS)
        runner_name = name or find_name(f"{self.name}_run_custom")

        def block(namespace, _statements=statements):
            self._check_statements(_statements, namespace, f"'{runner_name}' of '{self.name}'")
            return CodeBlock(list(_statements), None, "run_regularly"), {}, {}

        runner = CodeRunner(self, block, when, order, name=runner_name, clock=clock)
        runner.conditional_writes = True
        self._owner_of_runners().contained_objects.append(runner)
        return runner

    def run_at(self, code: str, times, when: str = "start", order: int = 0,
               name: str | None = None) -> CodeRunner:
        """Run statements on every element at the given simulation ``times`` (Brian 2's
        ``Group.run_at``: an :class:`~sim.clocks.EventClock` of those times)."""
        from sim.clocks import EventClock

        runner_name = name or find_name(f"{self.name}_run_at")
        return self.run_on_clock(code, EventClock(times), when, order, runner_name)

    def _owner_of_runners(self):
        """The object whose ``contained_objects`` hold this group's code runners."""
        return self

    def state(self, name: str, use_units: bool = True, level: int = 0):
        """Brian 2's ``Group.state``: the variable ``name`` as ``G.name`` (with units) or
        ``G.name_`` (plain values, ``use_units=False``)."""
        if name not in self.variables:
            raise KeyError(f"{type(self).__name__} '{self.name}' has no variable '{name}'")
        return getattr(self, name if use_units else f"{name}_")

    # -- code --------------------------------------------------------------
    def _resolve(self, name: str, namespace: dict | None, context: str) -> Resolved:
        if name in self.variables:
            var = self.variables[name]
            return Resolved("variable", var.dim, variable=var)
        own = self.__dict__.get("_own_constants")
        if own and name in own:
            return resolve_external(name, own, context)
        if isinstance(namespace, ScopedNamespace):
            ns = namespace
        else:
            ns = self.namespace if self.namespace is not None else namespace
        return resolve_external(name, ns, context)

    def scoped_namespace(self, overrides: dict, namespace: dict | None) -> ScopedNamespace:
        """``overrides`` on top of the namespace this group's code would use."""
        base = self.namespace if self.namespace is not None else (namespace or {})
        return ScopedNamespace(dict(overrides), base)

    def _inline_subexpressions(self, node: ast.expr) -> ast.expr:
        subs = {n: v for n, v in self.variables.items() if v.kind == "subexpression"}
        if not subs:
            return node
        for _ in range(len(subs) + 1):
            used = get_identifiers(node) & set(subs)
            if not used:
                return node
            node = substitute(
                node, {n: ast.parse(f"({subs[n].expr})", mode="eval").body for n in used}
            )
        raise EquationError(f"Circular subexpressions in '{to_source(node)}'")

    def _expand_calls(self, node: ast.expr, namespace: dict | None, context: str) -> ast.expr:
        """Replace calls of user functions that stand for an expression (``expand_call``:
        Brian 2's ``BinomialFunction``) by that expression."""
        calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id not in DEFAULT_FUNCTIONS]
        if not calls:
            return node
        expander = _CallExpander(self, namespace, context)
        return ast.fix_missing_locations(expander.visit(copy.deepcopy(node)))

    def _scalar_name(self, namespace: dict | None) -> Callable[[str], bool]:
        def scalar(name: str) -> bool:
            if name == "dt":
                return True
            if name in self.variables:
                var = self.variables[name]
                return var.kind == "constant" or (var.shared and var.constant)
            try:
                return self._resolve(name, namespace, "equations").kind == "constant"
            except (KeyError, TypeError):
                return False

        return scalar

    def _propagator_values(self, propagators, namespace, context) -> dict:
        from sim.codegen import numpy_target

        values = {}
        dt = self.clock.dt_
        for prop in propagators:
            def evaluate(node, _ns=namespace):
                node = self._inline_subexpressions(node)
                env = {}
                for name in get_identifiers(node):
                    r = self._resolve(name, _ns, context)
                    if r.kind == "variable":
                        v = r.variable
                        env[name] = self._raw_view(v) if v.kind == "array" else v.value
                    elif r.kind == "clock":
                        env[name] = dt if name == "dt" else self.clock.t_
                    else:
                        env[name] = r.value
                return numpy_target.evaluate_expression(node, env, self.N)

            values.update(prop.compute(evaluate, dt, self.N))
        return values

    def _check_constant_divisors(self, equations, namespace, context: str) -> None:
        """Refuse equations that divide by a constant that is zero (``tau = 0*ms``).

        Such a division gives inf or NaN in every neuron from the first step (and a
        bare ZeroDivisionError where a propagator is computed in Python): a wrong
        parameter, named here with its value. Divisors that involve a variable are
        left to IEEE arithmetic, and so is everything inside ``where()``, whose
        branches may divide by zero where they are not selected.
        """
        from sim.codegen import numpy_target

        value_of = self._value_of(namespace, context)
        for eq in equations:
            if eq.expr is None:
                continue
            for divisor in _constant_divisors(self._inline_subexpressions(eq.parsed)):
                if get_called_functions(divisor) - set(DEFAULT_FUNCTIONS) or \
                        get_called_functions(divisor) & set(RANDOM_FUNCTIONS):
                    continue  # a random draw or a user function: not a constant
                values = {n: value_of(n) for n in get_identifiers(divisor)}
                if any(v is None or np.ndim(v) for v in values.values()):
                    continue
                with np.errstate(all="ignore"):
                    value = numpy_target.evaluate_expression(divisor, values)
                if np.all(value != 0):
                    continue
                shown = ", ".join(
                    f"{n} = {Quantity(values[n], dim=self._resolve(n, namespace, context).dim)}"
                    for n in sorted(values))
                raise ModelValueError(
                    f"'{eq.line}' in {context} divides by '{ast.unparse(divisor)}', which is "
                    f"zero{f' ({shown})' if shown else ''}: every value would be inf or NaN"
                )

    def _functions(self, namespace: dict | None, context: str) -> _FunctionTable:
        return _FunctionTable(self, namespace, context)

    def _dims_of(self, namespace: dict | None, context: str) -> Callable:
        def dims_of(name: str):
            return self._resolve(name, namespace, context).dim

        return dims_of

    def _value_of(self, namespace: dict | None, context: str) -> Callable:
        def value_of(name: str):
            try:
                r = self._resolve(name, namespace, context)
            except (KeyError, TypeError):
                return None
            return r.value if r.kind == "constant" else None

        return value_of

    def _written_variable(self, name: str, namespace, context: str) -> Variable | None:
        """The variable a statement assigns to (None: a temporary)."""
        return self.variables.get(name)

    def _check_statements(self, statements: list[Statement], namespace, context: str) -> None:
        temps: dict[str, object] = {}

        def dims_of(name: str):
            if name in temps:
                return temps[name]
            return self._resolve(name, namespace, context).dim

        value_of = self._value_of(namespace, context)
        for st in statements:
            try:
                found = infer_dimensions(st.expr, dims_of, st.line, value_of=value_of,
                                         functions=self._functions(namespace, context))
            except DimensionMismatchError as exc:
                raise DimensionMismatchError(f"In '{st.line}' ({context}): {exc.desc}",
                                             *exc.dims) from None
            var = self._written_variable(st.var, namespace, context)
            if var is not None:
                if var.kind != "array" or var.read_only:
                    raise TypeError(
                        f"Cannot assign to '{st.var}' in '{st.line}' ({context}): "
                        f"it is {'a subexpression' if var.kind == 'subexpression' else 'read-only'}"
                    )
                if st.op in ("*=", "/="):
                    if not found.is_dimensionless:
                        raise DimensionMismatchError(
                            f"In '{st.line}' ({context}): the factor must be dimensionless", found
                        )
                elif not var.is_bool and var.dtype.kind not in "iu" and found != var.dim:
                    raise DimensionMismatchError(
                        f"In '{st.line}' ({context}): the units of '{st.var}' and of the "
                        f"assigned expression differ",
                        var.dim,
                        found,
                    )
            elif st.var.startswith("_") or st.op == "=":
                temps[st.var] = found
            else:
                raise KeyError(f"Unknown variable '{st.var}' in '{st.line}' ({context})")

    def compile(
        self,
        block: CodeBlock,
        namespace: dict | None,
        context: str,
        extra_constants: dict | None = None,
        extra_arrays: dict | None = None,
        stream: str | None = None,
    ):
        """Compile a block for this group; returns ``(kernel, args)``.

        ``extra_constants``/``extra_arrays``: compiler-made names (propagators);
        ``stream``: the name keying the random streams of the block's call sites.
        """
        extra_constants = extra_constants or {}
        extra_arrays = extra_arrays or {}
        statements = [
            Statement(st.var, st.op,
                      self._expand_calls(self._inline_subexpressions(st.expr), namespace,
                                         context), st.line)
            for st in block.statements
        ]
        condition = (
            self._expand_calls(self._inline_subexpressions(block.condition), namespace, context)
            if block.condition is not None else None
        )
        block = CodeBlock(statements, condition, block.name, list(block.outputs))
        table = NameTable()
        values: dict[str, object] = {}
        assigned = set()
        for st in statements:
            assigned.add(st.var)
        for name in sorted(block.reads | block.writes):
            if name in ("t", "dt"):
                continue
            if name in extra_constants:
                table.add(name, CONSTANT)
                values[name] = extra_constants[name]
                continue
            if name in extra_arrays:
                table.add(name, ARRAY)
                values[name] = extra_arrays[name]
                continue
            if name.startswith("_") and name in assigned and name not in self.variables:
                continue
            try:
                resolved = self._resolve(name, namespace, context)
            except KeyError:
                if name in assigned:
                    continue  # a temporary of the block (e.g. ``r = u*x`` in on_pre)
                raise
            if resolved.kind == "variable":
                var = resolved.variable
                if var.index is not None and not var.linked:
                    table.add(name, INDEXED, var.dtype)
                    values[name] = var.array
                    values[f"_index_{name}"] = var.index
                elif var.linked:
                    if var.array is None:
                        raise ValueError(f"The (linked) variable '{name}' ({context}) is not "
                                         f"linked: assign linked_var(...) to it first")
                    table.add(name, LINKED, var.dtype)
                    values[name] = var.array
                    values[f"_index_{name}"] = var.index
                elif var.kind == "array":
                    table.add(name, SHARED if var.shared else ARRAY, var.dtype)
                    values[name] = var.array
                elif var.kind == "constant":
                    table.add(name, CONSTANT)
                    values[name] = var.value
                else:  # pragma: no cover - subexpressions are inlined above
                    raise AssertionError(name)
            elif resolved.kind == "constant":
                if name in assigned:
                    raise TypeError(
                        f"Cannot assign to '{name}' ({context}): it is an external constant, "
                        f"not a model variable"
                    )
                table.add(name, CONSTANT)
                values[name] = resolved.value
            elif resolved.kind == "noise":
                raise ModelSyntaxError(f"Noise '{name}' can only be used in differential "
                                       f"equations ({context})")
            else:  # pragma: no cover
                raise TypeError(f"Cannot use '{name}' in {context}")
        user_functions = {}
        target = _target_module()
        for fname in sorted(block.functions - set(DEFAULT_FUNCTIONS)):
            impl = self._functions(namespace, context).user_function(fname)
            if target.__name__.endswith("numba_target"):
                template, extra = impl.numba_template(fname, self.clock._dt_frac)
                for arg, value in extra.items():
                    table.add(arg, CONSTANT)
                    values[arg] = value
                user_functions[fname] = template
            elif target.__name__.endswith("cuda_target"):
                template, extra = impl.cuda_template(fname, self.clock._dt_frac)
                for arg, value in extra.items():
                    table.add(arg, CONSTANT)
                    values[arg] = value
                user_functions[fname] = (template, list(extra))
            else:
                table.add(fname, CONSTANT)
                values[fname] = impl.numpy_implementation(self.clock._dt_frac)
                user_functions[fname] = fname
        try:
            kernel = target.compile_block(block, table, user_functions, size=self.N)
        except ModelValueError as exc:
            exc.add_note(f"hearsim: in {context}")
            raise
        kernel.keys = _random.stream_keys(stream or self.name, kernel.n_sites)
        args = tuple(
            values[n[len("_arr_"):]] if n.startswith("_arr_") else values[n]
            for n in kernel.arg_names
        )
        return kernel, args

    def _evaluate(self, expr: str, namespace: dict | None, level: int, indices=None):
        """Values of an expression for (some of) the elements, with the numpy target."""
        if namespace is None:
            namespace = _caller_namespace(level + 1)
        node = parse_expression(expr, functions=_ALL_FUNCTIONS)
        context = f"the expression '{expr}'"
        infer_dimensions(node, self._dims_of(namespace, context), expr,
                         value_of=self._value_of(namespace, context),
                         functions=self._functions(namespace, context))
        block = CodeBlock([], None, "evaluate", outputs=["_value"])
        block.statements.append(Statement("_value", "=", node, f"_value = {expr}"))
        kernel, args = self._compile_numpy(block, namespace, context,
                                           stream=_random.next_assignment_stream())
        if indices is None:
            indices = np.arange(self.N)
        idx = np.asarray(indices) + self._index_offset()
        t, dt = self._clock_values()
        (value,) = kernel(idx, len(idx), t, dt, *args)
        return value

    def _compile_numpy(self, block, namespace, context, stream: str | None = None):
        saved = _prefs.prefs.codegen.target
        _prefs.prefs.codegen.target = "numpy"
        try:
            return self.compile(block, namespace, context, stream=stream)
        finally:
            _prefs.prefs.codegen.target = saved

    def _clock_values(self) -> tuple[float, float]:
        clock = getattr(self, "clock", None)
        if clock is None:
            return 0.0, 1e-4
        return clock.t_, clock.dt_

    def _assign_expression(self, var: Variable, indices: np.ndarray, expr: str, level: int):
        namespace = _caller_namespace(level + 1)
        context = f"the assignment '{var.name} = {expr}'"
        statements = parse_statements(f"{var.name} = {expr}", functions=_ALL_FUNCTIONS)
        self._check_statements(statements, namespace, context)
        block = CodeBlock(statements, None, "assign")
        kernel, args = self._compile_numpy(block, namespace, context,
                                           stream=_random.next_assignment_stream())
        idx = indices + self._index_offset()
        t, dt = self._clock_values()
        try:
            kernel(idx, len(idx), t, dt, *args)
        except ValueError:
            if not var.shared:
                raise
            raise TypeError(
                f"'{var.name}' of '{self.name}' is one value for all elements (shared); "
                f"'{expr}' gives one value per element"
            ) from None


class _CallExpander(ast.NodeTransformer):
    """Replaces calls of functions with ``expand_call`` (``BinomialFunction``) by the
    expression they stand for (`Group._expand_calls`)."""

    def __init__(self, group: Group, namespace: dict | None, context: str):
        self.group, self.namespace, self.context = group, namespace, context

    def visit_Call(self, call: ast.Call) -> ast.expr:
        self.generic_visit(call)
        if isinstance(call.func, ast.Name) and call.func.id not in DEFAULT_FUNCTIONS:
            try:
                resolved = self.group._resolve(call.func.id, self.namespace, self.context)
            except (KeyError, TypeError, SyntaxError):
                return call
            expand = getattr(resolved.value, "expand_call", None)
            if resolved.kind == "function" and expand is not None:
                return expand(call.args)
        return call


class LinkedVariable:
    """What :func:`linked_var` returns: a reference to another group's variable."""

    def __init__(self, group, name: str, index=None):
        if name not in group.variables:
            raise KeyError(f"'{group.name}' has no variable '{name}' to link to")
        self.group = group
        self.name = name
        self.variable = group.variables[name]
        self.index = index


def linked_var(group_or_variable, name: str | None = None, index=None) -> LinkedVariable:
    """Link a ``(linked)`` parameter to another group's variable: ``H.x = linked_var(G, 'v')``
    or ``linked_var(G.v)``; ``index`` maps each element to an element of the source."""
    if isinstance(group_or_variable, VariableView):
        if name is not None:
            raise TypeError("Give linked_var(G.v) or linked_var(G, 'v'), not both")
        return LinkedVariable(group_or_variable.group, group_or_variable.variable.name, index)
    if name is None:
        raise TypeError("linked_var(group, name): the variable name is missing")
    return LinkedVariable(group_or_variable, name, index)


class _FunctionTable(dict):
    """Functions callable in a group's code: the defaults, then user functions (TimedArray)
    resolved like any other name."""

    def __init__(self, group: Group, namespace: dict | None, context: str):
        super().__init__()
        self.group, self.namespace, self.context = group, namespace, context

    def user_function(self, name: str):
        try:
            resolved = self.group._resolve(name, self.namespace, self.context)
        except KeyError:
            raise ModelSyntaxError(f"Unknown function '{name}' in {self.context}") from None
        if resolved.kind != "function":
            raise ModelSyntaxError(
                f"'{name}' is called like a function in {self.context} but is a {resolved.kind}"
            )
        return resolved.value

    def get(self, name: str, default=None):
        if name in DEFAULT_FUNCTIONS:
            return DEFAULT_FUNCTIONS[name]
        func = self.user_function(name)

        def dims(fname, arg_dims, expr, _func=func):
            if _func.nargs is not None and len(arg_dims) != _func.nargs:
                raise ModelSyntaxError(
                    f"{fname}() takes {_func.nargs} argument(s), {len(arg_dims)} given in '{expr}'"
                )
            return _func.result_dims(arg_dims, expr)

        return Function(name, func.nargs, dims)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def locally_constant(self, eqs: Equations, owner_dt) -> set[str]:
        """User functions in the equations whose value is constant within a time step."""
        names = set()
        for eq in eqs:
            if eq.expr is not None:
                for fname in get_called_functions(eq.parsed):
                    if fname not in DEFAULT_FUNCTIONS and self.user_function(
                        fname
                    ).is_locally_constant(owner_dt):
                        names.add(fname)
        return names


def conditional_writes(block: CodeBlock, conditions: dict[str, str]) -> CodeBlock:
    """Brian 2's conditional writes: an assignment to a variable of ``conditions``
    (``v`` -> ``not_refractory``) takes effect only where the condition holds, so that
    synaptic input and other code do not change a variable frozen by refractoriness.
    Increments stay increments (``v += where(c, x, 0)``), which the numpy target can
    scatter-add."""
    if not conditions or not (block.writes & set(conditions)):
        return block
    statements = []
    for st in block.statements:
        cond = conditions.get(st.var)
        if cond is None:
            statements.append(st)
            continue
        test = ast.Name(id=cond, ctx=ast.Load())
        if st.op in ("+=", "-="):
            expr = _call("where", test, st.expr, ast.Constant(value=0))
            statements.append(Statement(st.var, st.op, expr, st.line))
            continue
        value = st.expr if st.op == "=" else ast.BinOp(
            left=ast.Name(id=st.var, ctx=ast.Load()),
            op=ast.Mult() if st.op == "*=" else ast.Div(), right=st.expr)
        expr = _call("where", test, value, ast.Name(id=st.var, ctx=ast.Load()))
        statements.append(Statement(st.var, "=", expr, st.line))
    return CodeBlock(statements, block.condition, block.name, list(block.outputs))


def _call(name: str, *args) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


class CodeRunner(SimObject):
    """Runs one compiled block every time step of its clock.

    ``make_block(namespace)`` returns ``(block, extra_constants, extra_arrays)``
    at the start of each run.  The block runs on the whole group, or, with
    ``on_event``, on the elements that had that event in this step; a block
    with a condition ``detects_event``: the elements where it holds are that
    event's elements for the step.
    """

    add_to_magic_network = False

    def __init__(self, group, make_block, when: str, order: int = 0, name: str | None = None,
                 on_event: str | None = None, detects_event: str | None = None, clock=None):
        super().__init__(clock=clock or group.clock, when=when, order=order, name=name)
        self.group = group
        self.make_block = make_block
        self.on_event = on_event
        self.detects_event = detects_event
        self._kernel = None
        self._args: tuple = ()

    #: optional ``f(namespace) -> namespace`` adding names of the runner's own
    namespace_hook = None
    #: whether writes to ``(unless refractory)`` variables wait for the end of the
    #: refractory period (Brian 2's conditional writes: everything but the state
    #: update, which freezes them itself, and the reset / ``run_on_event`` code)
    conditional_writes = False

    def before_run(self, namespace: dict) -> None:
        if self.namespace_hook is not None:
            namespace = self.namespace_hook(namespace)
        block, constants, arrays = self.make_block(namespace)
        if block is None:
            self._kernel = None
            return
        if self.conditional_writes:
            block = conditional_writes(block, self.group._conditional_write_map())
        self._kernel, self._args = self.group.compile(
            block, namespace, f"{self.name} of '{self.group.name}'", constants, arrays,
            stream=getattr(self, "_stream_name", self.name),
        )

    def step_function(self):
        kernel = self._kernel
        if kernel is None:
            return None
        args = self._args
        dt = self.clock.dt_
        group = self.group
        # the group's elements (a subgroup's: from its offset in the source's arrays)
        offset = group._index_offset()
        full = slice(offset, offset + group.N)
        n_all = group.N
        on_event, detects = self.on_event, self.detects_event
        from sim.clocks import EventClock

        if isinstance(self.clock, EventClock):
            if on_event is not None or detects is not None:
                raise ValueError(f"'{self.name}': event code cannot run on an EventClock")
            t_of = self.clock.t_of

            def step(i):
                kernel(full, n_all, t_of(i), dt, *args, step=i)
        elif on_event is None and detects is None:
            def step(i):
                kernel(full, n_all, i * dt, dt, *args, step=i)
        elif on_event is None:
            def step(i):
                # condition kernels run on the whole group: positions are element indices
                group._events[detects] = kernel(full, n_all, i * dt, dt, *args, step=i)
        elif detects is None:
            def step(i):
                idx = group._events[on_event]
                if len(idx):
                    kernel(idx, len(idx), i * dt, dt, *args, step=i)
        else:
            raise ValueError("A code runner cannot both run on an event and detect one")
        return step

    def loop_fragment(self):
        """This runner's part of a compiled run loop (see ``sim.codegen.loop_ops``): its
        kernel over the group, or over the elements that had its event."""
        from sim.codegen import loop_ops as ops

        if self._kernel is None:
            return None
        kernel = ops.Kernel(self._kernel, self._args)
        group = self.group
        if self.on_event is None:
            detects = (ops.Events(group, self.detects_event)
                       if self.detects_event is not None else None)
            op = ops.RunKernel(kernel, ops.Range(group._index_offset(), group.N), detects)
        elif self.detects_event is None:
            op = ops.RunKernel(kernel, ops.OnEvents(ops.Events(group, self.on_event)))
        else:
            raise ops.NotCompilable("a condition run on events")
        return ops.LoopFragment(self, [op])


def _parse_refractory(refractory):
    if refractory is False or refractory is None:
        return None
    if isinstance(refractory, str):
        return refractory
    if isinstance(refractory, Quantity) or isinstance(refractory, int | float):
        fail_for_dimension_mismatch(refractory, second, "refractory must be a time")
        return Quantity(refractory, dim=second.dim)
    raise TypeError(
        f"refractory must be False, a time or a string expression, got {type(refractory).__name__}"
    )


class NeuronGroup(Group, SimObject):
    """A group of ``N`` neurons defined by model equations (Brian 2's NeuronGroup).

    Parameters: ``N`` (a positive integer; a float with an integral value such as
    ``1000.0`` is taken as Brian 2 takes it), ``model`` (equations string or
    :class:`Equations`), ``threshold``
    (boolean expression), ``reset`` (statements) — or, as in Brian 1, a value for the
    first state variable or a Python function (:func:`sim.brian1.threshold_and_reset`),
    ``refractory`` (time, time
    expression, or boolean expression), ``method`` (integration scheme or
    ``'auto'``), ``namespace`` (names for the model strings; default: those of
    the caller of ``run``), ``dtype`` (float64 or float32), ``dt``/``clock``.
    """

    def __init__(
        self,
        N: int | float,
        model: str | Equations,
        method: str | tuple = ("exact", "euler", "heun"),
        threshold: str | float | Quantity | Callable | None = None,
        reset: str | float | Quantity | Callable | None = None,
        refractory=False,
        events: dict[str, str] | None = None,
        namespace: dict | None = None,
        dtype=None,
        dt=None,
        clock=None,
        order: int = 0,
        name: str | None = None,
        method_options: dict | None = None,
    ):
        N = group_size(N, "NeuronGroup")
        SimObject.__init__(self, dt=dt, clock=clock, when="groups", order=order, name=name or
                           None)
        from sim.clocks import EventClock

        if isinstance(self.clock, EventClock):
            raise TypeError("A NeuronGroup cannot run on an EventClock: give it a regular dt")
        self.N = int(N)
        eqs = model if isinstance(model, Equations) else Equations(model)
        for eq in eqs:
            bad = set(eq.flags) - _NEURON_FLAGS[eq.type]
            if bad:
                raise EquationError(
                    f"Flag(s) {', '.join(sorted(bad))} not allowed for a {eq.type} in a "
                    f"NeuronGroup: '{eq.line or eq}'"
                )
        # Brian 2's "(constant over dt)" subexpressions (typically with rand()) are computed
        # once per step, at the step's start, into stored variables: every use in the step
        # (and every stage of a multistep scheme) sees the same value
        stored = [eq for eq in eqs if eq.type == SUBEXPRESSION and "constant over dt" in eq.flags]
        if stored:
            names = {eq.varname for eq in stored}
            eqs = Equations([
                SingleEquation(PARAMETER, eq.varname, eq.dim, eq.var_type, None,
                               tuple(f for f in eq.flags if f != "constant over dt"), eq.line,
                               eq.unit_text) if eq.varname in names else eq
                for eq in eqs
            ])
        self._stored_subexpressions = [(eq.varname, eq.expr) for eq in stored]
        # Brian 1's threshold=-50*mV, reset=-60*mV and threshold/reset functions
        from sim import brian1 as _brian1

        threshold, reset, refractory, eqs, brian1_install = _brian1.brian1_mechanisms(
            eqs, threshold, reset, refractory)
        self.equations = eqs
        self.method = method
        self.namespace = namespace
        float_dtype = np.dtype(dtype or _prefs.prefs.core.default_float_dtype)
        if float_dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"NeuronGroup: dtype must be float32 or float64, got {dtype!r}")
        self.dtype = float_dtype
        self._refractory = _parse_refractory(refractory)
        variables: dict[str, Variable] = {}
        for eq in eqs:
            if eq.type == SUBEXPRESSION:
                variables[eq.varname] = Variable(
                    eq.varname, eq.dim, "subexpression", expr=eq.expr,
                    shared="shared" in eq.flags,
                )
                continue
            if "linked" in eq.flags:
                variables[eq.varname] = Variable(
                    eq.varname, eq.dim, "array", np.dtype(np.float64), None, linked=True,
                    read_only=True,
                )
                continue
            dtype_v = {"float": float_dtype, "bool": np.dtype(bool), "int": np.dtype(np.int64)}[
                eq.var_type
            ]
            shared = "shared" in eq.flags
            variables[eq.varname] = Variable(
                eq.varname, eq.dim, "array", dtype_v,
                np.zeros(1 if shared else self.N, dtype=dtype_v), shared=shared,
                constant="constant" in eq.flags,
            )
        variables["i"] = Variable("i", DIMENSIONLESS, "array", np.dtype(np.int64),
                                  np.arange(self.N), read_only=True)
        variables["N"] = Variable("N", DIMENSIONLESS, "constant", value=self.N, read_only=True)
        if self._refractory is not None:
            variables["lastspike"] = Variable(
                "lastspike", second.dim, "array", np.dtype(np.float64),
                np.full(self.N, -1e4),
            )
            variables["not_refractory"] = Variable(
                "not_refractory", DIMENSIONLESS, "array", np.dtype(bool), np.ones(self.N, bool)
            )
        self.variables = variables
        self.threshold = threshold
        self.reset = reset
        self.method_used: str | None = None
        self.events: dict[str, str] = {}
        if threshold is not None:
            self.events["spike"] = threshold
        for ev_name, condition in (events or {}).items():
            if ev_name == "spike":
                raise ValueError("The event name 'spike' is reserved for the threshold")
            if not isinstance(ev_name, str) or not ev_name.isidentifier():
                raise ValueError(f"Event names must be identifiers, got {ev_name!r}")
            if not isinstance(condition, str):
                raise TypeError(f"The condition of event '{ev_name}' must be a string")
            parse_expression(condition, functions=_ALL_FUNCTIONS)
            self.events[ev_name] = condition
        self._events = {ev: np.zeros(0, dtype=np.int64) for ev in self.events}
        self._check_code_syntax()
        self.state_updater = CodeRunner(self, self._state_update_block, "groups", order,
                                        name=f"{self.name}_stateupdater")
        self.contained_objects.append(self.state_updater)
        if self._stored_subexpressions:
            self.contained_objects.append(CodeRunner(
                self, self._stored_subexpression_block, "before_start", order,
                name=f"{self.name}_subexpression_update"))
        for ev_name in self.events:
            if ev_name == "spike":
                continue
            self.contained_objects.append(CodeRunner(
                self, functools.partial(self._event_block, ev_name), "thresholds", order,
                name=f"{self.name}_{ev_name}_thresholder",
                detects_event=ev_name,
            ))
        if threshold is not None:
            self.thresholder = CodeRunner(self, self._threshold_block, "thresholds", order,
                                          name=f"{self.name}_spike_thresholder",
                                          detects_event="spike")
            self.refractory_marker = CodeRunner(
                self, self._spike_marks_block, "thresholds", order,
                # sorts right after the thresholder (same slot and order: by name)
                name=f"{self.name}_spike_thresholder_marks", on_event="spike",
            )
            self.contained_objects += [self.thresholder, self.refractory_marker]
        if reset is not None:
            if threshold is None:
                raise ValueError(f"NeuronGroup '{self.name}': a reset needs a threshold")
            self.resetter = CodeRunner(self, self._reset_block, "resets", order,
                                       name=f"{self.name}_spike_resetter",
                                       on_event="spike")
            self.contained_objects.append(self.resetter)
        if brian1_install is not None:
            brian1_install(self)
        self._frozen = True

    def __len__(self) -> int:
        return self.N

    def subgroup(self, N: int) -> Subgroup:
        """Brian 1's ``P.subgroup(N)``: the ``N`` neurons after those of the previous calls
        (``Pe = P.subgroup(3200); Pi = P.subgroup(800)``)."""
        from sim.brian1 import next_subgroup

        return next_subgroup(self, N)

    def __getitem__(self, item) -> Subgroup:
        return _subgroup(self, item)

    def _conditional_write_map(self) -> dict[str, str]:
        if self._refractory is None:
            return {}
        return {eq.varname: "not_refractory" for eq in self.equations
                if eq.type == DIFFERENTIAL_EQUATION and "unless refractory" in eq.flags}

    @property
    def _spikes(self) -> np.ndarray:
        return self._events.get("spike", _NO_EVENTS)

    @property
    def spikes(self) -> np.ndarray:
        """Indices of the neurons that spiked in the last time step."""
        return self._spikes

    def event_indices(self, event: str) -> np.ndarray:
        """Indices of the neurons that had ``event`` in the last time step."""
        return self._events.get(event, _NO_EVENTS)

    def run_on_event(self, event: str, code: str, when: str = "after_resets",
                     order: int | None = None) -> CodeRunner:
        """Run statements on the neurons that had ``event`` in this time step."""
        if event not in self.events:
            raise ValueError(f"'{self.name}' has no event '{event}' (events: {list(self.events)})")
        statements = parse_statements(code, functions=_ALL_FUNCTIONS)

        def block(namespace, _statements=statements):
            self._check_statements(_statements, namespace, f"the '{event}' code of '{self.name}'")
            return CodeBlock(list(_statements), None, f"on_{event}"), {}, {}

        runner = CodeRunner(self, block, when, self.order if order is None else order,
                            name=find_name(f"{self.name}_{event}_resetter"),
                            on_event=event)
        self.contained_objects.append(runner)
        return runner

    # -- code blocks ---------------------------------------------------------
    def _stored_subexpression_block(self, namespace):
        code = "\n".join(f"{name} = {expr}" for name, expr in self._stored_subexpressions)
        statements = parse_statements(code, functions=_ALL_FUNCTIONS)
        self._check_statements(statements, namespace,
                               f"the (constant over dt) subexpressions of '{self.name}'")
        return CodeBlock(statements, None, "subexpression_update"), {}, {}

    # '_' names this group's own threshold and reset strings may use: names the group
    # declares itself (PoissonGroup's '_countdown'); users' strings may use none
    _internal_names: frozenset[str] = frozenset()

    def _own_strings(self) -> contextlib.AbstractContextManager:
        """Context for parsing this group's threshold and reset strings."""
        if self._internal_names:
            return generated_code(self._internal_names)
        return contextlib.nullcontext()

    def _check_code_syntax(self) -> None:
        # parse now so that syntax errors surface at construction
        with self._own_strings():
            self._check_own_strings()

    def _check_own_strings(self) -> None:
        if self.threshold is not None:
            if not isinstance(self.threshold, str):
                raise TypeError(f"threshold must be a string, got {type(self.threshold).__name__}")
            parse_expression(self.threshold, functions=_ALL_FUNCTIONS)
        if self.reset is not None:
            if not isinstance(self.reset, str):
                raise TypeError(f"reset must be a string, got {type(self.reset).__name__}")
            parse_statements(self.reset, functions=_ALL_FUNCTIONS)
        if isinstance(self._refractory, str):
            parse_expression(self._refractory, functions=_ALL_FUNCTIONS)

    def _refractory_statements(self, namespace) -> tuple[list[Statement], dict]:
        ref = self._refractory
        if ref is None:
            return [], {}
        if isinstance(ref, Quantity):
            # Brian 2's timestep(t - lastspike, dt) >= timestep(refractory, dt), i.e.
            # floor((t - lastspike)/dt + 0.001) >= n, is t - lastspike >= (n - 0.001)*dt
            # (floor(x) >= n <=> x >= n for an integer n; the 0.001*dt margin dwarfs any
            # rounding): one subtraction and one comparison per neuron, vectorisable
            dt = self.clock.dt_
            steps = float(np.floor((float(ref) + 1e-3 * dt) / dt))
            code = "not_refractory = t - lastspike >= _refractory_time"
            with generated_code():
                statements = parse_statements(code)
            return statements, {"_refractory_time": (steps - 1e-3) * dt}
        context = f"the refractory expression '{ref}' of '{self.name}'"
        node = parse_expression(ref, functions=_ALL_FUNCTIONS)
        dims = infer_dimensions(self._inline_subexpressions(node),
                                self._dims_of(namespace, context), ref,
                                value_of=self._value_of(namespace, context),
                                functions=self._functions(namespace, context))
        if dims == second.dim:
            code = f"not_refractory = timestep(t - lastspike, dt) >= timestep({ref}, dt)"
        elif dims.is_dimensionless and is_boolean_expression(
            node, lambda n: n in self.variables and self.variables[n].is_bool
        ):
            code = f"not_refractory = not_refractory or not ({ref})"
        else:
            raise DimensionMismatchError(
                f"The refractory expression '{ref}' of '{self.name}' must be a time or a "
                f"boolean condition", dims
            )
        return parse_statements(code, functions=_ALL_FUNCTIONS), {}

    def _state_update_block(self, namespace):
        context = f"the equations of '{self.name}'"
        functions = self._functions(namespace, context)
        self.equations.check_dimensions(
            self._dims_of(namespace, context), value_of=self._value_of(namespace, context),
            functions=functions,
        )
        self._check_constant_divisors(self.equations, namespace, context)
        statements, constants = self._refractory_statements(namespace)
        unless = {
            eq.varname for eq in self.equations
            if "unless refractory" in eq.flags and self._refractory is not None
        }
        problem = IntegrationProblem.from_equations(
            self.equations, unless_refractory=unless, scalar=self._scalar_name(namespace),
            locally_constant=functions.locally_constant(self.equations, self.clock._dt_frac),
        )
        update = integrate(problem, self.method)
        self.method_used = update.method
        arrays = {}
        if update.propagators:
            values = self._propagator_values(update.propagators, namespace, context)
            for k, v in values.items():
                if isinstance(v, np.ndarray):
                    arrays[k] = v
                else:
                    constants[k] = v
        statements = statements + update.statements
        if not statements:
            return None, {}, {}
        return CodeBlock(statements, None, "stateupdate"), constants, arrays

    def _threshold_block(self, namespace):
        context = f"the threshold '{self.threshold}' of '{self.name}'"
        with self._own_strings():
            node = parse_expression(self.threshold, functions=_ALL_FUNCTIONS)
        dims = infer_dimensions(self._inline_subexpressions(node),
                                self._dims_of(namespace, context), self.threshold,
                                value_of=self._value_of(namespace, context),
                                functions=self._functions(namespace, context))
        if not dims.is_dimensionless or not is_boolean_expression(
            node, lambda n: n in self.variables and self.variables[n].is_bool
        ):
            raise TypeError(f"The threshold '{self.threshold}' of '{self.name}' must be a "
                            f"boolean expression (a comparison such as 'v > -50*mV')")
        if self._refractory is not None:
            node = ast.BoolOp(op=ast.And(), values=[node, ast.Name("not_refractory", ast.Load())])
        return CodeBlock([], node, "threshold"), {}, {}

    def _event_block(self, event: str, namespace):
        condition = self.events[event]
        context = f"the event '{event}' of '{self.name}'"
        node = parse_expression(condition, functions=_ALL_FUNCTIONS)
        dims = infer_dimensions(self._inline_subexpressions(node),
                                self._dims_of(namespace, context), condition,
                                value_of=self._value_of(namespace, context),
                                functions=self._functions(namespace, context))
        if not dims.is_dimensionless or not is_boolean_expression(
            node, lambda n: n in self.variables and self.variables[n].is_bool
        ):
            raise TypeError(f"The condition of {context} must be a boolean expression")
        return CodeBlock([], node, f"event_{event}"), {}, {}

    def _spike_marks_block(self, namespace):
        if self._refractory is None:
            return None, {}, {}
        return CodeBlock(parse_statements("lastspike = t\nnot_refractory = False"), None,
                         "spikemarks"), {}, {}

    def _reset_block(self, namespace):
        context = f"the reset of '{self.name}'"
        with self._own_strings():
            statements = parse_statements(self.reset, functions=_ALL_FUNCTIONS)
        self._check_statements(statements, namespace, context)
        return CodeBlock(statements, None, "reset"), {}, {}

    def before_run(self, namespace: dict) -> None:
        for var in self.variables.values():
            if var.linked and var.array is None:
                raise ValueError(
                    f"The (linked) variable '{var.name}' of '{self.name}' is not linked: "
                    f"assign {self.name}.{var.name} = linked_var(other_group, 'name') first"
                )

    def step_function(self):
        return None

    def _get_state(self) -> dict:
        arrays = {
            n: v.array.copy() for n, v in self.variables.items()
            if v.kind == "array" and not v.read_only and not v.linked
        }
        return {"arrays": arrays, "events": {k: v.copy() for k, v in self._events.items()}}

    def _set_state(self, state: dict) -> None:
        for n, values in state["arrays"].items():
            self.variables[n].array[...] = values
        self._events = {k: v.copy() for k, v in state["events"].items()}

    def __repr__(self) -> str:
        return f"NeuronGroup({self.N}, name={self.name!r})"

    def loop_fragment(self) -> None:
        """Nothing of its own in a compiled run loop: its code runners do its work."""
        return None


def _subgroup(group, item) -> Subgroup:
    """``G[a:b]``: a contiguous subgroup (a single index gives a one-element subgroup)."""
    if not isinstance(item, slice):
        if isinstance(item, int | np.integer):
            item = slice(int(item), int(item) + 1 if item != -1 else None)
        else:
            raise TypeError("Subgroups are made by slicing with contiguous ranges: G[a:b]")
    start, stop, step = item.indices(group.N)
    if step != 1:
        raise IndexError("Subgroups must be contiguous (step 1)")
    if stop <= start:
        raise IndexError(f"Empty subgroup {start}:{stop} of '{group.name}'")
    return Subgroup(group, start, stop)


class Subgroup(Group):
    """A contiguous slice ``G[start:stop]`` of a group, sharing its state."""

    def __init__(self, source: NeuronGroup, start: int, stop: int):
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "N", stop - start)
        object.__setattr__(self, "name", f"{source.name}_subgroup_{start}_{stop}")
        object.__setattr__(self, "clock", source.clock)
        object.__setattr__(self, "namespace", source.namespace)
        variables = dict(source.variables)
        variables["i"] = Variable("i", DIMENSIONLESS, "array", np.dtype(np.int64),
                                  np.arange(-start, source.N - start), read_only=True)
        variables["N"] = Variable("N", DIMENSIONLESS, "constant", value=stop - start,
                                  read_only=True)
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "_frozen", True)

    def _index_offset(self) -> int:
        return self.start

    def _owner_of_runners(self):
        # as in Brian 2, a subgroup's operations run with its source group (a subgroup is
        # no object of the network); their code still acts on the subgroup's elements
        return self.source

    def _conditional_write_map(self) -> dict[str, str]:
        return self.source._conditional_write_map()

    def __len__(self) -> int:
        return self.N

    @property
    def spikes(self) -> np.ndarray:
        s = self.source.spikes
        return s[(s >= self.start) & (s < self.stop)] - self.start

    def __getitem__(self, item) -> Subgroup:
        if not isinstance(item, slice):
            raise TypeError("Subgroups of a subgroup are made by slicing: G[a:b][c:d]")
        start, stop, step = item.indices(self.N)
        if step != 1 or stop <= start:
            raise IndexError("Subgroups must be non-empty and contiguous")
        return Subgroup(self.source, self.start + start, self.start + stop)

    def __repr__(self) -> str:
        return f"Subgroup({self.source.name}[{self.start}:{self.stop}])"
