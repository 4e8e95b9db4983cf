"""hearsim demo: a sound drives a population of spiking neurons; writes a figure.

    python examples/demo.py [output.png]

A vowel is generated, half-wave rectified and compressed, and injected into a
group of leaky integrate-and-fire neurons with different gains; the figure
shows the waveform, the membrane potential of one neuron and the spike raster.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim import (  # noqa: E402
    Hz,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    defaultclock,
    kHz,
    ms,
    mV,
    run,
)
from sounds import dB, vowel  # noqa: E402


def main(out: str = "demo.png") -> Path:
    samplerate = 20 * kHz
    defaultclock.dt = 1 / samplerate
    sound = vowel("a", pitch=120 * Hz, duration=150 * ms, samplerate=samplerate)
    sound = sound.atlevel(60 * dB).ramp(when="both", duration=5 * ms)
    # hair-cell-like transduction: half-wave rectification and compression
    drive = np.clip(np.asarray(sound)[:, 0], 0, None) ** (1 / 3)
    drive /= drive.max()

    n = 40
    tau = 2 * ms  # noqa: F841  (used by the model string)
    eqs = """
    dv/dt = (gain*stim(t)*20*mV - v)/tau : volt (unless refractory)
    gain : 1 (constant)
    """
    G = NeuronGroup(n, eqs, threshold="v > 8*mV", reset="v = 0*mV", refractory=1 * ms)
    G.gain = "0.4 + 0.02*i"
    spikes = SpikeMonitor(G)
    trace = StateMonitor(G, "v", record=n - 1)

    stim = TimedArray(drive, dt=1 / samplerate)  # noqa: F841  (used by the model)
    run(sound.duration)

    fig, axes = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    t_ms = np.arange(len(drive)) / float(samplerate) * 1e3
    axes[0].plot(t_ms, np.asarray(sound)[:, 0], lw=0.5)
    axes[0].set_ylabel("pressure (Pa)")
    axes[0].set_title("vowel /a/ -> rectification and compression -> LIF neurons")
    axes[1].plot(trace.t / ms, trace.v[0] / mV, lw=0.7)
    axes[1].set_ylabel(f"v of neuron {n - 1} (mV)")
    axes[2].plot(spikes.t / ms, spikes.i, "|k", ms=4)
    axes[2].set_ylabel("neuron")
    axes[2].set_xlabel("time (ms)")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()} ({spikes.num_spikes} spikes from {n} neurons)")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
