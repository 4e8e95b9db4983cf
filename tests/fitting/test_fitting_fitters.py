"""The fitters: parameter recovery, reproducibility, executors, bad input, real data."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import numpy as np
import pytest

from sim import amp, ms, mV, nA, ohm, second, volt
from sim.fitting import (
    CMAOptimizer,
    DEOptimizer,
    GammaFactor,
    MSEMetric,
    SpikeFitter,
    SpikeMetric,
    TraceFitter,
)
from sim.statistics import gamma_factor
from sim.units import DimensionMismatchError

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
REAL_DATA = REFERENCE / "brian1-modelfitting"

PASSIVE = """dv/dt = (R*I - v)/tau : volt
R : ohm (constant)
tau : second (constant)"""

LIF = """dv/dt = (R*I - v)/tau : volt (unless refractory)
R : ohm (constant)
tau : second (constant)"""

DT = 0.1 * ms
# exact integration computes a matrix exponential per neuron when each neuron has its own
# time constant; exponential Euler is exact for these linear models and much cheaper
METHOD = "exponential_euler"


def _noisy_currents(n_traces: int, n_steps: int, seed: int = 3) -> np.ndarray:
    """Smoothed noise around a positive mean, in amp (plain floats)."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((n_traces, n_steps))
    kernel = np.exp(-np.arange(50) / 10.0)
    smooth = np.array([np.convolve(w, kernel)[:n_steps] for w in white]) / kernel.sum() ** 0.5
    return (0.6 + 0.25 * smooth) * 1e-9


def _passive_data(n_traces: int = 2, n_steps: int = 2000):
    currents = _noisy_currents(n_traces, n_steps)
    true = {"R": 40e6 * ohm, "tau": 15 * ms}
    maker = TraceFitter(PASSIVE, input={"I": currents * amp},
                        output={"v": np.zeros((n_traces, n_steps)) * volt}, dt=DT, method=METHOD)
    maker.prepare(R=[true["R"], true["R"]], tau=[true["tau"], true["tau"]])
    traces = maker.generate_traces(true)
    return currents, traces, true


def _lif_data(n_traces: int = 2, n_steps: int = 10000):
    currents = _noisy_currents(n_traces, n_steps, seed=5) * 50  # ~ 30 nA * 40 Mohm
    true = {"R": 50e6 * ohm, "tau": 12 * ms, "refractory": 3 * ms}
    model = LIF
    maker = SpikeFitter(model, input={"I": currents * amp},
                        output=[np.array([0.01])] * n_traces, dt=DT, method=METHOD,
                        threshold="v > 1*volt", reset="v = 0*volt")
    maker.prepare(**{k: [v, v] for k, v in true.items()})
    spikes = maker.generate_spikes(true)
    return currents, spikes, true


# ---------------------------------------------------------------------------
# Parameter recovery
# ---------------------------------------------------------------------------


def test_trace_fitter_recovers_passive_membrane():
    currents, traces, true = _passive_data()
    fitter = TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": traces},
                         dt=DT, n_samples=20)
    best, error = fitter.fit(n_rounds=25, optimizer=CMAOptimizer(seed=2), metric=MSEMetric(),
                             R=[10e6 * ohm, 100e6 * ohm], tau=[2 * ms, 50 * ms])
    for name, value in true.items():
        assert abs(float(best[name] / value) - 1) < 0.05, (name, best[name])
    refined, refined_error = fitter.refine()
    assert refined_error <= error + 1e-30
    for name, value in true.items():
        assert abs(float(refined[name] / value) - 1) < 1e-3, (name, refined[name])
    generated = fitter.generate_traces(refined)
    assert generated.shape == traces.shape
    assert np.allclose(np.asarray(generated), np.asarray(traces), atol=1e-5)


