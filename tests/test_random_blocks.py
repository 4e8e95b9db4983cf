"""The block path of the random numbers (issue 19): tiles of consecutive elements filled a
Philox block at a time give exactly the scalar and numpy numbers, on every kernel path,
whatever the thread count; and the paired streams are statistically sound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    prefs,
    seed,
    start_scope,
)
from sim.codegen import philox as P

KEY = P.stream_key(99, "blocks", 0)


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


@settings(max_examples=60, deadline=None)
@given(start=st.one_of(st.integers(0, 5000), st.integers(2**32 - 5000, 2**32 - 1)),
       n=st.integers(0, 2500), step=st.integers(0, 2**63 - 1), draw=st.integers(0, 7))
def test_fills_give_the_numbers_of_each_element(start, n, step, draw):
    n = min(n, 2**32 - start)
    idx = np.arange(start, start + n, dtype=np.int64)
    for fill, ref, scalar in ((P.fill_uniform, P.uniform, P.uniform_scalar),
                              (P.fill_normal, P.normal, P.normal_scalar)):
        out = np.full(n, np.nan)
        fill(out, KEY[0], KEY[1], step, start, draw)
        assert np.array_equal(_bits(out), _bits(ref(KEY, step, idx, draw)))
        for m in {0, n // 2, n - 1} if n else ():
            assert scalar(KEY[0], KEY[1], step, start + m, draw) == out[m]


def _network(target, threshold=50_000, threads=None):
    """Every kernel path that draws: state updates with xi (a whole group, from 0), resets
    with randn() (scattered spiking neurons), synaptic code with rand()/randn() on each
    source's range of synapses (contiguous, odd starts), a threshold with rand()."""
    start_scope()
    seed(321)
    prefs.codegen.target = target
    prefs.codegen.numba_parallel_threshold = threshold
    prefs.codegen.numba_threads = threads
    try:
        G = NeuronGroup(2501, """dv/dt = (1.05 - v)/(10*ms) + 0.4*xi/sqrt(10*ms) : 1
                                 u : 1""",
                        threshold="v > 1 or rand() < 0.002", reset="v = 0.1*abs(randn())",
                        method="euler")
        G.v = "rand()"
        S = Synapses(G, G, "w : 1", on_pre="u += w*rand() + 0.01*randn()")
        S.connect(p=0.004)
        S.w = "rand()"
        G.run_regularly("u = 0.9*u + 0.01*randn()", dt=0.5 * ms)
        M = SpikeMonitor(G)
        R = StateMonitor(G, ["v", "u"], record=[0, 1, 1250, 2500])
        net = Network(G, S, M, R)
        net.run(30 * ms)
    finally:
        prefs.codegen.numba_parallel_threshold = 50_000
        prefs.codegen.numba_threads = None
    return M.i[:].copy(), M.t_[:].copy(), G.v_[:].copy(), G.u_[:].copy(), R.v_.copy(), len(S)


@pytest.fixture(scope="module")
def numpy_reference():
    return _network("numpy")


@pytest.mark.parametrize("threshold, threads", [(50_000, None), (0, None), (0, 1)])
def test_every_kernel_path_draws_the_numpy_numbers(numpy_reference, threshold, threads):
    ref = numpy_reference
    assert len(ref[0]) > 1000 and ref[5] > 10_000
    got = _network("numba", threshold, threads)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
    for a, b in zip(got[2:5], ref[2:5], strict=True):
        assert np.array_equal(_bits(a), _bits(b))


def test_numba_kernels_use_the_tiles_over_contiguous_ranges():
    start_scope()
    prefs.codegen.target = "numba"
    G = NeuronGroup(10, "dv/dt = -v/(10*ms) + xi/sqrt(10*ms) : 1", threshold="v > 1",
                    reset="v = randn()", method="euler")
    Network(G).run(1 * ms)
    objects = {o.name.rsplit("_", 1)[-1]: o for o in Network(G)._all_objects()}
    update = objects["stateupdater"]._kernel.source
    assert "_rng_fill_randn(_rb0" in update  # whole group: tiles
    assert "_rng_randn(_rng_keys, 0, _step, _j)" in update  # an index array: scalar
    assert "_rng_randn(_rng_keys, 0, _step, _j)" in objects["resetter"]._kernel.source


