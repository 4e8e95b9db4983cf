"""Synapses: connectivity, propagation, delays, summed and event-driven variables, plasticity."""

import numpy as np
import pytest

from sim import (
    DimensionMismatchError,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    mV,
    run,
    second,
    seed,
)

# the conformance suite: every test runs on every code-generation target
pytestmark = pytest.mark.usefixtures("codegen_target")


def _generator(n, indices, times):
    return SpikeGeneratorGroup(n, indices, times * ms)


def test_on_pre_accumulates_over_repeated_targets():
    G = _generator(2, [0, 0, 1], np.array([0.0, 0.2, 0.5]))
    H = NeuronGroup(4, "v : volt")
    S = Synapses(G, H, "w : volt", on_pre="v += w")
    S.connect(i=[0, 0, 0, 1], j=[0, 1, 1, 3])
    S.w = "j*mV + 1*mV"
    run(1 * ms)
    assert np.allclose(H.v[:] / mV, [2, 8, 0, 4])
    assert len(S) == 4


def test_homogeneous_delay_delivers_exactly_delay_later():
    G = _generator(1, [0, 0], np.array([0.3, 1.0]))
    H = NeuronGroup(1, "v : 1")
    S = Synapses(G, H, on_pre="v += 1", delay=2 * ms)
    S.connect()
    M = StateMonitor(H, "v", record=0, when="end")
    run(5 * ms)
    steps = np.flatnonzero(np.diff(np.r_[0, M.v[0]]))
    assert list(steps) == [23, 30]


def test_heterogeneous_delays_per_synapse():
    G = _generator(1, [0], np.array([0.5]))
    H = NeuronGroup(4, "v : 1\narrival : second")
    S = Synapses(G, H, on_pre="arrival = t")
    S.connect(j="k for k in range(4)")
    S.delay = "j*1.5*ms"
    run(10 * ms)
    assert np.allclose(H.arrival[:] / ms, 0.5 + np.arange(4) * 1.5)
    assert np.allclose(S.delay[:] / ms, np.arange(4) * 1.5)


def test_delays_changed_between_runs_lose_and_repeat_nothing():
    G = _generator(1, [0, 0, 0], np.array([0.0, 2.0, 6.0]))
    H = NeuronGroup(2, "count : 1\nlast : second")
    S = Synapses(G, H, on_pre="count += 1; last = t")
    S.connect(j="k for k in range(2)")
    S.delay = [3, 1] * ms
    net = Network(G, H, S)
    net.run(2.5 * ms)  # spike at 0 delivered (1 ms) to neuron 1 only; spike at 2 ms pending
    S.delay = [1, 4] * ms
    net.run(10 * ms)
    # neuron 0: spikes at 0, 2 (old delay 3) and 6 (new delay 1): 3 deliveries
    # neuron 1: spike at 0 (1 ms), at 2 (old delay 1: 3 ms), at 6 (new delay 4: 10 ms)
    assert list(H.count[:]) == [3, 3]
    assert np.allclose(H.last[:] / ms, [7, 10])


def test_subgroup_source_with_delays_delivers_every_spike():
    # Brian 1 lost spikes from subgroups with delays
    times = np.arange(0, 5, 0.3)
    G = SpikeGeneratorGroup(10, np.tile([3, 7], len(times)), np.repeat(times, 2) * ms)
    H = NeuronGroup(2, "count : 1")
    S = Synapses(G[2:8], H, on_pre="count += 1")
    S.connect(i=[1, 5], j=[0, 1])
    S.delay = [0.7, 2.1] * ms
    run(10 * ms)
    assert list(H.count[:]) == [len(times), len(times)]


