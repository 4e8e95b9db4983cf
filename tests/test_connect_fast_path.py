"""``connect(condition)`` with a clause ``i == f(j, x_post...)`` or ``j == f(i, x_pre...)``
(issue 20: the astrocyte network's ``'i == astrocyte_index_post'`` over 3200 x 640,000
pairs): only the one candidate pair per element is evaluated.  Every case here is built
twice with the same seed, once with the fast path switched off, and must give the same
synapses in the same order, and the same random numbers afterwards."""

import numpy as np
import pytest

from sim import NeuronGroup, Synapses, seed
from sim.units import DimensionMismatchError, mV  # noqa: F401 (mV: in model strings)


@pytest.fixture
def taken(monkeypatch):
    """Records whether the fast path made the synapses (True) or left them to the general
    path (False), call by call."""
    calls = []
    original = Synapses._connect_one_candidate

    def spy(self, *args, **kwargs):
        found = original(self, *args, **kwargs)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(Synapses, "_connect_one_candidate", spy)
    return calls


def _groups(n_pre=13, n_post=29):
    G = NeuronGroup(n_pre, "v : 1\nk : integer\nx : 1")
    H = NeuronGroup(n_post, "v : 1\nk : integer\nx : 1")
    for group in (G, H):
        group.v = "rand()"
        group.k = f"int(rand()*{n_pre + 6}) - 3"  # some out of range on purpose
        group.x = "rand()*4"
    return G, H


def _connect(monkeypatch, fast: bool, condition, source=None, target=None, **kwargs):
    if not fast:
        monkeypatch.setattr(Synapses, "_connect_one_candidate", lambda self, *a, **k: None)
    seed(1234)
    G, H = _groups()
    source = G if source is None else source(G, H)
    target = H if target is None else target(G, H)
    S = Synapses(source, target, "w : 1")
    S.connect(condition, **kwargs)
    G.v = "rand()"  # one more random assignment: the streams went on alike
    after = np.array(G.v[:])
    if not fast:
        monkeypatch.undo()
    return np.array(S.i[:]), np.array(S.j[:]), after


CASES = [
    ("i == j", {}),
    ("j == i", {}),
    ("i == k_post", {}),
    ("k_post == i", {}),
    ("j == k_pre", {}),
    ("k_pre == j", {}),
    ("i == x_post", {}),  # mostly non-integral: those match nothing
    ("i == floor(x_post) + 7", {}),
    ("i == 3", {}),
    ("i == j - 100", {}),  # nothing in range
    ("i == k_post and v_pre > 0.3", {}),
    ("v_pre > 0.3 and (i == k_post and j % 2 == 0)", {}),
    ("i == k_post and rand() < 0.5", {}),
    ("i == k_post", {"p": 0.4}),
    ("j == k_pre and v_post < 0.8", {"p": 0.7}),
    ("i == k_post", {"p": "0.2 + 0.6*v_post"}),
    ("j == k_pre and x_pre > 1", {"p": "v_pre*v_post"}),
    ("i == k_post", {"p": 1}),
    ("i == k_post", {"n": 2}),
    ("i == k_post", {"n": "k_post % 3"}),
]


@pytest.mark.parametrize("condition, kwargs", CASES)
def test_the_fast_path_makes_the_general_paths_synapses(monkeypatch, taken, condition,
                                                        kwargs):
    pre, post, after = _connect(monkeypatch, True, condition, **kwargs)
    assert taken == [True]
    pre0, post0, after0 = _connect(monkeypatch, False, condition, **kwargs)
    np.testing.assert_array_equal(pre, pre0)
    np.testing.assert_array_equal(post, post0)
    np.testing.assert_array_equal(after, after0)
    if condition in ("i == j", "i == k_post"):
        assert len(pre) > 0


@pytest.mark.parametrize("condition, kwargs", [("i == k_post and v_pre > 0.2", {}),
                                               ("j == k_pre", {"p": 0.5}),
                                               ("i == k_post", {"p": "v_post"})])
def test_subgroups(monkeypatch, taken, condition, kwargs):
    def source(G, H):
        return G[2:11]

    def target(G, H):
        return H[5:27]

    pre, post, _ = _connect(monkeypatch, True, condition, source, target, **kwargs)
    assert taken == [True]
    pre0, post0, _ = _connect(monkeypatch, False, condition, source, target, **kwargs)
    np.testing.assert_array_equal(pre, pre0)
    np.testing.assert_array_equal(post, post0)
    assert len(pre) > 0 and pre.max() < 9 and post.max() < 22


