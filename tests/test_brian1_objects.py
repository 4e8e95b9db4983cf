"""Brian 1's Threshold, Reset and Refractoriness objects, Connection's weight matrix
(``C[i, j]``, ``C.W``) and ``Connection(..., modulation=...)`` (issue 14, item 1).  Each test
follows what the docstrings of Brian 1's brian/threshold.py, brian/reset.py,
brian/neurongroup.py and brian/connections/*.py say the object does."""

from __future__ import annotations

import numpy as np
import pytest

from sim import (
    STP,
    Connection,
    CustomRefractoriness,
    DimensionMismatchError,
    EmpiricalThreshold,
    FunReset,
    FunThreshold,
    HomogeneousPoissonThreshold,
    Hz,
    NeuronGroup,
    NoReset,
    NoThreshold,
    PoissonThreshold,
    Refractoriness,
    Reset,
    SimpleCustomRefractoriness,
    SimpleFunThreshold,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    StringReset,
    StringThreshold,
    Threshold,
    VariableReset,
    VariableThreshold,
    ms,
    mV,
    nS,
    run,
    seed,
)

LIF = """
dv/dt = (20*mV - v)/(10*ms) : volt
vt : volt
vr : volt
"""


def _spike_trains(M, n):
    trains = M.spike_trains()
    return [np.round(np.asarray(trains[k]) / 1e-3, 6) for k in range(n)]


# -- thresholds and resets that become strings ----------------------------------------------
def test_threshold_and_reset_objects_compile_as_strings(codegen_target):
    # Threshold: "All neurons with a specified state variable above a fixed value fire a
    # spike"; Reset: "Resets specified state variable to a fixed value" (state: a name or
    # a number); VariableThreshold: "neuron i will fire if y > x"; VariableReset: "set to
    # the value of the state variable resetvaluestate"
    G = NeuronGroup(2, LIF, threshold=Threshold(10 * mV, state="v"),
                    reset=Reset(resetvalue=2 * mV, state=0))
    H = NeuronGroup(2, LIF, threshold=VariableThreshold("vt", "v"),
                    reset=VariableReset(resetvaluestate="vr", state="v"))
    ref = NeuronGroup(2, LIF, threshold="v > vt", reset="v = vr")
    assert G.threshold == "v > 0.01*volt" and G.reset == "v = 0.002*volt"
    assert H.threshold == "v > vt" and H.reset == "v = vr"
    for group in (H, ref):
        group.vt = [8, 12] * mV
        group.vr = [2, 4] * mV
    MG, MH, Mref = SpikeMonitor(G), SpikeMonitor(H), SpikeMonitor(ref)
    run(40 * ms)
    spikes = [_spike_trains(M, 2) for M in (MG, MH, Mref)]
    # the first crossing of 10 mV: t = 10 ms * ln 2 (the step at or after it)
    assert spikes[0][0][0] == pytest.approx(10 * np.log(2), abs=0.11)
    assert np.allclose(spikes[0][0], spikes[0][1])
    for a, b in zip(spikes[1], spikes[2], strict=True):
        assert np.array_equal(a, b) and len(a) >= 3
    assert spikes[1][0][0] < spikes[1][1][0]  # the lower threshold first


def test_string_threshold_and_reset(codegen_target):
    # StringThreshold: "a single statement that returns a value, e.g. 'V>Vt'" (evaluated
    # with numpy in Brian 1, hence '&'); StringReset: "multiple lines or statements
    # separated by a semicolon. For example 'V=-70*mV; Vt+=10*mV'"
    G = NeuronGroup(1, LIF, threshold=StringThreshold("(v > vt) & (t > 1*ms)"),
                    reset=StringReset("v = 0*mV; vt += 1*mV"))
    G.vt = 5 * mV
    M = SpikeMonitor(G)
    run(30 * ms)
    assert G.threshold == "v > vt and t > 1 * ms"
    assert M.num_spikes >= 3
    assert float(G.vt[0]) == pytest.approx(float((5 + M.num_spikes) * mV))


