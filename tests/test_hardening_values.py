"""Values with no meaningful result: the right number or a named error (issue 15, items 6-7).

Every case here used to give a silent wrong number (an integer power that
overflowed, int() of inf giving 0 on one target and -2**63 on the other, indices
truncated) or an error from deep inside (numba's "name 'inf' is not defined", a
bare ZeroDivisionError, StopIteration, RecursionError). Each test runs on numpy
and numba, which must agree.
"""

import warnings

import numpy as np
import pytest

from sim import (
    EquationError,
    Function,
    ModelSyntaxError,
    ModelValueError,
    Network,
    NeuronGroup,
    Synapses,
    defaultclock,
    ms,
    mV,
    second,
)

pytestmark = pytest.mark.usefixtures("codegen_target")


def _assign(code, x=0.0):
    G = NeuronGroup(2, "v : 1\nx : 1")
    G.x = x
    G.run_regularly(code, dt=defaultclock.dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's divide-by-zero notes
        Network(G).run(defaultclock.dt)
    return G.v[:]


@pytest.mark.parametrize("code, expected", [
    ("v = 0**-1", np.inf),          # was -9.22e18 (an int64 power) on numba
    ("v = x**-1", np.inf),          # was ZeroDivisionError on numba
    ("v = x**-1.5", np.inf),
    ("v = 1/x", np.inf),
    ("v = 2**-1", 0.5),
    ("v = 10**19", 1e19),           # beyond int64: no wrap-around
    ("v = (x - 8)**0.5", np.nan),   # a variable: IEEE's nan, as C's pow
    ("v = 2**0.5", 2**0.5),
    ("v = 3**2", 9.0),
])
def test_powers_and_divisions_are_floating_point(code, expected):
    np.testing.assert_array_equal(_assign(code), expected)


@pytest.mark.parametrize("code", ["v = int(1/x)", "v = int(x/x)", "v = int(1e308*10)",
                                  "v = int(x + 1e19)"])
def test_int_of_a_value_with_no_integer_is_an_error(code):
    with pytest.raises(ModelValueError, match=r"int\(\) of a value .* in 'int\("):
        _assign(code)


def test_int_still_truncates_towards_zero():
    np.testing.assert_array_equal(_assign("v = int(x) + int(-x) * 10", x=2.7), -18.0)
    np.testing.assert_array_equal(_assign("v = int(x > 1)", x=2.0), 1.0)


def test_a_negative_number_to_a_fractional_power_is_refused():
    with pytest.raises(ModelValueError, match=r"'\(-8\) \*\* 0.5'.*not a real number"):
        _assign("v = (-8)**0.5")


def test_an_overflowing_literal_is_refused_by_name():
    with pytest.raises(ModelSyntaxError, match="'1e999'.*too large"):
        _assign("v = 1e999")
    np.testing.assert_array_equal(_assign("v = inf"), np.inf)  # the way to say it


def test_deep_nesting_is_refused_clearly():
    with pytest.raises(ModelSyntaxError, match="nested more than"):
        _assign("v = " + "-" * 1000 + "1")
    np.testing.assert_array_equal(_assign("v = " + "-" * 100 + "1"), 1.0)


def test_infinite_unit_exponents_are_refused():
    with pytest.raises(ModelValueError, match="must be finite"):
        mV ** 1e999
    with pytest.raises(EquationError, match="too large"):
        NeuronGroup(1, "v : volt**1e999")


@pytest.mark.parametrize("duration", [np.nan * ms, np.inf * ms])
def test_run_duration_must_be_finite(duration):
    G = NeuronGroup(1, "dv/dt = -v/ms : 1")
    with pytest.raises(ModelValueError, match="must be finite"):
        Network(G).run(duration)


def test_a_run_too_long_for_the_step_counter_is_refused_before_it_starts():
    G = NeuronGroup(1, "dv/dt = -v/ms : 1")
    net = Network(G)
    with pytest.raises(ModelValueError, match="would overflow"):
        net.run(1e300 * second)
    net.run(1 * ms)  # nothing half-done: the network still runs
    assert float(net.t) == pytest.approx(1e-3)


def test_a_time_step_below_the_resolution_is_refused():
    with pytest.raises(ModelValueError, match="dt = 1e-30 s cannot be used"):
        NeuronGroup(1, "dv/dt = -v/ms : 1", dt=1e-30 * second)


@pytest.mark.parametrize("method", ["exact", "euler", "rk4"])
def test_dividing_by_a_zero_constant_is_named(method):
    G = NeuronGroup(1, "dv/dt = -v/tau : 1", method=method, namespace={"tau": 0 * ms})
    with pytest.raises(ModelValueError, match=r"divides by 'tau', which is zero \(tau = 0. s\)"):
        Network(G).run(1 * ms)


def test_a_zero_divisor_inside_where_is_allowed():
    G = NeuronGroup(1, "dv/dt = where(tau > 0*ms, -v/tau, 0/ms) : 1",
                    namespace={"tau": 0 * ms})
    G.v = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        Network(G).run(1 * ms)
    assert G.v[0] == 1


def _synapses():
    G = NeuronGroup(3, "dv/dt = 1/ms : 1", threshold="v > 0.5", reset="v = 0")
    return G, Synapses(G, G, "w : 1", on_pre="v_post += w")


def test_fractional_connect_indices_are_refused():
    _, S = _synapses()
    with pytest.raises(ModelValueError, match="integer indices, got 0.5"):
        S.connect(i=[0.5], j=[0])
    S.connect(i=[1.0], j=[0])  # a whole float is an index
    assert list(S.i[:]) == [1]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("p", ["1.5", "-0.1", "0*i/0"])
def test_probability_expressions_outside_0_1_are_refused_like_numbers(p):
    _, S = _synapses()
    with pytest.raises(ModelValueError, match=r"must lie in \[0, 1\]"):
        S.connect(p=p)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        S.connect(p=1.5)


def test_fractional_multiplicities_are_refused():
    _, S = _synapses()
    with pytest.raises(ModelValueError, match="whole numbers of synapses"):
        S.connect(n="1.5")


@pytest.mark.parametrize("delay", [np.nan * ms, np.inf * ms, "0*ms/0"])
def test_non_finite_delays_are_named_not_called_negative(delay):
    G, S = _synapses()
    S.connect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        S.delay = delay
    with pytest.raises(ModelValueError, match="must be finite: synapse 0 has delay"):
        Network(G, S).run(1 * ms)


double_it = Function(lambda x: 2 * x, arg_units=[1], return_unit=1)


@pytest.mark.cuda_refuses("Python user functions")
def test_a_function_from_a_lambda_runs_on_every_target():
    """A lambda's source is its whole line: it used to raise a bare StopIteration."""
    G = NeuronGroup(2, "v : 1")
    G.run_regularly("v = double_it(1.5)", dt=defaultclock.dt)
    Network(G).run(defaultclock.dt)
    np.testing.assert_array_equal(G.v[:], 3.0)


@pytest.mark.cuda_refuses("Python user functions")
def test_two_lambdas_on_one_line_give_a_named_error(codegen_target):
    f, g = (Function(lambda x: 2 * x, arg_units=[1], return_unit=1),
            Function(lambda x: 3 * x, arg_units=[1], return_unit=1))
    G = NeuronGroup(2, "v : 1")
    G.run_regularly("v = f(1.0) + g(1.0)", dt=defaultclock.dt)
    if codegen_target == "numpy":
        Network(G).run(defaultclock.dt)
        np.testing.assert_array_equal(G.v[:], 5.0)
    else:
        with pytest.raises(TypeError, match="several such lambdas"):
            Network(G).run(defaultclock.dt)


def test_clip_propagates_nan_as_numpy_does():
    """Found by the fuzz suite: numba's clip was min(max(...)), which drops a NaN bound."""
    np.testing.assert_array_equal(_assign("v = clip(1.0, 0.0, x/x)", x=0.0), np.nan)
    np.testing.assert_array_equal(_assign("v = clip(x/x, 0.0, 1.0)", x=0.0), np.nan)
    np.testing.assert_array_equal(_assign("v = clip(5.0, x, 2.0)", x=3.0), 2.0)  # as numpy


def test_kernels_are_keyed_by_the_helpers_they_call():
    """numba's cache checks only a kernel's own file: a changed helper needs a new key."""
    from sim.codegen import numba_target

    source = numba_target.generated_module([], ["def _kernel():", "    return 1"])
    assert f"__hearsim_helpers__ = {numba_target._helpers_fingerprint()!r}" in source


def test_a_huge_generator_range_is_cut_to_the_targets_or_refused():
    """Found by the fuzz suite: range(i, i + 10**12) tried to list 10**12 indices."""
    G = NeuronGroup(4, "v : 1")
    H = NeuronGroup(3, "v : 1")
    S = Synapses(G, H)
    S.connect(j="k for k in range(i, i + 10**12)", skip_if_invalid=True)
    pairs = list(zip(S.i[:], S.j[:], strict=True))
    assert pairs == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    S2 = Synapses(G, H)
    S2.connect(j="k for k in range(i + 1, i - 3, -1)", skip_if_invalid=True)
    assert list(S2.j[:4]) == [1, 0, 2, 1]  # Brian 2's order: the range's own
    with pytest.raises(ModelValueError, match="1000000000000 candidates for i=0"):
        Synapses(G, H).connect(j="2*k for k in range(i, i + 10**12)", skip_if_invalid=True)


@pytest.mark.parametrize("code, expected", [("v = x ** True", 3.0), ("v = x ** (x > 1)", 3.0),
                                            ("v = (x > 1) ** 0.5", 1.0)])
def test_booleans_in_powers(code, expected):
    """Found by the fuzz suite: numba has no float() of a boolean."""
    np.testing.assert_array_equal(_assign(code, x=3.0), expected)


def test_a_huge_multiplicity_is_named_not_wrapped():
    """Found by the fuzz suite: n='-1e308' was reported as -9223372036854775808."""
    _, S = _synapses()
    with pytest.raises(ModelValueError, match="gives -1e\\+308 synapses"):
        S.connect(n="-1e308")
