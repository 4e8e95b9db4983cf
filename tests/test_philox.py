"""Counter-based random numbers (sim.codegen.philox): correctness and cross-target identity."""

from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal, getcontext

import numba
import numpy as np
import pytest
from scipy import stats

from sim.codegen import philox as P

# Random123's kat_vectors (counter[4] key[2] -> output[4]), philox4x32 with 10 and 7 rounds
KAT = {
    10: [
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ],
    7: [
        ((0, 0, 0, 0), (0, 0), (0x5F6FB709, 0x0D893F64, 0x4F121F81, 0x4F730A48)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x5207DDC2, 0x45165E59, 0x4D8EE751, 0x8C52F662)),
        (
            (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
            (0xA4093822, 0x299F31D0),
            (0x4DFCCABA, 0x190A87F0, 0xC47362BA, 0xB6B5242A),
        ),
    ],
}

KEY = P.stream_key(20240611, "neurongroup", 0)
N = 100_000
STEPS = (0, 1, 12_345, 2**32 + 17)


def _ref_philox(counter, key, rounds=10):
    """Independent pure-Python Philox-4x32: Random123's order (bump the key
    *before* rounds 2..R), products split with divmod."""
    c = list(counter)
    k = list(key)
    for r in range(rounds):
        if r:
            k = [(k[0] + 0x9E3779B9) % 2**32, (k[1] + 0xBB67AE85) % 2**32]
        hi0, lo0 = divmod(0xD2511F53 * c[0], 2**32)
        hi1, lo1 = divmod(0xCD9E8D57 * c[2], 2**32)
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
    return tuple(c)


@numba.njit(cache=True)
def _fill(kind, k0, k1, step, idx, draw, par1, par2, out):
    """Draw with the scalar numba versions, one element per call."""
    for j in range(idx.size):
        i = idx[j]
        if kind == 0:
            out[j] = P.uniform_scalar(k0, k1, step, i, draw)
        elif kind == 1:
            out[j] = P.normal_scalar(k0, k1, step, i, draw)
        elif kind == 2:
            out[j] = P.normal_pair_scalar(k0, k1, step, i, draw)[0]
        elif kind == 3:
            out[j] = P.normal_pair_scalar(k0, k1, step, i, draw)[1]
        elif kind == 4:
            out[j] = P.poisson_scalar(par1[j], k0, k1, step, i, draw)
        else:
            out[j] = P.binomial_scalar(np.int64(par1[j]), par2[j], k0, k1, step, i, draw)


@numba.njit(cache=True)
def _math_scalar(kind, x, out):
    for j in range(x.size):
        if kind == 0:
            out[j] = P.det_log_scalar(x[j])
        elif kind == 1:
            out[j] = P.det_exp_scalar(x[j])
        elif kind == 2:
            out[j] = P.det_sincos2pi_scalar(x[j])[0]
        elif kind == 3:
            out[j] = P.det_sincos2pi_scalar(x[j])[1]
        else:
            out[j] = P.log_factorial_scalar(x[j])


def _numba(kind, step, idx, draw=0, par1=None, par2=None, key=KEY):
    out = np.empty(idx.size)
    par1 = np.zeros(idx.size) if par1 is None else np.broadcast_to(par1, idx.shape).astype(float)
    par2 = np.zeros(idx.size) if par2 is None else np.broadcast_to(par2, idx.shape).astype(float)
    _fill(kind, key[0], key[1], step, idx, draw, par1, par2, out)
    return out


