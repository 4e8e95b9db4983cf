"""Idioms of Brian 2's published examples that hearsim lacked (issues 18 and 20): each test
is a minimal reproduction of what an example does, checked against Brian 2's documented
behaviour."""

from __future__ import annotations

import gc
import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sim import (
    CodeRunner,
    Group,
    Hz,
    Nameable,
    Network,
    NeuronGroup,
    PoissonGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    SpikeSource,
    StateMonitor,
    Synapses,
    defaultclock,
    get_dimensions,
    ms,
    mV,
    second,
    start_scope,
)
from sim.units import DIMENSIONLESS


@pytest.fixture(autouse=True)
def _scope():
    start_scope()
    yield
    start_scope()
    gc.collect()  # no living objects left to take default names from later tests


# -- StateMonitor views (Brette_Gerstner_2005, Brette_2012/Fig5A) --------------------------

def test_monitor_view_trace_is_a_writable_copy():
    # ``v = M[0].v; v[k] = 50*mV`` draws spikes into a copy: Brian 2's StateMonitorView
    # returns Quantity(..., copy=True), the recording stays as it was
    G = NeuronGroup(2, "dv/dt = (1 - v)/(10*ms) : 1", method="euler")
    M = StateMonitor(G, "v", record=[0, 1])
    Network(G, M).run(1 * ms)
    v = M[0].v
    before = np.array(M.v[0])
    v[3] = 50
    assert v[3] == 50
    np.testing.assert_array_equal(M.v[0], before)
    np.testing.assert_array_equal(M[0].v_, before)
    raw = M[1].v_
    raw[0] = -1.0
    assert M[1].v_[0] == 0.0


def test_monitor_view_keeps_units_after_writing():
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : volt", method="euler")
    G.v = -70 * mV
    M = StateMonitor(G, "v", record=0)
    Network(G, M).run(0.5 * ms)
    v = M[0].v
    v[int(0.2 * ms / defaultclock.dt)] = 20 * mV
    assert get_dimensions(v) == mV.dim
    assert float(v[2] / mV) == pytest.approx(20)
    with pytest.raises(Exception, match="[Dd]imension|units"):
        v[0] = 1 * second


# -- Synapses.indices and S[i, j] (Brunel_Wang_2001, Stimberg_et_al_2018) ----------------

def _synapses(**kwargs):
    G = NeuronGroup(6, "v : 1")
    S = Synapses(G, G, "w : 1", **kwargs)
    return G, S


def test_synapses_indices_select_synapse_numbers():
    G, S = _synapses()
    S.connect()
    pre, post = np.asarray(S.i[:]), np.asarray(S.j[:])
    sel = S.indices[:, 2:4]
    np.testing.assert_array_equal(sel, np.flatnonzero((post >= 2) & (post < 4)))
    # Brunel & Wang's idiom: set the weights of a block of the matrix
    S.w[S.indices[1:3, 2:4]] = 5
    block = (pre >= 1) & (pre < 3) & (post >= 2) & (post < 4)
    np.testing.assert_array_equal(np.asarray(S.w[:]) == 5, block)
    # negative numbers count from the end of the group (Brian 2: the group's indices)
    np.testing.assert_array_equal(S.indices[-1, -1], np.flatnonzero((pre == 5) & (post == 5)))
    # an integer, arrays, a condition and the call form
    np.testing.assert_array_equal(S.indices[0, [1, 3]],
                                  np.flatnonzero((pre == 0) & np.isin(post, [1, 3])))
    np.testing.assert_array_equal(S.indices["i == j"], np.flatnonzero(pre == post))
    np.testing.assert_array_equal(S.indices(), np.arange(S.N))
    # out of range selects nothing (Brian 2 returns an empty array)
    assert len(S.indices[10, :]) == 0


