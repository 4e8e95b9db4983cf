"""Model strings -> whitelisted Python ASTs, and what we compute on those ASTs.

Everything the simulator executes that came from a user string passes through
:func:`parse_expression` or :func:`parse_statements`: the string is parsed with
Python's own :mod:`ast` and every node is checked against a whitelist of node
types, and every call against a whitelist of function names.  Nothing but the
model's own arithmetic can survive that.

On top of the parsed trees this module provides the small symbolic toolkit the
rest of the simulator needs, without a computer algebra system:

* :func:`infer_dimensions` -- physical dimensions of an expression;
* :func:`substitute` -- replace names by sub-expressions;
* :func:`linear_split` -- write ``expr`` as ``A*x + B`` when it is linear in ``x``.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from sim.errors import ModelValueError
from sim.units import DIMENSIONLESS, Dimension, DimensionMismatchError

__all__ = [
    "ModelSyntaxError",
    "Function",
    "DEFAULT_FUNCTIONS",
    "parse_expression",
    "parse_statements",
    "Statement",
    "get_identifiers",
    "infer_dimensions",
    "substitute",
    "linear_split",
    "is_boolean_expression",
    "to_source",
    "RESERVED_FOR_GENERATED_CODE",
    "READ_ONLY_NAMES",
    "generated_code",
    "check_user_name",
]


class ModelSyntaxError(SyntaxError):
    """A model string uses syntax, names or functions outside the whitelist."""


# --------------------------------------------------------------------------
# Names that user strings may not use
# --------------------------------------------------------------------------

# Every name the code generators make up starts with '_' (loop variables `_j`, `_k`,
# `_idx`, `_n`, arrays `_arr_v`, helpers `_exprel`...), so refusing '_' in user strings
# keeps the two namespaces apart: a user temporary can never overwrite a loop index.
# The few bare names the generated modules use (module names, builtins they call) are
# refused too; tests/test_hardening_names.py scans generated sources to keep this list
# complete.  Other builtins (`input`, `sum`...) stay usable as model names, as in Brian 2.
RESERVED_FOR_GENERATED_CODE = frozenset({
    "math", "np", "numpy", "numba", "njit", "prange", "sim", "range", "min", "max",
    "bool", "float", "isinstance", "slice", "len",
})
_RESERVED_PREFIXES = ("hearsim_",)
# Names a user statement may not assign (the simulation's time, indices and sizes)
READ_ONLY_NAMES = frozenset({"t", "dt", "t_in_timesteps", "i", "j", "N", "N_incoming",
                             "N_outgoing", "N_pre", "N_post", "xi"})

# None: a user string (checked); an empty frozenset: the simulator's own code (every
# name allowed); a non-empty set: a user-facing string of an object that declares these
# '_' names itself (e.g. PoissonGroup's '_countdown').
_generated: contextvars.ContextVar[frozenset[str] | None] = contextvars.ContextVar(
    "hearsim_generated_code", default=None)
_ALL_NAMES: frozenset[str] = frozenset()


@contextlib.contextmanager
def generated_code(allowed: Collection[str] | None = None) -> Iterator[None]:
    """Parse code written by the simulator itself (its own names start with '_').

    User strings are parsed outside this context, where '_' names are refused.
    With ``allowed``, only those extra names are accepted (the other checks stay).
    """
    token = _generated.set(_ALL_NAMES if allowed is None else frozenset(allowed) or None)
    try:
        yield
    finally:
        _generated.reset(token)


def _user_mode(name: str) -> bool:
    """Whether ``name`` must pass the user-name checks in the current context."""
    allowed = _generated.get()
    return allowed is None or (bool(allowed) and name not in allowed)


def check_user_name(name: str, code: str, what: str = "name") -> None:
    """Refuse a user-chosen name that could collide with generated code.

    Inside `generated_code` (the simulator's own code) the name is accepted.
    """
    if not _user_mode(name):
        return
    if name.startswith("_"):
        raise ModelSyntaxError(
            f"The {what} '{name}' is not allowed in '{code}': names starting with '_' are "
            f"reserved for generated code")
    if name in RESERVED_FOR_GENERATED_CODE or name.startswith(_RESERVED_PREFIXES):
        raise ModelSyntaxError(
            f"The {what} '{name}' is not allowed in '{code}': it is reserved for the "
            f"generated code; choose another name")


# --------------------------------------------------------------------------
# Functions usable in model strings
# --------------------------------------------------------------------------


def _dimless_args(name: str, arg_dims: list[Dimension], expr: str) -> Dimension:
    for d in arg_dims:
        if d is not DIMENSIONLESS and not d.is_dimensionless:
            raise DimensionMismatchError(
                f"The argument of {name}() must be dimensionless in '{expr}'", d
            )
    return DIMENSIONLESS


def _same_as_first(name: str, arg_dims: list[Dimension], expr: str) -> Dimension:
    first = arg_dims[0]
    for d in arg_dims[1:]:
        if d != first:
            raise DimensionMismatchError(
                f"All arguments of {name}() must have the same dimensions in '{expr}'",
                first,
                d,
            )
    return first


def _sqrt_dims(name: str, arg_dims: list[Dimension], expr: str) -> Dimension:
    return arg_dims[0] ** 0.5


def _bool_result(name: str, arg_dims: list[Dimension], expr: str) -> Dimension:
    return DIMENSIONLESS


@dataclass(frozen=True)
class Function:
    """A function that model strings may call.

    ``dims(name, arg_dims, expr)`` returns the result's dimension (or raises);
    ``nargs`` is the number of arguments (``None``: any number);
    ``kind`` is ``'float'``, ``'int'`` or ``'bool'`` (the result's type);
    ``stateful`` marks random functions, which give a fresh value per call.
    """

    name: str
    nargs: int | None
    dims: Callable[[str, list[Dimension], str], Dimension]
    kind: str = "float"
    stateful: bool = False


def _f(name, nargs, dims, kind="float", stateful=False):
    return Function(name, nargs, dims, kind, stateful)


#: Functions every target implements (numpy names; other targets map them).
DEFAULT_FUNCTIONS: dict[str, Function] = {
    **{
        n: _f(n, 1, _dimless_args)
        for n in (
            "exp", "log", "log10", "expm1", "log1p", "exprel", "sin", "cos", "tan",
            "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asin", "acos", "atan",
        )
    },
    "sqrt": _f("sqrt", 1, _sqrt_dims),
    "abs": _f("abs", 1, _same_as_first),
    "floor": _f("floor", 1, _same_as_first),
    "ceil": _f("ceil", 1, _same_as_first),
    "sign": _f("sign", 1, _bool_result),
    "clip": _f("clip", 3, _same_as_first),
    "int": _f("int", 1, _dimless_args, kind="int"),
    "int_": _f("int_", 1, _dimless_args, kind="int"),
    "rand": _f("rand", 0, _bool_result, stateful=True),
    "randn": _f("randn", 0, _bool_result, stateful=True),
    "binomial": _f("binomial", 2, _dimless_args, kind="int", stateful=True),
    "poisson": _f("poisson", 1, _dimless_args, kind="int", stateful=True),
    "geometric": _f("geometric", 1, _dimless_args, kind="int", stateful=True),
    # internal: chosen by the compiler, never needed in user strings
    "where": _f("where", 3, lambda n, d, e: _same_as_first(n, d[1:], e)),
}


def _timestep_dims(name: str, arg_dims: list[Dimension], expr: str) -> Dimension:
    # timestep(t, dt) checks t and dt agree and counts steps: a pure number
    _same_as_first(name, arg_dims, expr)
    return DIMENSIONLESS


DEFAULT_FUNCTIONS["timestep"] = _f("timestep", 2, _timestep_dims, kind="int")

#: Names that are always known: constants of maths.
DEFAULT_CONSTANTS: dict[str, float] = {
    "pi": 3.141592653589793,
    "e": 2.718281828459045,
    "inf": float("inf"),
}

_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.Load,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
)

_NODE_WORDS = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.Subscript: "indexing",
    ast.ListComp: "list comprehension",
    ast.GeneratorExp: "generator expression",
    ast.IfExp: "conditional expression",
    ast.JoinedStr: "f-string",
    ast.Starred: "star argument",
    ast.NamedExpr: "assignment expression",
}


def _offending(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles all parsed nodes
        return type(node).__name__


#: How deeply a user expression may nest (each operator, call or parenthesised term is a
#: level; a chain ``a + b + c`` counts one level per term). The checks and code
#: generators walk expressions recursively, and this keeps them far from Python's
#: recursion limit even after integrators substitute one expression into another.
MAX_NESTING = 200


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:  # iterative: the point is not to recurse
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _check_constant(node: ast.Constant, code: str) -> None:
    if not isinstance(node.value, bool | int | float):
        raise ModelSyntaxError(
            f"Only numbers and booleans may appear as literals: {node.value!r} in '{code}'"
        )
    if isinstance(node.value, float) and not math.isfinite(node.value):
        text = ast.get_source_segment(code, node) or _offending(node)
        raise ModelSyntaxError(
            f"The number '{text}' in '{code}' is too large for a 64-bit float "
            f"(it overflows to infinity); write 'inf' for an infinite value"
        )


def _check_constant_power(node: ast.BinOp, code: str) -> None:
    """Refuse ``(-8)**0.5``: a power of two numbers that is not a real number."""
    values = []
    for side in (node.left, node.right):
        sign = 1
        while isinstance(side, ast.UnaryOp) and isinstance(side.op, ast.USub | ast.UAdd):
            sign = -sign if isinstance(side.op, ast.USub) else sign
            side = side.operand
        if not (isinstance(side, ast.Constant) and isinstance(side.value, int | float)
                and not isinstance(side.value, bool)):
            return
        values.append(sign * float(side.value))
    base, exponent = values
    if base < 0 and not exponent.is_integer():
        raise ModelValueError(
            f"'{_offending(node)}' in '{code}' is not a real number (a negative number to a "
            f"fractional power)"
        )


def _check_tree(tree: ast.AST, code: str, functions: Mapping[str, object]) -> None:
    if _generated.get() is None and _depth(tree) > MAX_NESTING:
        raise ModelSyntaxError(
            f"The expression '{code[:60]}{'...' if len(code) > 60 else ''}' is nested more "
            f"than {MAX_NESTING} levels deep; split it with subexpressions or temporaries"
        )
    called: set[int] = set()  # ast.walk meets a Call before the Name it calls
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            what = _NODE_WORDS.get(type(node), f"'{type(node).__name__}' syntax")
            raise ModelSyntaxError(
                f"{what} is not allowed in model strings: '{_offending(node)}' in '{code}'"
            )
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise ModelSyntaxError(f"The name '{node.id}' is not allowed in '{code}'")
            if _user_mode(node.id):
                check_user_name(node.id, code, "function" if id(node) in called else "name")
        elif isinstance(node, ast.Constant):
            _check_constant(node, code)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            _check_constant_power(node, code)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ModelSyntaxError(
                    f"Only named functions may be called: '{_offending(node.func)}' in '{code}'"
                )
            called.add(id(node.func))
            if node.keywords:
                raise ModelSyntaxError(
                    f"Keyword arguments are not allowed: '{_offending(node)}' in '{code}'"
                )
            name = node.func.id
            if name not in functions:
                raise ModelSyntaxError(
                    f"Unknown function '{name}' in '{code}' (allowed: "
                    f"{', '.join(sorted(k for k in functions if not k.startswith('_')))})"
                )
            expected = getattr(functions[name], "nargs", None)
            if expected is not None and len(node.args) != expected:
                raise ModelSyntaxError(
                    f"{name}() takes {expected} argument(s), {len(node.args)} given in '{code}'"
                )


def parse_expression(
    code: str, functions: Mapping[str, object] | None = None
) -> ast.expr:
    """Parse a model expression into a checked AST (the body of an ``ast.Expression``).

    ``functions`` maps callable names to their descriptions (default:
    :data:`DEFAULT_FUNCTIONS`); user functions such as TimedArrays are added there.
    """
    if not isinstance(code, str):
        raise TypeError(f"Expected an expression string, got {type(code).__name__}: {code!r}")
    src = code.strip()
    if not src:
        raise ModelSyntaxError("Empty expression")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise ModelSyntaxError(f"Cannot parse expression '{src}': {exc.msg}") from None
    _check_tree(tree, src, DEFAULT_FUNCTIONS if functions is None else functions)
    return tree.body


@dataclass(frozen=True)
class Statement:
    """One abstract statement: ``var op expr`` with ``op`` in ``= += -= *= /=``.

    ``expr`` is a checked AST; ``line`` the source text, kept for error messages.
    """

    var: str
    op: str
    expr: ast.expr
    line: str

    @property
    def reads(self) -> set[str]:
        names = get_identifiers(self.expr)
        if self.op != "=":
            names.add(self.var)
        return names

    @property
    def writes(self) -> set[str]:
        return {self.var}

    def __str__(self) -> str:
        return f"{self.var} {self.op} {to_source(self.expr)}"


_AUG_OPS = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/="}


def parse_statements(
    code: str, functions: Mapping[str, object] | None = None
) -> list[Statement]:
    """Parse reset/on_pre-style code: one assignment per line (or ``;``-separated)."""
    if not isinstance(code, str):
        raise TypeError(f"Expected a code string, got {type(code).__name__}: {code!r}")
    statements: list[Statement] = []
    lines = []
    for raw in code.splitlines():
        raw = raw.split("#", 1)[0]
        lines.extend(part for part in raw.split(";"))
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            tree = ast.parse(line, mode="exec")
        except SyntaxError as exc:
            raise ModelSyntaxError(f"Cannot parse statement '{line}': {exc.msg}") from None
        if len(tree.body) != 1:
            raise ModelSyntaxError(f"Expected one statement per line: '{line}'")
        node = tree.body[0]
        if isinstance(node, ast.Assign):
            if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
                raise ModelSyntaxError(
                    f"Only assignments to a single variable name are allowed: '{line}'"
                )
            var, op, value = node.targets[0].id, "=", node.value
        elif isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name) or type(node.op) not in _AUG_OPS:
                raise ModelSyntaxError(
                    f"Only +=, -=, *= and /= on a variable name are allowed: '{line}'"
                )
            var, op, value = node.target.id, _AUG_OPS[type(node.op)], node.value
        else:
            raise ModelSyntaxError(
                f"Only assignments are allowed in statements: '{line}' "
                f"({type(node).__name__} found)"
            )
        if var.startswith("__"):
            raise ModelSyntaxError(f"The name '{var}' is not allowed in '{line}'")
        if _user_mode(var):
            check_user_name(var, line, "variable")
            if var in READ_ONLY_NAMES:
                raise ModelSyntaxError(
                    f"Cannot assign to '{var}' in '{line}': it is set by the simulator "
                    f"(read-only)")
        expr_tree = ast.Expression(body=value)
        _check_tree(expr_tree, line, DEFAULT_FUNCTIONS if functions is None else functions)
        statements.append(Statement(var, op, value, line))
    return statements


def to_source(node: ast.AST) -> str:
    """Python source text of an expression AST."""
    return ast.unparse(node)


def get_identifiers(node: ast.AST | str) -> set[str]:
    """Names read by an expression, excluding called function names."""
    if isinstance(node, str):
        node = parse_expression(node)
    called = set()
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            called.add(id(sub.func))
        elif isinstance(sub, ast.Name) and id(sub) not in called:
            names.add(sub.id)
    return names


def get_called_functions(node: ast.AST) -> set[str]:
    """Names of the functions an expression calls."""
    return {
        sub.func.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name)
    }


# --------------------------------------------------------------------------
# Dimensions
# --------------------------------------------------------------------------


def _const_value(node: ast.expr, values: Callable[[str], object] | None) -> float | None:
    """Value of a constant sub-expression (numbers, and names with known scalar values)."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _const_value(node.operand, values)
        if v is None:
            return None
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a = _const_value(node.left, values)
        b = _const_value(node.right, values)
        if a is None or b is None:
            return None
        try:
            return {
                ast.Add: a + b,
                ast.Sub: a - b,
                ast.Mult: a * b,
            }.get(type(node.op)) if not isinstance(node.op, ast.Div | ast.Pow) else (
                a / b if isinstance(node.op, ast.Div) else a**b
            )
        except ZeroDivisionError:
            return None
    if isinstance(node, ast.Name) and values is not None:
        v = values(node.id)
        if v is not None:
            return float(v)
    return None


def infer_dimensions(
    node: ast.expr,
    dims_of: Callable[[str], Dimension],
    expr: str | None = None,
    functions: Mapping[str, Function] | None = None,
    value_of: Callable[[str], object] | None = None,
) -> Dimension:
    """Physical dimensions of an expression.

    ``dims_of(name)`` gives the dimensions of a name (it raises for unknown
    names); ``value_of(name)`` optionally gives the scalar value of a constant
    name (used for exponents such as ``x**n``).  Errors name the expression and
    both dimensions.
    """
    functions = DEFAULT_FUNCTIONS if functions is None else functions
    text = expr if expr is not None else to_source(node)

    def rec(n: ast.expr) -> Dimension:
        if isinstance(n, ast.Constant):
            return DIMENSIONLESS
        if isinstance(n, ast.Name):
            return dims_of(n.id)
        if isinstance(n, ast.UnaryOp):
            d = rec(n.operand)
            if isinstance(n.op, ast.Not):
                return DIMENSIONLESS
            return d
        if isinstance(n, ast.BinOp):
            left, right = rec(n.left), rec(n.right)
            if isinstance(n.op, ast.Add | ast.Sub | ast.Mod | ast.FloorDiv):
                if left != right:
                    op = {ast.Add: "+", ast.Sub: "-", ast.Mod: "%", ast.FloorDiv: "//"}[
                        type(n.op)
                    ]
                    raise DimensionMismatchError(
                        f"Inconsistent dimensions in '{text}': "
                        f"'{to_source(n.left)}' {op} '{to_source(n.right)}'",
                        left,
                        right,
                    )
                return left if not isinstance(n.op, ast.FloorDiv) else DIMENSIONLESS
            if isinstance(n.op, ast.Mult):
                return left * right
            if isinstance(n.op, ast.Div):
                return left / right
            if isinstance(n.op, ast.Pow):
                if not right.is_dimensionless:
                    raise DimensionMismatchError(
                        f"The exponent '{to_source(n.right)}' in '{text}' must be dimensionless",
                        right,
                    )
                if left.is_dimensionless:
                    return DIMENSIONLESS
                exponent = _const_value(n.right, value_of)
                if exponent is None:
                    raise DimensionMismatchError(
                        f"The exponent '{to_source(n.right)}' of the dimensioned base "
                        f"'{to_source(n.left)}' in '{text}' must be a constant number",
                        left,
                    )
                return left**exponent
        if isinstance(n, ast.Compare):
            operands = [n.left, *n.comparators]
            dims = [rec(o) for o in operands]
            for k in range(1, len(dims)):
                if dims[k] != dims[0]:
                    raise DimensionMismatchError(
                        f"Comparison of quantities with different dimensions in '{text}': "
                        f"'{to_source(operands[0])}' and '{to_source(operands[k])}'",
                        dims[0],
                        dims[k],
                    )
            return DIMENSIONLESS
        if isinstance(n, ast.BoolOp):
            for v in n.values:
                rec(v)
            return DIMENSIONLESS
        if isinstance(n, ast.Call):
            name = n.func.id
            func = functions.get(name)
            if func is None:
                raise ModelSyntaxError(f"Unknown function '{name}' in '{text}'")
            return func.dims(name, [rec(a) for a in n.args], text)
        raise ModelSyntaxError(f"Unsupported syntax '{to_source(n)}' in '{text}'")

    return rec(node)


def is_boolean_expression(
    node: ast.expr, is_bool_name: Callable[[str], bool] = lambda name: False
) -> bool:
    """Whether an expression evaluates to a boolean (comparison, logic, boolean names)."""
    if isinstance(node, ast.Compare | ast.BoolOp):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return node.id in ("True", "False") or is_bool_name(node.id)
    return False


# --------------------------------------------------------------------------
# Symbolic helpers
# --------------------------------------------------------------------------


class _Substituter(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, ast.expr]):
        self.mapping = mapping

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.args = [self.visit(a) for a in node.args]
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.mapping:
            return _copy(self.mapping[node.id])
        return node


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def substitute(node: ast.expr, mapping: Mapping[str, ast.expr | str]) -> ast.expr:
    """Return a copy of ``node`` with names replaced by expressions (ASTs or strings)."""
    parsed = {
        k: (ast.parse(v, mode="eval").body if isinstance(v, str) else v)
        for k, v in mapping.items()
    }
    return _Substituter(parsed).visit(_copy(node))


def _num(x: float) -> ast.expr:
    return ast.Constant(value=x)


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _add(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_zero(a):
        return b
    if _is_zero(b):
        return a
    return ast.BinOp(left=a, op=ast.Add(), right=b)


def _sub(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_zero(b):
        return a
    if _is_zero(a):
        return ast.UnaryOp(op=ast.USub(), operand=b)
    return ast.BinOp(left=a, op=ast.Sub(), right=b)


def _mul(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_zero(a) or _is_zero(b):
        return _num(0)
    if isinstance(a, ast.Constant) and a.value == 1:
        return b
    if isinstance(b, ast.Constant) and b.value == 1:
        return a
    return ast.BinOp(left=a, op=ast.Mult(), right=b)


def _div(a: ast.expr, b: ast.expr) -> ast.expr:
    if _is_zero(a):
        return _num(0)
    if isinstance(b, ast.Constant) and b.value == 1:
        return a
    return ast.BinOp(left=a, op=ast.Div(), right=b)


def _is_plain_var(node: ast.expr, var: str) -> bool:
    """``var`` itself, possibly negated or raised to a power (``1/v``, ``1/v**2``)."""
    while isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        node = node.left
    return isinstance(node, ast.Name) and node.id == var


def _power_of(node: ast.expr, var: str) -> bool:
    """Whether a power of an expression linear in ``var`` (``v**2``) appears outside
    function calls, comparisons and denominators."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            return _linear_occurrence(node.left, var) and not (
                isinstance(node.right, ast.Constant) and node.right.value == 1)
        if isinstance(node.op, ast.Div):
            return _power_of(node.left, var)
        return _power_of(node.left, var) or _power_of(node.right, var)
    if isinstance(node, ast.UnaryOp):
        return _power_of(node.operand, var)
    return False


def _linear_occurrence(node: ast.expr, var: str) -> bool:
    """Whether ``var`` appears in ``node`` other than inside a function call, a power,
    a comparison or a denominator (where it only changes a coefficient)."""
    if isinstance(node, ast.Name):
        return node.id == var
    if isinstance(node, ast.Call | ast.Compare):
        return False
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            return False
        if isinstance(node.op, ast.Div):
            return _linear_occurrence(node.left, var)
        return _linear_occurrence(node.left, var) or _linear_occurrence(node.right, var)
    if isinstance(node, ast.UnaryOp):
        return _linear_occurrence(node.operand, var)
    if isinstance(node, ast.IfExp):
        return False
    return any(_linear_occurrence(c, var) for c in ast.iter_child_nodes(node)
               if isinstance(c, ast.expr))


def linear_split(node: ast.expr, var: str,
                 conditional: bool = False) -> tuple[ast.expr, ast.expr] | None:
    """Write ``node`` as ``A*var + B`` with ``A`` and ``B`` free of ``var``.

    Returns ``(A, B)`` or ``None`` when the expression is not linear in ``var``
    (structurally: products of two terms that both contain ``var``, ``var`` in a
    denominator, inside a function, a power or a comparison).

    ``conditional=True`` (exponential Euler's "conditionally linear" form, as Brian
    2's ``sympy.collect``): ``var`` inside a function, a power or a denominator only
    changes a coefficient, so ``A`` and ``B`` may contain ``var`` there (evaluated at
    the current value); ``var`` must still appear linearly somewhere, and never as a
    product of two linear occurrences (``v*v``, ``v**2``, ``1/v``).
    """

    def contains(n: ast.expr) -> bool:
        if conditional:
            return _linear_occurrence(n, var)
        return var in get_identifiers(n)

    if conditional:
        if not contains(node):
            return None  # no linear term at all (Brian 2 refuses this too)
        if _power_of(node, var):  # v**2, (v + 1)**3 outside coefficients
            return None

    def rec(n: ast.expr) -> tuple[ast.expr, ast.expr] | None:
        if not contains(n):
            return _num(0), n
        if isinstance(n, ast.Name):
            return _num(1), _num(0)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub | ast.UAdd):
            inner = rec(n.operand)
            if inner is None:
                return None
            if isinstance(n.op, ast.UAdd):
                return inner
            a, b = inner
            neg = lambda x: _num(0) if _is_zero(x) else ast.UnaryOp(op=ast.USub(), operand=x)
            return neg(a), neg(b)
        if isinstance(n, ast.BinOp):
            if isinstance(n.op, ast.Add | ast.Sub):
                left, right = rec(n.left), rec(n.right)
                if left is None or right is None:
                    return None
                comb = _add if isinstance(n.op, ast.Add) else _sub
                return comb(left[0], right[0]), comb(left[1], right[1])
            if isinstance(n.op, ast.Mult):
                if contains(n.left) and contains(n.right):
                    return None
                if contains(n.left):
                    inner, factor = rec(n.left), n.right
                else:
                    inner, factor = rec(n.right), n.left
                if inner is None:
                    return None
                return _mul(inner[0], factor), _mul(inner[1], factor)
            if isinstance(n.op, ast.Div):
                if contains(n.right) or (conditional and var in get_identifiers(n.right)
                                         and _is_plain_var(n.right, var)):
                    return None
                inner = rec(n.left)
                if inner is None:
                    return None
                return _div(inner[0], n.right), _div(inner[1], n.right)
        return None

    return rec(node)
