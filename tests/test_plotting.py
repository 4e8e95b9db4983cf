"""sim.plotting: Brian 1's raster_plot and StateMonitor plots, live refresh (issue 14)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim import (  # noqa: E402
    Network,
    NeuronGroup,
    RecentStateMonitor,
    SpikeMonitor,
    StateMonitor,
    ms,
    mV,
    raster_plot,
    start_scope,
)
from sim.plotting import plot_raster, plot_rate, plot_state, state_plot  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_figures():
    plt.ioff()
    yield
    plt.ioff()
    plt.close("all")


def _regular_network(n=5):
    """Neuron k fires every (k + 1) ms (from 1 ms): known spikes."""
    start_scope()
    G = NeuronGroup(n, "dv/dt = 1/((i + 1)*ms) : 1", threshold="v >= 1 - 1e-9",
                    reset="v = 0", method="euler")
    return G


def test_raster_plot_of_one_and_several_monitors(tmp_path):
    G = _regular_network()
    H = _regular_network(3)
    M, MH = SpikeMonitor(G), SpikeMonitor(H)
    Network(G, H, M, MH).run(20 * ms)
    line = raster_plot(M)
    x, y = line.get_data()
    assert np.allclose(x, M.t_ / 1e-3) and np.array_equal(y, M.i)
    ax = plt.gca()
    assert ax.get_xlabel() == "Time (ms)" and ax.get_ylabel() == "Neuron number"
    path = tmp_path / "raster.png"
    plt.gcf().savefig(path)
    blank = tmp_path / "blank.png"
    plt.figure()
    plt.gcf().savefig(blank)
    assert not np.array_equal(mpimg.imread(path), mpimg.imread(blank))
    line2 = raster_plot(M, MH, spacebetweengroups=0.2, showgrouplines=True, newfigure=True)
    x2, y2 = line2.get_data()
    assert x2.size == M.num_spikes + MH.num_spikes
    # a spike of neuron n of m in monitor k sits at k + n (1 - space)/m
    assert np.allclose(y2[M.num_spikes:], 1 + 0.8 / 3 * np.asarray(MH.i))
    assert plt.gca().get_ylabel() == "Group number"
    assert len(plt.gca().lines) == 1 + 4  # the raster and two lines per group
    with pytest.raises(ValueError, match="spacebetweengroups"):
        raster_plot(M, spacebetweengroups=1.5)


def test_raster_plot_without_monitors_finds_them():
    G = _regular_network()
    M = SpikeMonitor(G)
    Network(G, M).run(5 * ms)
    line = raster_plot()
    assert line.get_data()[0].size >= M.num_spikes


def test_live_raster_redraws_during_the_run_only_when_interactive(monkeypatch):
    redraws = []
    monkeypatch.setattr(sim.plotting, "_redraw", lambda fig: redraws.append(fig))
    G = _regular_network()
    M = SpikeMonitor(G)
    line = raster_plot(M, refresh=2 * ms, showlast=4 * ms)
    net = Network(G, M)
    net.run(10 * ms)  # not interactive: nothing is touched
    assert redraws == [] and line.get_data()[0].size == 0
    plt.ion()
    seen = []

    def record(fig):
        seen.append(np.array(line.get_data()[0]))
        redraws.append(fig)

    monkeypatch.setattr(sim.plotting, "_redraw", record)
    net.run(10 * ms)
    assert len(redraws) == 5  # every 2 ms of the 10 ms
    assert net.used_compiled_loop  # the loop splits at the refresh ticks only
    x, _ = line.get_data()
    # the last 4 ms before the last refresh (t = 18 ms)
    assert x.min() >= 14 - 1e-9 and x.max() <= 18 + 1e-9 and x.size > 0
    assert plt.gca().get_xlim() == pytest.approx((14, 18))
    assert all(s.size > 0 for s in seen[1:])


def test_state_plot_traces_in_the_best_unit_and_live():
    start_scope()
    G = NeuronGroup(4, "dv/dt = (i*mV - v)/(2*ms) : volt", method="exact")
    M = StateMonitor(G, "v", record=[1, 3])
    R = RecentStateMonitor(G, "v", record=[0, 2], duration=3 * ms)
    lines = state_plot(M, colormap="viridis")
    assert [len(line.get_data()[0]) for line in lines] == [0, 0]  # nothing recorded yet
    net = Network(G, M, R)
    net.run(5 * ms)
    plt.figure()
    lines = state_plot(M, indices=[3], colormap="viridis")
    t, v = lines[0].get_data()
    assert np.allclose(t, M.t_ / 1e-3) and np.allclose(v, M.v_[1] / 1e-3)
    assert plt.gca().get_ylabel() == "v (mV)"
    with pytest.raises(IndexError, match="not recorded"):
        state_plot(M, indices=[0])
    with pytest.raises(KeyError, match="'w' is not recorded"):
        state_plot(M, "w")
    plt.figure()
    plt.ion()
    live = state_plot(R, refresh=1 * ms, showlast=2 * ms)
    net.run(3 * ms)
    t, v = live[1].get_data()  # as drawn at the last refresh, t = 7 ms (ticks 5, 6, 7)
    assert t.size == R.size and t.max() == pytest.approx(6.9)
    # element 2 relaxes towards 2 mV: in mV, below 2 and rising
    assert np.all(np.diff(v) > 0) and 1.5 < v.min() and v.max() < 2.0
    assert plt.gca().get_xlim() == pytest.approx((5, 7))


def test_brian2tools_style_functions():
    G = _regular_network()
    M = SpikeMonitor(G)
    S = StateMonitor(G, "v", record=True)
    from sim import PopulationRateMonitor

    R = PopulationRateMonitor(G)
    Network(G, M, S, R).run(5 * ms)
    fig, axes = plt.subplots(3)
    plot_raster(M.i, M.t, axes=axes[0])
    assert np.allclose(axes[0].lines[0].get_xdata(), M.t_ / 1e-3)
    plot_state(S.t, S.v.T, var_name="v", axes=axes[1])
    assert axes[1].get_ylabel() == "v" and len(axes[1].lines) == 5
    plot_rate(R.t, R.rate, axes=axes[2])
    assert axes[2].get_ylabel() == "rate (Hz)"
    fig2, ax = plt.subplots()
    plot_state([0, 1] * ms, [-70, -60] * mV, var_name="v", axes=ax)
    assert ax.get_ylabel() == "v (mV)" and np.allclose(ax.lines[0].get_ydata(), [-70, -60])
