"""hearsim's spiking neural network simulator, with a Brian 2 style namespace.

``from sim import *`` gives NeuronGroup, StateMonitor, SpikeMonitor, Network,
run, the units (mV, ms, ...) and the usual helpers, and, like
``from brian2 import *`` (which starts with ``from pylab import *``), numpy's namespace
(``mean``, ``linspace``, ``np``, ``numpy``...; numpy functions work on quantities with their
units) and all of pylab's names: pyplot's functions (``plot``, ``xscale``, ``polar``,
``specgram``...), matplotlib's classes (``ScalarFormatter``...), modules (``mpl``, ``plt``)
and objects (``rcParams``).  Also Brian 2's ``codegen`` and ``units`` packages,
``timestep``, ``reinit_devices`` and ``restore_initial_state``; physical constants are in
:mod:`sim.units.constants`, imported by name as in Brian 2.

Plain ``import sim`` (or ``import sim.units``), and ``from sim import *`` itself, load
neither matplotlib nor numba: pylab's names are stand-ins (:mod:`sim._pylab`) that import
matplotlib when first used, and then behave as the real objects.
"""

import builtins as _builtins
import types as _types

import numpy as _numpy

# Brian 2's star import also gives its codegen and units packages (units.constants...)
import sim.codegen as codegen
import sim.units as units
import sim.units.constants
from sim import _pylab
from sim.base import BrianObject, SimObject, start_scope
from sim.brian1 import (
    STDP,
    STP,
    Connection,
    CustomRefractoriness,
    DelayConnection,
    EmpiricalThreshold,
    FunReset,
    FunThreshold,
    HomogeneousPoissonThreshold,
    NoReset,
    NoThreshold,
    Parameters,
    PoissonThreshold,
    Refractoriness,
    Reset,
    SimpleCustomRefractoriness,
    SimpleFunThreshold,
    StringReset,
    StringThreshold,
    Threshold,
    VariableReset,
    VariableThreshold,
)
from sim.brian2_bases import CodeRunner, Group, Nameable, SpikeSource
from sim.brian2_names import (
    DEFAULT_CONSTANTS,
    DEFAULT_FUNCTIONS,
    DEFAULT_UNITS,
    ExplicitStateUpdater,
    StateUpdateMethod,
    check_cache,
    clear_cache,
    declare_types,
    get_local_namespace,
    logger,
    std_silent,
)
from sim.clocks import Clock, EventClock, RegularClock, defaultclock
from sim.codegen.stateupdate import (
    UnsupportedEquationsException,
    euler,
    exact,
    exponential_euler,
    heun,
    linear,
    milstein,
    rk2,
    rk4,
)
from sim.devices import (
    device,
    get_device,
    reinit_devices,
    reset_device,
    restore_initial_state,
    set_device,
)
from sim.equations import EquationError, Equations
from sim.errors import ModelValueError
from sim.functions import BinomialFunction, TimedArray, timestep
from sim.groups import NeuronGroup, Subgroup, linked_var
from sim.inputs import PoissonGroup, PoissonInput, SpikeGeneratorGroup
from sim.logger import BrianLogger, get_logger
from sim.monitors import (
    EventMonitor,
    PopulationRateMonitor,
    RecentStateMonitor,
    RecordingMemoryError,
    SpikeMonitor,
    StateMonitor,
)
from sim.network import (
    MagicError,
    MagicNetwork,
    Network,
    collect,
    forget,
    magic_network,
    profiling_summary,
    recall,
    restore,
    run,
    scheduling_summary,
    stop,
    store,
)
from sim.operations import NetworkOperation, network_operation
from sim.parsing import ModelSyntaxError
from sim.plotting import raster_plot
from sim.prefs import PreferenceError, prefs
from sim.random import seed
from sim.selftest import sample_run, test
from sim.snapshot import SnapshotError
from sim.synapses import Synapses
from sim.units import *  # noqa: F403  (units first: everything else builds on them)
from sim.units import __all__ as _units_all
from sim.user_functions import Function, implementation

np = numpy = _numpy  # numpy functions keep units: Quantity implements numpy's protocols
brian_prefs = prefs  # Brian 2's older name
# numpy 1's aliases, which numpy 2 removed and older Brian 2 / brian2hears scripts use
# (``clip(x, 0, Inf)``)
Inf = Infinity = PINF = infty = _numpy.inf
NINF = -_numpy.inf
NaN = _numpy.nan
PZERO, NZERO = 0.0, -0.0


def exprel(x):
    """``(exp(x) - 1)/x``, 1 at ``x = 0`` (Brian 2's function; ``x`` dimensionless)."""
    from sim.codegen.numpy_target import _exprel
    from sim.units import fail_for_dimension_mismatch

    fail_for_dimension_mismatch(x, None, "exprel needs a dimensionless argument")
    value = _exprel(x)
    return value.item() if value.ndim == 0 else value


def sum(a, *args, **kwargs):  # noqa: A001  (pylab's sum, as in Brian 2's star import)
    """numpy's ``sum`` (units kept), as ``from brian2 import *`` gives it; a generator is
    summed by Python's ``sum``, as numpy did before 2.4 (``sum(t for t in times)``)."""
    if isinstance(a, _types.GeneratorType):  # numpy 1's behaviour: the other arguments
        result = _builtins.sum(a)  # are ignored, but ``out=``
        out = kwargs.get("out")
        if out is not None:
            out[...] = result
            return out
        return result
    return _numpy.sum(a, *args, **kwargs)


