"""Spike-train statistics: rates, CV, correlograms, vector strength, gamma factor."""

import math

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from sim.statistics import (
    ACF,
    CCF,
    CCVF,
    CV,
    autocorrelogram,
    coincidence_count,
    correlogram,
    firing_rate,
    gamma_factor,
    total_correlation,
    vector_strength,
)
from sim.units import DimensionMismatchError, Hz, ms, mV, second


def poisson(rate_hz: float, duration_s: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = rng.poisson(rate_hz * duration_s)
    return np.sort(rng.uniform(0, duration_s, n))


def regular(n: int = 100, isi: float = 10e-3) -> np.ndarray:
    return np.arange(n) * isi


# ---------------------------------------------------------------------------
# firing_rate, CV
# ---------------------------------------------------------------------------


def test_firing_rate_regular_train_in_hz():
    rate = firing_rate(regular() * second)
    assert rate.dim == Hz.dim
    assert float(rate) == pytest.approx(100.0, rel=1e-12)
    # with a duration: count / duration
    assert float(firing_rate(regular(), duration=2 * second)) == pytest.approx(50.0)


def test_firing_rate_poisson_train():
    spikes = poisson(40.0, 100.0, seed=1)  # about 4000 spikes, relative sd 1.6 %
    assert float(firing_rate(spikes)) == pytest.approx(40.0, rel=0.08)


def test_firing_rate_of_too_few_spikes_is_nan():
    assert math.isnan(float(firing_rate([] * second)))
    assert math.isnan(float(firing_rate([0.5])))
    assert float(firing_rate([], duration=1 * second)) == 0.0


def test_cv_regular_is_zero_and_poisson_is_one():
    assert CV(regular() * second) == pytest.approx(0.0, abs=1e-9)
    spikes = poisson(50.0, 200.0, seed=2)  # about 10000 intervals, sd of CV about 0.01
    assert CV(spikes) == pytest.approx(1.0, abs=0.05)


def test_cv_of_fewer_than_three_spikes_is_nan():
    assert math.isnan(CV([1.0, 2.0]))
    assert math.isnan(CV([]))


# ---------------------------------------------------------------------------
# correlograms
# ---------------------------------------------------------------------------


def test_autocorrelogram_of_regular_train_counts_pairs_per_lag():
    spikes = regular(100, 10e-3) * second  # 0 .. 990 ms
    c = np.asarray(autocorrelogram(spikes, width=20 * ms, bin=1 * ms, T=1 * second))
    assert c.shape == (40,)
    # zero lag is bin 20: the 100 self-pairs over 1 s
    assert c[20] == pytest.approx(100.0)
    # lag +10 ms: 99 pairs over the 990 ms in which a 10 ms lag can be observed
    assert c[30] == pytest.approx(99 / 0.990)
    # lag -10 ms lies in the bin [-10, -9) ms, whose edge nearest zero is 9 ms
    assert c[10] == pytest.approx(99 / 0.991)
    # lag -20 ms is inside the window [-20, 20) ms: 98 pairs in the bin [-20, -19) ms
    assert c[0] == pytest.approx(98 / 0.981)
    # no pairs at other lags
    others = np.delete(np.arange(40), [0, 10, 20, 30])
    assert np.all(c[others] == 0)


def test_autocorrelogram_of_poisson_train_peaks_at_zero_lag():
    spikes = poisson(20.0, 50.0, seed=3)
    n_spikes = spikes.size
    c = np.asarray(autocorrelogram(spikes, width=20 * ms, bin=1 * ms, T=50 * second))
    assert int(np.argmax(c)) == 20
    # zero-lag bin: the self-pairs plus the other pairs with lag in [0, 1 ms)
    lags = spikes[None, :] - spikes[:, None]
    in_bin = np.count_nonzero((lags >= 0) & (lags < 1e-3))
    assert in_bin >= n_spikes
    assert c[20] == pytest.approx(in_bin / 50.0)


def test_correlogram_matches_brute_force_histogram():
    t1 = poisson(30.0, 10.0, seed=4)
    t2 = poisson(30.0, 10.0, seed=5)
    width, bin_size = 10e-3, 2e-3
    c = np.asarray(correlogram(t1 * second, t2 * second, width=width, bin=bin_size))
    lags = (t2[None, :] - t1[:, None]).ravel()
    lags = lags[(lags >= -width) & (lags < width)]
    counts, _ = np.histogram(lags, bins=np.arange(-5, 6) * bin_size)
    span = max(t1[-1], t2[-1]) - min(t1[0], t2[0])
    edges = np.arange(-5, 6) * bin_size
    window = span - np.minimum(np.abs(edges[:-1]), np.abs(edges[1:]))
    np.testing.assert_allclose(c, counts / window, rtol=1e-12)
    # the normalised variants
    np.testing.assert_allclose(np.asarray(CCF(t1, t2, width, bin_size)), c / bin_size)
    np.testing.assert_allclose(
        np.asarray(ACF(t1, width, bin_size)),
        np.asarray(autocorrelogram(t1, width, bin_size)) / bin_size,
    )


def test_correlogram_bin_count_rounds_width_up():
    c = correlogram([0.1, 0.2], [0.1, 0.3], width=5 * ms, bin=2 * ms, T=1 * second)
    assert len(c) == 6  # ceil(5 / 2) = 3 bins each side


def test_ccvf_of_independent_trains_is_about_zero():
    t1 = poisson(50.0, 100.0, seed=6)
    t2 = poisson(50.0, 100.0, seed=7)
    ccvf = np.asarray(CCVF(t1, t2, width=20 * ms, bin=1 * ms, T=100 * second))
    product = (t1.size / 100.0) * (t2.size / 100.0)
    # each bin holds about 25000 pairs * 1 ms / 100 s ... the mean over 40 bins
    # deviates from the rate product by well under 5 %
    assert abs(ccvf.mean()) < 0.05 * product
    assert CCVF(t1, t2, T=100 * second).dim == (Hz**2).dim


def test_total_correlation_independent_and_copied():
    # 5 Hz for 400 s: about 2000 spikes, 0.2 chance partners per spike within
    # +-20 ms, so the sd of the estimate is about sqrt(2 * 2000 * 0.2) / 2000 = 0.014
    t1 = poisson(5.0, 400.0, seed=8)
    t2 = poisson(5.0, 400.0, seed=9)
    assert abs(total_correlation(t1, t2)) < 0.05
    # every spike of t1 has a partner 2 ms later in the shifted copy
    assert total_correlation(t1, t1 + 2e-3) == pytest.approx(1.0, abs=0.05)
    assert math.isnan(total_correlation([], t2))


def test_correlogram_with_empty_train():
    assert np.all(np.isnan(np.asarray(correlogram([], [0.1, 0.2]))))
    assert np.all(np.asarray(correlogram([], [0.1, 0.2], T=1 * second)) == 0)


def test_correlogram_rejects_too_short_duration_and_wrong_units():
    with pytest.raises(ValueError, match="duration T"):
        correlogram([0.0, 0.01], [0.0, 0.01], width=20 * ms)
    with pytest.raises(DimensionMismatchError, match="'bin'"):
        correlogram([0.1], [0.2], bin=1 * mV)


# ---------------------------------------------------------------------------
# vector strength
# ---------------------------------------------------------------------------


def test_vector_strength_of_phase_locked_spikes_is_one():
    period = 2.5 * ms
    spikes = np.arange(400) * 2.5e-3 + 0.7e-3  # same phase every cycle
    assert vector_strength(spikes * second, period) == pytest.approx(1.0, abs=1e-9)
    assert vector_strength(spikes, frequency=400 * Hz) == pytest.approx(1.0, abs=1e-9)
    # locked to every other cycle of 800 Hz still gives 1; at 600 Hz it does not
    values = vector_strength(spikes, frequency=[400.0, 800.0, 600.0] * Hz)
    assert values.shape == (3,)
    assert values[:2] == pytest.approx([1.0, 1.0], abs=1e-9)
    assert values[2] < 0.1


def test_vector_strength_of_uniform_phases_is_small():
    rng = np.random.default_rng(10)
    spikes = np.sort(rng.uniform(0, 100, 10000))
    # Rayleigh: P(VS > r) = exp(-N r^2); r = 0.04 gives exp(-16)
    assert vector_strength(spikes, 1 * ms) < 0.04
    assert math.isnan(vector_strength([], 1 * ms))


def test_vector_strength_needs_one_of_period_and_frequency():
    with pytest.raises(TypeError, match="exactly one"):
        vector_strength([0.1, 0.2])
    with pytest.raises(TypeError, match="exactly one"):
        vector_strength([0.1, 0.2], 1 * ms, frequency=1000 * Hz)
    with pytest.raises(DimensionMismatchError, match="'frequency'"):
        vector_strength([0.1, 0.2], frequency=1 * ms)


# ---------------------------------------------------------------------------
# coincidences and gamma factor
# ---------------------------------------------------------------------------


def max_matching(model: np.ndarray, data: np.ndarray, delta: float) -> int:
    if model.size == 0 or data.size == 0:
        return 0
    adjacency = np.abs(data[:, None] - model[None, :]) <= delta * (1 + 1e-9)
    matching = maximum_bipartite_matching(csr_matrix(adjacency.astype(int)), perm_type="column")
    return int(np.count_nonzero(matching >= 0))


def test_gamma_factor_of_identical_trains_is_one():
    spikes = poisson(10.0, 100.0, seed=11) * second
    for rate in ("data", "model"):
        for correction in (True, False):
            g = gamma_factor(spikes, spikes, 2 * ms, rate=rate, rate_correction=correction)
            assert g == pytest.approx(1.0, abs=1e-12)


def test_gamma_factor_of_independent_poisson_trains_is_about_zero():
    # 10 Hz for 200 s: about 2000 spikes each, about 80 chance coincidences
    # (sd about 9), so the sd of Gamma is about 9 / (2000 * 0.96) = 0.005
    model = poisson(10.0, 200.0, seed=12)
    data = poisson(10.0, 200.0, seed=13)
    for rate in ("data", "model"):
        g = gamma_factor(
            model, data, 2 * ms, duration=200 * second, rate=rate, rate_correction=False
        )
        assert abs(g) < 0.03  # six standard deviations


def test_gamma_factor_hand_computed():
    # coincidences 10<->11 and 30<->29.5 ms; 20 ms has no partner within 2 ms
    data = [10, 20, 30] * ms
    model = [11, 25, 29.5] * ms
    assert coincidence_count(model, data, 2 * ms) == 2
    # nu = 3 Hz: chance 2*3*0.002*3 = 0.036; norm 1 - 0.012 = 0.988
    expected = (2 - 0.036) / (0.5 * 6 * 0.988)
    g = gamma_factor(model, data, 2 * ms, duration=1 * second)
    assert g == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.662618, abs=1e-6)


