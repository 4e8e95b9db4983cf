"""Compression in the level-dependent cochlear models: DCGC, Tan & Carney, Zhang synapse.

    python examples/dcgc_tancarney.py [output.png] [--short]

Tones at the centre frequency of one channel (about 1 kHz) are played at levels from 0 to
100 dB SPL through four models: a linear gammatone filterbank (the reference), the dynamic
compressive gammachirp (DCGC, Irino & Patterson), the signal path of Tan & Carney's (2003)
model after the middle ear (TanCarneySignal) and the whole Tan & Carney model, whose
inner-hair-cell output drives the Zhang et al. (2001) synapse (ZhangSynapseRate). The
figure shows the input-output functions at each model's best channel for the tone (a
linear filter grows by 1 dB/dB, the compressive models less at medium and high levels),
the gain across channels (excitation patterns: the gain near the tone's frequency falls as
the level rises; Tan & Carney's time-varying filter also makes a distortion product at
twice the tone's frequency) for DCGC and Tan & Carney, and the synapse's rate-level
function (steady state and onset peak). The script prints each model's growth slope
between 40 and 80 dB SPL.

``--short`` (or HEARSIM_EXAMPLE_SHORT=1) uses shorter tones, fewer levels and channels.
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
    DCGC,
    Gammatone,
    MiddleEar,
    Repeat,
    Sound,
    TanCarney,
    TanCarneySignal,
    ZhangSynapseRate,
    erbspace,
    log_frequency_xaxis_labels,
    tone,
)
from sim import Hz, Network, StateMonitor, kHz, ms  # noqa: E402

P_REF = 2e-5  # Pa: 0 dB SPL
DCGC_SCALE = 1 / (P_REF * 10 ** (30 / 20))  # Pa -> DCGC units (rms 1 = 30 dB SPL)


def parse_args(argv: list[str]) -> tuple[str, bool]:
    """``[output.png] [--short]``; HEARSIM_EXAMPLE_SHORT=1 also selects the short mode."""
    short = "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT", "") not in ("", "0")
    names = [a for a in argv if not a.startswith("--")]
    return (names[0] if names else f"{Path(__file__).stem}.png"), short


def db(x):
    return 20 * np.log10(np.maximum(x, 1e-30))


def slope(levels, out_db, low=40, high=80):
    """Least-squares growth of the output (dB per dB) between two input levels."""
    sel = (levels >= low) & (levels <= high)
    return float(np.polyfit(levels[sel], out_db[sel], 1)[0])


def main(out: str, short: bool) -> Path:
    samplerate = 50 * kHz  # Tan & Carney's model is meant for 50 kHz
    fs = float(samplerate)
    duration = 40 * ms if short else 100 * ms
    levels = np.arange(0, 101, 20 if short else 10, dtype=float)
    nlev = len(levels)
    ncf = 21 if short else 61
    cf = np.asarray(erbspace(250 * Hz, 4 * kHz, ncf) / Hz)
    ich = int(np.argmin(np.abs(cf - 1000)))
    f_tone = cf[ich]

    unit = tone(f_tone * Hz, duration, samplerate=samplerate).ramp(when="both",
                                                                   duration=5 * ms)
    unit_rms = float(np.sqrt(np.mean(np.asarray(unit) ** 2)))
    amplitudes = P_REF * 10 ** (levels / 20) / unit_rms  # scale factor per level (Pa rms)
    nsamples = unit.nsamples
    steady = slice(nsamples // 2, nsamples - int(0.005 * fs))  # after the onset, before the ramp

    def rms(x):
        return np.sqrt(np.mean(np.asarray(x)[steady] ** 2, axis=0))

    # linear reference and DCGC: one run per level (DCGC's control path couples channels)
    gain_gt = np.empty((nlev, ncf))
    gain_dcgc = np.empty((nlev, ncf))
    for n, a in enumerate(amplitudes):
        sound = unit * a
        in_rms = a * unit_rms
        gain_gt[n] = rms(Gammatone(sound, cf * Hz).process()) / in_rms
        # DCGC's level detector works in Irino & Patterson's units (RMStoSPL: an rms of 1 is
        # 30 dB SPL), so the sound in pascals is scaled to those units first
        gain_dcgc[n] = rms(DCGC(sound * DCGC_SCALE, cf * Hz).process()) / (in_rms * DCGC_SCALE)

    # Tan & Carney: its channels are independent, so all levels run at once, as a sound of
    # one channel per level, each repeated for every centre frequency (level-major order)
    multi = Sound(np.asarray(unit)[:, 0:1] * amplitudes[None, :], samplerate=samplerate)
    stapes = Repeat(MiddleEar(multi), ncf)
    cf_all = np.tile(cf, nlev) * Hz
    bm = TanCarneySignal(stapes, cf_all).process()
    gain_tc = (rms(bm) / np.repeat(amplitudes * unit_rms, ncf)).reshape(nlev, ncf)

    # Zhang synapse rate at the tone's channel, driven by the full model's hair cell
    ihc = TanCarney(Repeat(MiddleEar(multi), 1), np.full(nlev, f_tone) * Hz)
    synapse = ZhangSynapseRate(ihc, np.full(nlev, f_tone) * Hz)
    monitor = StateMonitor(synapse, "s", record=True)
    Network(synapse, monitor).run(nsamples / samplerate)
    s = np.asarray(monitor.s / Hz)  # (level, time)
    rate = s[:, steady].mean(axis=1)
    onset = s[:, :int(0.01 * fs)].max(axis=1)

    # input-output at each model's best channel for the tone (largest gain at 0 dB SPL):
    # DCGC's passive gammachirp peaks below its nominal centre frequency, so its best
    # channel has a higher CF
    best = {name: int(np.argmax(g[0])) for name, g in
            (("gt", gain_gt), ("dcgc", gain_dcgc), ("tc", gain_tc))}
    out_gt, out_dcgc, out_tc = (db(g[:, best[k]]) + levels for k, g in
                                (("gt", gain_gt), ("dcgc", gain_dcgc), ("tc", gain_tc)))
    slopes = {"Gammatone": slope(levels, out_gt), "DCGC": slope(levels, out_dcgc),
              "TanCarney": slope(levels, out_tc)}
    for name, value in slopes.items():
        print(f"{name} slope 40-80 dB SPL: {value:.2f} dB/dB")
    print(f"ZhangSynapse steady rate: {rate[0]:.0f} Hz at {levels[0]:.0f} dB SPL, "
          f"{rate[-1]:.0f} Hz at {levels[-1]:.0f} dB SPL")

    label_of = {"gt": "Gammatone", "dcgc": "DCGC", "tc": "TanCarney"}
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    ax = axes[0, 0]
    for name, key, y, style in (("Gammatone (linear)", "gt", out_gt, "k--"),
                                ("DCGC", "dcgc", out_dcgc, "o-"),
                                ("TanCarneySignal", "tc", out_tc, "s-")):
        ax.plot(levels, y - y[0], style,
                label=f"{name}, CF {cf[best[key]]:.0f} Hz: {slopes[label_of[key]]:.2f} dB/dB")
    ax.plot(levels, levels, color="0.8", lw=4, zorder=0, label="slope 1")
    ax.set_xlabel("tone level (dB SPL)")
    ax.set_ylabel("output re. output at 0 dB SPL (dB)")
    ax.set_title(f"input-output for a {f_tone:.0f} Hz tone (slopes 40-80 dB)")
    ax.legend()
    colours = plt.cm.viridis(np.linspace(0, 0.9, nlev))
    for ax, gain, title in ((axes[0, 1], gain_dcgc, "DCGC"),
                            (axes[1, 0], gain_tc, "TanCarneySignal")):
        for n in range(nlev):
            ax.plot(cf, db(gain[n]), color=colours[n], label=f"{levels[n]:.0f} dB")
        ax.axvline(f_tone, color="0.6", ls=":")
        ax.set_xscale("log")
        log_frequency_xaxis_labels(ax)
        ax.set_xlabel("channel centre frequency (Hz)")
        ax.set_ylabel("gain (dB)")
        ax.set_title(f"{title}: excitation patterns of a {f_tone:.0f} Hz tone")
        ax.legend(fontsize=7, ncol=2)
    ax = axes[1, 1]
    ax.plot(levels, rate, "o-", label="steady state")
    ax.plot(levels, onset, "^--", label="onset peak")
    ax.set_xlabel("tone level (dB SPL)")
    ax.set_ylabel("rate s (spikes/s)")
    ax.set_title("Zhang synapse on Tan & Carney: rate-level function")
    ax.legend()
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.resolve()}: input-output curves, excitation patterns and "
          f"rate-level function at {nlev} levels")
    return path


if __name__ == "__main__":
    main(*parse_args(sys.argv[1:]))
