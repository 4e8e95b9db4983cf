"""Online cochlea: a sound file streamed through a filterbank, chunk by chunk.

    python examples/online_cochlea.py [output.png] [--short]

A test sound (vowels, tone pips and a noise burst) is written to a temporary WAV file and
read back block by block with a SoundFileStream, which serves as the source of a gammatone
filterbank with half-wave rectification and compression: only one block of the file and one
chunk of output are in memory at a time. Each 10 ms chunk of output gives one frame of
energy per channel, and a running sum gives the mean output per channel over the whole
sound. The same chain is also run offline on the whole file loaded at once; the script
checks that the online and offline outputs agree sample for sample and prints the largest
difference. The figure shows the waveform, the streamed energy (time x centre frequency,
in dB) and the mean output per channel, online and offline.

``--short`` (or HEARSIM_EXAMPLE_SHORT=1) streams a shorter sound through fewer channels.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hears import (  # noqa: E402
    FunctionFilterbank,
    Gammatone,
    Sound,
    SoundFileStream,
    erbspace,
    log_frequency_xaxis_labels,
    log_frequency_yaxis_labels,
    sequence,
    silence,
    tone,
    vowel,
    whitenoise,
)
from sim import Hz, kHz, ms  # noqa: E402

CALIBRATION = 0.2  # Pa per unit of the file's full scale


def parse_args(argv: list[str]) -> tuple[str, bool]:
    """``[output.png] [--short]``; HEARSIM_EXAMPLE_SHORT=1 also selects the short mode."""
    short = "--short" in argv or os.environ.get("HEARSIM_EXAMPLE_SHORT", "") not in ("", "0")
    names = [a for a in argv if not a.startswith("--")]
    return (names[0] if names else f"{Path(__file__).stem}.png"), short


def test_sound(samplerate, short: bool) -> Sound:
    seg = (50 if short else 200) * ms
    gap = silence(30 * ms, samplerate=samplerate)
    parts = [vowel("a", pitch=120 * Hz, duration=seg, samplerate=samplerate), gap,
             tone(700 * Hz, seg, samplerate=samplerate) * 0.5, gap,
             tone(2500 * Hz, seg, samplerate=samplerate) * 0.5, gap,
             whitenoise(seg, samplerate=samplerate) * 0.2, gap]
    if not short:
        parts += [vowel("i", pitch=200 * Hz, duration=seg, samplerate=samplerate), gap,
                  vowel("u", pitch=100 * Hz, duration=seg, samplerate=samplerate), gap]
    ramped = [p if p is gap else p.ramp(when="both", duration=5 * ms) for p in parts]
    return sequence(*ramped).normalized(0.9)


def cochlea(source, cf):
    """Gammatone filterbank, half-wave rectification and cube-root compression."""
    return FunctionFilterbank(Gammatone(source, cf),
                              lambda x: np.clip(CALIBRATION * x, 0, None) ** (1 / 3))


def main(out: str, short: bool) -> Path:
    samplerate = 16 * kHz
    nchannels = 32 if short else 80
    cf = erbspace(100 * Hz, 6 * kHz, nchannels)
    frame = int(round(float(10 * ms * samplerate)))  # samples per output chunk

    with tempfile.TemporaryDirectory() as folder:
        path_wav = Path(folder) / "test_sound.wav"
        test_sound(samplerate, short).save(path_wav)  # 16-bit PCM

        # online: the file is read in blocks of 1024 samples while the filterbank is fetched
        # one 10 ms chunk at a time
        with SoundFileStream(path_wav, blocksize=1024) as stream:
            nsamples = stream.nsamples
            online = cochlea(stream, cf)
            online.buffer_init()
            energy, chunks = [], []
            running_sum = np.zeros(nchannels)
            for start in range(0, nsamples, frame):
                chunk = online.buffer_fetch(start, min(nsamples, start + frame))
                energy.append(np.mean(chunk ** 2, axis=0))
                running_sum += chunk.sum(axis=0)
                chunks.append(chunk.copy())  # kept only to compare with the offline run
            online_out = np.concatenate(chunks)
            online_mean = running_sum / nsamples
            # the same online reduction through process(func(chunk, running))
            process_mean = online.process(lambda x, s: s + x.sum(axis=0), duration=nsamples,
                                          buffersize=frame) / nsamples

        # offline: the whole file at once
        sound = Sound.load(path_wav)
        offline_out = cochlea(sound, cf).process()

    difference = float(np.max(np.abs(online_out - offline_out)))
    mean_difference = float(np.max(np.abs(process_mean - offline_out.mean(axis=0))))
    print(f"streamed {nsamples} samples in {len(energy)} chunks of {frame} samples through "
          f"{nchannels} channels")
    print(f"online vs offline: max abs difference {difference:.3g} (output peak "
          f"{offline_out.max():.3g}); mean per channel via process(): {mean_difference:.3g}")
    if not (difference <= 1e-12 and mean_difference <= 1e-12):
        raise SystemExit("online and offline outputs differ")

    energy_db = 10 * np.log10(np.maximum(np.array(energy).T, 1e-12))
    fs = float(samplerate)
    cf_hz = np.asarray(cf / Hz)
    fig, axes = plt.subplots(3, 1, figsize=(9, 10), gridspec_kw={"height_ratios": [1, 2.5, 1.6]})
    axes[0].plot(np.arange(nsamples) / fs * 1e3, np.asarray(sound)[:, 0], lw=0.4)
    axes[0].set_xlim(0, nsamples / fs * 1e3)
    axes[0].set_ylabel("full scale")
    axes[0].set_title("streamed WAV file: /a/, 700 Hz, 2.5 kHz, noise"
                      + ("" if short else ", /i/, /u/"))
    t_frames = (np.arange(len(energy)) + 0.5) * frame / fs * 1e3
    mesh = axes[1].pcolormesh(t_frames, cf_hz, energy_db, shading="auto", cmap="magma",
                              vmin=energy_db.max() - 40)
    axes[1].set_yscale("log")
    axes[1].set_ylim(cf_hz[0], cf_hz[-1])
    log_frequency_yaxis_labels(axes[1])
    axes[1].set_xlabel("time (ms)")
    axes[1].set_ylabel("centre frequency (Hz)")
    axes[1].set_title("energy per 10 ms chunk, computed online")
    fig.colorbar(mesh, ax=axes[1], label="dB", pad=0.01)
    axes[2].plot(cf_hz, online_mean, "C0", lw=3, alpha=0.6, label="online (running sum)")
    axes[2].plot(cf_hz, offline_out.mean(axis=0), "k--", lw=1, label="offline")
    axes[2].set_xscale("log")
    log_frequency_xaxis_labels(axes[2])
    axes[2].set_xlabel("centre frequency (Hz)")
    axes[2].set_ylabel("mean output")
    axes[2].set_title(f"mean output per channel (max online-offline difference "
                      f"{difference:.1g})")
    axes[2].legend()
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"wrote {path.resolve()}: streamed energy of {nchannels} channels in "
          f"{len(energy)} frames")
    return path


if __name__ == "__main__":
    main(*parse_args(sys.argv[1:]))
