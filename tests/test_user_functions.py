"""Brian 2's user functions: @check_units functions, Function and @implementation, in
model strings, on every target."""

import math

import numpy as np
import pytest

from sim import (
    Function,
    NeuronGroup,
    StateMonitor,
    check_units,
    implementation,
    ms,
    mV,
    prefs,
    run,
    volt,
)
from sim.units import DimensionMismatchError

pytestmark = pytest.mark.usefixtures("codegen_target")

SCALE = 2 * mV  # a quantity the function reads as a global


@check_units(v=volt, result=volt)
def squash(v):
    return SCALE * np.tanh(v / SCALE)


@implementation("cpp", "double usersin(double x) { return sin(x); }")
@check_units(x=1, result=1)
def usersin(x):
    return np.sin(x)


def _expected_squash(v):
    return 2e-3 * np.tanh(v / 2e-3)


@pytest.mark.cuda_refuses("Python user functions")
def test_check_units_function_in_equations_matches_its_values():
    G = NeuronGroup(3, """dv/dt = (squash(v0) - v)/(5*ms) : volt
                          v0 : volt""", method="exact")
    G.v0 = [1, 3, 10] * mV
    run(50 * ms)  # ten time constants: v sits at squash(v0)
    assert np.allclose(np.asarray(G.v[:]), _expected_squash(np.array([1, 3, 10]) * 1e-3),
                       rtol=1e-4)


@pytest.mark.cuda_refuses("Python user functions")
def test_implementation_decorated_function_and_time_dependence():
    G = NeuronGroup(2, "dv/dt = usersin(2*pi*t/(10*ms) + i)/ms : 1", method="euler")
    M = StateMonitor(G, "v", record=True)
    run(10 * ms)
    t = np.arange(100) * 0.1e-3
    expected = np.cumsum(np.sin(2 * np.pi * t[None, :] / 10e-3 + np.arange(2)[:, None]),
                         axis=1) * 0.1
    assert np.allclose(M.v[:, 1:], expected[:, :-1], atol=1e-9)


def test_function_object_with_explicit_units_and_auto_vectorise():
    def slow_exp(x):
        return math.exp(-x)  # scalar-only: numpy needs auto_vectorise

    decay = Function(slow_exp, arg_units=[1], return_unit=1, auto_vectorise=True)
    G = NeuronGroup(4, "y = decay(i*0.5) : 1")
    run(0.1 * ms)
    assert np.allclose(G.y[:], np.exp(-0.5 * np.arange(4)))


def test_user_function_units_are_checked_at_build_time():
    G = NeuronGroup(1, "dv/dt = squash(v0)/ms : volt\nv0 : 1")  # v0 has no unit
    with pytest.raises(DimensionMismatchError, match="squash"):
        run(0.1 * ms)


def test_function_without_units_is_refused():
    with pytest.raises(ValueError, match="check_units"):
        Function(lambda x: x)


def test_numba_refuses_what_it_cannot_compile_clearly():
    if prefs.codegen.target != "numba":
        pytest.skip("numba only")
    table = {"a": 1}

    @check_units(x=1, result=1)
    def lookup(x):
        return x * table["a"]

    G = NeuronGroup(1, "dy/dt = lookup(1.0)/ms : 1")  # noqa: F841
    with pytest.raises(TypeError, match="'lookup' uses 'table'.*numpy target"):
        run(0.1 * ms)


@pytest.mark.cuda_refuses("Python user functions")
def test_discard_units_replaces_quantities_in_the_function_namespace():
    @implementation("numpy", discard_units=True)
    @check_units(v=volt, result=1)
    def sigmoid(v):
        return 1 / (1 + np.exp(-v / (5 * mV)))  # mV is a plain 0.001 here, as in Brian 2

    G = NeuronGroup(3, "dz/dt = (sigmoid(v0) - z)/(10*ms) : 1\nv0 : volt", method="exact")
    G.v0 = [-5, 0, 5] * mV
    run(200 * ms)
    assert np.allclose(G.z[:], 1 / (1 + np.exp(-np.array([-1.0, 0.0, 1.0]))), rtol=1e-6)
