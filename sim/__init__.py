"""hearsim's spiking neural network simulator, with a Brian 2 style namespace.

``from sim import *`` gives NeuronGroup, StateMonitor, SpikeMonitor, Network,
run, the units (mV, ms, ...) and the usual helpers, as ``from brian2 import *``.
"""

from sim.base import BrianObject, SimObject, start_scope
from sim.brian1 import STDP, STP, Connection, DelayConnection
from sim.clocks import Clock, EventClock, RegularClock, defaultclock
from sim.codegen.stateupdate import UnsupportedEquationsException
from sim.equations import EquationError, Equations
from sim.functions import TimedArray
from sim.groups import NeuronGroup, Subgroup, linked_var
from sim.inputs import PoissonGroup, PoissonInput, SpikeGeneratorGroup
from sim.monitors import (
    EventMonitor,
    PopulationRateMonitor,
    RecentStateMonitor,
    SpikeMonitor,
    StateMonitor,
)
from sim.network import (
    MagicNetwork,
    Network,
    collect,
    forget,
    recall,
    restore,
    run,
    stop,
    store,
)
from sim.operations import NetworkOperation, network_operation
from sim.parsing import ModelSyntaxError
from sim.prefs import prefs
from sim.random import seed
from sim.synapses import Synapses
from sim.units import *  # noqa: F403  (units first: everything else builds on them)
from sim.units import __all__ as _units_all

__all__ = [
    *_units_all,
    "BrianObject",
    "SimObject",
    "start_scope",
    "Connection",
    "DelayConnection",
    "STDP",
    "STP",
    "Clock",
    "EventClock",
    "RegularClock",
    "defaultclock",
    "UnsupportedEquationsException",
    "EquationError",
    "Equations",
    "TimedArray",
    "NeuronGroup",
    "Subgroup",
    "linked_var",
    "PoissonGroup",
    "PoissonInput",
    "SpikeGeneratorGroup",
    "EventMonitor",
    "PopulationRateMonitor",
    "RecentStateMonitor",
    "SpikeMonitor",
    "StateMonitor",
    "MagicNetwork",
    "Network",
    "collect",
    "forget",
    "recall",
    "restore",
    "run",
    "stop",
    "store",
    "NetworkOperation",
    "Synapses",
    "network_operation",
    "ModelSyntaxError",
    "prefs",
    "seed",
]