def test_function_thresholds_and_reset():
    # FunThreshold: "a function with one argument, the 2d state value array" (called with
    # every state variable); SimpleFunThreshold(lambda V: V >= Vt, state='V'): "the array
    # of values for the specified state variable"; FunReset: "f(G, spikes)"
    seen = {}

    def all_states(*S):
        seen["n"] = len(S)
        return S[0] > S[1]  # v > vt

    resets = []

    def reset(P, spikes):
        resets.append(len(spikes))
        P.v[spikes] = 0 * mV

    G = NeuronGroup(2, LIF, threshold=FunThreshold(all_states), reset=FunReset(reset))
    H = NeuronGroup(2, LIF, threshold=SimpleFunThreshold(lambda V: V >= 0.01, state="v"),
                    reset=Reset(0 * mV))
    G.vt = 10 * mV
    MG, MH = SpikeMonitor(G), SpikeMonitor(H)
    run(20 * ms)
    assert seen["n"] == 3  # v, vt, vr
    assert MG.num_spikes == MH.num_spikes == sum(resets) == 4  # two spikes each
    assert len(resets) == 200  # called on every step, as Brian 1
    assert np.allclose(np.sort(MG.t[:]), np.sort(MH.t[:]))


def test_brian1_custom_threshold_subclass():
    # Brian 1's threshold objects are called with the group and return the spike indices
    class EveryOther(Threshold):
        def __init__(self):
            self.calls = 0

        def __call__(self, P):
            self.calls += 1
            return [0] if self.calls % 2 else []

    threshold = EveryOther()
    G = NeuronGroup(2, "v : volt", threshold=threshold, reset=NoReset())
    M = SpikeMonitor(G)
    run(1 * ms)
    assert threshold.calls == 10 and list(M.i[:]) == [0] * 5


def test_no_threshold_and_no_reset():
    G = NeuronGroup(2, LIF, threshold=NoThreshold(), reset=Reset(0 * mV))
    H = NeuronGroup(2, LIF, threshold=Threshold(10 * mV), reset=NoReset())
    MG, MH = SpikeMonitor(G), SpikeMonitor(H)
    run(20 * ms)
    assert MG.num_spikes == 0 and G.reset is None
    assert float(G.v[0]) > float(10 * mV)  # nothing resets it
    # no reset: above the threshold from the first crossing on, a spike on every step
    assert MH.num_spikes == 2 * (200 - 69)


def test_empirical_threshold_waits_without_a_reset():
    # "if the state stays over the threshold, and say refractory=5ms the user wants
    # spiking at 0ms 5ms 10ms 15ms etc."; "It should be used in conjunction with NoReset"
    G = NeuronGroup(2, "v : volt", threshold=EmpiricalThreshold(threshold=10 * mV,
                                                                refractory=5 * ms),
                    reset=NoReset())
    G.v = [20, 0] * mV
    M = SpikeMonitor(G)
    run(20 * ms)
    assert np.allclose(M.t[:] / ms, [0, 5, 10, 15]) and set(M.i[:]) == {0}
    assert float(G.v[0]) == pytest.approx(0.02)  # nothing held or reset


def test_poisson_thresholds():
    # PoissonThreshold: "a spike is produced with some probability S[0]*dt"
    seed(3)
    G = NeuronGroup(1000, "rate : Hz", threshold=PoissonThreshold(state="rate"))
    G.rate = np.r_[np.zeros(500), np.full(500, 200.0)] * Hz
    M = SpikeMonitor(G)
    # HomogeneousPoissonThreshold: "spike trains with identical rates": the first neuron's
    H = NeuronGroup(1000, "rate : Hz", threshold=HomogeneousPoissonThreshold())
    H.rate = np.r_[200.0, np.zeros(999)] * Hz
    MH = SpikeMonitor(H)
    run(50 * ms)
    expected = 500 * 200 * 0.05
    assert np.all(M.i[:] >= 500)
    assert abs(M.num_spikes - expected) < 4 * np.sqrt(expected)
    assert abs(MH.num_spikes - 2 * expected) < 4 * np.sqrt(2 * expected)
    assert len(np.unique(MH.i[:])) > 900  # spread over all the neurons
    with pytest.raises(DimensionMismatchError, match="Hz"):
        NeuronGroup(1, "v : volt", threshold=PoissonThreshold())


# -- refractoriness ---------------------------------------------------------------------
def test_refractoriness_holds_the_reset_value(codegen_target):
    # Refractoriness: "Holds the state variable at the reset value for a fixed time after
    # a spike"; Brian 1's NeuronGroup made Reset objects with refractory= the same
    drive = "dv/dt = (30*mV - v)/(2*ms) : volt"
    G = NeuronGroup(1, drive, threshold=Threshold(10 * mV),
                    reset=Refractoriness(resetvalue=-5 * mV, period=3 * ms, state="v"))
    H = NeuronGroup(1, drive, threshold=Threshold(10 * mV), reset=Reset(-5 * mV),
                    refractory=3 * ms)
    assert "unless refractory" in G.equations["v"].flags
    MG, MH = SpikeMonitor(G), SpikeMonitor(H)
    S = StateMonitor(G, "v", record=0)
    run(15 * ms)
    assert np.array_equal(MG.t[:], MH.t[:]) and MG.num_spikes >= 2
    t0, times = float(MG.t[0]), np.asarray(S.t[:])
    held = (times > t0 + 0.05e-3) & (times < t0 + 2.95e-3)
    assert np.allclose(S.v[0][held], -5 * mV)
    assert np.all(np.diff(MG.t[:]) >= 3 * ms)
    with pytest.raises(ValueError, match="refractory periods"):
        NeuronGroup(1, drive, threshold=Threshold(10 * mV),
                    reset=Refractoriness(-5 * mV, 3 * ms), refractory=2 * ms)


