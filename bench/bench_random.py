"""Random draws per second, and a noisy auditory-nerve pipeline (issue 19).

Draws: 100,000 neurons, 100 steps (dt = 0.1 ms) of ``v = rand()`` and ``v = randn()``
(``run_regularly`` every step) and of an Euler LIF with ``xi`` (threshold, reset,
refractoriness); figures in millions of draws (or neuron-steps) per second, warm (a
first short run loads the compiled code). hearsim runs on numba with its default
threads and with one thread (``numba.set_num_threads(1)``); Brian 2 runs the same model
strings on its cython target in the same process where it is installed; numpy's own
generator (``default_rng``, PCG64) fills an array of the same size per step.

Pipeline: 1 s of white noise at 44.1 kHz -> 3000-channel Gammatone -> half-wave
rectification and cube-root compression (``FunctionFilterbank``) -> 3000 noisy LIF
fibres (``xi``, refractoriness) through ``FilterbankGroup``, with a SpikeMonitor; the
whole ``run(1 s)`` is timed (warm), next to brian2hears doing the same where installed.

Prints one JSON object.

    python bench/bench_random.py            # everything
    python bench/bench_random.py draws      # the draws only
    python bench/bench_random.py pipeline   # the pipeline only
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

N = 100_000
STEPS = 100
REPEATS = 3

#: the draws, as model strings both simulators read
CASES = {
    "rand": {"eqs": "v : 1", "regularly": "v = rand()"},
    "randn": {"eqs": "v : 1", "regularly": "v = randn()"},
    "xi": {
        "eqs": "dv/dt = (1.1 - v)/(10*ms) + 0.3*xi/sqrt(10*ms) : 1 (unless refractory)",
        "threshold": "v > 1", "reset": "v = 0", "refractory": "2*ms", "method": "euler",
    },
}

# the pipeline
NCHANNELS = 3000
SAMPLERATE = 44100.0
DURATION_S = 1.0
FIBRE_EQS = """
dv/dt = (I - v)/(1*ms) + 0.2*xi/sqrt(1*ms) : 1 (unless refractory)
I : 1
"""


def _best(fn, repeats: int = REPEATS) -> float:
    return min(fn() for _ in range(repeats))


def _group_kwargs(case: dict, units) -> dict:
    kw = {k: case[k] for k in ("threshold", "reset", "method") if k in case}
    if "refractory" in case:
        kw["refractory"] = eval(case["refractory"], {"ms": units.ms})  # noqa: S307 - constant
    return kw


def hearsim_draws(name: str, threads: int | None) -> dict:
    import numba

    import sim

    case = CASES[name]
    sim.start_scope()
    sim.prefs.codegen.target = "numba"
    sim.defaultclock.dt = 0.1 * sim.ms
    G = sim.NeuronGroup(N, case["eqs"], **_group_kwargs(case, sim))
    objects = [G]
    if "regularly" in case:
        objects.append(G.run_regularly(case["regularly"], dt=0.1 * sim.ms))
    net = sim.Network(*objects)
    sim.prefs.codegen.numba_threads = threads  # None: all cores (each run applies it)
    try:
        net.run(0.1 * sim.ms)  # loads (or compiles) the code

        def once() -> float:
            t0 = time.perf_counter()
            net.run(STEPS * 0.1 * sim.ms)
            return time.perf_counter() - t0

        seconds = _best(once)
        used = numba.get_num_threads()
    finally:
        sim.prefs.codegen.numba_threads = None
    v = np.asarray(G.v[:])
    return {"seconds": seconds, "M_per_s": N * STEPS / seconds / 1e6,
            "threads": used, "mean_v": float(v.mean()), "std_v": float(v.std())}


def brian2_draws(name: str) -> dict | None:
    try:
        import brian2 as b2
    except Exception as exc:  # absent, or broken against this numpy
        return None if isinstance(exc, ImportError) else {"error": repr(exc)}
    case = CASES[name]
    b2.start_scope()
    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = 0.1 * b2.ms
    G = b2.NeuronGroup(N, case["eqs"], **_group_kwargs(case, b2))
    objects = [G]
    if "regularly" in case:
        objects.append(G.run_regularly(case["regularly"], dt=0.1 * b2.ms))
    net = b2.Network(*objects)
    try:
        net.run(0.1 * b2.ms)  # compiles
    except Exception as exc:
        return {"error": repr(exc)}

    def once() -> float:
        t0 = time.perf_counter()
        net.run(STEPS * 0.1 * b2.ms)
        return time.perf_counter() - t0

    seconds = _best(once)
    v = np.asarray(G.v[:])
    return {"seconds": seconds, "M_per_s": N * STEPS / seconds / 1e6,
            "version": b2.__version__, "mean_v": float(v.mean()), "std_v": float(v.std())}


def numpy_draws(name: str) -> dict | None:
    if name == "xi":
        return None
    rng = np.random.default_rng(1)
    out = np.empty(N)
    fill = rng.random if name == "rand" else rng.standard_normal

    def once() -> float:
        t0 = time.perf_counter()
        for _ in range(STEPS):
            fill(out=out)
        return time.perf_counter() - t0

    fill(out=out)
    seconds = _best(once)
    return {"seconds": seconds, "M_per_s": N * STEPS / seconds / 1e6}


def _ratio(a: dict | None, b: dict | None) -> float | None:
    if not a or not b or "M_per_s" not in a or "M_per_s" not in b:
        return None
    return a["M_per_s"] / b["M_per_s"]


def draws() -> dict:
    out = {}
    for name in CASES:
        ours = hearsim_draws(name, None)
        ours_1 = hearsim_draws(name, 1)
        peer = brian2_draws(name)
        npy = numpy_draws(name)
        out[name] = {
            "hearsim_numba": ours, "hearsim_numba_1_thread": ours_1, "brian2_cython": peer,
            "numpy_default_rng": npy,
            "ratio_vs_brian2_cython": _ratio(ours, peer),
            "ratio_1_thread_vs_brian2_cython": _ratio(ours_1, peer),
            "ratio_vs_numpy": _ratio(ours, npy),
            "ratio_1_thread_vs_numpy": _ratio(ours_1, npy),
        }
    return out


def _white_noise(duration_s: float) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(int(round(duration_s * SAMPLERATE)))


def hearsim_pipeline(duration_s: float = DURATION_S) -> dict:
    from hears import FilterbankGroup, FunctionFilterbank, Gammatone, Sound, erbspace
    from sim import Network, SpikeMonitor, start_scope
    from sim.units import Hz, kHz, ms, second

    def build():
        start_scope()
        sound = Sound(_white_noise(duration_s), samplerate=SAMPLERATE)
        gt = Gammatone(sound, erbspace(20 * Hz, 20 * kHz, NCHANNELS))
        # np.cbrt: the cube root as one ufunc (numpy's general power is ~4x slower)
        fb = FunctionFilterbank(gt, lambda x: 3.0 * np.cbrt(np.maximum(x, 0.0)))
        group = FilterbankGroup(fb, "I", FIBRE_EQS, threshold="v > 1", reset="v = 0",
                                refractory=1 * ms, method="euler")
        mon = SpikeMonitor(group)
        return Network(group, mon), mon

    net, _ = build()
    net.run(5 * ms)  # loads the code

    def once() -> tuple[float, int]:
        net, mon = build()
        t0 = time.perf_counter()
        net.run(duration_s * second)
        return time.perf_counter() - t0, int(mon.num_spikes)

    runs = [once() for _ in range(REPEATS)]
    seconds, spikes = min(runs)
    return {"seconds": seconds, "spikes": spikes,
            "rate_Hz": spikes / NCHANNELS / duration_s}


def brian2hears_pipeline(duration_s: float = DURATION_S) -> dict | None:
    try:
        import brian2 as b2
        import brian2hears as b2h
    except Exception as exc:
        return None if isinstance(exc, ImportError) else {"error": repr(exc)}
    def build(seconds: float):
        b2.start_scope()
        b2.prefs.codegen.target = "cython"
        sound = b2h.Sound(_white_noise(seconds), samplerate=SAMPLERATE * b2.Hz)
        gt = b2h.Gammatone(sound, b2h.erbspace(20 * b2.Hz, 20 * b2.kHz, NCHANNELS))
        fb = b2h.FunctionFilterbank(gt, lambda x: 3.0 * np.cbrt(np.maximum(x, 0.0)))
        group = b2h.FilterbankGroup(fb, "I", FIBRE_EQS, threshold="v > 1", reset="v = 0",
                                    refractory=1 * b2.ms, method="euler")
        mon = b2.SpikeMonitor(group)
        return b2.Network(group, mon), mon

    try:
        net, _ = build(0.01)
        net.run(5 * b2.ms)  # compiles (cython), not timed
        net, mon = build(duration_s)
        t0 = time.perf_counter()
        net.run(duration_s * b2.second)
        seconds = time.perf_counter() - t0
    except Exception as exc:
        return {"error": repr(exc)}
    spikes = int(mon.num_spikes)
    return {"seconds": seconds, "spikes": spikes,
            "rate_Hz": spikes / NCHANNELS / duration_s, "version": b2h.__version__}


def pipeline() -> dict:
    ours = hearsim_pipeline()
    peer = brian2hears_pipeline()
    ratio = None
    if peer and "seconds" in peer:
        ratio = peer["seconds"] / ours["seconds"]
    return {"hearsim": ours, "brian2hears": peer, "speedup_vs_brian2hears": ratio}


def main() -> None:
    what = sys.argv[1:] or ["draws", "pipeline"]
    out = {
        "benchmark": "random",
        "machine": f"{platform.machine()} {platform.processor() or ''} "
                   f"python {platform.python_version()}",
        "numpy": np.__version__,
    }
    if "draws" in what:
        out["draws"] = draws()
    if "pipeline" in what:
        out["pipeline"] = pipeline()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
