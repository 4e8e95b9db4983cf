"""Song, Miller & Abbott (2000) STDP network (Brian 2's example): 1000 Poisson inputs
at 15 Hz onto one conductance-based neuron, additive pair-based STDP, dt = 0.1 ms,
10 s of biological time.

Prints JSON: hearsim numba (steady: a second 10 s run in the same process) and
Brian 2 (cython) when importable, as a ratio.

    python bench/bench_stdp.py
"""

from __future__ import annotations

import json
import platform
import time


def build_and_run(m, target: str, duration_s: float = 10.0) -> dict:
    m.start_scope()
    m.prefs.codegen.target = target
    m.defaultclock.dt = 0.1 * m.ms
    N = 1000
    taupre = taupost = 20 * m.ms
    gmax = .01
    dApre = .01
    dApost = -dApre * taupre / taupost * 1.05
    ns = dict(taum=10 * m.ms, Ee=0 * m.mV, vt=-54 * m.mV, vr=-60 * m.mV, El=-74 * m.mV,
              taue=5 * m.ms, taupre=taupre, taupost=taupost, gmax=gmax,
              dApre=dApre * gmax, dApost=dApost * gmax)
    neuron = m.NeuronGroup(1, """dv/dt = (ge * (Ee-v) + El - v) / taum : volt
                                 dge/dt = -ge / taue : 1""",
                           threshold="v>vt", reset="v = vr", method="euler", namespace=ns)
    inputs = m.PoissonGroup(N, rates=15 * m.Hz)
    S = m.Synapses(inputs, neuron, """w : 1
                   dApre/dt = -Apre / taupre : 1 (event-driven)
                   dApost/dt = -Apost / taupost : 1 (event-driven)""",
                   on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, gmax)",
                   on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)", namespace=ns)
    S.connect()
    S.w = "rand() * gmax"
    M = m.SpikeMonitor(neuron)
    net = m.Network(neuron, inputs, S, M)
    t0 = time.perf_counter()
    net.run(duration_s * m.second)
    t1 = time.perf_counter()
    net.run(duration_s * m.second)
    t2 = time.perf_counter()
    return {"first_run_s": t1 - t0, "steady_s": t2 - t1, "output_spikes": int(M.num_spikes),
            "compiled_loop": bool(getattr(net, "used_compiled_loop", False))}


def main() -> None:
    import sim

    ours = build_and_run(sim, "numba")
    peer = None
    try:
        import brian2

        peer = build_and_run(brian2, "cython")
    except ImportError:
        peer = None
    except Exception as exc:
        peer = {"error": repr(exc)}
    print(json.dumps({
        "benchmark": "song_abbott_stdp_1000_inputs_10s",
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "hearsim_numba": ours,
        "brian2_cython": peer,
        "steady_speedup": peer["steady_s"] / ours["steady_s"] if peer and "steady_s" in peer
        else None,
    }, indent=2))


if __name__ == "__main__":
    main()
