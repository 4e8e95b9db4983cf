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
* ``rand()`` and ``randn()`` draw the same Philox-4x32-10 streams as the CPU
  targets, bit for bit: the integer arithmetic and the 53-bit conversion are
  exact, and the normals use the project's own log and sincos (ported from
  :mod:`sim.codegen.philox`, compiled with ``-fmad=false``); ``binomial``,
  ``poisson`` and the geometric waiting times are refused with a clear error
  for now.

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

def _random_constants() -> str:
    """``#define``s of the random streams' constants, written from sim.codegen.philox's
    own values (``repr`` of a double reads back as the same double in C)."""
    from sim.codegen import philox

    names = ["TWO_M53", "SQRT_HALF", "LN2_HI", "LN2_LO", "PI_4",
             *(f"LG{k}" for k in range(1, 8)), *(f"S{k}" for k in range(1, 7)),
             *(f"C{k}" for k in range(1, 7))]
    return "\n".join(f"#define HS_{n} ({float(getattr(philox, '_' + n))!r})" for n in names)


#: Device helpers every kernel includes (mirroring sim.codegen.numba_support).
SUPPORT = r"""
#include <stdint.h>
""" + _random_constants() + r"""
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
__device__ __forceinline__ uint64_t hs_u53_bits(uint32_t hi, uint32_t lo) {
    return ((uint64_t)(hi >> 5) << 26) | (uint64_t)(lo >> 6);
}
// elements pair up on Philox blocks: element i reads block i >> 1 (sim.codegen.philox)
__device__ __forceinline__ void hs_block(const int64_t* keys, int site, uint64_t step,
                                         int64_t index, uint32_t c[4]) {
    c[0] = (uint32_t)step; c[1] = (uint32_t)(step >> 32);
    c[2] = (uint32_t)((uint64_t)index >> 1); c[3] = 0u;
    hs_philox4x32_10(c, (uint32_t)keys[2 * site], (uint32_t)keys[2 * site + 1]);
}
__device__ double hs_rand(const int64_t* keys, int site, uint64_t step, int64_t index) {
    uint32_t c[4];
    hs_block(keys, site, step, index, c);
    int odd = (int)(index & 1);
    return (double)hs_u53_bits(odd ? c[2] : c[0], odd ? c[3] : c[1]) * HS_TWO_M53;
}
// the project's own log of a positive normal double (fdlibm e_log.c; the bits of
// sim.codegen.philox._log_positive_scalar: same operations in the same order)
__device__ double hs_log_positive(double x) {
    union { double d; int64_t i; } u;
    u.d = x;
    int64_t b = u.i;
    int64_t e = (b >> 52) - 1022;
    u.i = (b & 0x000FFFFFFFFFFFFFLL) | 0x3FE0000000000000LL;
    double f = u.d;
    double dk;
    if (f < HS_SQRT_HALF) { f = f * 2.0; dk = (double)(e - 1); } else { dk = (double)e; }
    f = f - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double w = z * z;
    double t1 = w * (HS_LG2 + w * (HS_LG4 + w * HS_LG6));
    double t2 = z * (HS_LG1 + w * (HS_LG3 + w * (HS_LG5 + w * HS_LG7)));
    double r = t2 + t1;
    double hfsq = 0.5 * f * f;
    return dk * HS_LN2_HI - ((hfsq - (s * (hfsq + r) + dk * HS_LN2_LO)) - f);
}
// (sin 2 pi u, cos 2 pi u) for 0 <= u < 1 (sim.codegen.philox.det_sincos2pi_scalar)
__device__ void hs_sincos2pi(double u, double* s_out, double* c_out) {
    double v = 8.0 * u;
    int64_t o = (int64_t)v;
    double r = v - (double)o;
    if (o & 1) r = 1.0 - r;
    double x = r * HS_PI_4;
    double z = x * x;
    double vs = z * x;
    double rs = HS_S2 + z * (HS_S3 + z * (HS_S4 + z * (HS_S5 + z * HS_S6)));
    double sk = x + vs * (HS_S1 + z * rs);
    double rc = z * (HS_C1 + z * (HS_C2 + z * (HS_C3 + z * (HS_C4 + z * (HS_C5 + z * HS_C6)))));
    double hz = 0.5 * z;
    double w = 1.0 - hz;
    double ck = w + (((1.0 - w) - hz) + z * rc);
    int swap = ((o + 1) & 2) != 0;
    double s = swap ? ck : sk;
    double c = swap ? sk : ck;
    if (o >= 4) s = -s;
    if ((o + 2) & 4) c = -c;
    *s_out = s;
    *c_out = c;
}
// Box-Muller on the element's block: the cos output for even elements, sin for odd
__device__ double hs_randn(const int64_t* keys, int site, uint64_t step, int64_t index) {
    uint32_t c[4];
    hs_block(keys, site, step, index, c);
    double u1 = ((double)hs_u53_bits(c[0], c[1]) + 1.0) * HS_TWO_M53;
    double u2 = (double)hs_u53_bits(c[2], c[3]) * HS_TWO_M53;
    double radius = sqrt(-2.0 * hs_log_positive(u1));
    double sn, cs;
    hs_sincos2pi(u2, &sn, &cs);
    return (index & 1) ? radius * sn : radius * cs;
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
        if name not in ("rand", "randn"):
            raise ModelSyntaxError(f"{name}() is not available on the cuda target yet "
                                   f"(rand() and randn() are)")
        return f"hs_{name}(_rng_keys, {site}, _step, _j)"

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
