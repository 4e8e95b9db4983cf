"""Model fitting on the cuda target (issue 13, item 7): a whole round of candidates x traces
is one group run by the device-resident loop, and gives the numba target's errors and
search history bit for bit (the CUDA runtime's host backend here; a GPU with
HEARSIM_TEST_CUDA_BACKEND=auto, where atomics may reorder float sums)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from test_fitting_fitters import BOUNDS, DT, LIF, METHOD, PASSIVE, _lif_data, _noisy_currents

import sim.network
from sim import amp, ms, ohm, prefs, volt
from sim.fitting import DEOptimizer, MSEMetric, SpikeFitter, TraceFitter


@pytest.fixture
def device_loops(monkeypatch):
    """Run with the cuda target on the test backend; record which runs used the loop."""
    saved = (prefs.codegen.target, prefs.codegen.cuda_backend)
    prefs.codegen.cuda_backend = os.environ.get("HEARSIM_TEST_CUDA_BACKEND", "host")
    used = []
    original = sim.network.Network._compiled_loop

    def spy(self, *args, **kwargs):
        loop = original(self, *args, **kwargs)
        used.append((prefs.codegen.target, loop is not None))
        return loop

    monkeypatch.setattr(sim.network.Network, "_compiled_loop", spy)
    yield used
    prefs.codegen.target, prefs.codegen.cuda_backend = saved


def _history(make, target: str, **fit):
    prefs.codegen.target = target
    fitter = make()
    fitter.fit(**fit)
    return fitter.results(format="dict", use_units=False)


def test_spike_fitter_rounds_on_the_device_equal_numba(device_loops):
    currents, spikes, _ = _lif_data(n_traces=2, n_steps=2000)

    def make():
        return SpikeFitter(LIF, input={"I": currents * amp}, output=spikes, dt=DT,
                           method=METHOD, threshold="v > 1*volt", reset="v = 0*volt",
                           n_samples=10)

    fit = dict(n_rounds=2, optimizer=DEOptimizer(seed=7), **BOUNDS)
    cpu = _history(make, "numba", **fit)
    fit["optimizer"] = DEOptimizer(seed=7)
    gpu = _history(make, "cuda", **fit)
    assert ("cuda", True) in device_loops  # the rounds ran in the device loop
    assert ("cuda", False) not in device_loops
    for key in cpu:
        np.testing.assert_array_equal(cpu[key], gpu[key])
    assert set(cpu) >= {"R", "tau", "refractory"} and len(cpu["R"]) == 20  # 2 rounds x 10


def test_trace_fitter_rounds_on_the_device_equal_numba(device_loops):
    currents = _noisy_currents(2, 800)
    traces = np.zeros((2, 800)) * volt
    prefs.codegen.target = "numba"
    maker = TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": traces}, dt=DT,
                        method=METHOD)
    maker.prepare(R=[40e6 * ohm] * 2, tau=[15 * ms] * 2)
    traces = maker.generate_traces({"R": 40e6 * ohm, "tau": 15 * ms})

    def make():
        return TraceFitter(PASSIVE, input={"I": currents * amp}, output={"v": traces}, dt=DT,
                           method=METHOD, n_samples=8)

    bounds = dict(R=[10e6 * ohm, 100e6 * ohm], tau=[2 * ms, 50 * ms])
    cpu = _history(make, "numba", n_rounds=2, optimizer=DEOptimizer(seed=3),
                   metric=MSEMetric(), **bounds)
    gpu = _history(make, "cuda", n_rounds=2, optimizer=DEOptimizer(seed=3),
                   metric=MSEMetric(), **bounds)
    assert ("cuda", True) in device_loops and ("cuda", False) not in device_loops
    for key in cpu:
        np.testing.assert_array_equal(cpu[key], gpu[key])


def _worker_gpu(workers: int) -> int:
    """A task: wait until every worker of the pool has started, then say this worker's
    GPU (so that each of ``workers`` such tasks runs on a worker of its own)."""
    import time

    from sim import prefs as worker_prefs
    from sim.fitting.fitter import _WORKER_STATE

    started = _WORKER_STATE["started"]
    deadline = time.monotonic() + 60
    while started.value < workers and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    return worker_prefs.codegen.cuda_device


def test_a_process_pool_puts_one_worker_on_each_gpu(device_loops):
    """``process_pool(cuda_devices=[...])``: one worker per GPU (the default number of
    workers), each with its own ``prefs.codegen.cuda_device`` before CUDA starts there, and
    the rounds run on the cuda target in the workers with the in-process results."""
    currents, spikes, _ = _lif_data(n_traces=2, n_steps=1000)
    prefs.codegen.target = "cuda"

    def make():
        return SpikeFitter(LIF, input={"I": currents * amp}, output=spikes, dt=DT,
                           method=METHOD, threshold="v > 1*volt", reset="v = 0*volt",
                           n_samples=6)

    fitter = make()
    fitter.prepare(**BOUNDS)
    with fitter.process_pool(cuda_devices=[3, 5]) as pool:
        assert pool._max_workers == 2
        gpus = [pool.submit(_worker_gpu, 2) for _ in range(2)]
        assert sorted(f.result(timeout=120) for f in gpus) == [3, 5]
        fitter.fit(n_rounds=1, optimizer=DEOptimizer(seed=2), executor=pool, **BOUNDS)
    pooled = fitter.results(format="dict", use_units=False)
    alone = _history(make, "cuda", n_rounds=1, optimizer=DEOptimizer(seed=2), **BOUNDS)
    for key in alone:
        np.testing.assert_array_equal(pooled[key], alone[key])
    with pytest.raises(ValueError, match="cuda_devices"):
        fitter.process_pool(cuda_devices=[-1])
