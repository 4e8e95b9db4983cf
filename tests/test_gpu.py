"""Tests that need a GPU (marked ``gpu``; skipped where no CUDA backend runs: CuPy or
PyCUDA and a device).  ``python -m pytest -m gpu`` runs only these (``bench/gpu_check.sh``
does, on a machine lent a GPU).

Everywhere else the same CUDA source runs through the runtime's host backend (the other
device tests); here it runs on the device itself: each device filterbank against its CPU
twin on white noise, a tone and clicks (float64: bit for bit for the linear ones, whose
kernels use only + - * /; the control models call exp/log/pow, where CUDA's libm may differ
from glibc's in the last bits: within 1e-10 of the peak), and a network on the cuda target
against numba (atomic float additions reorder sums on a GPU: spike counts within 2%)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Hz, kHz, ms, prefs
from sim.codegen.cuda_runtime import CudaUnavailable, get_backend

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    try:
        backend = get_backend("auto")
    except CudaUnavailable as exc:
        pytest.skip(f"no GPU here: {str(exc)[:160]}")
    saved = prefs.codegen.cuda_backend
    prefs.codegen.cuda_backend = "auto"
    yield backend
    prefs.codegen.cuda_backend = saved


def _sounds(fs=44.1 * kHz):
    from sounds import click, dB, sequence, silence, tone, whitenoise

    return {
        "noise": whitenoise(50 * ms, samplerate=fs).atlevel(70 * dB),
        "tone": tone(1 * kHz, 50 * ms, samplerate=fs).ramp().atlevel(70 * dB),
        "clicks": sequence([click(0.1 * ms, samplerate=fs), silence(4.9 * ms, samplerate=fs)]
                           * 10).atlevel(70 * dB),
    }


def _linear_filterbanks(sound):
    from hears import (
        ApproximateGammatone,
        Butterworth,
        FIRFilterbank,
        Gammatone,
        LogGammachirp,
        LowPass,
        erbspace,
    )

    cf = erbspace(100 * Hz, 8 * kHz, 40)
    taps = np.random.default_rng(0).standard_normal((40, 64))
    return {
        "Gammatone": lambda d: Gammatone(sound, cf, device=d),
        "ApproximateGammatone": lambda d: ApproximateGammatone(sound, cf, cf / 10, device=d),
        "LogGammachirp": lambda d: LogGammachirp(sound, cf, device=d),
        "Butterworth": lambda d: Butterworth(sound, 40, 2, cf, btype="low", device=d),
        "LowPass": lambda d: LowPass(sound, cf, device=d),
        "FIRFilterbank": lambda d: FIRFilterbank(sound, taps, method="direct", device=d),
    }


@pytest.mark.parametrize("kind", ["noise", "tone", "clicks"])
def test_linear_filterbanks_on_the_gpu_equal_the_cpu(gpu, kind):
    sound = _sounds()[kind]
    for name, make in _linear_filterbanks(sound).items():
        cpu = np.asarray(make("cpu").process(buffersize=256))
        device = np.asarray(make("cuda").process(buffersize=256))
        np.testing.assert_array_equal(cpu, device, err_msg=name)


@pytest.mark.parametrize("kind", ["noise", "tone", "clicks"])
def test_control_filterbanks_on_the_gpu_within_libm_rounding(gpu, kind):
    from hears import DCGC, MiddleEar, TanCarney, erbspace

    sound = _sounds(50 * kHz)[kind]
    cf = erbspace(200 * Hz, 6 * kHz, 20)
    for name, make in {"DCGC": lambda d: DCGC(sound, cf, device=d),
                       "TanCarney": lambda d: TanCarney(MiddleEar(sound), cf, device=d)}.items():
        cpu = np.asarray(make("cpu").process(buffersize=300))
        device = np.asarray(make("cuda").process(buffersize=300))
        peak = float(np.abs(cpu).max())
        assert peak > 0
        assert float(np.abs(device - cpu).max()) <= 1e-10 * peak, name


def test_a_network_on_the_gpu_gives_numba_s_spikes(gpu):
    from sim import Network, NeuronGroup, SpikeMonitor, Synapses, seed, start_scope

    def run(target):
        start_scope()
        prefs.codegen.target = target
        seed(4)
        G = NeuronGroup(4000, "dv/dt = (1.1 + ge - v)/(20*ms) : 1\ndge/dt = -ge/(5*ms) : 1",
                        threshold="v > 1", reset="v = 0", method="exact")
        G.v = "rand()"
        G.ge = "2 * rand()"
        S = Synapses(G, G, on_pre="ge += 0.05")
        S.connect(p=0.02)
        S.delay = "rand() * 2 * ms"
        M = SpikeMonitor(G)
        net = Network(G, S, M)
        net.run(100 * ms)
        return net, M.num_spikes

    saved = prefs.codegen.target
    try:
        (_, cpu), (net, device) = run("numba"), run("cuda")
    finally:
        prefs.codegen.target = saved
    assert net.used_compiled_loop, net.compiled_loop_unavailable
    assert cpu > 1000
    assert abs(device - cpu) <= 0.02 * cpu