def test_spike_fitter_recovers_lif():
    currents, spikes, true = _lif_data()
    assert all(len(s) > 10 for s in spikes)
    fitter = SpikeFitter(LIF, input={"I": currents * amp}, output=spikes, dt=DT, method=METHOD,
                         threshold="v > 1*volt", reset="v = 0*volt", n_samples=30)
    best, error = fitter.fit(n_rounds=30, optimizer=CMAOptimizer(seed=4),
                             metric=GammaFactor(delta=0.5 * ms, time=1 * second),
                             R=[20e6 * ohm, 100e6 * ohm], tau=[5 * ms, 30 * ms],
                             refractory=[0 * ms, 10 * ms])
    assert error < 0.05
    for name, value in true.items():
        assert abs(float(best[name] / value) - 1) < 0.05, (name, best[name])
    model_spikes = fitter.generate_spikes()
    for model, data in zip(model_spikes, spikes, strict=True):
        assert gamma_factor(model, data, 0.5 * ms, duration=1 * second) > 0.95


def test_spike_delay_is_fitted():
    currents, spikes, true = _lif_data(n_traces=1)
    shifted = [s + 2 * ms for s in spikes]
    fitter = SpikeFitter(LIF, input={"I": currents * amp}, output=shifted, dt=DT, method=METHOD,
                         threshold="v > 1*volt", reset="v = 0*volt", refractory=3 * ms)
    fitter.prepare(R=[true["R"]] * 2, tau=[true["tau"]] * 2, delay=[0 * ms, 5 * ms])
    generated = fitter.generate_spikes({"R": true["R"], "tau": true["tau"], "delay": 2 * ms})
    assert np.allclose(np.asarray(generated[0]), np.asarray(shifted[0]))


# ---------------------------------------------------------------------------
# Reproducibility, results, executors
# ---------------------------------------------------------------------------


def _small_spike_fitter(n_samples: int = 12) -> SpikeFitter:
    currents, spikes, _ = _lif_data(n_traces=2, n_steps=2000)
    return SpikeFitter(LIF, input={"I": currents * amp}, output=spikes, dt=DT, method=METHOD,
                       threshold="v > 1*volt", reset="v = 0*volt", n_samples=n_samples)


BOUNDS = {"R": [20e6 * ohm, 100e6 * ohm], "tau": [5 * ms, 30 * ms],
          "refractory": [0 * ms, 10 * ms]}


def test_fits_are_reproducible_at_a_fixed_seed():
    histories = []
    for _ in range(2):
        fitter = _small_spike_fitter()
        fitter.fit(n_rounds=3, optimizer=DEOptimizer(seed=7), **BOUNDS)
        histories.append(fitter.results(format="dict", use_units=False))
    for key in histories[0]:
        assert np.array_equal(histories[0][key], histories[1][key])


def test_results_formats_and_continuation():
    fitter = _small_spike_fitter(n_samples=8)
    calls = []
    fitter.fit(n_rounds=2, seed=1, callback=lambda *a: calls.append(a[-1]), **BOUNDS)
    fitter.fit(n_rounds=1)  # continues the same search
    assert calls == [0, 1]
    listed = fitter.results()
    assert len(listed) == 24 and set(listed[0]) == {"R", "tau", "refractory", "error"}
    as_dict = fitter.results(format="dict")
    assert as_dict["tau"].shape == (24,)
    assert float(min(as_dict["error"])) == fitter.best_error
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            fitter.results(format="dataframe")
    else:
        assert fitter.results(format="dataframe").shape == (24, 4)
    stopped = _small_spike_fitter(n_samples=8)
    stopped.fit(n_rounds=5, callback=lambda *a: True, seed=1, **BOUNDS)
    assert len(stopped.results()) == 8


def _errors_of(fitter, executor=None, n_chunks=None):
    fitter.fit(n_rounds=2, optimizer=CMAOptimizer(seed=3), executor=executor,
               n_chunks=n_chunks, restart=True, **BOUNDS)
    return fitter.results(format="dict", use_units=False)


def test_thread_executor_equals_in_process():
    reference = _errors_of(_small_spike_fitter())
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        chunked = _errors_of(_small_spike_fitter(), executor, n_chunks=3)
    for key in reference:
        assert np.array_equal(reference[key], chunked[key])


def test_process_pool_equals_in_process():
    fitter = _small_spike_fitter()
    reference = _errors_of(fitter)
    pooled_fitter = _small_spike_fitter()
    pooled_fitter.prepare(**BOUNDS)
    with pooled_fitter.process_pool(max_workers=2) as pool:
        pooled = _errors_of(pooled_fitter, pool)
    for key in reference:
        assert np.array_equal(reference[key], pooled[key])


