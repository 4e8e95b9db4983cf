"""User names and generated names live apart (issue 15, item 1).

Generated kernels use '_'-prefixed names for their own loop indices and arrays
(`_j`, `_idx`, `_n`, `_arr_v`); a user temporary of the same name used to
overwrite them (a segfault, or the reset of the wrong neuron). User strings may
not use '_' names, nor the few bare names generated modules rely on, nor assign
the simulator's own read-only names.
"""

import ast
import pathlib

import numpy as np
import pytest

from sim import (
    EquationError,
    EventMonitor,
    Hz,
    ModelSyntaxError,
    Mohm,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    ms,
    mV,
    nA,
    prefs,
    run,
    seed,
    start_scope,
)
from sim.parsing import DEFAULT_FUNCTIONS, RESERVED_FOR_GENERATED_CODE

pytestmark = pytest.mark.usefixtures("codegen_target")


def _group(**kwargs):
    return NeuronGroup(4, "dv/dt = 1/ms : 1", **kwargs)


@pytest.mark.parametrize("reset", [
    "_j = 100000000\nv = 1",  # overwrote the loop index: a segfault
    "_j = 2\nv = -7",         # reset neuron 2 instead of neuron 0
    "_idx = 0\nv = 1",
    "_n = 10**9\nv = 1",
])
def test_underscore_temporaries_in_reset_are_refused(reset):
    with pytest.raises(ModelSyntaxError, match="reserved for generated code"):
        _group(threshold="i == 0 and v > 0.05", reset=reset)


def test_reading_a_generated_name_is_refused():
    with pytest.raises(ModelSyntaxError, match="'_arr_v'"):
        _group(threshold="v > 0.05", reset="v = _arr_v")
    with pytest.raises(ModelSyntaxError, match="'_idx'"):
        _group(threshold="_idx == 0")


def test_the_right_neuron_is_reset():
    """The case that used to reset neuron 2: with a user temporary it works."""
    G = _group(threshold="i == 0 and v > 0.05", reset="k2 = 2\nv = -7 + 0*k2")
    run(0.1 * ms)  # one step: v = 0.1 everywhere, then neuron 0 alone is reset
    assert G.v[0] == -7
    np.testing.assert_allclose(G.v[1:], 0.1, rtol=1e-12)


@pytest.mark.parametrize("code", ["_j = 2\nv_post = 1", "_k = 0\nv_post += 1", "v_post = _j"])
@pytest.mark.parametrize("where", ["on_pre", "on_post"])
def test_underscore_names_in_synaptic_code_are_refused(code, where):
    G = _group(threshold="v > 0.05", reset="v = 0")
    with pytest.raises(ModelSyntaxError, match="reserved for generated code"):
        Synapses(G, G, "w : 1", **{where: code})


def test_underscore_names_in_run_regularly_are_refused():
    G = _group()
    with pytest.raises(ModelSyntaxError, match="reserved for generated code"):
        G.run_regularly("_j = 3\nv = 0", dt=1 * ms)


@pytest.mark.parametrize("target", ["t", "dt", "i", "N", "t_in_timesteps"])
def test_assigning_the_simulators_names_is_refused(target):
    """`t = 5*ms` in a reset used to run silently (a temporary shadowing t)."""
    with pytest.raises(ModelSyntaxError, match="read-only"):
        _group(threshold="v > 0.05", reset=f"{target} = 0\nv = 0")
    G = _group()
    with pytest.raises(ModelSyntaxError, match="read-only"):
        G.run_regularly(f"{target} = 1", dt=1 * ms)


@pytest.mark.parametrize("name", sorted(RESERVED_FOR_GENERATED_CODE))
def test_model_variables_named_after_generated_code_names_are_refused(name):
    """`range`, `min`, `np`, `bool` used to give a numba error at run time."""
    with pytest.raises(EquationError, match="reserved for the generated code"):
        NeuronGroup(2, f"d{name}/dt = -{name}/ms : 1")
    with pytest.raises(EquationError, match="reserved for the generated code"):
        NeuronGroup(2, f"{name} : 1")
    with pytest.raises(ModelSyntaxError, match="reserved for the generated code"):
        _group(threshold="v > 1", reset=f"{name} = 1\nv = 0")


