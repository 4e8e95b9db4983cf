"""NeuronGroup state access, refractoriness, scheduling, monitors and the run loop."""

import numpy as np
import pytest

from sim import (
    Clock,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    defaultclock,
    ms,
    mV,
    nA,
    prefs,
    run,
    second,
    seed,
    start_scope,
    volt,
)

# the conformance suite: every test runs on every code-generation target
pytestmark = pytest.mark.usefixtures("codegen_target")


def test_state_access_with_units_and_strings():
    G = NeuronGroup(10, "v : volt\nw : 1\nflag : boolean")
    G.v = -60 * mV
    assert np.allclose(G.v_, -0.06)
    G.v[:3] = -70 * mV
    assert np.allclose(G.v[:3] / mV, -70)
    G.v = "-60*mV + i*mV"
    assert np.allclose(G.v[:] / mV, -60 + np.arange(10))
    G.w = "i*1.0/N"
    assert np.allclose(G.w[:], np.arange(10) / 10)
    G.v["i >= 5"] = 0 * mV
    assert np.all(G.v[5:] == 0 * mV)
    G.v[:2] = "5*mV"
    assert np.allclose(G.v[:2] / mV, 5)
    G.flag = "i % 2 == 0"
    assert list(G.flag[:4]) == [True, False, True, False]
    seed(1)
    G.v = "-60*mV + 10*mV*rand()"
    values = G.v[:] / mV
    assert np.all((values >= -60) & (values < -50)) and len(set(values)) == 10
    assert str(G.v[0]).endswith("mV")
    assert (G.v + 1 * mV).dim == volt.dim
    with pytest.raises(AttributeError, match="no variable 'u'"):
        G.u  # noqa: B018
    with pytest.raises(AttributeError, match="no such variable"):
        G.u = 3
    with pytest.raises(TypeError, match="read-only"):
        G.i = 3


def test_subexpression_read_and_read_only():
    G = NeuronGroup(3, "v : volt\nI = v/(10*volt)*nA : amp")
    G.v = [1, 2, 3] * mV
    assert np.allclose(G.I[:] / nA, np.array([1, 2, 3]) * 1e-4)
    with pytest.raises(TypeError, match="subexpression"):
        G.I = 1 * nA


def test_subgroups_share_state_and_index_locally():
    G = NeuronGroup(10, "v : volt")
    sub = G[4:8]
    assert len(sub) == 4
    sub.v = "i*mV"
    assert np.allclose(G.v[:] / mV, [0, 0, 0, 0, 0, 1, 2, 3, 0, 0][:4] + [0, 1, 2, 3] + [0, 0])
    with pytest.raises(IndexError):
        G[5:5]


def test_subgroup_spike_monitor():
    G = NeuronGroup(10, "v : 1", threshold="i >= 3", reset="v = 1")
    M_all = SpikeMonitor(G)
    M_sub = SpikeMonitor(G[2:6])
    run(1 * ms)
    assert M_all.num_spikes == 7 * 10
    assert set(M_sub.i) == {1, 2, 3}
    assert M_sub.count.tolist() == [0, 10, 10, 10]


def test_refractory_never_spikes_during_refractoriness():
    G = NeuronGroup(3, "v : 1", threshold="True", refractory=5 * ms)
    M = SpikeMonitor(G)
    run(32 * ms)
    t = M.spike_trains()[0] / ms
    assert np.allclose(t, np.arange(0, 32, 5))
    assert M.count.tolist() == [7, 7, 7]


def test_refractory_as_expression_per_neuron():
    G = NeuronGroup(2, "ref : second", threshold="True", refractory="ref")
    G.ref = [2, 3] * ms
    M = SpikeMonitor(G)
    run(12 * ms)
    trains = M.spike_trains()
    assert np.allclose(trains[0] / ms, np.arange(0, 12, 2))
    assert np.allclose(trains[1] / ms, np.arange(0, 12, 3))