def test_synapses_as_the_source_like_the_astrocyte_example(monkeypatch, taken):
    # ecs_syn_to_astro.connect('astrocyte_index_pre == j'): a Synapses object as the source
    def build(fast):
        if not fast:
            monkeypatch.setattr(Synapses, "_connect_one_candidate", lambda s, *a, **k: None)
        seed(7)
        G = NeuronGroup(20, "v : 1")
        astro = NeuronGroup(6, "y : 1")
        exc = Synapses(G, G, "index : integer (constant)")
        exc.connect(p=0.3)
        exc.index = "int(rand()*6)"
        to_syn = Synapses(astro, exc, "")
        to_syn.connect("i == index_post")
        to_astro = Synapses(exc, astro, "")
        to_astro.connect("index_pre == j")
        result = [np.array(a) for a in (to_syn.i[:], to_syn.j[:], to_astro.i[:],
                                        to_astro.j[:], exc.index[:])]
        if not fast:
            monkeypatch.undo()
        return result

    fast = build(True)
    assert taken == [True, True]
    for a, b in zip(fast, build(False), strict=True):
        np.testing.assert_array_equal(a, b)
    to_syn_i, to_syn_j, to_astro_i, to_astro_j, index = fast
    assert len(to_syn_j) == len(index) and np.array_equal(to_syn_i, index[to_syn_j])
    assert np.array_equal(to_astro_i, np.arange(len(index)))
    assert np.array_equal(to_astro_j, index)


@pytest.mark.parametrize("condition, kwargs", [
    ("i != j", {}),  # no equality clause
    ("i == j or v_pre > 0.5", {}),  # 'or': not a clause of an 'and'
    ("i == j + 0*v_pre", {}),  # the other side depends on the presynaptic side
    ("i == int(rand()*13)", {}),  # random numbers in the candidate
    ("j == i + k_post", {}),  # j on both sides
    ("i == j", {"p": 0}),
])
def test_other_conditions_take_the_general_path(monkeypatch, taken, condition, kwargs):
    pre, post, _ = _connect(monkeypatch, True, condition, **kwargs)
    assert taken in ([], [False])  # p = 0 is left to the general path before any parsing
    pre0, post0, _ = _connect(monkeypatch, False, condition, **kwargs)
    np.testing.assert_array_equal(pre, pre0)
    np.testing.assert_array_equal(post, post0)


def test_callables_take_the_general_path(taken):
    G, H = _groups()
    S = Synapses(G, H)
    S.connect("i == j", p=lambda i, j: np.full(len(i), 0.5))
    S2 = Synapses(G, H)
    S2.connect(lambda i, j: i == j)
    assert taken == [] and len(S2) == 13


@pytest.mark.parametrize("condition, kwargs, error", [
    ("i == k_post and v_post > 3*mV", {}, DimensionMismatchError),
    ("i == k_post and unknown_name > 0", {}, KeyError),
    ("i == unknown_name", {}, KeyError),
    ("i == k_post + 1*mV", {}, DimensionMismatchError),
    ("i == k_post", {"p": "2*v_post + 1"}, Exception),  # probabilities above 1
    ("i == k_post", {"p": 1.5}, ValueError),
])
def test_errors_are_the_general_paths(monkeypatch, condition, kwargs, error):
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(Synapses, "_connect_one_candidate", lambda s, *a, **k: None)
        seed(99)
        G, H = _groups()
        S = Synapses(G, H)
        with pytest.raises(error) as info:
            S.connect(condition, **kwargs)
        if fast:
            message = str(info.value)
        else:
            assert str(info.value) == message
    monkeypatch.undo()


def test_a_larger_one_to_one_and_many_to_one_connect():
    # the astrocyte example's shape, smaller: 40 x 20,000 pairs, every post element one pre
    G = NeuronGroup(40, "")
    H = NeuronGroup(20_000, "a : integer (constant)")
    H.a = "i % 40"
    S = Synapses(G, H)
    S.connect("i == a_post")
    assert len(S) == 20_000
    assert np.array_equal(S.i[:], np.repeat(np.arange(40), 500))
    assert np.array_equal(S.j[:], np.arange(20_000).reshape(500, 40).T.ravel())