def test_underscore_model_variables_and_renames_are_refused():
    with pytest.raises(EquationError, match="may not start with '_'"):
        NeuronGroup(2, "_v : 1")
    from sim import Equations
    with pytest.raises(EquationError, match="reserved for generated code"):
        Equations("dv/dt = -v/tau : 1", tau="_j")
    with pytest.raises(EquationError, match="reserved for the generated code"):
        Equations("dv/dt = -v/tau : 1", v="np")


def test_a_module_name_is_refused_as_a_function():
    with pytest.raises(ModelSyntaxError, match="'np'"):
        _group(threshold="v > 0.05", reset="v = np(1)")


def test_internal_names_still_work():
    """PoissonGroup ('_countdown'), refractoriness and STP use their own '_' names."""
    seed(3)
    P = PoissonGroup(20, 500 * Hz)
    G = NeuronGroup(20, "dv/dt = -v/(5*ms) : 1", threshold="v > 1", reset="v = 0",
                    refractory=1 * ms)
    S = Synapses(P, G, "w : 1\ndx/dt = (1 - x)/(20*ms) : 1 (event-driven)",
                 on_pre="v_post += w*x\nx -= 0.2*x")
    S.connect(j="i")
    S.w = 0.6
    S.x = 1
    M = SpikeMonitor(P)
    run(20 * ms)
    assert 50 < M.num_spikes < 400


# -- the list of reserved names is complete ----------------------------------------

def _network():
    seed(1)
    ta = TimedArray(np.array([0.0, 2.0, 2.0, 2.0]) * nA, dt=1 * ms)
    G = NeuronGroup(5, """dv/dt = (I_ext - v)/tau + sigma*xi*tau**-0.5 : volt (unless refractory)
                          I_ext = R*ta(t) : volt
                          dge/dt = -ge/(5*ms) : volt
                          R : ohm (constant)
                          tau : second""",
                    threshold="v > 10*mV", reset="v = 0*mV\nge += 1*mV", refractory=2 * ms,
                    method="euler", namespace={"sigma": 1 * mV, "ta": ta})
    G.R = 20 * Mohm
    G.tau = "10*ms + i*ms"
    H = NeuronGroup(3, "dv/dt = -v/(3*ms) : 1\nx : 1\ny : 1", threshold="v > 1",
                    reset="v = 0", refractory="v > 0.5", events={"half": "v > 0.5"})
    H.run_regularly("x = x + rand()", dt=1 * ms)
    P = PoissonGroup(4, 200 * Hz)
    Q = PoissonGroup(2, "100*Hz + 10*Hz*sin(2*pi*t/second)")
    S = Synapses(P, G, """w : volt
        dapre/dt = -apre/(10*ms) : 1 (event-driven)
        dapost/dt = -apost/(10*ms) : 1 (event-driven)""",
                 on_pre="ge_post += w\napre += 0.1\nw = clip(w + apost*mV, 0*mV, 5*mV)",
                 on_post="apost += 0.1\nw = clip(w + apre*mV, 0*mV, 5*mV)")
    S.connect(p=0.6)
    S.w = "rand()*mV"
    S.delay = "j*0.3*ms"
    S2 = Synapses(Q, H, "y_post = z : 1 (summed)\ndz/dt = -z/(2*ms) : 1 (clock-driven)",
                  on_pre="v_post += 0.3")
    S2.connect(condition="i != j", p=1)
    PoissonInput(H, "v", 10, 50 * Hz, weight="0.1")
    StateMonitor(G, ["v", "ge"], record=True)
    SM = SpikeMonitor(G)
    EventMonitor(H, "half")
    PopulationRateMonitor(G)
    run(20 * ms)
    return SM.count[:].copy()