def test_gamma_factor_no_double_matching():
    # delta (2 ms) exceeds half the data ISI (1 ms): both data spikes lie within
    # 2 ms of the one model spike, which counts once
    data = [10, 12] * ms
    model = [11] * ms
    assert coincidence_count(model, data, 2 * ms) == 1
    assert coincidence_count(data, model, 2 * ms) == 1  # and the other way round
    # rate 'data' (2 Hz): chance 2*2*0.002*2 = 0.016, norm 0.992
    g = gamma_factor(model, data, 2 * ms, duration=1 * second, rate_correction=False)
    assert g == pytest.approx((1 - 0.016) / (0.5 * 3 * 0.992), rel=1e-12)
    # rate correction: 2 * |2 Hz - 1 Hz| / 2 Hz = 1
    g_corrected = gamma_factor(model, data, 2 * ms, duration=1 * second)
    assert g_corrected == pytest.approx(g - 1.0, rel=1e-12)
    # rate 'model' (1 Hz): chance 2*1*0.002*2 = 0.008, norm 0.996
    g_model = gamma_factor(
        model, data, 2 * ms, duration=1 * second, rate="model", rate_correction=False
    )
    assert g_model == pytest.approx((1 - 0.008) / (0.5 * 3 * 0.996), rel=1e-12)


