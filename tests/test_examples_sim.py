"""The simulator examples (issue 14, item 4): each runs in its short mode in a subprocess,
writes a valid, non-blank PNG and prints a number showing that the model did its job."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, tmp_path: Path, *extra: str) -> str:
    out = tmp_path / f"{name}_figure.png"
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), str(out), "--short",
                             *extra], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert out.exists(), f"{name}.py wrote no figure: {result.stdout}"
    image = mpimg.imread(out)
    assert image.ndim == 3 and min(image.shape[:2]) > 100
    assert float(np.ptp(image[..., :3])) > 0.5          # not a uniform image
    assert float(np.std(image[..., :3])) > 0.02
    assert str(out.resolve()) in result.stdout          # it says what it wrote
    return result.stdout


def numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", line)]


def line_after(output: str, label: str) -> str:
    match = re.search(re.escape(label) + r"(.*)", output)
    assert match, f"no line {label!r} in:\n{output}"
    return match.group(1)


def test_timedarray_input(tmp_path):
    out = run_example("timedarray_input", tmp_path)
    per_step = numbers(line_after(out, "per step:"))
    counts = numbers(line_after(out, "spike counts:"))
    assert len(per_step) == 5 and len(counts) == 8
    # the staircase: silent on the zero step, more spikes on each higher step
    assert per_step[0] == 0 and np.all(np.diff(per_step) > 0)
    # the 2-D array: each neuron's own current, mean rising with i
    assert np.corrcoef(np.arange(8), counts)[0, 1] > 0.9 and counts[-1] > 2 * counts[0]


def test_linked_var(tmp_path):
    out = run_example("linked_var", tmp_path)
    assert numbers(line_after(out, "difference:")) == [0.0]
    first = numbers(line_after(out, "first half:"))
    second = numbers(line_after(out, "second half:"))
    assert np.all(np.diff(first) > 0)              # blocks follow their pacemaker's amplitude
    assert second[0] > 2 * first[0]                # pacemaker 0's new amplitude is seen at once
    assert max(second) == second[0]


def test_derived_classes(tmp_path):
    out = run_example("derived_classes", tmp_path)
    rates = [float(r) for r in re.findall(r"mean output rate ([\d.]+) Hz", out)]
    inputs = [float(r) for r in re.findall(r"input ([\d.]+) Hz", out)]
    assert len(rates) == 2 and inputs[0] < inputs[1]
    assert 0 < rates[0] < rates[1]


def test_polychronization(tmp_path):
    out = run_example("polychronization", tmp_path)
    rates = numbers(line_after(out, "mean rate:"))
    assert all(1 < r < 100 for r in rates)
    start, end, std = numbers(line_after(out, "mean excitatory weight:"))[:3]
    assert start == 6.0
    # without STDP, every weight would be 6 + 0.01 per update, all the same: STDP spreads
    # them and moves the mean
    assert std > 0.05
    assert end != 6.02


def test_multiprocessing_sweep(tmp_path):
    out = run_example("multiprocessing_sweep", tmp_path)     # the 'spawn' start method
    assert "spawn pool" in out
    drives = numbers(line_after(out, "(a) drive (mV):"))
    rates = numbers(line_after(out, "(a) rate (Hz):"))
    assert len(rates) == len(drives) >= 5
    assert np.all(np.diff(rates) > 0) and rates[0] < 5 < rates[-1]
    assert "all equal to the shared input" in out
    gains = numbers(line_after(out, "(b) gain:"))
    counts = numbers(line_after(out, "(b) mean spike count:"))
    assert len(counts) == len(gains) and np.all(np.diff(counts) > 0)
