"""The last of Brian 2's star-import names (issue 20): ``VariableOwner``, ``Trackable``,
``BrianPreference`` (with ``prefs.register_preferences``), ``ImportExport`` (formats of
``get_states``/``set_states``) and the ``independent`` state updater."""

import gc
import logging
import weakref

import numpy as np
import pytest

import sim
from sim import (
    BrianPreference,
    ImportExport,
    Nameable,
    Network,
    NeuronGroup,
    PoissonGroup,
    PopulationRateMonitor,
    PreferenceError,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    Trackable,
    UnsupportedEquationsException,
    VariableOwner,
    defaultclock,
    independent,
    ms,
    mV,
    prefs,
    second,
)


def test_the_names_are_in_the_star_import():
    namespace = {}
    exec("from sim import *", namespace)
    for name in ("VariableOwner", "Trackable", "BrianPreference", "ImportExport",
                 "independent"):
        assert name in namespace and name in sim.__all__
    from sim.core.preferences import BrianPreference as core_pref
    from sim.core.tracking import Trackable as core_trackable

    assert core_pref is BrianPreference and core_trackable is Trackable


# -- VariableOwner and Trackable ------------------------------------------------------------
def test_variable_owners_as_brian2():
    G = NeuronGroup(3, "v : volt", threshold="v > 10*mV")
    S = Synapses(G, G, "w : 1", on_pre="v += w*mV")
    S.connect()
    owners = [G, G[1:], S, S.pre, PoissonGroup(2, 5 * sim.Hz),
              SpikeGeneratorGroup(1, [0], [1] * ms), StateMonitor(G, "v", record=True),
              SpikeMonitor(G), PopulationRateMonitor(G), defaultclock]
    for obj in owners:
        assert isinstance(obj, VariableOwner), obj
        assert isinstance(obj, Nameable) and isinstance(obj, Trackable)
    assert issubclass(VariableOwner, Nameable) and issubclass(Nameable, Trackable)
    assert not isinstance(Network(), VariableOwner)  # a Nameable, not a VariableOwner
    assert isinstance(Network(), Nameable)
    assert not isinstance(3, VariableOwner) and not isinstance("v", Trackable)
    # what Brian 2 code does with one: its variables by name
    assert G.state("v")[0] == 0 * mV and "v" in G.variables


def test_instances_are_tracked_by_class():
    G = NeuronGroup(1, "v : 1", name="tracked_group")
    H = PoissonGroup(1, 1 * sim.Hz, name="tracked_poisson")
    names = {ref().name for ref in NeuronGroup.__instances__() if ref() is not None}
    assert {"tracked_group", "tracked_poisson"} <= names  # subclasses too
    assert all(isinstance(ref, weakref.ref) for ref in NeuronGroup.__instances__())
    assert "tracked_group" not in {r().name for r in PoissonGroup.__instances__() if r()}
    assert any(r() is G for r in Trackable.__instances__())
    del G, H
    gc.collect()
    assert "tracked_group" not in {r().name for r in NeuronGroup.__instances__() if r()}


def test_a_users_trackable_class():
    class Thing(Trackable):
        def __init__(self, x):
            self.x = x

    class Smaller(Thing):
        pass

    a, b = Thing(1), Smaller(2)
    assert {r().x for r in Thing.__instances__()} == {1, 2}
    assert {r().x for r in Smaller.__instances__()} == {2}
    del a
    gc.collect()
    assert {r().x for r in Thing.__instances__()} == {2}
    assert b.x == 2


# -- BrianPreference and prefs.register_preferences -----------------------------------------
@pytest.fixture
def registered():
    """Categories registered by a test are taken out again afterwards."""
    names = []
    yield names
    for name in names:
        prefs._sections.pop(name, None)


