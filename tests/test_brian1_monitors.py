"""Brian 1's monitor idioms (issue 14, item 1): SpikeMonitor.spikes/nspikes,
StateMonitor.times and trace[i] as the trace, RecentStateMonitor's, and .plot()."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sim import (  # noqa: E402
    Network,
    NeuronGroup,
    RecentStateMonitor,
    SpikeMonitor,
    StateMonitor,
    ms,
    mV,
    start_scope,
)


def _net():
    start_scope()
    G = NeuronGroup(3, "dv/dt = 1/((i + 1)*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="euler")
    return G


def test_spikes_as_brian1_pairs():
    G = _net()
    M = SpikeMonitor(G)
    Network(G, M).run(5 * ms)
    pairs = M.spikes
    assert M.nspikes == M.num_spikes == len(pairs) == 7
    i, t = zip(*pairs, strict=True)
    assert list(i) == list(M.i) and np.allclose(t, M.t_)
    assert all(isinstance(x, float) for x in t)  # seconds, as Brian 1 stored them


def test_state_monitor_traces_brian1_and_brian2_style():
    G = _net()
    S = StateMonitor(G, "v", record=True)
    Network(G, S).run(2 * ms)
    assert np.array_equal(S.times, S.t) and np.array_equal(S.times_, S.t_)
    trace = S[1]
    assert np.array_equal(np.asarray(trace), S.v[1])  # Brian 1: the trace itself
    assert np.array_equal(trace[:3], S.v[1][:3]) and len(trace) == len(S.t)
    assert np.allclose(trace * 2, 2 * S.v[1]) and np.max(trace) == np.max(S.v[1])
    assert np.array_equal(trace.v, S.v[1])  # Brian 2's view still works
    start_scope()
    H = NeuronGroup(2, "v : volt\nw : 1")
    two = StateMonitor(H, ["v", "w"], record=True)
    Network(H, two).run(0.3 * ms)
    with pytest.raises(TypeError, match="records v, w"):
        two[0][:2]
    assert two[0].w.shape == (3,)


def test_recent_monitor_brian1_access_and_plots():
    start_scope()
    G = NeuronGroup(3, "dv/dt = (i*mV - v)/(2*ms) : volt", method="exact")
    R = RecentStateMonitor(G, "v", record=[0, 2], duration=1 * ms)
    S = StateMonitor(G, "v", record=True)
    Network(G, R, S).run(3 * ms)
    assert np.allclose(R.times_, np.arange(20, 30) * 1e-4)
    assert np.allclose(R[2], S.v[2][-10:]) and R[2].dim == mV.dim
    with pytest.raises(IndexError, match="element 1"):
        R[1]
    lines = R.plot(cmap="viridis")
    assert len(lines) == 2
    plt.figure()
    lines = S.plot(indices=[1])
    assert np.allclose(lines[0].get_ydata(), S.v[1] / mV)
    plt.close("all")
