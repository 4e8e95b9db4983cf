"""Memory of building synapses follows the synapses made, not the pairs examined
(issue 20, item 3: Stimberg et al. 2018's COBA network with astrocytes connects each of
640,000 synapses to an astrocyte by a condition over 3200 x 640,000 pairs)."""

import tracemalloc

import numpy as np
import pytest

import sim.synapses as synapses_module
from sim import NeuronGroup, Synapses, ms, run, seed


def _peak_of(function) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_condition_connect_memory_follows_the_result_not_the_pairs():
    n_pre, n_post = 1000, 50_000  # 5e7 pairs; the old way held 3 int64 arrays of them (1.2 GB)
    G = NeuronGroup(n_pre, "v : 1")
    H = NeuronGroup(n_post, "k : integer (constant)")
    H.k = np.arange(n_post) % n_pre
    S = Synapses(G, H)
    peak = _peak_of(lambda: S.connect("i == k_post"))
    assert len(S) == n_post
    pre, post = np.asarray(S.i[:]), np.asarray(S.j[:])
    assert np.array_equal(post % n_pre, pre) and np.array_equal(np.sort(post), np.arange(n_post))
    # bounded by a block of candidates (2**21 pairs, a few arrays of them) plus the result
    assert peak < 200e6, f"{peak / 1e6:.0f} MB for {len(S)} synapses out of {n_pre * n_post} pairs"


def test_condition_connect_on_synapses_target_with_summed_variable():
    # the example's shape: synapses whose target is another Synapses (its source a
    # subgroup), with a summed variable written onto it
    neurons = NeuronGroup(6, "x : 1")
    exc = neurons[:4]
    syn = Synapses(exc, neurons, "G_A : 1\nastrocyte_index : integer (constant)")
    syn.connect(True, p=1.0)
    syn.astrocyte_index = "j % 3"
    astro = NeuronGroup(3, "G : 1")
    astro.G = [1.0, 10.0, 100.0]
    to_syn = Synapses(astro, syn, "G_A_post = G_pre : 1 (summed)")
    to_syn.connect("i == astrocyte_index_post")
    back = Synapses(syn, astro, "")
    back.connect("astrocyte_index_pre == j")
    assert len(to_syn) == len(syn) == len(back) == 24
    run(0.2 * ms)
    assert np.allclose(syn.G_A[:], np.array([1.0, 10.0, 100.0])[np.asarray(syn.j[:]) % 3])


@pytest.mark.parametrize("p", [1.0, 0.3, 0.01])
def test_chunked_candidates_give_the_same_synapses(monkeypatch, p):
    def build():
        seed(11)
        G = NeuronGroup(70, "x : 1")
        G.x = "i * 0.5"
        S = Synapses(G, G)
        S.connect("abs(x_pre - x_post) < 12 and i != j", p=p)
        return np.asarray(S.i[:]).copy(), np.asarray(S.j[:]).copy()

    reference = build()
    monkeypatch.setattr(synapses_module, "_PAIR_BLOCK", 97)  # many small chunks
    small = build()
    assert len(reference[0]) > 0
    assert np.array_equal(reference[0], small[0]) and np.array_equal(reference[1], small[1])
