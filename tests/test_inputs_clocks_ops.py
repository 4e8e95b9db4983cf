"""Inputs, clocks, network operations, monitors of issue 3, store/restore, interrupts."""

import os
import signal
import tracemalloc

import numpy as np
import pytest

from sim import (
    Clock,
    EventClock,
    EventMonitor,
    Hz,
    Network,
    NeuronGroup,
    PoissonGroup,
    PoissonInput,
    PopulationRateMonitor,
    RecentStateMonitor,
    RegularClock,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    TimedArray,
    defaultclock,
    forget,
    linked_var,
    ms,
    mV,
    network_operation,
    recall,
    run,
    second,
    seed,
    start_scope,
)

# the conformance suite: every test runs on every code-generation target
pytestmark = pytest.mark.usefixtures("codegen_target")


def test_poisson_group_rate_within_statistical_bounds():
    seed(7)
    P = PoissonGroup(1000, 20 * Hz)
    M = SpikeMonitor(P)
    run(1 * second)
    expected = 1000 * 20 * 1.0
    # Poisson count: z-test at 4 standard deviations
    assert abs(M.num_spikes - expected) < 4 * np.sqrt(expected)
    # every neuron's count follows Poisson(20): chi-square dispersion test
    counts = M.count
    dispersion = np.sum((counts - 20) ** 2 / 20)
    assert 1000 - 4 * np.sqrt(2000) < dispersion < 1000 + 4 * np.sqrt(2000)


def test_poisson_group_fixed_rates_process_and_run_splitting():
    def simulate(split):
        start_scope()
        seed(12)
        P = PoissonGroup(500, 50 * Hz)
        M = SpikeMonitor(P)
        net = Network(P, M)
        if split:
            net.run(0.5 * second)
            net.run(0.5 * second)
        else:
            net.run(1 * second)
        return P, M, net

    P, M, net = simulate(False)
    _, M2, _ = simulate(True)
    assert np.array_equal(M.i, M2.i) and np.array_equal(M.t_, M2.t_)
    expected = 500 * 50 * 1.0
    assert abs(M.num_spikes - expected) < 4 * np.sqrt(expected)
    # waiting times of a Bernoulli process: geometric, mean 1/p steps, CV about 1
    trains = [np.asarray(t) for t in M.spike_trains().values()]
    isis = np.concatenate([np.diff(t) for t in trains if len(t) > 1])
    assert np.mean(isis) == pytest.approx(0.02, rel=0.05)
    assert np.std(isis) / np.mean(isis) == pytest.approx(1.0, abs=0.05)
    assert np.min(isis) >= 1e-4 - 1e-12
    # a new rate between runs applies from the next run
    P.rates = 5 * Hz
    before = M.num_spikes
    net.run(1 * second)
    assert abs(M.num_spikes - before - 2500) < 4 * np.sqrt(2500)


def test_poisson_group_rates_per_neuron_and_as_expression():
    seed(8)
    P = PoissonGroup(2, [0, 100] * Hz)
    Q = PoissonGroup(100, "i*2*Hz")
    MP, MQ = SpikeMonitor(P), SpikeMonitor(Q)
    run(2 * second)
    assert MP.count[0] == 0
    assert abs(MP.count[1] - 200) < 4 * np.sqrt(200)
    expected = np.arange(100) * 2 * 2.0
    total = expected.sum()
    assert abs(MQ.num_spikes - total) < 4 * np.sqrt(total)
    assert np.corrcoef(MQ.count, expected)[0, 1] > 0.9
    with pytest.raises(Exception, match="rate"):
        PoissonGroup(3, 5 * mV)
    with pytest.raises(ValueError, match="negative"):
        PoissonGroup(3, -5 * Hz)


def test_poisson_input_mean_and_variance():
    seed(9)
    G = NeuronGroup(2000, "v : volt")
    inp = PoissonInput(G, "v", 100, 10 * Hz, weight=0.1 * mV)
    run(100 * ms)
    assert inp.N == 100
    # sum of 1000 steps of Binomial(100, 1e-3): mean 100 spikes, variance ~ 99.9
    counts = G.v_ / 1e-4
    assert np.allclose(counts, np.round(counts))
    assert np.mean(counts) == pytest.approx(100, abs=4 * np.sqrt(100 / 2000))
    assert np.var(counts) == pytest.approx(99.9, rel=0.12)


def test_poisson_input_weight_units_checked():
    H = NeuronGroup(1, "v : volt")
    inp = PoissonInput(H, "v", 10, 10 * Hz, weight="1*second")
    from sim import DimensionMismatchError

    with pytest.raises(DimensionMismatchError):
        Network(H, inp).run(0.1 * ms)