def test_custom_refractoriness():
    # SimpleCustomRefractoriness: "The values assigned by the custom reset function are
    # stored by this object, and they are clamped at these values for period";
    # CustomRefractoriness: refracfunc(P, indices) for "a list of neurons that are in their
    # refractory periods"
    drive = "dv/dt = (30*mV - v)/(2*ms) : volt"

    def reset(P, spikes):
        P.v[spikes] = -3 * mV * (np.asarray(spikes) + 1)

    G = NeuronGroup(2, drive, threshold=Threshold(10 * mV),
                    reset=SimpleCustomRefractoriness(reset, period=2 * ms, state="v"))
    S = StateMonitor(G, "v", record=True)
    calls = []

    def refrac(P, indices):
        calls.append(np.array(indices))
        P.v[indices] = 0 * mV

    H = NeuronGroup(1, drive, threshold=Threshold(10 * mV),
                    reset=CustomRefractoriness(reset, 2 * ms, refrac))
    MH = SpikeMonitor(H)
    run(6 * ms)
    first = int(np.argmax(S.v[0][:] < 0))
    assert np.allclose(S.v[0][first:first + 19], -3 * mV)
    assert np.allclose(S.v[1][first:first + 19], -6 * mV)
    # held for the int(2 ms/dt) + 1 steps from the spike's own (Brian 1's count)
    spike_step = int(round(float(MH.t[0]) / 0.1e-3))
    in_period = [k for k, idx in enumerate(calls) if len(idx)]
    assert in_period[:21] == list(range(spike_step, spike_step + 21))
    assert spike_step + 21 not in in_period


def test_objects_that_cannot_be_mapped_are_refused():
    class OwnReset(Reset):
        def __call__(self, P):
            P.v[P.LS.lastspikes()] = 0

    with pytest.raises(TypeError, match="FunReset"):
        NeuronGroup(1, LIF, threshold=Threshold(10 * mV), reset=OwnReset())
    with pytest.raises(TypeError, match="threshold="):
        NeuronGroup(1, LIF, threshold=Reset(0 * mV))
    with pytest.raises(DimensionMismatchError, match="threshold"):
        NeuronGroup(1, LIF, threshold=Threshold(10 * nS))
    with pytest.raises(ValueError, match="needs a threshold"):
        NeuronGroup(1, LIF, reset=Reset(0 * mV))
    with pytest.raises(IndexError, match="no number 5"):
        NeuronGroup(1, LIF, threshold=Threshold(10 * mV, state=5))


# -- Connection: the weight matrix ----------------------------------------------------------
@pytest.mark.parametrize("structure", ["sparse", "dense"])
def test_connection_matrix_access(structure):
    # "you can directly access the matrix of weights by writing print C[i,j];
    # C[i,j] = ... Where here i is the source neuron and j is the target neuron"
    P = NeuronGroup(3, "v : volt")
    Q = NeuronGroup(4, "ge : volt")
    C = Connection(P, Q, "ge", structure=structure)
    C[0, 1] = 2 * mV
    C[2, 3] = 1 * mV
    C.W[1, 0] = 0.5 * mV
    assert C[0, 1] == 2 * mV and C.W[2, 3] == 1 * mV and C[1, 1] == 0 * mV
    assert np.allclose(C[0, :], [0, 2, 0, 0] * mV)
    assert np.allclose(C.W[:, 0], [0, 0.5, 0] * mV)
    dense = C.W.todense()
    assert dense.shape == (3, 4) and np.allclose(dense[2], [0, 0, 0, 1] * mV)
    assert np.allclose(np.asarray(C.W), np.asarray(dense))  # SI values
    assert len(C) == C.W.getnnz() == 3
    C[0, 1] = 3 * mV  # an existing synapse: changed, not doubled
    assert len(C) == 3 and C[0, 1] == 3 * mV
    with pytest.raises(DimensionMismatchError, match="units"):
        C[0, 2] = 1 * nS
    # a value for a whole row: every entry of a dense matrix, the existing synapses of a
    # sparse one (Brian 1's SparseConnectionMatrix.set_row)
    C[0, :] = 4 * mV
    if structure == "dense":
        assert np.allclose(C[0, :], [4, 4, 4, 4] * mV) and len(C) == 6
    else:
        assert np.allclose(C[0, :], [0, 4, 0, 0] * mV) and len(C) == 3
    C.W[1, :] = [1, 0, 2, 0] * mV  # values per entry: the nonzero ones are synapses
    assert np.allclose(C.W.todense()[1], [1, 0, 2, 0] * mV)


