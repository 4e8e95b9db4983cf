"""Issue 18, groups: what Brian 2 accepts for group sizes, spike indices, linked variables
and subgroup operations, hearsim accepts, with Brian 2's semantics."""

import numpy as np
import pytest

from sim import (
    Hz,
    Network,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    linked_var,
    ms,
    mV,
    prefs,
    run,
)


def _run(net: Network, duration, compiled: bool) -> None:
    """Run in the numba target's compiled loop (``compiled``) or step by step (a profiled
    run never uses the compiled loop); checks which one ran."""
    net.run(duration, profile=not compiled)
    if prefs.codegen.target == "numba":
        assert net.used_compiled_loop == compiled, net.compiled_loop_unavailable


# -- 1. group sizes given as integral floats ---------------------------------------------

def test_integral_float_sizes_are_accepted():
    G = NeuronGroup(1000.0, "v : 1")
    assert G.N == 1000 and type(G.N) is int and len(G.v[:]) == 1000
    assert NeuronGroup(np.float64(3.0), "v : 1").N == 3
    assert NeuronGroup(np.array(4.0), "v : 1").N == 4
    P = PoissonGroup(100.0, 10 * Hz)
    assert P.N == 100 and len(P.rates[:]) == 100
    assert PoissonGroup(5.0, np.arange(5) * Hz).N == 5
    assert PoissonGroup(5.0, "i*Hz").N == 5
    inp = PoissonInput(G, "v", N=1000.0, rate=1 * Hz, weight=0.1)
    assert inp.N == 1000 and type(inp.N) is int
    S = SpikeGeneratorGroup(3.0, [0, 2], [1, 2] * ms)
    assert S.N == 3 and len(S) == 3


def test_size_computed_as_a_float_runs():
    """Brian 2's scripts compute sizes (N = 0.8*N_total): the group runs as an int one."""
    n_total = 50
    P = PoissonGroup(0.8 * n_total, 2000 * Hz)
    G = NeuronGroup(0.2 * n_total, "v : 1")
    inp = PoissonInput(G, "v", N=n_total / 2, rate=100 * Hz, weight=1.0)  # noqa: F841
    mon = SpikeMonitor(P)
    run(10 * ms)
    assert P.N == 40 and G.N == 10
    assert mon.num_spikes > 0
    assert np.all(G.v[:] > 0)  # 25 sources at 100 Hz for 100 steps: some input arrived


@pytest.mark.parametrize("bad", [1000.5, 0.0, -3.0, float("nan"), float("inf"), True, False,
                                 0, -1, "10", None, [3], np.array([2.0, 3.0]), 3 * mV])
def test_bad_sizes_are_refused_naming_the_argument(bad):
    with pytest.raises(ValueError, match=r"NeuronGroup: N must be a positive integer"):
        NeuronGroup(bad, "v : 1")
    with pytest.raises(ValueError, match=r"PoissonGroup: N must be a positive integer"):
        PoissonGroup(bad, 10 * Hz)
    with pytest.raises(ValueError, match=r"SpikeGeneratorGroup: N must be a positive integer"):
        SpikeGeneratorGroup(bad, [], [] * ms)
    G = NeuronGroup(2, "v : 1")
    with pytest.raises(ValueError, match=r"PoissonInput: N must be a positive integer"):
        PoissonInput(G, "v", N=bad, rate=1 * Hz, weight=0.1)


# -- 2. spike generator indices given as whole floats ------------------------------------

def test_spike_generator_whole_float_indices(codegen_target):
    S = SpikeGeneratorGroup(3, np.array([0.0, 1.0, 2.0]), [0.1, 0.3, 0.5] * ms)
    mon = SpikeMonitor(S)
    net = Network(S, mon)
    net.run(1 * ms)
    assert mon.i[:].dtype.kind in "iu"
    assert list(mon.i[:]) == [0, 1, 2]
    assert np.allclose(mon.t[:] / ms, [0.1, 0.3, 0.5])
    S.set_spikes([2.0, 0.0], [0.2, 0.4] * ms)  # a list of floats too, via set_spikes
    assert S._indices.dtype == np.int64 and list(S._indices) == [2, 0]


@pytest.mark.parametrize("bad", [[0.5, 1.0], [0.0, float("nan")], [float("inf")]])
def test_spike_generator_non_whole_indices_are_refused(bad):
    with pytest.raises(ValueError, match="indices must be whole numbers"):
        SpikeGeneratorGroup(3, np.array(bad), np.zeros(len(bad)) * ms)


def test_spike_generator_other_index_types_are_refused():
    with pytest.raises(TypeError, match="indices must be a 1-D array of integers"):
        SpikeGeneratorGroup(3, np.array([[0, 1]]), [1, 2] * ms)
    with pytest.raises(TypeError, match="indices must be a 1-D array of integers"):
        SpikeGeneratorGroup(3, np.array(["a"]), [1] * ms)
    with pytest.raises(TypeError, match="indices must be plain numbers"):
        SpikeGeneratorGroup(3, [0, 1] * mV, [1, 2] * ms)
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 3\)"):
        SpikeGeneratorGroup(3, np.array([3.0]), [1] * ms)


# -- 3. linked_var from a one-element group broadcasts -----------------------------------

