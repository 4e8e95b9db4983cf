"""Long recordings (issue 15, item 9): monitors reserve exactly the rows a run adds,
return their data as views (no second copy), and refuse, before the run, a recording
that cannot fit in memory, with the figure and the ways to record less."""

import tracemalloc

import numpy as np
import pytest

import sim.monitors as monitors
from sim import (
    Network,
    NeuronGroup,
    PopulationRateMonitor,
    RecordingMemoryError,
    SpikeMonitor,
    StateMonitor,
    defaultclock,
    ms,
    mV,
    network_operation,
    volt,
)


def _lif(n=6):
    G = NeuronGroup(n, "dv/dt = (40*mV + 5*i*mV - v)/(10*ms) : volt\nw = 2*v : volt",
                    threshold="v > 15*mV", reset="v = 0*mV", method="exact")
    return G


def test_state_monitor_reserves_exactly_the_steps_of_each_run(codegen_target):
    G = _lif(3)
    M = StateMonitor(G, "v")
    slow = StateMonitor(G, "v", record=[1], dt=1 * ms)
    R = PopulationRateMonitor(G)
    seen = []

    @network_operation(when="end")
    def probe():
        seen.append((M.n, M.capacity, slow.capacity, R._rates.capacity))

    net = Network(G, M, slow, R, probe)
    net.run(10 * ms)
    # room for the whole run from its first step, never grown during it
    assert {cap for _, cap, _, _ in seen} == {100}
    assert {cap for _, _, cap, _ in seen} == {10}  # its own clock's steps
    assert {cap for _, _, _, cap in seen} == {100}
    assert [n for n, *_ in seen] == list(range(1, 101))
    assert M.capacity == M.n == 100
    assert M.nbytes == 100 * (3 * 8 + 8)
    assert slow.capacity == slow.n == 10
    seen.clear()
    net.run(5 * ms)  # extended once, to exactly the new total
    assert {cap for _, cap, _, _ in seen} == {150}
    assert {cap for _, _, cap, _ in seen} == {15}
    assert M.capacity == M.n == 150
    assert R.nbytes == 150 * 16


def _record(durations, target):
    from sim import prefs, start_scope

    start_scope()
    prefs.codegen.target = target
    defaultclock.dt = 0.1 * ms
    G = _lif()
    M = StateMonitor(G, ["v", "w"], record=[4, 0, 2])
    S = SpikeMonitor(G, variables="v")
    R = PopulationRateMonitor(G)
    net = Network(G, M, S, R)
    for d in durations:
        net.run(d * ms)
    return M, S, R


def test_several_runs_give_the_data_of_one_long_run(codegen_target):
    one = _record([12], codegen_target)
    three = _record([3, 4, 5], codegen_target)
    for a, b in zip(one, three, strict=True):
        assert a.nbytes == b.nbytes
    M1, S1, R1 = one
    M3, S3, R3 = three
    assert M1.v.shape == M3.v.shape == (3, 120)
    assert np.array_equal(M1.v_, M3.v_)
    assert np.array_equal(M1.w_, M3.w_)
    assert np.array_equal(M1.t_, M3.t_)
    assert np.array_equal(M1.t_, np.arange(120) * 1e-4)
    assert S1.num_spikes > 10
    assert np.array_equal(S1.i, S3.i)
    assert np.array_equal(S1.t_, S3.t_)
    assert np.array_equal(S1.v_, S3.v_)
    assert np.array_equal(R1.rate_, R3.rate_)
    assert np.array_equal(R1.t_, R3.t_)


def test_numpy_and_numba_record_the_same():
    pytest.importorskip("numba")
    a = _record([3, 4, 5], "numpy")
    b = _record([3, 4, 5], "numba")
    assert np.allclose(a[0].v_, b[0].v_, rtol=1e-12, atol=0)
    assert np.array_equal(a[0].t_, b[0].t_)
    assert np.array_equal(a[1].i, b[1].i)
    assert np.array_equal(a[1].t_, b[1].t_)
    assert np.array_equal(a[2].rate_, b[2].rate_)
    assert a[0].nbytes == b[0].nbytes


