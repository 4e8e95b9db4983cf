"""The numba target: abstract code blocks -> scalar loops compiled by numba.

Each block becomes one ``@njit`` function looping over the block's elements:
load what it reads, evaluate the statements on scalars, store what it wrote.
The source depends only on the model's *structure* (statements, names,
dtypes): parameter values, N and initial values are arguments.  The source is
written to a file in the kernel cache directory named by its hash and
imported, so numba's own on-disk cache (``cache=True``) keys compiled code by
structure: a changed parameter, or a second process running the same script,
compiles nothing.

Cache directory: ``$HEARSIM_CACHE_DIR/numba_kernels`` (default
``~/.cache/hearsim/numba_kernels``).  What is found there is checked before use:

* the folder (and numba's ``__pycache__`` inside it) is created ``0700``; a folder
  that another user owns or can write to (and a ``$HEARSIM_CACHE_DIR`` others can
  write to without the sticky bit) is refused with
  :class:`~sim.safe_io.UnsafeDirectoryError`, since numba's cache files are
  pickles and would run as code;
* a module is executed from the source generated in this process, never from the
  file: the file is only numba's cache key.  A file whose content differs from that
  source (truncated, garbage, planted) is discarded with a ``UserWarning`` naming
  it, together with numba's compiled code for it, and rewritten;
* numba's own index and data files (``__pycache__/*.nbi``, ``*.nbc``) that cannot be
  read are discarded with a ``UserWarning`` and the kernel is compiled again.
"""

from __future__ import annotations

import ast
import functools
import glob
import hashlib
import os
import re
import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from sim.codegen.ir import ARRAY, CONSTANT, INDEXED, LINKED, SHARED, CodeBlock, NameTable
from sim.codegen.translate import ExpressionTranslator, int_message
from sim.errors import ModelValueError
from sim.parsing import ModelSyntaxError
from sim.safe_io import atomic_write_bytes, check_private_dir, private_dir

__all__ = ["compile_block", "generate_source", "cache_dir", "compile_stats", "NumbaBlock"]

_FUNCTIONS = {
    "exp": "math.exp",
    "log": "math.log",
    "log10": "math.log10",
    "expm1": "math.expm1",
    "log1p": "math.log1p",
    "exprel": "_exprel",
    "sin": "math.sin",
    "cos": "math.cos",
    "tan": "math.tan",
    "arcsin": "math.asin",
    "arccos": "math.acos",
    "arctan": "math.atan",
    "asin": "math.asin",
    "acos": "math.acos",
    "atan": "math.atan",
    "sinh": "math.sinh",
    "cosh": "math.cosh",
    "tanh": "math.tanh",
    "sqrt": "math.sqrt",
    "abs": "abs",
    "floor": "np.floor",
    "ceil": "np.ceil",
    "sign": "np.sign",
    "clip": "_clip",
    "int": "_int",
    "int_": "_int",
    "timestep": "_timestep",
}

_stats = {"generated": 0, "imported": 0}


def compile_stats() -> dict:
    """Counts since start: kernel sources written, modules imported, and numba's own
    compilations (``compiled``: signatures compiled rather than loaded from the cache)."""
    compiled = 0
    for module in list(sys.modules.values()):
        if getattr(module, "__hearsim_kernel__", False):
            for func in (getattr(module, "_kernel", None), getattr(module, "_loop", None)):
                if func is not None:
                    compiled += sum(func.stats.cache_misses.values())
    return {**_stats, "compiled": compiled}


