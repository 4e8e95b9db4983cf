"""Published neuron models as model strings (used by examples, tests and fitting data)."""

from sim.models import rothman_manis

__all__ = ["rothman_manis"]