def test_values_are_read_only_views_of_the_storage_with_brian2_shapes(codegen_target):
    G = _lif()
    M = StateMonitor(G, "v", record=[4, 1])
    everything = StateMonitor(G, "v")
    masked = StateMonitor(G, "v", record=np.arange(6) % 2 == 1)
    S = SpikeMonitor(G)
    net = Network(G, M, everything, masked, S)
    net.run(5 * ms)
    v = M.v
    assert v.shape == (2, 50) and M.t.shape == (50,)
    assert v.dim == volt.dim and M.t.dim.__str__() == "s"
    storage = M._buffers["v"].data
    assert np.shares_memory(v, storage) and np.shares_memory(M.v_, storage)
    # mon[i].v is a copy, as Brian 2's StateMonitorView (Quantity(..., copy=True)): the
    # examples write into it (tests/test_brian2_examples_gaps.py)
    assert not np.shares_memory(M[4].v, storage)
    assert np.shares_memory(M.t_, M._times.data)
    assert np.shares_memory(S.i, S._ibuf.data) and np.shares_memory(S.t_, S._tbuf.data)
    # Brian 2's layout: row k is the trace of element record[k]
    assert np.array_equal(M.v_, everything.v_[[4, 1]])
    assert np.array_equal(masked.v_, everything.v_[[1, 3, 5]])
    assert np.array_equal(M[4].v_, everything.v_[4])
    assert np.array_equal(masked[3].v, everything[3].v)
    assert M[1].v.dim == volt.dim
    with pytest.raises(IndexError):
        M[2]
    with pytest.raises(ValueError):
        v[0, 0] = 1 * mV  # the recording cannot be changed through a view
    with pytest.raises(ValueError):
        S.i[0] = 3
    kept = v.copy()
    net.run(5 * ms)  # a view held: the buffer is copied once, the view stays valid
    assert np.array_equal(v, kept)
    assert M.v.shape == (2, 100)
    assert np.array_equal(M.v_[:, :50], np.asarray(kept))
    assert M.capacity == 100


def test_store_restore_keeps_the_recording(codegen_target):
    G = _lif()
    M = StateMonitor(G, "v", record=[0, 5])
    S = SpikeMonitor(G)
    net = Network(G, M, S)
    net.run(4 * ms)
    net.store()
    first_v, first_t, first_i = M.v_.copy(), M.t_.copy(), S.i.copy()
    net.run(6 * ms)
    long_v, long_i = M.v_.copy(), S.i.copy()
    net.restore()
    assert M.n == 40 and np.array_equal(M.v_, first_v) and np.array_equal(M.t_, first_t)
    assert np.array_equal(S.i, first_i)
    assert np.shares_memory(M.v, M._buffers["v"].data)
    net.run(6 * ms)
    assert np.array_equal(M.v_, long_v)
    assert np.array_equal(S.i, long_i)
    assert M.capacity == M.n == 100


def test_a_recording_too_large_for_memory_is_refused_before_the_run(codegen_target):
    n, steps = 100_000, 10**7
    G = NeuronGroup(n, "dv/dt = -v/(10*ms) : volt")
    G.v = "i*mV"
    M = StateMonitor(G, "v", record=True)
    net = Network(G, M)
    with pytest.raises(RecordingMemoryError) as info:
        net.run(steps * defaultclock.dt)
    assert isinstance(info.value, MemoryError)
    message = str(info.value)
    need = steps * (n * 8 + 8)
    assert f"{need:,} bytes" in message
    assert f"{need / 2**30:,.1f} GiB" in message
    assert f"'{M.name}'" in message and "'v'" in message
    assert f"{n} neurons x {steps} time steps" in message
    assert "dt=" in message and "record=" in message and "Nothing has run" in message
    # nothing ran, nothing was reserved, and the network goes on
    assert float(net.t) == 0 and M.n == 0 and M.capacity == 0
    assert np.allclose(G.v_, np.arange(n) * 1e-3)
    net.run(1 * ms)
    assert M.v.shape == (n, 10) and float(net.t) == pytest.approx(1e-3)


