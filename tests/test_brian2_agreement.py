"""The same scripts on hearsim and on Brian 2 give the same results.

Runs only where Brian 2 is importable (Brian 2.9 needs numpy < 2.4; see
bench/RESULTS.md for the environment used); skipped visibly elsewhere.
"""

import numpy as np
import pytest

b2 = pytest.importorskip("brian2", reason="Brian 2 is not installed (or not importable)")

import sim  # noqa: E402


def _both(script):
    """Run ``script(ns)`` with ns = the sim namespace, then the brian2 one."""
    sim.start_scope()
    ours = script(sim)
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = 0.1 * b2.ms
    theirs = script(b2)
    return ours, theirs


def test_lif_with_refractoriness_same_spikes():
    def script(m):
        tau = 10 * m.ms
        eqs = """
        dv/dt = (v0 - v)/tau : volt (unless refractory)
        dw/dt = -w/(20*ms) : 1
        v0 : volt
        """
        G = m.NeuronGroup(50, eqs, threshold="v > -50*mV", reset="v = -60*mV; w += 1",
                          refractory=3 * m.ms, method="exact",
                          namespace={"tau": tau})
        G.v = -60 * m.mV
        G.v0 = "-60*mV + 25*mV*i/N"
        S = m.SpikeMonitor(G)
        M = m.StateMonitor(G, ["v", "w"], record=[10, 49])
        net = m.Network(G, S, M)
        net.run(200 * m.ms)
        return np.asarray(S.i), np.asarray(S.t), np.asarray(M.v), np.asarray(M.w)

    ours, theirs = _both(script)
    assert np.array_equal(ours[0], theirs[0])
    assert np.allclose(ours[1], theirs[1], rtol=0, atol=1e-12)
    assert len(ours[0]) > 400
    assert np.allclose(ours[2], theirs[2], rtol=1e-9, atol=1e-12)
    assert np.allclose(ours[3], theirs[3], rtol=1e-9, atol=1e-12)


def test_hodgkin_huxley_exponential_euler_same_spikes():
    from tests.test_integration import HH_EQS

    def script(m):
        area = 20000 * m.umetre**2
        ns = dict(
            Cm=1 * m.ufarad * m.cm**-2 * area, gl=5e-5 * m.siemens * m.cm**-2 * area,
            El=-65 * m.mV, EK=-90 * m.mV, ENa=50 * m.mV,
            g_na=100 * m.msiemens * m.cm**-2 * area, g_kd=30 * m.msiemens * m.cm**-2 * area,
            VT=-63 * m.mV,
        )
        eqs = HH_EQS.replace("\n        ", " ")
        G = m.NeuronGroup(3, eqs, threshold="v > -20*mV", refractory="v > -20*mV",
                          method="exponential_euler", namespace=ns)
        G.v = -65 * m.mV
        G.I = [0.5, 0.7, 1.0] * m.nA
        S = m.SpikeMonitor(G)
        M = m.StateMonitor(G, "v", record=True)
        m.Network(G, S, M).run(50 * m.ms)
        return np.asarray(S.i), np.asarray(S.t), np.asarray(M.v)

    ours, theirs = _both(script)
    assert np.array_equal(ours[0], theirs[0])
    assert np.allclose(ours[1], theirs[1], atol=1e-12)
    assert np.allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("method", ["euler", "rk2", "rk4"])
def test_explicit_schemes_same_traces(method):
    def script(m):
        eqs = """
        dv/dt = (-v + 0.2*sin(2*pi*50*Hz*t) - w*v**3)/(5*ms) : 1
        dw/dt = (v - w)/(20*ms) : 1
        """
        G = m.NeuronGroup(2, eqs, method=method)
        G.v = [0.3, 1.5]
        M = m.StateMonitor(G, ["v", "w"], record=True)
        m.Network(G, M).run(20 * m.ms)
        return np.asarray(M.v), np.asarray(M.w)

    ours, theirs = _both(script)
    assert np.allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-14)
    assert np.allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-14)


def test_boolean_refractory_and_timed_array_same_spikes():
    def script(m):
        drive = m.TimedArray(np.linspace(0.9, 1.19, 40), dt=1 * m.ms)
        eqs = "dv/dt = (drive(t) - v)/(4*ms) : 1"
        G = m.NeuronGroup(1, eqs, threshold="v > 1", reset="v = 2",
                          refractory="v > 1.2", method="euler", namespace={"drive": drive})
        S = m.SpikeMonitor(G)
        m.Network(G, S).run(40 * m.ms)
        return np.asarray(S.t)

    ours, theirs = _both(script)
    assert len(ours) >= 3
    assert np.allclose(ours, theirs, atol=1e-12)


def test_two_clocks_same_recordings():
    def script(m):
        G = m.NeuronGroup(1, "dv/dt = 1/ms : 1", dt=0.3 * m.ms)
        M1 = m.StateMonitor(G, "v", record=0)
        M2 = m.StateMonitor(G, "v", record=0, dt=0.1 * m.ms)
        m.Network(G, M1, M2).run(3 * m.ms)
        return np.asarray(M1.t), np.asarray(M1.v), np.asarray(M2.t), np.asarray(M2.v)

    ours, theirs = _both(script)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=1e-12)
