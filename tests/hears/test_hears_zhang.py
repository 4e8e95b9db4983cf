"""ZhangSynapse: Zhang et al. (2001) synapse with refractory Poisson spikes."""

import warnings

import numpy as np
import pytest

from hears import MiddleEar, TanCarney, ZhangSynapse, dB, tone
from sim import Network, SpikeMonitor, StateMonitor, kHz, ms, seed

NFIBRES = 40


def _run(level, duration=100 * ms, n=NFIBRES, params=None):
    seed(3)
    s = tone(1 * kHz, duration, samplerate=50 * kHz).atlevel(level * dB)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ihc = TanCarney(MiddleEar(s), [1000.0] * kHz / 1000)
    syn = ZhangSynapse(ihc, 1 * kHz, n_per_channel=n, params=params)
    mon = SpikeMonitor(syn)
    Network(syn, mon).run(duration)
    return syn, mon, mon.num_spikes / n / float(duration)


def test_spontaneous_and_saturating_rate_level_function():
    rates = {lev: _run(lev)[2] for lev in (-10, 30, 60, 90)}
    # spontaneous rate: below the 50 Hz of s because of refractoriness, well above zero
    assert 20 < rates[-10] < 60
    assert rates[30] > rates[-10] + 15
    assert rates[60] > rates[-10] + 40
    assert abs(rates[90] - rates[60]) < 0.15 * rates[60]  # saturated


def test_no_interval_shorter_than_the_absolute_refractory_period():
    _, mon, _ = _run(90)
    dt = 1 / 50000.0
    for k in range(NFIBRES):
        t = np.sort(mon.t_[mon.i == k])
        assert t.size > 3
        assert np.diff(t).min() >= 0.75e-3 - dt / 2


def test_state_and_parameters():
    syn, _, _ = _run(40, duration=5 * ms, n=2)
    assert len(syn) == 2
    assert np.all(np.asarray(syn.C_I) > 0)
    with pytest.raises(KeyError, match="not a ZhangSynapse parameter"):
        _run(40, duration=1 * ms, n=1, params={"nope": 1})
    with pytest.raises(ValueError, match="n_per_channel"):
        ZhangSynapse(MiddleEar(tone(1 * kHz, 1 * ms, samplerate=50 * kHz)), 1 * kHz, 0)


def test_rate_follows_the_published_spontaneous_rate_without_refractoriness():
    # with no refractoriness, the firing rate at rest is the spontaneous rate
    seed(4)
    s = tone(1 * kHz, 200 * ms, samplerate=50 * kHz).atlevel(-40 * dB)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ihc = TanCarney(MiddleEar(s), [1000.0] * kHz / 1000)
    syn = ZhangSynapse(ihc, 1 * kHz, n_per_channel=50, params={"c_0": 0.0, "c_1": 0.0,
                                                                "R_A": 0 * ms})
    mon = SpikeMonitor(syn)
    st = StateMonitor(syn, "s", record=[0])
    Network(syn, mon, st).run(200 * ms)
    assert np.allclose(np.asarray(st.s)[0], 50, rtol=0.02)
    assert mon.num_spikes / 50 / 0.2 == pytest.approx(50, rel=0.15)


def test_same_spikes_on_every_target():
    from sim import prefs
    from sim.prefs import TARGETS

    spikes = {}
    for target in [t for t in ("numpy", "numba") if t in TARGETS]:
        prefs.codegen.target = target
        _, mon, _ = _run(60, duration=20 * ms, n=10)
        spikes[target] = (np.asarray(mon.i).copy(), np.asarray(mon.t_).copy())
    (i0, t0), *others = spikes.values()
    assert i0.size > 10
    for i1, t1 in others:
        assert np.array_equal(i0, i1) and np.array_equal(t0, t1)


def test_zhang_synapse_rate_is_the_rate_part_without_spikes():
    from hears import ZhangSynapseRate
    from sim import Hz, run

    snd = tone(1 * kHz, 30 * ms, samplerate=50 * kHz).atlevel(60 * dB)
    ihc = TanCarney(MiddleEar(snd), [1000 * Hz])
    rate = ZhangSynapseRate(ihc, [1000 * Hz])
    full = ZhangSynapse(ihc, [1000 * Hz])
    M, N = StateMonitor(rate, "s", record=True), StateMonitor(full, "s", record=True)
    run(30 * ms)
    assert np.allclose(M.s[:], N.s[:]) and float(M.s[0].mean()) > 50
    assert "spike" not in rate.events


def test_zhang_synapse_spikes_from_a_rate_group():
    from hears import ZhangSynapseRate, ZhangSynapseSpikes
    from sim import Hz, run

    seed(4)
    snd = tone(1 * kHz, 30 * ms, samplerate=50 * kHz).atlevel(60 * dB)
    ihc = TanCarney(MiddleEar(snd), [1000 * Hz, 2000 * Hz])
    rate = ZhangSynapseRate(ihc, [1000 * Hz, 2000 * Hz], params={"spont": 60 * Hz})
    spikes = ZhangSynapseSpikes(rate, n_per_channel=3)
    assert spikes.N == 6 and spikes.parameters["spont"] == 60 * Hz
    M = SpikeMonitor(spikes)
    S = StateMonitor(spikes, "s", record=[0, 3])
    R = StateMonitor(rate, "s", record=True)
    run(30 * ms)
    assert M.num_spikes > 10
    assert np.allclose(S.s[:], R.s[:])  # the same rate, in the same step
    with pytest.raises(TypeError, match="ZhangSynapseRate"):
        ZhangSynapseSpikes(ihc)


def test_sound_to_spikes_wholly_on_the_cuda_device(monkeypatch):
    """MiddleEar -> TanCarney on the device (``prefs.hears.device``) feeding ZhangSynapse
    run by the cuda target's device loop (the CUDA runtime's host backend here): the
    numba target's spikes, and the run is one device loop (chunks fetched into it)."""
    import os

    import sim.network
    from sim import prefs

    loops = []
    original = sim.network.Network._compiled_loop

    def spy(self, *args, **kwargs):
        loop = original(self, *args, **kwargs)
        loops.append((prefs.codegen.target, type(loop[0]).__name__ if loop else None))
        return loop

    monkeypatch.setattr(sim.network.Network, "_compiled_loop", spy)
    saved = (prefs.codegen.target, prefs.codegen.cuda_backend, prefs.hears.device)
    try:
        prefs.codegen.target = "numba"
        _, cpu, _ = _run(60, duration=20 * ms, n=10)
        prefs.codegen.cuda_backend = os.environ.get("HEARSIM_TEST_CUDA_BACKEND", "host")
        prefs.codegen.target, prefs.hears.device = "cuda", "cuda"
        syn, gpu, _ = _run(60, duration=20 * ms, n=10)
        assert syn.filterbank.device == "cuda"
    finally:
        prefs.codegen.target, prefs.codegen.cuda_backend, prefs.hears.device = saved
    assert loops == [("numba", "CompiledLoop"), ("cuda", "DeviceLoop")], loops
    assert np.asarray(cpu.i).size > 10
    assert np.array_equal(np.asarray(cpu.i), np.asarray(gpu.i))
    assert np.array_equal(np.asarray(cpu.t_), np.asarray(gpu.t_))
