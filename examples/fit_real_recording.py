"""Fit a leaky integrate-and-fire model to an in-vitro recording (Brian 1's example).

    python examples/fit_real_recording.py [path/to/brian1-modelfitting] [--pool]

The recording (``current.txt``: injected current in amp every 0.1 ms;
``spikes.txt``: spike times in seconds) lives outside the repository, in
``../shared/reference/brian1-modelfitting/`` by default. The model is
``dV/dt = (R*I - V)/tau`` with threshold ``V > 1``, reset ``V = 0`` and a fitted
refractory period, as in Brian 1.2's ``modelfitting`` example; the error is
``1 - Gamma`` (rate-corrected coincidence factor, delta = 4 ms). With
``--pool`` each round is evaluated by a two-process shared-memory pool.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from sim import amp, ms, ohm, second
from sim.fitting import CMAOptimizer, GammaFactor, SpikeFitter
from sim.statistics import gamma_factor

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
DEFAULT = REFERENCE / "brian1-modelfitting"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = Path(args[0]) if args else DEFAULT
    if not folder.is_dir():
        sys.exit(f"recording not found: {folder}")
    current = np.loadtxt(folder / "current.txt")
    spikes = np.loadtxt(folder / "spikes.txt")
    dt = 0.1 * ms
    duration = current.size * dt
    fitter = SpikeFitter(
        """dV/dt = (R*I - V)/tau : volt (unless refractory)
           R : ohm (constant)
           tau : second (constant)""",
        input={"I": current[None, :] * amp},
        output=[spikes * second],
        dt=dt,
        threshold="V > 1*volt",
        reset="V = 0*volt",
        n_samples=100,
    )
    bounds = {"R": [1e9 * ohm, 9e9 * ohm], "tau": [10 * ms, 40 * ms],
              "refractory": [0 * ms, 10 * ms]}
    metric = GammaFactor(delta=4 * ms, time=duration)
    t0 = time.perf_counter()
    if "--pool" in sys.argv:
        fitter.prepare(optimizer=CMAOptimizer(seed=1), metric=metric, **bounds)
        with fitter.process_pool(max_workers=2) as pool:
            best, error = fitter.fit(n_rounds=10, executor=pool, callback="text")
    else:
        best, error = fitter.fit(n_rounds=10, optimizer=CMAOptimizer(seed=1), metric=metric,
                                 callback="text", **bounds)
    elapsed = time.perf_counter() - t0
    model = fitter.generate_spikes(best)[0]
    gamma = gamma_factor(model, spikes * second, 4 * ms, duration=duration)
    print(f"best parameters: {best}")
    print(f"error {error:.4f}, gamma factor {gamma:.4f} "
          f"({len(model)} model spikes, {len(spikes)} recorded), {elapsed:.1f} s")


if __name__ == "__main__":
    main()
