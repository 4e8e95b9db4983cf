"""Issue 18: Brian 2 scripts' synapse generators with rand(), monitors of x_pre/x_post
through synapses, and the clock values a StateMonitor records.

Expected values follow Brian 2's documented behaviour (docs_sphinx/user/synapses.rst,
brian2/tests/test_synapses.py, brian2/monitors/statemonitor.py); the monitor values
below were checked against Brian 2.9 (numpy target).
"""

import numpy as np
import pytest

from sim import (
    Network,
    NeuronGroup,
    StateMonitor,
    Synapses,
    collect,
    ms,
    mV,
    prefs,
    second,
    seed,
)

# every test runs on every code-generation target (numpy and numba)
pytestmark = pytest.mark.usefixtures("codegen_target")


def _pairs(S) -> list[tuple[int, int]]:
    return list(zip(S.i[:].tolist(), S.j[:].tolist(), strict=True))


def _matrix(S, n_pre, n_post) -> np.ndarray:
    out = np.zeros((n_pre, n_post), dtype=int)
    np.add.at(out, (S.i[:], S.j[:]), 1)
    return out


def _connect(n, seed_value, **kwargs):
    seed(seed_value)
    G = NeuronGroup(n, "v : 1")
    S = Synapses(G, G, "w : 1")
    S.connect(**kwargs)
    return S


# -- 1. generator syntax with rand() ---------------------------------------------------
NEIGHBOURS = "k for k in range(i-5, i+5) if rand() < 0.3"


def test_generator_with_rand_in_the_condition_makes_valid_random_synapses():
    S = _connect(200, 11, j=NEIGHBOURS, skip_if_invalid=True)
    i, j = S.i[:], S.j[:]
    assert np.all((j >= i - 5) & (j < i + 5)) and np.all((j >= 0) & (j < 200))
    candidates = sum(len([k for k in range(a - 5, a + 5) if 0 <= k < 200]) for a in range(200))
    sd = np.sqrt(candidates * 0.3 * 0.7)
    assert abs(S.N - 0.3 * candidates) < 5 * sd
    assert len(set(_pairs(S))) == S.N  # one draw per candidate: no repeated pair


def test_generator_rand_is_reproducible_after_seed_and_the_same_on_every_target():
    first = _pairs(_connect(100, 5, j=NEIGHBOURS, skip_if_invalid=True))
    assert _pairs(_connect(100, 5, j=NEIGHBOURS, skip_if_invalid=True)) == first
    assert _pairs(_connect(100, 6, j=NEIGHBOURS, skip_if_invalid=True)) != first
    other = "numpy" if prefs.codegen.target == "numba" else "numba"
    prefs.codegen.target = other
    assert _pairs(_connect(100, 5, j=NEIGHBOURS, skip_if_invalid=True)) == first


def test_generator_rand_draws_per_candidate_not_per_position():
    """Each (i, k) has its own number: cutting the range to the existing targets
    (skip_if_invalid) gives the same synapses as testing the bounds in the condition."""
    cut = _pairs(_connect(60, 9, j=NEIGHBOURS, skip_if_invalid=True))
    tested = _pairs(_connect(60, 9, j="k for k in range(i-5, i+5) if k >= 0 and k < N_post "
                                      "and rand() < 0.3"))
    assert cut == tested


def test_brian2_generator_with_rand_that_always_holds():
    # brian2/tests/test_synapses.py (see Brian 2 issue #1037)
    n = 16
    S = _connect(n, 1, j="i+k for k in range(0, 5) if i <= N_post-5 and rand() <= 1")
    expected = np.zeros((n, n), dtype=int)
    expected[np.triu_indices(n)] = 1
    expected[np.triu_indices(n, 5)] = 0
    expected[n - 4:, :] = 0
    np.testing.assert_array_equal(_matrix(S, n, n), expected)
    assert _connect(n, 1, j="k for k in range(N_post) if rand() < 0").N == 0