def test_spike_generator_delivers_exact_times():
    times = [0.0, 0.1, 0.3, 0.30000000000000004, 1.25, 2.0] * ms
    G = SpikeGeneratorGroup(3, [0, 1, 2, 1, 0, 2], times)
    M = SpikeMonitor(G)
    run(3 * ms)
    assert list(zip(M.i, np.round(M.t_ / 1e-4).astype(int), strict=True)) == [
        (0, 0), (1, 1), (1, 3), (2, 3), (0, 12), (2, 20)
    ]


def test_spike_generator_errors_and_period():
    with pytest.raises(ValueError, match="two spikes in the time step"):
        SpikeGeneratorGroup(2, [0, 0], [1.0, 1.05] * ms)
    with pytest.raises(IndexError):
        SpikeGeneratorGroup(2, [0, 2], [1, 2] * ms)
    with pytest.raises(ValueError, match="2 indices but 1 times"):
        SpikeGeneratorGroup(2, [0, 1], [1] * ms)
    G = SpikeGeneratorGroup(1, [0], [0.5] * ms, period=2 * ms)
    M = SpikeMonitor(G)
    run(7 * ms)
    assert np.allclose(M.t / ms, [0.5, 2.5, 4.5, 6.5])


@pytest.mark.parametrize("ratio", [1, 2, 3, 10, 2.5, 1 / 3])
def test_spike_generator_on_other_clock_loses_and_duplicates_nothing(ratio):
    # the generator runs on its own clock; a group on another clock counts the spikes
    # it sees through a network operation on the generator's clock
    gen_dt = 0.1 * ms * ratio
    n_steps = 40
    times = np.arange(n_steps) * float(gen_dt) * second
    G = SpikeGeneratorGroup(1, np.zeros(n_steps, dtype=int), times, dt=gen_dt)
    target = NeuronGroup(1, "count : 1", dt=0.1 * ms)
    M = SpikeMonitor(G)

    @network_operation(clock=G.clock, when="after_thresholds")
    def deliver():
        target.count_[:] += len(G.spikes)

    run(n_steps * gen_dt)
    assert M.num_spikes == n_steps
    assert target.count[0] == n_steps
    assert np.allclose(np.diff(M.t_), float(gen_dt))


def test_network_operation_runs_exactly_duration_over_dt_times():
    calls = []
    G = NeuronGroup(1, "v : 1")

    @network_operation(dt=10 * ms)
    def op(t):
        calls.append(float(t))

    run(1 * second)
    assert len(calls) == 100
    assert np.allclose(calls, np.arange(100) * 0.01)
    assert G.N == 1


def test_network_operation_writes_state_between_steps():
    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1")
    M = StateMonitor(G, "v", record=0)

    @network_operation(dt=1 * ms, when="before_start")
    def kick():
        G.v = 1.0

    run(3 * ms)
    assert np.allclose(M.v[0][[0, 10, 20]], 1.0)
    assert M.v[0][9] == pytest.approx(np.exp(-0.9 / 10))


def test_run_regularly_and_event_clock():
    G = NeuronGroup(3, "x : 1")
    G.run_regularly("x += i + 1", dt=1 * ms)
    ticks = []
    op = network_operation(clock=EventClock([0.5, 1.7, 2.2] * ms))(lambda t: ticks.append(t))
    run(3 * ms)
    assert list(G.x[:]) == [3, 6, 9]
    assert np.allclose([float(t) for t in ticks], [0.5e-3, 1.7e-3, 2.2e-3])
    assert RegularClock is Clock and op is not None


def test_custom_events_and_event_monitor():
    G = NeuronGroup(3, "dv/dt = 1/ms : 1", threshold="v > 10", reset="v = 0",
                    events={"half": "v > 0.52 and v < 0.62"})
    G.run_on_event("half", "v += 100")
    E = EventMonitor(G, "half", variables="v")
    S = SpikeMonitor(G)
    run(1 * ms)
    assert E.num_events == 3
    assert np.allclose(E.t / ms, 0.5)
    # recorded in the thresholds slot, before the event's code adds 100
    assert np.allclose(E.v, 0.6)
    assert S.num_spikes == 3  # the kick pushes v over threshold at the next step


def test_population_rate_monitor_and_smoothing():
    G = NeuronGroup(10, "v : 1", threshold="i < 4 and t > 0.45*ms", dt=0.1 * ms)
    R = PopulationRateMonitor(G)
    run(1 * ms)
    assert np.allclose(R.rate / Hz, [0] * 5 + [4 / (10 * 1e-4)] * 5)
    smooth = R.smooth_rate("flat", width=0.3 * ms)
    assert float(smooth[5] / Hz) == pytest.approx(4000 * 2 / 3)
    gauss = R.smooth_rate("gaussian", width=0.1 * ms)
    assert float(np.sum(gauss) / Hz) == pytest.approx(float(np.sum(R.rate) / Hz), rel=0.2)
    with pytest.raises(ValueError, match="window"):
        R.smooth_rate("triangle", width=1 * ms)


