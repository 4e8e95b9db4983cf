"""Cochleagram: a sound as the cochlea spreads it out over characteristic frequency.

    python examples/cochleagram.py [output.png] [--short]

A rising sequence of four tone pips (500 Hz, 1, 2 and 4 kHz) followed by the vowels /a/
and /i/ passes through a gammatone filterbank with ERB-spaced centre frequencies. Each
channel is half-wave rectified, cube-root compressed (a crude inner hair cell) and smoothed
by two 60 Hz low-pass filters (an envelope: the loss of phase locking). The figure shows
the waveform and the cochleagram (time x centre frequency, on a logarithmic frequency
axis): each pip excites a narrow band around its own frequency, the vowels excite their
harmonics and formants. The script prints the centre frequency of the most excited channel
during each pip.

``--short`` (or the environment variable HEARSIM_EXAMPLE_SHORT=1) uses shorter sounds and
fewer channels.
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
    FunctionFilterbank,
    Gammatone,
    LowPass,
    dB,
    erbspace,
    log_frequency_yaxis_labels,
    sequence,
    silence,
    tone,
    vowel,
)
from sim import Hz, kHz, ms  # noqa: E402

PIP_FREQUENCIES = (500, 1000, 2000, 4000)  # Hz


def parse_args(argv: list[str]) -> tuple[str, bool]:
    """``[output.png] [--short]``; HEARSIM_EXAMPLE_SHORT=1 also selects the short mode."""
    short = "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT", "") not in ("", "0")
    names = [a for a in argv if not a.startswith("--")]
    return (names[0] if names else f"{Path(__file__).stem}.png"), short


def make_sound(samplerate, pip, syllable):
    """Four ramped tone pips, then /a/ and /i/, separated by short gaps, at 65 dB SPL."""
    gap = silence(20 * ms, samplerate=samplerate)
    parts = []
    for f in PIP_FREQUENCIES:
        parts += [tone(f * Hz, pip, samplerate=samplerate).ramp(when="both", duration=5 * ms),
                  gap]
    for v in ("a", "i"):
        parts += [vowel(v, pitch=110 * Hz, duration=syllable, samplerate=samplerate)
                  .ramp(when="both", duration=10 * ms), gap]
    return sequence(*parts).atlevel(65 * dB)


def main(out: str, short: bool) -> Path:
    samplerate = 20 * kHz
    pip, syllable = (40 * ms, 60 * ms) if short else (120 * ms, 250 * ms)
    nchannels = 60 if short else 240
    sound = make_sound(samplerate, pip, syllable)

    cf = erbspace(100 * Hz, 8 * kHz, nchannels)
    gammatone = Gammatone(sound, cf)
    hair_cells = FunctionFilterbank(gammatone, lambda x: np.clip(x, 0, None) ** (1 / 3))
    smoothed = LowPass(LowPass(hair_cells, 60 * Hz), 60 * Hz)
    output = smoothed.process()  # (samples, channels)

    # the most excited channel in the middle half of each pip
    fs = float(samplerate)
    n_pip, n_gap = int(round(float(pip) * fs)), int(round(0.020 * fs))
    cf_hz = np.asarray(cf / Hz)
    peaks = []
    for k, f in enumerate(PIP_FREQUENCIES):
        start = k * (n_pip + n_gap)
        middle = output[start + n_pip // 4:start + 3 * n_pip // 4]
        peaks.append(cf_hz[np.argmax(middle.mean(axis=0))])
        print(f"pip {f} Hz: most excited channel at CF {peaks[-1]:.0f} Hz")

    # display: the mean of each millisecond
    step = int(fs / 1000)
    nblocks = output.shape[0] // step
    image = output[:nblocks * step].reshape(nblocks, step, nchannels).mean(axis=1).T
    t_ms = (np.arange(nblocks) + 0.5) * step / fs * 1e3
    fig, (ax_wave, ax_coch) = plt.subplots(2, 1, figsize=(9, 7), sharex=True,
                                           gridspec_kw={"height_ratios": [1, 3]})
    ax_wave.plot(np.arange(sound.nsamples) / fs * 1e3, np.asarray(sound)[:, 0], lw=0.4)
    ax_wave.set_ylabel("pressure (Pa)")
    ax_wave.set_title("tone pips (0.5, 1, 2, 4 kHz) and the vowels /a/, /i/")
    mesh = ax_coch.pcolormesh(t_ms, cf_hz, image, shading="auto", cmap="inferno")
    ax_coch.set_xlim(0, nblocks * step / fs * 1e3)
    ax_coch.set_yscale("log")
    ax_coch.set_ylim(cf_hz[0], cf_hz[-1])
    log_frequency_yaxis_labels(ax_coch)
    ax_coch.set_ylabel("centre frequency (Hz)")
    ax_coch.set_xlabel("time (ms)")
    fig.colorbar(mesh, ax=ax_coch, label="compressed output", pad=0.01)
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.resolve()}: cochleagram of {nchannels} channels x "
          f"{image.shape[1]} ms")
    return path


if __name__ == "__main__":
    main(*parse_args(sys.argv[1:]))
