"""Model strings -> a parsed, checked, picklable description of the equations.

Three kinds of line, as in Brian 2::

    dv/dt = (El - v)/tau : volt (unless refractory)   # differential equation
    I = g*(E - v) : amp                                 # subexpression
    tau : second (constant)                             # parameter

The unit after ``:`` may be any unit expression (``volt``, ``amp/metre**2``,
``1``), or ``boolean`` / ``integer`` for parameters.  Flags go in brackets at
the end.  Noise enters differential equations through ``xi`` (or ``xi_name``),
which has dimensions of ``second**-0.5``.

Dimensions of the right-hand sides can only be checked once every name is
known, which needs the group's variables and the run's namespace: that is
:meth:`Equations.check_dimensions`, called by the group when it is built and
again (cheaply) at the start of each run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from sim import units as _units
from sim.parsing import (
    DEFAULT_FUNCTIONS,
    RESERVED_FOR_GENERATED_CODE,
    ModelSyntaxError,
    check_user_name,
    generated_code,
    get_identifiers,
    infer_dimensions,
    parse_expression,
    substitute,
    to_source,
)
from sim.units import DIMENSIONLESS, Dimension, DimensionMismatchError, get_dimensions

__all__ = [
    "Equations",
    "SingleEquation",
    "EquationError",
    "DIFFERENTIAL_EQUATION",
    "SUBEXPRESSION",
    "PARAMETER",
    "is_noise_name",
    "NOISE_DIM",
    "RESERVED_NAMES",
    "evaluate_unit",
]

DIFFERENTIAL_EQUATION = "differential equation"
SUBEXPRESSION = "subexpression"
PARAMETER = "parameter"

#: Names a model may not define: they are provided by groups and clocks.
RESERVED_NAMES = frozenset(
    {"t", "dt", "i", "j", "N", "xi", "lastspike", "not_refractory", "True", "False"}
)

KNOWN_FLAGS = frozenset(
    {
        "unless refractory",
        "constant",
        "shared",
        "linked",
        "constant over dt",
        "event-driven",
        "clock-driven",
        "summed",
        "point current",  # SpatialNeuron's; NeuronGroup and Synapses refuse it
    }
)

NOISE_DIM = _units.second.dim**-0.5


class EquationError(ValueError):
    """A model string is malformed: names the line and what is wrong with it."""


def is_noise_name(name: str) -> bool:
    """``xi`` or ``xi_<suffix>``: a white-noise source in a differential equation."""
    return name == "xi" or name.startswith("xi_")


def evaluate_unit(text: str, line: str = "") -> tuple[Dimension, str]:
    """Evaluate the unit part of an equation line: returns (dimensions, var_type).

    ``var_type`` is ``'float'``, ``'bool'`` (``boolean``) or ``'int'`` (``integer``).
    Only unit names, numbers and ``* / **`` are allowed.
    """
    text = text.strip()
    where = f" in '{line.strip()}'" if line else ""
    if text == "boolean":
        return DIMENSIONLESS, "bool"
    if text == "integer":
        return DIMENSIONLESS, "int"
    try:
        tree = parse_expression(text, functions={})
    except ModelSyntaxError as exc:
        raise EquationError(f"Invalid unit '{text}'{where}: {exc}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and not isinstance(
            node.op, ast.Mult | ast.Div | ast.Pow
        ):
            raise EquationError(f"Invalid unit '{text}'{where}: only *, / and ** are allowed")
        if isinstance(node, ast.Compare | ast.BoolOp):
            raise EquationError(f"Invalid unit '{text}'{where}")

    def dims_of(name: str) -> Dimension:
        unit = getattr(_units, name, None)
        if not isinstance(unit, _units.Quantity):
            raise EquationError(f"Unknown unit '{name}'{where}")
        return unit.dim

    return infer_dimensions(tree, dims_of, text), "float"


@dataclass(frozen=True)
class SingleEquation:
    """One line of a model: its kind, variable, dimensions, type, expression and flags."""

    type: str
    varname: str
    dim: Dimension
    var_type: str = "float"
    expr: str | None = None
    flags: tuple[str, ...] = ()
    line: str = ""
    unit_text: str = "1"

    @property
    def parsed(self) -> ast.expr:
        """The right-hand side as a checked AST (differential equations and subexpressions)."""
        if self.expr is None:
            raise AttributeError(f"'{self.varname}' is a parameter: it has no expression")
        # user text was checked (names included) when its Equations were made; equations
        # the simulator writes itself (integrators, Brian 1 STP) may use its own '_' names
        with generated_code():
            return parse_expression(self.expr, functions=_ALL_FUNCTIONS)

    @property
    def identifiers(self) -> set[str]:
        return get_identifiers(self.parsed) if self.expr is not None else set()

    def __str__(self) -> str:
        flags = f" ({', '.join(self.flags)})" if self.flags else ""
        if self.type == DIFFERENTIAL_EQUATION:
            return f"d{self.varname}/dt = {self.expr} : {self.unit_text}{flags}"
        if self.type == SUBEXPRESSION:
            return f"{self.varname} = {self.expr} : {self.unit_text}{flags}"
        return f"{self.varname} : {self.unit_text}{flags}"


class _AnyFunction(dict):
    """Accept any function name at parse time (user functions resolve at run time)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and not key.startswith("__")

    def __getitem__(self, key: str):
        return DEFAULT_FUNCTIONS.get(key)

    def get(self, key, default=None):
        return DEFAULT_FUNCTIONS.get(key, default)