def test_rand_in_the_element_and_in_sample_arguments():
    S = _connect(30, 2, j="int(rand()*N_post) for _ in range(3)")
    assert S.N == 90 and np.all(np.bincount(S.i[:]) == 3)
    assert len(set(S.j[:].tolist())) > 10  # random targets, not one value
    S2 = _connect(400, 2, j="k for k in sample(N_post, p=0.5*rand())")
    assert abs(S2.N / 400**2 - 0.25) < 0.05  # p uniform in [0, 0.5) per source
    rows = np.bincount(S2.i[:], minlength=400) / 400
    assert rows.std() > 0.1  # one p per presynaptic neuron


@pytest.mark.parametrize("kwargs", [dict(condition="rand() < 0.4"),
                                    dict(condition="i != j", p="0.8*rand()"),
                                    dict(p="rand()*0.8", condition="i != j and rand() < 1")])
def test_rand_in_connect_condition_and_p(kwargs):
    """Brian 2 turns condition and p into a generator: rand() is allowed in both."""
    S = _connect(100, 4, **kwargs)
    expected = 0.4 * (100 * 100 if "i != j" not in kwargs["condition"] else 100 * 99)
    assert abs(S.N - expected) < 5 * np.sqrt(expected)
    if "i != j" in kwargs["condition"]:
        assert not np.any(S.i[:] == S.j[:])
    assert _pairs(_connect(100, 4, **kwargs)) == _pairs(S)


# Brian 2's generator tests (brian2/tests/test_synapses.py), which hearsim refused


def test_brian2_generator_deterministic_with_j_and_neuron_variables():
    G = NeuronGroup(16, "v : 1")
    G.v = "i"
    no_self = np.ones((16, 16), dtype=int) - np.eye(16, dtype=int)
    for text in ("k for k in range(N_post) if j != i",
                 "k for k in range(N_post) if v_post != v_pre"):
        S = Synapses(G, G)
        S.connect(j=text)
        np.testing.assert_array_equal(_matrix(S, 16, 16), no_self)
    for text in ("k for k in range(N_post) if v_pre == v_post", "i for _ in range(1)", "i"):
        S = Synapses(G, G)
        S.connect(j=text)
        np.testing.assert_array_equal(_matrix(S, 16, 16), np.eye(16, dtype=int))
    S = Synapses(G, G)
    S.connect(j="i + k for k in range(0, N_post) if j < N_post")
    np.testing.assert_array_equal(_matrix(S, 16, 16), np.triu(np.ones((16, 16), dtype=int)))


def test_brian2_generator_short_form_with_if():
    G, G2 = NeuronGroup(16, ""), NeuronGroup(4, "")
    S = Synapses(G, G2)
    S.connect(j="int(i/4) if i % 2 == 0")
    expected = np.zeros((16, 4), dtype=int)
    for target in range(4):
        expected[np.arange(4, step=2) + target * 4, target] = 1
    np.testing.assert_array_equal(_matrix(S, 16, 4), expected)


def test_brian2_generator_over_postsynaptic_neurons():
    G = NeuronGroup(16, "v : 1")
    G.v = "i"
    G2 = NeuronGroup(4, "v : 1")
    S1 = Synapses(G, G2)
    S1.connect(i="k for k in range(N_pre)")
    np.testing.assert_array_equal(_matrix(S1, 16, 4), np.ones((16, 4), dtype=int))
    assert S1.j[:5].tolist() == [0] * 5  # Brian 2's order: over j, then i
    S2 = Synapses(G, G)
    S2.connect(i="k for k in range(N_pre) if k != j")
    np.testing.assert_array_equal(_matrix(S2, 16, 16), 1 - np.eye(16, dtype=int))
    S3 = Synapses(G, G)
    S3.connect(i="j")
    np.testing.assert_array_equal(_matrix(S3, 16, 16), np.eye(16, dtype=int))


