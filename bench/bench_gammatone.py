"""3000-channel Gammatone (erbspace 20 Hz - 20 kHz) over 1 s of white noise at 44.1 kHz.

Prints one JSON object: seconds and channel-samples per second for hearsim's Gammatone
(whole output with the default buffer size of 32 samples, whole output in one chunk, and an
online RMS reduction that keeps no output), and for the same second-order sections run by a
per-channel ``scipy.signal.sosfilt`` loop (the peer), measured in the same run, with ratios.
When brian2hears is importable, its Gammatone runs too.

Each figure is the best of ``REPEATS`` runs after a warm-up run (numba compilation and the
first touch of the output memory are not counted).

    python bench/bench_gammatone.py
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NCHANNELS = 3000
SAMPLERATE = 44100.0
DURATION_S = 1.0
REPEATS = 5


def best_of(func, repeats: int = REPEATS) -> tuple[float, object]:
    best = np.inf
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - t0)
    return best, result


def hearsim_runs(samples: np.ndarray) -> dict:
    import numba

    from hears import Gammatone, Sound, erbspace
    from sim.units import Hz, kHz

    sound = Sound(samples, samplerate=SAMPLERATE)
    cf = erbspace(20 * Hz, 20 * kHz, NCHANNELS)
    t0 = time.perf_counter()
    fb = Gammatone(sound, cf)
    setup = time.perf_counter() - t0
    n = sound.nsamples
    fb.process()  # warm-up: compilation (or cache load) and first touch of the memory

    def sum_of_squares(chunk, running):
        return running + np.einsum("ij,ij->j", chunk, chunk)

    t_default, out = best_of(lambda: fb.process())
    t_whole, out_whole = best_of(lambda: fb.process(buffersize=n))
    t_rms, ss = best_of(lambda: fb.process(sum_of_squares))
    return {
        "setup_seconds": setup,
        "threads": numba.get_num_threads(),
        "threading_layer": numba.threading_layer(),
        "process_buffersize_32": t_default,
        "process_whole_sound": t_whole,
        "online_rms_buffersize_32": t_rms,
        "identical_across_buffer_sizes": bool(np.array_equal(out, out_whole)),
        "rms_matches_output": bool(np.allclose(np.sqrt(ss / n),
                                               np.sqrt(np.mean(out ** 2, axis=0)))),
        "_output": out,
        "_sos": fb.sos(),
    }


def scipy_peer(samples: np.ndarray, sos: np.ndarray) -> tuple[float, np.ndarray]:
    from scipy import signal

    def run():
        out = np.empty((samples.size, sos.shape[0]))
        for i in range(sos.shape[0]):
            out[:, i] = signal.sosfilt(sos[i], samples)
        return out

    run()
    return best_of(run, repeats=2)


def brian2hears_peer(samples: np.ndarray) -> dict | None:
    try:
        import brian2 as b2
        import brian2hears as b2h
    except Exception:  # noqa: BLE001 - any import failure means: not available here
        return None
    sound = b2h.Sound(samples, samplerate=SAMPLERATE * b2.Hz)
    cf = b2h.erbspace(20 * b2.Hz, 20 * b2.kHz, NCHANNELS)
    fb = b2h.Gammatone(sound, cf)
    fb.process()
    seconds, _ = best_of(lambda: fb.process(), repeats=2)
    return {"seconds": seconds, "version": getattr(b2h, "__version__", "?")}


def main() -> None:
    samples = np.random.default_rng(2024).standard_normal(int(SAMPLERATE * DURATION_S))
    work = NCHANNELS * samples.size
    ours = hearsim_runs(samples)
    out = ours.pop("_output")
    sos = ours.pop("_sos")
    t_peer, peer_out = scipy_peer(samples, sos)
    b2h = brian2hears_peer(samples)

    def rate(seconds: float) -> float:
        return work / seconds

    main_time = ours["process_buffersize_32"]
    result = {
        "benchmark": "Gammatone, 3000 channels (erbspace 20 Hz - 20 kHz), 1 s white noise, "
                     "44.1 kHz, float64",
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or
                    platform.machine(), "python": platform.python_version()},
        "channel_samples": work,
        "hearsim": {
            **ours,
            "channel_samples_per_second": rate(main_time),
            "channel_samples_per_second_whole_sound": rate(ours["process_whole_sound"]),
            "channel_samples_per_second_online_rms": rate(ours["online_rms_buffersize_32"]),
        },
        "scipy_sosfilt_loop": {
            "seconds": t_peer,
            "channel_samples_per_second": rate(t_peer),
            "max_abs_difference_to_hearsim": float(np.max(np.abs(peer_out - out))),
        },
        "speedup_vs_scipy_sosfilt_loop": t_peer / main_time,
        "brian2hears": None,
    }
    if b2h is not None:
        result["brian2hears"] = {**b2h, "channel_samples_per_second": rate(b2h["seconds"])}
        result["speedup_vs_brian2hears"] = b2h["seconds"] / main_time
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
