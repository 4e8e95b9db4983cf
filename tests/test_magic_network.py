"""The magic network (module-level ``run()``, ``store()``, ``restore()``) follows
Brian 2's documented rules (``brian2/core/magic.py``, the user guide "Running a
simulation: Multiple magic runs", and ``brian2/tests/test_network.py``):

* ``run()`` collects the simulation objects visible in the calling frame (not those
  hidden in containers, nor those of other frames), and the objects they contain;
* objects none of which has been run start a new simulation at t = 0;
* the objects of the previous magic run continue it at its end time;
* a mix of the two raises ``MagicError``; new monitors do not count as new;
* an object run by an explicit ``Network`` cannot be run by the magic network.

Every test runs in its own function scope (the conftest calls ``start_scope()``).
"""

import logging
import weakref

import numpy as np
import pytest

import sim
from sim import (
    MagicError,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    collect,
    defaultclock,
    magic_network,
    restore,
    run,
    start_scope,
    store,
)
from sim.units import ms, mV


def counter(name=None):
    """Brian 2's test ``Counter``: counts its time steps (in ``count``)."""
    G = NeuronGroup(1, "count : 1", name=name)
    G.run_regularly("count += 1")
    return G


def test_magic_error_is_exported_like_brian2():
    assert "MagicError" in sim.__all__
    assert issubclass(MagicError, Exception)
    assert repr(magic_network) == "MagicNetwork()"


def test_continuing_the_same_objects_continues_time():
    # Brian 2, MagicNetwork notes, case 1: run() again continues at the previous end
    x = counter()
    run(1 * ms)
    run(1 * ms)
    assert x.count[0] == 20
    assert magic_network.t == 2 * ms
    assert defaultclock.t == 2 * ms


def test_invalid_magic_network_as_brian2():
    # brian2/tests/test_network.py::test_invalid_magic_network, with a NeuronGroup counter
    # and a monitor as the "non-invalidating" object
    x = counter()
    run(1 * ms)
    assert x.count[0] == 10
    y = counter()
    with pytest.raises(MagicError):
        run(1 * ms)
    del x, y
    x = counter()
    run(1 * ms)  # all new: a new simulation
    assert magic_network.t == 1 * ms
    y = StateMonitor(x, "count", record=True)  # monitors may join
    run(1 * ms)
    assert x.count[0] == 20
    assert len(y.t) == 10 and y.t[0] == 1 * ms
    del y
    run(1 * ms)
    assert x.count[0] == 30
    del x
    x = counter()
    run(1 * ms)
    assert magic_network.t == 1 * ms
    del x
    x = counter()
    y = counter()
    run(1 * ms)
    assert x.count[0] == 10 and y.count[0] == 10


def _first_simulation():
    G1 = NeuronGroup(1, "dv/dt = -v / (10*ms) : volt", method="exact")
    M1 = StateMonitor(G1, "v", record=True)
    return G1, M1


def _second_simulation():
    G = NeuronGroup(2, "dv/dt = -v / (10*ms) : volt", method="exact")
    inp = SpikeGeneratorGroup(2, [0, 1, 0], [1, 2, 3] * ms)
    S = Synapses(inp, G, on_pre="v += 10*mV")
    S.connect(j="i")
    M = StateMonitor(G, "v", record=True)
    return G, inp, S, M


def test_new_objects_after_a_run_start_at_zero_and_get_their_input():
    # the script: run, then (without start_scope) new groups with an input of
    # spikes at 1-3 ms; the old objects are no longer visible, so, as in Brian 2, this
    # is a new simulation starting at t = 0, and the spikes arrive (hearsim used to
    # continue at 10 ms, past every input spike: flat 0 mV)
    G1, M1 = _first_simulation()
    run(10 * ms)
    assert magic_network.t == 10 * ms
    del G1, M1
    G, inp, S, M = _second_simulation()
    run(10 * ms)
    assert magic_network.t == 10 * ms and defaultclock.t == 10 * ms
    assert M.t[0] == 0 * ms and len(M.t) == 100
    v = M.v / mV
    # neuron 0: 10 mV at 1 ms, decayed, then +10 mV at 3 ms: peak 10*exp(-0.2) + 10
    assert v[0].max() == pytest.approx(10 * np.exp(-0.2) + 10, rel=0.02)
    assert v[1].max() == pytest.approx(10, rel=0.02)
    assert v[0, :11].max() == 0 and v[0, 11] > 9  # the first spike lands in step 10


def test_rebinding_names_makes_a_new_simulation():
    # Brian 1 -> 2 guide ("Magic network"): a loop making new objects runs each from 0s,
    # with only the objects it sees, without clear() or reinit_default_clock()
    peaks = []
    for _ in range(3):
        G, inp, S, M = _second_simulation()
        run(5 * ms)
        assert M.t[0] == 0 * ms and magic_network.t == 5 * ms
        peaks.append(M.v[0].max())
    assert peaks[0] == peaks[1] == peaks[2] > 15 * mV