def test_synapses_indices_third_index_is_the_multisynaptic_index():
    G, S = _synapses(multisynaptic_index="k")
    S.connect(i=0, j=1, n=3)
    S.connect(i=1, j=1, n=2)
    np.testing.assert_array_equal(S.indices[0, 1, 1], [1])
    np.testing.assert_array_equal(S.indices[:, 1, 0], [0, 3])
    np.testing.assert_array_equal(S.indices[0, 1, 1:], [1, 2])
    _, plain = _synapses()
    plain.connect()
    with pytest.raises(IndexError, match="multisynaptic_index"):
        plain.indices[0, 1, 0]


def test_synapses_subgroup_records_selected_synapses():
    # Stimberg et al. 2018: StateMonitor(exc_syn, [...], record=exc_syn[ni, :])
    G = NeuronGroup(4, "dv/dt = 1/ms : 1", threshold="v > 0.5", reset="v = 0",
                    method="euler")
    S = Synapses(G, G, "w : 1", on_pre="w += 1")
    S.connect()
    sub = S[2, :]
    assert len(sub) == 4
    np.testing.assert_array_equal(sub._indices(), np.flatnonzero(np.asarray(S.i[:]) == 2))
    M = StateMonitor(S, "w", record=sub)
    Network(G, S, M).run(2 * ms)
    np.testing.assert_array_equal(M.record, sub._indices())
    assert M.w.shape[0] == 4
    np.testing.assert_array_equal(S.w[sub], S.w[2, :])
    S.connect(i=0, j=0)
    with pytest.raises(RuntimeError, match="added/removed"):
        sub._indices()


def test_synapses_indices_of_subgroups():
    G = NeuronGroup(6, "v : 1")
    S = Synapses(G, G, "w : 1")
    S.connect()
    pre = np.asarray(S.i[:])
    np.testing.assert_array_equal(S.indices[G[4:6], :], np.flatnonzero(pre >= 4))


# -- values without dimensions (Tetzlaff_2015: ``neurons.index = range(N)``) --------------

def test_range_is_dimensionless():
    G = NeuronGroup(5, "index : 1")
    G.index = range(5)
    np.testing.assert_array_equal(G.index[:], np.arange(5))
    assert get_dimensions(range(3)) is DIMENSIONLESS
    from fractions import Fraction

    assert get_dimensions(Fraction(1, 2)) is DIMENSIONLESS
    H = NeuronGroup(3, "v : volt")
    with pytest.raises(Exception, match="[Dd]imension|units"):
        H.v = range(3)


# -- Brian 2's module paths (coupled_oscillators, float_32_64_benchmark, standalone) ------

def test_brian2_module_paths():
    from sim.devices.device import reinit_devices, reset_device  # noqa: F401

    from sim.core.functions import timestep
    from sim.core.magic import run, start_scope  # noqa: F401
    from sim.core.network import Network as CoreNetwork
    from sim.devices import Device, device_module, get_device

    assert timestep(0.3 * ms, 0.1 * ms) == 3
    assert CoreNetwork is Network
    previous = get_device()
    try:
        # the standalone multiple-processes example: device_module.active_device = dev
        dev = Device("cpp_standalone")
        device_module.active_device = dev
        assert get_device() is dev
        import sim

        assert sim.device.name == "cpp_standalone"
    finally:
        device_module.active_device = previous


# -- Brian 2's base classes in the star import -------------------------------------------

def test_brian2_base_classes():
    G = NeuronGroup(3, "v : 1", threshold="v > 1")
    S = Synapses(G, G)
    P = PoissonGroup(2, 5 * Hz)
    gen = SpikeGeneratorGroup(2, [0], [1] * ms)
    mon = SpikeMonitor(G)
    for source in (G, G[1:], P, gen):
        assert isinstance(source, SpikeSource)
        assert isinstance(source.spikes, np.ndarray)
    assert not isinstance(S, SpikeSource)
    assert not isinstance(mon, SpikeSource)
    for named in (G, S, P, mon, Network(), defaultclock):
        assert isinstance(named, Nameable)
        assert isinstance(named.name, str)
    for group in (G, S, G[1:], gen):
        assert isinstance(group, Group)
    assert isinstance(G.state_updater, CodeRunner)
    assert isinstance(G.thresholder, CodeRunner)

    class Source(SpikeSource):  # a user spike source implements ``spikes``
        @property
        def spikes(self):
            return np.array([1])

    assert isinstance(Source(), SpikeSource)
    with pytest.raises(TypeError):
        type("Broken", (SpikeSource,), {})()