def test_process_pool_trace_fitter_equals_in_process():
    currents, traces, _ = _passive_data(n_traces=2, n_steps=500)
    bounds = {"R": [10e6 * ohm, 100e6 * ohm], "tau": [2 * ms, 50 * ms]}

    def make():
        return TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": traces},
                           dt=DT, n_samples=10)

    reference = make()
    reference.fit(n_rounds=2, optimizer=CMAOptimizer(seed=5), **bounds)
    pooled = make()
    pooled.prepare(**bounds)
    with pooled.process_pool(max_workers=2) as pool:
        pooled.fit(n_rounds=2, optimizer=CMAOptimizer(seed=5), executor=pool, **bounds)
    a = reference.results(format="dict", use_units=False)
    b = pooled.results(format="dict", use_units=False)
    for key in a:
        assert np.array_equal(a[key], b[key])


def test_dask_executor_equals_in_process():
    distributed = pytest.importorskip("dask.distributed", reason="dask.distributed not installed")
    reference = _errors_of(_small_spike_fitter())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, \
            distributed.Client(cluster) as client:
        chunked = _errors_of(_small_spike_fitter(), client.get_executor(), n_chunks=2)
    for key in reference:
        assert np.array_equal(reference[key], chunked[key])


# ---------------------------------------------------------------------------
# Bad input: clear errors before any simulation
# ---------------------------------------------------------------------------


def _spike_args(**changes):
    args = dict(model=LIF, input={"I": np.full((2, 100), 1e-9) * amp},
                output=[np.array([0.001]), np.array([0.002])], dt=DT, method=METHOD,
                threshold="v > 1*volt", reset="v = 0*volt")
    args.update(changes)
    return args


def test_no_spikes_in_target():
    with pytest.raises(ValueError, match="no spikes"):
        SpikeFitter(**_spike_args(output=[np.array([0.001]), np.array([])]))


def test_mismatched_input_and_output_counts():
    with pytest.raises(ValueError, match="Mismatched input and output"):
        SpikeFitter(**_spike_args(output=[np.array([0.001])]))
    with pytest.raises(ValueError, match="Mismatched input and output"):
        TraceFitter(PASSIVE, input={"I": np.zeros((2, 100)) * amp},
                    output={"v": np.zeros((2, 90)) * volt}, dt=DT, method=METHOD)


def test_spikes_outside_recording():
    with pytest.raises(ValueError, match="outside the recording"):
        SpikeFitter(**_spike_args(output=[np.array([0.001]), np.array([5.0])]))


def test_bounds_low_above_high():
    fitter = SpikeFitter(**_spike_args())
    with pytest.raises(ValueError, match="low > high"):
        fitter.fit(R=[9e9 * ohm, 1e9 * ohm], tau=[10 * ms, 40 * ms])


def test_bound_units_must_match():
    fitter = SpikeFitter(**_spike_args())
    with pytest.raises(DimensionMismatchError, match="'tau'"):
        fitter.fit(R=[1e9 * ohm, 9e9 * ohm], tau=[10 * mV, 40 * mV])
    with pytest.raises(DimensionMismatchError, match="'R'"):
        fitter.fit(R=[1e9, 9e9], tau=[10 * ms, 40 * ms])


def test_unknown_and_missing_parameters():
    fitter = SpikeFitter(**_spike_args())
    with pytest.raises(ValueError, match="Unknown parameter 'C'"):
        fitter.fit(R=[1e9 * ohm, 9e9 * ohm], tau=[10 * ms, 40 * ms], C=[1, 2])
    with pytest.raises(ValueError, match=r"neither bounds nor a value"):
        fitter.fit(R=[1e9 * ohm, 9e9 * ohm])
    with pytest.raises(ValueError, match="not a variable of the model"):
        SpikeFitter(**_spike_args(param_init={"w": 0 * volt}))


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="defined in the model"):
        SpikeFitter(**_spike_args(model=LIF + "\nI : amp"))
    with pytest.raises(TypeError, match="metric on spikes"):
        SpikeFitter(**_spike_args()).fit(metric=MSEMetric(), R=[1e9 * ohm, 9e9 * ohm],
                                         tau=[10 * ms, 40 * ms])
    with pytest.raises(ValueError, match="not a state variable"):
        TraceFitter(PASSIVE, input={"I": np.zeros((1, 10)) * nA},
                    output={"R": np.zeros((1, 10)) * ohm}, dt=DT, method=METHOD)
    with pytest.raises(DimensionMismatchError):
        TraceFitter(PASSIVE, input={"I": np.zeros((1, 10)) * nA},
                    output={"v": np.zeros((1, 10)) * amp}, dt=DT, method=METHOD)