def cache_dir() -> Path:
    """Where generated kernels and numba's compiled code are kept (created ``0700``).

    Raises :class:`~sim.safe_io.UnsafeDirectoryError` when the folder, or numba's
    ``__pycache__`` in it, belongs to another user or others can write to it, or when
    others can replace it (``$HEARSIM_CACHE_DIR`` writable by others, no sticky bit).
    """
    root = os.environ.get("HEARSIM_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "hearsim"
    if not base.exists():
        private_dir(base, "kernel cache folder")
    check_private_dir(base, "kernel cache folder ($HEARSIM_CACHE_DIR)", owned=False)
    path = private_dir(base / "numba_kernels", "kernel cache folder")
    private_dir(path / "__pycache__", "numba cache folder")  # numba's in-tree cache
    return path


class _Translator(ExpressionTranslator):
    """AST -> scalar Python source for numba (one element per loop iteration)."""

    target = "numba"

    def __init__(self, functions: dict[str, str]):
        super().__init__(functions)
        #: random call sites drawn a block at a time (site -> rand/randn), see _place
        self.block_sites: dict[int, str] = {}

    def not_text(self, operand: str) -> str:
        return f"(not {operand})"

    branch_free = False  # `&`/`|` instead of `and`/`or` (for the vectorised counting pass)

    def boolop_text(self, is_and: bool, operands: list[str]) -> str:
        if self.branch_free:
            return "(" + (" & " if is_and else " | ").join(f"bool({o})" for o in operands) + ")"
        return "(" + (" and " if is_and else " or ").join(operands) + ")"

    def where_text(self, cond: str, a: str, b: str) -> str:
        return f"({a} if {cond} else {b})"

    def random_text(self, name: str, args: list[str], site: int) -> str:
        if name in _BLOCK_DRAWS and not args:
            # a placeholder: loops over a contiguous range read the site's tile buffer,
            # filled a block at a time; other loops call the scalar function (_place)
            self.block_sites[site] = name
            return _placeholder(site)
        extra = "".join(f"{a}, " for a in args)
        return f"_rng_{name}({extra}_rng_keys, {site}, _step, _j)"

    def power_text(self, base: str, exponent: str, integer_exponent: bool) -> str:
        if integer_exponent:  # numba multiplies: exact, and no error is possible
            return f"({base} ** {exponent})"
        # float ** float is C's pow (inf for 0**-1, nan for (-8)**0.5); numba's integer
        # powers would overflow or raise ZeroDivisionError instead
        # (1.0 * x, not float(x), which numba has no version of for booleans)
        return f"((1.0 * {base}) ** (1.0 * {exponent}))"

    def int_text(self, arg: str, node: ast.Call) -> str:
        return f"_int({arg}, {int_message(node)!r})"


_VERSION = re.compile(r"\b_s(\d+)_")


def _copy(lines: list[str], c: int) -> list[str]:
    """``lines`` for copy ``c`` of a loop body: its single-assignment versions renamed.

    Numba's compile time grows quadratically with the definitions of one name, so the
    versions (`_s3_v`) of each pasted copy of a body get their own names (`_s3c1_v`).
    """
    return [_VERSION.sub(rf"_s\1c{c}_", line) for line in lines]


# Random functions drawn a block at a time over contiguous ranges: elements pair up on
# Philox blocks (see sim.codegen.philox), so a tile's numbers come from a vectorised
# fill that computes each block once; the element loop reads them from the tile buffer.
_BLOCK_DRAWS = ("rand", "randn")
_TILE = 1024


def _placeholder(site: int) -> str:
    return f"_RNGSITE{site}_"


_PLACEHOLDER = re.compile(r"_RNGSITE(\d+)_")


def _place(lines: list[str], sites: dict[int, str], tiled: bool) -> list[str]:
    """``lines`` with each block-drawn random site's placeholder replaced: by the tile
    buffer (``tiled``) or by the scalar function of element ``_j``."""
    if not sites:
        return lines

    def text(m: re.Match) -> str:
        site = int(m.group(1))
        if tiled:
            return f"_rb{site}[_k - _t0]"
        return f"_rng_{sites[site]}(_rng_keys, {site}, _step, _j)"

    return [_PLACEHOLDER.sub(text, line) for line in lines]


def _element_loop(body: list[str], sites: dict[int, str], loop: str, lo: str, hi: str,
                  first: str) -> list[str]:
    """``for _k in loop(lo, hi): _j = first + _k; body`` over a contiguous range; with
    block-drawn random sites, in tiles whose numbers are filled first."""
    if not sites:
        return [f"for _k in {loop}({lo}, {hi}):", f"    _j = {first} + _k",
                *(f"    {line}" for line in body)]
    fills = []
    for site, name in sorted(sites.items()):
        fills += [f"    _rb{site} = np.empty(_t1 - _t0)",
                  f"    _rng_fill_{name}(_rb{site}, _rng_keys[{site}, 0], _rng_keys[{site}, 1], "
                  f"_step, {first} + _t0, 0)"]
    return [
        f"for _t in {loop}(({hi} - ({lo}) + {_TILE - 1}) // {_TILE}):",
        f"    _t0 = {lo} + _t * {_TILE}",
        f"    _t1 = min({hi}, _t0 + {_TILE})",
        *fills,
        "    for _k in range(_t0, _t1):",
        f"        _j = {first} + _k",
        *(f"        {line}" for line in _place(body, sites, True)),
    ]


def _loops(body: list[str], loop: str, sites: dict[int, str] | None = None) -> list[str]:
    """The element loop, written once per kind of index (see generate_source)."""
    sites = sites or {}
    return [
        "if _idx.shape[0] == 2 and _idx[1] == -1 and _idx[0] == 0:",
        *(f"    {line}" for line in _element_loop(_copy(body, 0), sites, loop, "0", "_n", "0")),
        "elif _idx.shape[0] == 2 and _idx[1] == -1:",
        "    _start = _idx[0]",
        *(f"    {line}" for line in _element_loop(_copy(body, 1), sites, loop, "0", "_n",
                                                  "_start")),
        "else:",
        f"    for _k in {loop}(_n):",
        "        _j = _idx[_k]",
        *(f"        {line}" for line in _place(_copy(body, 2), sites, False)),
    ]


# Conditions (thresholds, events) over a contiguous range are tested in blocks: a
# branch-free pass counts the elements of a block that pass (LLVM vectorises it; the
# block's indices are unsigned so that no negative-index wraparound is generated), and
# only blocks with a hit are scanned again to collect them, in order.  Spikes are rare
# in a step, so most blocks are read once, at vector speed.
_BLOCK = 256


def _blocked_condition(reads: list[str], body: list[str], counted: str | None,
                       lo: str, hi: str, sites: dict[int, str] | None = None) -> list[str]:
    """Run ``body`` (which collects the positions where the condition holds) on the
    elements [lo, hi) of a contiguous range, skipping blocks where the branch-free form
    of the condition, ``counted``, holds nowhere (None: no counting pass)."""
    if counted is None:
        return _element_loop(_copy(body, 0), sites or {}, "range", lo, hi, "_start")
    return [
        f"for _b0 in range({lo}, {hi}, {_BLOCK}):",
        f"    _b1 = min({hi}, _b0 + {_BLOCK})",
        "    _hits = 0",
        "    for _j in range(np.uint64(_start + _b0), np.uint64(_start + _b1)):",
        *(f"        {line}" for line in _copy(reads, 1)),
        f"        _hits += bool({_copy([counted], 1)[0]})",
        "    if _hits > 0:",
        "        for _k in range(_b0, _b1):",
        "            _j = _start + _k",
        *(f"            {line}" for line in _copy(body, 0)),
    ]


def _condition_loops(reads: list[str], body: list[str], condition: str, counted: str | None,
                     parallel: bool, sites: dict[int, str] | None = None) -> list[str]:
    """The loops of a condition block: serial, or (parallel) chunks on all cores, each
    collecting at its own offset of ``_found``, packed in order afterwards (the result
    is the same, in the same order, as the serial loop's)."""
    collect = [f"if {condition}:", "    _found[_count] = _k", "    _count += 1"]
    serial = [
        "if _idx.shape[0] == 2 and _idx[1] == -1:",
        "    _start = _idx[0]",
        *(f"    {line}" for line in _blocked_condition(reads, body + collect, counted,
                                                       "0", "_n", sites)),
        "else:",
        "    for _k in range(_n):",
        "        _j = _idx[_k]",
        *(f"        {line}" for line in _place(_copy(body + collect, 2), sites or {}, False)),
    ]
    if not parallel:
        return serial
    chunk_collect = [f"if {condition}:", "    _found[_c0 + _cnt] = _k", "    _cnt += 1"]
    return [
        f"if _n < {_parallel_threshold()}:",
        *(f"    {line}" for line in serial),
        "else:",
        "    _contiguous = _idx.shape[0] == 2 and _idx[1] == -1",
        "    _start = _idx[0] if _contiguous else 0",
        "    _chunk = 4096",
        "    _nchunks = (_n + _chunk - 1) // _chunk",
        "    _counts = np.zeros(_nchunks, dtype=np.int64)",
        "    for _c in prange(_nchunks):",
        "        _cnt = 0",
        "        _c0 = _c * _chunk",
        "        _c1 = min(_n, _c0 + _chunk)",
        "        if _contiguous:",
        *(f"            {line}" for line in _blocked_condition(
            reads, body + chunk_collect, counted, "_c0", "_c1", sites)),
        "        else:",
        "            for _k in range(_c0, _c1):",
        "                _j = _idx[_k]",
        *(f"                {line}" for line in _place(_copy(body + chunk_collect, 2),
                                                      sites or {}, False)),
        "        _counts[_c] = _cnt",
        "    for _c in range(_nchunks):",
        "        for _q in range(_counts[_c]):",
        "            _found[_count + _q] = _found[_c * _chunk + _q]",
        "        _count += _counts[_c]",
    ]


def _parallel_threshold() -> int:
    from sim.prefs import prefs

    return int(prefs.codegen.numba_parallel_threshold)


#: Seconds numba takes per statement of a kernel (measured, 2 cores: 2000 statements
#: compile in about 7 s), to say in the error what a longer block would cost.
_COMPILE_SECONDS_PER_STATEMENT = 3.5e-3


def _check_length(block: CodeBlock) -> None:
    """Refuse a block too long to compile in reasonable time (prefs-settable)."""
    from sim.prefs import prefs

    limit = int(prefs.codegen.numba_max_statements)
    n = len(block.statements)
    if n > limit:
        minutes = n * _COMPILE_SECONDS_PER_STATEMENT / 60
        raise ModelValueError(
            f"The '{block.name}' code has {n} statements; the numba target compiles at most "
            f"prefs.codegen.numba_max_statements = {limit} per block (numba would take "
            f"about {minutes:.1f} min here, once, then it is cached). Use "
            f"prefs.codegen.target = 'numpy' (any length, about 0.1 ms per statement), "
            f"raise the limit, or write repeated lines as one vector expression")


def generate_source(
    block: CodeBlock,
    table: NameTable,
    user_functions: dict[str, str] | None = None,
    parallel: bool = False,
) -> tuple[str, list[str], int]:
    """Source of a block's numba kernel, its argument names, and its number of random
    call sites (if any, it takes the step and the sites' stream keys as arguments)."""
    _check_length(block)
    functions = dict(_FUNCTIONS)
    functions.update(user_functions or {})
    translate = _Translator(functions)
    reads, writes = block.reads, block.writes
    used = reads | writes
    arrays = sorted(n for n in used if table.kind(n) in (ARRAY, SHARED, LINKED, INDEXED))
    for name in writes:
        if table.kind(name) in (CONSTANT, LINKED):
            raise ModelSyntaxError(f"'{name}' is read-only and cannot be assigned in '{block}'")
    linked = [n for n in arrays if table.kind(n) in (LINKED, INDEXED)]
    extra = sorted(n for n in table.kinds if n.startswith("_uf_"))
    constants = sorted(n for n in reads if table.kind(n) == CONSTANT)
    body: list[str] = []
    for name in arrays:
        if name not in reads:
            continue
        kind = table.kind(name)
        if kind == SHARED:
            body.append(f"{name} = _arr_{name}[0]")
        elif kind in (LINKED, INDEXED):
            body.append(f"{name} = _arr_{name}[_index_{name}[_j]]")
        else:
            body.append(f"{name} = _arr_{name}[_j]")
    # single assignment: a name assigned again gets a fresh one (`_s3_v`), because
    # numba's compile time grows quadratically with reassignments of one variable (a
    # 2000-line reset took minutes) and about linearly with distinct names
    assigned: set[str] = set(n for n in arrays if n in reads)
    renamed = translate.renamed
    for k, st in enumerate(block.statements):
        expr = translate.visit(st.expr)
        old = renamed.get(st.var, st.var)
        new = st.var
        if st.var in assigned:
            new = f"_s{k}_{st.var}"
            renamed[st.var] = new
        assigned.add(st.var)
        if st.op == "=":
            body.append(f"{new} = {expr}")
        else:
            body.append(f"{new} = {old} {st.op[0]} ({expr})")
    for name in arrays:
        if name in writes:
            kind = table.kind(name)
            index = {SHARED: "0", INDEXED: f"_index_{name}[_j]"}.get(kind, "_j")
            body.append(f"_arr_{name}[{index}] = {renamed.get(name, name)}")
    outputs = list(block.outputs)
    n_loads = len(body) - len([n for n in arrays if n in writes]) - len(block.statements)
    computed = body[:n_loads + len(block.statements)]  # loads and statements, no stores
    condition_text = translate.visit(block.condition) if block.condition is not None else None
    for k, name in enumerate(outputs):
        body.append(f"_out_{k}[_k] = {renamed.get(name, name)}")
    uses_random = translate.random_sites > 0
    arg_names = (
        [f"_arr_{n}" for n in arrays] + [f"_index_{n}" for n in linked] + extra + constants
    )
    head = ["_idx", "_n", "t", "dt"]
    if uses_random:
        head += ["_step", "_rng_keys"]
    if block.condition is not None:
        head.append("_found")
    head += [f"_out_{k}" for k in range(len(outputs))]
    if condition_text is None:
        sites = translate.block_sites
        loops = _loops(body, "range", sites)
        if parallel:  # on all cores, unless this call's elements are few (spikes, events)
            loops = [f"if _n < {_parallel_threshold()}:", *(f"    {x}" for x in loops),
                     "else:", *(f"    {x}" for x in _loops(body, "prange", sites))]
    else:
        counted = None
        if not uses_random and not outputs and not (writes & set(arrays)):
            translate.branch_free = True
            counted = translate.visit(block.condition)
        loops = _condition_loops(computed, body, condition_text, counted, parallel,
                                 translate.block_sites)
    # user functions compiled in their own cached modules (sim.user_functions)
    modules = sorted({m for template in (user_functions or {}).values()
                      for m in re.findall(r"\b(hearsim_userfunc_\w+)\.", template)})
    function = [
        f"def _kernel({', '.join(head + arg_names)}):",
        "    _count = 0",
        # a contiguous range (a whole group) is passed as _idx = [start, -1]: that loop
        # indexes directly, which lets LLVM vectorise it; the body is written twice so that
        # neither loop carries a branch on the kind of index
        # (LLVM vectorises the loop over a whole group, starting at 0, far better than one
        # with a run-time offset: that case gets its own copy)
        *(f"    {line}" for line in loops),
        "    return _count",
    ]
    imports = ["from sim.codegen.numba_support import *  # noqa: F403",
               *(f"import {m}" for m in modules)]
    source = generated_module(imports, function, parallel=parallel)
    return source, arg_names, translate.random_sites


@functools.cache
def _helpers_fingerprint() -> str:
    """A hash of the helpers compiled kernels call (numba_support and what it imports).

    numba's cache checks only the kernel's own file, so a kernel cached by an earlier
    version would keep the old helpers inlined (a fixed `_clip` would not reach it):
    written into every generated module, the hash gives new helpers new kernels.
    """
    here = Path(__file__).parent
    digest = hashlib.sha1()
    for name in ("numba_support.py", "random_streams.py", "philox.py"):
        digest.update((here / name).read_bytes())
    digest.update(numba.__version__.encode())
    return digest.hexdigest()[:16]


def generated_module(preamble: list[str], function: list[str], parallel: bool = False) -> str:
    """Source of a generated module: the imports every one needs, ``preamble`` (imports,
    constants), the marker by which :func:`compile_stats` finds it, and one function
    compiled by numba (cached on disk)."""
    options = ", parallel=True" if parallel else ""
    return "\n".join([
        "import math",
        "import numpy as np",
        "from numba import njit",
        *(["from numba import prange"] if parallel else []),
        *preamble,
        "",
        "__hearsim_kernel__ = True",
        f"__hearsim_helpers__ = {_helpers_fingerprint()!r}",
        "",
        "",
        f"@njit(cache=True, nogil=True, error_model='numpy'{options})",
        *function,
        "",
    ])


_MODULES: dict[str, object] = {}


def module_name(source: str, prefix: str = "hearsim_kernel") -> str:
    """The name (and file stem in the cache) of the module generated from ``source``."""
    return f"{prefix}_{hashlib.sha1(source.encode()).hexdigest()[:20]}"


def _discard_numba_files(directory: Path, name: str) -> None:
    """Remove numba's index and data files for module ``name`` (in-tree cache)."""
    pattern = os.path.join(glob.escape(str(directory / "__pycache__")),
                           glob.escape(name) + ".*")
    for file in glob.glob(pattern):
        if file.endswith((".nbi", ".nbc")):
            try:
                os.unlink(file)
            except OSError:
                pass


def _cache_files(cache) -> list[str]:
    """numba's index and data files of one function (index first)."""
    cache_file = cache._cache_file
    index = cache_file._index_path
    data = glob.glob(os.path.join(glob.escape(os.path.dirname(index)),
                                  glob.escape(os.path.basename(index)[:-4]) + ".*.nbc"))
    return [index, *sorted(data)]


def _guard_numba_cache(module, path: Path) -> None:
    """Make numba's cache of the module's functions discard a damaged entry (a
    truncated or garbage ``.nbi``/``.nbc`` file: numba itself raises on it at every
    later compilation) with a warning, so that the function is compiled again."""
    try:
        from numba.core.dispatcher import Dispatcher
    except ImportError:  # pragma: no cover
        return
    for obj in list(vars(module).values()):
        cache = getattr(obj, "_cache", None) if isinstance(obj, Dispatcher) else None
        if cache is None or getattr(cache, "_cache_file", None) is None:
            continue

        func_name = getattr(obj, "__name__", "?")

        def discard(exc, when, cache=cache, func=func_name):
            try:
                files = _cache_files(cache)
            except Exception:  # noqa: BLE001 - numba internals changed: nothing to name
                files = []
            warnings.warn(
                f"numba's compiled-code cache for '{func}' of the kernel file '{path}' "
                f"could not be {when} ({files[0] if files else 'index'}: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())}); it is discarded and "
                f"the kernel compiled "
                f"again", UserWarning, stacklevel=4,
            )
            for file in files:
                try:
                    os.unlink(file)
                except OSError:
                    pass

        def load_overload(sig, target_context, _load=cache.load_overload, _discard=discard):
            try:
                return _load(sig, target_context)
            except Exception as exc:  # noqa: BLE001 - anything unreadable: compile again
                _discard(exc, "read")
                return None

        def save_overload(sig, data, _save=cache.save_overload, _discard=discard):
            try:
                _save(sig, data)
            except Exception as exc:  # noqa: BLE001 - the compiled code stays in memory
                _discard(exc, "saved")

        cache.load_overload = load_overload
        cache.save_overload = save_overload


def load_module(source: str, prefix: str = "hearsim_kernel"):
    """Write generated source to the cache directory (named by its hash) and import it.

    The module is executed from ``source`` itself; the file (rewritten, with a warning,
    when its content is not ``source``: truncated, garbage or planted) is what numba's
    on-disk cache is keyed by.  Modules are importable by name (they are put in
    ``sys.modules``, and the cache directory on ``sys.path``), so that generated run
    loops can import the kernels they call.
    """
    name = module_name(source, prefix)
    if name in _MODULES:
        return _MODULES[name]
    directory = cache_dir()
    path = directory / f"{name}.py"
    data = source.encode()
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = None
    except OSError:  # e.g. a folder planted under that name: the write below says why
        existing = b""
    if existing != data:
        if existing is not None:
            warnings.warn(
                f"The kernel cache file '{path}' is damaged (its content is not the "
                f"generated source{': it is empty' if not existing else ''}); it is "
                f"discarded, with numba's compiled code for it, and written again",
                UserWarning, stacklevel=3,
            )
            _discard_numba_files(directory, name)
        # atomically: several processes may start at once (a cache: no fsync needed)
        atomic_write_bytes(path, data, durable=False, permissions=0o600)
        _stats["generated"] += 1
    if str(directory) not in sys.path:
        sys.path.append(str(directory))
    code = compile(source, str(path), "exec")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)  # noqa: S102 - our own generated source
    except BaseException:
        sys.modules.pop(name, None)
        raise
    _guard_numba_cache(module, path)
    _stats["imported"] += 1
    _MODULES[name] = module
    return module


