"""Brian 2 script conveniences: preferences and devices that scripts set, accepted
with the meaning they can have here (and an error for anything else)."""

import numpy as np
import pytest

from sim import (
    NeuronGroup,
    SpikeMonitor,
    device,
    get_device,
    ms,
    prefs,
    reset_device,
    run,
    set_device,
    start_scope,
)
from sim.prefs import active_target


def test_brian2_compiled_targets_run_on_numba():
    pytest.importorskip("numba")
    prefs.codegen.target = "cython"
    assert prefs.codegen.target == "cython"  # reads back what the script set
    assert active_target() == "numba"
    prefs["codegen.target"] = "numpy"
    assert prefs["codegen.target"] == "numpy" and active_target() == "numpy"


def test_brian2_preferences_are_accepted_or_mapped():
    prefs.codegen.cpp.extra_compile_args_gcc = ["-O3", "-ffast-math"]
    prefs["codegen.runtime.cython.multiprocess_safe"] = False
    prefs.logging.console_log_level = "WARNING"
    prefs.core.default_integer_dtype = np.int64
    assert prefs.codegen.cpp.extra_compile_args_gcc == ["-O3", "-ffast-math"]
    prefs.devices.cpp_standalone.openmp_threads = 2
    assert prefs.codegen.numba_threads == 2  # the thread count of parallel kernels
    prefs.devices.cpp_standalone.openmp_threads = 0  # Brian 2: no OpenMP
    assert prefs.codegen.numba_threads == 1
    default = ["start", "groups", "thresholds", "synapses", "resets", "end"]
    prefs.core.network.default_schedule = default
    with pytest.raises(ValueError, match="another order is not supported"):
        prefs.core.network.default_schedule = ["groups", "start", "thresholds", "synapses",
                                               "resets", "end"]
    with pytest.raises(AttributeError, match="No preference 'codegen.cpp.extra_compile'"):
        prefs.codegen.cpp.extra_compile = []  # a typo is still an error
    with pytest.raises(AttributeError, match="is a group of preferences"):
        prefs.codegen.cpp = 1
    with pytest.raises(ValueError, match="openmp_threads"):
        prefs.devices.cpp_standalone.openmp_threads = -1
    prefs.reset()
    assert prefs.codegen.cpp.extra_compile_args_gcc is None
    assert prefs.codegen.numba_threads is None


def test_standalone_script_runs_unchanged():
    start_scope()
    set_device("cpp_standalone", build_on_run=False, directory=None)
    try:
        G = NeuronGroup(10, "dv/dt = (1.1 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                        method="exact")
        G.v = "i/10."
        M = SpikeMonitor(G)
        run(100 * ms)
        device.build(directory="output", compile=True, run=True, debug=False)
        assert get_device().name == "cpp_standalone" and device.has_been_run
        # the same spikes as a runtime run: 4 per neuron (period 24 ms, first by phase)
        assert M.num_spikes == 40
        with pytest.raises(TypeError, match="run_args"):
            device.build(run_args={"tau": 1})
        with pytest.raises(NotImplementedError, match="insert_code"):
            device.insert_code("main", "// C++")
    finally:
        reset_device()
    assert get_device().name == "runtime"
    with pytest.raises(ValueError, match="Unknown device 'fpga'.*cpp_standalone"):
        set_device("fpga")


def test_scheduling_summary_lists_objects_in_schedule_order():
    from sim import StateMonitor, scheduling_summary

    G = NeuronGroup(3, "dv/dt = -v/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    M = StateMonitor(G, "v", record=0, dt=1 * ms)  # noqa: F841
    summary = scheduling_summary()
    whens = [row[3] for row in summary.rows]
    order = ["start", "groups", "thresholds", "synapses", "resets", "end"]
    assert whens == sorted(whens, key=order.index)
    assert ("statemonitor" in repr(summary)) and "1 ms" in repr(summary)


def test_brian_logger_levels_act_on_the_sim_hierarchy(caplog):
    import logging

    from sim import BrianLogger, get_logger

    BrianLogger.log_level_info()
    try:
        with caplog.at_level(logging.INFO, logger="sim"):
            set_device("cpp_standalone")
            reset_device()
        assert any("cpp_standalone" in r.message and r.name == "sim.devices"
                   for r in caplog.records)
        assert get_logger("mymodule").name == "sim.mymodule"
    finally:
        BrianLogger.log_level_warn()


def test_profiled_run_reports_time_per_object():
    from sim import Synapses, magic_network, profiling_summary

    G = NeuronGroup(100, "dv/dt = (1.1 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0")
    S = Synapses(G, G, on_pre="v += 0.01")
    S.connect(p=0.1)
    M = SpikeMonitor(G)
    run(20 * ms, profile=True)
    assert not magic_network.used_compiled_loop  # profiled step by step
    names = [name for name, _ in magic_network.profiling_info]
    assert {G.name + "_stateupdater", S.name + "_pre", M.name} <= set(names)
    assert len(profiling_summary(show=2).rows) == 2 and "share" in repr(profiling_summary())
    spikes = M.num_spikes
    run(20 * ms)  # without profiling: the usual compiled loop, same dynamics
    assert M.num_spikes > spikes


def test_network_objects_by_name():
    from sim import Network, StateMonitor

    G = NeuronGroup(3, "v : 1", name="cells")
    M = StateMonitor(G, "v", record=0)
    net = Network(G, M)
    assert net["cells"] is G and len(net) == 2
    assert net["cells_stateupdater"].name == "cells_stateupdater"  # contained objects too
    del net["cells"]
    assert len(net) == 1 and G not in net
    with pytest.raises(KeyError, match="No object 'nope'.*statemonitor"):
        net["nope"]


def test_objects_of_a_network_must_have_different_names():
    G = NeuronGroup(1, "v : 1", name="cells")  # noqa: F841
    H = NeuronGroup(1, "v : 1", name="cells")  # noqa: F841
    with pytest.raises(ValueError, match="several objects named 'cells'"):
        run(1 * ms)


def test_report_announces_completion_once():
    calls = []
    G = NeuronGroup(10, "dv/dt = -v/ms : 1")  # noqa: F841
    run(20 * ms, report=lambda elapsed, done, start, duration: calls.append(done),
        report_period=0 * ms)
    assert calls[0] == 0 and calls.count(1.0) == 1 and calls[-1] == 1.0


def test_spike_monitor_without_recording_keeps_counts_and_says_so():
    G = NeuronGroup(2, "dv/dt = 1/ms : 1", threshold="v > 1", reset="v = 0")
    M = SpikeMonitor(G, record=False)
    run(5 * ms)
    assert list(M.count[:]) == [4, 4] and M.num_spikes == 8
    with pytest.raises(AttributeError, match="record=False.*not 't'"):
        M.t  # noqa: B018
