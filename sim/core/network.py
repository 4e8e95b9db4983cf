"""Brian 2's ``brian2.core.network``: networks and the magic ``run``."""

from sim.network import *  # noqa: F403
from sim.network import __all__  # noqa: F401
