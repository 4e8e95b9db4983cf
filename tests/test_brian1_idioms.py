"""Brian 1 idioms over the Brian 2 engine (issue 14, item 1): threshold and reset values and
functions, ``subgroup``, Connection's sparseness, weights and delays, ``Parameters``,
``forget``/``recall``.  Each test follows what Brian 1's documentation (docs_sphinx/models.txt,
the docstrings of brian/neurongroup.py, threshold.py, reset.py, connections/*.py,
tools/parameters.py, network.py) says the idiom does."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from sim import (
    Connection,
    DelayConnection,
    DimensionMismatchError,
    EventClock,
    NeuronGroup,
    Parameters,
    RecentStateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    forget,
    ms,
    mV,
    network_operation,
    rand,
    recall,
    run,
    second,
    seed,
    start_scope,
)

LIF = """
dge/dt = -ge/(5*ms) : volt
dv/dt = (20*mV - v)/(10*ms) : volt
"""


# -- threshold and reset values -------------------------------------------------------
def test_value_threshold_and_reset_act_on_the_membrane_potential(codegen_target):
    # Brian 1: "If threshold is a scalar ... the variable to apply the threshold to will be
    # guessed ... if you have a variable named one of V, Vm, v or vm it will be used";
    # Threshold is 'state > value', Reset sets 'state = value'
    G = NeuronGroup(1, LIF, threshold=10 * mV, reset=0 * mV, method="exact")
    H = NeuronGroup(1, LIF, threshold="v > 10*mV", reset="v = 0*mV", method="exact")
    assert G.threshold == "v > 0.01*volt" and G.reset == "v = 0.0*volt"
    MG, MH = SpikeMonitor(G), SpikeMonitor(H)
    run(50 * ms)
    assert np.array_equal(MG.t_, MH.t_) and MG.num_spikes == 7
    # the analytic period of the LIF, tau*log(2), to within a step
    assert np.allclose(np.diff(MG.t_), 10e-3 * np.log(2), atol=1.01e-4)
    assert G.ge[0] == 0 * mV  # the other variable is left alone


def test_value_threshold_is_strict_and_on_the_first_variable():
    # without v/V/vm/Vm the first variable of the model; Brian 1's Threshold is '>'
    G = NeuronGroup(3, "x : 1\ny : 1", threshold=1, reset=-1)
    G.x = [1.0, 1.0001, 0.5]
    G.y = 5  # above the threshold value, but not the threshold's variable
    M = SpikeMonitor(G)
    run(0.1 * ms)
    assert list(M.i) == [1] and list(G.x) == [1.0, -1.0, 0.5]


def test_value_threshold_and_reset_check_units():
    # Brian 1: DimensionMismatchError("The threshold does not have correct units.")
    with pytest.raises(DimensionMismatchError, match="threshold does not have correct units"):
        NeuronGroup(1, LIF, threshold=10 * ms)
    with pytest.raises(DimensionMismatchError, match="reset does not have correct units"):
        NeuronGroup(1, LIF, threshold=10 * mV, reset=0)


def test_value_reset_with_refractory_holds_the_variable(codegen_target):
    # Brian 1's Refractoriness: the variable is held at the reset value for the period
    G = NeuronGroup(1, LIF, threshold=10 * mV, reset=0 * mV, refractory=5 * ms,
                    method="exact")
    M = SpikeMonitor(G)
    S = StateMonitor(G, "v", record=0)
    run(40 * ms)
    isi = np.diff(M.t_)
    assert np.allclose(isi, 5e-3 + 10e-3 * np.log(2), atol=1.01e-4)
    first = int(round(M.t_[0] / 1e-4))
    held = S.v[0][first + 1:first + 50]  # recorded at the start of each step
    assert np.all(held == 0 * mV) and S.v[0][first + 52] > 0 * mV


# -- threshold and reset functions ----------------------------------------------------
def test_threshold_function_of_the_state_variables(codegen_target):
    # docs: threshold=lambda v,w: v>=w, "the arguments of the function must be the state
    # variables with the same order as in the Equations string"
    eqs = "v : volt\nw : volt"
    G = NeuronGroup(5, eqs, threshold=lambda v, w: v >= w, reset=0 * mV)
    H = NeuronGroup(5, eqs, threshold=lambda a, b: a >= b, reset=0 * mV)  # by position
    for group in (G, H):
        group.v = [0, 1, 2, 3, 4] * mV
        group.w = 2 * mV
    MG, MH = SpikeMonitor(G), SpikeMonitor(H)
    run(0.3 * ms)
    assert list(MG.i) == list(MH.i) == [2, 3, 4]  # once each: the reset puts v to 0
    assert np.allclose(MG.t_, 0) and np.array_equal(G.v_, [0, 1e-3, 0, 0, 0])


def test_threshold_function_of_one_variable_gets_raw_values():
    # SimpleFunThreshold: the first state variable, "a numpy array, and there is no unit
    # checking"; the result: booleans, or (our addition) the indices that spike
    seen = []

    def threshold(x):
        seen.append(x)
        return x > 0.0015

    G = NeuronGroup(4, "dv/dt = 0*mV/ms : volt\nu : 1", threshold=threshold)
    H = NeuronGroup(4, "u : 1\nv : volt",
                    threshold=lambda values: np.flatnonzero(values > 0.0015))
    G.v = H.v = [1, 2, 3, 0] * mV
    MG, MH = SpikeMonitor(G), SpikeMonitor(H)
    run(0.2 * ms)
    assert type(seen[0]) is np.ndarray and seen[0].dtype == np.float64
    assert list(MG.i) == list(MH.i) == [1, 2, 1, 2]  # no reset: every step


def test_threshold_function_respects_refractoriness(codegen_target):
    G = NeuronGroup(2, "v : 1", threshold=lambda v: v > 0, refractory=1 * ms)
    G.v = [1, 0]
    M = SpikeMonitor(G)
    run(3.05 * ms)
    assert list(M.i) == [0, 0, 0, 0] and np.allclose(M.t_, [0, 1e-3, 2e-3, 3e-3])


def test_reset_function_gets_group_and_spikes(codegen_target):
    # docs: "def myreset(P,spikes): P.v[spikes]=rand(len(spikes))*5*mV ... Every time step,
    # the user-defined function is called with arguments P, the neuron group, and spikes"
    calls = []

    def myreset(P, spikes):
        calls.append(np.array(spikes))
        P.v[spikes] = rand(len(spikes)) * 5 * mV

    seed(3)
    G = NeuronGroup(200, "dv/dt = (20*mV - v)/(10*ms) : volt", threshold=10 * mV,
                    reset=myreset, method="exact")
    G.v = rand(200) * 10 * mV
    M = SpikeMonitor(G)
    run(5 * ms)
    assert len(calls) == 50  # every step, empty spike arrays included
    assert sum(len(c) for c in calls) == M.num_spikes > 50
    assert np.array_equal(np.concatenate(calls), np.asarray(M.i))
    assert G.reset is myreset
    last = calls[-1][:0]
    for c in calls:
        if len(c):
            last = c
    # the neurons reset in the last step with spikes hold distinct random values below 5 mV
    step_values = np.asarray(G.v_)[last]
    assert np.all(step_values < 5e-3)
    with pytest.raises(ValueError, match="Refractoriness with a reset function"):
        NeuronGroup(1, "v : volt", threshold=10 * mV, reset=myreset, refractory=2 * ms)


def test_subgroup_takes_consecutive_neurons():
    # brian/neurongroup.py: subgroup(N) is self[next:next + N], IndexError past the end
    P = NeuronGroup(10, "v : 1")
    Pe, Pi = P.subgroup(7), P.subgroup(3)
    assert (Pe.start, Pe.stop, Pi.start, Pi.stop) == (0, 7, 7, 10)
    Pi.v = 2
    assert list(P.v) == [0] * 7 + [2] * 3
    with pytest.raises(IndexError, match="too large"):
        P.subgroup(1)
    assert NeuronGroup(5, "v : 1").subgroup(5).N == 5  # each group counts its own


# -- Connection -----------------------------------------------------------------------
def test_weight_function_draws_once_per_synapse():
    # construction.py: a value(i, j) that is not vectorisable is called for each entry;
    # weight=lambda i, j: rand() gives each synapse its own number
    seed(11)
    P = NeuronGroup(300, "ge : 1")
    C = Connection(P, P, "ge", weight=lambda i, j: rand(), sparseness=0.05)
    w = np.asarray(C.w[:])
    assert len(np.unique(w)) == len(C) > 3000
    assert 0 <= w.min() and w.max() < 1 and abs(w.mean() - 0.5) < 0.02
    D = Connection(P, P, "ge", weight=lambda: rand() * 2, sparseness=0.01)  # no arguments
    assert len(np.unique(D.w[:])) == len(D) and D.w[:].max() > 1


def test_weight_function_indices_are_those_of_the_subgroups():
    # connect_full: W[i, :] = weight(i, arange(len(Q))), then W goes into the matrix at
    # the subgroups' origin: i and j count from the start of P and Q
    P = NeuronGroup(10, "v : 1")
    Q = NeuronGroup(6, "g : volt")
    C = Connection(P, Q, "g")
    C.connect_full(P[2:4], Q[3:], weight=lambda i, j: (i * 10 + j) * mV)
    assert sorted(zip(C.i[:], C.j[:], np.round(C.w[:] / mV), strict=True)) == [
        (2, 3, 0), (2, 4, 1), (2, 5, 2), (3, 3, 10), (3, 4, 11), (3, 5, 12)]
    with pytest.raises(DimensionMismatchError, match="units"):
        C.connect_full(P[:1], Q[:1], weight=lambda i, j: 1.0)


def test_sparseness_number_function_and_expression_string():
    seed(5)
    P = NeuronGroup(400, "x : 1")
    fixed = Connection(P, P, "x", weight=0.5, sparseness=0.1)
    assert abs(len(fixed) - 16000) < 4 * np.sqrt(16000)
    by_function = Connection(P, P, "x", weight=0.1,
                             sparseness=lambda i, j: np.exp(-np.abs(i - j) * .1))
    by_string = Connection(P, P, "x", weight=0.1, sparseness="exp(-abs(i-j)*.1)")
    for C in (by_function, by_string):
        d = np.abs(C.i[:] - C.j[:])
        profile = np.bincount(d, minlength=400) / np.r_[400, 2 * (400 - np.arange(1, 400))]
        for k in (0, 5, 10):
            assert profile[k] == pytest.approx(np.exp(-0.1 * k), abs=0.08)
        assert profile[60:].sum() < 0.05
    # on subgroups, i and j count from each subgroup's start
    C = Connection(P, P, "x")
    C.connect_random(P[100:200], P[300:400], sparseness="exp(-abs(i-j)*.5)", weight=1.0)
    i, j = np.asarray(C.i[:]), np.asarray(C.j[:])
    assert np.all((i >= 100) & (i < 200) & (j >= 300) & (j < 400))
    relative = np.abs((i - 100) - (j - 300))
    # exp(-d/2): 83 % of the synapses within 3 of the diagonal of the block
    assert 0.75 < np.mean(relative <= 3) < 0.9 and relative.max() < 40


def test_sparseness_function_that_is_not_vectorisable():
    seed(1)
    P = NeuronGroup(20, "x : 1")
    C = Connection(P, P, "x", weight=1.0, sparseness=lambda i, j: 1.0 if i == j else 0.0)
    assert sorted(zip(C.i[:], C.j[:], strict=True)) == [(k, k) for k in range(20)]


def test_connect_random_fixed_and_seed():
    # "If fixed is True, then the number of presynaptic neurons per neuron is constant";
    # seed=: "used as the seed to the random number generators, for exactly repeatable
    # results", the generators' state put back afterwards
    P = NeuronGroup(50, "x : 1")
    Q = NeuronGroup(30, "g : 1")
    C = Connection(P, Q, "g")
    C.connect_random(P, Q, 0.2, weight=1.0, fixed=True)
    assert np.all(np.bincount(C.j[:], minlength=30) == 10)
    seed(9)
    a, b = Connection(P, Q, "g"), Connection(P, Q, "g")
    a.connect_random(P, Q, 0.3, seed=42)
    after_a = rand()
    seed(9)
    b.connect_random(P, Q, sparseness=0.3, seed=42)
    assert rand() == after_a  # the global random state as if nothing was drawn
    assert np.array_equal(a.i[:], b.i[:]) and np.array_equal(a.j[:], b.j[:])


def test_connect_with_a_weight_matrix_and_state_number():
    P = NeuronGroup(3, "v : 1")
    Q = NeuronGroup(2, "g : volt\nv : volt")
    C = Connection(P, Q)  # state=0: Q's first variable in Brian 1's order, v
    assert C.state == "v"
    W = np.array([[0, 1], [2, 0], [0, 3]]) * mV
    C.connect(P, Q, W)
    assert sorted(zip(C.i[:], C.j[:], strict=True)) == [(0, 1), (1, 0), (2, 1)]
    assert np.allclose(C.W, W)
    D = Connection(P, Q, "g", weight=np.ones((3, 2)) * mV)  # a matrix as the weight
    assert len(D) == 6


def test_homogeneous_delay(codegen_target):
    G = SpikeGeneratorGroup(1, [0], [1.0] * ms)
    H = NeuronGroup(1, "v : 1")
    C = Connection(G, H, "v", weight=1.0, delay=2 * ms)
    assert not isinstance(C, DelayConnection)
    S = StateMonitor(H, "v", record=0, when="end")
    run(5 * ms)
    assert np.argmax(S.v[0] > 0.5) == 30  # arrives at 3 ms
    with pytest.raises(ValueError, match="max_delay"):
        Connection(G, H, "v", delay=3 * ms, max_delay=2 * ms)


def test_heterogeneous_delays_up_to_max_delay(codegen_target):
    # Connection(delay=(min, max)) or a function becomes a DelayConnection (Brian 1 changed
    # the class); delays never above max_delay (5 ms unless given)
    seed(2)
    G = SpikeGeneratorGroup(4, [0, 1, 2, 3], [1.0] * 4 * ms)
    H = NeuronGroup(4, "v : 1")
    C = Connection(G, H, "v", weight=1.0, delay=(1 * ms, 3 * ms))
    assert isinstance(C, DelayConnection) and len(C) == 16
    assert np.all((C.delay[:] >= 1 * ms) & (C.delay[:] <= 3 * ms))
    assert len(np.unique(C.delay[:])) == 16
    K = NeuronGroup(4, "v : 1")
    D = Connection(G, K, "v", delay=lambda i, j: (i + 1) * ms, max_delay=4 * ms)
    D.connect_one_to_one(G, K, weight=1.0)
    S = StateMonitor(K, "v", record=True, when="end")
    run(8 * ms)
    assert list(np.argmax(S.v > 0.5, axis=1)) == [20, 30, 40, 50]  # 1 ms + (i + 1) ms
    assert list(H.v) == [4.0] * 4
    with pytest.raises(ValueError, match="max_delay"):
        DelayConnection(G, H, "v", weight=1.0, delay=6 * ms)  # Brian 1's default: 5 ms
    D.delay = 4.5 * ms  # larger than max_delay, set between runs
    with pytest.raises(ValueError, match="max_delay=4"):
        run(1 * ms)


def test_event_clock_operation_reads_brian1_monitor_attributes(codegen_target):
    # what Brian 1's live plots read at each refresh: M.spikes (pairs), trace.times,
    # trace[i], from a network operation on an EventClock
    G = NeuronGroup(3, "dv/dt = (20*mV - v)/(10*ms) : volt", threshold=10 * mV, reset=0 * mV,
                    method="exact")
    M = SpikeMonitor(G)
    trace = RecentStateMonitor(G, "v", record=range(2), duration=3 * ms)
    seen = []

    @network_operation(clock=EventClock(dt=5 * ms))
    def look():
        last = (float(trace.times[-1]), float(trace[0][-1])) if len(trace.times) else None
        seen.append((len(M.spikes), M.nspikes, last))

    run(20 * ms)
    assert [n for n, _, _ in seen] == [0, 0, 3, 6]
    assert seen[1][2][0] == pytest.approx(4.9e-3) and 0 < seen[1][2][1] < 0.01
    assert M.spikes[0] == (0, pytest.approx(6.9e-3))


# -- Parameters, forget/recall ------------------------------------------------------------
def test_parameters_as_brian1_documents_them():
    # the example of brian/tools/parameters.py
    p = Parameters(a=5, b=6, computed_p1="""
        c = a + b
        """, computed_p2="""
        x = c**2
        """)
    assert p.c == 11 and p.x == 121
    p.a = 1
    assert p.c == 7 and p.x == 49
    q = Parameters(d=100, computed_q="e = a+d", **p)
    assert q.e == 101 and q.c == 7  # e is computed even though numpy has an 'e'
    q.a = -50
    assert q.e == 50 and p.a == 1  # a copy
    with pytest.raises(AttributeError, match="computed"):
        q.c = 5
    p.y = 6
    p.computed_p3 = "w = a*b*y"
    assert p.w == 36
    r = p(a=2)
    assert r.w == 72 and p.w == 36
    assert p.get_vars("a b", "c") == (1, 6, 7)
    namespace: dict = {"p": p}
    exec(p.ascode("p"), namespace)
    assert namespace["c"] == 7 and "computed_p1" not in namespace


def test_parameters_with_units_pickle_and_use_numpy():
    p = Parameters(tau=10 * ms, n=4, computed_rates="rate = 1/tau\nlog_n = log(n)")
    assert p.rate == 100 / second and p.log_n == pytest.approx(np.log(4))
    back = pickle.loads(pickle.dumps(p))
    assert isinstance(back, Parameters) and back.tau == 10 * ms and back.rate == p.rate
    assert "computed values" in repr(p).lower()


def test_forget_and_recall_as_brian1():
    # "Forgetting means that MagicNetwork will not pick up these objects, but all data is
    # retained ... Forgotten objects can be recalled with recall"
    start_scope()
    G = NeuronGroup(1, "dv/dt = 1/second : 1")
    H = NeuronGroup(1, "dv/dt = 1/second : 1")
    H.v = 0.5
    forget(H)
    run(2 * ms)
    assert G.v[0] == pytest.approx(2e-3) and H.v[0] == 0.5
    recall(H)
    run(1 * ms)
    assert G.v[0] == pytest.approx(3e-3) and H.v[0] == pytest.approx(0.501)
