"""Fit an adaptive integrate-and-fire model to synthetic cochlear-nucleus recordings.

    python examples/fit_cochlear_nucleus.py [type1c|type2]

The recordings ship with the package (``sim.fitting.cn_recordings``): Rothman &
Manis (2003) type I-c (stellate) and type II (bushy) models under noisy current
injection, simulated by this project.  The fitted model is an adaptive
exponential integrate-and-fire neuron (Brette & Gerstner 2005) with free
capacitance, leak, threshold slope factor, adaptation coupling and time constant;
the error is 1 - Gamma (delta 4 ms).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from sim import amp, ms, mV, nS, pF, second
from sim.fitting import CMAOptimizer, GammaFactor, SpikeFitter, cn_recordings
from sim.statistics import gamma_factor

MODEL = """
dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I)/C : volt (unless refractory)
dw/dt = (a*(v - EL) - w)/tauw : amp
C : farad (constant)
gL : siemens (constant)
EL : volt (constant)
VT : volt (constant)
DeltaT : volt (constant)
a : siemens (constant)
tauw : second (constant)
"""


def main(cell_type: str = "type1c") -> float:
    rec = cn_recordings.load(cell_type)
    dt = float(rec["dt"]) * second
    current = rec["current"]
    duration = current.size * dt
    fitter = SpikeFitter(
        MODEL,
        input={"I": current[None, :] * amp},
        output=[rec["spikes"] * second],
        dt=dt,
        threshold="v > -30*mV",
        reset="v = EL; w += b",
        refractory=1 * ms,
        n_samples=100,
        method="euler",
        namespace={"b": 10e-12 * amp},
        param_init={"v": -65 * mV},
    )
    bounds = {"C": [5 * pF, 30 * pF], "gL": [1 * nS, 30 * nS], "EL": [-75 * mV, -55 * mV],
              "VT": [-60 * mV, -40 * mV], "DeltaT": [0.5 * mV, 5 * mV],
              "a": [0 * nS, 20 * nS], "tauw": [5 * ms, 200 * ms]}
    t0 = time.perf_counter()
    best, error = fitter.fit(n_rounds=60, optimizer=CMAOptimizer(seed=3),
                             metric=GammaFactor(delta=4 * ms, time=duration), **bounds)
    model_spikes = fitter.generate_spikes(best)[0]
    gamma = gamma_factor(model_spikes, rec["spikes"] * second, 4 * ms, duration=duration)
    print(f"{cell_type}: best {best}")
    print(f"gamma {gamma:.3f} ({len(model_spikes)} model spikes, {len(rec['spikes'])} "
          f"recorded), {time.perf_counter() - t0:.1f} s")
    return float(np.asarray(gamma))


if __name__ == "__main__":
    main(*sys.argv[1:2])
