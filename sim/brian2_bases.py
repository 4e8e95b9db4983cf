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
neither.  ``VariableOwner``: an object with named variables read and written as attributes
(``G.v``): every ``Group``, the monitors, synaptic pathways and clocks, as in Brian 2.
``Trackable``: Brian 2's base whose classes keep track of their living instances
(``cls.__instances__()``: weak references to them); every ``Nameable`` is one, and a user
class deriving from it is tracked from its creation.
"""

from __future__ import annotations

import abc
import weakref

import numpy as np

from sim import base as _base
from sim.base import SimObject
from sim.clocks import Clock
from sim.groups import CodeRunner, Group, NeuronGroup, Subgroup
from sim.inputs import SpikeGeneratorGroup
from sim.monitors import EventMonitor, PopulationRateMonitor, StateMonitor
from sim.network import Network
from sim.synapses import SynapticPathway

__all__ = ["Nameable", "SpikeSource", "Group", "CodeRunner", "VariableOwner", "Trackable"]


class Trackable(metaclass=abc.ABCMeta):  # noqa: B024 - an ABC for register()
    """Brian 2's base of classes whose instances are tracked: ``cls.__instances__()`` is
    the set of weak references (``weakref.ref``) to the living instances of ``cls`` and of
    its subclasses (``[r() for r in NeuronGroup.__instances__()]``)."""

    #: the living instances of classes derived from Trackable itself
    _tracked: weakref.WeakSet = weakref.WeakSet()

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        Trackable._tracked.add(obj)
        return obj

    @classmethod
    def __instances__(cls) -> set:
        found = {id(o): o for o in list(Trackable._tracked) if isinstance(o, cls)}
        for obj in list(_base._instances):  # hearsim's objects (Trackable by registration)
            if isinstance(obj, cls):
                found.setdefault(id(obj), obj)
        return {weakref.ref(o) for o in found.values()}


class Nameable(Trackable):
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


class VariableOwner(Nameable):
    """Brian 2's base of objects whose variables are read and written as attributes
    (``G.v``, ``G.v_``, ``G.state('v')``): groups, synapses, monitors, clocks."""


for _cls in (SimObject, Network, Clock):
    Nameable.register(_cls)
for _cls in (NeuronGroup, Subgroup, SpikeGeneratorGroup):
    SpikeSource.register(_cls)
for _cls in (Group, StateMonitor, EventMonitor, PopulationRateMonitor, SynapticPathway, Clock):
    VariableOwner.register(_cls)