_ALL_FUNCTIONS = _AnyFunction()

_FLAG_RE = re.compile(r"\(\s*([A-Za-z][A-Za-z\- ]*(?:\s*,\s*[A-Za-z][A-Za-z\- ]*)*)\s*\)\s*$")
_DIFF_RE = re.compile(r"^d\s*([A-Za-z_]\w*)\s*/\s*dt\s*=(.*)$")
_SUB_RE = re.compile(r"^([A-Za-z_]\w*)\s*=(.*)$")
_PARAM_RE = re.compile(r"^([A-Za-z_]\w*)\s*$")


def _parse_line(line: str) -> SingleEquation:
    text = line.split("#", 1)[0].strip()
    if ":" not in text:
        raise EquationError(
            f"Missing ': unit' in equation line '{text}' (write e.g. 'dv/dt = -v/tau : volt')"
        )
    lhs_rhs, unit_part = text.split(":", 1)
    flags: tuple[str, ...] = ()
    m = _FLAG_RE.search(unit_part)
    if m:
        candidate = tuple(f.strip() for f in m.group(1).split(","))
        if all(f in KNOWN_FLAGS for f in candidate):
            flags = candidate
            unit_part = unit_part[: m.start()]
        else:
            bad = [f for f in candidate if f not in KNOWN_FLAGS]
            if any(f.replace(" ", "").isalpha() for f in bad) and not unit_part[
                : m.start()
            ].strip().endswith(("/", "*")):
                raise EquationError(
                    f"Unknown flag(s) {', '.join(repr(b) for b in bad)} in '{text}' "
                    f"(known flags: {', '.join(sorted(KNOWN_FLAGS))})"
                )
    if not unit_part.strip():
        raise EquationError(f"Missing unit after ':' in '{text}'")
    dim, var_type = evaluate_unit(unit_part, text)
    lhs_rhs = lhs_rhs.strip()
    for regex, kind in ((_DIFF_RE, DIFFERENTIAL_EQUATION), (_SUB_RE, SUBEXPRESSION)):
        m = regex.match(lhs_rhs)
        if m:
            name, expr = m.group(1), m.group(2).strip()
            if not expr:
                raise EquationError(f"Missing expression after '=' in '{text}'")
            try:
                parse_expression(expr, functions=_ALL_FUNCTIONS)
            except ModelSyntaxError as exc:
                raise EquationError(f"In equation '{text}': {exc}") from None
            if var_type != "float" and kind == DIFFERENTIAL_EQUATION:
                raise EquationError(
                    f"Differential equations must be of type float, not {var_type}: '{text}'"
                )
            return SingleEquation(
                kind, name, dim, var_type, expr, flags, text, unit_part.strip()
            )
    m = _PARAM_RE.match(lhs_rhs)
    if m:
        return SingleEquation(
            PARAMETER, m.group(1), dim, var_type, None, flags, text, unit_part.strip()
        )
    raise EquationError(
        f"Cannot parse equation line '{text}': expected 'dx/dt = expr : unit', "
        f"'x = expr : unit' or 'x : unit'"
    )


def unit_expression(dim: Dimension) -> str:
    """A unit expression in SI base units for a dimension, usable after ':' in an
    equation line or in an expression (``'1'`` when dimensionless)."""
    names = ("metre", "kilogram", "second", "amp", "kelvin", "mole", "candela")
    parts = [n if p == 1 else f"{n}**{int(p) if float(p).is_integer() else p!r}"
             for n, p in zip(names, dim._dims, strict=True) if p != 0]
    return "*".join(parts) if parts else "1"


