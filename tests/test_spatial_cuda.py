"""SpatialNeuron on the cuda target's device-resident run loop (issue 18): the cable step
as a CUDA kernel (sim.spatial.cable_cuda) launched by sim.codegen.cuda_loop, on the CUDA
runtime's host backend (HEARSIM_TEST_CUDA_BACKEND=auto runs the same tests on a GPU).

The kernel does the numba function's operations in the same order, without FMA
contraction on either side, so the device loop's traces and spikes are the numba
target's bit for bit (on a GPU the gating kernels' exp() may differ in the last bit,
so there the comparison is to rounding)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sim import (
    Cylinder,
    Network,
    Soma,
    SpatialNeuron,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    amp,
    cm,
    defaultclock,
    ms,
    msiemens,
    mV,
    nA,
    ohm,
    prefs,
    siemens,
    start_scope,
    uF,
    um,
)
from sim.codegen import cuda_runtime
from sim.spatial.cable import build_tree, cable_loop_step
from sim.spatial.cable_cuda import cable_kernel_name, cable_kernel_source
from sim.spatial.morphology import FlatMorphology

BACKEND = os.environ.get("HEARSIM_TEST_CUDA_BACKEND", "host")
#: bit for bit on the host backend; on a GPU, libm's last bit in the gating kernels
EXACT = BACKEND == "host"

pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def _targets():
    saved = (prefs.codegen.target, prefs.codegen.cuda_backend)
    saved_dt = defaultclock.dt
    prefs.codegen.cuda_backend = BACKEND
    yield
    prefs.codegen.target, prefs.codegen.cuda_backend = saved
    defaultclock.dt = saved_dt


#: Hodgkin-Huxley with the powers written as products: numba computes ``m**3`` (an integer
#: literal exponent) by squaring, ``m*(m*m)``, while the cuda target writes C's ``pow()``,
#: which rounds once; so ``**`` in a model differs in the last bit between the two targets
#: (a matter of the generated kernels, not of the cable step: test below)
HH = """
Im = gl * (El-v) + gNa * (m*m*m) * h * (ENa-v) + gK * ((n*n)*(n*n)) * (EK-v) : amp/meter**2
I : amp (point current)
dm/dt = alpham * (1-m) - betam * m : 1
dn/dt = alphan * (1-n) - betan * n : 1
dh/dt = alphah * (1-h) - betah * h : 1
alpham = (0.1/mV) * 10*mV/exprel((-v+25*mV)/(10*mV))/ms : Hz
betam = 4 * exp(-v/(18*mV))/ms : Hz
alphah = 0.07 * exp(-v/(20*mV))/ms : Hz
betah = 1/(exp((-v+30*mV) / (10*mV)) + 1)/ms : Hz
alphan = (0.01/mV) * 10*mV/exprel((-v+10*mV)/(10*mV))/ms : Hz
betan = 0.125*exp(-v/(80*mV))/ms : Hz
gNa : siemens/meter**2
"""
HH_CONSTANTS = {"El": 10.613 * mV, "ENa": 115 * mV, "EK": -12 * mV,
                "gl": 0.3 * msiemens / cm ** 2, "gK": 36 * msiemens / cm ** 2}

PASSIVE = """
Im = gL*(EL - v) : amp/meter**2
I : amp (point current)
"""
PASSIVE_CONSTANTS = {"gL": 1e-4 * siemens / cm ** 2, "EL": -70 * mV}


def _branched():
    morpho = Soma(diameter=30 * um)
    morpho.L = Cylinder(length=10 * um, diameter=1 * um, n=10)
    morpho.LL = Cylinder(length=5 * um, diameter=2 * um, n=5)
    morpho.LR = Cylinder(length=5 * um, diameter=2 * um, n=10)
    morpho.right = Cylinder(length=3 * um, diameter=1 * um, n=7)
    morpho.right.nextone = Cylinder(length=2 * um, diameter=1 * um, n=3)
    return morpho


def _ball_and_stick_hh(model=HH):
    """A soma and an HH axon, current pulses into the soma, spikes at the axon's far end."""
    start_scope()
    defaultclock.dt = 0.01 * ms
    morpho = Soma(diameter=30 * um)
    morpho.axon = Cylinder(length=300 * um, diameter=2 * um, n=40)
    neuron = SpatialNeuron(morpho, model, method="exponential_euler", Cm=1 * uF / cm ** 2,
                           Ri=100 * ohm * cm, threshold="v > 50*mV", refractory="v > 20*mV",
                           threshold_location=morpho.axon[280 * um],
                           namespace=HH_CONSTANTS)
    neuron.v = 0 * mV
    neuron.h = 1
    neuron.m = 0
    neuron.n = 0.5
    neuron.gNa = 120 * msiemens / cm ** 2
    neuron.axon.gNa = 100 * msiemens / cm ** 2
    spikes = SpikeMonitor(neuron)
    mon = StateMonitor(neuron, ["v", "Ic", "m"], record=True)
    net = Network(neuron, spikes, mon)
    net.run(1 * ms)
    for _ in range(2):  # two pulses, set between runs: the device twins are refreshed
        neuron.I[0] = 4 * nA
        net.run(1 * ms)
        neuron.I = 0 * amp
        net.run(8 * ms)
    return net, neuron, spikes, mon


