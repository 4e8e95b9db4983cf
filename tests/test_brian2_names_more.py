"""More of Brian 2's star-import names (issue 20): integration methods as objects and
user schemes, default functions/constants/units, namespace and cache helpers, preferences'
errors, the logger."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sim import (
    DEFAULT_CONSTANTS,
    DEFAULT_FUNCTIONS,
    DEFAULT_UNITS,
    ExplicitStateUpdater,
    Network,
    NeuronGroup,
    PreferenceError,
    StateUpdateMethod,
    brian_prefs,
    check_cache,
    clear_cache,
    declare_types,
    euler,
    exact,
    exponential_euler,
    get_local_namespace,
    heun,
    linear,
    logger,
    milstein,
    ms,
    mV,
    prefs,
    rk2,
    rk4,
    std_silent,
)


def _decay(method, code="dv/dt = -v/(10*ms) : 1"):
    G = NeuronGroup(1, code, method=method)
    G.v = 1
    Network(G).run(10 * ms)
    return G.method_used, float(G.v[0])


@pytest.mark.parametrize("method, name", [(euler, "euler"), (rk2, "rk2"), (rk4, "rk4"),
                                          (heun, "heun"), (exact, "exact"), (linear, "exact"),
                                          (exponential_euler, "exponential_euler"),
                                          ([rk4, milstein], "rk4")])
def test_methods_given_as_objects(method, name):
    used, v = _decay(method)
    tolerance = {"euler": 1e-2, "rk2": 1e-4, "heun": 1e-4}.get(name, 1e-6)  # by order
    assert used == name and v == pytest.approx(np.exp(-1), rel=tolerance)


def test_a_users_explicit_scheme_by_object_and_by_name():
    midpoint = ExplicitStateUpdater("""
        k = dt*f(x, t)
        x_new = x + dt*f(x + k/2, t + dt/2)""")
    used, v = _decay(midpoint)
    # second order: the midpoint error at dt = 0.1 ms is about (dt/tau)^2/6 per unit time
    assert used.startswith("explicit_") and abs(v - np.exp(-1)) < 1e-5
    assert abs(v - np.exp(-1)) > 1e-9  # not exact: it is the user's scheme that ran
    StateUpdateMethod.register("midpoint_issue20", midpoint)
    assert _decay("midpoint_issue20")[1] == v
    with pytest.raises(ValueError, match="exists"):
        StateUpdateMethod.register("euler", midpoint)
    with pytest.raises(ValueError, match="last line must assign x_new"):
        ExplicitStateUpdater("k = dt*f(x, t)")
    with pytest.raises(Exception, match="cannot integrate stochastic"):
        _decay(midpoint, "dv/dt = -v/(10*ms) + xi/sqrt(ms) : 1")
    with pytest.raises(TypeError, match="integration scheme"):
        _decay(3)


def test_default_names_of_model_strings():
    assert {"exp", "rand", "randn", "clip", "timestep"} <= set(DEFAULT_FUNCTIONS)
    assert DEFAULT_CONSTANTS["pi"] == np.pi and DEFAULT_CONSTANTS["inf"] == np.inf
    assert DEFAULT_UNITS["mV"] is mV and DEFAULT_UNITS["ms"] is ms


def test_namespace_cache_and_declare_types(tmp_path, monkeypatch):
    local_value = 42  # noqa: F841 - read through the namespace

    def inner():
        return get_local_namespace(1)

    assert inner()["local_value"] == 42
    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(tmp_path))
    code = "dv/dt = -v/(12.345*ms) : 1"  # a model of this test only: compiled here
    _decay(rk4, code)
    assert check_cache("cython") > 0  # Brian 2's target name: the numba cache
    clear_cache("numba")
    assert check_cache() == 0  # only the empty folders remain
    assert _decay(rk4, code)[0] == "rk4"
    with pytest.raises(ValueError, match="numba target"):
        clear_cache("cpp")

    @declare_types(a="integer", result="highest")
    def f(a, b):
        return a + b

    assert f._arg_types == ["integer", "any"] and f._return_type == "highest"
    with pytest.raises(ValueError, match="no argument 'c'"):
        declare_types(c="float")(f)
    with pytest.raises(ValueError, match="type 'double'"):
        declare_types(a="double")


def test_preference_errors_logger_and_std_silent(capsys, caplog):
    assert brian_prefs is prefs
    with pytest.raises(PreferenceError, match="No preference 'codegen.nonsense'"):
        prefs.codegen.nonsense = 1
    with pytest.raises(ValueError):  # still a ValueError, as before
        prefs.codegen.numba_threads = 0
    with pytest.raises(AttributeError):  # and unknown names still AttributeErrors
        prefs.codegen.nonsense  # noqa: B018
    with caplog.at_level(logging.INFO, logger="sim"):
        logger.info("from a script", name_suffix="user")
        logger.warn("once only", once=True)
        logger.warn("once only", once=True)
    assert [r.name for r in caplog.records] == ["sim.user", "sim"]
    with std_silent():
        print("hidden")
    assert capsys.readouterr().out == ""