def test_unless_refractory_clamps_voltage():
    eqs = "dv/dt = (2*volt - v)/(10*ms) : volt (unless refractory)\n dw/dt = 1/ms : 1"
    G = NeuronGroup(1, eqs, threshold="v > 1*volt", reset="v = 0*volt", refractory=3 * ms)
    M = StateMonitor(G, ["v", "w"], record=0)
    S = SpikeMonitor(G)
    run(30 * ms)
    first = S.t_[0]
    t = M.t_
    during = (t > first + 1e-9) & (t < first + 3e-3 - 1e-9)
    assert during.sum() == 29
    assert np.all(M.v_[0][during] == 0)
    # w has no flag: it keeps integrating during refractoriness
    assert np.allclose(M.w_[0], t * 1000, atol=1e-9)


def test_boolean_refractory_holds_until_condition_false():
    G = NeuronGroup(1, "dv/dt = -v/(5*ms) : 1", threshold="True", reset="v = 1",
                    refractory="v > 0.5")
    M = SpikeMonitor(G)
    run(20 * ms)
    isi = np.diff(M.t_)
    # v decays from 1 to 0.5 in 5*ln(2) ms = 3.47 ms; the refractory condition is
    # checked at the start of a step, before that step's integration, so it first sees
    # v <= 0.5 after 35 updates, i.e. at the step 3.6 ms after the spike
    assert np.allclose(isi, 3.6e-3)


def test_spike_monitor_arrays_and_dicts():
    G = NeuronGroup(3, "v : 1", threshold="i == 1")
    M = SpikeMonitor(G)
    run(0.5 * ms)
    assert M.i.tolist() == [1] * 5
    assert np.allclose(M.t / ms, [0, 0.1, 0.2, 0.3, 0.4])
    assert M.t.dim == second.dim
    assert M.num_spikes == 5 and len(M) == 5
    assert list(M.spiketimes[1] / ms) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    assert len(M.spike_trains()[0]) == 0


def test_state_monitor_units_shapes_and_dt():
    G = NeuronGroup(4, "dv/dt = 1*volt/second : volt")
    M = StateMonitor(G, "v", record=[1, 3])
    M2 = StateMonitor(G, "v", record=True, dt=1 * ms)
    run(10 * ms)
    assert M.v.shape == (2, 100)
    assert M.v.dim == volt.dim
    assert np.allclose(M.t / ms, np.arange(100) * 0.1)
    # recorded at the start of each step: before the update of that step
    assert np.allclose(M[3].v / mV, np.arange(100) * 0.1)
    assert M2.v.shape == (4, 10)
    assert np.allclose(M2.t_, np.arange(10) * 1e-3)
    with pytest.raises(IndexError):
        M[0]


def test_two_runs_equal_one_run_exactly():
    def simulate(split):
        start_scope()
        seed(42)
        eqs = "dv/dt = (1.1 - v)/(10*ms) + 0.3*xi/sqrt(10*ms) : 1"
        G = NeuronGroup(50, eqs, threshold="v > 1", reset="v = 0", refractory=2 * ms)
        G.v = "rand()"
        M = SpikeMonitor(G)
        S = StateMonitor(G, "v", record=[0, 7])
        net = Network(G, M, S)
        if split:
            net.run(50 * ms)
            net.run(50 * ms)
        else:
            net.run(100 * ms)
        return M.i, M.t_, S.v_, G.v_.copy()

    a = simulate(False)
    b = simulate(True)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    assert len(a[0]) > 100


def test_dt_change_between_runs():
    G = NeuronGroup(1, "dv/dt = 1/second : 1")
    M = StateMonitor(G, "v", record=0)
    net = Network(G, M)
    net.run(1 * ms)
    defaultclock.dt = 0.25 * ms
    net.run(1 * ms)
    assert np.allclose(M.t / ms, list(np.arange(10) * 0.1) + [1.0, 1.25, 1.5, 1.75])
    assert G.v[0] == pytest.approx(2e-3)
    assert net.t == 2 * ms


