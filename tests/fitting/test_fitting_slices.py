"""Time slicing with overlap: long recordings as many short neurons, put back together."""

import numpy as np
import pytest

from sim import amp, ms, ohm, volt
from sim.fitting import SpikeFitter, TraceFitter

PASSIVE = """dv/dt = (R*I - v)/tau : volt
R : ohm (constant)
tau : second (constant)"""
LIF = """dv/dt = (R*I - v)/tau : volt (unless refractory)
R : ohm (constant)
tau : second (constant)"""
DT = 0.1 * ms


def _currents(n_traces, n_steps, seed=3, mean=0.6, std=0.25):
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((n_traces, n_steps))
    kernel = np.exp(-np.arange(50) / 10.0)
    smooth = np.array([np.convolve(w, kernel)[:n_steps] for w in white]) / kernel.sum() ** 0.5
    return (mean + std * smooth) * 1e-9


def _traces(slices, overlap):
    currents = _currents(2, 6000)
    fitter = TraceFitter(PASSIVE, input={"I": currents * amp},
                         output={"v": np.zeros((2, 6000)) * volt}, dt=DT,
                         method="exponential_euler", slices=slices, overlap=overlap)
    truth = {"R": 40e6 * ohm, "tau": 15 * ms}
    fitter.prepare(R=[truth["R"]] * 2, tau=[truth["tau"]] * 2)
    return np.asarray(fitter.generate_traces(truth)), currents, fitter


def test_sliced_traces_equal_the_whole_simulation_after_the_overlap():
    whole, _, _ = _traces(1, 0 * ms)
    sliced, _, fitter = _traces(6, 150 * ms)
    assert fitter.slices == 6 and fitter.overlap_steps == 1500
    # after 10 time constants of overlap the slices have forgotten their start
    assert np.max(np.abs(sliced - whole)) < 1e-4 * np.max(np.abs(whole))
    # without overlap the slices start from rest: visibly different at their starts
    cold, _, _ = _traces(6, 0 * ms)
    assert np.max(np.abs(cold - whole)) > 0.1 * np.max(np.abs(whole))


def test_sliced_spikes_equal_the_whole_simulation_and_fit_recovers_parameters():
    # fluctuation-driven input: spike times become reliable (independent of the initial
    # state) within the overlap; a mean-driven oscillator would keep the phase of its
    # start, which is the known limit of time slicing
    currents = _currents(1, 20000, seed=5, mean=0.3, std=0.8) * 50
    truth = {"R": 50e6 * ohm, "tau": 12 * ms, "refractory": 3 * ms}

    def spikes(slices, overlap):
        f = SpikeFitter(LIF, input={"I": currents * amp}, output=[np.array([0.01])], dt=DT,
                        method="exponential_euler", threshold="v > 1*volt",
                        reset="v = 0*volt", slices=slices, overlap=overlap)
        f.prepare(**{k: [v, v] for k, v in truth.items()})
        return np.asarray(f.generate_spikes(truth)[0])

    whole = spikes(1, 0 * ms)
    sliced = spikes(8, 100 * ms)
    assert len(whole) > 40
    assert np.array_equal(np.round(whole / 1e-4), np.round(sliced / 1e-4))

    fitter = SpikeFitter(LIF, input={"I": currents * amp}, output=[whole], dt=DT,
                         method="exponential_euler", threshold="v > 1*volt",
                         reset="v = 0*volt", n_samples=40, slices=8, overlap=100 * ms)
    # seeded: without a seed about one fit in 60 ended on the R/tau ridge more than 10 %
    # from the truth (seed 10 does: R +13 %, error 0.07); at seed 3 the fit finds a model
    # whose spikes all coincide with the targets, close to the true parameters
    best, error = fitter.fit(n_rounds=12, seed=3, R=[20e6 * ohm, 100e6 * ohm],
                             tau=[5 * ms, 30 * ms], refractory=[0 * ms, 6 * ms])
    assert error < 0.05  # an unrelated model scores about 1
    assert float(best["R"] / truth["R"]) == pytest.approx(1, rel=0.05)
    assert float(best["tau"] / truth["tau"]) == pytest.approx(1, rel=0.1)
    assert float(best["refractory"] / truth["refractory"]) == pytest.approx(1, rel=0.1)


def test_slice_arguments_checked():
    currents = _currents(1, 100)
    with pytest.raises(ValueError, match="slices"):
        TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": np.zeros((1, 100)) * volt},
                    dt=DT, slices=0)
    with pytest.raises(ValueError, match="overlap"):
        TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": np.zeros((1, 100)) * volt},
                    dt=DT, slices=2, overlap=-1 * ms)
