"""hearsim's spiking neural network simulator, with a Brian 2 style namespace.

``from sim import *`` gives NeuronGroup, StateMonitor, SpikeMonitor, Network,
run, the units (mV, ms, ...) and the usual helpers, and, like
``from brian2 import *``, numpy's namespace (``mean``, ``linspace``, ``np``...;
numpy functions work on quantities with their units) and pyplot's plotting
functions (``plot``, ``xlabel``, ``show``...).  Plain ``import sim`` (or
``import sim.units``) loads neither matplotlib nor numba: pyplot's names are
imported when first used.
"""

import builtins as _builtins

import numpy as _numpy

from sim.base import BrianObject, SimObject, start_scope
from sim.brian1 import STDP, STP, Connection, DelayConnection
from sim.clocks import Clock, EventClock, RegularClock, defaultclock
from sim.codegen.stateupdate import UnsupportedEquationsException
from sim.devices import device, get_device, reset_device, set_device
from sim.equations import EquationError, Equations
from sim.errors import ModelValueError
from sim.functions import TimedArray
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
from sim.prefs import prefs
from sim.random import seed
from sim.snapshot import SnapshotError
from sim.synapses import Synapses
from sim.units import *  # noqa: F403  (units first: everything else builds on them)
from sim.units import __all__ as _units_all
from sim.user_functions import Function, implementation

np = _numpy  # numpy functions keep units: Quantity implements numpy's protocols

#: pyplot's functions that Brian 2 scripts use after ``from brian2 import *`` (pylab)
_PYPLOT_NAMES = (
    "plot", "figure", "show", "xlabel", "ylabel", "title", "subplot", "subplots", "legend",
    "hist", "imshow", "savefig", "axhline", "axvline", "xlim", "ylim", "tight_layout",
    "scatter", "errorbar", "semilogx", "semilogy", "loglog", "colorbar", "grid", "text",
    "fill_between", "bar", "close", "gca", "gcf", "twinx", "suptitle", "xticks", "yticks",
    "axis", "clf", "ion", "ioff", "pause", "draw", "pcolormesh", "contour", "contourf",
    "annotate", "step", "stem", "boxplot", "violinplot", "matshow", "plt",
)


def exprel(x):
    """``(exp(x) - 1)/x``, 1 at ``x = 0`` (Brian 2's function; ``x`` dimensionless)."""
    from sim.codegen.numpy_target import _exprel
    from sim.units import fail_for_dimension_mismatch

    fail_for_dimension_mismatch(x, None, "exprel needs a dimensionless argument")
    value = _exprel(x)
    return value.item() if value.ndim == 0 else value


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


class _PyplotFunction:
    """``matplotlib.pyplot.<name>``, imported when first called: ``from sim import *``
    gives the plotting functions without loading matplotlib (a third of a second)."""

    def __init__(self, name: str):
        self.__name__ = self.__qualname__ = name

    def __call__(self, *args, **kwargs):
        return getattr(_pyplot(), self.__name__)(*args, **kwargs)

    @property
    def __doc__(self):  # help(plot) shows pyplot's documentation
        return getattr(_pyplot(), self.__name__).__doc__

    def __repr__(self) -> str:
        return f"<matplotlib.pyplot.{self.__name__} (imported on first use)>"


class _PyplotModule:
    """``plt``: ``matplotlib.pyplot``, imported on first attribute access."""

    def __getattr__(self, name: str):
        return getattr(_pyplot(), name)

    def __dir__(self):
        return dir(_pyplot())

    def __repr__(self) -> str:
        return "<module 'matplotlib.pyplot' (imported on first use)>"


def __getattr__(name: str):
    # numpy's and pyplot's names are looked up on use (``from sim import *`` uses every
    # name of __all__): plain ``import sim`` stays light
    if name in _PYLAB_NAMES:
        return getattr(_PYLAB_NAMES[name], name)
    if name in _NUMPY_NAMES:
        return getattr(_numpy, name)
    if name in _PYPLOT_NAMES:
        return _PyplotModule() if name == "plt" else _PyplotFunction(name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


_own_names = [
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
    "NetworkOperation",
    "Synapses",
    "network_operation",
    "ModelSyntaxError",
    "ModelValueError",
    "prefs",
    "seed",
    "Function",
    "implementation",
    "exprel",
    "BrianLogger",
    "get_logger",
    "scheduling_summary",
    "profiling_summary",
    "magic_network",
    "set_device",
    "get_device",
    "reset_device",
    "device",
]
#: Python builtins that ``from brian2 import *`` replaces by numpy's (pylab's); the
#: others (``max``, ``min``, ``abs``, ``round``, ``bool``, ``pow``) stay Python's
_SHADOWED_BUILTINS = frozenset({"all", "any", "divmod", "sum"})
#: numpy's star-import names, less those sim defines (and its submodule ``random``)
_NUMPY_NAMES = frozenset(
    n for n in _numpy.__all__ if n not in set(_own_names) and n not in ("random",)
    and (not hasattr(_builtins, n) or n in _SHADOWED_BUILTINS)
)
#: what pylab adds to numpy's names in Brian 2's star import: numpy.fft's, numpy.random's
#: and numpy.linalg's functions (``randn``, ``fft``, ``inv``...), sim's own names first
_PYLAB_MODULES = (_numpy.linalg, _numpy.random, _numpy.fft)  # later ones win
_PYLAB_NAMES = {
    name: module for module in _PYLAB_MODULES for name in module.__all__
    if name not in set(_own_names) and not name.startswith("_")
    and name not in ("seed", "random", "f") and not hasattr(_builtins, name)
}
__all__ = [
    *sorted(_NUMPY_NAMES - set(_PYLAB_NAMES)),
    *sorted(_PYLAB_NAMES),
    "np",
    *_PYPLOT_NAMES,
    *_own_names,
]
