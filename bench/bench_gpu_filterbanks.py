"""Cochlear filterbanks on the CPU and on a CUDA GPU (issue 12).

A 3000-channel Gammatone (erbspace 20 Hz - 20 kHz) over 1 s of white noise at 44.1 kHz,
then `np.cbrt(np.maximum(x, 0))` and a 1 kHz LowPass: on the CPU (numba, all cores) and,
where a CUDA backend runs (CuPy, or PyCUDA), with every stage on the device (one copy in
and one out per chunk). Best of ``REPEATS`` after a warm-up; the device output is compared
with the CPU's (bit for bit expected: both compile without FMA contraction).

Then the level-dependent filterbanks with their control loops on the device (one thread per
channel), under ``control_filterbanks``: a ``CONTROL_CHANNELS``-channel DCGC and
MiddleEar + TanCarney over ``CONTROL_MS`` of white noise at 50 kHz, each with the same
``cpu``/``gpu`` entries (here the GPU agrees to rounding, not bit for bit: CUDA's
exp/log/pow are not glibc's to the last bit).

Prints one JSON object; ``gpu`` says why it did not run where no backend is available.

    python bench/bench_gpu_filterbanks.py [buffersize ...]
"""

from __future__ import annotations

import json
import platform
import sys
import time

import numpy as np

REPEATS = 3
#: the control filterbanks' size: channels (erbspace 100 Hz - 10 kHz) and duration (ms)
CONTROL_CHANNELS = 1000
CONTROL_MS = 200


def pipeline(sound, device: str):
    from hears import FunctionFilterbank, Gammatone, LowPass, erbspace
    from sim import Hz, kHz

    gfb = Gammatone(sound, erbspace(20 * Hz, 20 * kHz, 3000), device=device)
    compressed = FunctionFilterbank(gfb, lambda x: np.cbrt(np.maximum(x, 0.0)))
    compressed.device = device
    return LowPass(compressed, 1 * kHz, device=device)


def control_pipelines(sound):
    from hears import DCGC, MiddleEar, TanCarney, erbspace
    from sim import Hz, kHz

    cf = erbspace(100 * Hz, 10 * kHz, CONTROL_CHANNELS)
    return {
        "DCGC": (f"{CONTROL_CHANNELS}-channel DCGC, {CONTROL_MS} ms at 50 kHz",
                 lambda device: DCGC(sound, cf, device=device)),
        "TanCarney": (f"MiddleEar + {CONTROL_CHANNELS}-channel TanCarney, {CONTROL_MS} ms "
                      "at 50 kHz",
                      lambda device: TanCarney(MiddleEar(sound, device=device), cf,
                                               device=device)),
    }


def compare(backend, cpu_s: float, cpu_out, gpu_s: float, gpu_out) -> dict:
    scale = float(np.max(np.abs(cpu_out))) or 1.0
    difference = float(np.max(np.abs(cpu_out - gpu_out)))
    return {"backend": backend.name, "seconds": gpu_s, "speedup": cpu_s / gpu_s,
            "bit_identical": bool(np.array_equal(cpu_out, gpu_out)),
            "max_abs_difference": difference,
            "max_difference_over_peak": difference / scale}


def timed(fb, buffersize: int) -> tuple[float, np.ndarray]:
    fb.process(duration=buffersize, buffersize=buffersize)  # warm-up: compiles, allocates
    best, out = float("inf"), None
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = np.asarray(fb.process(buffersize=buffersize))
        best = min(best, time.perf_counter() - start)
    return best, out


def main(buffersizes: list[int]) -> dict:
    from sim import Hz, ms
    from sim.codegen.cuda_runtime import CudaUnavailable, describe_cuda, get_backend
    from sounds import whitenoise

    sound = whitenoise(1000 * ms, samplerate=44100 * Hz, rng=np.random.default_rng(0))
    result = {"benchmark": "3000-channel Gammatone + cbrt + LowPass, 1 s at 44.1 kHz",
              "machine": f"{platform.machine()} python {platform.python_version()}",
              "cuda": describe_cuda(), "cpu": {}, "gpu": {}}
    try:
        backend = get_backend("auto")
    except CudaUnavailable as exc:
        backend = None
        result["gpu"] = {"error": str(exc)}
    for bs in buffersizes:
        cpu_s, cpu_out = timed(pipeline(sound, "cpu"), bs)
        result["cpu"][str(bs)] = {"seconds": cpu_s}
        if backend is not None:
            gpu_s, gpu_out = timed(pipeline(sound, "cuda"), bs)
            result["gpu"][str(bs)] = compare(backend, cpu_s, cpu_out, gpu_s, gpu_out)
    result["control_filterbanks"] = {}
    sound50 = whitenoise(CONTROL_MS * ms, samplerate=50000 * Hz,
                         rng=np.random.default_rng(0)) * 0.2  # about 80 dB SPL
    for name, (title, make) in control_pipelines(sound50).items():
        entry = {"benchmark": title, "cpu": {},
                 "gpu": {} if backend is not None else {"error": "no CUDA backend (see gpu)"}}
        for bs in buffersizes:
            cpu_s, cpu_out = timed(make("cpu"), bs)
            entry["cpu"][str(bs)] = {"seconds": cpu_s}
            if backend is not None:
                gpu_s, gpu_out = timed(make("cuda"), bs)
                entry["gpu"][str(bs)] = compare(backend, cpu_s, cpu_out, gpu_s, gpu_out)
        result["control_filterbanks"][name] = entry
    return result


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1024, 8192]
    print(json.dumps(main(sizes), indent=2))