def _branched_passive():
    """Two branched passive neurons (one of another size: its own kernel), a synapse into
    one compartment, a point current into another, Ri and Cm changed between runs."""
    start_scope()
    defaultclock.dt = 0.025 * ms
    morpho = _branched()
    neuron = SpatialNeuron(morpho, PASSIVE, Cm=1 * uF / cm ** 2, Ri=150 * ohm * cm,
                           threshold="v > -69*mV", threshold_location=morpho.LR[4 * um],
                           namespace=PASSIVE_CONSTANTS)
    neuron.v = -70 * mV
    neuron.I[morpho.right.nextone[1 * um]] = 0.02 * nA
    small = Soma(diameter=20 * um)
    small.dend = Cylinder(length=50 * um, diameter=1 * um, n=6)
    small.dend.a = Cylinder(length=20 * um, diameter=0.5 * um, n=3)
    small.dend.b = Cylinder(length=20 * um, diameter=0.5 * um, n=4)
    other = SpatialNeuron(small, PASSIVE, Ri=100 * ohm * cm, namespace=PASSIVE_CONSTANTS)
    other.v = "-70*mV + 0.5*mV*i/N"
    other.I[0] = 0.01 * nA
    source = SpikeGeneratorGroup(1, [0, 0], [0.5, 1.5] * ms)
    syn = Synapses(source, neuron, on_pre="v += 5*mV")
    syn.connect(j="k for k in range(N_post) if k == 12")
    spikes = SpikeMonitor(neuron)
    mon = StateMonitor(neuron, "v", record=True)
    mon_other = StateMonitor(other, ["v", "Ic"], record=True)
    net = Network(neuron, other, source, syn, spikes, mon, mon_other)
    net.run(2 * ms)
    neuron.Ri = 100 * ohm * cm  # a new tree (conductances) for the next run
    other.Cm = 2 * uF / cm ** 2
    net.run(1 * ms)
    return net, neuron, spikes, mon, other, mon_other


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if EXACT:
        assert_array_equal(a, b)
    else:
        assert_allclose(a, b, rtol=1e-9, atol=1e-15)


def _both(build):
    prefs.codegen.target = "numba"
    cpu = build()
    assert cpu[0].used_compiled_loop, cpu[0].compiled_loop_unavailable
    prefs.codegen.target = "cuda"
    device = build()
    assert device[0].used_compiled_loop, device[0].compiled_loop_unavailable
    return cpu, device


def test_ball_and_stick_hh_device_loop_equals_numba():
    cpu, device = _both(_ball_and_stick_hh)
    (_, n0, s0, m0), (_, n1, s1, m1) = cpu, device
    assert len(s0.i) >= 2  # the soma's current fired the axon's far end repeatedly
    assert set(np.asarray(s0.i)) == {int(n0.axon[280 * um].indices[:][0])}
    assert_array_equal(np.asarray(s0.i), np.asarray(s1.i))
    _same(s0.t[:], s1.t[:])
    for name in ("v", "Ic", "m"):
        _same(getattr(m0, name)[:], getattr(m1, name)[:])
    for name in ("v", "m", "n", "h", "Ic"):
        _same(getattr(n0, name)[:], getattr(n1, name)[:])