def test_connection_matrix_weights_act_in_a_run():
    P = SpikeGeneratorGroup(2, [0, 1], [1, 2] * ms)
    Q = NeuronGroup(3, "ge : volt")
    C = Connection(P, Q, "ge")
    C[0, 2] = 1 * mV
    C[1, 0] = 2 * mV
    run(3 * ms)
    assert np.allclose(Q.ge[:], [2, 0, 1] * mV)
    C[1, 0] = 0 * mV  # between runs
    C[1, 1] = 5 * mV  # a new synapse
    P.set_spikes([0, 1], [4, 5] * ms)
    run(3 * ms)
    assert np.allclose(Q.ge[:], [2, 5, 2] * mV)
    C.W[:] = 0 * mV  # Brian 1's W[:] = value: every synapse
    assert len(C) == 3 and np.allclose(C.W.todense(), np.zeros((2, 3)) * mV)


def test_connect_full_and_one_to_one_with_the_matrix():
    # connect_full: "Connect every neuron in P to every neuron in Q with the given weight";
    # connect_one_to_one: "neuron i in P will be connected to neuron i in Q"
    P = NeuronGroup(4, "v : volt")
    Q = NeuronGroup(4, "ge : volt\ngi : volt")
    C = Connection(P, Q, "ge")
    C.connect_full(P[0:2], Q[2:4], weight=3 * mV)
    D = Connection(P, Q, "gi", structure="dense")
    D.connect_one_to_one(P, Q, weight=2 * mV)
    expected = np.zeros((4, 4))
    expected[0:2, 2:4] = 3
    assert np.allclose(C.W.todense(), expected * mV)
    assert np.allclose(D.W.todense(), 2 * np.eye(4) * mV)
    assert np.allclose(D.W.sum(axis=0), np.full(4, 2) * mV)  # numpy on the matrix
    with pytest.raises(DimensionMismatchError):
        C.connect_full(P, Q, weight=1 * nS)


# -- Connection: modulation -----------------------------------------------------------------
def test_connection_modulation(codegen_target):
    # "modulation: The state variable name from the source group that scales the synaptic
    # weights": each spike adds w*x, x the presynaptic neuron's value at the spike
    P = NeuronGroup(2, "x : 1", threshold="(t > 0.45*ms and t < 0.55*ms) or "
                                          "(t > 1.45*ms and t < 1.55*ms)")
    P.x = [0.5, 2.0]
    Q = NeuronGroup(1, "ge : volt")
    C = Connection(P, Q, "ge", modulation="x", weight=1 * mV)
    assert C.modulation == "x"
    run(1 * ms)
    assert np.allclose(Q.ge[:], [2.5] * mV)
    P.x = [3.0, 0.0]
    run(1 * ms)
    assert np.allclose(Q.ge[:], [5.5] * mV)
    # a modulation with units: the weight has the target's units divided by them
    R = NeuronGroup(1, "y : volt")
    D = Connection(P, R, "y", modulation="x", weight=1 * mV)
    with pytest.raises(DimensionMismatchError):
        Connection(Q, R, "y", modulation="ge", weight=1 * mV)
    assert D.W.todense().shape == (2, 1)


def test_connection_modulation_with_stp():
    # Brian 1's STP transmits w*u*x; with a modulation, that times the modulating variable
    P = NeuronGroup(1, "m : 1", threshold="t > 0.95*ms and t < 1.05*ms")
    P.m = 0.5
    Q = NeuronGroup(2, "ge : volt")
    C = Connection(P, Q[0:1], "ge", modulation="m", weight=2 * mV)
    D = Connection(P, Q[1:2], "ge", weight=2 * mV)
    STP(C, taud=100 * ms, tauf=10 * ms, U=0.5)
    STP(D, taud=100 * ms, tauf=10 * ms, U=0.5)
    run(2 * ms)
    assert float(Q.ge[1]) > 0
    assert float(Q.ge[0]) == pytest.approx(0.5 * float(Q.ge[1]))
