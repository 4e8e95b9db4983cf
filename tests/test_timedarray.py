"""TimedArray: sample selection by integer arithmetic, units, 2-D, use in every kind of code."""

from fractions import Fraction

import numpy as np
import pytest

from sim import (
    DimensionMismatchError,
    ModelSyntaxError,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    defaultclock,
    ms,
    mV,
    nA,
    run,
    second,
)

# the conformance suite: every test runs on every code-generation target
pytestmark = pytest.mark.usefixtures("codegen_target")


def test_sample_chosen_by_integer_arithmetic_for_every_step():
    # floor(k*dt/dt) in floats gives k-1 for many k (3*1e-4/1e-4 = 2.9999999999999996);
    # the integer grid never does
    n = 200_000
    ta = TimedArray(np.arange(n, dtype=float), dt=0.1 * ms)
    impl = ta.numpy_implementation(Fraction(1, 10000))
    k = np.arange(n)
    assert np.array_equal(impl(k * 1e-4), k)
    audio = TimedArray(np.arange(n, dtype=float), dt=second / 44100)
    impl = audio.numpy_implementation(Fraction(1, 44100))
    assert np.array_equal(impl(k * (1 / 44100)), k)
    naive = np.floor((k * 1e-4) / 1e-4).astype(int)
    assert np.any(naive != k)  # the bug the integer grid avoids


def test_values_in_model_with_units_and_hold_last_sample():
    stim = TimedArray([1, 2, 3] * nA, dt=0.2 * ms)
    G = NeuronGroup(1, "I = stim(t) : amp")
    M = StateMonitor(G, "I", record=0)
    run(1 * ms)
    assert np.allclose(M.I[0] / nA, [1, 1, 2, 2, 3, 3, 3, 3, 3, 3])
    assert stim(0.25 * ms) == 2 * nA
    assert stim(-1 * ms) == 1 * nA


def test_two_dimensional_timed_array_indexed_by_neuron():
    values = np.arange(12, dtype=float).reshape(4, 3)
    ta = TimedArray(values * mV, dt=0.1 * ms)
    G = NeuronGroup(3, "v = ta(t, i) : volt")
    M = StateMonitor(G, "v", record=True)
    run(0.4 * ms)
    assert np.allclose(M.v_ * 1e3, values.T)
    assert ta(0.1 * ms, 2) == 5 * mV


def test_upsampled_array_drives_exact_integration():
    # a piecewise-constant input with a dt that is a multiple of the group's: exact applies
    levels = np.array([0.0, 1.0, 0.5, 2.0])
    drive = TimedArray(levels, dt=1 * ms)
    tau = 3 * ms  # noqa: F841
    G = NeuronGroup(1, "dv/dt = (drive(t) - v)/tau : 1")
    M = StateMonitor(G, "v", record=0, when="end")
    run(4 * ms)
    assert G.method_used == "exact"
    v, expected = 0.0, []
    for level in levels:
        for _ in range(10):
            v = level + (v - level) * np.exp(-0.1 / 3)
            expected.append(v)
    assert np.allclose(M.v[0], expected, rtol=0, atol=1e-13)


def test_array_not_constant_over_a_step_is_not_integrated_exactly():
    drive = TimedArray([0.0, 1.0], dt=0.15 * ms)
    G = NeuronGroup(1, "dv/dt = (drive(t) - v)/(3*ms) : 1")
    run(0.3 * ms)
    assert G.method_used == "euler"


def test_timed_array_in_threshold_reset_and_assignment():
    gate = TimedArray([0, 1, 0, 1], dt=0.1 * ms)
    G = NeuronGroup(2, "v : 1", threshold="gate(t) > 0.5", reset="v = v + gate(t)")
    S = SpikeMonitor(G)
    run(0.4 * ms)
    assert np.allclose(S.t / ms, [0.1, 0.1, 0.3, 0.3])
    assert np.allclose(G.v[:], 2)
    G.v = "gate(0.1*ms)*3"
    assert np.allclose(G.v[:], 3)


def test_timed_array_errors():
    with pytest.raises(DimensionMismatchError, match="time"):
        TimedArray([1, 2], dt=1 * mV)
    with pytest.raises(ValueError, match="1-D"):
        TimedArray(np.zeros((2, 2, 2)), dt=1 * ms)
    with pytest.raises(ValueError, match="NaN"):
        TimedArray([1, np.nan], dt=1 * ms)
    ta = TimedArray([1, 2], dt=1 * ms)
    G = NeuronGroup(1, "x = ta(i) : 1")
    with pytest.raises(DimensionMismatchError, match="must be a time"):
        Network(G, StateMonitor(G, "x", record=0)).run(1 * ms)
    H = NeuronGroup(1, "x = ta(t, i) : 1")
    with pytest.raises(ModelSyntaxError, match="takes 1 argument"):
        Network(H, StateMonitor(H, "x", record=0)).run(1 * ms)
    value = 3.0
    K = NeuronGroup(1, "x = value(t) : 1")
    with pytest.raises(ModelSyntaxError, match="not a function|is a constant"):
        Network(K, StateMonitor(K, "x", record=0)).run(1 * ms)
    del value
    assert defaultclock.dt == 0.1 * ms


def test_off_grid_times_floor_to_their_sample_as_brian2():
    """``ta(t - off)`` with ``off`` between steps: the time is rounded to an eighth of a
    step, then floored to its sample (Brian 2's lookup), on every target; the values of
    midpoint (rk4) and delayed (rk2) lookups are Brian 2.9's for the same script."""
    from sim import NeuronGroup, StateMonitor, TimedArray, ms, run

    ta = TimedArray(np.arange(20.0), dt=0.1 * ms)
    G = NeuronGroup(3, "dx/dt = ta(t - off)/ms : 1\noff : second", method="euler")
    G.off = [0, 0.03, 0.07] * ms
    M = StateMonitor(G, "x", record=True)
    H = NeuronGroup(1, "dy/dt = ta(t)/ms : 1", method="rk4")
    ta2 = TimedArray(np.arange(20.0), dt=1 * ms)
    K = NeuronGroup(1, "dy/dt = ta2(t - 0.45*ms)/ms : 1", method="rk2")
    run(3 * ms)
    steps = np.round(np.diff(M.x[:, :4], axis=1) * 10, 9)
    assert np.array_equal(steps, [[0, 1, 2], [0, 0, 1], [0, 0, 1]])
    assert np.isclose(H.y[0], 38.31666667) and np.isclose(K.y[0], 2.2)