@pytest.mark.parametrize("compiled", [True, False])
def test_linked_var_from_one_element_group_broadcasts(codegen_target, compiled):
    """Brian 2 links with index '0' when the source has one element: every element of the
    target reads element 0 (and follows it as it changes)."""
    G = NeuronGroup(1, "dx/dt = 1/ms : 1")
    G.x = 3
    # order=1: H integrates after G in each step, whatever their names
    H = NeuronGroup(5, "y : 1 (linked)\nz : 1\ndw/dt = y/ms : 1", order=1)
    H.y = linked_var(G, "x")
    assert list(H.y[:]) == [3.0] * 5
    H.run_regularly("z = y + i")
    mon = StateMonitor(H, "y", record=[0, 4])
    net = Network(G, H, mon)
    _run(net, 0.3 * ms, compiled)
    # x grows by 0.1 per step: 3.0, 3.1, 3.2, then 3.3 after the last step
    assert np.allclose(mon.y[:], [[3.0, 3.1, 3.2]] * 2)
    assert np.allclose(H.y[:], 3.3)
    # run_regularly (slot 'start') ran before the last update: y = 3.2 there
    assert np.allclose(H.z[:], 3.2 + np.arange(5))
    # the state update reads the linked x after G's update of the step
    assert np.allclose(H.w[:], 0.1 * (3.1 + 3.2 + 3.3))


def test_linked_var_view_form_and_same_size_unchanged():
    G = NeuronGroup(1, "x : 1")
    G.x = 7
    H = NeuronGroup(4, "y : 1 (linked)")
    H.y = linked_var(G.x)
    assert list(H.y[:]) == [7.0] * 4
    # a one-element group linked to a one-element group: plain one-to-one
    K = NeuronGroup(1, "y : 1 (linked)")
    K.y = linked_var(G, "x")
    assert list(K.y[:]) == [7.0]
    # sizes that differ otherwise still need index=, as in Brian 2
    A = NeuronGroup(2, "x : 1")
    with pytest.raises(ValueError, match=r"\(4 elements\) to 'x' .*\(2 elements\) without index"):
        H.y = linked_var(A, "x")
    # a one-element subgroup of a larger group is no one-element variable (Brian 2 refuses)
    B = NeuronGroup(3, "x : 1")
    with pytest.raises(ValueError, match="without index"):
        H.y = linked_var(B[1:2], "x")


# -- 4. run_regularly (and run_at, run_on_clock, state) on subgroups ---------------------

@pytest.mark.parametrize("compiled", [True, False])
def test_subgroup_run_regularly_acts_on_its_elements(codegen_target, compiled):
    """Brian 2: G[2:5].run_regularly acts on elements 2..4 only; 'i' and 'N' in its code are
    the subgroup's (i = 0 at its first element)."""
    G = NeuronGroup(10, "v : 1\nu : 1")
    runner = G[2:5].run_regularly("v += 1\nu = i + 10*N", dt=0.1 * ms)
    assert runner in G.contained_objects
    net = Network(G)
    _run(net, 0.3 * ms, compiled)
    assert list(G.v[:]) == [0, 0, 3, 3, 3, 0, 0, 0, 0, 0]
    assert list(G.u[:]) == [0, 0, 30, 31, 32, 0, 0, 0, 0, 0]


def test_subgroup_run_regularly_slower_clock_and_nested(codegen_target):
    G = NeuronGroup(8, "v : 1")
    G[4:8][1:3].run_regularly("v += i + 1", dt=0.2 * ms)  # elements 5 and 6
    G[0:1].run_regularly("v -= 1")  # the group's clock
    net = Network(G)
    net.run(1 * ms)
    assert list(G.v[:]) == [-10, 0, 0, 0, 0, 5, 10, 0]


def test_subgroup_run_regularly_respects_refractoriness(codegen_target):
    """Brian 2's conditional writes hold on subgroups as on the group: a refractory
    neuron's '(unless refractory)' variable is not changed by run_regularly."""
    G = NeuronGroup(4, "dv/dt = 0/ms : 1 (unless refractory)", threshold="v > 0.5",
                    reset="v = 0", refractory=10 * ms)
    G.v = [0, 1, 0, 1]  # 1 and 3 spike at the first step, then are refractory
    G[1:4].run_regularly("v += 0.1", when="end")
    net = Network(G)
    net.run(0.5 * ms)
    assert np.allclose(G.v[:], [0, 0, 0.5, 0])


def test_subgroup_run_at_and_state(codegen_target):
    G = NeuronGroup(5, "v : 1")
    G[1:3].run_at("v += t/ms + i", [0.1, 0.3] * ms)
    net = Network(G)
    net.run(0.5 * ms)
    assert np.allclose(G.v[:], [0, 0.4, 2.4, 0, 0])
    assert np.allclose(G[1:3].state("v", use_units=False), [0.4, 2.4])
    assert np.allclose(G.state("v")[:], G.v[:])
    with pytest.raises(KeyError, match="no variable 'nope'"):
        G[1:3].state("nope")
    with pytest.raises(TypeError, match="made by slicing"):
        G[1:3][0]


def test_subgroup_run_on_clock_and_names():
    from sim import Clock

    G = NeuronGroup(3, "v : 1")
    sub = G[1:2]
    r1 = sub.run_regularly("v += 1")
    r2 = sub.run_on_clock("v += 1", Clock(0.5 * ms))
    r3 = sub.run_regularly("v += 1", name="mine")
    assert r3.name == "mine" and "run_regularly" in r1.name and "run_custom" in r2.name
    Network(G).run(1 * ms)
    assert list(G.v[:]) == [0, 10 + 2 + 10, 0]


def test_synapses_run_regularly(codegen_target):
    """Group.run_regularly also serves Synapses, as in Brian 2 (i: presynaptic index)."""
    G = NeuronGroup(4, "v : 1")
    S = Synapses(G, G, "w : 1")
    S.connect(i=[0, 1, 2], j=[1, 2, 3])
    S.run_regularly("w += 1 + i + v_post", dt=0.1 * ms)
    G.v = [0, 10, 20, 30]
    Network(G, S).run(0.2 * ms)
    assert list(S.w[:]) == [22, 44, 66]