def test_scheduling_order_within_step():
    # the threshold sees the state updated in the same step; the reset happens after it
    G = NeuronGroup(1, "dv/dt = 1/ms : 1", threshold="v > 0.25", reset="v = 0")
    M = StateMonitor(G, "v", record=0)
    S = SpikeMonitor(G)
    run(1 * ms)
    # v: 0, .1, .2, (.3 -> spike at t=0.2 ms, reset) 0, .1, .2, ...
    assert np.allclose(S.t / ms, [0.2, 0.5, 0.8])
    assert np.allclose(M.v_[0][:4], [0, 0.1, 0.2, 0.0])


def test_when_and_order_respected():
    G = NeuronGroup(1, "dv/dt = 1/ms : 1")
    M_start = StateMonitor(G, "v", record=0)
    M_end = StateMonitor(G, "v", record=0, when="end")
    run(0.3 * ms)
    assert np.allclose(M_start.v_[0], [0, 0.1, 0.2])
    assert np.allclose(M_end.v_[0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="Unknown scheduling slot"):
        StateMonitor(G, "v", when="later")


def test_several_clocks_in_one_network():
    fast = NeuronGroup(1, "dv/dt = 1/ms : 1", dt=0.1 * ms)
    slow = NeuronGroup(1, "dv/dt = 1/ms : 1", clock=Clock(0.3 * ms))
    Mf = StateMonitor(fast, "v", record=0)
    Ms = StateMonitor(slow, "v", record=0)
    run(3 * ms)
    assert Mf.n == 30 and Ms.n == 10
    assert fast.v[0] == pytest.approx(3.0) and slow.v[0] == pytest.approx(3.0)
    assert np.allclose(Ms.t / ms, np.arange(10) * 0.3)


def test_magic_run_collects_only_visible_objects():
    G = NeuronGroup(1, "dv/dt = 1/second : 1")
    run(1 * ms)
    assert G.v[0] == pytest.approx(1e-3)
    start_scope()
    H = NeuronGroup(1, "dv/dt = 1/second : 1")
    run(2 * ms)
    assert G.v[0] == pytest.approx(1e-3)  # G belongs to the old scope
    assert H.v[0] == pytest.approx(2e-3)


def test_run_report_callable_and_text(capsys):
    G = NeuronGroup(1, "dv/dt = 1/second : 1")
    calls = []
    run(1 * ms, report=lambda elapsed, done, start, dur: calls.append(done))
    assert calls[0] == 0 and calls[-1] == 1
    run(1 * ms, report="text")
    out = capsys.readouterr().out
    assert "Starting simulation" in out and "100%" in out
    with pytest.raises(ValueError, match="report"):
        run(1 * ms, report="loud")
    del G


def test_prefs_target():
    prefs.codegen.target = "numpy"
    with pytest.raises(ValueError, match="prefs.codegen.target"):
        prefs.codegen.target = "fortran"
    from sim.codegen.cuda_runtime import CudaUnavailable, get_backend

    prefs.codegen.cuda_backend = "auto"
    try:
        get_backend()
    except CudaUnavailable:  # no GPU here: the target is refused, saying what is missing
        with pytest.raises(ValueError, match="target = 'cuda': No CUDA backend"):
            prefs.codegen.target = "cuda"
        assert prefs.codegen.target == "numpy"  # a refused value leaves the preference alone
    prefs.codegen.cuda_backend = "host"  # the CUDA source run on the CPU: always available
    prefs.codegen.target = "cuda"
    assert prefs.codegen.target == "cuda"
    prefs.codegen.target = "numpy"
    with pytest.raises(AttributeError, match="No preference"):
        prefs.codegen.nonsense = 1


def test_float32_group():
    G = NeuronGroup(5, "dv/dt = -v/(10*ms) : 1", dtype=np.float32)
    G.v = 1
    run(10 * ms)
    assert G.v_.dtype == np.float32
    assert np.allclose(G.v[:], np.exp(-1), rtol=1e-5)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="positive integer"):
        NeuronGroup(0, "v : 1")
    with pytest.raises(TypeError, match="refractory"):
        NeuronGroup(1, "v : 1", threshold="v > 1", refractory=[1])
    from sim import DimensionMismatchError

    with pytest.raises(DimensionMismatchError):
        NeuronGroup(1, "v : 1", threshold="v > 1", refractory=5 * mV)
    with pytest.raises(ValueError, match="needs a threshold"):
        NeuronGroup(1, "v : 1", reset="v = 0")


