"""CUBA and COBA networks (Brian 2's examples): N LIF neurons (4000), 80 synapses
each, dt = 0.1 ms, 1 s of biological time; CUBA integrated exactly, COBA with
the automatic choice (euler, as Brian 2).

Prints JSON: hearsim numba (steady state: a second run of 1 s in the same
process; and the whole first run including connect and code loading), hearsim
numpy, and Brian 2 (numpy and cython targets) when importable, as ratios.

    python bench/bench_networks.py [cuba|coba] [N]
"""

from __future__ import annotations

import json
import platform
import sys
import time

MODEL = sys.argv[1] if len(sys.argv) > 1 else "cuba"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
MODELS = {
    "cuba": dict(
        eqs="""
        dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
        dge/dt = -ge/taue : volt
        dgi/dt = -gi/taui : volt
        """,
        method="exact",
        constants=lambda m: dict(El=-49 * m.mV, we=(60 * 0.27 / 10) * m.mV,
                                 wi=(-20 * 4.5 / 10) * m.mV),
    ),
    "coba": dict(
        eqs="""
        dv/dt  = (ge*(Ee-v)+gi*(Ei-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
        dge/dt = -ge/taue : 1
        dgi/dt = -gi/taui : 1
        """,
        method=("exact", "euler", "heun"),
        constants=lambda m: dict(El=-60 * m.mV, Ee=0 * m.mV, Ei=-80 * m.mV, I=20 * m.mV,
                                 we=6 / 10, wi=67 / 10),
    ),
}


def build_and_run(m, target: str) -> dict:
    """The same script for hearsim (m = sim) and Brian 2 (m = brian2)."""
    m.start_scope()
    m.prefs.codegen.target = target
    m.defaultclock.dt = 0.1 * m.ms
    if hasattr(m, "seed"):
        m.seed(1)
    spec = MODELS[MODEL]
    ns = dict(taum=20 * m.ms, taue=5 * m.ms, taui=10 * m.ms, Vt=-50 * m.mV, Vr=-60 * m.mV,
              **spec["constants"](m))
    t0 = time.perf_counter()
    P = m.NeuronGroup(N, spec["eqs"], threshold="v>Vt", reset="v = Vr", refractory=5 * m.ms,
                      method=spec["method"], namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    Ce = m.Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = m.Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect(f"i<{int(N * 0.8)}", p=80 / N)
    Ci.connect(f"i>={int(N * 0.8)}", p=80 / N)
    S = m.SpikeMonitor(P)
    net = m.Network(P, Ce, Ci, S)
    t_built = time.perf_counter()
    net.run(1 * m.second)
    t_first = time.perf_counter()
    first_spikes = int(S.num_spikes)
    net.run(1 * m.second)
    t_second = time.perf_counter()
    return {
        "build_s": t_built - t0,
        "first_run_s": t_first - t_built,
        "steady_s_per_bio_s": t_second - t_first,
        "spikes_first_second": first_spikes,
        "synapses": int(len(Ce) + len(Ci)),
        "compiled_loop": bool(getattr(net, "used_compiled_loop", False)),
    }


def main() -> None:
    import sim

    ours = {t: build_and_run(sim, t) for t in ("numba", "numpy")}
    peers: dict = {}
    try:
        import brian2
    except Exception as exc:  # absent, or broken against this numpy
        brian2 = None
        peers["error"] = repr(exc) if not isinstance(exc, ImportError) else "not installed"
    if brian2 is not None:
        for target in ("numpy", "cython"):
            try:
                peers[target] = build_and_run(brian2, target)
            except Exception as exc:
                peers[target] = {"error": repr(exc)}

    def ratio(peer: str, mine: str):
        p = peers.get(peer, {})
        return p["steady_s_per_bio_s"] / ours[mine]["steady_s_per_bio_s"] if "steady_s_per_bio_s" \
            in p else None

    print(json.dumps({
        "benchmark": f"{MODEL}_{N}",
        "machine": f"{platform.machine()} python {platform.python_version()}",
        "hearsim": ours,
        "brian2": peers,
        "steady_speedup_numba_vs_brian2_cython": ratio("cython", "numba"),
        "steady_speedup_numpy_vs_brian2_numpy": ratio("numpy", "numpy"),
    }, indent=2))


if __name__ == "__main__":
    main()