def test_random_connectivity_statistics_and_conditions():
    seed(3)
    G = NeuronGroup(300, "x : 1")
    S = Synapses(G, G)
    S.connect(p=0.1)
    expected = 300 * 300 * 0.1
    assert abs(len(S) - expected) < 4 * np.sqrt(expected * 0.9)
    S2 = Synapses(G, G)
    S2.connect("i != j")
    assert len(S2) == 300 * 299 and np.all(S2.i[:] != S2.j[:])
    S3 = Synapses(G, G)
    S3.connect(p="exp(-abs(i - j)*0.1)")
    d = np.abs(S3.i[:] - S3.j[:])
    counts = np.bincount(d, minlength=300)
    pairs = np.r_[300, 2 * (300 - np.arange(1, 300))]
    assert counts[0] == 300
    assert counts[10] / pairs[10] == pytest.approx(np.exp(-1), abs=0.08)
    S4 = Synapses(G, G)
    S4.connect(j="k for k in range(i - 3, i + 4) if k != i", skip_if_invalid=True)
    assert len(S4) == 300 * 6 - 12
    S5 = Synapses(G, G)
    S5.connect(j="i")
    assert np.array_equal(S5.i[:], S5.j[:])
    S6 = Synapses(G, G)
    S6.connect(condition=lambda i, j: (i + j) % 7 == 0, n=2)
    assert len(S6) == 2 * sum(1 for a in range(300) for b in range(300) if (a + b) % 7 == 0)
    S7 = Synapses(G, G)
    S7.connect(j="k for k in sample(N_post, p=0.2)")
    assert abs(len(S7) - 300 * 60) < 4 * np.sqrt(300 * 300 * 0.2 * 0.8)


def test_connect_errors_are_clear():
    G = NeuronGroup(3, "x : 1")
    S = Synapses(G, G)
    with pytest.raises(IndexError, match="outside"):
        S.connect(i=[0], j=[5])
    with pytest.raises(IndexError, match="skip_if_invalid"):
        S.connect(j="i + 1")
    with pytest.raises(TypeError, match="boolean"):
        S.connect("i + j")
    with pytest.raises(ValueError, match="p must lie"):
        S.connect(p=1.5)
    T = Synapses(G, G, on_pre="x += 1")
    with pytest.raises(TypeError, match="connect"):
        Network(G, T).run(1 * ms)


def test_synaptic_state_indexing_and_initialisation():
    G = NeuronGroup(3, "x : 1")
    H = NeuronGroup(2, "y : 1")
    S = Synapses(G, H, "w : 1")
    S.connect()
    S.w = "i*10 + j"
    assert list(S.w[1, :]) == [10, 11]
    assert list(S.w[:, 1]) == [1, 11, 21]
    assert list(S.w["i > j"]) == [10, 20, 21]
    S.w[2, 0] = 99
    assert S.w[2, 0][0] == 99
    S.w = lambda i, j: i - j
    assert list(S.w[:]) == [0, -1, 1, 0, 2, 1]
    G.x = [1, 2, 3]
    S.w = "x_pre * 2"
    assert list(S.w[:]) == [2, 2, 4, 4, 6, 6]
    with pytest.raises(DimensionMismatchError):
        S.w = 3 * mV


def test_summed_variable_is_the_sum_over_synapses():
    G = NeuronGroup(3, "x : 1")
    H = NeuronGroup(2, "total : 1\ndv/dt = (total - v)/ms : 1")
    S = Synapses(G, H, "w : 1\ntotal_post = w*x_pre : 1 (summed)")
    S.connect()
    G.x = [1, 2, 3]
    S.w = "j + 1"
    M = StateMonitor(H, "total", record=True)
    run(0.3 * ms)
    assert np.allclose(H.total[:], [6, 12])
    # the sum is written before the target's state update, in the first step too
    assert np.allclose(M.total[:, 1], [6, 12])


def test_clock_driven_synaptic_equation():
    G = NeuronGroup(1, "x : 1")
    S = Synapses(G, G, "dg/dt = -g/(5*ms) : 1 (clock-driven)")
    S.connect()
    S.g = 1
    run(10 * ms)
    assert S.g[0] == pytest.approx(np.exp(-2), rel=1e-9)
    assert S.method_used == "exact"


