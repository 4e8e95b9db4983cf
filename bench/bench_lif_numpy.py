"""4000 LIF neurons, no synapses, 1 s of biological time, numpy target.

Prints one JSON object.  When Brian 2 is installed, the same model runs in
Brian 2's numpy (runtime) target in the same process and the ratio is given.

    python bench/bench_lif_numpy.py
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


def hearsim_run() -> dict:
    import sim

    sim.start_scope()
    sim.prefs.codegen.target = "numpy"
    sim.defaultclock.dt = 0.1 * sim.ms
    tau = 10 * sim.ms  # noqa: F841  (resolved from this namespace by run)
    G = sim.NeuronGroup(N, EQS, threshold="v > -50*mV", reset="v = -60*mV",
                        refractory=5 * sim.ms, method="exact")
    G.v = -60 * sim.mV
    G.v0 = "-60*mV + 20*mV*i/N"
    M = sim.SpikeMonitor(G)
    t0 = time.perf_counter()
    sim.run(DURATION_S * sim.second)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "spikes": int(M.num_spikes)}


def brian2_run() -> dict | None:
    try:
        import brian2 as b2
    except Exception as exc:  # absent, or broken against this numpy (2.9 needs numpy < 2.4)
        return None if isinstance(exc, ImportError) else {"error": repr(exc)}
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = 0.1 * b2.ms
    tau = 10 * b2.ms  # noqa: F841
    G = b2.NeuronGroup(N, EQS, threshold="v > -50*mV", reset="v = -60*mV",
                       refractory=5 * b2.ms, method="exact")
    G.v = -60 * b2.mV
    G.v0 = "-60*mV + 20*mV*i/N"
    M = b2.SpikeMonitor(G)
    t0 = time.perf_counter()
    b2.run(DURATION_S * b2.second)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "spikes": int(M.num_spikes), "version": b2.__version__}


def main() -> None:
    ours = hearsim_run()
    peer = brian2_run()
    out = {
        "benchmark": "lif_4000_1s_numpy",
        "machine": f"{platform.machine()} {platform.processor() or ''} "
                   f"python {platform.python_version()}",
        "numpy": np.__version__,
        "hearsim": ours,
        "brian2": peer,
        "speedup_vs_brian2": (peer["seconds"] / ours["seconds"])
        if peer and "seconds" in peer else None,
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
