"""The examples gallery (issue 14, item 4): each example runs in its short mode, writes a
non-blank figure and prints the number that says it worked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name: str, tmp_path: Path) -> str:
    out = tmp_path / f"{name}.png"
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), str(out), "--short"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    image = mpimg.imread(out)
    assert image.ndim == 3 and image.shape[0] > 100 and np.ptp(image[..., :3]) > 0.1
    return result.stdout


def test_cochleagram_places_each_tone_at_its_characteristic_frequency(tmp_path):
    out = _run("cochleagram", tmp_path)
    found = re.findall(r"pip (\d+) Hz: most excited channel at CF (\d+) Hz", out)
    assert len(found) >= 3
    for tone, cf in found:
        assert abs(int(cf) / int(tone) - 1) < 0.05


def test_itd_detected_by_the_coincidence_detectors(tmp_path):
    out = _run("sound_localisation_itd", tmp_path)
    detected, true = re.search(r"detected ITD: ([\d.-]+) ms \(true ITD: ([\d.-]+) ms\)",
                               out).groups()
    assert abs(float(detected) - float(true)) <= 0.05


def test_compressive_models_compress(tmp_path):
    out = _run("dcgc_tancarney", tmp_path)
    slope = float(re.search(r"TanCarney slope 40-80 dB SPL: ([\d.]+) dB/dB", out).group(1))
    assert slope < 0.8  # compressive growth at mid levels
    low, high = map(float, re.search(r"steady rate: (\d+) Hz at 0 dB SPL, (\d+) Hz at 100",
                                     out).groups())
    assert high > 2 * low  # the synapse's rate grows with level


def test_polychronization_runs_with_stdp(tmp_path):
    out = _run("polychronization", tmp_path)
    rates = [float(r) for r in re.findall(r"([\d.]+) Hz", out.split("mean rate:")[1][:80])]
    assert all(1 < r < 100 for r in rates)
    start, end = map(float, re.search(r"mean excitatory weight: start ([\d.]+), end ([\d.]+)",
                                      out).groups())
    assert start == pytest.approx(6.0) and end != start  # STDP changed the weights
