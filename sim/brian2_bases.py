"""Brian 2's abstract bases of its star import, as hearsim's classes answer them.

``Nameable``: an object with a unique ``name`` (every object a network runs, networks and
clocks): ``isinstance(G, Nameable)``.  ``SpikeSource``: an object that emits spikes, with
``spikes`` (the indices of the elements that spiked in the current time step):
``NeuronGroup``, its subgroups (``SpatialNeuron``'s too), ``PoissonGroup`` and
``SpikeGeneratorGroup``; a user class may derive from it (and implement ``spikes``) or be
registered (``SpikeSource.register(cls)``).  ``Group`` (everything with named state variables:
``NeuronGroup``, ``Synapses``, subgroups, ``SpikeGeneratorGroup``) and ``CodeRunner`` (the
objects that run one compiled block per time step: state updaters, thresholders, resetters,
``PoissonInput``) are hearsim's own classes (`sim.groups`); unlike Brian 2's, monitors are
neither.
"""

from __future__ import annotations

import abc

import numpy as np

from sim.base import SimObject
from sim.clocks import Clock
from sim.groups import CodeRunner, Group, NeuronGroup, Subgroup
from sim.inputs import SpikeGeneratorGroup
from sim.network import Network

__all__ = ["Nameable", "SpikeSource", "Group", "CodeRunner"]


class Nameable(abc.ABC):
    """Brian 2's base of objects with a unique ``name`` (str)."""

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The object's unique name."""


class SpikeSource(abc.ABC):
    """Brian 2's base of objects that emit spikes (``Synapses`` sources and targets,
    ``SpikeMonitor`` sources)."""

    @property
    @abc.abstractmethod
    def spikes(self) -> np.ndarray:
        """The indices of the elements that spiked in the current time step."""


for _cls in (SimObject, Network, Clock):
    Nameable.register(_cls)
for _cls in (NeuronGroup, Subgroup, SpikeGeneratorGroup):
    SpikeSource.register(_cls)