def test_register_preferences_as_brian2(registered):
    registered.append("issue20pkg")
    prefs.register_preferences(
        "issue20pkg", "A package's preferences",
        size=BrianPreference(3, "How many"),
        step=BrianPreference(1 * ms, "A time"),
        mode=BrianPreference("fast", "The mode",
                             validator=lambda value: value in ("fast", "slow")),
    )
    assert prefs.issue20pkg.size == 3 and prefs["issue20pkg.step"] == 1 * ms
    prefs.issue20pkg.size = 5
    prefs["issue20pkg.step"] = 2 * second  # the same dimensions
    prefs.issue20pkg.mode = "slow"
    assert (prefs.issue20pkg.size, prefs.issue20pkg.step, prefs.issue20pkg.mode) == (
        5, 2 * second, "slow")
    # Brian 2's DefaultValidator: the default's class, and its dimensions for a quantity
    for name, bad in (("size", 2.5), ("step", 3), ("step", 3 * mV), ("mode", "medium")):
        with pytest.raises(PreferenceError, match=f"for preference 'issue20pkg.{name}' is "
                                                  f"invalid"):
            setattr(prefs.issue20pkg, name, bad)
    with pytest.raises(PreferenceError, match="No preference 'issue20pkg.sizes'"):
        prefs.issue20pkg.sizes = 1
    prefs.reset()
    assert prefs.issue20pkg.size == 3 and prefs.issue20pkg.mode == "fast"
    pref = BrianPreference(0.5, "docs")
    assert pref.default == 0.5 and pref.docs == "docs" and pref.representor is repr
    assert pref.validator(0.25) and not pref.validator("0.25")


def test_register_preferences_errors_as_brian2(registered):
    registered.extend(["issue20a", "issue20b", "issue20c"])
    prefs.register_preferences("issue20a", "docs", x=BrianPreference(1, "x"))
    with pytest.raises(PreferenceError, match="already registered"):
        prefs.register_preferences("issue20a", "docs", y=BrianPreference(1, "y"))
    with pytest.raises(PreferenceError, match="already registered"):
        prefs.register_preferences("codegen", "docs", y=BrianPreference(1, "y"))
    with pytest.raises(PreferenceError, match="already has a preference named 'x'"):
        prefs.register_preferences("issue20a.x", "docs", y=BrianPreference(1, "y"))
    with pytest.raises(PreferenceError, match="Illegal preference name '2x'"):
        prefs.register_preferences("issue20b", "docs", **{"2x": BrianPreference(1, "y")})
    with pytest.raises(PreferenceError, match="name of a method"):
        prefs.register_preferences("issue20b", "docs", reset=BrianPreference(1, "y"))
    with pytest.raises(PreferenceError, match="invalid"):  # the default is validated
        prefs.register_preferences("issue20c", "docs",
                                   y=BrianPreference(1, "y", validator=lambda v: v > 5))
    assert "issue20b" not in prefs._sections and "issue20c" not in prefs._sections
    # a sub-category, then its parent (created on the way) may still be registered
    registered.append("issue20d")
    prefs.register_preferences("issue20d.inner", "docs", y=BrianPreference(True, "y"))
    prefs.register_preferences("issue20d", "docs", z=BrianPreference(1, "z"))
    assert prefs.issue20d.inner.y is True and prefs["issue20d.z"] == 1
    registered.append("issue20e")
    prefs.register_preferences("issue20e.inner", "docs", a=BrianPreference(1, "a"))
    with pytest.raises(PreferenceError, match="registered as a preference category"):
        prefs.register_preferences("issue20e", "docs", inner=BrianPreference(1, "i"))
    prefs.register_preferences("issue20e", "docs", outer=BrianPreference(1, "o"))
    assert prefs.issue20e.inner.a == 1 and prefs.issue20e.outer == 1


# -- ImportExport ------------------------------------------------------------------------------
class _Rows(ImportExport):
    """A format of rows: a list of one tuple per element."""

    @property
    def name(self):
        return "issue20_rows"

    @staticmethod
    def export_data(group, variables, units=True, level=0):
        values = [group.state(v, use_units=units) for v in variables]
        return list(zip(*values, strict=True))

    @staticmethod
    def import_data(group, data, units=True, level=0):
        columns = list(zip(*data, strict=True))
        group.state("v", use_units=units)[:] = np.asarray(columns[0])


@pytest.fixture
def rows_format():
    ImportExport.register(_Rows())
    yield
    del ImportExport.methods["issue20_rows"]


