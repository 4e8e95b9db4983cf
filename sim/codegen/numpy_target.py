"""The numpy target: abstract code blocks -> vectorised Python functions.

This is the readable reference every other target is tested against.  A block
becomes one Python function that gathers the arrays it reads at the block's
indices, evaluates every statement on whole arrays, and scatters the written
arrays back.  The generated source can be read with :func:`generate_source`.

Kernel signature: ``kernel(_idx, _n, t, dt, *args)`` where ``_idx`` is a slice
or an integer index array, ``_n`` the number of elements, and ``args`` follow
:attr:`CompiledBlock.arg_names` (arrays first, then constants).  A block with
a condition returns the boolean array of the condition.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

import numpy as np

from sim.codegen.ir import ARRAY, CONSTANT, INDEXED, LINKED, SHARED, CodeBlock, NameTable
from sim.codegen.random_streams import (
    np_binomial,
    np_geometric,
    np_poisson,
    np_rand,
    np_randn,
)
from sim.codegen.translate import ExpressionTranslator, int_message
from sim.errors import ModelValueError
from sim.parsing import ModelSyntaxError, get_identifiers

__all__ = ["compile_block", "generate_source", "CompiledBlock", "evaluate_expression"]


def _exprel(x):
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-5
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2.0 + x * x / 6.0, np.expm1(safe) / safe)


def _int(x, what):
    # astype truncates towards zero, as C's (int) cast does; a float outside the int64
    # range (inf and NaN included) has no integer value, as in the numba helper
    x = np.asarray(x)
    if x.dtype.kind == "f" and not np.all((x >= -9.223372036854775808e18)
                                          & (x < 9.223372036854775808e18)):
        raise ModelValueError(what)
    return x.astype(np.int64)


def _timestep(t, dt):
    # the step count of a duration, robust to rounding (as Brian 2's timestep)
    return np.floor((np.asarray(t) + 1e-3 * dt) / dt).astype(np.int64)


_HELPERS = {
    "_rng_rand": np_rand,
    "_rng_randn": np_randn,
    "_rng_binomial": np_binomial,
    "_rng_poisson": np_poisson,
    "_rng_geometric": np_geometric,
    "_np": np,
    "_exprel": _exprel,
    "_int": _int,
    "_timestep": _timestep,
}

_FUNCTION_NAMES = {
    "exp": "_np.exp",
    "log": "_np.log",
    "log10": "_np.log10",
    "expm1": "_np.expm1",
    "log1p": "_np.log1p",
    "exprel": "_exprel",
    "sin": "_np.sin",
    "cos": "_np.cos",
    "tan": "_np.tan",
    "arcsin": "_np.arcsin",
    "arccos": "_np.arccos",
    "arctan": "_np.arctan",
    "asin": "_np.arcsin",
    "acos": "_np.arccos",
    "atan": "_np.arctan",
    "sinh": "_np.sinh",
    "cosh": "_np.cosh",
    "tanh": "_np.tanh",
    "sqrt": "_np.sqrt",
    "abs": "_np.abs",
    "floor": "_np.floor",
    "ceil": "_np.ceil",
    "sign": "_np.sign",
    "clip": "_np.clip",
    "int": "_int",
    "int_": "_int",
    "timestep": "_timestep",
}

class _Translator(ExpressionTranslator):
    """AST -> numpy source text (whole arrays of elements at once)."""

    target = "numpy"

    def __init__(self, extra_functions: dict[str, str] | None = None):
        super().__init__({**_FUNCTION_NAMES, **(extra_functions or {})})

    def not_text(self, operand: str) -> str:
        return f"_np.logical_not({operand})"

    def boolop_text(self, is_and: bool, operands: list[str]) -> str:
        func = "_np.logical_and" if is_and else "_np.logical_or"
        out = operands[0]
        for operand in operands[1:]:
            out = f"{func}({out}, {operand})"
        return out

    def where_text(self, cond: str, a: str, b: str) -> str:
        return f"_np.where({cond}, {a}, {b})"

    # numpy's ufuncs, not Python's operators: on the scalars of a shared variable or a
    # constant, Python raises ZeroDivisionError where numba (and C) give inf or nan
    _UFUNCS = {ast.Div: "_np.true_divide", ast.FloorDiv: "_np.floor_divide",
               ast.Mod: "_np.remainder"}

    def binop_text(self, op: type, left: str, right: str) -> str:
        if op in self._UFUNCS:
            return f"{self._UFUNCS[op]}({left}, {right})"
        return super().binop_text(op, left, right)

    def power_text(self, base: str, exponent: str, integer_exponent: bool) -> str:
        if integer_exponent:
            return f"({base} ** {exponent})"
        return f"_np.float_power({base}, {exponent})"

    def int_text(self, arg: str, node: ast.Call) -> str:
        return f"_int({arg}, {int_message(node)!r})"

    def random_text(self, name: str, args: list[str], site: int) -> str:
        extra = "".join(f"{a}, " for a in args)
        return f"_rng_{name}({extra}_rng_keys[{site}], _step, _elements)"


@dataclass
class CompiledBlock:
    """A compiled numpy kernel and the order of its arguments."""

    function: object
    arg_names: list[str]
    source: str
    has_condition: bool

    n_sites: int = 0
    keys: object = None  # (n_sites, 2) stream keys, set by the owner at compile
    scatter: list | None = None  # positions (in args) of index arrays of written INDEXED vars

    def __call__(self, idx, n, t, dt, *args, step: int = 0):
        if self.scatter and n > 1:
            rounds = _scatter_rounds(idx, [args[k] for k in self.scatter])
            if rounds is not None:
                result = None
                for part in rounds:
                    result = self.function(part, len(part), t, dt, step, self.keys, *args)
                return result
        return self.function(idx, n, t, dt, step, self.keys, *args)


def _scatter_rounds(idx, index_arrays) -> list | None:
    """Split ``idx`` into rounds without repeated write targets, keeping each target's
    order of occurrence (the order a scalar loop would follow), or None if no target
    repeats.  Written through several index arrays with repeats: one element at a time."""
    idx = np.arange(idx.start, idx.stop) if isinstance(idx, slice) else np.asarray(idx)
    repeated = []
    for index in index_arrays:
        targets = index[idx]
        if len(np.unique(targets)) < len(targets):
            repeated.append(targets)
    if not repeated:
        return None
    if len(repeated) > 1:
        return [idx[k:k + 1] for k in range(len(idx))]
    targets = repeated[0]
    order = np.argsort(targets, kind="stable")
    sorted_targets = targets[order]
    starts = np.flatnonzero(np.r_[True, sorted_targets[1:] != sorted_targets[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(targets)]))
    rank = np.empty(len(targets), dtype=np.int64)
    rank[order] = np.arange(len(targets)) - run_start
    return [idx[rank == r] for r in range(int(rank.max()) + 1)]


def _accumulated(block: CodeBlock, table: NameTable) -> set[str]:
    """Indirectly indexed variables that the block only increments (``v_post += w``) and
    never reads otherwise: written with ``np.add.at``, which sums repeated targets."""
    found = set()
    for name in block.writes:
        if table.kind(name) != INDEXED:
            continue
        writers = [st for st in block.statements if st.var == name]
        if not all(st.op in ("+=", "-=") for st in writers):
            continue
        readers = [st for st in block.statements if name in get_identifiers(st.expr)]
        if block.condition is not None and name in get_identifiers(block.condition):
            readers.append(block.condition)
        if not readers and name not in block.outputs:
            found.add(name)
    return found


def generate_source(
    block: CodeBlock,
    table: NameTable,
    extra_functions: dict[str, str] | None = None,
) -> tuple[str, list[str], int]:
    """Python source of a block's kernel, its argument names and its number of random
    call sites."""
    translate = _Translator(extra_functions)
    reads = block.reads
    writes = block.writes
    used = reads | writes
    arrays = sorted(n for n in used if table.kind(n) in (ARRAY, SHARED, LINKED, INDEXED))
    constants = sorted(n for n in reads | set(extra_functions or ()) if table.kind(n) == CONSTANT)
    for name in writes:
        kind = table.kind(name)
        if kind in (CONSTANT, LINKED):
            raise ModelSyntaxError(f"'{name}' is read-only and cannot be assigned in '{block}'")
    linked = [n for n in arrays if table.kind(n) in (LINKED, INDEXED)]
    arg_names = [f"_arr_{n}" for n in arrays] + [f"_index_{n}" for n in linked] + constants
    accumulated = _accumulated(block, table)
    body = []
    assigned: set[str] = set()
    for name in arrays:
        if name not in reads or name in accumulated:
            continue
        if table.kind(name) == SHARED:
            body.append(f"{name} = _arr_{name}[0]")
        elif table.kind(name) in (LINKED, INDEXED):
            body.append(f"{name} = _arr_{name}[_index_{name}[_idx]]")
        else:
            body.append(f"{name} = _arr_{name}[_idx]")
    for st in block.statements:
        expr = translate(st.expr)
        if st.var in accumulated:
            sign = "" if st.op == "+=" else "-"
            body.append(f"_np.add.at(_arr_{st.var}, _index_{st.var}[_idx], "
                        f"{sign}_np.broadcast_to({expr}, (_n,)))")
        elif st.op == "=":
            body.append(f"{st.var} = {expr}")
        else:
            body.append(f"{st.var} = {st.var} {st.op[0]} ({expr})")
        assigned.add(st.var)
    for name in arrays:
        if name in writes and name not in accumulated:
            if table.kind(name) == SHARED:
                body.append(f"_arr_{name}[0] = {name}")
            elif table.kind(name) == INDEXED:
                body.append(f"_arr_{name}[_index_{name}[_idx]] = {name}")
            else:
                body.append(f"_arr_{name}[_idx] = {name}")
    if block.condition is not None:
        body.append(f"_cond = {translate(block.condition)}")
        body.append("return _np.flatnonzero(_np.broadcast_to(_cond, (_n,)))")
    elif block.outputs:
        outs = ", ".join(f"_np.broadcast_to({name}, (_n,))" for name in block.outputs)
        body.append(f"return ({outs},)")
    if translate.random_sites:
        # random numbers are counted by element index: the indices as an array
        body.insert(0, "_elements = _np.arange(_idx.start, _idx.stop) "
                       "if isinstance(_idx, slice) else _np.asarray(_idx)")
    args = ", ".join(["_idx", "_n", "t", "dt", "_step", "_rng_keys", *arg_names])
    src = f"def _kernel({args}):\n" + "".join(f"    {line}\n" for line in body or ["pass"])
    return src, arg_names, translate.random_sites


_CACHE: dict[str, object] = {}


def compile_block(
    block: CodeBlock,
    table: NameTable,
    extra_functions: dict[str, str] | None = None,
    extra_namespace: dict | None = None,
    size: int = 0,
) -> CompiledBlock:
    """Compile a block into a numpy kernel (cached by generated source)."""
    src, arg_names, n_sites = generate_source(block, table, extra_functions)
    scatter = [arg_names.index(f"_index_{n}") for n in sorted(block.writes)
               if table.kind(n) == INDEXED and n not in _accumulated(block, table)]
    key = src if not extra_namespace else None
    func = _CACHE.get(src) if key else None
    if func is None:
        namespace = dict(_HELPERS)
        if extra_namespace:
            namespace.update(extra_namespace)
        exec(compile(src, f"<numpy kernel {block.name}>", "exec"), namespace)  # noqa: S102
        func = namespace["_kernel"]
        if key:
            _CACHE[key] = func
    return CompiledBlock(func, arg_names, src, block.condition is not None, n_sites,
                         scatter=scatter)


def evaluate_expression(node: ast.expr, values: dict[str, object], n: int = 1):
    """Evaluate an expression AST on numpy values (used for run-start constants)."""
    src = _Translator()(node)
    namespace = dict(_HELPERS)
    namespace.update(values)
    namespace["_n"] = n
    namespace["_step"] = 0
    return eval(compile(src, "<expression>", "eval"), namespace)  # noqa: S307
