"""Brian 2 compartmental-example idioms on shared code (issue 18): morphology parts as
connect/record indices, quantities minus a group's variable, ``S.summed_updaters``."""

from __future__ import annotations

import numpy as np

from sim import (
    Cylinder,
    NeuronGroup,
    Soma,
    SpatialNeuron,
    StateMonitor,
    Synapses,
    cm,
    ms,
    mV,
    ohm,
    run,
    siemens,
    uF,
    um,
)


def _neuron():
    morpho = Soma(30 * um)
    morpho.L = Cylinder(diameter=1 * um, length=100 * um, n=10)
    eqs = "Im = gL*(EL - v) : amp/meter**2\nI : amp (point current)"
    neuron = SpatialNeuron(morphology=morpho, model=eqs, Cm=1 * uF / cm ** 2,
                           Ri=100 * ohm * cm, namespace={"gL": 1e-4 * siemens / cm ** 2,
                                                         "EL": -70 * mV})
    neuron.v = -70 * mV
    return morpho, neuron


def test_morphology_parts_as_connect_and_record_indices():
    morpho, neuron = _neuron()
    # bipolar_with_inputs: synapses onto the compartment at 25 um of the dendrite
    source = NeuronGroup(1, "v : volt", threshold="True")
    S = Synapses(source, neuron, on_pre="I_post += 0*amp")
    S.connect(i=0, j=morpho.L[25 * um])
    assert list(S.j[:]) == [int(morpho.L[25 * um]._indices())]
    # bipolar_cell: a monitor of the compartment at 75 um, and the monitor indexed by it
    M = StateMonitor(neuron, "v", record=morpho.L[75 * um])
    run(0.2 * ms)
    assert M.v.shape[0] == 1
    np.testing.assert_array_equal(M[morpho.L[75 * um]].v, M.v[0])


def test_a_quantity_minus_a_group_variable_keeps_units():
    morpho, neuron = _neuron()
    # cylinder.py: (300*um) - neuron.distance
    left = 300 * um - neuron.distance
    np.testing.assert_allclose(np.asarray(left), 300e-6 - np.asarray(neuron.distance[:]))
    assert left.dim == um.dim
    G = NeuronGroup(3, "x : meter")
    G.x = [1, 2, 3] * um
    np.testing.assert_allclose(np.asarray(3 * um - G.x), [2e-6, 1e-6, 0.0])
    assert (um * G.x).dim == (um ** 2).dim


def test_summed_updaters_by_name_and_their_schedule():
    G = NeuronGroup(3, "v : 1\ny : 1")
    S = Synapses(G, G, "y_post = 2*v_pre : 1 (summed)")
    S.connect()
    S.summed_updaters["y_post"].when = "after_groups"  # lfp.py
    G.v = 1
    run(0.1 * ms)
    np.testing.assert_array_equal(G.y[:], 6.0)
    assert S.summed_updaters["y_post"].when == "after_groups"
