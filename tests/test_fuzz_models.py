"""Property-based (hypothesis) fuzzing of model strings, parameters and connectivity.

Each generated case is built and run on numpy and on numba. It must either run on
both and agree, or be refused on both with the same error of the project's own
(an exception class of hearsim, or a ValueError/TypeError/KeyError/IndexError
raised by hearsim's own code: the innermost frame of the traceback is in ``sim/``).
Never a segfault, a numba traceback, a bare ZeroDivisionError/RecursionError from
deep inside, or a silent difference between targets.

The default run tries a small, fixed (derandomised) set of cases per test; the
``slow`` run (``pytest -m slow tests/test_fuzz_models.py``) tries many random
ones. ``HEARSIM_FUZZ_EXAMPLES`` overrides the count and ``HEARSIM_FUZZ_REPORT``
names a JSON file that receives the figures (cases tried, refused, agreed).
"""

from __future__ import annotations

import collections
import json
import math
import os
import pathlib
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import sim
from sim import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    Synapses,
    ms,
    prefs,
    seed,
    start_scope,
)

PROJECT_ERRORS = tuple(
    getattr(sim, name) for name in sim.__all__
    if name.endswith(("Error", "Exception")) and name != "LinAlgError"
)
_SIM_DIR = str(pathlib.Path(sim.__file__).parent)
_FIGURES: collections.Counter = collections.Counter()
_EXAMPLES: dict[str, list[str]] = {}  # refusal messages, in the report


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory):
    """Fuzzed kernels go to a throw-away cache, not the user's."""
    old = os.environ.get("HEARSIM_CACHE_DIR")
    os.environ["HEARSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("fuzz_cache"))
    yield
    if old is None:
        del os.environ["HEARSIM_CACHE_DIR"]
    else:
        os.environ["HEARSIM_CACHE_DIR"] = old
    report = os.environ.get("HEARSIM_FUZZ_REPORT")
    if report:
        pathlib.Path(report).write_text(json.dumps(
            {"figures": dict(_FIGURES), "refusals": {k: v[:8] for k, v in _EXAMPLES.items()}},
            indent=1, sort_keys=True))


def _settings(default: int, slow: int):
    n = int(os.environ.get("HEARSIM_FUZZ_EXAMPLES", 0)) or None
    # the long run does not shrink a failure (each try compiles kernels: minutes); the
    # failing case is printed whole
    phases = [Phase.explicit, Phase.reuse, Phase.generate] if slow else list(Phase)
    return settings(max_examples=n or default, deadline=None, derandomize=slow == 0,
                    phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much],
                    database=None)


# -- what a case can be made of ------------------------------------------------------

_NAMES = ["v", "w", "x", "c", "i", "N", "(t/ms)", "rand()"]
_SYNAPTIC_NAMES = ["v_post", "v_pre", "ws", "i", "j", "N_pre", "(t/ms)", "rand()", "x_post"]
_LITERALS = ["0", "1", "2", "0.5", "3", "0.1", "7", "-1", "1e-300", "1e300", "1e308",
             "5e-324", "123456789012345678901234567890", "True"]
_HOSTILE = ["_j", "_idx", "_n", "_arr_v", "np", "range", "bool", "min", "__class__",
            "1e999", "inf", "mV", "undefined_name", "t", "dt", "'text'", "v.real", "[1]",
            "(lambda: 1)", "(v if w else x)", "(-8)**0.5", "-" * 300 + "1", "{1: 2}",
            "v[0]", "print(v)", "exec('1')", "(v := 1)", "f'{v}'", "...", "None"]
_FUNCS = ["exp", "log", "sin", "cos", "sqrt", "abs", "floor", "ceil", "tanh", "int",
          "sign", "exprel", "log1p", "expm1", "arctan"]
_OPS = ["+", "-", "*", "/", "**", "%", "//"]
_CMPS = [">", "<", ">=", "<=", "==", "!="]


def _expressions(hostile: bool, names=_NAMES):
    leaves = [st.sampled_from(names), st.sampled_from(_LITERALS)]
    if hostile:
        leaves.append(st.sampled_from(_HOSTILE))
    atoms = st.one_of(*leaves)

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(_OPS), inner).map(
                lambda p: f"({p[0]} {p[1]} {p[2]})"),
            inner.map(lambda a: f"(-{a})"),
            st.tuples(st.sampled_from(_FUNCS), inner).map(lambda p: f"{p[0]}({p[1]})"),
            st.tuples(inner, inner, inner).map(lambda p: f"clip({p[0]}, {p[1]}, {p[2]})"),
            st.tuples(inner, st.sampled_from(_CMPS), inner, inner, inner).map(
                lambda p: f"where({p[0]} {p[1]} {p[2]}, {p[3]}, {p[4]})"),
        )

    return st.recursive(atoms, extend, max_leaves=6)


