"""The float32 mode of the linear filterbanks against float64 (issue 12, item 5).

``python bench/float32_error.py [--channels 3000] [--duration-ms 1000]``

Gammatone, ApproximateGammatone and LowPass with ``dtype=float32`` (the CPU kernel; the
device kernel is the same arithmetic, bit for bit on the CUDA runtime's host backend)
against the float64 output, on white noise, a 1 kHz tone and a click train, at 44.1 kHz
and 60 dB SPL. Printed as JSON, per filterbank and sound: the largest error over the
peak of its channel, ``max_c max_t |y32 - y64| / max_t |y64|`` (the worst channel; also
over the channels from 100 Hz and from 500 Hz up), the median of that over channels,
and the error in dB of the output's RMS (the level a cochleagram shows). Float32 has
24 bits of mantissa (6e-8); a recursive filter whose poles are close to the unit circle
(low centre frequencies at a high sample rate) amplifies the rounding of its
coefficients and state, so the error grows as the centre frequency falls.
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=3000)
    parser.add_argument("--duration-ms", type=float, default=1000.0)
    args = parser.parse_args(argv)

    from hears import ApproximateGammatone, Gammatone, LowPass, erbspace
    from sim import Hz, kHz, ms, seed
    from sounds import click, dB, sequence, silence, tone, whitenoise

    fs = 44.1 * kHz
    duration = args.duration_ms * ms
    seed(1)
    sounds = {
        "white noise": whitenoise(duration, samplerate=fs),
        "1 kHz tone": tone(1 * kHz, duration, samplerate=fs).ramp(),
        "clicks": sequence([click(0.1 * ms, samplerate=fs),
                            silence(9.9 * ms, samplerate=fs)] * max(1, int(args.duration_ms
                                                                        // 10))),
    }
    cf = erbspace(20 * Hz, 20 * kHz, args.channels)
    makers = {
        "Gammatone": lambda s, dt: Gammatone(s, cf, dtype=dt),
        "ApproximateGammatone": lambda s, dt: ApproximateGammatone(s, cf, cf / 10, dtype=dt),
        "LowPass": lambda s, dt: LowPass(s, cf, dtype=dt),
    }
    out = {"machine": f"{platform.machine()}, {platform.python_version()}",
           "channels": args.channels, "duration_ms": args.duration_ms,
           "cf_hz": [20.0, 20000.0], "results": {}}
    for name, make in makers.items():
        out["results"][name] = {}
        for label, sound in sounds.items():
            sound = sound.atlevel(60 * dB)
            y64 = np.asarray(make(sound, np.float64).process(), dtype=np.float64)
            y32 = np.asarray(make(sound, np.float32).process(), dtype=np.float64)
            peak = np.abs(y64).max(axis=0)
            per_channel = np.abs(y32 - y64).max(axis=0) / np.where(peak > 0, peak, 1)
            rms64 = np.sqrt((y64 ** 2).mean(axis=0))
            rms32 = np.sqrt((y32 ** 2).mean(axis=0))
            level = np.abs(20 * np.log10(np.where(rms64 > 0, rms32 / rms64, 1)))
            worst = int(np.argmax(per_channel))
            cf_hz = np.asarray(cf)
            out["results"][name][label] = {
                "max_error_over_peak": float(per_channel.max()),
                "max_error_over_peak_cf_100hz_up": float(per_channel[cf_hz >= 100].max()),
                "max_error_over_peak_cf_500hz_up": float(per_channel[cf_hz >= 500].max()),
                "median_error_over_peak": float(np.median(per_channel)),
                "worst_channel_cf_hz": float(cf_hz[worst]),
                "max_rms_level_error_db": float(level.max()),
            }
    print(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
