"""Running simulations in parallel with multiprocessing, and sharing numpy arrays.

    python examples/multiprocessing_sweep.py [output.png] [--short]
        [--processes N] [--start-method spawn|fork|forkserver]

(a) A parameter sweep in a process pool: each worker builds and runs its own small network
    (100 noisy LIF neurons with a constant drive) for one drive value and returns the mean
    firing rate.  Printed and plotted: rate against drive (an f-I curve).
(b) Arrays in shared memory (``multiprocessing.shared_memory.SharedMemory``): the main
    process puts one frozen-noise input (time x neuron) in a shared block; every worker maps
    it as a numpy array without copying, drives its network through a 2-D TimedArray made
    from it with its own gain, and writes its spike counts into its row of a second shared
    array.  Printed: the checksum each worker saw (all equal) and the mean count per gain.

The default start method is 'spawn' (the default on macOS and Windows, and the strictest:
workers import this file afresh, so the worker functions live at module level and the
main code is guarded by ``if __name__ == '__main__':``).  Short mode (``--short`` or
HEARSIM_EXAMPLE_SHORT=1) uses fewer values and shorter runs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np

N_NEURONS = 100
INPUT_DT_MS = 1.0
# Python >= 3.13: a worker attaching to a block need not register it with a resource tracker
ATTACH = {"track": False} if sys.version_info >= (3, 13) else {}


def lif_rate(args: tuple[float, float]) -> tuple[float, float]:
    """Worker for (a): the mean rate (Hz) of 100 noisy LIF neurons with drive ``mu``."""
    mu, duration_ms = args
    from sim import Network, NeuronGroup, SpikeMonitor, ms, mV, seed

    seed(int(round(mu * 1000)))   # one stream per parameter value: reproducible results
    group = NeuronGroup(N_NEURONS, """
        dv/dt = (mu - v)/(10*ms) + sigma*sqrt(2/(10*ms))*xi : volt (unless refractory)
        """, threshold="v > 20*mV", reset="v = 0*mV", refractory=2 * ms, method="euler",
        namespace={"mu": mu * mV, "sigma": 3 * mV})
    spikes = SpikeMonitor(group)
    Network(group, spikes).run(duration_ms * ms)
    return mu, spikes.num_spikes / N_NEURONS / (duration_ms * 1e-3)


def shared_input_counts(args: tuple[str, tuple, str, tuple, int, float]) -> tuple[int, float]:
    """Worker for (b): read the shared input, simulate with ``gain``, write the spike
    counts into row ``row`` of the shared result; returns the row and a checksum."""
    input_name, shape, result_name, result_shape, row, gain = args
    from sim import Network, NeuronGroup, SpikeMonitor, TimedArray, ms, mV

    # attach to the blocks by name: no copy, the arrays view the shared memory
    input_block = shared_memory.SharedMemory(name=input_name, **ATTACH)
    result_block = shared_memory.SharedMemory(name=result_name, **ATTACH)
    try:
        drive = np.ndarray(shape, dtype=np.float64, buffer=input_block.buf)
        counts = np.ndarray(result_shape, dtype=np.float64, buffer=result_block.buf)
        checksum = float(drive.sum())
        # TimedArray keeps its own copy of the values, so the network never holds a view
        # of the shared block
        stimulus = TimedArray(gain * drive * mV, dt=INPUT_DT_MS * ms, name="stimulus")
        group = NeuronGroup(shape[1], "dv/dt = (stimulus(t, i) - v)/(10*ms) : volt",
                            threshold="v > 20*mV", reset="v = 0*mV", method="euler",
                            namespace={"stimulus": stimulus})
        spikes = SpikeMonitor(group)
        Network(group, spikes).run(shape[0] * INPUT_DT_MS * ms)
        counts[row] = spikes.count[:]
        del drive, counts      # release the views before closing the blocks
    finally:
        input_block.close()
        result_block.close()
    return row, checksum


def sweep(pool, short: bool) -> tuple[np.ndarray, np.ndarray]:
    drives = np.linspace(10, 40, 6 if short else 16)
    duration_ms = 200.0 if short else 1000.0
    results = pool.map(lif_rate, [(float(mu), duration_ms) for mu in drives])
    return np.array([r[0] for r in results]), np.array([r[1] for r in results])


def make_shared_input(short: bool):
    """The frozen input (time x neuron, mV) and the gains, in blocks of shared memory:
    the input, filled here, and the result, one row of spike counts per gain."""
    rng = np.random.default_rng(5)
    nsteps = 200 if short else 1000
    gains = np.array([0.8, 1.0, 1.2, 1.4]) if short else np.linspace(0.6, 1.6, 8)
    frozen = 18 + 8 * rng.standard_normal((nsteps, N_NEURONS))
    input_block = shared_memory.SharedMemory(create=True, size=frozen.nbytes)
    np.ndarray(frozen.shape, dtype=np.float64, buffer=input_block.buf)[:] = frozen
    result_block = shared_memory.SharedMemory(create=True, size=len(gains) * N_NEURONS * 8)
    return frozen, gains, input_block, result_block


def shared_memory_run(pool, frozen, gains, input_block, result_block):
    result_shape = (len(gains), N_NEURONS)
    counts = np.ndarray(result_shape, dtype=np.float64, buffer=result_block.buf)
    counts[:] = np.nan
    jobs = [(input_block.name, frozen.shape, result_block.name, result_shape, k, float(g))
            for k, g in enumerate(gains)]
    checksums = [c for _, c in pool.map(shared_input_counts, jobs)]
    result = counts.copy()
    del counts
    return result, checksums


def main(out: str = "multiprocessing_sweep.png", short: bool = False, processes: int = 2,
         start_method: str = "spawn") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    context = mp.get_context(start_method)
    started = time.perf_counter()
    # the shared blocks are made before the pool: then, with 'fork' too, the workers share
    # the parent's resource tracker, which unlinks each block once, when the parent does
    frozen, gains, input_block, result_block = make_shared_input(short)
    try:
        with context.Pool(processes) as pool:
            drives, rates = sweep(pool, short)
            counts, checksums = shared_memory_run(pool, frozen, gains, input_block,
                                                  result_block)
    finally:
        for block in (input_block, result_block):
            block.close()
            block.unlink()
    elapsed = time.perf_counter() - started
    expected = float(frozen.sum())

    print(f"{start_method} pool of {processes} processes, {elapsed:.1f} s")
    print("(a) drive (mV):", " ".join(f"{d:.0f}" for d in drives))
    print("(a) rate (Hz):", " ".join(f"{r:.1f}" for r in rates))
    same = all(abs(c - expected) < 1e-6 * abs(expected) for c in checksums)
    print(f"(b) checksums seen by the workers: {', '.join(f'{c:.6g}' for c in checksums)} "
          f"({'all equal to the shared input' if same else 'MISMATCH'})")
    print("(b) gain:", " ".join(f"{g:.2f}" for g in gains))
    print("(b) mean spike count:", " ".join(f"{c:.2f}" for c in counts.mean(axis=1)))

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    axes[0].plot(drives, rates, "o-")
    axes[0].set(xlabel="drive mu (mV)", ylabel="mean rate (Hz)",
                title=f"(a) sweep in a {start_method} Pool({processes})")
    axes[1].imshow(frozen.T, aspect="auto", origin="lower", cmap="gray",
                   extent=(0, frozen.shape[0] * INPUT_DT_MS, 0, frozen.shape[1]))
    axes[1].set(xlabel="time (ms)", ylabel="neuron",
                title="(b) frozen input in SharedMemory")
    for k, g in enumerate(gains):
        axes[2].plot(np.sort(counts[k]), label=f"gain {g:.2f}")
    axes[2].set(xlabel="neuron (sorted by count)", ylabel="spike count",
                title="(b) counts written to shared memory")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()}")
    return path


def parse(argv: list[str]) -> dict:
    options = {"short": "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT") == "1"}
    with_value = {"--processes": ("processes", int), "--start-method": ("start_method", str)}
    files = []
    k = 0
    while k < len(argv):
        if argv[k] in with_value:
            key, kind = with_value[argv[k]]
            options[key] = kind(argv[k + 1])
            k += 2
            continue
        if not argv[k].startswith("--"):
            files.append(argv[k])
        k += 1
    options["out"] = files[0] if files else "multiprocessing_sweep.png"
    return options


if __name__ == "__main__":
    main(**parse(sys.argv[1:]))
