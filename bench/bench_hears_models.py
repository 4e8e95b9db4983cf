"""DCGC and TanCarney at 100 channels over 0.2 s of white noise at 50 kHz (60 dB SPL).

Each model runs with ``update_interval=1`` (every sample, as brian2hears' examples) and
``update_interval=4``, buffer size 1024; each figure is the best of ``REPEATS`` runs after a
warm-up run (numba compilation or cache load not counted). Prints one JSON object.
Goal (issue 7): at most 0.1 s each (brian2hears: 2.8 s and 2.2 s).

    python bench/bench_hears_models.py
"""

from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NCHANNELS = 100
SAMPLERATE = 50000.0
DURATION_S = 0.2
REPEATS = 5
GOAL_S = 0.1


def best_of(func, repeats: int = REPEATS) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> dict:
    import numba

    from hears import DCGC, MiddleEar, TanCarney, dB, erbspace, whitenoise
    from sim.units import Hz, kHz, second

    sound = whitenoise(DURATION_S * second, samplerate=SAMPLERATE * Hz, rng=0).atlevel(60 * dB)
    cf = erbspace(100 * Hz, 10 * kHz, NCHANNELS)
    n = sound.nsamples
    results = {}
    for ui in (1, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            models = {"DCGC": DCGC(sound, cf, ui),
                      "TanCarney": TanCarney(MiddleEar(sound), cf, ui)}
        for name, fb in models.items():
            fb.process(buffersize=1024)  # warm-up
            t = best_of(lambda fb=fb: fb.process(buffersize=1024))
            results[f"{name}_update_interval_{ui}"] = {
                "seconds": t,
                "channel_samples_per_second": NCHANNELS * n / t,
                "meets_goal": bool(t <= GOAL_S),
            }
    return {
        "benchmark": "DCGC and TanCarney, 100 channels (erbspace 100 Hz - 10 kHz), 0.2 s of "
                     "white noise at 50 kHz, 60 dB SPL",
        "goal_seconds": GOAL_S,
        "results": results,
        "threads": numba.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