# ------------------------------------------------------------------------- statistics
M = 1_000_000


@pytest.fixture(scope="module")
def draws():
    u = np.empty(M)
    z = np.empty(M)
    P.fill_uniform(u, KEY[0], KEY[1], 17, 0, 0)
    P.fill_normal(z, KEY[0], KEY[1], 17, 0, 0)
    u_next = np.empty(M)
    z_next = np.empty(M)
    P.fill_uniform(u_next, KEY[0], KEY[1], 18, 0, 0)
    P.fill_normal(z_next, KEY[0], KEY[1], 18, 0, 0)
    return u, z, u_next, z_next


def test_uniform_distribution_on_a_million_draws(draws):
    u = draws[0]
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / M)
    assert abs(u.var() - 1 / 12) < 5 * math.sqrt(1 / 180 / M)
    counts = np.bincount((u * 1000).astype(int), minlength=1000)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_normal_distribution_on_a_million_draws(draws):
    z = draws[1]
    assert stats.kstest(z, "norm").pvalue > 1e-4
    assert abs(z.mean()) < 5 / math.sqrt(M)
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / M)
    assert abs(stats.skew(z)) < 5 * math.sqrt(6 / M)
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / M)
    # the tails: P(|z| > 4) = 6.3e-5
    tail = np.count_nonzero(np.abs(z) > 4.0)
    expected = M * 2 * stats.norm.sf(4.0)
    assert abs(tail - expected) < 5 * math.sqrt(expected)


@pytest.mark.parametrize("which", [0, 1])
def test_neighbours_partners_and_steps_are_independent(draws, which):
    x, x_next = draws[which], draws[which + 2]
    bound = 5 / math.sqrt(M / 2)
    even, odd = x[0::2], x[1::2]  # partners: the two numbers of one Philox block
    for a, b in ((even, odd), (odd[:-1], even[1:]), (x, x_next)):
        a = a[: b.size]
        assert abs(np.corrcoef(a, b)[0, 1]) < bound
        assert abs(np.corrcoef(a**2, b**2)[0, 1]) < bound  # (Box-Muller's radius is shared)
    if which == 1:  # partners' joint law: the pair's angle is uniform, its radius Rayleigh
        r2 = even**2 + odd**2
        assert stats.kstest(r2, "expon", args=(0, 2)).pvalue > 1e-4
        assert stats.kstest(np.arctan2(odd, even), "uniform", args=(-np.pi, 2 * np.pi)
                            ).pvalue > 1e-4


def _chi2_against(samples, dist):
    """Chi-square of integer samples against a scipy distribution, bins with >= 20 expected."""
    lo, hi = int(dist.ppf(1e-9)), int(dist.ppf(1 - 1e-9)) + 1
    counts = np.bincount(np.clip(samples - lo, 0, hi - lo), minlength=hi - lo + 1)
    probs = np.diff(np.concatenate([[0.0], dist.cdf(np.arange(lo, hi)), [1.0]]))
    exp = probs * samples.size
    obs_b, exp_b, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(counts, exp, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 20:
            obs_b.append(acc_o)
            exp_b.append(acc_e)
            acc_o = acc_e = 0.0
    obs_b[-1] += acc_o
    exp_b[-1] += acc_e
    return stats.chisquare(obs_b, exp_b).pvalue


@pytest.mark.parametrize("kind, params", [
    ("poisson", (4.5,)), ("poisson", (150.0,)),  # inversion; PTRS
    ("binomial", (1000, 0.02)), ("binomial", (5000, 0.3)),  # inversion; BTRD
])
def test_discrete_distributions_on_a_million_draws(kind, params):
    x = getattr(P, kind)(*params, KEY, 23, np.arange(M))
    dist = stats.poisson(*params) if kind == "poisson" else stats.binom(*params)
    assert abs(x.mean() - dist.mean()) < 5 * dist.std() / math.sqrt(M)
    assert abs(x.var() / dist.var() - 1.0) < 5 * math.sqrt(2 / M) + 5 / math.sqrt(M * dist.var())
    assert _chi2_against(x, dist) > 1e-4
