"""Python callbacks at their own ticks: ``@network_operation``.

A network operation is the one thing in a run that is not generated code: a
Python function called at the ticks of its clock, in its scheduling slot,
free to read and write any state between steps (live plots, closed loops).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from sim.base import SimObject
from sim.units import Quantity, second

__all__ = ["NetworkOperation", "network_operation"]


class NetworkOperation(SimObject):
    """Calls ``function()`` or ``function(t)`` at every tick of its clock."""

    def __init__(self, function: Callable, dt=None, clock=None, when: str = "start",
                 order: int = 0, name: str | None = None):
        if not callable(function):
            raise TypeError(f"network_operation needs a callable, got {type(function).__name__}")
        # Brian 2 names operations 'networkoperation', 'networkoperation_1'...: the name
        # decides the order among objects of the same slot and order
        super().__init__(dt=dt, clock=clock, when=when, order=order, name=name)
        self.function = function
        params = [
            p for p in inspect.signature(function).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        if len(params) > 1:
            raise TypeError(
                f"The network operation '{self.name}' must take no argument or one (the time t), "
                f"not {len(params)}"
            )
        self._takes_t = len(params) == 1

    def step_function(self):
        function, clock = self.function, self.clock
        if self._takes_t:
            def step(i):
                function(Quantity(clock.t_of(i), dim=second.dim))
        else:
            def step(i):
                function()
        return step

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)

    def loop_fragment(self):
        """A Python call: a compiled run loop returns to Python at each of its ticks."""
        from sim.codegen.loop_ops import PYTHON_STEP

        return PYTHON_STEP


def network_operation(*args, **kwds):
    """Decorator: ``@network_operation`` or ``@network_operation(dt=10*ms, when='start')``."""
    if len(args) == 1 and callable(args[0]) and not kwds:
        return NetworkOperation(args[0])
    if args:
        raise TypeError("network_operation takes keyword arguments only (dt=, clock=, when=, "
                        "order=, name=)")

    def decorator(function: Callable) -> NetworkOperation:
        return NetworkOperation(function, **kwds)

    return decorator
