"""Brian 2's ``brian2.core.clocks``."""

from sim.clocks import Clock, EventClock, defaultclock

__all__ = ["Clock", "EventClock", "defaultclock"]
