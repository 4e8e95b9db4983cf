"""The cuda target's device-resident run loop (sim.codegen.cuda_loop), on the CUDA runtime's
host backend: the generated CUDA C run as host C++ (HEARSIM_TEST_CUDA_BACKEND=auto runs
the same tests on a GPU).

The conformance suite (the ``codegen_target`` fixture) already runs every network test
on the device loop and compares with numba; these tests check what is particular to a
loop whose state lives on a device: what is copied when, Python operations in the
middle of a run, buffers that grow, threads that run in another order, the filterbank
feed, and that the loop's module compiles for a GPU."""

from __future__ import annotations

import os

import numpy as np
import pytest

import sim.codegen.cuda_loop as cuda_loop
from sim import (
    Network,
    NeuronGroup,
    PopulationRateMonitor,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    defaultclock,
    ms,
    network_operation,
    prefs,
    second,
    seed,
    start_scope,
)
from sim.codegen import cuda_runtime

BACKEND = os.environ.get("HEARSIM_TEST_CUDA_BACKEND", "host")


@pytest.fixture(autouse=True)
def _targets():
    saved = (prefs.codegen.target, prefs.codegen.cuda_backend)
    prefs.codegen.cuda_backend = BACKEND
    yield
    prefs.codegen.target, prefs.codegen.cuda_backend = saved
    defaultclock.dt = 0.1 * ms


def _noisy_network(duration, monitors=True):
    """LIF neurons with noise, random initial values, refractoriness, heterogeneous delays
    and STDP (on_post writes the weights): the kernels, delivery and rings all run."""
    start_scope()
    seed(11)
    G = NeuronGroup(80, "dv/dt = (1.2 - v)/(10*ms) + 0.2*xi/sqrt(ms) : 1",
                    threshold="v > 1", reset="v = 0", refractory=2 * ms, method="euler")
    G.v = "rand()"
    S = Synapses(G, G, """w : 1
                          dapre/dt = -apre/(5*ms) : 1 (event-driven)
                          dapost/dt = -apost/(5*ms) : 1 (event-driven)""",
                 on_pre="v_post += w; apre += 0.01; w = clip(w + apost, 0, 0.1)",
                 on_post="apost -= 0.012; w = clip(w + apre, 0, 0.1)")
    S.connect(p=0.15)
    S.w = "rand() * 0.05"
    S.delay = "rand() * 2 * ms"
    objects = [G, S]
    if monitors:
        objects += [StateMonitor(G, "v", record=[0, 7]), PopulationRateMonitor(G),
                    StateMonitor(S, "w", record=[0, 1, 2])]
    net = Network(*objects)
    net.run(duration)
    return net, G, S, objects[2:]


def _run_both(build):
    prefs.codegen.target = "numba"
    cpu = build()
    prefs.codegen.target = "cuda"
    device = build()
    return cpu, device


def test_device_loop_gives_numba_results_and_copies_per_run_not_per_step():
    (cpu, gpu) = _run_both(lambda: _noisy_network(30 * ms))
    assert gpu[0].used_compiled_loop, gpu[0].compiled_loop_unavailable
    np.testing.assert_array_equal(cpu[1].v[:], gpu[1].v[:])
    np.testing.assert_array_equal(cpu[2].w[:], gpu[2].w[:])
    for a, b in zip(cpu[3], gpu[3], strict=True):
        for name in ("v", "w", "rate"):
            if hasattr(a, name) and name in getattr(a, "record_variables", [name]):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    # copies: made when the run starts and ends, never per step (10x the steps: the same)
    backend = cuda_runtime.get_backend()
    counts = []
    for duration in (5 * ms, 50 * ms):
        prefs.codegen.target = "cuda"
        before = dict(backend.copies)
        _noisy_network(duration, monitors=False)
        counts.append({k: backend.copies[k] - before.get(k, 0) for k in backend.copies})
    assert counts[0] == counts[1], counts
    assert 0 < counts[1]["to_host"] < 40, counts