def test_brian2_sample_with_neuron_variables_steps_and_sizes():
    G = NeuronGroup(4, "x : integer")
    G.x = "i"
    G2 = NeuronGroup(7, "y : 1")
    G2.y = "i"
    S = Synapses(G, G2)
    S.connect(j="k for k in sample(N_post, p=int(x_pre==2)*1.0)")
    assert S.i[:].tolist() == [2] * 7 and S.j[:].tolist() == list(range(7))
    S = Synapses(G, G2)
    S.connect(i="k for k in sample(N_pre, p=int(y_post==2)*1.0)")
    assert S.i[:].tolist() == list(range(4)) and S.j[:].tolist() == [2] * 4
    S = Synapses(G, G2)
    S.connect(j="k for k in sample(N_post-1, 0, -2, p=int(x_pre==2)*1.0)")
    assert S.j[:].tolist() == [6, 4, 2]
    S = Synapses(G, G2)
    S.connect(j="k for k in sample(2, N_post, 2, p=0.3)")
    assert np.all(S.j[:] % 2 == 0) and np.all(S.j[:] >= 2)
    S = Synapses(G, G2)
    S.connect(j="k for k in sample(N_post, size=3)")
    assert np.all(np.bincount(S.i[:], minlength=4) == 3)
    for source in range(4):
        js = S.j[:][S.i[:] == source].tolist()
        assert js == sorted(set(js))
    S = Synapses(G, G2)
    S.connect(j="k for k in sample(N_post, size=int(x_pre==2)*N_post)")
    assert S.i[:].tolist() == [2] * 7


def test_generator_errors_name_the_culprit():
    G = NeuronGroup(8, "v : 1")
    S = Synapses(G, G)
    with pytest.raises(ValueError, match="cannot be combined with p="):
        S.connect(j="k for k in range(N_post)", p=0.5)
    with pytest.raises(ValueError, match="depends on 'j'"):
        S.connect(j="k for k in sample(N_post, p=j*0.1)")
    with pytest.raises(ValueError, match="N_incoming"):
        S.connect(j="k for k in range(N_post) if N_incoming < 3")
    with pytest.raises(IndexError, match="reads a variable of that side.*skip_if_invalid"):
        S.connect(j="i+k for k in range(0, 5) if v_post >= 0")
    with pytest.raises(IndexError, match="sample\\(size=9\\)"):
        S.connect(j="k for k in sample(N_post, size=9)")
    with pytest.raises(TypeError, match="must be an integer"):
        S.connect(j="k for k in range(N_post/3)")
    assert S.N == 0
    S.connect(j="i+k for k in range(0, 5) if v_post >= 0", skip_if_invalid=True)
    assert S.N == sum(min(5, 8 - a) for a in range(8))
    S2 = Synapses(G, G)
    S2.connect(j="k for k in sample(N_post, size=9)", skip_if_invalid=True)
    assert S2.N == 64


# -- 2. x_pre / x_post through synapses --------------------------------------------------
def _ring():
    G = NeuronGroup(3, "dv/dt = 1/ms : 1")
    G.v = "i"
    S = Synapses(G, G, "w : 1")
    S.connect(i=[0, 1, 2], j=[1, 2, 0])
    return G, S


def test_synaptic_code_reads_pre_and_post_variables():
    _, S = _ring()
    S.w = "v_pre + 10*v_post"
    np.testing.assert_allclose(S.w[:], [10.0, 21.0, 2.0])


def test_state_monitor_of_synapses_records_pre_and_post_variables():
    G, S = _ring()
    S.w = "v_pre + 10*v_post"
    M = StateMonitor(S, "v_pre", record=[0, 1])
    M2 = StateMonitor(S, ["w", "v_post"], record=True)
    M3 = StateMonitor(S, "v", record=True)  # unsuffixed: the postsynaptic variable
    net = Network(collect())
    net.run(0.3 * ms)
    if prefs.codegen.target == "numba":
        assert net.used_compiled_loop, net.compiled_loop_unavailable
    # Brian 2.9 gives exactly these (numpy target)
    np.testing.assert_allclose(M.v_pre, [[0.0, 0.1, 0.2], [1.0, 1.1, 1.2]], atol=1e-12)
    np.testing.assert_allclose(M2.v_post, [[1.0, 1.1, 1.2], [2.0, 2.1, 2.2], [0.0, 0.1, 0.2]],
                               atol=1e-12)
    np.testing.assert_allclose(M2.w, [[10.0] * 3, [21.0] * 3, [2.0] * 3])
    np.testing.assert_allclose(M3.v, M2.v_post)
    np.testing.assert_allclose(M[1].v_pre, [1.0, 1.1, 1.2], atol=1e-12)
    np.testing.assert_allclose(M.t / ms, [0.0, 0.1, 0.2], atol=1e-12)