def test_loop_of_functions_as_brian2():
    # brian2/tests/test_network.py::test_loop
    def run_simulation():
        G = NeuronGroup(10, "dv/dt = -v / (10*ms) : 1", reset="v=0", threshold="v>1")
        G.v = np.linspace(0, 1, 10)
        run(1 * ms)
        return G.v[:]

    for _ in range(2):
        v = run_simulation()
        assert v[0] == 0 and 0 < v[-1] < 1
        assert magic_network.t == 1 * ms


def test_mix_of_old_and_new_objects_is_a_magic_error():
    G1, M1 = _first_simulation()
    run(10 * ms)
    G, inp, S, M = _second_simulation()  # G1 and M1 are still visible
    with pytest.raises(MagicError) as info:
        run(10 * ms)
    message = str(info.value)
    assert "mix of objects that has been run before and new objects" in message
    assert repr(G1.name) in message and repr(G.name) in message and repr(S.name) in message
    assert "start_scope()" in message and "Network" in message and "collect()" in message
    # nothing ran: the old simulation is untouched, the new objects have not run
    assert magic_network.t == 10 * ms and len(M.t) == 0 and len(M1.t) == 100
    # a new Synapses (or input) onto groups that have run is a mix as well
    del G, inp, S, M
    extra = SpikeGeneratorGroup(1, [0], [1] * ms)
    S2 = Synapses(extra, G1, on_pre="v += 1*mV")
    S2.connect()
    with pytest.raises(MagicError):
        run(1 * ms)
    del extra, S2
    run(1 * ms)  # the old objects alone continue
    assert magic_network.t == 11 * ms and len(M1.t) == 110


def test_start_scope_starts_a_new_simulation():
    # brian2/tests/test_network.py::test_magic_scope, and time goes back to 0
    G1 = counter(name="G1")
    G2 = counter(name="G2")
    assert {o.name for o in collect()} == {"G1", "G2"}
    run(2 * ms)
    start_scope()
    G3 = counter(name="G3")
    G4 = counter(name="G4")
    assert {o.name for o in collect()} == {"G3", "G4"}
    run(1 * ms)  # G1 and G2 are visible but belong to the old scope: no MagicError
    assert magic_network.t == 1 * ms
    assert G3.count[0] == G4.count[0] == 10
    assert G1.count[0] == G2.count[0] == 20  # not run again


def test_new_monitors_join_a_running_simulation():
    # "creating new monitors is always possible" (Brian 2 user guide)
    G = NeuronGroup(1, "dv/dt = 1/second : 1", threshold="v > 1")
    run(2 * ms)
    M = StateMonitor(G, "v", record=True)
    S = SpikeMonitor(G)
    run(1 * ms)
    assert magic_network.t == 3 * ms
    assert M.t[0] == 2 * ms and len(M.t) == 10
    assert S.num_spikes == 0


def test_hidden_and_unreturned_objects_are_not_run():
    # Brian 2: objects in containers, or made in a function and not returned, or only
    # weakly referenced, are not collected (test_magic_weak_reference, _unused_object)
    def create():
        kept = counter()
        counter()  # not returned
        return kept

    G = create()
    hidden = [counter()]
    weak = weakref.ref(counter())
    run(1 * ms)
    assert G.count[0] == 10
    assert hidden[0].count[0] == 0
    assert weak() is None or weak().count[0] == 0
    assert collect() == [G]


def test_level_finds_the_objects_of_an_outer_frame():
    x = counter()

    def helper():
        run(1 * ms, level=1)

    helper()
    assert x.count[0] == 10


def test_explicit_networks_keep_their_own_time():
    # an explicit Network is unaffected: objects may be added to it after a run, and
    # each new Network starts at 0 s (Brian 1 -> 2 guide, "Explicit network")
    x = counter()
    net = Network(x)
    net.run(1 * ms)
    y = counter()
    net.add(y)
    net.run(1 * ms)
    assert net.t == 2 * ms and x.count[0] == 20 and y.count[0] == 10
    z = counter()
    net2 = Network(z)
    net2.run(1 * ms)
    assert net2.t == 1 * ms and net.t == 2 * ms
    del x, y, z


def test_objects_of_an_explicit_network_are_not_magic():
    # brian2/tests/test_network.py::test_multiple_networks_invalid (the magic half)
    x = counter()
    Network(x).run(1 * ms)
    with pytest.raises(RuntimeError, match="already been run in the context of another"):
        run(1 * ms)


def test_magic_network_cannot_be_modified():
    # brian2/tests/test_network.py::test_incorrect_network_use
    G = NeuronGroup(10, "v : 1")
    with pytest.raises(MagicError):
        magic_network.add(G)
    with pytest.raises(MagicError):
        magic_network.remove(G)