def test_stdp_pair_weight_change_matches_analytic_rule():
    taupre, taupost = 20 * ms, 20 * ms
    Apre, Apost = 0.01, -0.0105
    pre = _generator(1, [0], np.array([10.0]))
    post = _generator(1, [0], np.array([15.0]))
    S = Synapses(pre, post, """
        w : 1
        dapre/dt = -apre/taupre : 1 (event-driven)
        dapost/dt = -apost/taupost : 1 (event-driven)
        """,
        on_pre="apre += Apre; w = w + apost",
        on_post="apost += Apost; w = w + apre",
        namespace=dict(taupre=taupre, taupost=taupost, Apre=Apre, Apost=Apost))
    S.connect()
    S.w = 0.5
    run(30 * ms)
    assert S.w[0] == pytest.approx(0.5 + Apre * np.exp(-5 / 20), rel=1e-12)
    # pre after post: depression
    pre2 = _generator(1, [0], np.array([15.0]))
    post2 = _generator(1, [0], np.array([10.0]))
    S2 = Synapses(pre2, post2, """
        w : 1
        dapre/dt = -apre/taupre : 1 (event-driven)
        dapost/dt = -apost/taupost : 1 (event-driven)
        """, on_pre="apre += Apre; w = w + apost", on_post="apost += Apost; w = w + apre",
        namespace=dict(taupre=taupre, taupost=taupost, Apre=Apre, Apost=Apost))
    S2.connect()
    S2.w = 0.5
    Network(pre2, post2, S2).run(30 * ms)
    assert S2.w[0] == pytest.approx(0.5 + Apost * np.exp(-5 / 20), rel=1e-12)


def test_tsodyks_markram_short_term_plasticity():
    U, taud, tauf = 0.2, 100 * ms, 50 * ms
    times = np.arange(0, 100, 10.0)
    G = _generator(1, np.zeros(len(times), dtype=int), times)
    H = NeuronGroup(1, "g : 1\nlast_r : 1")
    S = Synapses(G, H, """
        dx/dt = (1 - x)/taud : 1 (event-driven)
        du/dt = (U - u)/tauf : 1 (event-driven)
        """, on_pre="u += U*(1 - u); r = u*x; x -= r; g += r; last_r = r",
        namespace=dict(U=U, taud=taud, tauf=tauf))
    S.connect()
    S.x, S.u = 1, U
    run(100 * ms)
    # the recursion, by hand
    x, u, total, last = 1.0, U, 0.0, 0.0
    previous = None
    for t in times:
        if previous is not None:
            dt = (t - previous) / 1000
            x = 1 + (x - 1) * np.exp(-dt / 0.1)
            u = U + (u - U) * np.exp(-dt / 0.05)
        u += U * (1 - u)
        r = u * x
        x -= r
        total += r
        last = r
        previous = t
    assert H.g[0] == pytest.approx(total, rel=1e-12)
    assert H.last_r[0] == pytest.approx(last, rel=1e-12)


def test_generator_on_another_clock_drives_group_through_synapses():
    for ratio in (1, 2, 3, 10, 2.5, 1 / 3):
        gen_dt = 0.1 * ms * ratio
        n = 30
        gen = SpikeGeneratorGroup(1, np.zeros(n, dtype=int),
                                  np.arange(n) * float(gen_dt) * second, dt=gen_dt)
        target = NeuronGroup(1, "count : 1", dt=0.1 * ms)
        S = Synapses(gen, target, on_pre="count += 1")
        S.connect()
        net = Network(gen, target, S)
        net.run(n * gen_dt)
        assert target.count[0] == n, ratio