def test_star_import_gives_brian2_base_classes():
    code = textwrap.dedent("""
        from sim import *
        print(all(isinstance(c, type) for c in (Group, CodeRunner, Nameable, SpikeSource)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


# -- run(report='text') while the first step is still compiling (Nicola_Clopath_2017) -----

def test_text_report_before_anything_is_simulated():
    from sim.network import _text_reporter

    stream = io.StringIO()
    report = _text_reporter(stream)
    report(0.0, 0.0, 0 * second, 1 * second)
    report(10.0, 0.0, 0 * second, 1 * second)  # a report period passed, no step done yet
    report(20.0, 0.5, 0 * second, 1 * second)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("Starting simulation at t=0. s")
    assert lines[1] == "0. s (0%) simulated in 10 s"
    assert lines[2] == "0.5 s (50%) simulated in 20 s, estimated 20 s remaining."


# -- brian2hears' module paths (approximate_gammatone: from brian2hears.filtering.
#    filterbanklibrary import ApproximateGammatone) ----------------------------------------

@pytest.mark.parametrize("module, names", [
    ("filterbanklibrary", ["Gammatone", "ApproximateGammatone", "LogGammachirp",
                           "LinearGammachirp", "IIRFilterbank", "Butterworth", "LowPass",
                           "Cascade", "AsymmetricCompensation"]),
    ("filterbank", ["Filterbank", "FunctionFilterbank", "ControlFilterbank", "Repeat", "Tile",
                    "Join", "Interleave", "SumFilterbank", "RestructureFilterbank"]),
    ("linearfilterbank", ["LinearFilterbank"]),
    ("firfilterbank", ["FIRFilterbank", "LinearFIRFilterbank", "FFTFIRFilterbank"]),
    ("filterbankgroup", ["FilterbankGroup"]),
    ("dcgc", ["DCGC"]),
    ("drnl", ["DRNL"]),
    ("fractionaldelay", ["FractionalDelay"]),
])
def test_brian2hears_filtering_module_paths(module, names):
    import importlib

    import hears

    mod = importlib.import_module(f"hears.filtering.{module}")
    for name in names:
        assert name in mod.__all__
        assert getattr(mod, name) is getattr(hears, name)


# -- noise in a subexpression (Spreizer_et_al_2019: noise = mu + sigma*sqrt(dt)*xi_pop) ----

def test_noise_in_a_subexpression_is_inlined_into_the_differential_equation():
    from sim import mA, ohm, seed  # noqa: F401  (ohm: used in the model strings)

    def final_v(eqs):
        start_scope()
        seed(3)
        G = NeuronGroup(400, eqs, method="euler")
        G.sigma = 1 * mA
        M = StateMonitor(G, "v", record=True)
        Network(G, M).run(20 * ms)
        return np.asarray(M.v_)

    via_subexpression = final_v("""
        dv/dt = (-v + noise*ohm)/(10*ms) : volt
        noise = mu + sigma*sqrt(noise_dt)*xi_pop : amp
        mu : amp
        sigma : amp
        noise_dt = 1*ms : second (shared)
        """)
    inlined = final_v("""
        dv/dt = (-v + (mu + sigma*sqrt(noise_dt)*xi_pop)*ohm)/(10*ms) : volt
        mu : amp
        sigma : amp
        noise_dt = 1*ms : second (shared)
        """)
    np.testing.assert_array_equal(via_subexpression, inlined)
    assert np.std(via_subexpression[:, -1]) > 0



def test_noise_subexpression_outside_the_state_update_is_refused():
    from sim import ModelSyntaxError, ohm  # noqa: F401  (ohm: used in the model string)

    G = NeuronGroup(2, """dv/dt = (-v + noise*ohm)/(10*ms) : volt
                          noise = sigma*sqrt(ms)*xi : amp
                          sigma : amp""", method="euler")
    M = StateMonitor(G, "noise", record=True)
    with pytest.raises(ModelSyntaxError, match="only be used in differential equations"):
        Network(G, M).run(1 * ms)


# -- pylab's sum of a generator (float_32_64_benchmark: sum(t for name, t in ...)) --------

def test_star_import_sum_takes_a_generator_as_numpy_1():
    import sim

    assert sim.sum(t for t in [1 * ms, 2 * ms]) == 3 * ms
    assert sim.sum(x for x in range(4)) == 6
    np.testing.assert_array_equal(sim.sum(np.ones((2, 3)), axis=0), [2, 2, 2])
    total = sim.sum(np.array([1.0, 2.0]) * mV)
    assert get_dimensions(total) == mV.dim and float(total / mV) == pytest.approx(3)
    out = np.zeros(())
    assert sim.sum((x for x in (1.0, 2.0)), out=out) is out and out == 3


# -- morphology parts index a monitor of a subgroup relative to it (bipolar_cell,
#    bipolar_with_inputs: StateMonitor(neuron.L, 'v', record=morpho.L[-1])) ---------------

def test_morphology_parts_index_a_subgroup_monitor_relative_to_it():
    from sim import Cylinder, Soma, SpatialNeuron, cm, um

    morpho = Soma(30 * um)
    morpho.L = Cylinder(diameter=1 * um, length=100 * um, n=10)
    morpho.R = Cylinder(diameter=1 * um, length=150 * um, n=5)
    neuron = SpatialNeuron(morpho, "Im = 1e-4*siemens/cm**2*(-70*mV - v) : amp/meter**2")
    neuron.v = "-70*mV + distance*1e3*mV/meter"
    assert cm is not None  # (cm: used in the model string)
    mon_L = StateMonitor(neuron.L, "v", record=True)
    mon_R = StateMonitor(neuron.R, "v", record=morpho.R[-1])
    mon_all = StateMonitor(neuron, "v", record=morpho.R[-1])
    Network(neuron, mon_L, mon_R, mon_all).run(0.2 * ms)
    # Brian 2: record = part._indices() - source offset
    np.testing.assert_array_equal(mon_R.record, [4])
    np.testing.assert_array_equal(mon_all.record, [1 + 10 + 4])
    np.testing.assert_array_equal(mon_R[morpho.R[-1]].v, mon_all[morpho.R[-1]].v)
    np.testing.assert_array_equal(mon_L[morpho.L[55 * um]].v, mon_L[5].v)
    np.testing.assert_array_equal(mon_L[morpho.L[-1]].v, mon_L[9].v)


# -- per-neuron synapse counts (Spreizer_et_al_2019: syn.N_incoming_post.reshape(...)) ----

def test_synapses_counts_per_neuron():
    A = NeuronGroup(3, "v : 1")
    B = NeuronGroup(4, "v : 1")
    S = Synapses(A, B)
    S.connect(i=[0, 0, 1, 2, 2, 2], j=[1, 3, 3, 0, 1, 3])
    np.testing.assert_array_equal(S.N_incoming_post, [1, 2, 0, 3])
    np.testing.assert_array_equal(S.N_outgoing_pre, [2, 1, 3])
    # the per-synapse variables Brian 2 has too: the count of each synapse's target/source
    np.testing.assert_array_equal(S.N_incoming[:], [2, 3, 3, 1, 2, 3])
    np.testing.assert_array_equal(S.N_outgoing[:], [2, 2, 1, 3, 3, 3])
    empty = Synapses(A, B)
    np.testing.assert_array_equal(empty.N_incoming_post, np.zeros(4))


# -- numpy.histogram2d of spike times (Spreizer_et_al_2019) --------------------------------

def test_histogram2d_of_times_and_indices():
    from sim import DimensionMismatchError, mV

    ts = np.array([1.0, 2.0, 30.0]) * ms
    idx = np.array([0, 1, 2])
    h, t_edges, i_edges = np.histogram2d(ts, idx, bins=[np.arange(0, 51, 25) * ms, range(4)])
    np.testing.assert_array_equal(h, [[1, 1, 0], [0, 0, 1]])
    assert get_dimensions(t_edges) == ms.dim
    np.testing.assert_allclose(np.asarray(t_edges), [0, 0.025, 0.05])
    np.testing.assert_array_equal(i_edges, [0, 1, 2, 3])
    # density: per unit of area (1/(second*volt)); range rows in each coordinate's unit
    d, _, v_edges = np.histogram2d(ts, idx * mV, bins=2, density=True,
                                   range=[[0 * ms, 50 * ms], [0 * mV, 3 * mV]])
    assert get_dimensions(d) == (1 / (ms * mV)).dim
    assert float(np.sum(np.asarray(d)) * 0.025 * 1.5e-3) == pytest.approx(1)
    assert get_dimensions(v_edges) == mV.dim
    with pytest.raises(DimensionMismatchError):
        np.histogram2d(ts, idx, bins=[np.arange(3) * mV, range(4)])


# -- BinomialFunction (Brian 2's star import) ----------------------------------------------

@pytest.mark.parametrize("target", ["numpy", "numba"])
def test_binomial_function_draws_in_model_strings(target):
    from sim import BinomialFunction, prefs, seed

    if target == "numba":
        pytest.importorskip("numba")
    previous = prefs.codegen.target
    prefs.codegen.target = target
    try:
        seed(2)
        exact = BinomialFunction(10, 0.2)  # n*p = 2 < 5: an exact (integer) draw
        normal = BinomialFunction(1000, 0.3)  # Brian 2's normal approximation
        assert not exact.use_normal and normal.use_normal
        assert exact.expression() == "binomial(10, 0.2)"
        G = NeuronGroup(20000, "x : 1\ny : 1", namespace={"exact": exact, "normal": normal})
        G.run_regularly("x = exact()\ny = normal()")
        Network(G).run(defaultclock.dt)
        x, y = np.asarray(G.x[:]), np.asarray(G.y[:])
    finally:
        prefs.codegen.target = previous
    assert np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= 10
    assert x.mean() == pytest.approx(2, abs=0.05) and x.var() == pytest.approx(1.6, rel=0.05)
    assert y.mean() == pytest.approx(300, abs=0.5) and y.var() == pytest.approx(210, rel=0.05)
    assert not np.all(y == np.round(y))


def test_binomial_function_checks_its_arguments():
    from sim import BinomialFunction, DimensionMismatchError

    f = BinomialFunction(10, 0.5, approximate=False)
    G = NeuronGroup(500, "x : 1")
    G.x = "f()"  # string assignments draw too
    assert 3 < float(np.mean(G.x[:])) < 7
    assert not BinomialFunction(1000, 0.5, approximate=False).use_normal
    with pytest.raises(DimensionMismatchError):
        BinomialFunction(3 * mV, 0.5)
    with pytest.raises(ValueError, match="p must lie"):
        BinomialFunction(3, 1.5)
    with pytest.raises(ValueError, match="whole number"):
        BinomialFunction(2.5, 0.5)
    assert f.name == "_binomial*"


def test_synapse_numbers_as_indices_are_checked():
    G, S = _synapses()
    S.connect(i=[0, 1, 2], j=[1, 2, 3])
    np.testing.assert_array_equal(S.indices[[0, 2]], [0, 2])
    np.testing.assert_array_equal(S.indices[-1], 2)
    assert len(S[1:]) == 2
    with pytest.raises(IndexError):
        S.indices[3]
    assert [len(sub) for sub in S] == [1, 1, 1]  # iteration ends (a subgroup per synapse)