def _bits_equal(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def _chi2_pvalue(samples, pmf, support_max):
    """Chi-square of integer samples against a pmf, pooling bins with < 5 expected."""
    n = samples.size
    counts = np.bincount(samples, minlength=support_max + 1)[: support_max + 1]
    expected = n * pmf(np.arange(support_max + 1))
    obs, exp = [], []
    acc_o = acc_e = 0.0
    for o, e in zip(counts, expected, strict=True):
        acc_o += o
        acc_e += e
        if acc_e >= 5:
            obs.append(acc_o)
            exp.append(acc_e)
            acc_o = acc_e = 0.0
    obs[-1] += acc_o + (n - counts.sum())  # the upper tail goes into the last bin
    exp[-1] += acc_e + (n - expected.sum())
    obs, exp = np.array(obs), np.array(exp)
    chi2 = np.sum((obs - exp) ** 2 / exp)
    return stats.chi2.sf(chi2, obs.size - 1)


# ----------------------------------------------------------------------------- Philox itself


@pytest.mark.parametrize("rounds", [10, 7])
def test_known_answer_vectors_numpy(rounds):
    for counter, key, expected in KAT[rounds]:
        out = P.philox4x32(counter, key, rounds=rounds)
        assert out.dtype == np.uint32
        assert tuple(int(w) for w in out) == expected
        assert _ref_philox(counter, key, rounds) == expected


def test_known_answer_vectors_scalar():
    for counter, key, expected in KAT[10]:
        assert tuple(int(w) for w in P.philox4x32_scalar(*counter, *key)) == expected
        # the same function as plain Python (what a C translation follows)
        assert tuple(int(w) for w in P.philox4x32_scalar.py_func(*counter, *key)) == expected


def test_against_independent_implementation():
    rng = np.random.default_rng(1)
    counters = rng.integers(0, 2**32, size=(4, 200), dtype=np.uint64)
    keys = rng.integers(0, 2**32, size=(200, 2), dtype=np.uint64)
    for j in range(200):
        c = tuple(int(x) for x in counters[:, j])
        k = tuple(int(x) for x in keys[j])
        ref = _ref_philox(c, k)
        assert tuple(int(w) for w in P.philox4x32(c, k)) == ref
        assert tuple(int(w) for w in P.philox4x32_scalar(*c, *k)) == ref
    # vectorised over counters, one key
    k = (int(keys[0, 0]), int(keys[0, 1]))
    out = P.philox4x32(counters, k)
    for j in range(0, 200, 37):
        assert tuple(int(w) for w in out[:, j]) == _ref_philox(tuple(counters[:, j]), k)


def test_not_numpys_philox():
    # numpy's Philox is the 4x64 variant: a different function, not used here
    bitgen = np.random.Philox(counter=0, key=0)
    assert int(bitgen.random_raw()) != 0x6627E8D5 | (0xE169C58D << 32)


def _u53_of(hi, lo):
    m = ((hi >> np.uint64(5)) << np.uint64(26)) | (lo >> np.uint64(6))
    return m.astype(float) * 2.0**-53


def test_counter_layout():
    # elements pair up on blocks: element i reads block i >> 1, words 0-1 (even i)
    # or 2-3 (odd i)
    step, draw = 2**32 * 3 + 11, 5
    idx = np.array([0, 1, 7, 2**32 - 2, 2**32 - 1])
    words = P.philox4x32((step & 0xFFFFFFFF, step >> 32, idx >> 1, draw), KEY).astype(np.uint64)
    odd = (idx & 1).astype(bool)
    expected = np.where(odd, _u53_of(words[2], words[3]), _u53_of(words[0], words[1]))
    assert _bits_equal(P.uniform(KEY, step, idx, draw), expected)
    # both elements of a block use all four words, so they differ
    assert P.uniform(KEY, step, [6])[0] != P.uniform(KEY, step, [7])[0]


def test_normal_layout_box_muller_both_outputs():
    # block b gives u1 = (m + 1) 2**-53 from words 0-1 and u2 from words 2-3; element 2b
    # is r cos(2 pi u2) and element 2b + 1 is r sin(2 pi u2), r = sqrt(-2 log u1)
    step, draw = 77, 2
    blocks = np.array([0, 3, 2**31 - 1])
    words = P.philox4x32((step, 0, blocks, draw), KEY).astype(np.uint64)
    u1 = _u53_of(words[0], words[1]) + 2.0**-53
    u2 = _u53_of(words[2], words[3])
    r = np.sqrt(-2.0 * np.log(u1))
    z = P.normal(KEY, step, np.stack([2 * blocks, 2 * blocks + 1]), draw)
    assert np.allclose(z[0], r * np.cos(2 * np.pi * u2), rtol=1e-13, atol=1e-14)
    assert np.allclose(z[1], r * np.sin(2 * np.pi * u2), rtol=1e-13, atol=1e-14)
    z0, z1 = P.normal_pair(KEY, step, blocks, draw)
    assert _bits_equal(z0, z[0]) and _bits_equal(z1, z[1])


# ----------------------------------------------------------------------------- stream keys


def test_fnv1a32_reference_values():
    assert P.fnv1a32(b"") == 0x811C9DC5
    assert P.fnv1a32(b"a") == 0xE40C292C
    assert P.fnv1a32(b"foobar") == 0xBF9CF968


def test_stream_key_hard_coded():
    assert P.stream_key(0, "neurongroup", 0) == (0, 918646987)
    assert P.stream_key(12345, "neurongroup_1", 2) == (12345, 3367433193)
    assert P.stream_key(2**40 + 7, "synapses", 1) == (7, 157874477)
    assert P.stream_key(1, "ñ", 0) == (1, 2298663515)


def test_stream_key_stable_across_processes():
    code = (
        "from sim.codegen.philox import stream_key;"
        "print(*stream_key(12345, 'neurongroup_1', 2))"
    )
    for hashseed in ("1", "2"):
        res = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": hashseed, "PATH": "", "PYTHONPATH": ":".join(sys.path)},
        )
        assert res.stdout.split() == ["12345", "3367433193"]