def test_pre_variable_keeps_its_unit_and_follows_a_subgroup():
    G = NeuronGroup(5, "v : volt")
    G.v = "i*mV"
    S = Synapses(G[2:], G[:2], "w : 1")
    S.connect()  # 3 x 2 synapses
    M = StateMonitor(S, ["v_pre", "v_post"], record=True)
    net = Network(collect())
    net.run(0.2 * ms)
    assert M.v_pre.dim == mV.dim
    np.testing.assert_allclose(M.v_pre[:, 0] / mV, (S.i[:] + 2).astype(float))
    np.testing.assert_allclose(M.v_post_[:, 1], S.j[:] * 1e-3)


def test_unknown_synaptic_monitor_variable_is_named():
    G = NeuronGroup(2, "v : 1")
    S = Synapses(G, G, "w : 1")
    S.connect()
    with pytest.raises(KeyError, match="no variable 'u_pre'.*x_pre, x_post"):
        StateMonitor(S, "u_pre", record=True)


def test_neuron_subexpressions_through_synapses():
    """Brian 2 reads a neuron's subexpression through synapses (``I_post``, ``J_pre``,
    unsuffixed ``I``), in synaptic code, in connect and in monitors (values checked
    against Brian 2.9)."""
    G = NeuronGroup(3, "dv/dt = 1/ms : 1\nI = 2*v : 1\nJ = I + i : 1")
    G.v = "i"
    S = Synapses(G, G, "w : 1")
    S.connect(i=[0, 1, 2], j=[1, 2, 0])
    S.w = "I_pre + 10*I_post"
    np.testing.assert_allclose(S.w[:], [20.0, 42.0, 4.0])
    S2 = Synapses(G, G)
    S2.connect(j="k for k in range(N_post) if I_post > I_pre")
    assert _pairs(S2) == [(0, 1), (0, 2), (1, 2)]
    S3 = Synapses(G, G)
    S3.connect("J_post > 3")  # J = 3*i
    assert S3.j[:].tolist() == [2, 2, 2]
    M = StateMonitor(S, ["I_post", "J_pre", "I"], record=[2])
    net = Network(collect())
    net.run(0.3 * ms)
    if prefs.codegen.target == "numba":
        assert net.used_compiled_loop, net.compiled_loop_unavailable
    np.testing.assert_allclose(M.I_post, [[0.0, 0.2, 0.4]], atol=1e-12)
    np.testing.assert_allclose(M.J_pre, [[6.0, 6.2, 6.4]], atol=1e-12)
    np.testing.assert_allclose(M.I, M.I_post)


# -- 3. clock values -----------------------------------------------------------------------
def test_state_monitor_refuses_t_and_n_as_brian2():
    """Brian 2: KeyError "The name 't' is already present in the variables dictionary"
    (the monitor's own t holds the times); likewise N."""
    G = NeuronGroup(2, "v : 1")
    with pytest.raises(KeyError, match="cannot record 't'.*mon.t"):
        StateMonitor(G, "t", record=True)
    with pytest.raises(KeyError, match="cannot record 'N'"):
        StateMonitor(G, ["v", "N"], record=True)


def test_state_monitor_records_dt_timesteps_and_i():
    G = NeuronGroup(3, "dv/dt = 1/ms : 1")
    M = StateMonitor(G, ["dt", "t_in_timesteps", "i", "v"], record=[0, 2])
    net = Network(collect())
    net.run(0.3 * ms)
    if prefs.codegen.target == "numba":
        assert net.used_compiled_loop, net.compiled_loop_unavailable
    assert M.dt.dim == second.dim
    np.testing.assert_allclose(M.dt_, np.full((2, 3), 1e-4))
    assert M.t_in_timesteps.dtype.kind == "i"
    np.testing.assert_array_equal(M.t_in_timesteps, [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(M.i, [[0, 0, 0], [2, 2, 2]])
    net.run(0.2 * ms)
    np.testing.assert_array_equal(M.t_in_timesteps[0], [0, 1, 2, 3, 4])