def test_ball_and_stick_hh_with_powers():
    """``m**3``: the cuda target multiplies as numba does (hs_powi), not C's pow."""
    model = HH.replace("(m*m*m)", "m**3").replace("((n*n)*(n*n))", "n**4")
    cpu, device = _both(lambda: _ball_and_stick_hh(model))
    _same(cpu[3].v[:], device[3].v[:])


def test_branched_passive_device_loop_equals_numba():
    cpu, device = _both(_branched_passive)
    (_, n0, s0, m0, o0, mo0), (_, n1, s1, m1, o1, mo1) = cpu, device
    assert len(s0.i) >= 1
    assert_array_equal(np.asarray(s0.i), np.asarray(s1.i))
    _same(s0.t[:], s1.t[:])
    _same(m0.v[:], m1.v[:])
    _same(mo0.v[:], mo1.v[:])
    _same(mo0.Ic[:], mo1.Ic[:])
    _same(n0.v[:], n1.v[:])
    _same(o0.v[:], o1.v[:])
    assert np.ptp(np.asarray(mo1.v[:])[:, -1]) > 0  # the second neuron's cable acted


# --- the kernel alone ------------------------------------------------------------------
def _solver_arrays(rng, morpho, Ri=1.5):
    flat = FlatMorphology(morpho)
    tree = build_tree(flat, Ri)
    n, u = flat.n, tree.n_unknowns
    v = rng.uniform(-0.08, 0.04, n)
    args = [v, rng.uniform(0.005, 0.02, n), np.ascontiguousarray(flat.area, dtype=float),
            rng.uniform(0.0, 10.0, n), rng.uniform(-1.0, 1.0, n), rng.uniform(-1e-10, 1e-10, n),
            tree.parent, tree.g, tree.compartment_unknown, np.zeros(u), np.zeros(u),
            np.zeros(u), np.zeros(n), np.zeros(n)]
    return n, u, args


def _launch(n, u, args, t=0.0, dt=2.5e-5):
    backend = cuda_runtime.get_backend("host")
    function = backend.compile(cable_kernel_source(n, u)).function(cable_kernel_name(n, u))
    clock = np.zeros(1, dtype=np.int64)  # the device loop's clock: step 0, every step
    function((1,), (1,), (clock, np.int64(1), np.float64(dt), *args))


@pytest.mark.parametrize("shape", ["branched", "cable"])
def test_kernel_equals_cable_loop_step_bit_for_bit(shape):
    rng = np.random.default_rng(3)
    morpho = _branched() if shape == "branched" else Cylinder(length=1 * cm, diameter=1 * um,
                                                              n=200)
    n, u, args = _solver_arrays(rng, morpho)
    assert u > n or shape == "cable"
    copy = [a.copy() for a in args]
    for _ in range(5):
        cable_loop_step(0.0, 2.5e-5, *args)
        _launch(n, u, copy)
        for a, b in zip(args, copy, strict=True):
            assert_array_equal(a, b)


def test_kernel_singular_system_gives_nan():
    """numba raises ZeroDivisionError before writing v; the kernel cannot raise: NaN."""
    one = [np.array([0.5]), np.array([1.0]), np.array([1.0]), np.array([-1.0]),
           np.array([0.0]), np.array([0.0]), np.array([-1], np.int64), np.array([0.0]),
           np.array([0], np.int64), np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1),
           np.zeros(1)]
    with pytest.raises(ZeroDivisionError):
        cable_loop_step(0.0, 1.0, *[a.copy() for a in one])
    _launch(1, 1, one, dt=1.0)
    assert np.isnan(one[0][0]) and np.isnan(one[-1][0]) and one[-2][0] == 0.5


def test_kernel_source_checks_and_compiles_to_ptx():
    with pytest.raises(ValueError):
        cable_kernel_source(3, 2)
    assert cable_kernel_name(36, 39) == "hs_cable_step_36_39"
    assert cable_kernel_source(5, 5) == cable_kernel_source(5, 5)
    from sim.codegen.cuda_target import compile_ptx, nvcc_available

    if not nvcc_available():
        pytest.skip("nvcc is not available")
    ptx = compile_ptx("#include <stdint.h>\n#include <math.h>\n"
                      + cable_kernel_source(36, 39))
    assert ".entry hs_cable_step_36_39" in ptx
    assert "fma" not in ptx
