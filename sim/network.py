"""Networks and the run loop.

``Network.run(duration)`` builds every object's code for the run (resolving
external names in the namespace of the caller), then advances time.  Within a
time step objects run in Brian 2's slot order (start, groups, thresholds,
synapses, resets, end; ``when=`` and ``order=``); with several clocks, the
clocks due at the earliest tick run together, and ticks are compared as
integers (every ``dt`` is an exact fraction of a second).

The module-level :func:`run` uses the *magic network*: all objects visible in
the calling scope (created since the last :func:`~sim.base.start_scope`).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable
from fractions import Fraction

from sim.base import SimObject, _scope
from sim.clocks import as_fraction
from sim.units import Quantity, fail_for_dimension_mismatch, second

__all__ = ["Network", "run", "collect", "MagicNetwork", "magic_network"]


def _flatten(objs: Iterable) -> list[SimObject]:
    out: list[SimObject] = []
    for obj in objs:
        if isinstance(obj, SimObject):
            out.append(obj)
        elif isinstance(obj, dict):
            out.extend(_flatten(obj.values()))
        elif isinstance(obj, list | tuple | set):
            out.extend(_flatten(obj))
        else:
            raise TypeError(
                f"Can only add simulation objects (or containers of them) to a Network, "
                f"not {type(obj).__name__}"
            )
    return out


def _with_contained(objs: Iterable[SimObject]) -> list[SimObject]:
    seen: dict[int, SimObject] = {}

    def add(o: SimObject) -> None:
        if id(o) in seen:
            return
        seen[id(o)] = o
        for c in o.contained_objects:
            add(c)

    for o in objs:
        add(o)
    return list(seen.values())


def _caller_namespace(level: int) -> dict:
    frame = sys._getframe(level + 1)
    namespace = dict(frame.f_globals)
    namespace.update(frame.f_locals)
    return namespace


def _text_reporter(stream) -> Callable:
    def report(elapsed: float, completed: float, t_start: Quantity, duration: Quantity) -> None:
        if completed <= 0:
            stream.write(f"Starting simulation at t={t_start} for a duration of {duration}\n")
        else:
            remaining = elapsed * (1 - completed) / completed
            stream.write(
                f"{float(duration) * completed:.4g} s ({completed:.0%}) simulated in "
                f"{elapsed:.3g} s" + (f", estimated {remaining:.3g} s remaining.\n"
                                        if completed < 1 else "\n")
            )
        stream.flush()

    return report


def _make_reporter(report) -> Callable | None:
    if report is None:
        return None
    if callable(report):
        return report
    if report in ("text", "stdout"):
        return _text_reporter(sys.stdout)
    if report == "stderr":
        return _text_reporter(sys.stderr)
    raise ValueError(
        f"report must be None, 'text', 'stdout', 'stderr' or a callable, got {report!r}"
    )


class Network:
    """A set of objects run together: ``Network(G, M).run(100*ms)``."""

    def __init__(self, *objs, name: str = "network"):
        self.name = name
        self.objects: list[SimObject] = []
        self._t = Fraction(0)
        self.add(*objs)

    def add(self, *objs) -> None:
        """Add objects (or lists, tuples, dicts of objects)."""
        for obj in _flatten(objs):
            if obj not in self.objects:
                self.objects.append(obj)

    def remove(self, *objs) -> None:
        for obj in _flatten(objs):
            if obj in self.objects:
                self.objects.remove(obj)

    def __contains__(self, obj) -> bool:
        return obj in self.objects

    @property
    def t(self) -> Quantity:
        """Current network time."""
        return Quantity(float(self._t), dim=second.dim)

    @property
    def t_(self) -> float:
        return float(self._t)

    def _all_objects(self) -> list[SimObject]:
        return sorted(_with_contained(self.objects), key=SimObject.sort_key)

    def run(
        self,
        duration: Quantity,
        report=None,
        report_period: Quantity = 10 * second,
        namespace: dict | None = None,
        level: int = 0,
    ) -> None:
        """Run for ``duration``.

        ``namespace``: names used by the models' strings; by default, those of
        the function that called ``run``.  ``report``: ``None``, ``'text'``,
        ``'stdout'``, ``'stderr'`` or ``callable(elapsed_s, fraction, t_start,
        duration)``, called every ``report_period`` of wall-clock time.
        """
        fail_for_dimension_mismatch(duration, second, "run duration must be a time")
        duration_s = float(duration)
        if duration_s < 0:
            raise ValueError(f"run duration must not be negative, got {duration}")
        if namespace is None:
            namespace = _caller_namespace(level + 1)
        reporter = _make_reporter(report)
        period = float(report_period)
        objects = [o for o in self._all_objects() if o.active]
        t_start = self._t
        t_end = t_start + as_fraction(duration_s)
        for obj in objects:
            obj.before_run(namespace)
        clocks = []
        for obj in objects:
            if obj.clock not in clocks:
                clocks.append(obj.clock)
        for clock in clocks:
            clock._i, clock._i_end = clock.steps_for(t_start, t_end)
        wall_start = time.perf_counter()
        if reporter:
            reporter(0.0, 0.0, Quantity(float(t_start), dim=second.dim), duration)
        try:
            if len(clocks) == 1:
                self._run_one_clock(objects, clocks[0], reporter, period, wall_start, duration)
            elif clocks:
                self._run_clocks(objects, clocks, reporter, period, wall_start, duration)
        finally:
            self._t = t_end if all(c._i >= c._i_end for c in clocks) else self._t_reached(clocks)
            for obj in objects:
                obj.after_run()
        if reporter:
            reporter(time.perf_counter() - wall_start, 1.0,
                     Quantity(float(t_start), dim=second.dim), duration)

    @staticmethod
    def _t_reached(clocks) -> Fraction:
        return min(c._i * c._dt_frac for c in clocks)

    def _run_one_clock(self, objects, clock, reporter, period, wall_start, duration):
        funcs = [f for f in (o.step_function() for o in objects) if f is not None]
        start, end = clock._i, clock._i_end
        next_report = wall_start + period
        total = max(end - start, 1)
        for step in range(start, end):
            for f in funcs:
                f(step)
            clock._i = step + 1
            if reporter is not None and time.perf_counter() >= next_report:
                reporter(time.perf_counter() - wall_start, (step + 1 - start) / total,
                         None, duration)
                next_report += period
        clock._i = end

    def _run_clocks(self, objects, clocks, reporter, period, wall_start, duration):
        denominator = 1
        for c in clocks:
            denominator = math.lcm(denominator, c._dt_frac.denominator)
        ticks = {id(c): int(c._dt_frac * denominator) for c in clocks}
        per_clock = {id(c): [] for c in clocks}
        ordered = []
        for o in objects:
            f = o.step_function()
            if f is not None:
                ordered.append((o.clock, f))
        next_report = wall_start + period
        first = {id(c): c._i for c in clocks}
        span = max(max(c._i_end - c._i for c in clocks), 1)
        del per_clock
        while True:
            pending = [c for c in clocks if c._i < c._i_end]
            if not pending:
                break
            now = min(c._i * ticks[id(c)] for c in pending)
            due = {id(c) for c in pending if c._i * ticks[id(c)] == now}
            for c, f in ordered:
                if id(c) in due:
                    f(c._i)
            for c in pending:
                if id(c) in due:
                    c._i += 1
            if reporter is not None and time.perf_counter() >= next_report:
                done = max((c._i - first[id(c)]) / span for c in clocks)
                reporter(time.perf_counter() - wall_start, min(done, 1.0), None, duration)
                next_report += period


class MagicNetwork(Network):
    """The network behind the module-level :func:`run`: what the caller can see."""

    def __init__(self):
        super().__init__(name="magic_network")


magic_network = MagicNetwork()


def reset_magic_network() -> None:
    global magic_network
    magic_network = MagicNetwork()


def collect(level: int = 0) -> list[SimObject]:
    """Objects of the current scope visible in the caller's namespace."""
    namespace = _caller_namespace(level + 1)
    found = []
    for value in namespace.values():
        if (
            isinstance(value, SimObject)
            and value.add_to_magic_network
            and value._scope_key == _scope["key"]
            and value not in found
        ):
            found.append(value)
    return found


def run(
    duration: Quantity,
    report=None,
    report_period: Quantity = 10 * second,
    namespace: dict | None = None,
    level: int = 0,
) -> None:
    """Run every object visible in the calling scope for ``duration``."""
    objs = collect(level + 1)
    if not objs:
        raise RuntimeError(
            "run() found no simulation objects in the calling scope: create them in the "
            "function that calls run(), or use Network(...).run()"
        )
    net = magic_network
    net.objects = objs
    if namespace is None:
        namespace = _caller_namespace(level + 1)
    net.run(duration, report=report, report_period=report_period, namespace=namespace)
