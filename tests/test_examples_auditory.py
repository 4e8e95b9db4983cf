"""The auditory examples in examples/ run in their short mode, write a real figure and print
the numbers that show they work (detected ITD, compression slopes, online = offline...)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name: str, tmp_path: Path) -> str:
    """Run examples/<name>.py in short mode in tmp_path; check the figure; return stdout."""
    import matplotlib.image as mpimg

    out = tmp_path / f"{name}.png"
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), str(out), "--short"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.exists(), result.stdout
    assert f"wrote {out.resolve()}" in result.stdout
    image = mpimg.imread(out)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    # not blank: many distinct colours, a good part of the figure not background
    rgb = image[..., :3]
    assert float(rgb.std()) > 0.05
    assert np.unique(rgb.reshape(-1, 3), axis=0).shape[0] > 50
    background = np.all(rgb > 0.99, axis=-1).mean()
    assert background < 0.98
    return result.stdout


def numbers(pattern: str, text: str) -> list[tuple[str, ...]]:
    found = re.findall(pattern, text)
    assert found, f"{pattern!r} not in output:\n{text}"
    return found


def test_cochleagram(tmp_path):
    stdout = run_example("cochleagram", tmp_path)
    pips = numbers(r"pip (\d+) Hz: most excited channel at CF (\d+) Hz", stdout)
    assert len(pips) == 4
    for tone_hz, cf_hz in pips:
        # each pip peaks in the channel tuned to it (channels are ~6% apart in short mode)
        assert abs(float(cf_hz) / float(tone_hz) - 1) < 0.06, pips


def test_sound_localisation_itd(tmp_path):
    stdout = run_example("sound_localisation_itd", tmp_path)
    (detected, true), = numbers(r"detected ITD: (-?[\d.]+) ms \(true ITD: (-?[\d.]+) ms\)",
                                stdout)
    assert float(true) == pytest.approx(0.3)
    assert float(detected) == pytest.approx(float(true), abs=1e-9)
    rate, = numbers(r"fibres: (\d+) spikes/s", stdout)
    assert 50 < float(rate) < 400


def test_dcgc_tancarney(tmp_path):
    stdout = run_example("dcgc_tancarney", tmp_path)
    slopes = dict(numbers(r"(\w+) slope 40-80 dB SPL: ([\d.]+) dB/dB", stdout))
    assert float(slopes["Gammatone"]) == pytest.approx(1.0, abs=0.02)  # linear
    assert float(slopes["DCGC"]) < 0.9  # compressive
    assert float(slopes["TanCarney"]) < 0.7
    (low, high), = numbers(r"ZhangSynapse steady rate: (\d+) Hz at 0 dB SPL, (\d+) Hz at "
                           r"100 dB SPL", stdout)
    assert 30 < float(low) < 80  # near the 50 Hz spontaneous rate
    assert float(high) > 2 * float(low)  # driven, saturated rate


def test_auditory_nerve_to_cochlear_nucleus(tmp_path):
    stdout = run_example("auditory_nerve_to_cochlear_nucleus", tmp_path)
    stats = {name: (float(rate), float(spont), float(vs)) for name, rate, spont, vs in numbers(
        r"(AN|CN): \d+ spikes; near the tone: driven rate (\d+) Hz, spontaneous (\d+) Hz, "
        r"vector strength ([\d.]+)", stdout)}
    an_rate, an_spont, an_vs = stats["AN"]
    cn_rate, cn_spont, cn_vs = stats["CN"]
    assert an_rate > an_spont > 10  # the tone drives the fibres above their spontaneous rate
    assert an_vs > 0.5  # phase locking to 500 Hz
    assert cn_rate > 20 and cn_spont < an_spont  # coincidences of inputs drive the bushy cells
    assert cn_vs > 0.5


def test_online_cochlea(tmp_path):
    stdout = run_example("online_cochlea", tmp_path)
    (diff, peak, mean_diff), = numbers(
        r"online vs offline: max abs difference ([\d.e+-]+) \(output peak ([\d.e+-]+)\); "
        r"mean per channel via process\(\): ([\d.e+-]+)", stdout)
    assert float(peak) > 0.01
    assert float(diff) <= 1e-12
    assert float(mean_diff) <= 1e-12
    (n, chunks, size), = numbers(r"streamed (\d+) samples in (\d+) chunks of (\d+) samples",
                                 stdout)
    assert int(chunks) == -(-int(n) // int(size)) > 10


def test_short_mode_from_environment(tmp_path):
    """HEARSIM_EXAMPLE_SHORT=1 selects the short mode; the default figure name is used."""
    env = {**os.environ, "HEARSIM_EXAMPLE_SHORT": "1"}
    result = subprocess.run([sys.executable, str(EXAMPLES / "cochleagram.py")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cochleagram.png").exists()
    assert "cochleagram of 60 channels" in result.stdout  # the short mode's channel count
