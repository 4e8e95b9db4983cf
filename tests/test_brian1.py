"""Brian 1 conveniences over Synapses: Connection, DelayConnection, STDP, STP."""

import numpy as np
import pytest

from sim import (
    STDP,
    STP,
    Connection,
    DelayConnection,
    Hz,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    ms,
    mV,
    nS,
    run,
    second,
    seed,
)

pytestmark = pytest.mark.usefixtures("codegen_target")


def test_connection_random_weights_and_propagation():
    seed(2)
    P = NeuronGroup(400, "v : volt", threshold="i < 10 and t < 0.05*ms")
    Q = NeuronGroup(400, "ge : volt")
    C = Connection(P, Q, "ge", weight=1.5 * mV, sparseness=0.05)
    expected = 400 * 400 * 0.05
    assert abs(len(C) - expected) < 4 * np.sqrt(expected)
    run(1 * ms)
    W = C.W
    assert W.shape == (400, 400)
    assert np.allclose(Q.ge[:] / mV, np.asarray(W[:10].sum(axis=0)) / 1e-3)
    with pytest.raises(Exception, match="units"):
        Connection(P, Q, "ge", weight=3 * nS, sparseness=0.1)


def test_distance_dependent_sparseness_from_the_seed_example():
    seed(4)
    P = NeuronGroup(500, "x : 1")
    C = Connection(P, P, "x", weight=0.1,
                   sparseness=lambda i, j: np.exp(-np.abs(i - j) * .1))
    d = np.abs(C.i[:] - C.j[:])
    pairs = np.r_[500, 2 * (500 - np.arange(1, 500))]
    profile = np.bincount(d, minlength=500) / pairs
    for k in (0, 5, 10, 20):
        assert profile[k] == pytest.approx(np.exp(-0.1 * k), abs=0.06)
    assert profile[60:].sum() < 0.05


def test_connect_full_one_to_one_and_subgroups():
    P = NeuronGroup(10, "v : 1")
    Q = NeuronGroup(6, "g : 1")
    C = Connection(P, Q, "g")
    C.connect_full(P[:2], Q[3:], weight=lambda i, j: i * 10 + j)
    C.connect_one_to_one(P[4:7], Q[:3], weight=0.5)
    # Brian 1: the weight function's i, j count from the start of the subgroups given
    assert sorted(zip(C.i[:], C.j[:], C.w[:], strict=True))[:3] == [(0, 3, 0), (0, 4, 1), (0, 5, 2)]
    assert len(C) == 6 + 3
    assert list(C.w[4:7, :]) == [0.5, 0.5, 0.5]


def test_delay_connection_per_synapse_delays():
    G = SpikeGeneratorGroup(1, [0], [1.0] * ms)
    H = NeuronGroup(5, "v : 1\narrival : second")
    C = DelayConnection(G, H, "v", max_delay=10 * ms)
    C._delay_spec = lambda i, j: (j + 1) * 1e-3
    C.connect_full(G, H, weight=1.0)
    S = StateMonitor(H, "v", record=True, when="end")
    run(10 * ms)
    first = np.argmax(S.v > 0.5, axis=1) * 0.1
    assert np.allclose(first, 1.0 + np.arange(1, 6))
    D = DelayConnection(G, H, "v", delay=(1 * ms, 3 * ms))
    D.connect_full(G, H, weight=1.0)
    assert np.all((D.delay[:] >= 1 * ms) & (D.delay[:] <= 3 * ms))


def test_stdp_factory_pair_rule():
    pre = SpikeGeneratorGroup(1, [0], [10.0] * ms)
    target = NeuronGroup(1, "g : 1", threshold="abs(t - 14*ms) < 0.05*ms")
    C = Connection(pre, target, "g", weight=0.3)
    C.connect_full(pre, target, weight=0.3)
    eqs = """
    dA_pre/dt = -A_pre/(20*ms) : 1
    dA_post/dt = -A_post/(20*ms) : 1
    """
    STDP(C, eqs, pre="A_pre += 0.01; w += A_post", post="A_post += -0.012; w += A_pre",
         wmax=1.0)
    run(20 * ms)
    assert C.w[0] == pytest.approx(0.3 + 0.01 * np.exp(-4 / 20), rel=1e-12)


def test_stp_factory_matches_recursion():
    times = np.arange(0, 60, 8.0)
    G = SpikeGeneratorGroup(1, np.zeros(len(times), dtype=int), times * ms)
    H = NeuronGroup(1, "g : 1")
    C = Connection(G, H, "g")
    C.connect_full(G, H, weight=2.0)
    STP(C, taud=80 * ms, tauf=30 * ms, U=0.3)
    run(60 * ms)
    x, u, total, previous = 1.0, 0.3, 0.0, None
    for t in times:
        if previous is not None:
            gap = (t - previous) / 1000
            x = 1 + (x - 1) * np.exp(-gap / 0.08)
            u = 0.3 + (u - 0.3) * np.exp(-gap / 0.03)
        u += 0.3 * (1 - u)
        r = u * x
        x -= r
        total += 2.0 * r
        previous = t
    assert H.g[0] == pytest.approx(total, rel=1e-12)


@pytest.mark.slow
def test_song_abbott_stdp_weights_become_bimodal(codegen_target):
    if codegen_target != "numba":
        pytest.skip("long run: numba target only")
    seed(7)
    N, taum, taupre, taupost = 1000, 10 * ms, 20 * ms, 20 * ms
    Ee, vt, vr, El, taue = 0 * mV, -54 * mV, -60 * mV, -74 * mV, 5 * ms
    gmax = .01
    dApre = .01
    dApost = -dApre * taupre / taupost * 1.05
    dApost *= gmax
    dApre *= gmax
    neuron = NeuronGroup(1, "dv/dt = (ge * (Ee-v) + El - v) / taum : volt\n"
                            "dge/dt = -ge / taue : 1", threshold="v>vt", reset="v = vr",
                         method="euler")
    neuron.v = vr
    inputs = PoissonGroup(N, rates=15 * Hz)
    from sim import Synapses

    S = Synapses(inputs, neuron, """w : 1
        dApre/dt = -Apre / taupre : 1 (event-driven)
        dApost/dt = -Apost / taupost : 1 (event-driven)""",
                 on_pre="ge += w\nApre += dApre\nw = clip(w + Apost, 0, gmax)",
                 on_post="Apost += dApost\nw = clip(w + Apre, 0, gmax)")
    S.connect()
    S.w = "rand() * gmax"
    M = SpikeMonitor(neuron)
    run(100 * second)
    hist = np.histogram(S.w[:] / gmax, bins=10, range=(0, 1))[0]
    # Song, Miller & Abbott (2000): from uniform (about 100 +- 10 per bin) the weights
    # move to both bounds, emptying the middle: a bimodal distribution
    assert hist[0] > 150 and hist[-1] > 150
    assert hist[3:7].mean() < 80
    assert M.num_spikes > 0