def test_recent_state_monitor_memory_bounded():
    G = NeuronGroup(5, "dv/dt = 1/second : 1")
    R = RecentStateMonitor(G, "v", duration=1 * ms)
    net = Network(G, R)
    net.run(2 * ms)
    size_short = R.nbytes
    tracemalloc.start()
    net.run(200 * ms)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert R.nbytes == size_short
    assert peak < 1_000_000
    assert R.v.shape == (5, 10)
    assert np.allclose(R.t / ms, 201 + np.arange(10) * 0.1)
    assert np.allclose(R.v[0], R.t_)


def test_store_restore_reproduces_continued_run_bit_for_bit(tmp_path):
    def build():
        start_scope()
        seed(21)
        G = NeuronGroup(20, "dv/dt = (1.2 - v)/(10*ms) + 0.2*xi/sqrt(ms) : 1",
                        threshold="v > 1", reset="v = 0", refractory=1 * ms)
        G.v = "rand()"
        M = SpikeMonitor(G)
        S = StateMonitor(G, "v", record=[3])
        return Network(G, M, S), G, M, S

    net, G, M, S = build()
    net.run(20 * ms)
    net.store("half", random_state=True)
    net.store("file", filename=tmp_path / "state.pkl", random_state=True)
    net.run(20 * ms)
    first = (M.i.copy(), M.t_.copy(), S.v_.copy(), G.v_.copy())
    net.restore("half", restore_random_state=True)
    assert net.t == 20 * ms
    net.run(20 * ms)
    second_run = (M.i, M.t_, S.v_, G.v_.copy())
    for a, b in zip(first, second_run, strict=True):
        assert np.array_equal(a, b)
    net.restore("file", filename=tmp_path / "state.pkl", restore_random_state=True)
    net.run(20 * ms)
    assert np.array_equal(G.v_, first[3])
    with pytest.raises(KeyError, match="nothing"):
        net.restore("nothing")


def test_forget_and_recall():
    G = NeuronGroup(1, "dv/dt = 1/second : 1")
    H = NeuronGroup(1, "dv/dt = 1/second : 1")
    forget(H)
    run(1 * ms)
    assert H.v[0] == 0 and G.v[0] == pytest.approx(1e-3)
    recall(H)
    run(1 * ms)
    assert H.v[0] == pytest.approx(1e-3)


def test_keyboard_interrupt_stops_at_end_of_step_with_consistent_monitors():
    G = NeuronGroup(2, "dv/dt = 1/second : 1", threshold="True")
    M = StateMonitor(G, "v", record=True)
    S = SpikeMonitor(G)

    @network_operation(when="before_end")
    def interrupt(t):
        if abs(float(t) - 0.0015) < 1e-9:
            os.kill(os.getpid(), signal.SIGINT)

    net = Network(G, M, S, interrupt)
    with pytest.raises(KeyboardInterrupt):
        net.run(10 * ms)
    assert net.t == 1.6 * ms
    assert M.n == 16 and len(M.t) == 16
    assert S.num_spikes == 32
    assert G.v[0] == pytest.approx(1.6e-3)
    net.run(0.4 * ms)  # continues from where it stopped
    assert net.t == 2 * ms and M.n == 20


def test_stop_from_network_operation():
    G = NeuronGroup(1, "dv/dt = 1/second : 1")
    net = Network(G)

    @network_operation(dt=1 * ms)
    def halt(t):
        if t >= 2 * ms:
            net.stop()

    net.add(halt)
    net.run(10 * ms)
    assert float(net.t) == pytest.approx(2.1e-3)


def test_linked_variables():
    G = NeuronGroup(4, "v : volt")
    G.v = [1, 2, 3, 4] * mV
    H = NeuronGroup(4, "dw/dt = v_link/(volt*ms) : 1\n v_link : volt (linked)")
    H.v_link = linked_var(G, "v")
    K = NeuronGroup(2, "x : volt (linked)")
    K.x = linked_var(G.v, index=[3, 0])
    run(1 * ms)
    assert np.allclose(H.w[:], np.array([1, 2, 3, 4]) * 1e-3)
    assert np.allclose(K.x[:] / mV, [4, 1])
    G.v = 0 * mV
    assert np.allclose(K.x[:] / mV, [0, 0])
    L = NeuronGroup(3, "y : volt (linked)")
    with pytest.raises(ValueError, match="index="):
        L.y = linked_var(G, "v")
    M = NeuronGroup(4, "z : 1 (linked)")
    from sim import DimensionMismatchError

    with pytest.raises(DimensionMismatchError):
        M.z = linked_var(G, "v")
    Q = NeuronGroup(4, "q : volt (linked)")
    with pytest.raises(ValueError, match="not linked"):
        Network(Q).run(0.1 * ms)


