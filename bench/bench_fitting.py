"""Model fitting throughput: candidate-neuron-steps per second on numba.

One round of a `SpikeFitter` on a LIF model: 1000 candidates x 1 input trace of
10 s at dt = 0.1 ms (1e8 neuron-steps per round), the error of every candidate
by the gamma factor. Times warm rounds (the first round loads or compiles the
kernels and is not timed), in process and through a two-worker shared-memory
process pool, for ``exponential_euler`` (the choice for per-candidate time
constants) and ``exact`` integration. Prints one JSON object.

    python bench/bench_fitting.py [n_candidates] [seconds_of_input]
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

import numpy as np

LIF = """dv/dt = (R*I - v)/tau : volt (unless refractory)
R : ohm (constant)
tau : second (constant)"""


def make_fitter(n_candidates: int, seconds: float, method: str):
    from sim import amp, ms, ohm, second
    from sim.fitting import SpikeFitter

    dt = 0.1e-3
    n_steps = int(round(seconds / dt))
    rng = np.random.default_rng(1)
    kernel = np.exp(-np.arange(50) / 10.0)
    noise = np.convolve(rng.standard_normal(n_steps), kernel)[:n_steps] / kernel.sum() ** 0.5
    current = (0.6 + 0.25 * noise) * 30e-9
    maker = SpikeFitter(LIF, input={"I": current[None] * amp}, output=[np.array([0.01])],
                        dt=dt * second, threshold="v > 1*volt", reset="v = 0*volt",
                        method=method)
    true = {"R": 50e6 * ohm, "tau": 12 * ms, "refractory": 3 * ms}
    maker.prepare(**{k: [v, v] for k, v in true.items()})
    spikes = maker.generate_spikes(true)
    fitter = SpikeFitter(LIF, input={"I": current[None] * amp}, output=spikes,
                         dt=dt * second, threshold="v > 1*volt", reset="v = 0*volt",
                         method=method, n_samples=n_candidates)
    bounds = {"R": [20e6 * ohm, 100e6 * ohm], "tau": [5 * ms, 30 * ms],
              "refractory": [0 * ms, 10 * ms]}
    return fitter, bounds, n_steps


def time_rounds(fitter, bounds, executor=None, rounds: int = 3) -> list[float]:
    from sim.fitting import RandomSearch

    fitter.fit(n_rounds=1, optimizer=RandomSearch(seed=0), executor=executor, **bounds)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fitter.fit(n_rounds=1, executor=executor)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    n_candidates = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    result: dict = {
        "benchmark": "fitting round, LIF SpikeFitter, numba",
        "n_candidates": n_candidates,
        "input_seconds": seconds,
        "dt_ms": 0.1,
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
    for method in ("exponential_euler", "exact"):
        fitter, bounds, n_steps = make_fitter(n_candidates, seconds, method)
        steps = n_candidates * n_steps
        entry: dict = {"neuron_steps_per_round": steps}
        in_process = time_rounds(fitter, bounds)
        entry["in_process_round_s"] = min(in_process)
        entry["in_process_neuron_steps_per_s"] = steps / min(in_process)
        if method == "exponential_euler":
            fitter.prepare(**bounds)
            with fitter.process_pool(max_workers=2) as pool:
                pooled = time_rounds(fitter, bounds, executor=pool)
            entry["pool2_round_s"] = min(pooled)
            entry["pool2_neuron_steps_per_s"] = steps / min(pooled)
            entry["pool2_speedup"] = min(in_process) / min(pooled)
        result[method] = entry
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
