"""Brian 2's ``brian2.core.magic``: the magic network's functions."""

from sim.base import start_scope
from sim.network import collect, magic_network, run, stop

__all__ = ["run", "stop", "collect", "magic_network", "start_scope"]
