"""Brian 1's examples run on hearsim (issue 14): examples/realtime_plotting.py, Brian 1.2's
real-time plotting script with only its import line changed and a short mode added, runs
under the Agg backend, redraws its live raster and trace plots during the run and writes the
figure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_realtime_plotting_short_mode(tmp_path):
    out = tmp_path / "realtime.png"
    # this checkout's sim first (an installed copy may be older)
    path = os.pathsep.join(p for p in (str(EXAMPLES.parent), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": path}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "realtime_plotting.py"), str(out), "--short"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert out.exists() and str(out.resolve()) in result.stdout
    # the CUBA network: 2 % of 3200 x 4000 and 800 x 4000 pairs, firing at a few Hz
    match = re.search(r"(\d+) spikes from 4000 neurons: ([\d.]+) Hz; synapses: (\d+) "
                      r"excitatory, (\d+) inhibitory", result.stdout)
    assert match, result.stdout
    rate, excitatory, inhibitory = float(match[2]), int(match[3]), int(match[4])
    assert 1 < rate < 50
    assert abs(excitatory - 256000) < 5 * np.sqrt(256000)
    assert abs(inhibitory - 64000) < 5 * np.sqrt(64000)
    image = mpimg.imread(out)[..., :3]
    assert image.ndim == 3 and min(image.shape[:2]) > 100
    assert float(np.std(image)) > 0.02
    # the live plots were drawn during the run: the raster (top half) holds many dots in
    # matplotlib's first colour, the traces of the 5 recorded neurons (bottom half) one
    # colour each
    top, bottom = image[: image.shape[0] // 2], image[image.shape[0] // 2:]
    cycle = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    rgb = [np.array([int(c[k:k + 2], 16) for k in (1, 3, 5)]) / 255 for c in cycle]

    def share(part, colour):
        return float(np.mean(np.all(np.abs(part - colour) < 0.1, axis=-1)))

    assert share(top, rgb[0]) > 0.02
    assert all(share(bottom, colour) > 0.001 for colour in rgb)
