"""Differences from Brian 2 that gave wrong results or crashes (issue 20, items 2 and 4)."""

import numpy as np
import pytest

from sim import (
    EventMonitor,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    run,
)

pytestmark = pytest.mark.usefixtures("codegen_target")

_HH_LIKE = """dn/dt = (1 - n)/(2*ms) : 1
dm/dt = -m/ms : 1
nbytes : 1
capacity : 1"""


def test_a_recorded_variable_wins_over_the_monitors_own_attributes():
    """Brian 2's `M.n[0]` for a gating variable `n`: hearsim's own `n` (the number of
    time points) used to hide it (`'int' object is not subscriptable`)."""
    G = NeuronGroup(3, _HH_LIKE)
    G.m = 1
    G.nbytes = "i"
    M = StateMonitor(G, ["n", "m", "nbytes", "capacity"], record=True)
    run(0.5 * ms)
    assert M.n.shape == (3, 5)
    np.testing.assert_allclose(M.n[0], 1 - np.exp(-np.arange(5) * 0.1 / 2), rtol=1e-6)
    np.testing.assert_array_equal(M.nbytes[2], 2.0)  # the model's, not the memory held
    assert M.capacity.shape == (3, 5)
    assert M.N == 5  # Brian 2's count of time points
    assert M.n_.shape == (3, 5)


def test_the_monitors_own_attributes_remain_without_a_clash():
    G = NeuronGroup(2, "dv/dt = -v/ms : 1")
    M = StateMonitor(G, "v", record=True)
    run(0.3 * ms)
    assert M.n == M.N == 3
    assert M.capacity == 3 and M.nbytes > 0


def test_brian2_views_of_monitor_rows():
    G = NeuronGroup(5, "dv/dt = (i - v)/ms : 1")
    M = StateMonitor(G, "v", record=[0, 2, 3, 4])
    run(0.4 * ms)
    np.testing.assert_array_equal(M[2].t, M.t)  # mon[i].t: the times
    np.testing.assert_array_equal(M[2].v, M.v[1])
    np.testing.assert_array_equal(M[[0, 3]].v, M.v[[0, 2]])
    np.testing.assert_array_equal(M[G[2:4]].v, M.v[[1, 2]])  # a subgroup of the source
    np.testing.assert_array_equal(M[np.array([4])].v_, M.v_[[3]])
    with pytest.raises(IndexError, match="Element 1 is not recorded"):
        M[1]
    with pytest.raises(IndexError, match="Element 1 is not recorded"):
        M[[0, 1]]
    with pytest.raises(TypeError, match="index with an integer"):
        M[0.5, 1.5]
    assert "giving access to elements 2" in repr(M[2])


def test_get_states_of_a_state_monitor():
    G = NeuronGroup(2, "dv/dt = 1/ms : 1")
    M = StateMonitor(G, "v", record=True)
    run(0.2 * ms)
    states = M.get_states()
    assert list(states) == ["t", "N", "v"]
    assert states["N"] == 2
    np.testing.assert_array_equal(states["v"], M.v)
    assert isinstance(M.get_states(["v"], units=False)["v"], np.ndarray)
    with pytest.raises(KeyError, match="has no variable 'w'"):
        M.get_states(["w"])


def test_an_event_monitor_refuses_a_variable_its_own_count_would_hide():
    """`count` is the monitor's spike count per neuron (as in Brian 2, which refuses the
    clash too); recording a model variable `count` would give one or the other silently."""
    G = NeuronGroup(2, "dv/dt = 1/ms : 1\ncount : 1", threshold="v > 0.1", reset="v = 0")
    with pytest.raises(ValueError, match="cannot record 'count'"):
        SpikeMonitor(G, variables="count")
    with pytest.raises(ValueError, match="cannot record 'count'"):
        EventMonitor(G, "spike", variables=["v", "count"])


def test_summed_variables_onto_subgroups():
    """Crashed with "Subgroup has no variable 'order'"; only the subgroup's neurons are
    summed into and the other neurons keep their values, as in Brian 2."""
    P = NeuronGroup(2, "v : 1")
    P.v = [1, 2]
    G = NeuronGroup(5, "dv/dt = -v/ms : 1\ns : 1")
    G.s = 7
    S = Synapses(P, G[2:4], "s_post = v_pre * (j + 1) : 1 (summed)")
    S.connect(i=[0, 1, 1], j=[0, 0, 1])
    S2 = Synapses(P, G[0:1], "s_post = 10*v_pre : 1 (summed)")
    S2.connect(i=1, j=0)
    run(0.2 * ms)
    np.testing.assert_array_equal(G.s[:], [20, 7, 3, 4, 7])


def test_add_attribute_on_groups_and_subgroups():
    G = NeuronGroup(3, "v : 1")
    sub = G[0:2]
    sub.add_attribute("label")
    sub.label = "first two"
    assert sub.label == "first two"
    with pytest.raises(AttributeError, match="already a state variable"):
        sub.add_attribute("v")
    with pytest.raises(AttributeError, match="has no such variable"):
        sub.other = 1