def contiguous(start: int) -> np.ndarray:
    """The index argument meaning "elements start, start+1, ... start+n-1"."""
    return np.array([start, -1], dtype=np.int64)


@dataclass
class NumbaBlock:
    """A compiled numba kernel with the numpy target's calling convention.

    Condition blocks return the positions (within the indices) where the
    condition holds; output blocks return a tuple of arrays.
    """

    function: object
    arg_names: list[str]
    source: str
    has_condition: bool
    n_outputs: int
    n_sites: int
    module_name: str = ""
    keys: np.ndarray | None = None  # (n_sites, 2) stream keys, set by the owner at compile

    @property
    def uses_random(self) -> bool:
        return self.n_sites > 0

    def __post_init__(self):
        self._ranges: dict[tuple[int, int], np.ndarray] = {}
        self._found = np.zeros(0, dtype=np.int64)

    def _indices(self, idx) -> np.ndarray:
        if isinstance(idx, slice):
            start = idx.start or 0
            arr = self._ranges.get(start)
            if arr is None:
                arr = contiguous(start)
                self._ranges[start] = arr
            return arr
        return np.asarray(idx, dtype=np.int64)

    def __call__(self, idx, n, t, dt, *args, step: int = 0):
        indices = self._indices(idx)
        head = [indices, n, t, dt]
        if self.n_sites:
            head += [step, self.keys]
        if self.has_condition:
            if len(self._found) < n:
                self._found = np.zeros(max(n, 1), dtype=np.int64)
            head.append(self._found)
            count = self.function(*head, *args)
            return self._found[:count].copy()
        if self.n_outputs:
            outs = [np.empty(n) for _ in range(self.n_outputs)]
            self.function(*head, *outs, *args)
            return tuple(outs)
        self.function(*head, *args)
        return None


def compile_block(
    block: CodeBlock,
    table: NameTable,
    user_functions: dict[str, str] | None = None,
    size: int = 0,
) -> NumbaBlock:
    """Compile a block into a numba kernel (loaded from the disk cache when possible).

    ``size``: the number of elements it will run on; large blocks whose elements are
    independent (no condition, no shared or indirect writes) run on all cores."""
    from sim.prefs import prefs

    parallel = (
        size >= prefs.codegen.numba_parallel_threshold
        and all(table.kind(n) in (ARRAY, None) for n in block.writes)
    )
    source, arg_names, n_sites = generate_source(block, table, user_functions, parallel)
    module = load_module(source)
    return NumbaBlock(module._kernel, arg_names, source, block.condition is not None,
                      len(block.outputs), n_sites, module_name=module.__name__)
