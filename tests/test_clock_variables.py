"""Brian 2's clock variables of groups (``G.t``, ``G.dt``, ``G.t_in_timesteps``) and numpy 1's
removed aliases (``Inf``...) that published Brian 2 / brian2hears scripts use (issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import NeuronGroup, Synapses, ms, run, second, start_scope, us


def test_group_clock_variables_follow_the_clock():
    start_scope()
    G = NeuronGroup(3, "v : 1", dt=0.05 * ms, name="g")
    assert float(G.t[:]) == 0.0 and G.t_in_timesteps[:] == 0
    run(1 * ms)
    assert abs(float(G.t[:]) - 1e-3) < 1e-12 and G.t_ == pytest.approx(1e-3)
    assert G.t_in_timesteps[:] == 20
    assert float(G.dt[:] / us) == pytest.approx(50) and G.dt_ == pytest.approx(5e-5)
    assert repr(G.dt) == "<g.dt: 50. * usecond>"
    assert G[1:2].t[:] == G.t[:]
    S = Synapses(G, G, "w : 1")
    assert float(S.dt[:] / us) == pytest.approx(50)


def test_dt_of_another_group_as_brian2hears_scripts_pass_it():
    start_scope()
    G = NeuronGroup(2, "v : 1", dt=1 / (44.1 * sim.kHz))
    H = NeuronGroup(2, "v : 1", dt=G.dt[:])  # brian2hears' sound_localisation_model.py
    assert H.clock.dt_ == G.clock.dt_
    assert (G.dt[:] * 2).dim == second.dim


def test_clock_variables_are_read_only_and_do_not_hide_model_variables():
    start_scope()
    G = NeuronGroup(2, "v : 1")
    with pytest.raises(TypeError, match="read-only"):
        G.dt[:] = 5 * ms
    with pytest.raises(AttributeError, match="no such variable"):
        G.t = 5 * ms
    H = NeuronGroup(2, "dt_v/dt = -t_v/ms : 1", dt=0.1 * ms)  # a name like a clock name
    assert np.all(H.t_v[:] == 0) and float(H.t[:]) == 0.0
    with pytest.raises(AttributeError):
        G.t_in_timesteps_  # noqa: B018


def test_numpy1_aliases():
    ns = {}
    exec("from sim import *", ns)
    assert ns["Inf"] == np.inf and ns["NINF"] == -np.inf and np.isnan(ns["NaN"])
    assert list(ns["clip"](np.array([-1.0, 5.0]), 0, ns["Inf"])) == [0.0, 5.0]