def test_network_operations_see_and_change_the_device_state():
    """A network operation forces the state down and back: it reads what the device
    computed and what it writes is what the device continues from."""

    def build():
        start_scope()
        seed(3)
        G = NeuronGroup(20, "dv/dt = (1.1 - v)/(10*ms) : 1", threshold="v > 1",
                        reset="v = 0", method="exact")
        G.v = "rand()"
        seen = []

        @network_operation(dt=1 * ms)
        def kick(t):
            seen.append(G.v[:].copy())
            G.v[:5] = G.v[:5] + 0.3

        M = SpikeMonitor(G)
        net = Network(G, kick, M)
        net.run(20 * ms)
        return net, np.array(seen), M.i[:].copy(), M.t_[:].copy()

    cpu, gpu = _run_both(build)
    assert len(gpu[1]) == 20
    np.testing.assert_array_equal(cpu[1], gpu[1])
    np.testing.assert_array_equal(cpu[2], gpu[2])
    np.testing.assert_array_equal(cpu[3], gpu[3])
    assert np.any(cpu[2] < 5)


def test_spike_monitor_grows_without_losing_a_spike():
    """Room is checked once per segment (the steps sure to fit): many spikes from a small
    buffer grow it several times; every spike is kept, in the CPU's order."""

    def build():
        start_scope()
        seed(5)
        G = NeuronGroup(300, "v : 1", threshold="rand() < 0.4", reset="v += 1")
        M = SpikeMonitor(G)
        net = Network(G, M)
        net.run(15 * ms)
        return M.i[:].copy(), M.t_[:].copy(), M.count[:].copy(), G.v[:].copy()

    cpu, gpu = _run_both(build)
    assert len(cpu[0]) > 1000
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gpu[2], gpu[3])  # each spike counted once, reset once


class _ReversedHost(cuda_runtime._HostBackend):
    """The host backend with blocks and threads run last first: atomics append events
    in descending order, as a GPU may, and launches use real grid shapes."""

    name = "host-reversed"
    reverse_threads = True


def _last_writer_network():
    start_scope()
    seed(8)
    G = NeuronGroup(200, "v : 1", threshold="rand() < 0.2", reset="")
    H = NeuronGroup(3, "last : 1\nc : 1")
    S = Synapses(G, H, on_pre="last_post = i * 1.0\nc_post += 1")  # last writer wins
    S.connect()
    M = SpikeMonitor(G)
    trace = StateMonitor(H, "last", record=True)
    net = Network(G, H, S, M, trace)
    net.run(5 * ms)
    return M.i[:].copy(), trace.last[:].copy(), H.c[:].copy()


@pytest.mark.skipif(BACKEND != "host", reason="the reversed host backend replaces 'host'")
def test_events_are_in_order_whatever_order_threads_run_in(monkeypatch):
    """Thresholds write flags and the events are compacted from them in order, so the
    order of threads (the launch's, on a GPU) changes nothing: on a backend running
    threads last first, an atomic append comes out reversed, and the device loop still
    gives numba's spikes and last-writer values."""
    reversed_host = _ReversedHost()
    reversed_host.copies = {"to_device": 0, "to_host": 0}
    source = r'''#include <stdint.h>
extern "C" __global__ void append(int64_t n, unsigned long long* count, int64_t* out) {
    int64_t k = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (k < n) out[atomicAdd(count, 1ULL)] = k;
}
'''
    count, out = np.zeros(1, np.uint64), np.zeros(256, np.int64)
    reversed_host.compile(source).function("append")((2,), (128,), (np.int64(256), count, out))
    np.testing.assert_array_equal(out, np.arange(256)[::-1])  # the threads ran last first

    prefs.codegen.target = "numba"
    cpu = _last_writer_network()
    monkeypatch.setitem(cuda_runtime._instances, "host", reversed_host)
    prefs.codegen.target = "cuda"
    gpu = _last_writer_network()
    assert len(cpu[0]) > 100
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_array_equal(a, b)