def test_the_builtin_formats_are_registered():
    assert {"dict", "pandas"} <= set(ImportExport.methods)
    G = NeuronGroup(3, "v : volt\nu : 1")
    G.v = [1, 2, 3] * mV
    data = ImportExport.methods["dict"].export_data(G, ["v"])
    assert list(data) == ["v"] and np.allclose(data["v"] / mV, [1, 2, 3])
    ImportExport.methods["dict"].import_data(G, {"u": np.array([4, 5, 6])})
    assert list(G.u[:]) == [4, 5, 6]
    with pytest.raises(TypeError):
        ImportExport()  # abstract, as Brian 2's


def test_a_users_format_for_get_and_set_states(rows_format):
    G = NeuronGroup(2, "v : 1\nu : 1")
    G.v = [1, 2]
    G.u = [3, 4]
    assert G.get_states(["v", "u"], format="issue20_rows") == [(1, 3), (2, 4)]
    G.set_states([(7, 0), (8, 0)], format="issue20_rows")
    assert list(G.v[:]) == [7, 8]
    with pytest.raises(ValueError, match="already been registered"):
        ImportExport.register(_Rows())


def test_import_export_errors_as_brian2():
    with pytest.raises(ValueError, match="valid importerexporter"):
        ImportExport.register(object())
    G = NeuronGroup(1, "v : 1")
    for call in (lambda: G.get_states(format="xml"), lambda: G.set_states({}, format="xml")):
        with pytest.raises(NotImplementedError, match="'xml'"):  # Brian 2's error
            call()
        with pytest.raises(ValueError, match="'dict', 'pandas'"):  # hearsim's
            call()


# -- the 'independent' state updater ----------------------------------------------------------
EQS = """dv/dt = (E - v)/tau : volt
dw/dt = -w/(5*ms) : 1
E : volt
tau : second"""


def _independent_run(method):
    G = NeuronGroup(3, EQS, method=method)
    G.v = 10 * mV
    G.w = 1
    G.E = [0, -20, 30] * mV
    G.tau = [10, 20, 3] * ms
    Network(G).run(7 * ms)
    return G


@pytest.mark.parametrize("method", ["independent", independent])
def test_independent_integrates_uncoupled_equations_exactly(method):
    G = _independent_run(method)
    assert G.method_used == "independent"
    E = np.array([0, -20, 30]) * 1e-3
    tau = np.array([10, 20, 3]) * 1e-3
    expected_v = E + (10e-3 - E) * np.exp(-7e-3 / tau)
    np.testing.assert_allclose(np.asarray(G.v[:]), expected_v, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.asarray(G.w[:]), np.exp(-7 / 5) * np.ones(3), rtol=1e-12)
    exact = _independent_run("exact")
    np.testing.assert_array_equal(np.asarray(G.v[:]), np.asarray(exact.v[:]))


def test_independent_warns_as_brian2_that_it_is_deprecated(caplog, monkeypatch):
    from sim.codegen import stateupdate

    monkeypatch.setattr(stateupdate, "_independent_warned", [])
    with caplog.at_level(logging.WARNING, logger="sim.codegen.stateupdate"):
        _independent_run("independent")
        _independent_run("independent")
    warnings = [r for r in caplog.records if "'independent' state updater is deprecated"
                in r.getMessage()]
    assert len(warnings) == 1  # once, as Brian 2's (once=True)


@pytest.mark.parametrize("eqs, reason", [
    ("dv/dt = (w - v)/(10*ms) : 1\ndw/dt = -w/(5*ms) : 1", "depends on 'w'"),
    ("dv/dt = -v/(10*ms) + xi/sqrt(ms) : 1", "stochastic"),
    ("dv/dt = -v**2/(10*ms) : 1", "not linear"),
    ("dv/dt = sin(2*pi*t/ms)/ms : 1", "time"),
])
def test_independent_refuses_what_it_cannot_solve(eqs, reason):
    G = NeuronGroup(1, eqs, method="independent")
    with pytest.raises(UnsupportedEquationsException, match=reason):
        Network(G).run(1 * ms)


def test_independent_is_not_chosen_automatically():
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1")
    Network(G).run(1 * ms)
    assert G.method_used == "exact"