def _statements(hostile: bool, targets=("v", "w", "x", "tmp"), names=_NAMES):
    expr = _expressions(hostile, names)
    names = list(targets) + (["t", "dt", "i", "N", "_j", "_idx", "np", "c", "range",
                              "lastspike", "not_refractory"] if hostile else [])
    line = st.tuples(st.sampled_from(names), st.sampled_from(["=", "+=", "-=", "*=", "/="]),
                     expr).map(lambda p: f"{p[0]} {'=' if p[0] == 'tmp' else p[1]} {p[2]}")
    return st.lists(line, min_size=1, max_size=4).map("\n".join)


# a quarter of the cases draw from the hostile atoms (refusals expected), the rest
# from valid ones (mostly runs, compared across targets)
_HOSTILITY = st.sampled_from([False, False, False, True])


@st.composite
def neuron_cases(draw):
    hostile = draw(_HOSTILITY)
    expr = _expressions(hostile)
    return {
        "dv": draw(expr),
        "dw": draw(expr),
        "threshold": draw(st.one_of(st.none(), st.tuples(
            expr, st.sampled_from(_CMPS), expr).map(lambda p: f"{p[0]} {p[1]} {p[2]}"))),
        "reset": draw(st.one_of(st.none(), _statements(hostile))),
        "regularly": draw(st.one_of(st.none(), _statements(hostile))),
        "refractory": draw(st.sampled_from([None, 0.2 * ms, "v > 0.5", 0 * ms])),
        "unless": draw(st.booleans()),
        "method": draw(st.sampled_from(["euler", "rk2", "rk4", "exact", "heun"])),
        "c": draw(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 1e308, 5e-324, math.nan,
                                   math.inf])),
        "tau": draw(st.sampled_from([10 * ms, 10 * ms, 1 * ms, 1 * ms, 0 * ms, -5 * ms])),
        "v0": draw(st.sampled_from([0.0, 0.3, -2.0, 1e300])),
    }


def _run_neurons(case):
    flags = " (unless refractory)" if case["unless"] else ""
    G = NeuronGroup(3, f"dv/dt = ({case['dv']})/tau : 1{flags}\n"
                       f"dw/dt = ({case['dw']})/tau : 1\nx : 1",
                    threshold=case["threshold"], reset=case["reset"],
                    refractory=case["refractory"], method=case["method"],
                    namespace={"c": case["c"], "tau": case["tau"]})
    G.v = case["v0"]
    G.w = "i*0.25"
    G.x = 2.0
    if case["regularly"] is not None:
        G.run_regularly(case["regularly"], dt=0.2 * ms)
    M = SpikeMonitor(G) if case["threshold"] is not None else None
    Network(G, *([M] if M else [])).run(0.5 * ms)
    out = {"v": G.v[:], "w": G.w[:], "x": G.x[:]}
    if M is not None:
        out["spikes"] = np.asarray(M.i[:], dtype=float)
    return out


@st.composite
def synapse_cases(draw):
    hostile = draw(_HOSTILITY)
    ij_expr = _expressions(hostile, names=["i", "j", "N_pre", "N_post", "0.5", "rand()"])
    connect = draw(st.one_of(
        st.tuples(st.just("p"), st.sampled_from([0.0, 0.3, 1.0, -0.5, 1.5, math.nan])),
        st.tuples(st.just("p"), ij_expr),
        st.tuples(st.just("condition"), st.tuples(ij_expr, st.sampled_from(_CMPS), ij_expr)
                  .map(lambda p: f"{p[0]} {p[1]} {p[2]}")),
        st.tuples(st.just("ij"), st.lists(st.tuples(
            st.sampled_from([0, 1, 2, 3, 0.5, -1, 4, 1e20, math.nan]),
            st.sampled_from([0, 1, 2, 0.0, 2.5, -1, 3])), min_size=1, max_size=4)),
        st.tuples(st.just("n"), st.one_of(st.sampled_from([0, 1, 2, -1]), ij_expr)),
        st.tuples(st.just("generator"), st.sampled_from([
            "k for k in range(i-1, i+2) if k != i", "k for k in sample(N_post, p=0.5)",
            "k for k in range(N_post)", "_j for _j in range(3)",
            "k for k in range(i, i + 10**12)"])),
    ))
    return {
        "connect": connect,
        "skip": draw(st.booleans()),
        "on_pre": draw(_statements(hostile, targets=("v_post", "ws", "tmp"),
                                   names=_SYNAPTIC_NAMES)),
        "delay": draw(st.sampled_from([None, 0 * ms, 0.1 * ms, 0.25 * ms, -1 * ms,
                                       math.nan * ms, math.inf * ms, "i*0.1*ms",
                                       "rand()*0.3*ms", "j*ms/0", "0.05*ms*(i+j)"])),
        "ws": draw(st.one_of(st.sampled_from([0.1, 1.0, -2.0]), ij_expr)),
    }


