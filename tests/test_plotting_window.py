"""Live plotting in a real window (issue 14, item 2): under an X server made by Xvfb, a
raster plot with ``refresh=`` in matplotlib's TkAgg window redraws during the run, and a
screenshot of the screen shows it.  Skipped where Xvfb is not installed (it is not on the
project's build machines, nor in the package registries they reach); where it is
(``apt-get install xvfb``), this runs in the default suite.  Set
``HEARSIM_SCREENSHOT_DIR`` to keep the screenshot for a person to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

XVFB = shutil.which("Xvfb")
ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import os, sys
import matplotlib
matplotlib.use("TkAgg")
import matplotlib.pyplot as plt
from PIL import ImageGrab
from sim import *

plt.ion()
seed(4)
G = NeuronGroup(200, "dv/dt = (1.2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                method="exact")
G.v = "rand()"
M = SpikeMonitor(G)
draws = []
raster_plot(M, refresh=5*ms, showlast=50*ms)
fig = plt.gcf()
fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
plt.pause(0.2)
run(100*ms)
plt.pause(0.5)
ImageGrab.grab(xdisplay=os.environ["DISPLAY"]).save(sys.argv[1])
print("draws", len(draws), "spikes", M.num_spikes)
'''


@pytest.fixture
def display():
    number = 90 + os.getpid() % 9
    server = subprocess.Popen([XVFB, f":{number}", "-screen", "0", "1024x768x24",
                               "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.skipif(XVFB is None, reason="Xvfb is not installed (apt-get install xvfb)")
def test_refresh_redraws_a_real_window_during_the_run(tmp_path, display):
    import matplotlib.image as mpimg

    shot = tmp_path / "window.png"
    env = {**os.environ, "DISPLAY": display, "MPLBACKEND": "TkAgg",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(shot)], capture_output=True,
                            text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    words = result.stdout.split()
    draws, spikes = int(words[words.index("draws") + 1]), int(words[words.index("spikes") + 1])
    assert spikes > 100
    assert draws >= 10  # 20 refresh ticks in 100 ms: the window was redrawn during the run
    if os.environ.get("HEARSIM_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["HEARSIM_SCREENSHOT_DIR"]) / "window.png")
    image = mpimg.imread(shot)[..., :3]
    assert float(np.std(image)) > 0.02  # a window on the black screen
    blue = np.all(np.abs(image - np.array([0x1f, 0x77, 0xb4]) / 255) < 0.1, axis=-1)
    assert float(np.mean(blue)) > 1e-3  # the raster's dots, in matplotlib's first colour