def test_self_connections_and_spiking_network():
    seed(5)
    G = NeuronGroup(100, "dv/dt = (1.2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                    refractory=2 * ms)
    G.v = "rand()"
    S = Synapses(G, G, "w : 1", on_pre="v += w")
    S.connect("i != j", p=0.1)
    S.w = -0.02
    M = SpikeMonitor(G)
    run(100 * ms)
    assert M.num_spikes > 100
    assert np.all(S.i[:] != S.j[:])


def test_named_pathways_and_target_subgroups():
    G = _generator(2, [0, 1], np.array([0.5, 0.5]))
    H = NeuronGroup(6, "a : 1\nb : 1")
    S = Synapses(G, H[2:5], "w : 1", on_pre={"pre": "a += w", "pre2": "b += 2*w"},
                 delay={"pre": 0 * ms, "pre2": 1 * ms})
    S.connect(i=[0, 1], j=[0, 2])
    S.w = 1
    M = StateMonitor(H, "b", record=[2, 4], when="end")
    run(3 * ms)
    assert list(H.a[:]) == [0, 0, 1, 0, 1, 0]
    assert list(H.b[:]) == [0, 0, 2, 0, 2, 0]
    assert np.argmax(M.b[0] > 0) == 15  # pre2 arrives 1 ms after the spike at 0.5 ms
    assert S.pre2.delay == 1 * ms


def test_stdp_with_heterogeneous_delays_uses_arrival_times():
    # the presynaptic spike at 10 ms reaches the synapse after its delay: the pairing
    # with a postsynaptic spike at 16 ms sees 16 - (10 + delay)
    pre = _generator(1, [0], np.array([10.0]))
    post = _generator(2, [0, 1], np.array([16.0, 16.0]))
    S = Synapses(pre, post, """
        w : 1
        dapre/dt = -apre/(20*ms) : 1 (event-driven)
        dapost/dt = -apost/(20*ms) : 1 (event-driven)
        """, on_pre="apre += 0.01; w = w + apost", on_post="apost += -0.012; w = w + apre")
    S.connect(j="k for k in range(2)")
    S.delay = [1, 4] * ms
    S.w = 0.5
    run(30 * ms)
    assert S.w[0, 0][0] == pytest.approx(0.5 + 0.01 * np.exp(-5 / 20), rel=1e-12)
    assert S.w[0, 1][0] == pytest.approx(0.5 + 0.01 * np.exp(-2 / 20), rel=1e-12)


def test_string_delays_with_random_values_and_scatter_sum():
    seed(11)
    G = _generator(50, np.arange(50), np.zeros(50))
    H = NeuronGroup(1, "v : 1")
    S = Synapses(G, H, "w : 1", on_pre="v += w")
    S.connect()
    S.w = "i*0.5"
    S.delay = "1*ms + 4*ms*rand()"
    run(6 * ms)
    assert np.all((S.delay[:] >= 1 * ms) & (S.delay[:] < 5 * ms))
    assert len(np.unique(np.round(S.delay[:] / ms, 1))) > 10
    # 50 synapses onto one neuron: the sum of every contribution
    assert H.v[0] == pytest.approx(0.5 * np.arange(50).sum())


def test_summed_variable_into_the_presynaptic_group():
    G = NeuronGroup(3, "load : 1")
    H = NeuronGroup(4, "y : 1")
    S = Synapses(G, H, "w : 1\nload_pre = w*y_post : 1 (summed)")
    S.connect("j >= i")
    H.y = [1, 2, 3, 4]
    S.w = 1
    run(0.2 * ms)
    assert list(G.load[:]) == [10, 9, 7]


def test_n_incoming_and_n_outgoing_per_synapse():
    G = NeuronGroup(4, "v : 1")
    H = NeuronGroup(3, "v : 1")
    S = Synapses(G, H, "w : 1", on_pre="v_post += w")
    S.connect(i=[0, 0, 1, 2, 3], j=[0, 1, 1, 1, 2])
    assert list(S.N_incoming[:]) == [1, 3, 3, 3, 1]
    assert list(S.N_outgoing[:]) == [2, 2, 1, 1, 1]
    S.w = "1.0/N_incoming"  # Brian 2's normalisation idiom
    assert np.allclose(S.w[:], [1, 1 / 3, 1 / 3, 1 / 3, 1])
    S.connect(i=3, j=0)  # counts follow later connect calls
    assert list(S.N_incoming[:]) == [2, 3, 3, 3, 1, 2]
    assert list(S.N_outgoing[:]) == [2, 2, 1, 1, 2, 2]
    with pytest.raises((TypeError, ValueError, AttributeError)):
        S.N_incoming = 5


def test_writes_to_unless_refractory_variables_wait_for_refractoriness_to_end():
    """Brian 2's conditional writes: synaptic input and run_regularly code do not change
    a variable frozen by refractoriness; the reset does; other variables are written."""
    G = NeuronGroup(1, """dv/dt = (20*mV - v)/(10*ms) : volt (unless refractory)
                          u : volt""",
                    threshold="v > 10*mV", reset="v = 0*mV", refractory=5 * ms,
                    method="exact")
    inp = _generator(1, [0, 0], [8.2, 12])  # refractory from 6.4 to 11.4 ms
    S = Synapses(inp, G, on_pre="v_post += 0.5*mV; u_post += 1*mV")
    S.connect()
    G.run_regularly("v += 0.1*mV", dt=1 * ms)
    M = StateMonitor(G, "v", record=0)
    sp = SpikeMonitor(G)
    run(13 * ms)
    assert np.allclose(sp.t / ms, [6.4])
    v = M.v[0] / mV
    assert np.all(v[65:114] == 0)  # reset applied, nothing else until 11.4 ms
    assert np.isclose(G.u[0] / mV, 2)  # u is not frozen: both spikes arrive
    # the values Brian 2.9 gives for this script (numpy target)
    assert np.allclose(v[[119, 120, 121, 125, 129]],
                       [0.97541151, 1.26470933, 1.95112859, 2.65883496, 3.33879176])


def test_delays_round_as_brian2s_spike_queue():
    """int(delay/dt + 0.5) in double precision: half a step rounds up (0.05 ms, 0.25 ms),
    0.15 ms is 1.4999... steps (Brian 2.9 gives the same arrival times)."""
    inp = _generator(1, [0], [1])
    G = NeuronGroup(6, "v : 1")
    S = Synapses(inp, G, on_pre="v_post += 1")
    S.connect()
    S.delay = [0.04, 0.05, 0.06, 0.14, 0.15, 0.25] * ms
    M = StateMonitor(G, "v", record=True)
    run(2 * ms)
    first = [M.t[np.argmax(M.v[k] > 0)] / ms for k in range(6)]
    assert np.allclose(first, [1.1, 1.2, 1.2, 1.2, 1.2, 1.4])
    S.delay = -0.01 * ms
    with pytest.raises(ValueError, match="Negative delays"):
        run(0.1 * ms)


def test_delay_given_at_construction_is_a_variable_and_multisynaptic_index():
    G = NeuronGroup(2, "v : 1", threshold="True")
    S = Synapses(G, G, on_pre="v_post += 1", delay=1 * ms, multisynaptic_index="k")
    S.connect(i=[0, 0, 1, 0], j=[1, 1, 1, 1])
    assert list(S.k[:]) == [0, 1, 0, 2]  # numbering within each (i, j) pair
    assert np.allclose(S.delay[:] / ms, 1)
    S.delay = 2 * ms  # changes the delay of every synapse, as in Brian 2
    M = StateMonitor(G, "v", record=1)
    run(3 * ms)
    v = M.v[0]
    assert v[20] == 0 and v[21] == 4  # the spikes of step 0 arrive after 2 ms
    S.connect(i=0, j=1)
    assert list(S.k[:]) == [0, 1, 0, 2, 3]
    with pytest.raises(TypeError, match="one value for all elements"):
        S.delay = "(i + 1)*0.35*ms"


def test_pathways_fire_on_the_event_given_by_on_event():
    """on_event='custom' (or per pathway) delivers on that event, not on spikes (Brian
    2.9: x = 3 here)."""
    G = NeuronGroup(1, "dv/dt = 1/(5*ms) : 1", events={"custom": "v > 0.5 and v < 0.55"},
                    method="euler")
    H = NeuronGroup(1, "x : 1\ny : 1")
    S = Synapses(G, H, on_pre={"pre": "x += 1"}, on_event={"pre": "custom"})
    S.connect()
    run(20 * ms)
    assert H.x[0] == 3
    # a new Synapses onto groups that have run would be Brian 2's MagicError: new objects
    from sim import start_scope

    start_scope()
    G = NeuronGroup(1, "v : 1", events={"custom": "v > 0.5"})
    H = NeuronGroup(1, "y : 1")
    T = Synapses(G, H, on_pre="y += 1", on_event="nope")
    T.connect()
    with pytest.raises(ValueError, match="event 'nope'.*events: custom"):
        run(1 * ms)


def test_named_pathway_delays_can_be_read_and_set():
    G = NeuronGroup(1, "v : 1", threshold="True")
    H = NeuronGroup(1, "v : 1\nu : 1")
    S = Synapses(G, H, on_pre={"pre1": "v += 1", "pre2": "u += 1"},
                 delay={"pre1": 1 * ms, "pre2": 2 * ms})
    S.connect()
    assert np.allclose(S.pre1.delay[:] / ms, 1) and np.allclose(S.pre2.delay[:] / ms, 2)
    S.pre2.delay = 0.5 * ms
    M = StateMonitor(H, ["v", "u"], record=0)
    run(3 * ms)
    assert M.u[0][5] == 0 and M.u[0][6] == 1  # step 0's spike after 0.5 ms
    assert M.v[0][10] == 0 and M.v[0][11] == 1
    with pytest.raises(Exception, match="must be a time"):
        S.pre1.delay = 3