class Equations:
    """A parsed model: an ordered set of :class:`SingleEquation`.

    ``Equations(text, **substitutions)``: a keyword whose value is a name renames an
    identifier (``tau='tau_m'``), an expression replaces it (``I='I0 + I1'``); a number
    or quantity replaces it by that value.
    Equations can be added to each other (or to strings).
    """

    def __init__(self, eqns: str | Equations | list[SingleEquation] = "", **substitutions):
        if isinstance(eqns, Equations):
            items = list(eqns._eqs.values())
        elif isinstance(eqns, list):
            items = list(eqns)
        elif isinstance(eqns, str):
            items = [_parse_line(line) for line in _logical_lines(eqns)]
        else:
            raise TypeError(
                f"Equations must be given as a string or Equations, not {type(eqns).__name__}"
            )
        self._eqs = {}
        for eq in items:
            self._add(eq)
        if substitutions:
            self._substitute(substitutions)

    # -- construction helpers ------------------------------------------------------
    def _add(self, eq: SingleEquation) -> None:
        name = eq.varname
        if name in self._eqs:
            raise EquationError(f"The variable '{name}' is defined twice: '{eq.line}'")
        if name in RESERVED_NAMES or is_noise_name(name):
            raise EquationError(f"'{name}' is a reserved name and cannot be defined: '{eq.line}'")
        if name in DEFAULT_FUNCTIONS:
            raise EquationError(
                f"'{name}' is the name of a function and cannot be a variable: '{eq.line}'"
            )
        if name.startswith("_"):
            raise EquationError(f"Variable names may not start with '_': '{eq.line}'")
        if name in RESERVED_FOR_GENERATED_CODE or name.startswith("hearsim_"):
            raise EquationError(
                f"'{name}' is reserved for the generated code (a module or builtin it uses) "
                f"and cannot be a variable; choose another name: '{eq.line}'"
            )
        self._eqs[name] = eq

    def _substitute(self, subs: Mapping[str, object]) -> None:
        mapping: dict[str, str] = {}
        for old, new in subs.items():
            if isinstance(new, str):
                if new.isidentifier():
                    try:
                        check_user_name(new, f"{old}={new!r}", "replacement name")
                    except ModelSyntaxError as exc:
                        raise EquationError(str(exc)) from None
                    mapping[old] = new
                    continue
                try:  # an expression replaces the name, as in Brian 2
                    parse_expression(new, functions=_ALL_FUNCTIONS)
                except ModelSyntaxError as exc:
                    raise EquationError(
                        f"Replacement '{new}' for '{old}' is neither a name nor a valid "
                        f"expression: {exc}"
                    ) from None
                mapping[old] = f"({new})"
            elif isinstance(new, int | float | np.number | _units.Quantity):
                dim = get_dimensions(new)
                value = float(np.asarray(new))
                unit = "" if dim.is_dimensionless else f"*{unit_expression(dim)}"
                mapping[old] = f"({value!r}{unit})"
            else:
                raise TypeError(
                    f"Substitution for '{old}' must be a name or a value, "
                    f"not {type(new).__name__}"
                )
        new_eqs: dict[str, SingleEquation] = {}
        for eq in self._eqs.values():
            varname = eq.varname
            if varname in mapping:
                if not mapping[varname].isidentifier():
                    raise EquationError(
                        f"Cannot replace the model variable '{varname}' by a value or an "
                        f"expression"
                    )
                varname = mapping[varname]
            expr = eq.expr
            if expr is not None:
                expr = to_source(substitute(eq.parsed, mapping))
            new_eqs[varname] = SingleEquation(
                eq.type, varname, eq.dim, eq.var_type, expr, eq.flags, eq.line, eq.unit_text
            )
        self._eqs = new_eqs

    # -- container protocol ------------------------------------------------------
    def __iter__(self) -> Iterator[SingleEquation]:
        return iter(self._eqs.values())

    def __len__(self) -> int:
        return len(self._eqs)

    def __contains__(self, name: object) -> bool:
        return name in self._eqs

    def __getitem__(self, name: str) -> SingleEquation:
        return self._eqs[name]

    def __add__(self, other: Equations | str) -> Equations:
        other_eqs = Equations(other) if isinstance(other, str) else other
        if not isinstance(other_eqs, Equations):
            return NotImplemented
        return Equations(list(self._eqs.values()) + list(other_eqs._eqs.values()))

    def __radd__(self, other: str) -> Equations:
        if isinstance(other, str):
            return Equations(other) + self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Equations(other)
        return isinstance(other, Equations) and list(self._eqs.values()) == list(
            other._eqs.values()
        )

    def __str__(self) -> str:
        return "\n".join(str(eq) for eq in self._eqs.values())

    def __repr__(self) -> str:
        return f"Equations({str(self)!r})"

    def __getstate__(self):
        return {"text": [(eq.type, eq.varname, eq.dim._dims, eq.var_type, eq.expr, eq.flags,
                          eq.line, eq.unit_text) for eq in self._eqs.values()]}

    def __setstate__(self, state):
        self._eqs = {}
        for typ, name, dims, var_type, expr, flags, line, unit_text in state["text"]:
            dim = _units.get_or_create_dimension(dims)
            self._eqs[name] = SingleEquation(
                typ, name, dim, var_type, expr, tuple(flags), line, unit_text
            )

    # -- views -------------------------------------------------------------------
    def _names(self, kind: str) -> list[str]:
        return [eq.varname for eq in self._eqs.values() if eq.type == kind]

    @property
    def diff_eq_names(self) -> list[str]:
        return self._names(DIFFERENTIAL_EQUATION)

    @property
    def subexpr_names(self) -> list[str]:
        return self._names(SUBEXPRESSION)

    @property
    def parameter_names(self) -> list[str]:
        return self._names(PARAMETER)

    @property
    def names(self) -> list[str]:
        return list(self._eqs)

    @property
    def identifiers(self) -> set[str]:
        """Names used in expressions but not defined by these equations."""
        used: set[str] = set()
        for eq in self._eqs.values():
            used |= eq.identifiers
        return {n for n in used if n not in self._eqs and not is_noise_name(n)}

    @property
    def noise_names(self) -> list[str]:
        """The noise sources of the differential equations (``xi``, ``xi_*``), those of the
        subexpressions they use included (Brian 2: ``noise = sigma*xi : amp`` inlined in
        ``dv/dt = (... + noise)/C``)."""
        found: list[str] = []
        for eq in self._eqs.values():
            if eq.type in (DIFFERENTIAL_EQUATION, SUBEXPRESSION):
                for n in sorted(eq.identifiers):
                    if is_noise_name(n) and n not in found:
                        found.append(n)
        return found

    @property
    def is_stochastic(self) -> bool:
        return bool(self.noise_names)

    def ordered_subexpressions(self) -> list[str]:
        """Subexpression names, each after the subexpressions it uses."""
        subs = {n: self._eqs[n] for n in self.subexpr_names}
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, chain: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = " -> ".join([*chain, name])
                raise EquationError(f"Circular definition of subexpressions: {cycle}")
            state[name] = 1
            for dep in sorted(subs[name].identifiers):
                if dep in subs:
                    visit(dep, [*chain, name])
            state[name] = 2
            order.append(name)

        for n in subs:
            visit(n, [])
        return order

    def substituted_expression(self, name: str) -> ast.expr:
        """Right-hand side of ``name`` with all subexpressions inlined."""
        expr = self._eqs[name].parsed
        order = self.ordered_subexpressions()
        inlined: dict[str, ast.expr] = {}
        for sub in order:
            inlined[sub] = substitute(self._eqs[sub].parsed, inlined)
        return substitute(expr, inlined)

    # -- dimension checking ---------------------------------------------------
    def check_dimensions(
        self,
        dims_of: Callable[[str], Dimension],
        value_of: Callable[[str], object] | None = None,
        functions: Mapping | None = None,
    ) -> None:
        """Check every line: a differential equation's right-hand side must have the
        dimensions of its variable per second, a subexpression those of its unit.

        ``dims_of`` resolves every name the expressions use (model variables,
        external constants, units); errors name the line and both dimensions.
        """
        for eq in self._eqs.values():
            if eq.expr is None:
                continue
            try:
                found = infer_dimensions(
                    eq.parsed, dims_of, eq.expr, functions=functions, value_of=value_of
                )
            except DimensionMismatchError as exc:
                raise DimensionMismatchError(
                    f"In '{eq.line or eq}': {exc.desc}", *exc.dims
                ) from None
            if eq.type == DIFFERENTIAL_EQUATION:
                expected = eq.dim / _units.second.dim
                if found != expected:
                    raise DimensionMismatchError(
                        f"The right-hand side of '{eq.line or eq}' must have the dimensions "
                        f"of {eq.varname}/second",
                        expected,
                        found,
                    )
            elif eq.var_type == "float" and found != eq.dim:
                raise DimensionMismatchError(
                    f"The expression of '{eq.line or eq}' does not have the declared unit",
                    eq.dim,
                    found,
                )


def _logical_lines(text: str) -> list[str]:
    """Lines with content, comments removed.  A line ending in '\\' continues, and,
    as in Brian 2, so does a line that has not reached its ': unit' yet (an expression
    may run over several lines up to the colon)."""
    out: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        line = (buf + line.strip()).strip()
        if not line:
            continue
        if ":" not in line and "=" in line:  # an expression cut before its unit
            buf = line + " "
            continue
        buf = ""
        out.append(line)
    if buf.strip():
        out.append(buf.strip())  # reported as missing its ': unit'
    return out