def _filterbank_network(duration, fb_device="cpu", buffersize=97, monitor=True):
    from hears import FilterbankGroup, Gammatone, erbspace
    from sounds import whitenoise

    start_scope()
    seed(2)
    sound = whitenoise(duration, samplerate=20000 * second ** -1).ramp()
    fb = Gammatone(sound, erbspace(200, 4000, 12), device=fb_device)
    G = FilterbankGroup(fb, "x", "dv/dt = (50*abs(x) - v)/(1*ms) : 1\nx : 1",
                        threshold="v > 0.05", reset="v = 0", buffersize=buffersize)
    M = SpikeMonitor(G)
    net = Network(G, M) if monitor else Network(G)
    net.run(sound.duration)
    return net, M.i[:].copy(), M.t_[:].copy(), G.v[:].copy()


@pytest.mark.parametrize("fb_device", ["cpu", "cuda"])
def test_filterbank_group_feeds_the_device_loop(fb_device, monkeypatch):
    """The chunks go straight into the device (from the filterbank's device output when it
    runs there): the group's state is not handed to Python for each chunk."""
    prefs.codegen.target = "numba"
    cpu = _filterbank_network(30 * ms)
    prefs.codegen.target = "cuda"
    gpu = _filterbank_network(30 * ms, fb_device)
    assert gpu[0].used_compiled_loop, gpu[0].compiled_loop_unavailable
    assert len(cpu[1]) > 20
    for a, b in zip(cpu[1:], gpu[1:], strict=True):
        np.testing.assert_array_equal(a, b)
    backend = cuda_runtime.get_backend()
    into = {"calls": 0}
    copy_into = backend.copy_to_device

    def counted(target, source):
        into["calls"] += 1
        copy_into(target, source)

    monkeypatch.setattr(backend, "copy_to_device", counted)
    copies = []
    for duration in (20 * ms, 80 * ms):  # 5 and 17 chunks of 97 samples
        before = {**backend.copies, **into}
        _filterbank_network(duration, fb_device, monitor=False)  # (a monitor grows)
        copies.append({k: v - before[k] for k, v in {**backend.copies, **into}.items()})
    # the state stays on the device: nothing more comes back for 12 more chunks
    assert copies[1]["to_host"] == copies[0]["to_host"], copies
    if fb_device == "cpu":  # each host chunk copied into its twin, the position reset, and
        # the clock set where the next segment starts
        assert copies[1]["to_device"] == copies[0]["to_device"], copies
        assert copies[1]["calls"] - copies[0]["calls"] == 3 * 12, copies
    else:  # only the sound goes down (a CPU source): one copy per chunk
        assert copies[1]["to_device"] - copies[0]["to_device"] == 12, copies


def test_the_loop_module_compiles_for_the_gpu(monkeypatch):
    from sim.codegen.cuda_target import compile_ptx, nvcc_available

    if not nvcc_available():
        pytest.skip("nvcc is not installed")
    built = []
    original = cuda_loop.build_loop

    def keep(objects, clock):
        loop, ops = original(objects, clock)
        built.append(loop)
        return loop, ops

    monkeypatch.setattr(cuda_loop, "build_loop", keep)
    prefs.codegen.target = "cuda"
    _noisy_network(1 * ms)
    (loop,) = built
    assert loop.source.count("__global__") >= 9
    ptx = compile_ptx(loop.source)
    for name in ("hs_due_synapses", "hs_record_events", "hs_expand_spans", "hs_k0"):
        assert f".entry {name}(" in ptx


