"""hearsim demo: sound -> cochlea -> spiking neurons -> figure.

    python examples/demo.py [output.png]

A synthetic vowel /a/ passes through a 200-channel gammatone filterbank
(ERB-spaced centre frequencies, 100 Hz - 6 kHz), half-wave rectification and
cube-root compression (a simple hair-cell stage), and drives one leaky
integrate-and-fire "auditory nerve fibre" per channel through a
FilterbankGroup.  The figure shows the waveform, the cochleagram and the
spike raster.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hears import (  # noqa: E402
    FilterbankGroup,
    FunctionFilterbank,
    Gammatone,
    dB,
    erbspace,
    vowel,
)
from sim import Hz, Network, SpikeMonitor, StateMonitor, kHz, ms  # noqa: E402


def main(out: str = "demo.png") -> Path:
    samplerate = 20 * kHz
    sound = vowel("a", pitch=120 * Hz, duration=200 * ms, samplerate=samplerate)
    sound = sound.atlevel(70 * dB).ramp(when="both", duration=10 * ms)

    nchannels = 200
    cf = erbspace(100 * Hz, 6 * kHz, nchannels)
    cochlea = Gammatone(sound, cf)
    # hair cells: half-wave rectification and compression
    hair_cells = FunctionFilterbank(cochlea, lambda x: 8 * np.clip(x, 0, None) ** (1 / 3))

    eqs = """
    dv/dt = (I - v)/(1*ms) : 1 (unless refractory)
    I : 1
    """
    fibres = FilterbankGroup(hair_cells, "I", eqs, threshold="v > 1", reset="v = 0",
                             refractory=1 * ms)
    spikes = SpikeMonitor(fibres)
    drive = StateMonitor(fibres, "I", record=True, dt=0.5 * ms)
    Network(fibres, spikes, drive).run(sound.duration)

    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True,
                             gridspec_kw={"height_ratios": [1, 2, 2]})
    t_ms = np.arange(sound.nsamples) / float(samplerate) * 1e3
    axes[0].plot(t_ms, np.asarray(sound)[:, 0], lw=0.5)
    axes[0].set_ylabel("pressure (Pa)")
    axes[0].set_title("vowel /a/ -> gammatone cochlea (200 channels) -> LIF fibres")
    axes[1].imshow(drive.I, aspect="auto", origin="lower",
                   extent=(0, float(sound.duration) * 1e3, 0, nchannels), cmap="magma")
    axes[1].set_ylabel("channel (low to high CF)")
    axes[2].plot(spikes.t / ms, spikes.i, "|k", ms=2)
    axes[2].set_ylim(0, nchannels)
    axes[2].set_ylabel("fibre")
    axes[2].set_xlabel("time (ms)")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=100)
    print(f"wrote {path.resolve()}: cochleagram and raster of {spikes.num_spikes} spikes "
          f"from {nchannels} fibres")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