def test_refusal_uses_the_available_memory_and_keeps_earlier_data(codegen_target,
                                                                  monkeypatch):
    G = _lif(4)
    M = StateMonitor(G, ["v", "w"])
    R = PopulationRateMonitor(G)
    net = Network(G, M, R)
    net.run(2 * ms)
    before = M.v_.copy()
    monkeypatch.setattr(monitors, "_available_memory", lambda: 10_000)
    with pytest.raises(RecordingMemoryError) as info:
        net.run(100 * ms)  # 1000 steps x (2 x 4 x 8 + 8) bytes = 72,000 bytes
    message = str(info.value)
    assert "72,000 bytes" in message and "only 9.8 KiB" in message
    assert "one step in 8 or fewer" in message
    assert "fewer variables" in message and "record= a subset of at most" in message
    assert M.n == 20 and np.array_equal(M.v_, before) and float(net.t) == pytest.approx(2e-3)
    net.run(1 * ms)  # 10 steps fit
    assert M.n == 30 and np.array_equal(M.v_[:, :20], before)
    monkeypatch.setattr(monitors, "_available_memory", lambda: 72_000 + 160 * 100)
    net.run(100 * ms)  # both monitors fit together
    assert M.n == R.t.shape[0] == 1030


def test_a_failed_allocation_becomes_the_clear_error(codegen_target, monkeypatch):
    G = _lif(2)
    M = StateMonitor(G, "v")
    net = Network(G, M)

    def refuse(self, rows):
        raise MemoryError("no")

    monkeypatch.setattr(monitors._Growable, "_resize", refuse)
    with pytest.raises(RecordingMemoryError, match="could not be allocated"):
        net.run(1 * ms)
    assert M.n == 0 and float(net.t) == 0
    monkeypatch.undo()
    net.run(1 * ms)
    assert M.n == 10


def test_available_memory_is_a_positive_byte_count():
    available = monitors._available_memory()
    assert available is None or available > 0


@pytest.mark.parametrize("target", ["numpy", "numba"])
def test_peak_memory_of_a_long_recording_and_its_reading(target):
    if target == "numba":
        pytest.importorskip("numba")
    from sim import prefs

    prefs.codegen.target = target
    n, steps = 1000, 4000
    G = NeuronGroup(n, "dv/dt = (1 - v)/(10*ms) : 1")
    M = StateMonitor(G, "v")
    net = Network(G, M)
    net.run(1 * defaultclock.dt)  # compile outside the measurement
    data = n * steps * 8
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        net.run(steps * defaultclock.dt)
        v = M.v
        total = float(v.sum())
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert v.shape == (n, steps + 1) and np.isfinite(total)
    # the recording itself, once: not 3x (doubling) and not a second transposed copy
    assert data <= peak < 1.3 * data, (peak, data)


@pytest.mark.parametrize("target", ["numpy", "numba"])
def test_spike_buffers_grow_by_a_quarter_in_place_not_by_doubling(target):
    if target == "numba":
        pytest.importorskip("numba")
    from sim import prefs

    prefs.codegen.target = target
    G = NeuronGroup(500, "v : 1", threshold="True")
    S = SpikeMonitor(G)
    net = Network(G, S)
    net.run(1 * defaultclock.dt)  # compile outside the measurement
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        net.run(200 * defaultclock.dt)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    data = 500 * 201 * 16
    assert S.num_spikes == 500 * 201
    assert np.array_equal(np.bincount(S.i), np.full(500, 201))
    assert S.nbytes == data  # the spare room is given back after the run
    assert peak < 1.5 * data, (peak, data)