def test_get_states_and_set_states():
    G = NeuronGroup(3, """dv/dt = (1.5 - v)/(10*ms) : 1
                          u : volt
                          w = 2*v : 1""", threshold="v > 1", reset="v = 0")
    G.u = [1, 2, 3] * mV
    S = SpikeMonitor(G, variables="u")
    run(30 * ms)
    states = G.get_states(["v", "u"])
    assert np.allclose(states["u"] / mV, [1, 2, 3]) and states["v"].shape == (3,)
    assert sorted(G.get_states()) == ["i", "u", "v"]
    assert sorted(G.get_states(subexpressions=True, read_only_variables=False)) == [
        "u", "v", "w"]
    plain = G.get_states(["u"], units=False)["u"]
    assert isinstance(plain, np.ndarray) and np.allclose(plain, [1e-3, 2e-3, 3e-3])
    G.set_states({"u": [4, 5, 6] * mV, "v": [0, 0.1, 0.2]})
    assert np.allclose(G.u[:] / mV, [4, 5, 6]) and np.allclose(G.v[:], [0, 0.1, 0.2])
    G.set_states({"u": [1, 1, 1]}, units=False)  # plain SI values
    assert np.allclose(G.u[:] / volt, 1)
    with pytest.raises(Exception, match="wrong units"):
        G.set_states({"u": [1, 2, 3]})
    with pytest.raises(KeyError, match="no variable 'x'"):
        G.get_states(["x"])
    # the spike monitor's per-neuron values (Brian 2's values / all_values / it_)
    assert S.num_spikes == 6
    assert np.allclose(S.values("u")[0] / mV, [1, 1]) and set(S.all_values()) == {"t", "u"}
    assert np.array_equal(S.it_[1], S.t_)
    try:
        import pandas  # noqa: F401
    except ImportError:
        return
    frame = G.get_states(["v", "u"], format="pandas")
    assert list(frame.columns) == ["v", "u"] and len(frame) == 3


def test_default_names_and_same_slot_order_follow_brian2():
    """Default names as Brian 2 makes them (``neurongroup``, ``neurongroup_1``...), and
    objects in the same slot with the same order run in the order of their names: a
    group reading a linked variable of a group created before it updates first (Brian
    2.9 gives these values for this script)."""
    import gc

    from sim import StateMonitor, linked_var, scheduling_summary

    gc.collect()  # names are unique among living objects: let earlier tests' objects go
    src = NeuronGroup(1, "dx/dt = (1.5 - x)/(10*ms) : 1", method="exact")
    tgt = NeuronGroup(1, "dv/dt = (x - v)/(10*ms) : 1\nx : 1 (linked)", method="euler")
    tgt.x = linked_var(src, "x")
    M = StateMonitor(tgt, "v", record=0)
    assert (src.name, tgt.name, M.name) == ("neurongroup", "neurongroup_1", "statemonitor")
    run(0.3 * ms)
    assert np.allclose(M.v[0], [0, 0, 1.4925e-4], atol=1e-8)
    names = [row[0] for row in scheduling_summary().rows]
    assert names.index("neurongroup_1_stateupdater") < names.index("neurongroup_stateupdater")


def test_a_shared_variable_reads_as_one_value():
    G = NeuronGroup(3, "s : volt (shared)\nv : 1")
    G.s = 2 * mV
    assert np.ndim(G.s[:]) == 0 and float(G.s[:] / mV) == 2  # Brian 2: a scalar
    assert repr(G.s) == f"<{G.name}.s: 2. * mvolt>"
