"""CUDA C generation: every block of representative models compiles to PTX with nvcc.

Runs where nvcc exists (these machines have it, without a GPU); skipped visibly
elsewhere.  Launching the kernels needs CuPy and a GPU (a later slice).
"""

import numpy as np
import pytest

import sim.groups
from sim import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    mV,
    prefs,
)
from sim.codegen import cuda_target, numpy_target
from sim.codegen.philox import uniform
from sim.random import stream_keys

pytestmark = pytest.mark.skipif(not cuda_target.nvcc_available(),
                                reason="nvcc is not installed: CUDA code not compiled")


class _Recorder:
    """A target that records the blocks it is asked to compile (and runs them on numpy)."""

    __name__ = "recorder"

    def __init__(self):
        self.blocks = []

    def compile_block(self, block, table, user_functions=None, size=0):
        self.blocks.append((block, table))
        return numpy_target.compile_block(block, table, user_functions, size=size)


@pytest.fixture
def host_cuda():
    """The CUDA runtime's host backend (the generated CUDA C run on the CPU)."""
    from sim import prefs

    prefs.codegen.cuda_backend = "host"
    yield
    prefs.codegen.cuda_backend = "auto"


def _blocks_of(build, monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(sim.groups, "_target_module", lambda: recorder)
    prefs.codegen.target = "numpy"
    net = build()
    net.run(0.2 * ms)
    return recorder.blocks


def _cuba():
    tau = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "El": -49 * mV,
           "we": 1.6 * mV, "wi": -9 * mV}
    eqs = """
    dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(100, eqs, threshold="v > -50*mV", reset="v = -60*mV",
                    refractory=5 * ms, namespace=tau)
    Ce = Synapses(P, P, "w : volt", on_pre="ge_post += w", namespace=tau)
    Ce.connect(p=0.1)
    Ce.w = "we"
    M = StateMonitor(P, "v", record=[0])
    noise = NeuronGroup(10, """dx/dt = -x/(10*ms) + rand()/ms : 1
                               dy/dt = -y/(10*ms) + xi/sqrt(ms) : 1""", method="euler")
    return Network(P, Ce, M, SpikeMonitor(P), noise)


def test_every_block_of_a_network_compiles_to_ptx(monkeypatch):
    blocks = _blocks_of(_cuba, monkeypatch)
    assert len(blocks) >= 6
    kinds = set()
    for k, (block, table) in enumerate(blocks):
        source = cuda_target.generate_source(block, table, name=f"k{k}")
        ptx = cuda_target.compile_ptx(source)
        assert f".entry k{k}" in ptx
        if block.condition is not None:
            kinds.add("condition")
            assert "atom.global.add.u64" in ptx
        if "atomicAdd(&_arr_" in source:
            kinds.add("scatter")
            assert "atom.global.add.f64" in ptx
        if "hs_rand(_rng_keys" in source:
            kinds.add("random")
        if "hs_randn(_rng_keys" in source:
            kinds.add("normal")
        if block.outputs:
            kinds.add("outputs")
    assert kinds == {"condition", "scatter", "random", "normal", "outputs"}


def test_every_random_function_draws_the_cpu_numbers_bit_for_bit(host_cuda):
    """binomial, poisson and geometric (both regimes of each: inversion and PTRS/BTRD),
    run as generated CUDA kernels through the host backend, against the CPU streams."""
    from sim.codegen import random_streams as rs
    from sim.codegen.ir import ARRAY, CodeBlock, NameTable
    from sim.parsing import Statement, parse_expression

    rng = np.random.default_rng(5)
    n_el = 4000
    idx = np.arange(n_el, dtype=np.int64)
    cases = {
        "binomial(nn, pp)": lambda keys, nn, pp, lam: rs.np_binomial(nn, pp, keys, 77, idx),
        "poisson(lam)": lambda keys, nn, pp, lam: rs.np_poisson(lam, keys, 77, idx),
        "geometric(pp)": lambda keys, nn, pp, lam: rs.np_geometric(pp, keys, 77, idx),
    }
    nn = rng.integers(0, 400, n_el).astype(float)
    pp = rng.uniform(0, 1, n_el)
    pp[:50] = [0.0, 1.0, 1e-17, 1 - 1e-12, 0.5] * 10
    lam = np.concatenate([rng.uniform(0, 10, n_el // 2), rng.uniform(10, 500, n_el // 2)])
    for expr, reference in cases.items():
        node = parse_expression(expr)
        block = CodeBlock([Statement("x", "=", node, f"x = {expr}")], None, "draw")
        table = NameTable()
        for name, kind in (("x", ARRAY), ("nn", ARRAY), ("pp", ARRAY), ("lam", ARRAY)):
            table.add(name, kind)
        kernel = cuda_target.compile_block(block, table)
        kernel.keys = stream_keys("draws", kernel.n_sites)
        out = np.zeros(n_el)
        arrays = {"x": out, "nn": nn, "pp": pp, "lam": lam}
        kernel(slice(0, n_el), n_el, 0.0, 1e-4,
               *(arrays[a[len("_arr_"):]] for a in kernel.arg_names), step=77)
        key = (int(kernel.keys[0, 0]), int(kernel.keys[0, 1]))
        expected = reference(key, nn.astype(np.int64), pp, lam).astype(float)
        assert np.array_equal(out, expected), expr


@pytest.mark.parametrize("opt", ["-O0", "-O2"])
def test_cuda_random_streams_match_the_cpu_streams_bit_for_bit(opt):
    # the device code of rand() and randn() (Philox, the 53-bit uniforms, the project's
    # own log and sincos, Box-Muller), compiled for the host with a C compiler without
    # FMA contraction (as nvcc -fmad=false), gives the CPU targets' numbers bit for bit
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    from sim.codegen.philox import normal

    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler")
    support = cuda_target.SUPPORT.replace("__device__ __forceinline__", "static inline")
    support = support.replace("__device__", "static").replace("__constant__", "static")
    program = support.replace("#include <stdint.h>", "#include <stdint.h>\n#include <math.h>\n"
                              "#include <stdio.h>\n#include <stdbool.h>") + r"""
int main(void) {
    int64_t keys[4] = {KEY0, KEY1, KEY2, KEY3};
    uint64_t steps[3] = {0ULL, 123456789012ULL, 4294967297ULL};
    for (int s = 0; s < 3; ++s) {
        for (int64_t i = 0; i < 20000; ++i) {
            double x[2] = {hs_rand(keys, 0, steps[s], i), hs_randn(keys, 1, steps[s], i)};
            fwrite(x, sizeof(double), 2, stdout);
        }
    }
    return 0;
}
"""
    keys = stream_keys("cuda-check", 2)
    for k, v in enumerate(keys.ravel()):
        program = program.replace(f"KEY{k}", str(int(v)))
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "p.c", Path(tmp) / "p"
        src.write_text(program)
        subprocess.run([cc, opt, "-ffp-contract=off", "-o", str(exe), str(src), "-lm"],
                       check=True)
        out = subprocess.run([str(exe)], capture_output=True, check=True).stdout
    got = np.frombuffer(out, dtype=np.float64).reshape(3, 20000, 2)
    idx = np.arange(20000)
    for s, step in enumerate((0, 123456789012, 4294967297)):
        u = uniform((int(keys[0, 0]), int(keys[0, 1])), step, idx)
        z = normal((int(keys[1, 0]), int(keys[1, 1])), step, idx)
        assert np.array_equal(got[s, :, 0].view(np.int64), u.view(np.int64))
        assert np.array_equal(got[s, :, 1].view(np.int64), z.view(np.int64))
