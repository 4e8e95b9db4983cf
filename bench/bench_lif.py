"""4000 LIF neurons, no synapses, 1 s of biological time, on each target.

Prints one JSON object: hearsim on numpy and on numba (the numba figure is a
warm run: kernels loaded from the disk cache by a first, short run), and, when
Brian 2 is installed, the same model on Brian 2's numpy and cython targets in
the same process (cython also warm), with ratios.

    python bench/bench_lif.py
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np

N = 4000
DURATION_S = 1.0
EQS = """
dv/dt = (v0 - v)/tau : volt (unless refractory)
v0 : volt
"""


def hearsim_run(target: str) -> dict:
    import sim

    sim.start_scope()
    sim.prefs.codegen.target = target
    sim.defaultclock.dt = 0.1 * sim.ms
    tau = 10 * sim.ms  # noqa: F841  (resolved from this namespace by run)
    G = sim.NeuronGroup(N, EQS, threshold="v > -50*mV", reset="v = -60*mV",
                        refractory=5 * sim.ms, method="exact")
    G.v = -60 * sim.mV
    G.v0 = "-60*mV + 20*mV*i/N"
    M = sim.SpikeMonitor(G)
    net = sim.Network(G, M)
    net.run(1 * sim.ms)  # loads (or compiles) the code; not timed
    t0 = time.perf_counter()
    net.run(DURATION_S * sim.second)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "spikes": int(M.num_spikes),
            "compiled_loop": bool(net.used_compiled_loop)}


def brian2_run(target: str) -> dict | None:
    try:
        import brian2 as b2
    except Exception as exc:  # absent, or broken against this numpy (2.9 needs numpy < 2.4)
        return None if isinstance(exc, ImportError) else {"error": repr(exc)}
    b2.start_scope()
    b2.prefs.codegen.target = target
    b2.defaultclock.dt = 0.1 * b2.ms
    tau = 10 * b2.ms  # noqa: F841
    G = b2.NeuronGroup(N, EQS, threshold="v > -50*mV", reset="v = -60*mV",
                       refractory=5 * b2.ms, method="exact")
    G.v = -60 * b2.mV
    G.v0 = "-60*mV + 20*mV*i/N"
    M = b2.SpikeMonitor(G)
    net = b2.Network(G, M)
    try:
        net.run(1 * b2.ms)  # compiles (cython); not timed
    except Exception as exc:
        return {"error": repr(exc)}
    t0 = time.perf_counter()
    net.run(DURATION_S * b2.second)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "spikes": int(M.num_spikes), "version": b2.__version__}


def _ratio(peer: dict | None, ours: dict) -> float | None:
    return peer["seconds"] / ours["seconds"] if peer and "seconds" in peer else None


def main() -> None:
    ours = {t: hearsim_run(t) for t in ("numpy", "numba")}
    peers = {t: brian2_run(t) for t in ("numpy", "cython")}
    out = {
        "benchmark": "lif_4000_1s",
        "machine": f"{platform.machine()} {platform.processor() or ''} "
                   f"python {platform.python_version()}",
        "numpy": np.__version__,
        "hearsim": ours,
        "brian2": peers,
        "speedup_numpy_vs_brian2_numpy": _ratio(peers["numpy"], ours["numpy"]),
        "speedup_numba_vs_brian2_cython": _ratio(peers["cython"], ours["numba"]),
        "speedup_numba_vs_brian2_numpy": _ratio(peers["numpy"], ours["numba"]),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