def test_stream_key_distinct_and_validated():
    keys = {P.stream_key(s, name, site) for s in (0, 1, 2**32) for name in ("a", "b", "ab")
            for site in range(4)}
    assert len(keys) == 3 * 3 * 4
    with pytest.raises(ValueError, match="seed"):
        P.stream_key(-1, "a", 0)
    with pytest.raises(ValueError, match="seed"):
        P.stream_key(2**64, "a", 0)
    with pytest.raises(ValueError, match="call_site"):
        P.stream_key(0, "a", 2**32)
    with pytest.raises(TypeError, match="object_name"):
        P.stream_key(0, 3, 0)
    with pytest.raises(TypeError, match="seed"):
        P.stream_key(1.5, "a", 0)


# ----------------------------------------------------------------------------- bit identity


@pytest.mark.parametrize("step", STEPS)
def test_numpy_numba_identical_uniform_normal(step):
    idx = np.arange(N)
    for draw in (0, 3):
        assert _bits_equal(P.uniform(KEY, step, idx, draw), _numba(0, step, idx, draw))
        assert _bits_equal(P.normal(KEY, step, idx, draw), _numba(1, step, idx, draw))
        blocks = idx[: N // 2]
        z0, z1 = P.normal_pair(KEY, step, blocks, draw)
        assert _bits_equal(z0, _numba(2, step, blocks, draw))
        assert _bits_equal(z1, _numba(3, step, blocks, draw))
        z = P.normal(KEY, step, idx, draw)
        assert _bits_equal(z0, z[0::2]) and _bits_equal(z1, z[1::2])


@pytest.mark.parametrize("step", STEPS)
def test_numpy_numba_identical_poisson_binomial(step):
    rng = np.random.default_rng(step % 1000)
    idx = np.arange(N)
    lam = np.concatenate([rng.uniform(0, 12, N // 2), rng.uniform(9, 3000, N // 2)])
    lam[:10] = [0.0, 1e-300, 1e-9, 9.999999, 10.0, 30.0, 1e5, 1e7, 0.5, 29.9]
    assert _bits_equal(P.poisson(lam, KEY, step, idx, 1), _numba(4, step, idx, 1, lam))
    n = rng.integers(0, 3000, N)
    p = rng.uniform(0, 1, N)
    n[:8] = [0, 5, 10**6, 10**9, 40, 40, 100, 21]
    p[:8] = [0.3, 0.0, 1e-6, 0.5, 1.0, 0.75, 0.1, 0.5]
    assert _bits_equal(P.binomial(n, p, KEY, step, idx, 2), _numba(5, step, idx, 2, n, p))


def test_pure_python_scalar_matches():
    idx = np.array([0, 1, 999, 2**31 + 5])
    k0, k1 = KEY
    for i in idx:
        i = int(i)
        assert P.uniform_scalar.py_func(k0, k1, 9, i, 0) == P.uniform(KEY, 9, [i])[0]
        assert P.normal_scalar.py_func(k0, k1, 9, i, 0) == P.normal(KEY, 9, [i])[0]
        for lam in (2.5, 40.0):
            assert P.poisson_scalar.py_func(lam, k0, k1, 9, i, 0) == P.poisson(lam, KEY, 9, [i])[0]
        for n, p in ((30, 0.2), (500, 0.4), (500, 0.8)):
            assert P.binomial_scalar.py_func(n, p, k0, k1, 9, i, 0) == P.binomial(
                n, p, KEY, 9, [i]
            )[0]


def test_deterministic_math_identical_and_accurate():
    rng = np.random.default_rng(5)
    x = np.concatenate(
        [np.exp(rng.uniform(-700, 700, 50_000)), rng.uniform(0, 2, 50_000), [5e-324, 1.0, 2.0]]
    )
    out = np.empty(x.size)
    _math_scalar(0, x, out)
    assert _bits_equal(out, P.det_log(x))
    ref = np.array([math.log(v) for v in x])
    assert np.max(np.abs(out - ref) / np.spacing(np.abs(ref) + 1e-300)) <= 1.0
    xe = rng.uniform(-745, 709, 50_000)
    out = np.empty(xe.size)
    _math_scalar(1, xe, out)
    assert _bits_equal(out, P.det_exp(xe))
    ref = np.array([math.exp(v) for v in xe])
    normal = ref > 2.3e-308
    assert np.max(np.abs(out - ref)[normal] / np.spacing(ref[normal])) <= 1.0
    u = np.concatenate([rng.uniform(0, 1, 50_000), np.arange(16) / 16.0])
    s, c = P.det_sincos2pi(u)
    out_s, out_c = np.empty(u.size), np.empty(u.size)
    _math_scalar(2, u, out_s)
    _math_scalar(3, u, out_c)
    assert _bits_equal(out_s, s) and _bits_equal(out_c, c)
    assert np.max(np.abs(s - np.sin(2 * np.pi * u))) < 2e-15
    assert np.max(np.abs(c - np.cos(2 * np.pi * u))) < 2e-15
    assert np.all(np.abs(s * s + c * c - 1.0) < 1e-15)
    k = np.arange(0.0, 3000.0)
    out = np.empty(k.size)
    _math_scalar(4, k, out)
    assert _bits_equal(out, P.log_factorial(k))
    ref = np.array([math.lgamma(v + 1.0) for v in k])
    assert np.max(np.abs(out - ref) / np.maximum(1.0, np.abs(ref))) < 2e-15
    # special values
    assert np.isneginf(P.det_log(0.0)) and np.isnan(P.det_log(-1.0))
    assert P.det_log_scalar(0.0) == -math.inf and math.isnan(P.det_log_scalar(-1.0))
    assert P.det_exp(-800.0) == 0.0 and P.det_exp(710.0) == np.inf
    assert P.det_exp_scalar(0.0) == 1.0 and P.det_log_scalar(1.0) == 0.0


def test_stirling_table():
    getcontext().prec = 50
    half_ln_2pi = (Decimal(2) * Decimal("3.14159265358979323846264338327950288419716939937510")
                   ).ln() / 2
    assert float(half_ln_2pi) == P._HALF_LN_2PI
    for k in range(16):
        lf = sum((Decimal(i).ln() for i in range(2, k + 1)), Decimal(0))
        fc = lf - ((k + Decimal("0.5")) * Decimal(k + 1).ln() - (k + 1) + half_ln_2pi)
        assert float(fc) == P._FC_TABLE[k]


# ----------------------------------------------------------------------------- statistics


def test_uniform_statistics():
    u = P.uniform(KEY, 3, np.arange(N))
    assert u.min() >= 0.0 and u.max() < 1.0
    counts = np.bincount((u * 100).astype(int), minlength=100)
    assert stats.chisquare(counts).pvalue > 1e-3
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / N)
    # successive steps and draws are independent
    assert abs(np.corrcoef(u, P.uniform(KEY, 4, np.arange(N)))[0, 1]) < 5 / math.sqrt(N)
    assert abs(np.corrcoef(u, P.uniform(KEY, 3, np.arange(N), 1))[0, 1]) < 5 / math.sqrt(N)
    # neighbouring elements too
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / math.sqrt(N)


def test_normal_statistics():
    z0, z1 = P.normal_pair(KEY, 8, np.arange(N))
    for z in (z0, z1):
        assert abs(z.mean()) < 5 / math.sqrt(N)
        assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / N)
        assert stats.kstest(z, "norm").pvalue > 1e-3
        assert abs(stats.skew(z)) < 5 * math.sqrt(6 / N)
        assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / N)
    assert abs(np.corrcoef(z0, z1)[0, 1]) < 5 / math.sqrt(N)
    assert abs(np.corrcoef(z0**2, z1**2)[0, 1]) < 5 / math.sqrt(N)


@pytest.mark.parametrize("lam", [0.05, 1.0, 4.5, 9.99, 10.0, 17.0, 29.5, 150.0, 5000.0])
def test_poisson_distribution(lam):
    x = P.poisson(lam, KEY, 11, np.arange(N))
    assert x.dtype == np.int64 and x.min() >= 0
    assert abs(x.mean() - lam) < 5 * math.sqrt(lam / N)
    assert abs(x.var() / lam - 1.0) < 5 * math.sqrt(2 / N) + 5 / math.sqrt(N * lam)
    top = int(lam + 12 * math.sqrt(lam) + 15)
    assert _chi2_pvalue(x, lambda k: stats.poisson.pmf(k, lam), top) > 1e-3


@pytest.mark.parametrize(
    "n, p",
    [(1, 0.5), (10, 0.3), (60, 0.1), (19, 0.5), (20, 0.5), (100, 0.5), (1000, 0.02),
     (200, 0.93), (5000, 0.3), (10**5, 2e-5), (10**6, 1e-5), (10**7, 0.01)],
)
def test_binomial_distribution(n, p):
    x = P.binomial(n, p, KEY, 13, np.arange(N))
    assert x.dtype == np.int64 and x.min() >= 0 and x.max() <= n
    mean, var = n * p, n * p * (1 - p)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / N)
    assert abs(x.var() / var - 1.0) < 5 * math.sqrt(2 / N) + 5 / math.sqrt(N * var)
    lo = max(0, int(mean - 12 * math.sqrt(var) - 15))
    top = min(n, int(mean + 12 * math.sqrt(var) + 15))
    # chi-square on the shifted support [lo, top] (mass below lo is negligible)
    assert stats.binom.cdf(lo - 1, n, p) < 1e-12
    pval = _chi2_pvalue(x - lo, lambda k: stats.binom.pmf(k + lo, n, p), top - lo)
    assert pval > 1e-3


