"""A Hodgkin-Huxley squid axon as a SpatialNeuron (Brian 2's hh_with_spikes.py).

1000 compartments (10 cm, 476 um diameter), dt = 0.01 ms, exponential Euler for the
gating variables and the implicit cable step; a current pulse starts a spike that is
followed along the axon. The same script (``build_and_run``) runs on hearsim (numba and
numpy targets) and, where importable, on Brian 2 (its runtime targets), in one process;
"steady" is a second run of the same length, "first" includes loading/compiling code.

Prints JSON with the times, the spike velocity each gives (m/s) and ratios.

    python bench/bench_spatial.py [duration_ms]
"""

from __future__ import annotations

import json
import platform
import sys
import time

EQS = """
Im = gl * (El-v) + gNa * m**3 * h * (ENa-v) + gK * n**4 * (EK-v) : amp/meter**2
I : amp (point current)
dm/dt = alpham * (1-m) - betam * m : 1
dn/dt = alphan * (1-n) - betan * n : 1
dh/dt = alphah * (1-h) - betah * h : 1
alpham = (0.1/mV) * 10*mV/exprel((-v+25*mV)/(10*mV))/ms : Hz
betam = 4 * exp(-v/(18*mV))/ms : Hz
alphah = 0.07 * exp(-v/(20*mV))/ms : Hz
betah = 1/(exp((-v+30*mV) / (10*mV)) + 1)/ms : Hz
alphan = (0.01/mV) * 10*mV/exprel((-v+10*mV)/(10*mV))/ms : Hz
betan = 0.125*exp(-v/(80*mV))/ms : Hz
gNa : siemens/meter**2
"""


def build_and_run(m, target: str, duration_ms: float) -> dict:
    """The same script for hearsim (m = sim) and Brian 2 (m = brian2)."""
    import numpy as np

    m.start_scope()
    m.prefs.codegen.target = target
    m.defaultclock.dt = 0.01 * m.ms
    morpho = m.Cylinder(length=10 * m.cm, diameter=2 * 238 * m.um, n=1000, type="axon")
    ns = dict(El=10.613 * m.mV, ENa=115 * m.mV, EK=-12 * m.mV,
              gl=0.3 * m.msiemens / m.cm ** 2, gK=36 * m.msiemens / m.cm ** 2)
    neuron = m.SpatialNeuron(morphology=morpho, model=EQS, method="exponential_euler",
                             refractory="m > 0.4", threshold="m > 0.5", Cm=1 * m.uF / m.cm ** 2,
                             Ri=35.4 * m.ohm * m.cm, namespace=ns)
    neuron.v = 0 * m.mV
    neuron.h = 1
    neuron.m = 0
    neuron.n = 0.5
    neuron.I = 0 * m.amp
    neuron.gNa = 120 * m.msiemens / m.cm ** 2
    spikes = m.SpikeMonitor(neuron)
    net = m.Network(neuron, spikes)
    start = time.perf_counter()
    net.run(10 * m.ms)  # settle (and load or compile the code)
    neuron.I[0] = 1 * m.uA
    net.run(3 * m.ms)
    neuron.I = 0 * m.amp
    first = time.perf_counter() - start
    start = time.perf_counter()
    net.run(duration_ms * m.ms)
    steady = time.perf_counter() - start
    i, t = np.asarray(spikes.i[:]), np.asarray(spikes.t[:])
    x = np.asarray(neuron.distance[:])[i]
    keep = (x > 1e-2) & (x < 9e-2)  # away from the stimulated end and the sealed end
    velocity = float(np.polyfit(t[keep], x[keep], 1)[0]) if keep.sum() > 10 else None
    return {"first_s": first, "steady_s": steady, "steps": int(round(duration_ms / 0.01)),
            "spikes": int(len(i)), "velocity_m_per_s": velocity}


def main(duration_ms: float) -> dict:
    import sim

    out = {"benchmark": f"HH squid axon SpatialNeuron, 1000 compartments, {duration_ms} ms "
                        "steady run at dt = 0.01 ms",
           "machine": f"{platform.machine()} python {platform.python_version()}",
           "hearsim": {t: build_and_run(sim, t, duration_ms) for t in ("numba", "numpy")}}
    try:
        import brian2
    except ImportError:
        out["brian2"] = {"error": "not installed"}
    else:
        out["brian2"] = {}
        for target in ("cython", "numpy"):
            try:
                out["brian2"][target] = build_and_run(brian2, target, duration_ms)
            except Exception as exc:  # noqa: BLE001 - the peer's failure is a result too
                out["brian2"][target] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        hs = out["hearsim"]["numba"]["steady_s"]
        for target, res in out["brian2"].items():
            if "steady_s" in res:
                out[f"steady_speedup_numba_vs_brian2_{target}"] = res["steady_s"] / hs
    return out


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0), indent=2))
