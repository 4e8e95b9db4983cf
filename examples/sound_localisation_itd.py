"""Jeffress model of sound localisation: interaural time difference (ITD) detection.

    python examples/sound_localisation_itd.py [output.png] [--short]

A white noise reaches the right ear ``ITD`` later than the left one (a source on the left).
Each ear has a gammatone cochlea (ERB-spaced channels, 300 Hz - 1.5 kHz, where auditory
nerve fibres phase lock), half-wave rectification and compression, and a few noisy leaky
integrate-and-fire fibres per channel (a FilterbankGroup). Coincidence-detector neurons,
one array per channel, each receive one left and one right fibre of that channel through
Synapses with different axonal delays: a detector of best delay ``d`` delays its left input
by ``d`` (or its right input by ``-d``), so it fires most when ``d`` equals the ITD. The
figure shows the detectors' firing rate (summed over channels) against their best delay
with the true ITD marked, and the rate per channel and best delay. The script prints the
detected ITD (the best delay of the most active detectors) and the true one.

``--short`` (or HEARSIM_EXAMPLE_SHORT=1) simulates 100 ms with fewer channels.
"""

from __future__ import annotations

import os
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
    Repeat,
    dB,
    erbspace,
    whitenoise,
)
from sim import (  # noqa: E402
    Hz,
    Network,
    NeuronGroup,
    SpikeMonitor,
    Synapses,
    kHz,
    ms,
    second,
    seed,
    us,
)

TRUE_ITD = 0.3 * ms


def parse_args(argv: list[str]) -> tuple[str, bool]:
    """``[output.png] [--short]``; HEARSIM_EXAMPLE_SHORT=1 also selects the short mode."""
    short = "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT", "") not in ("", "0")
    names = [a for a in argv if not a.startswith("--")]
    return (names[0] if names else f"{Path(__file__).stem}.png"), short


def main(out: str, short: bool) -> Path:
    seed(2024)
    np.random.seed(2024)
    samplerate = 40 * kHz
    duration = 100 * ms if short else 500 * ms
    ncf = 12 if short else 30
    nfibres = 4 if short else 8  # fibres per channel and ear
    best_delays = np.arange(-8, 9) * 100 * us  # -0.8 ms ... 0.8 ms
    ndelays = len(best_delays)

    sound = whitenoise(duration, samplerate=samplerate).atlevel(70 * dB)
    binaural = sound.itd(TRUE_ITD)  # positive: the right ear lags
    nsamples = binaural.nsamples

    # cochlea: channels [left CF 0..ncf-1, right CF 0..ncf-1]
    cf = erbspace(300 * Hz, 1500 * Hz, ncf)
    cochlea = Gammatone(Repeat(binaural, ncf), np.tile(np.asarray(cf / Hz), 2) * Hz)
    hair_cells = FunctionFilterbank(cochlea, lambda x: 9 * np.clip(x, 0, None) ** (1 / 3))
    # fibre (ear * ncf + c) * nfibres + k: the k-th fibre of channel c of that ear
    fibre_eqs = """
    dv/dt = (I - v)/(1*ms) + 0.2*xi*(2/(1*ms))**0.5 : 1 (unless refractory)
    I : 1
    """
    fibres = FilterbankGroup(Repeat(hair_cells, nfibres), "I", fibre_eqs, threshold="v > 1",
                             reset="v = 0", refractory=1 * ms, method="euler")

    # detector (c * ndelays + d) * nfibres + k: channel c, best delay d, fibre pair k
    cd_eqs = "dv/dt = -v/(0.3*ms) : 1 (unless refractory)"
    detectors = NeuronGroup(ncf * ndelays * nfibres, cd_eqs, threshold="v > 1", reset="v = 0",
                            refractory=0.5 * ms, method="exact", dt=fibres.clock.dt)
    c, d, k = np.meshgrid(np.arange(ncf), np.arange(ndelays), np.arange(nfibres),
                          indexing="ij")
    c, d, k = c.ravel(), d.ravel(), k.ravel()
    target = (c * ndelays + d) * nfibres + k
    left = (0 * ncf + c) * nfibres + k
    right = (1 * ncf + c) * nfibres + k
    delay_s = np.asarray(best_delays / second)[d]
    # one input alone (0.7) stays below threshold, two within a fraction of a ms cross it
    inputs = Synapses(fibres, detectors, on_pre="v += 0.7", dt=fibres.clock.dt)
    inputs.connect(i=np.concatenate([left, right]), j=np.concatenate([target, target]))
    base = 1 * ms  # a common axonal delay, so that no delay is negative
    inputs.delay = (base / second + np.concatenate([np.maximum(delay_s, 0),
                                                    np.maximum(-delay_s, 0)])) * second
    fibre_spikes = SpikeMonitor(fibres, record=False)
    cd_spikes = SpikeMonitor(detectors, record=False)
    Network(fibres, detectors, inputs, fibre_spikes, cd_spikes).run(nsamples / samplerate)

    run_s = nsamples / float(samplerate)
    rate = np.asarray(cd_spikes.count[:], dtype=float).reshape(ncf, ndelays, nfibres)
    rate = rate.mean(axis=2) / run_s  # Hz per detector, (channel, best delay)
    total = rate.mean(axis=0)
    detected = best_delays[int(np.argmax(total))]
    fibre_rate = fibre_spikes.num_spikes / (fibres.N * run_s)
    print(f"fibres: {fibre_rate:.0f} spikes/s on average; detectors: "
          f"{cd_spikes.num_spikes} spikes")
    print(f"detected ITD: {float(detected / ms):.2f} ms (true ITD: {float(TRUE_ITD / ms):.2f} ms)")

    delays_ms = np.asarray(best_delays / ms)
    fig, (ax_rate, ax_map) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax_rate.plot(delays_ms, total, "o-", color="C0")
    ax_rate.axvline(float(TRUE_ITD / ms), color="C3", ls="--", label="true ITD")
    ax_rate.axvline(float(detected / ms), color="C2", ls=":", lw=2, label="detected")
    ax_rate.set_xlabel("best delay of the detector (ms)")
    ax_rate.set_ylabel("mean firing rate (Hz)")
    ax_rate.set_title("coincidence detectors, all channels")
    ax_rate.legend()
    cf_hz = np.asarray(cf / Hz)
    mesh = ax_map.pcolormesh(delays_ms, cf_hz, rate, shading="auto", cmap="viridis")
    ax_map.axvline(float(TRUE_ITD / ms), color="w", ls="--")
    ax_map.set_xlabel("best delay (ms)")
    ax_map.set_ylabel("channel CF (Hz)")
    ax_map.set_title("firing rate per channel")
    fig.colorbar(mesh, ax=ax_map, label="Hz")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.resolve()}: rate of {detectors.N} coincidence detectors vs best delay")
    return path


if __name__ == "__main__":
    main(*parse_args(sys.argv[1:]))
