"""Every CUDA module the test run made compiles for a GPU (issue 13: on CPU CI every kernel
of every test network is compiled to PTX).

The CUDA runtime's host backend records each source it compiled (``host_compiled``); this
file's name sorts after every other test file's, so that by the time it runs the whole
suite's modules are there: the conformance networks on the cuda target (per-call kernels
and device-loop modules), the filterbank and control kernels, the cable step.  They are
compiled together in one nvcc run (about 15 s for the full suite's ~1700 kernels)."""

from __future__ import annotations

import pytest

from sim.codegen import cuda_runtime
from sim.codegen.cuda_target import compile_ptx_many, nvcc_available


def _a_network_on_the_cuda_target() -> None:
    """When this file runs alone: one network, so that there is something to compile."""
    from sim import Network, NeuronGroup, SpikeMonitor, Synapses, ms, prefs, start_scope

    saved = (prefs.codegen.target, prefs.codegen.cuda_backend)
    try:
        prefs.codegen.cuda_backend, prefs.codegen.target = "host", "cuda"
        start_scope()
        G = NeuronGroup(10, "dv/dt = (1.5 - v)/(10*ms) : 1", threshold="v > 1",
                        reset="v = 0", method="exact")
        S = Synapses(G, G, "w : 1", on_pre="v_post += w")
        S.connect(p=0.5)
        Network(G, S, SpikeMonitor(G)).run(1 * ms)
    finally:
        prefs.codegen.target, prefs.codegen.cuda_backend = saved


@pytest.mark.skipif(not nvcc_available(), reason="nvcc is not installed")
def test_every_cuda_module_of_the_run_compiles_to_ptx():
    if not cuda_runtime.host_compiled:
        _a_network_on_the_cuda_target()
    from sim.codegen.cuda_loop import LOOP_KERNELS
    from sim.codegen.cuda_target import SUPPORT

    sources = list(cuda_runtime.host_compiled.values())
    assert sources
    # (the preamble the generated modules share is compiled once, not once per module)
    ptx, names = compile_ptx_many(sources, shared=(SUPPORT, LOOP_KERNELS))
    missing = [name for found in names for name in found if f".entry {name}(" not in ptx]
    assert not missing, missing[:5]
    assert sum(len(found) for found in names) >= len(sources)
