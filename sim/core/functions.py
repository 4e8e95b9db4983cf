"""Brian 2's ``brian2.core.functions``: user functions in model strings."""

from sim.brian2_names import DEFAULT_CONSTANTS, DEFAULT_FUNCTIONS
from sim.functions import timestep
from sim.user_functions import Function, implementation

__all__ = ["Function", "implementation", "timestep", "DEFAULT_FUNCTIONS", "DEFAULT_CONSTANTS"]
