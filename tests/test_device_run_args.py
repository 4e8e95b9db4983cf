"""Brian 2's repeated full runs on the standalone devices: ``device.run(run_args=...)``
(issue 20), with the examples of Brian 2's documentation ("Multiple full simulation
runs")."""

from __future__ import annotations

import numpy as np
import pytest

from sim import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    device,
    ms,
    reset_device,
    run,
    seed,
    set_device,
    start_scope,
)


@pytest.fixture
def standalone():
    start_scope()
    set_device("cpp_standalone", build_on_run=False)
    yield
    device.reinit()
    reset_device()


def test_parameters_explored_with_the_same_random_initialisation(standalone):
    seed(111)  # same random numbers for each run
    group = NeuronGroup(10, """dv/dt = -v / tau : 1
                               tau : second (shared, constant)""")
    group.v = "rand()"
    mon = StateMonitor(group, "v", record=0)
    run(100 * ms)
    device.build(run=False)
    results = []
    taus = (np.arange(4) + 1) * 5 * ms
    for tau_value in taus:
        device.run(run_args={group.tau: tau_value})
        results.append(np.asarray(mon.v[0]).copy())
    v0 = results[0][0]
    assert all(r[0] == v0 for r in results) and all(r.size == 1000 for r in results)
    t = np.asarray(mon.t_)
    for r, tau in zip(results, taus, strict=True):  # exact decay from the same start
        assert np.allclose(r, v0 * np.exp(-t / float(tau)), rtol=1e-3)


def test_initial_values_given_as_arrays(standalone):
    group = NeuronGroup(10, "dv/dt = -v / (10*ms) : 1")
    mon = StateMonitor(group, "v", record=True)
    run(100 * ms)
    device.build(run=False)
    for idx in range(3):
        device.run(run_args={group.v: np.arange(10) * 0.01 + 0.1 * idx})
        assert np.allclose(np.asarray(mon.v)[:, 0], np.arange(10) * 0.01 + 0.1 * idx)
        assert np.asarray(mon.t_).size == 1000  # the monitor holds this run only


def test_timed_array_values_replaced(standalone):
    stim = TimedArray(np.zeros(10), dt=10 * ms)
    group = NeuronGroup(1, "dv/dt = (stim(t) - v)/(10*ms) : 1")
    mon = StateMonitor(group, "v", record=True)
    run(100 * ms)
    device.build(run=False)
    peaks = []
    for k in (2, 7):
        values = np.zeros(10)
        values[k] = 1
        device.run(run_args={stim: values})
        v = np.asarray(mon.v[0])
        peaks.append(int(np.argmax(v)))
        assert v.max() > 0.5
    # the response peaks at the end of the 10 ms pulse
    assert peaks == [300, 800]  # (recorded at the start of each step)
    with pytest.raises(ValueError, match="shape"):
        device.run(run_args={stim: np.zeros(5)})


def test_noise_new_each_repetition_without_seed_and_the_same_with_one(standalone):
    def model():
        G = NeuronGroup(20, "dv/dt = -v/(10*ms) + xi/sqrt(10*ms) : 1", method="euler")
        return G, StateMonitor(G, "v", record=[0])

    seed()  # fresh entropy, as a script that never seeds (earlier tests did)
    G, mon = model()
    run(20 * ms)
    device.build(run=False)
    device.run()
    a = np.asarray(mon.v[0]).copy()
    device.run()
    b = np.asarray(mon.v[0]).copy()
    assert not np.array_equal(a, b)  # new random numbers (no seed)
    device.reinit()
    start_scope()
    seed(5)
    G, mon = model()
    run(20 * ms)
    device.build(run=False)
    device.run()
    a = np.asarray(mon.v[0]).copy()
    device.run()
    assert np.array_equal(a, np.asarray(mon.v[0]))  # seeded: the same numbers


def test_build_on_run_and_several_runs_and_an_explicit_network():
    start_scope()
    set_device("cpp_standalone")  # build_on_run=True: run() runs at once
    try:
        G = NeuronGroup(5, "dv/dt = (1.1 - v)/(10*ms) : 1", threshold="v > 1",
                        reset="v = 0", method="exact")
        G.v = "i/5."
        M = SpikeMonitor(G)
        net = Network(G, M)
        net.run(30 * ms)
        net.run(20 * ms)  # a second segment, continuing
        first = (np.asarray(M.i).copy(), np.asarray(M.t_).copy())
        assert len(first[0]) > 0 and first[1].max() > 30e-3
        device.run()  # both segments again from the initial state
        assert np.array_equal(M.i, first[0]) and np.array_equal(M.t_, first[1])
        device.run(run_args={G.v: 0.0})  # in phase: all five fire together
        t = np.asarray(M.t_)
        assert len(set(t.round(9))) == len(t) // 5
    finally:
        device.reinit()
        reset_device()


def test_repetition_refused_where_it_cannot_happen():
    start_scope()
    G = NeuronGroup(1, "v : 1")
    Network(G).run(1 * ms)  # the runtime device: no repetitions
    with pytest.raises(NotImplementedError, match="standalone"):
        device.run()
    set_device("cpp_standalone", build_on_run=False)
    try:
        device.build(run=False)
        with pytest.raises(RuntimeError, match="no simulation to run again"):
            device.run()
    finally:
        device.reinit()
        reset_device()