def __getattr__(name: str):
    # numpy's and pylab's names are looked up on use (``from sim import *`` uses every
    # name of __all__): plain ``import sim`` stays light, and pylab's names are stand-ins
    # that import matplotlib when first used (sim._pylab)
    if name in _PYLAB_NAMES:
        return getattr(_PYLAB_NAMES[name], name)
    if name in _NUMPY_NAMES:
        return getattr(_numpy, name)
    if name in _MATPLOTLIB_NAMES:
        value = _pylab.make(name)
        globals()[name] = value  # the same stand-in every time
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


_own_names = [
    *_units_all,
    "BrianObject",
    "SimObject",
    "Nameable",
    "SpikeSource",
    "Group",
    "CodeRunner",
    "start_scope",
    "Connection",
    "DelayConnection",
    "STDP",
    "STP",
    "Parameters",
    "Threshold",
    "StringThreshold",
    "VariableThreshold",
    "EmpiricalThreshold",
    "SimpleFunThreshold",
    "FunThreshold",
    "NoThreshold",
    "PoissonThreshold",
    "HomogeneousPoissonThreshold",
    "Reset",
    "StringReset",
    "VariableReset",
    "FunReset",
    "NoReset",
    "Refractoriness",
    "SimpleCustomRefractoriness",
    "CustomRefractoriness",
    "Clock",
    "EventClock",
    "RegularClock",
    "defaultclock",
    "UnsupportedEquationsException",
    "euler",
    "rk2",
    "rk4",
    "heun",
    "milstein",
    "exponential_euler",
    "exact",
    "linear",
    "EquationError",
    "Equations",
    "TimedArray",
    "BinomialFunction",
    "NeuronGroup",
    "Subgroup",
    "linked_var",
    "PoissonGroup",
    "PoissonInput",
    "SpikeGeneratorGroup",
    "EventMonitor",
    "PopulationRateMonitor",
    "RecentStateMonitor",
    "RecordingMemoryError",
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
    "SnapshotError",
    "sample_run",
    "test",
    "raster_plot",
    "NetworkOperation",
    "Synapses",
    "network_operation",
    "ModelSyntaxError",
    "ModelValueError",
    "prefs",
    "brian_prefs",
    "PreferenceError",
    "DEFAULT_FUNCTIONS",
    "DEFAULT_CONSTANTS",
    "DEFAULT_UNITS",
    "ExplicitStateUpdater",
    "StateUpdateMethod",
    "check_cache",
    "clear_cache",
    "declare_types",
    "get_local_namespace",
    "std_silent",
    "logger",
    "seed",
    "Function",
    "implementation",
    "exprel",
    "BrianLogger",
    "get_logger",
    "scheduling_summary",
    "profiling_summary",
    "magic_network",
    "MagicError",
    "set_device",
    "get_device",
    "reset_device",
    "device",
    "reinit_devices",
    "restore_initial_state",
    "timestep",
    "numpy",
    "codegen",
    "units",
    "Inf", "Infinity", "PINF", "infty", "NINF", "NaN", "PZERO", "NZERO",
    "sum",
]
_own_set = frozenset(_own_names)
#: Python builtins that ``from brian2 import *`` replaces by numpy's (pylab's); the
#: others (``max``, ``min``, ``abs``, ``round``, ``bool``, ``pow``) stay Python's
_SHADOWED_BUILTINS = frozenset({"all", "any", "divmod", "sum"})
#: numpy's star-import names, less those sim defines (and its submodule ``random``)
_NUMPY_NAMES = frozenset(
    n for n in _numpy.__all__ if n not in _own_set and n not in ("random",)
    and (not hasattr(_builtins, n) or n in _SHADOWED_BUILTINS)
)
#: what pylab adds to numpy's names in Brian 2's star import: numpy.fft's, numpy.random's
#: and numpy.linalg's functions (``randn``, ``fft``, ``inv``...), sim's own names first
_PYLAB_MODULES = (_numpy.linalg, _numpy.random, _numpy.fft)  # later ones win
_PYLAB_NAMES = {
    name: module for module in _PYLAB_MODULES for name in module.__all__
    if name not in _own_set and not name.startswith("_")
    and name not in ("seed", "random", "f") and not hasattr(_builtins, name)
}
#: pylab's own names (pyplot's, matplotlib's modules, ``rcParams``...): stand-ins that import
#: matplotlib on first use; sim's and numpy's names win, as Brian 2's come after pylab's
_MATPLOTLIB_NAMES = frozenset(
    n for n in _pylab.all_names()
    if n not in _own_set and n not in _NUMPY_NAMES and n not in _PYLAB_NAMES
)
__all__ = [
    *sorted(_NUMPY_NAMES - set(_PYLAB_NAMES)),
    *sorted(_PYLAB_NAMES),
    "np",
    *sorted(_MATPLOTLIB_NAMES),
    *_own_names,
]

# multicompartment morphologies (Brian 2's names; the cable solver in sim.spatial.cable
# loads numba and is not imported here)
from sim.spatial.morphology import Cylinder, Morphology, Section, Soma  # noqa: E402

__all__ += ["Morphology", "Soma", "Cylinder", "Section"]

# multicompartment neurons (the cable step's numba kernels load at the first run)
from sim.spatial.spatialneuron import SpatialNeuron  # noqa: E402

__all__ += ["SpatialNeuron"]

# Brian 2's bases (VariableOwner, Trackable), preference definitions, get_states/set_states
# formats and the deprecated 'independent' state updater (issue 20)
from sim.brian2_bases import Trackable, VariableOwner  # noqa: E402
from sim.codegen.stateupdate import independent  # noqa: E402
from sim.importexport import ImportExport  # noqa: E402
from sim.prefs import BrianPreference  # noqa: E402

__all__ += ["VariableOwner", "Trackable", "BrianPreference", "ImportExport", "independent"]
