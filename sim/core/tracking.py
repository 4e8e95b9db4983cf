"""Brian 2's ``brian2.core.tracking``: classes that keep track of their instances."""

from sim.brian2_bases import Trackable

__all__ = ["Trackable"]
