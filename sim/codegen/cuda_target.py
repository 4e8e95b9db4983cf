"""CUDA C generation from the IR: one thread per element (first slice).

Each block becomes one ``extern "C" __global__`` kernel with the same argument
order as the numba kernels: ``_idx`` (int64 element indices), ``_n``, ``t``,
``dt``, then (when the block draws random numbers) ``_step`` and ``_rng_keys``,
then ``_found``/``_count`` for conditions, outputs, and the block's arrays and
constants.  Differences from the CPU targets, where order matters:

* a condition appends the element with ``atomicAdd`` on a counter: the order
  of the found elements is the launch's, and the host sorts them;
* an indirectly indexed variable that the block only increments
  (``v_post += w``) is updated with ``atomicAdd`` (double atomics: sm_60+);
  any other write through an index runs the block element by element on the
  host side (not generated here);
* ``rand()`` draws the same Philox-4x32-10 stream as the CPU targets (the
  integer arithmetic and the 53-bit conversion are exact); the other random
  functions need the project's own log/exp/sincos ported and are refused with
  a clear error for now.

This module generates source and compiles it to PTX with ``nvcc`` where nvcc
exists (:func:`compile_ptx`); launching kernels needs CuPy and a GPU, which a
later slice adds.  ``prefs.codegen.target`` does not offer ``'cuda'`` yet.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from sim.codegen.ir import ARRAY, CONSTANT, INDEXED, LINKED, SHARED, CodeBlock, NameTable
from sim.codegen.translate import ExpressionTranslator
from sim.parsing import ModelSyntaxError

__all__ = ["generate_source", "compile_ptx", "nvcc_available", "SUPPORT"]

_FUNCTIONS = {
    "exp": "exp", "log": "log", "log10": "log10", "expm1": "expm1", "log1p": "log1p",
    "exprel": "hs_exprel", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin",
    "arccos": "acos", "arctan": "atan", "asin": "asin", "acos": "acos", "atan": "atan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "sqrt": "sqrt", "abs": "fabs",
    "floor": "floor", "ceil": "ceil", "sign": "hs_sign", "clip": "hs_clip",
    "int": "(int64_t)", "int_": "(int64_t)", "timestep": "hs_timestep",
}

#: Device helpers every kernel includes (mirroring sim.codegen.numba_support).
SUPPORT = r"""
#include <stdint.h>
__device__ __forceinline__ double hs_exprel(double x) {
    if (fabs(x) < 1e-5) return 1.0 + x / 2.0 + x * x / 6.0;
    return expm1(x) / x;
}
__device__ __forceinline__ double hs_clip(double x, double lo, double hi) {
    return fmin(fmax(x, lo), hi);
}
__device__ __forceinline__ double hs_sign(double x) { return (x > 0) - (x < 0); }
__device__ __forceinline__ int64_t hs_timestep(double t, double dt) {
    return (int64_t)floor((t + 1e-3 * dt) / dt);
}
__device__ __forceinline__ double hs_fmod(double a, double b) {  // Python's a % b
    return a - floor(a / b) * b;
}
__device__ __forceinline__ double hs_floordiv(double a, double b) { return floor(a / b); }
__device__ void hs_philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; ++r) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        uint32_t y2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[1] = (uint32_t)p1;  c[3] = (uint32_t)p0;
        c[0] = y0;            c[2] = y2;
        k0 += 0x9E3779B9u;    k1 += 0xBB67AE85u;
    }
}
__device__ double hs_rand(const int64_t* keys, int site, uint64_t step, int64_t index) {
    uint32_t c[4] = {(uint32_t)step, (uint32_t)(step >> 32), (uint32_t)index, 0u};
    hs_philox4x32_10(c, (uint32_t)keys[2 * site], (uint32_t)keys[2 * site + 1]);
    uint64_t m = ((uint64_t)(c[0] >> 5) << 26) | (uint64_t)(c[1] >> 6);
    return (double)m * 1.1102230246251565e-16;  // 2**-53
}
"""

_CTYPES = {
    np.dtype(np.float64): "double", np.dtype(np.float32): "float",
    np.dtype(np.int64): "int64_t", np.dtype(np.int32): "int32_t", np.dtype(bool): "bool",
}


class _Translator(ExpressionTranslator):
    """AST -> CUDA C expression text (one element per thread)."""

    target = "cuda"

    def visit(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "true" if node.value else "false"
            return repr(float(node.value)) if isinstance(node.value, float) else str(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow | ast.Mod | ast.FloorDiv):
            a, b = self.visit(node.left), self.visit(node.right)
            func = {ast.Pow: "pow", ast.Mod: "hs_fmod", ast.FloorDiv: "hs_floordiv"}[
                type(node.op)]
            return f"{func}((double)({a}), (double)({b}))"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return f"((double)({self.visit(node.left)}) / ({self.visit(node.right)}))"
        return super().visit(node)

    def not_text(self, operand: str) -> str:
        return f"(!{operand})"

    def boolop_text(self, is_and: bool, operands: list[str]) -> str:
        return "(" + (" && " if is_and else " || ").join(operands) + ")"

    def where_text(self, cond: str, a: str, b: str) -> str:
        return f"(({cond}) ? ({a}) : ({b}))"

    def random_text(self, name: str, args: list[str], site: int) -> str:
        if name != "rand":
            raise ModelSyntaxError(f"{name}() is not available on the cuda target yet "
                                   f"(rand() is)")
        return f"hs_rand(_rng_keys, {site}, _step, _j)"

    def call_text(self, name: str, args: list[str]) -> str:
        if name not in self.functions:
            raise ModelSyntaxError(f"The cuda target has no implementation of '{name}()'")
        return f"{self.functions[name]}({', '.join(args)})"


def _accumulated(block: CodeBlock, table: NameTable) -> set[str]:
    from sim.codegen.numpy_target import _accumulated as numpy_accumulated

    return numpy_accumulated(block, table)


def generate_source(block: CodeBlock, table: NameTable, name: str = "kernel") -> str:
    """CUDA C source of one kernel for a block (see the module docstring)."""
    translate = _Translator(dict(_FUNCTIONS))
    reads, writes = block.reads, block.writes
    used = reads | writes
    arrays = sorted(n for n in used if table.kind(n) in (ARRAY, SHARED, LINKED, INDEXED))
    constants = sorted(n for n in reads if table.kind(n) == CONSTANT)
    accumulated = _accumulated(block, table)
    for var in writes:
        if table.kind(var) in (CONSTANT, LINKED):
            raise ModelSyntaxError(f"'{var}' is read-only and cannot be assigned in '{block}'")
        if table.kind(var) == INDEXED and var not in accumulated:
            raise ModelSyntaxError(f"'{var}' is written through an index other than by "
                                   f"'+='/'-=': not supported on the cuda target yet")
    ctype = {n: _CTYPES.get(table.dtypes.get(n, np.dtype(np.float64)), "double")
             for n in arrays}
    body: list[str] = []
    declared: set[str] = set()
    for var in arrays:
        if var not in reads or var in accumulated:
            continue
        kind = table.kind(var)
        index = {SHARED: "0", LINKED: f"_index_{var}[_j]", INDEXED: f"_index_{var}[_j]"}.get(
            kind, "_j")
        body.append(f"{ctype[var]} {var} = _arr_{var}[{index}];")
        declared.add(var)
    for st in block.statements:
        expr = translate.visit(st.expr)
        if st.var in accumulated:
            sign = "" if st.op == "+=" else "-"
            body.append(f"atomicAdd(&_arr_{st.var}[_index_{st.var}[_j]], {sign}({expr}));")
            continue
        if st.var not in declared:
            decl = ctype.get(st.var, "double")
            body.append(f"{decl} {st.var};" if st.op != "=" else f"{decl} {st.var} = {expr};")
            declared.add(st.var)
            if st.op == "=":
                continue
        rhs = expr if st.op == "=" else f"{st.var} {st.op[0]} ({expr})"
        body.append(f"{st.var} = {rhs};")
    for var in arrays:
        if var in writes and var not in accumulated:
            index = {SHARED: "0", INDEXED: f"_index_{var}[_j]"}.get(table.kind(var), "_j")
            body.append(f"_arr_{var}[{index}] = {var};")
    if block.condition is not None:
        body.append(f"if ({translate.visit(block.condition)}) "
                    f"{{ _found[atomicAdd(_count, 1ULL)] = _j; }}")
    for k, out in enumerate(block.outputs):
        body.append(f"_out_{k}[_k] = {out};")
    params = ["const int64_t* _idx", "int64_t _n", "double t", "double dt"]
    if translate.random_sites:
        params += ["uint64_t _step", "const int64_t* _rng_keys"]
    if block.condition is not None:
        params += ["int64_t* _found", "unsigned long long* _count"]
    params += [f"double* _out_{k}" for k in range(len(block.outputs))]
    params += [f"{ctype[v]}* _arr_{v}" for v in arrays]
    params += [f"const int64_t* _index_{v}" for v in arrays
               if table.kind(v) in (LINKED, INDEXED)]
    params += [f"double {c}" for c in constants]
    lines = [
        SUPPORT,
        f'extern "C" __global__ void {name}({", ".join(params)}) {{',
        "    int64_t _k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;",
        "    if (_k >= _n) return;",
        "    int64_t _j = _idx[_k];",
        *(f"    {line}" for line in body),
        "}",
        "",
    ]
    return "\n".join(lines)


def nvcc_available() -> bool:
    """Whether ``nvcc`` is on the PATH (it compiles without a GPU)."""
    return shutil.which("nvcc") is not None


def compile_ptx(source: str, arch: str = "sm_80") -> str:
    """Compile CUDA C to PTX with nvcc; returns the PTX, or raises with nvcc's messages."""
    if not nvcc_available():
        raise RuntimeError("nvcc is not available on this machine")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "kernel.cu"
        out = Path(tmp) / "kernel.ptx"
        src.write_text(source)
        result = subprocess.run(["nvcc", "--ptx", f"-arch={arch}", "-fmad=false", "-o",
                                 str(out), str(src)], capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"nvcc failed:\n{result.stderr}\n--- source ---\n{source}")
        return out.read_text()