def test_integer_powers_are_numba_s_multiplications():
    """``x**3`` is ``x*(x*x)`` on numba (repeated squaring), not C's ``pow`` (one rounding):
    the cuda target multiplies the same way, so the last bit agrees too."""
    values = {}
    x = np.linspace(-3, 3, 2000) * np.pi
    for target in ("numba", "cuda"):
        start_scope()
        prefs.codegen.target = target
        G = NeuronGroup(2000, "x : 1\ny : 1\nk : integer\nz : integer")
        G.x = x
        G.k = np.arange(2000) - 1000
        G.run_regularly("y = x**3 + x**4 + x**7 + x**0\nz = k**3", dt=defaultclock.dt)
        net = Network(G)
        net.run(defaultclock.dt)
        assert net.used_compiled_loop
        values[target] = (G.y[:].copy(), G.z[:].copy())
    assert not np.array_equal(values["numba"][0], x ** 3.0 + x ** 4.0 + x ** 7.0 + 1.0)
    for a, b in zip(values["numba"], values["cuda"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_spikes_in_flight_keep_their_delays_when_delays_change_between_runs():
    """Delays changed between two runs: spikes already emitted are delivered with the
    delays they left with (the explicit, 'legacy' list of the delivery tables), on the
    device as on the CPU; a pathway without code still fills its ring."""

    def build():
        start_scope()
        seed(21)
        G = NeuronGroup(30, "v : 1", threshold="rand() < 0.2", reset="")
        H = NeuronGroup(5, "x : 1")
        S = Synapses(G, H, "w : 1", on_pre="x_post += w")
        S.connect(p=0.5)
        S.w = "i + 1.0"  # whole numbers: exact sums in any order
        S.delay = "(i % 7) * 0.3 * ms"
        T = Synapses(G, H, on_pre="")  # no code: only its ring
        T.connect(p=0.2)
        T.delay = 1 * ms
        trace = StateMonitor(H, "x", record=True)
        net = Network(G, H, S, T, trace)
        net.run(3 * ms)
        S.delay = "(j % 3) * 0.5 * ms + 0.1 * ms"
        net.run(3 * ms)
        return trace.x[:].copy(), H.x[:].copy()

    cpu, gpu = _run_both(build)
    assert cpu[1].sum() > 0
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_array_equal(a, b)


class _GraphHost(cuda_runtime._HostBackend):
    """The host backend with 'graphs': a captured step is its launches replayed in order
    (what a CUDA graph replays), counted."""

    name = "host-graphs"

    def __init__(self):
        super().__init__()
        self.replays = 0

    def capture(self, program):
        import contextlib

        program = list(program)

        def run():
            self.replays += 1
            for launch in program:
                launch()

        run.stream = contextlib.nullcontext()
        return run


@pytest.mark.skipif(BACKEND != "host", reason="the graph-recording backend replaces 'host'")
def test_a_step_replays_as_one_graph_with_cuda_graphs(monkeypatch):
    """``prefs.codegen.cuda_graphs``: a step without Python operations is one captured
    graph, replayed once per step (a CUDA graph on CuPy), with numba's results; a network
    operation keeps the separate launches."""
    prefs.codegen.target = "numba"
    cpu = _noisy_network(20 * ms)
    graphs = _GraphHost()
    graphs.copies = {"to_device": 0, "to_host": 0}
    monkeypatch.setitem(cuda_runtime._instances, "host", graphs)
    prefs.codegen.cuda_graphs = True
    try:
        prefs.codegen.target = "cuda"
        gpu = _noisy_network(20 * ms)
    finally:
        prefs.codegen.cuda_graphs = False
    assert gpu[0].used_compiled_loop
    assert graphs.replays == 200  # 20 ms of 0.1 ms steps
    np.testing.assert_array_equal(cpu[1].v[:], gpu[1].v[:])
    np.testing.assert_array_equal(cpu[2].w[:], gpu[2].w[:])
    np.testing.assert_array_equal(cpu[3][0].v, gpu[3][0].v)
    np.testing.assert_array_equal(cpu[3][1].rate, gpu[3][1].rate)


def test_float32_groups_run_on_the_device_within_float32_rounding():
    """``dtype=float32`` (the opt-in fast mode: half the memory traffic): the kernels
    keep float32 variables and round each statement's result to float32, as C does;
    numba keeps a statement chain in float64 when it unifies the types, so the two differ
    in the last float32 bit now and then (not bit for bit, unlike float64)."""

    def build():
        start_scope()
        seed(2)
        G = NeuronGroup(500, "dv/dt = (1.2 - v)/(10*ms) + 0.1*xi/sqrt(ms) : 1",
                        threshold="v > 1", reset="v = 0", method="euler", dtype=np.float32)
        G.v = "rand()"
        S = Synapses(G, G, "w : 1", on_pre="v_post += w")
        S.connect(p=0.05)
        S.w = 0.02
        M = SpikeMonitor(G)
        net = Network(G, S, M)
        net.run(20 * ms)
        return net, M.i[:].copy(), G.v[:].copy()

    cpu, gpu = _run_both(build)
    assert gpu[0].used_compiled_loop and gpu[2].dtype == np.float32
    assert len(cpu[1]) > 500
    assert abs(len(gpu[1]) - len(cpu[1])) <= 0.02 * len(cpu[1])
    close = np.abs(gpu[2] - cpu[2]) <= 4 * np.spacing(np.abs(cpu[2]).astype(np.float32))
    assert np.mean(close) > 0.9  # most neurons within a few float32 ulps after 200 steps


def test_poisson_inputs_and_spike_generators_on_the_device():
    """PoissonGroup (waiting times drawn on the device), PoissonInput (binomial draws) and a
    SpikeGeneratorGroup (a schedule, with a period) driving LIF neurons: numba's spikes."""
    from sim import Hz, PoissonGroup, PoissonInput, SpikeGeneratorGroup

    def build():
        start_scope()
        seed(13)
        P = PoissonGroup(200, rates="(10 + i % 20) * Hz")
        G = NeuronGroup(50, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                        method="exact")
        S = Synapses(P, G, on_pre="v_post += 0.125")
        S.connect(p=0.2)
        drive = PoissonInput(G, "v", 40, 15 * Hz, weight=0.0625)
        gen = SpikeGeneratorGroup(3, [0, 1, 2, 1], [1, 2, 3, 4] * ms, period=6 * ms)
        T = Synapses(gen, G, on_pre="v_post += 0.5")
        T.connect(j="i * 10")
        M, MP = SpikeMonitor(G), SpikeMonitor(P)
        net = Network(P, G, S, drive, gen, T, M, MP)
        net.run(60 * ms)
        return net, M.i[:].copy(), M.t_[:].copy(), MP.i[:].copy(), G.v[:].copy()

    cpu, gpu = _run_both(build)
    assert gpu[0].used_compiled_loop, gpu[0].compiled_loop_unavailable
    assert len(cpu[1]) > 20 and len(cpu[3]) > 50
    for a, b in zip(cpu[1:], gpu[1:], strict=True):
        np.testing.assert_array_equal(a, b)


def test_device_twins_follow_views_and_buffers_resized_in_place():
    """A view's twin is a view of its base's twin (writes through one show in the other);
    a buffer resized in place (same object, new shape, as a monitor's buffer may be) gets
    a new twin of its new shape, with its data."""
    backend = cuda_runtime.get_backend()
    devices = cuda_loop.DeviceArrays(backend)
    base = np.arange(10.0)
    devices.begin()
    whole, part = devices.array(base, written=True), devices.array(base[4:8], written=True)
    devices.end()
    backend.copy_to_device(part, np.full(4, -1.0))  # written on the device through the view
    devices.download()
    np.testing.assert_array_equal(base, [0, 1, 2, 3, -1, -1, -1, -1, 8, 9])
    assert tuple(whole.shape) == (10,)
    del whole, part
    buffer = np.ones((3, 2))
    devices.begin()
    devices.array(buffer)
    devices.end()
    buffer.resize((5, 2), refcheck=False)
    buffer[3:] = 7.0
    devices.begin()
    twin = devices.array(buffer)
    devices.end()
    assert tuple(twin.shape) == (5, 2)
    np.testing.assert_array_equal(backend.to_host(twin)[3:], 7.0)