def test_parameter_arrays_and_edge_cases():
    idx = np.arange(12).reshape(3, 4)
    lam = np.linspace(0, 50, 4)
    x = P.poisson(lam, KEY, 0, idx)
    assert x.shape == (3, 4) and np.all(x[:, 0] == 0)
    for j in range(4):
        assert np.array_equal(x[:, j], P.poisson(lam[j], KEY, 0, idx[:, j]))
    assert np.all(P.binomial(7, 1.0, KEY, 0, idx) == 7)
    assert np.all(P.binomial(7, 0.0, KEY, 0, idx) == 0)
    assert np.all(P.binomial(0, 0.4, KEY, 0, idx) == 0)
    assert P.uniform(KEY, 0, idx).shape == (3, 4)
    assert P.uniform(KEY, 0, []).shape == (0,)
    # one element's numbers do not depend on which other elements are drawn
    full = P.normal(KEY, 5, np.arange(1000))
    assert _bits_equal(P.normal(KEY, 5, np.arange(1000)[::-7]), full[::-7])


def test_streams_differ():
    idx = np.arange(N)
    base = P.uniform(P.stream_key(1, "g", 0), 0, idx)
    others = [
        P.uniform(P.stream_key(1, "g", 1), 0, idx),  # other call site
        P.uniform(P.stream_key(1, "h", 0), 0, idx),  # other object
        P.uniform(P.stream_key(2, "g", 0), 0, idx),  # other seed
        P.uniform(P.stream_key(1 + 2**32, "g", 0), 0, idx),  # other high seed word
    ]
    for other in others:
        assert np.mean(base == other) < 1e-3
        assert abs(np.corrcoef(base, other)[0, 1]) < 5 / math.sqrt(N)


def test_argument_validation():
    with pytest.raises(ValueError, match="index"):
        P.uniform(KEY, 0, [-1])
    with pytest.raises(ValueError, match="index"):
        P.uniform(KEY, 0, [2**32])
    with pytest.raises(TypeError, match="integer"):
        P.uniform(KEY, 0, [0.5])
    with pytest.raises(ValueError, match="draw"):
        P.uniform(KEY, 0, [0], draw=2**24)
    with pytest.raises(ValueError, match="step"):
        P.uniform(KEY, -1, [0])
    with pytest.raises(ValueError, match="key"):
        P.uniform((0, 2**32), 0, [0])
    with pytest.raises(ValueError, match="lam"):
        P.poisson(-1.0, KEY, 0, [0])
    with pytest.raises(ValueError, match="lam"):
        P.poisson([1.0, 2.0, 3.0], KEY, 0, [0, 1])
    with pytest.raises(ValueError, match="p must"):
        P.binomial(3, 1.5, KEY, 0, [0])
    with pytest.raises(TypeError, match="n must"):
        P.binomial(2.5, 0.5, KEY, 0, [0])
    with pytest.raises(ValueError, match="counter"):
        P.philox4x32((0, 0, 0), (0, 0))