# names of the model above, its units, and the simulator's own public names
_MODEL_NAMES = {"v", "I_ext", "ge", "R", "tau", "sigma", "ta", "x", "y", "z", "w", "apre",
                "apost", "rates", "ge_post", "v_post", "y_post", "mV", "ms", "Hz", "second",
                "pi", "t", "dt", "i", "j", "N", "lastspike", "not_refractory",
                "lastupdate", "delay"}


def _bare_names(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and not node.id.startswith("_"):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.arg):
            name = node.name if isinstance(node, ast.FunctionDef) else node.arg
            if not name.startswith("_"):
                names.add(name)
    return names


def test_generated_code_uses_no_unreserved_bare_name(codegen_target, tmp_path, monkeypatch):
    """Every bare name a kernel uses is a model name or reserved from user strings.

    A new generator that writes e.g. `abs(...)` or `int64` without reserving it
    would let a model variable of that name change what the kernel computes.
    """
    from sim.codegen import numpy_target

    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(tmp_path))
    numpy_target._CACHE.clear()
    start_scope()
    prefs.codegen.target = codegen_target
    counts = _network()
    assert counts.sum() > 0  # the reset, synaptic and monitor code ran
    if codegen_target == "cuda":
        _check_cuda_kernels_use_no_bare_model_name(tmp_path)
        return
    if codegen_target == "numpy":
        sources = list(numpy_target._CACHE)
    else:
        sources = [p.read_text() for p in pathlib.Path(tmp_path).rglob("*.py")]
    assert sources
    used = set().union(*(_bare_names(s) for s in sources))
    unexpected = {n for n in used - _MODEL_NAMES - RESERVED_FOR_GENERATED_CODE
                  - set(DEFAULT_FUNCTIONS) if not n.startswith("hearsim_")}
    assert not unexpected, (
        f"generated code uses bare names a user may also choose: {sorted(unexpected)}; "
        "add them to sim.parsing.RESERVED_FOR_GENERATED_CODE"
    )


_C_WORDS = {"extern", "void", "const", "double", "float", "int", "int64_t", "int32_t",
            "uint64_t", "uint32_t", "bool", "unsigned", "long", "if", "else", "return", "for",
            "true", "false", "blockIdx", "threadIdx", "blockDim", "x", "atomicAdd", "ULL",
            "NAN", "INFINITY", "kernel", "pow"}


def _check_cuda_kernels_use_no_bare_model_name(cache: pathlib.Path) -> None:
    """CUDA kernels: every model name is written ``_m_<name>``; what remains bare is C, the
    support code's ``hs_`` functions, the maths functions of the translation, t and dt."""
    import re

    from sim.codegen.cuda_target import _FUNCTIONS

    allowed = _C_WORDS | {"t", "dt"} | {f.strip("()") for f in _FUNCTIONS.values()}
    allowed |= {"gridDim", "HS_OWN_STEP", "uint8_t"}  # the device loop: grid strides, clock
    files = list(cache.rglob("*.cpp"))
    assert files
    checked = 0
    for path in files:
        text = path.read_text()
        # the model kernels: 'kernel' (per-call form) and 'hs_k<n>' (the device loop's
        # module), each up to the next kernel or the host launchers
        for start in re.finditer(r"__global__ void (kernel|hs_k\d+)\(", text):
            rest = text[start.start() + 1:]
            stop = min(i for i in (rest.find("__global__"), rest.find("hs_launch_"),
                                   len(rest)) if i >= 0)
            body = re.sub(r'"[^"]*"', "", rest[:stop])
            words = set(re.findall(r"\b[A-Za-z][A-Za-z0-9_]*\b", body))
            unexpected = {w for w in words - allowed if not w.startswith("hs_")}
            assert not unexpected, f"{path.name}: bare names in a kernel: {sorted(unexpected)}"
            checked += 1
    assert checked
