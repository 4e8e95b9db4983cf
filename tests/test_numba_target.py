"""The numba target: compiled run loop, disk cache keyed by structure, agreement with numpy."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

from sim import (  # noqa: E402
    EventMonitor,
    Network,
    NeuronGroup,
    PopulationRateMonitor,
    RecentStateMonitor,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    ms,
    mV,
    network_operation,
    prefs,
    second,
    start_scope,
)
from sim.codegen.numba_target import compile_stats  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _lif(target, n=200, duration=200 * ms, tau=10 * ms):
    start_scope()
    prefs.codegen.target = target
    eqs = """
    dv/dt = (v0 - v)/tau : volt (unless refractory)
    v0 : volt
    """
    G = NeuronGroup(n, eqs, threshold="v > -50*mV", reset="v = -60*mV", refractory=3 * ms,
                    namespace={"tau": tau})
    G.v = -60 * mV
    G.v0 = "-60*mV + 25*mV*i/N"
    S = SpikeMonitor(G)
    M = StateMonitor(G, "v", record=[0, n - 1])
    R = PopulationRateMonitor(G)
    net = Network(G, S, M, R)
    net.run(duration)
    return net, S, M, R


def test_compiled_loop_used_and_agrees_with_numpy_exactly():
    net_b, S_b, M_b, R_b = _lif("numba")
    assert net_b.used_compiled_loop
    net_a, S_a, M_a, R_a = _lif("numpy")
    assert not net_a.used_compiled_loop
    assert S_a.num_spikes > 1000
    assert np.array_equal(S_a.i, S_b.i)
    assert np.array_equal(S_a.t_, S_b.t_)
    assert np.array_equal(S_a.count, S_b.count)
    assert np.allclose(M_a.v_, M_b.v_, rtol=1e-12, atol=0)
    assert np.array_equal(M_a.t_, M_b.t_)
    assert np.array_equal(R_a.rate_, R_b.rate_)


def test_buffers_grow_between_segments_without_losing_spikes():
    # every neuron spikes every step: the spike buffers must grow many times
    start_scope()
    prefs.codegen.target = "numba"
    G = NeuronGroup(1000, "v : 1", threshold="True")
    S = SpikeMonitor(G)
    M = StateMonitor(G, "v", record=[5])
    net = Network(G, S, M)
    net.run(50 * ms)
    assert net.used_compiled_loop
    assert S.num_spikes == 1000 * 500
    assert np.array_equal(np.bincount(S.i), np.full(1000, 500))
    assert np.array_equal(np.unique(S.t_), np.arange(500) * 1e-4)
    assert M.n == 500


def test_python_operations_split_the_compiled_loop_at_their_ticks():
    start_scope()
    prefs.codegen.target = "numba"
    G = NeuronGroup(2, "dv/dt = 1/second : 1")
    seen = []

    @network_operation(dt=1 * ms, when="after_groups")
    def probe(t):
        seen.append((float(t), float(G.v[0])))
        G.v[1] = 0.0

    net = Network(G, probe)
    net.run(5 * ms)
    assert net.used_compiled_loop
    times = [t for t, _ in seen]
    assert np.allclose(times, np.arange(5) * 1e-3)
    # after the state update of the step at t: v = t + dt
    assert np.allclose([v for _, v in seen], np.arange(5) * 1e-3 + 1e-4)
    # reset to 0 by the last tick (4 ms), then 9 more updates
    assert G.v[1] == pytest.approx(0.9e-3)


def test_compiled_loop_coverage_and_python_fallback():
    start_scope()
    prefs.codegen.target = "numba"
    G = NeuronGroup(3, "dv/dt = 1/second : 1", threshold="v > 1")
    R = RecentStateMonitor(G, "v", duration=1 * ms)
    net = Network(G, R)
    net.run(2 * ms)
    assert net.used_compiled_loop
    assert R.v.shape == (3, 10)
    assert np.allclose(R.t / ms, 1 + np.arange(10) * 0.1)
    # an EventMonitor recording variables joins the compiled loop too
    from sim import EventMonitor

    H = NeuronGroup(4, "dv/dt = (i + 1)/ms : 1", threshold="v > 3", reset="v = 0")
    E = EventMonitor(H, "spike", variables="v")
    net2 = Network(H, E)
    net2.run(5 * ms)
    assert net2.used_compiled_loop
    assert E.num_events > 5 and np.all(E.v > 3)
    # an object on a clock that is not a whole multiple of the fastest stays in Python
    K = NeuronGroup(1, "dv/dt = 1/second : 1")
    M = StateMonitor(K, "v", record=0, dt=0.15 * ms)
    net3 = Network(K, M)
    net3.run(1.5 * ms)
    assert not net3.used_compiled_loop and M.n == 10
    assert "statemonitor" in net3.compiled_loop_unavailable
    assert "not a whole multiple" in net3.compiled_loop_unavailable
    assert net.compiled_loop_unavailable is None


def test_spike_generator_in_compiled_loop():
    start_scope()
    prefs.codegen.target = "numba"
    gen = SpikeGeneratorGroup(3, [0, 1, 2, 1], [0.2, 0.5, 0.5, 3.05] * ms, period=5 * ms)
    S = SpikeMonitor(gen)
    net = Network(gen, S)
    net.run(12 * ms)
    assert net.used_compiled_loop
    expected = sorted(
        (round((t + p) * 10), i) for p in (0, 5, 10) for i, t in
        [(0, 0.2), (1, 0.5), (2, 0.5), (1, 3.05)] if t + p < 12
    )
    got = sorted(zip(np.round(S.t_ * 1e4).astype(int), S.i, strict=True))
    assert got == [(int(a), int(b)) for a, b in expected]


def test_parameter_and_size_changes_compile_nothing():
    _lif("numba", n=50, tau=10 * ms)
    before = compile_stats()
    _lif("numba", n=80, tau=17 * ms, duration=30 * ms)
    after = compile_stats()
    assert after["generated"] == before["generated"]
    assert after["compiled"] == before["compiled"]


def test_second_process_hits_the_disk_cache_and_concurrent_starts_are_safe(tmp_path):
    script = textwrap.dedent(
        """
        from sim import *
        from sim.codegen.numba_target import compile_stats
        prefs.codegen.target = 'numba'
        tau = 7*ms
        G = NeuronGroup(10, 'dv/dt = (2 - v)/tau : 1', threshold='v > 1', reset='v = 0')
        M = SpikeMonitor(G)
        run(20*ms)
        stats = compile_stats()
        print(stats['generated'], stats['compiled'], M.num_spikes)
        """
    )
    env = dict(os.environ, HEARSIM_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def start():
        return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)

    def result(proc):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        return [int(x) for x in out.split()]

    # two processes start at once on an empty cache: both write and compile safely
    first, twin = start(), start()
    first, twin = result(first), result(twin)
    second_run = result(start())
    assert max(first[0], twin[0]) > 0 and max(first[1], twin[1]) > 0  # one of them wrote
    assert second_run[0] == 0 and second_run[1] == 0
    assert first[2] == twin[2] == second_run[2] > 0


def test_cache_directory_is_overridable(tmp_path, monkeypatch):
    from sim.codegen.numba_target import cache_dir

    monkeypatch.setenv("HEARSIM_CACHE_DIR", str(tmp_path))
    assert cache_dir().parent == tmp_path
    assert second.dim is not None


def _noisy(target):
    start_scope()
    prefs.codegen.target = target
    from sim import Hz, PoissonGroup, PoissonInput, seed

    seed(1234)
    eqs = """
    dv/dt = (-v + mu)/(10*ms) + sigma*xi/sqrt(10*ms) : 1 (unless refractory)
    mu : 1
    """
    G = NeuronGroup(300, eqs, threshold="v > 1", reset="v = rand()*0.1",
                    refractory=2 * ms, namespace={"sigma": 0.3})
    G.v = "rand()"
    G.mu = "0.8 + 0.3*rand()"
    inp = PoissonInput(G, "v", 20, 50 * Hz, weight=0.02)
    P = PoissonGroup(50, "5*Hz + i*1*Hz")
    Q = PoissonGroup(30, 40 * Hz)  # fixed rates: geometric waiting times
    SQ = SpikeMonitor(Q)
    from sim import Synapses

    recurrent = Synapses(G, G, "w : 1", on_pre="v += w", delay=1 * ms)
    recurrent.connect("i != j", p=0.05)
    recurrent.w = "-0.05*rand()"
    feed = Synapses(P, G, on_pre="v += 0.05")
    feed.connect(p=0.1)
    feed.delay = "0.5*ms + 2*ms*rand()"
    S, SP = SpikeMonitor(G), SpikeMonitor(P)
    net = Network(G, inp, P, S, SP, recurrent, feed, Q, SQ)
    net.run(300 * ms)
    return S.i, S.t_, SP.i, SP.t_, G.v_.copy(), recurrent.w[:].copy(), len(feed), SQ.i, SQ.t_


def test_noisy_network_identical_on_numpy_and_numba():
    a = _noisy("numpy")
    b = _noisy("numba")
    assert len(a[0]) > 500 and len(a[2]) > 50
    for x, y in zip(a[:4], b[:4], strict=True):
        assert np.array_equal(x, y)
    assert np.allclose(a[4], b[4], rtol=1e-12, atol=1e-12)
    assert np.array_equal(a[5], b[5]) and a[6] == b[6] > 0
    assert len(a[7]) > 200
    assert np.array_equal(a[7], b[7]) and np.array_equal(a[8], b[8])


def test_thread_count_preference():
    import numba

    from sim import prefs as p

    p.codegen.numba_threads = 1
    _lif("numba", n=20, duration=1 * ms)
    assert numba.get_num_threads() == 1
    p.codegen.numba_threads = None
    _lif("numba", n=20, duration=1 * ms)
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    with pytest.raises(ValueError, match="numba_threads"):
        p.codegen.numba_threads = 0


def test_monitors_on_slower_clocks_join_the_compiled_loop():
    def simulate(target):
        start_scope()
        prefs.codegen.target = target
        G = NeuronGroup(3, "dv/dt = (1 - v)/(3*ms) : 1", threshold="v > 0.8", reset="v = 0")
        G.v = [0, 0.3, 0.6]
        slow = StateMonitor(G, "v", record=True, dt=0.5 * ms)
        fast = StateMonitor(G, "v", record=[1])
        G.run_regularly("v += 0.01", dt=1 * ms)
        S = SpikeMonitor(G)
        net = Network(G, slow, fast, S)
        net.run(10 * ms)
        return net, slow.t_, slow.v_, fast.v_, S.t_

    net, *numba_results = simulate("numba")
    assert net.used_compiled_loop
    _, *numpy_results = simulate("numpy")
    assert len(numba_results[0]) == 20
    for a, b in zip(numba_results, numpy_results, strict=True):
        assert np.array_equal(a, b)


def test_parallel_kernels_give_the_serial_results():
    # every kernel parallel (threshold 0): conditions use the chunked compaction
    net_s, S_s, M_s, R_s = _lif("numba", n=10000, duration=50 * ms)
    prefs.codegen.numba_parallel_threshold = 0
    try:
        net_p, S_p, M_p, R_p = _lif("numba", n=10000, duration=50 * ms)
    finally:
        prefs.codegen.numba_parallel_threshold = 50_000
    assert S_s.num_spikes > 1000
    assert np.array_equal(S_s.i, S_p.i) and np.array_equal(S_s.t_, S_p.t_)
    assert np.array_equal(M_s.v_, M_p.v_)
    # the thresholder of the parallel run used the chunked compaction
    threshold = [o for o in net_p._all_objects() if o.name.endswith("_thresholder")][0]
    assert "_counts = np.zeros(_nchunks" in threshold._kernel.source
    assert "prange" in threshold._kernel.source


def _recurrent(target, delays, in_order=True, parallel_threshold=50_000):
    """A recurrent LIF network whose spikes depend on every delivered synapse."""
    start_scope()
    prefs.codegen.target = target
    prefs.codegen.numba_parallel_threshold = parallel_threshold
    try:
        G = NeuronGroup(1000, "dv/dt = (v0 - v)/(10*ms) : volt\nv0 : volt",
                        threshold="v > -50*mV", reset="v = -60*mV", method="exact")
        G.v = "-60*mV + 10*mV*i/N"
        G.v0 = "-52*mV + 4*mV*i/N"
        S = Synapses(G, G, "w : volt", on_pre="v += w")
        rng = np.random.default_rng(3)
        i = rng.integers(0, 1000, 20000)
        j = rng.integers(0, 1000, 20000)
        if in_order:
            j = j[np.argsort(i, kind="stable")]
            i = np.sort(i)
        S.connect(i=i, j=j)
        S.w = "0.3*mV * (1 - 2*(i % 3 == 0))"
        if delays == "single":
            S.delay = 2 * ms
        elif delays == "mixed":
            S.delay = "(j % 4) * 0.5*ms"
        M = SpikeMonitor(G)
        net = Network(G, S, M)
        net.run(60 * ms)
    finally:
        prefs.codegen.numba_parallel_threshold = 50_000
    return net, S, M


@pytest.mark.parametrize("delays", ["zero", "single", "mixed"])
@pytest.mark.parametrize("in_order", [True, False])
def test_spike_delivery_paths_agree_with_numpy(delays, in_order):
    """The compiled loop's three delivery paths (one delay and synapses stored by source:
    kernel on each neuron's range; one delay, other order: gathered; several delays:
    looked up by delay) deliver exactly what the numpy target delivers, in the same order,
    also with large kernels on all cores and their serial fallback for few elements."""
    _, _, M_ref = _recurrent("numpy", delays, in_order)
    assert M_ref.num_spikes > 500
    for threshold in (50_000, 500):
        net, S, M = _recurrent("numba", delays, in_order, threshold)
        assert net.used_compiled_loop
        path = S._pathways[0]
        assert (path._single_delay >= 0) == (delays != "mixed")
        if delays != "mixed":  # (several delays: sorted by delay within each source)
            assert path._in_order == in_order
        assert np.array_equal(M.i, M_ref.i) and np.array_equal(M.t_, M_ref.t_)


def test_delivery_tables_are_reused_until_delays_change():
    start_scope()
    G = NeuronGroup(10, "v : 1", threshold="True", reset="")
    H = NeuronGroup(10, "v : 1")
    S = Synapses(G, H, on_pre="v_post += 1")
    S.connect(j="i")
    S.delay = 1 * ms
    net = Network(G, H, S)
    net.run(1 * ms)
    path = S._pathways[0]
    order = path._order
    net.run(1 * ms)
    assert path._order is order  # nothing rebuilt
    S.delay[3] = 2 * ms  # an in-place change is seen
    net.run(1 * ms)
    assert path._order is not order and path._single_delay == -1
    assert np.array_equal(path._steps[[2, 3]], [10, 20])


CONDITIONS = [
    "(v > 0.5 or v < -0.9) and i % 3 != 0",
    "not (v < 0.8) and int(v * 10) == 8",
    "v > 0.5 and rand() < 0.5",
    "n > 2 and flag and v > vmax_shared",
]


def _events(target, condition, parallel_threshold):
    start_scope()
    prefs.codegen.target = target
    prefs.codegen.numba_parallel_threshold = parallel_threshold
    try:
        G = NeuronGroup(3001, """dv/dt = (2*sin(2*pi*(t/(7*ms) + i/17.)) - v)/(2*ms) : 1
                                 n : integer
                                 flag : boolean
                                 vmax_shared : 1 (shared)""",
                        events={"ev": condition}, method="euler")
        G.n = "i % 5"
        G.flag = "i % 2 == 0"
        G.vmax_shared = 0.6
        sub = G[1000:2500]
        M = EventMonitor(G, "ev")
        Msub = EventMonitor(sub, "ev")
        net = Network(G, M, Msub)
        net.run(20 * ms)
    finally:
        prefs.codegen.numba_parallel_threshold = 50_000
    return M, Msub


@pytest.mark.parametrize("condition", CONDITIONS)
def test_conditions_collect_the_same_events_on_every_path(condition):
    """Conditions (blocked counting pass, its skipped form for random numbers, parallel
    chunks, serial fallback) collect the numpy target's events in the same order."""
    ref, ref_sub = _events("numpy", condition, 50_000)
    assert 100 < ref.num_events < 3001 * 200 / 2
    for threshold in (50_000, 0):
        M, Msub = _events("numba", condition, threshold)
        assert np.array_equal(M.i, ref.i) and np.array_equal(M.t_, ref.t_)
        assert np.array_equal(Msub.i, ref_sub.i) and np.array_equal(Msub.t_, ref_sub.t_)