def test_coincidences_are_matched_one_to_one_in_time_order():
    # data 12 ms is nearer to model 11 ms, but 11 ms is taken by data 10 ms;
    # 12 ms then takes 13.5 ms
    assert coincidence_count([11, 13.5] * ms, [10, 12] * ms, 2 * ms) == 2
    # three data spikes, one model spike
    assert coincidence_count([11] * ms, [10, 11, 12] * ms, 2 * ms) == 1
    # delta (10 ms) twice the ISI (5 ms): still one partner per spike, 5 pairs
    model = np.arange(5) * 5e-3
    assert coincidence_count(model, model + 1e-3, 10 * ms) == 5
    # window edges are closed: exactly delta apart on a common grid
    assert coincidence_count([0.0121], [0.0101], 2 * ms) == 1
    assert coincidence_count([0.0122], [0.0101], 2 * ms) == 0


def test_coincidence_count_is_a_maximum_matching():
    rng = np.random.default_rng(14)
    for _ in range(300):
        model = np.sort(rng.uniform(0, 0.1, rng.integers(0, 15)))
        data = np.sort(rng.uniform(0, 0.1, rng.integers(0, 15)))
        delta = float(rng.choice([1e-3, 5e-3, 2e-2]))
        assert coincidence_count(model, data, delta) == max_matching(model, data, delta)