# ---------------------------------------------------------------------------
# Real data (Brian 1's model fitting example)
# ---------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"{REAL_DATA} not found")
def test_real_recording_reaches_gamma_085():
    current = np.loadtxt(REAL_DATA / "current.txt")  # amp, every 0.1 ms
    spikes = np.loadtxt(REAL_DATA / "spikes.txt")  # seconds
    duration = current.size * DT
    fitter = SpikeFitter(
        "dV/dt = (R*I - V)/tau : volt (unless refractory)\n"
        "R : ohm (constant)\ntau : second (constant)",
        input={"I": current[None, :] * amp}, output=[spikes * second], dt=DT, method=METHOD,
        threshold="V > 1*volt", reset="V = 0*volt", n_samples=100,
    )
    best, error = fitter.fit(n_rounds=10, optimizer=CMAOptimizer(seed=1),
                             metric=GammaFactor(delta=4 * ms, time=duration),
                             R=[1e9 * ohm, 9e9 * ohm], tau=[10 * ms, 40 * ms],
                             refractory=[0 * ms, 10 * ms])
    model = fitter.generate_spikes(best)[0]
    gamma = gamma_factor(model, spikes * second, 4 * ms, duration=duration)
    assert gamma >= 0.85
    assert abs((1 - error) - gamma) < 1e-12


# ---------------------------------------------------------------------------
# User metrics, spike refinement
# ---------------------------------------------------------------------------


class SpikeCountMetric(SpikeMetric):
    """Squared difference of spike counts (a user metric)."""

    def get_features(self, model_results, target_results, dt):
        return np.array([[(len(m) - len(d)) ** 2 for m, d in zip(trains, target_results,
                                                                  strict=True)]
                         for trains in model_results], dtype=float)


def test_user_metric_and_spike_refine():
    fitter = _small_spike_fitter(n_samples=10)
    best, error = fitter.fit(n_rounds=3, optimizer=CMAOptimizer(seed=1),
                             metric=SpikeCountMetric(), **BOUNDS)
    counts = [len(s) for s in fitter.generate_spikes(best)]
    targets = [len(s) for s in fitter.output]
    assert error == np.mean([(c - t) ** 2 for c, t in zip(counts, targets, strict=True)])
    refined, refined_error = fitter.refine(maxiter=20)
    assert refined_error <= error
    assert set(refined) == set(BOUNDS)


def test_process_pool_refuses_other_setup():
    fitter = _small_spike_fitter()
    fitter.prepare(**BOUNDS)
    other = _small_spike_fitter()
    other.prepare(R=BOUNDS["R"], tau=BOUNDS["tau"])
    with fitter.process_pool(max_workers=1) as pool, \
            pytest.raises(ValueError, match="another fitter"):
        other.fit(n_rounds=1, executor=pool)


def test_external_constants_through_namespace():
    currents, traces, true = _passive_data(n_traces=1, n_steps=500)
    shifted = traces - 70 * mV
    fitter = TraceFitter(PASSIVE.replace("(R*I - v)", "(El + R*I - v)"),
                         input={"I": currents * amp}, output={"v": shifted}, dt=DT,
                         method=METHOD, param_init={"v": -70 * mV},
                         namespace={"El": -70 * mV})
    fitter.prepare(R=[10e6 * ohm, 100e6 * ohm], tau=[2 * ms, 50 * ms])
    generated = fitter.generate_traces(true)
    assert np.allclose(np.asarray(generated), np.asarray(shifted), atol=1e-9)
