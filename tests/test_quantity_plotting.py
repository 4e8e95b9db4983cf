"""Quantities plot with matplotlib (issue 18, item 2): a units converter, strict numpy."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.units import ConversionError  # noqa: E402

from sim import (  # noqa: E402
    Hz,
    NeuronGroup,
    SpikeMonitor,
    ms,
    mV,
    second,
    start_scope,
    volt,
)
from sim.units import DimensionMismatchError  # noqa: E402


def test_brian2_script_line_plots_a_quantity_against_an_array(tmp_path):
    # Brian 2's examples: plot(group.v0 / mV, monitor.count / duration)
    start_scope()
    G = NeuronGroup(5, "v0 : volt")
    G.v0 = "(10 + 2*i)*mV"
    counts = np.array([0, 1, 3, 6, 10])
    duration = 2 * second
    fig, ax = plt.subplots()
    (line,) = ax.plot(G.v0 / mV, counts / duration)
    path = tmp_path / "fi.png"
    fig.savefig(path)
    plt.close(fig)
    x, y = line.get_data()
    assert np.allclose(np.asarray(x, dtype=float), [10, 12, 14, 16, 18])
    assert np.allclose(np.asarray(y, dtype=float), counts / 2.0)
    assert ax.get_ylabel() == "Hz"
    image = mpimg.imread(path)
    assert image.shape[0] > 100 and image.std() > 0  # something was drawn


def test_values_in_si_by_default_and_in_a_chosen_unit():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2] * ms, [-70, -65, -60] * mV)
    line = ax.lines[0]
    assert np.allclose(line.get_xydata(), [[0, -0.07], [1e-3, -0.065], [2e-3, -0.06]])
    assert ax.get_xlabel() == "s" and ax.get_ylabel() == "V"
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.yaxis.set_units(mV)
    ax.xaxis.set_units(ms)
    ax.plot([0, 1, 2] * ms, [-70, -65, -60] * mV)
    assert np.allclose(ax.lines[0].get_xydata(), [[0, -70], [1, -65], [2, -60]])
    assert ax.get_xlabel() == "ms" and ax.get_ylabel() == "mV"
    ax.set_ylim(-80, -50)  # plain numbers: in the axis' unit
    assert ax.get_ylim() == (-80, -50)
    plt.close(fig)


def test_other_plot_kinds_and_monitors():
    start_scope()
    G = NeuronGroup(3, "v : volt", threshold="v > 2*mV")
    G.v = [1, 2, 3] * mV
    M = SpikeMonitor(G)
    fig, ax = plt.subplots()
    ax.scatter(G.v, [1, 2, 3] * Hz)
    assert np.allclose(ax.collections[0].get_offsets(), [[1e-3, 1], [2e-3, 2], [3e-3, 3]])
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.xaxis.set_units(ms)
    counts, edges, _ = ax.hist([1, 2, 2, 3] * ms, bins=2)
    assert list(counts) == [1, 3]
    plt.close(fig)
    from sim import run

    run(0.5 * ms)
    assert M.num_spikes == 5
    fig, ax = plt.subplots()
    ax.plot(M.t, M.i, ".")  # a raster, in seconds
    assert ax.get_xlabel() == "s"
    assert np.allclose(ax.lines[0].get_xdata(orig=False), np.arange(5) * 1e-4)
    plt.close(fig)


def test_a_quantity_of_another_dimension_on_an_axis_with_a_unit_is_refused():
    fig, ax = plt.subplots()
    ax.plot([1, 2] * ms, [1, 2] * mV)
    with pytest.raises(ConversionError) as info:  # matplotlib wraps the converter's error
        ax.plot([1, 2] * Hz, [1, 2] * mV)
    assert isinstance(info.value.__cause__, DimensionMismatchError)
    assert "Cannot plot values in Hz on an axis in s" in str(info.value.__cause__)
    plt.close(fig)


def test_numpy_functions_keep_their_dimension_checks():
    with pytest.raises(DimensionMismatchError, match="column_stack"):
        np.column_stack([np.ones(3), np.ones(3) * Hz])
    assert np.column_stack([np.ones(2) * volt, np.ones(2) * volt]).shape == (2, 2)


def test_registration_waits_for_matplotlib_and_works_in_either_import_order():
    code = """
import sys
import sim
assert 'matplotlib' not in sys.modules, 'import sim imported matplotlib'
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from sim import ms, mV
ax = plt.gca()
ax.plot([1, 2] * ms, [3, 4] * mV)
print(ax.get_xlabel(), ax.get_ylabel())
"""
    first = """
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
from sim import *
plot([1, 2] * ms, [3, 4] * mV)
print(gca().get_xlabel(), gca().get_ylabel())
"""
    for source in (code, first):
        out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                             check=True).stdout
        assert out.split() == ["s", "V"]