def test_coincidence_count_long_trains_matches_sequential_greedy():
    model = poisson(50.0, 400.0, seed=15)  # about 20000 spikes
    data = poisson(50.0, 400.0, seed=16)
    delta = 8e-3  # about 0.8 spikes per window: many contested spikes
    j = count = 0
    for t in data:  # the greedy rule, one spike at a time
        while j < model.size and model[j] < t - delta:
            j += 1
        if j < model.size and model[j] <= t + delta:
            count += 1
            j += 1
    assert coincidence_count(model, data, delta) == count


def test_gamma_factor_empty_trains():
    empty = [] * second
    spikes = [0.1, 0.2] * second
    assert gamma_factor(empty, empty, 2 * ms) == 1.0
    assert gamma_factor(empty, empty, 2 * ms, rate_correction=False) == 1.0
    # data empty, model not: no coincidences, no chance term; infinite rate error
    assert gamma_factor(spikes, empty, 2 * ms, rate_correction=False) == 0.0
    assert gamma_factor(spikes, empty, 2 * ms) == -math.inf
    # model empty, data not: the formula, chance 2*2*0.002*2 = 0.016 over 0.992
    g = gamma_factor(empty, spikes, 2 * ms, duration=1 * second, rate_correction=False)
    assert g == pytest.approx(-0.016 / 0.992, rel=1e-12)
    g_corrected = gamma_factor(empty, spikes, 2 * ms, duration=1 * second)
    assert g_corrected == pytest.approx(g - 2.0, rel=1e-12)


def test_gamma_factor_units_and_plain_seconds_agree():
    model = poisson(10.0, 20.0, seed=17)
    data = poisson(10.0, 20.0, seed=18)
    with_units = gamma_factor(model * second, data * second, 4 * ms, duration=20 * second)
    plain = gamma_factor(model, data, 4e-3, duration=20.0)
    assert with_units == plain
    # default duration: the last spike of either train
    last = max(model[-1], data[-1])
    assert gamma_factor(model, data, 4e-3) == gamma_factor(model, data, 4e-3, duration=last)


def test_gamma_factor_bad_input():
    with pytest.raises(ValueError, match="'data' must be sorted"):
        gamma_factor([0.1, 0.2], [0.3, 0.1], 2 * ms)
    with pytest.raises(ValueError, match="'model' must be sorted"):
        gamma_factor([0.2, 0.1], [0.1, 0.3], 2 * ms)
    with pytest.raises(ValueError, match="'delta' must not be negative"):
        gamma_factor([0.1], [0.1], -2 * ms)
    with pytest.raises(DimensionMismatchError, match="'delta'"):
        gamma_factor([0.1], [0.1], 2 * mV)
    with pytest.raises(DimensionMismatchError, match="'model'"):
        gamma_factor([0.1] * mV, [0.1], 2 * ms)
    with pytest.raises(DimensionMismatchError, match="'duration'"):
        gamma_factor([0.1], [0.1], 2 * ms, duration=1 * Hz)
    with pytest.raises(ValueError, match="'rate'"):
        gamma_factor([0.1], [0.1], 2 * ms, rate="both")
    with pytest.raises(ValueError, match="1-D"):
        gamma_factor([[0.1]], [0.1], 2 * ms)
    # 2 * rate * delta >= 1: the normalisation breaks down
    dense = np.arange(1, 101) * 1e-3
    with pytest.raises(ValueError, match="too wide"):
        gamma_factor(dense, dense, 5 * ms)
