"""Auditory nerve to cochlear nucleus: convergent fibres drive bushy-like neurons.

    python examples/auditory_nerve_to_cochlear_nucleus.py [output.png] [--short]

A 60 dB SPL, 500 Hz tone burst goes through the middle ear and Tan & Carney's (2003)
nonlinear cochlea; the inner-hair-cell potential drives the Zhang et al. (2001) synapse,
which fires a population of auditory-nerve fibres (ZhangSynapse, several independent fibres
per characteristic frequency, with spontaneous activity). Each cochlear-nucleus "bushy"
neuron, a fast leaky integrator, gets excitatory synapses from a random subset of the fibres
of one frequency channel and fires only when several of them spike together. The figure
shows the raster of the fibres and of the bushy neurons (sorted by CF), their PSTHs in the
channels tuned near the tone, and period histograms: the bushy neurons fire less
spontaneously and lock to the tone's phase at least as well as their inputs. The script
prints the rates and the vector strengths of both populations.

``--short`` (or HEARSIM_EXAMPLE_SHORT=1) uses fewer channels and fibres.
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
    MiddleEar,
    TanCarney,
    ZhangSynapse,
    dB,
    erbspace,
    sequence,
    silence,
    tone,
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
)

F_TONE = 500.0  # Hz


def parse_args(argv: list[str]) -> tuple[str, bool]:
    """``[output.png] [--short]``; HEARSIM_EXAMPLE_SHORT=1 also selects the short mode."""
    short = "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT", "") not in ("", "0")
    names = [a for a in argv if not a.startswith("--")]
    return (names[0] if names else f"{Path(__file__).stem}.png"), short


def vector_strength(times_s: np.ndarray, frequency: float) -> float:
    """|mean of exp(2 pi i f t)| over the spikes: 1 for perfect phase locking, 0 for none."""
    if times_s.size == 0:
        return 0.0
    return float(np.abs(np.mean(np.exp(2j * np.pi * frequency * times_s))))


def main(out: str, short: bool) -> Path:
    seed(7)
    rng = np.random.default_rng(7)
    samplerate = 50 * kHz  # Tan & Carney's model is meant for 50 kHz
    ncf = 9 if short else 25
    nfibres = 40 if short else 80  # AN fibres per channel
    nbushy = 10 if short else 20  # bushy neurons per channel
    nconv = 12  # fibres converging on each bushy neuron
    onset, burst, after = 20 * ms, (60 if short else 150) * ms, 30 * ms

    sound = sequence(silence(onset, samplerate=samplerate),
                     tone(F_TONE * Hz, burst, samplerate=samplerate)
                     .ramp(when="both", duration=4 * ms).atlevel(60 * dB),
                     silence(after, samplerate=samplerate))
    cf = erbspace(250 * Hz, 2 * kHz, ncf)
    cochlea = TanCarney(MiddleEar(sound), cf)
    # fibre c * nfibres + k: the k-th fibre of channel c
    an = ZhangSynapse(cochlea, cf, n_per_channel=nfibres)

    # bushy neuron c * nbushy + b; w = 0.4: three inputs within a fraction of a ms fire it
    bushy = NeuronGroup(ncf * nbushy, "dv/dt = -v/(1*ms) : 1 (unless refractory)",
                        threshold="v > 1", reset="v = 0", refractory=1 * ms, method="exact",
                        dt=an.clock.dt)
    pre, post = [], []
    for c in range(ncf):
        for b in range(nbushy):
            pre.append(c * nfibres + rng.choice(nfibres, nconv, replace=False))
            post.append(np.full(nconv, c * nbushy + b))
    endbulbs = Synapses(an, bushy, on_pre="v += 0.4", delay=0.5 * ms)
    endbulbs.connect(i=np.concatenate(pre), j=np.concatenate(post))

    an_spikes = SpikeMonitor(an)
    cn_spikes = SpikeMonitor(bushy)
    Network(an, bushy, endbulbs, an_spikes, cn_spikes).run(sound.duration)

    cf_hz = np.asarray(cf / Hz)
    t_on, t_off = float(onset / second), float((onset + burst) / second)
    # the channels tuned within half an octave of the tone
    near = np.flatnonzero(np.abs(np.log2(cf_hz / F_TONE)) <= 0.5)
    results = {}
    for name, mon, per in (("AN", an_spikes, nfibres), ("CN", cn_spikes, nbushy)):
        t = np.asarray(mon.t / second)
        i = np.asarray(mon.i)
        chan = i // per
        sel = np.isin(chan, near)
        during = sel & (t >= t_on + 0.01) & (t < t_off)  # after the onset response
        spont = sel & (t < t_on)
        n_cells = len(near) * per
        results[name] = {
            "t": t, "i": i, "sel": sel, "during": during, "n_cells": n_cells,
            "rate": during.sum() / (n_cells * (t_off - t_on - 0.01)),
            "spont": spont.sum() / (n_cells * t_on),
            # per channel (channels differ in latency, so pooling them would blur the phase),
            # weighted by their spike counts
            "vs": float(np.average([vector_strength(t[during & (chan == c)], F_TONE)
                                    for c in near],
                                   weights=[np.sum(during & (chan == c)) + 1e-9
                                            for c in near])),
        }
        r = results[name]
        print(f"{name}: {mon.num_spikes} spikes; near the tone: driven rate {r['rate']:.0f} Hz, "
              f"spontaneous {r['spont']:.0f} Hz, vector strength {r['vs']:.2f}")

    fig, axes = plt.subplots(3, 2, figsize=(11, 10))
    total_ms = float(sound.duration / ms)
    for col, (name, per, title) in enumerate((("AN", nfibres, "auditory-nerve fibres"),
                                              ("CN", nbushy, "bushy neurons"))):
        r = results[name]
        ax = axes[0, col]
        ax.plot(r["t"] * 1e3, r["i"] / per, "|k", ms=1.5, mew=0.5)
        ax.axvspan(t_on * 1e3, t_off * 1e3, color="C1", alpha=0.15, lw=0)
        ticks = np.arange(0, ncf, max(1, ncf // 5))
        ax.set_yticks(ticks + 0.5)
        ax.set_yticklabels([f"{cf_hz[c]:.0f}" for c in ticks])
        ax.set_ylim(0, ncf)
        ax.set_xlim(0, total_ms)
        ax.set_ylabel("CF (Hz)")
        ax.set_title(f"{title} ({per} per channel)")
        ax = axes[1, col]
        bins = np.arange(0, total_ms + 1, 1.0)
        counts, _ = np.histogram(r["t"][r["sel"]] * 1e3, bins)
        ax.bar(bins[:-1], counts / (r["n_cells"] * 1e-3), width=1.0, align="edge",
               color="C0")
        ax.set_xlim(0, total_ms)
        ax.set_xlabel("time (ms)")
        ax.set_ylabel("rate (spikes/s)")
        ax.set_title(f"PSTH, CF {cf_hz[near[0]]:.0f}-{cf_hz[near[-1]]:.0f} Hz")
        ax = axes[2, col]
        c0 = near[np.argmin(np.abs(cf_hz[near] - F_TONE))]
        phase = (r["t"][r["during"] & (r["i"] // per == c0)] * F_TONE) % 1.0
        ax.hist(phase, bins=24, range=(0, 1), color="C2")
        ax.set_xlabel(f"phase of the {F_TONE:.0f} Hz tone (cycles)")
        ax.set_ylabel("spikes")
        ax.set_title(f"period histogram, CF {cf_hz[c0]:.0f} Hz (mean vector strength "
                     f"{r['vs']:.2f})")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.resolve()}: rasters, PSTHs and period histograms of "
          f"{an.N} fibres and {bushy.N} bushy neurons")
    return path


if __name__ == "__main__":
    main(*parse_args(sys.argv[1:]))