def test_store_restore_trials_as_brian2_docs():
    # user guide, "Continuing/repeating simulations": store() then restore() per trial
    G = NeuronGroup(3, "dv/dt = (2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="exact")
    spike_monitor = SpikeMonitor(G)
    store()
    counts = []
    for _ in range(3):
        restore()
        run(20 * ms)
        assert magic_network.t == 20 * ms
        counts.append(list(spike_monitor.count[:]))
    assert counts[0] == counts[1] == counts[2] and counts[0][0] > 0


def test_store_restore_with_a_new_monitor_after_restore():
    # user guide schematic: after restore('after_learning'), a new SpikeMonitor is made
    # and run (monitors may join), time continues from the restored snapshot
    G = NeuronGroup(1, "dv/dt = (2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0",
                    method="exact")
    store("initialized")
    restore("initialized")
    run(10 * ms)
    store("after_learning")
    for _ in range(2):
        restore("after_learning")
        spike_mon = SpikeMonitor(G)
        run(10 * ms)
        assert magic_network.t == 20 * ms
        assert spike_mon.t[0] >= 10 * ms
    del spike_mon


def test_store_of_new_objects_starts_a_new_simulation():
    # store() collects like run(): new objects after a run are a new simulation (t = 0)
    old = counter()
    run(5 * ms)
    del old
    G = counter()
    store()
    assert magic_network.t == 0 * ms
    run(1 * ms)
    assert G.count[0] == 10 and magic_network.t == 1 * ms
    restore()
    assert magic_network.t == 0 * ms and G.count[0] == 0


def test_magic_network_logs_the_objects_it_collects(caplog):
    G = counter(name="logged")
    with caplog.at_level(logging.DEBUG, logger="sim.network"):
        run(0 * ms)
    assert any("Updated MagicNetwork" in r.getMessage() and "logged" in r.getMessage()
               for r in caplog.records)
    del G


# -- start_scope() as Brian 2's (issue 20): it only hides the objects made before it -----
def test_start_scope_keeps_the_magic_time_and_clocks_until_the_next_run():
    # brian2/core/magic.py: start_scope() only increments the scope key; the magic
    # network's time is that of the last run until a run of new objects resets it
    defaultclock.dt = 0.2 * ms
    G = counter(name="before_scope")
    run(3 * ms)
    start_scope()
    assert magic_network.t == 3 * ms and defaultclock.t == 3 * ms
    assert defaultclock.dt == 0.2 * ms  # Brian 2 keeps the clock's dt as well
    assert collect() == []
    H = counter(name="after_scope")
    assert collect() == [H]
    run(1 * ms)  # all new objects: a new simulation, from 0 s
    assert magic_network.t == 1 * ms and defaultclock.t == 1 * ms
    assert H.count[0] == 5 and G.count[0] == 15  # the old group did not run again
    run(1 * ms)  # and it continues
    assert magic_network.t == 2 * ms and H.count[0] == 10


def test_old_objects_alone_after_start_scope_are_not_run():
    G = counter(name="hidden_by_scope")
    run(2 * ms)
    start_scope()
    with pytest.raises(RuntimeError, match="found no simulation objects"):
        run(1 * ms)
    assert G.count[0] == 20 and magic_network.t == 2 * ms


def test_a_snapshot_stored_before_start_scope_restores_objects_of_the_same_names():
    # Brian 2 keeps the magic network's stored states across start_scope(): restore()
    # collects the new objects (a new simulation), then sets the stored time and the
    # states of the objects with the stored names
    G = counter(name="trial")
    run(3 * ms)
    store("three")
    run(2 * ms)
    start_scope()
    old = G
    G = counter(name="trial")  # the same name: the stored state fits it
    restore("three")
    assert magic_network.t == 3 * ms and defaultclock.t == 3 * ms
    assert G.count[0] == 30 and old.count[0] == 50
    run(1 * ms)  # the restored objects continue from the stored time
    assert magic_network.t == 4 * ms and G.count[0] == 40 and old.count[0] == 50
    del old


def test_restore_after_start_scope_with_other_names_is_a_key_error():
    # Brian 2: "The names of all objects have to be identical to the names when they
    # were stored"; a default name differs while the old object lives (neurongroup_1)
    G = NeuronGroup(1, "v : 1")
    G.v = 7
    store("kept")
    start_scope()
    H = NeuronGroup(1, "v : 1")
    assert H.name != G.name
    with pytest.raises(KeyError, match=G.name):
        restore("kept")
    assert H.v[0] == 0 and G.v[0] == 7
    # with no object visible at all, the stored objects are missing as well
    del H
    with pytest.raises(KeyError, match=G.name):
        restore("kept")
    # an unknown name is a KeyError, as in Brian 2 (its dict of stored states)
    with pytest.raises(KeyError):
        restore("never_stored")


def test_store_after_start_scope_keeps_the_earlier_snapshots():
    G = counter(name="first_scope")
    run(1 * ms)
    store("a")
    start_scope()
    H = counter(name="second_scope")
    run(2 * ms)
    store("b")  # both snapshots are the magic network's, as in Brian 2
    assert set(magic_network._snapshots) >= {"a", "b"}
    restore("b")
    assert magic_network.t == 2 * ms and H.count[0] == 20
    with pytest.raises(KeyError, match="first_scope"):
        restore("a")
    del G