def test_progress_report_fractions_monotonic_ending_at_one():
    import time

    G = NeuronGroup(10, "dv/dt = -v/(10*ms) : 1")

    @network_operation(dt=5 * ms)
    def slow_down():  # make the run last ~80 ms of wall time whatever the target's speed
        time.sleep(0.002)

    fractions = []
    run(200 * ms, report=lambda elapsed, done, start, dur: fractions.append(done),
        report_period=0.001 * second)
    assert fractions[0] == 0 and fractions[-1] == 1
    assert all(b >= a for a, b in zip(fractions, fractions[1:], strict=False))
    assert len(fractions) > 2
    del G


def test_timed_array_driving_poisson_rates():
    seed(2)
    rate = TimedArray([0, 200] * Hz, dt=50 * ms)
    P = PoissonGroup(200, "rate(t)")
    M = SpikeMonitor(P)
    run(100 * ms)
    assert np.all(M.t_ >= 0.05)
    assert abs(M.num_spikes - 2000) < 4 * np.sqrt(2000)
    assert defaultclock.dt == 0.1 * ms


def test_network_operation_runs_at_the_start_of_its_steps_by_default():
    """Brian 2's default slot for network operations is 'start': they see the state
    before the step's update (values from Brian 2.9)."""
    from sim import NeuronGroup, network_operation, run

    G = NeuronGroup(1, "dv/dt = -v/(10*ms) : 1", method="exact")
    G.v = 1
    seen = []

    @network_operation(dt=1 * ms)
    def op(t):
        seen.append(float(G.v[0]))

    assert op.when == "start" and op.name.startswith("networkoperation")  # Brian 2's
    run(2 * ms)
    assert np.allclose(seen, [1.0, 0.904837], atol=1e-6)


def test_network_operation_and_run_regularly_in_one_slot_run_in_name_order():
    """Brian 2 orders them by name: 'networkoperation' before 'neurongroup_run_regularly'
    (Brian 2.9 logs 1.0 here)."""
    from sim import NeuronGroup, network_operation, run

    G = NeuronGroup(1, "v : 1")
    G.v = 1
    G.run_regularly("v += 0.5", dt=5 * ms)
    log = []

    @network_operation(dt=10 * ms)
    def op(t):
        log.append(float(G.v[0]))

    run(1 * ms)
    assert log == [1.0]


def test_spike_generator_accepts_a_list_of_quantities_and_values_t():
    from sim import SpikeGeneratorGroup, SpikeMonitor, run

    G = SpikeGeneratorGroup(2, [0, 1, 0], [1 * ms, 1.5 * ms, 2 * ms])
    M = SpikeMonitor(G)
    run(3 * ms)
    trains = M.values("t")  # Brian 2: the spike times per neuron
    assert np.allclose(trains[0] / ms, [1, 2]) and np.allclose(trains[1] / ms, [1.5])


def test_store_always_keeps_the_random_state_as_brian2():
    from sim import NeuronGroup, restore, store

    G = NeuronGroup(3, "x : 1")
    store()  # no option needed, as in Brian 2
    G.x = "rand()"
    first = G.x[:].copy()
    restore(restore_random_state=True)
    G.x = "rand()"
    assert np.array_equal(first, G.x[:])


def test_trials_restored_from_one_state_draw_new_noise():
    """Brian 2's random numbers carry on across restore(): trials run from one stored
    state differ (noise and Poisson spikes); restore_random_state=True replays; the
    clocks read the restored time at once."""
    from sim import (
        Hz,
        NeuronGroup,
        PoissonGroup,
        SpikeMonitor,
        defaultclock,
        restore,
        run,
        seed,
        store,
    )

    seed(4)
    G = NeuronGroup(50, "dv/dt = (1.1 - v)/(10*ms) + 0.3*xi/sqrt(10*ms) : 1",
                    threshold="v > 1", reset="v = 0", method="euler")
    P = PoissonGroup(20, 50 * Hz)
    M, MP = SpikeMonitor(G), SpikeMonitor(P)
    store()
    trials = []
    for _ in range(3):
        restore()
        assert float(defaultclock.t) == 0
        run(50 * ms)
        trials.append((M.i.copy(), M.t_.copy(), MP.i.copy(), MP.t_.copy()))
    for a, b in ((0, 1), (1, 2)):
        assert not np.array_equal(trials[a][1], trials[b][1])
        assert not np.array_equal(trials[a][3], trials[b][3])
    store("again")
    run(20 * ms)
    first = M.t_.copy()
    restore("again", restore_random_state=True)
    run(20 * ms)
    assert np.array_equal(first, M.t_)