def _run_synapses(case):
    G = NeuronGroup(4, "dv/dt = (1.5 - v)/ms : 1", threshold="v > 0.2", reset="v = 0")
    H = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1\nx : 1")
    S = Synapses(G, H, "ws : 1", on_pre=case["on_pre"])
    kind, spec = case["connect"]
    if kind == "ij":
        S.connect(i=[p[0] for p in spec], j=[p[1] for p in spec], skip_if_invalid=case["skip"])
    elif kind == "generator":
        S.connect(j=spec, skip_if_invalid=case["skip"])
    elif kind == "n":
        S.connect(n=spec)
    else:
        S.connect(**{kind: spec})
    S.ws = case["ws"]
    if case["delay"] is not None:
        S.delay = case["delay"]
    Network(G, H, S).run(1 * ms)
    return {"i": np.asarray(S.i[:], dtype=float), "j": np.asarray(S.j[:], dtype=float),
            "ws": S.ws[:], "v": H.v[:]}


# -- the property ------------------------------------------------------------------

def _outcome(build, case, target):
    start_scope()
    prefs.codegen.target = target
    seed(11)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's divide/overflow notes, our own warnings
            return "ran", build(case)
    except RecursionError as exc:  # never acceptable, and its traceback is huge
        return "refused", exc
    except Exception as exc:  # noqa: BLE001 (classified below)
        return "refused", exc


def _is_own_refusal(exc: BaseException) -> bool:
    if isinstance(exc, PROJECT_ERRORS):
        return True
    if type(exc) in (ValueError, TypeError, KeyError, IndexError, NotImplementedError):
        frames = traceback.extract_tb(exc.__traceback__)
        return bool(frames) and frames[-1].filename.startswith(_SIM_DIR)
    return False


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return f"{type(exc).__module__}.{type(exc).__name__} at {where}: {str(exc)[:300]}"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.isclose(a, b, rtol=1e-9, atol=1e-300, equal_nan=True)))


def _check(build, case, kind: str) -> None:
    results = {t: _outcome(build, case, t) for t in ("numpy", "numba")}
    (ka, a), (kb, b) = results["numpy"], results["numba"]
    _FIGURES[f"{kind}: tried"] += 1
    for target, (k, value) in results.items():
        if k == "refused":
            assert _is_own_refusal(value), (
                f"{target} failed with an error that is not hearsim's own: "
                f"{_describe(value)}\ncase: {case!r}")
    assert ka == kb, (f"numpy {ka} but numba {kb}: "
                      f"{_describe(a) if ka == 'refused' else _describe(b)}\ncase: {case!r}")
    if ka == "refused":
        assert type(a) is type(b), (f"numpy refused with {_describe(a)} but numba with "
                                    f"{_describe(b)}\ncase: {case!r}")
        _FIGURES[f"{kind}: refused"] += 1
        _FIGURES[f"{kind}: refused with {type(a).__name__}"] += 1
        _EXAMPLES.setdefault(f"{kind}: {type(a).__name__}", []).append(str(a)[:160])
        return
    assert a.keys() == b.keys()
    for name in a:
        assert _same(a[name], b[name]), (
            f"'{name}' differs: numpy {a[name]!r}, numba {b[name]!r}\ncase: {case!r}")
    _FIGURES[f"{kind}: ran and agreed"] += 1


@_settings(default=12, slow=0)
@given(neuron_cases())
def test_neuron_models_run_alike_or_are_refused_alike(case):
    _check(_run_neurons, case, "neurons")


@_settings(default=12, slow=0)
@given(synapse_cases())
def test_connectivity_and_synaptic_code_run_alike_or_are_refused_alike(case):
    _check(_run_synapses, case, "synapses")


@pytest.mark.slow
@_settings(default=400, slow=1)
@given(neuron_cases())
def test_many_random_neuron_models(case):
    _check(_run_neurons, case, "neurons (slow)")


@pytest.mark.slow
@_settings(default=400, slow=1)
@given(synapse_cases())
def test_many_random_synapse_cases(case):
    _check(_run_synapses, case, "synapses (slow)")
