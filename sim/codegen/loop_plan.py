"""The decisions every target's compiled run loop shares, made once.

``plan_loop(objects, clock)`` asks each (sorted) object of a run for its
:class:`~sim.codegen.loop_ops.LoopFragment` and decides:

* the schedule: fragments in the objects' order; Python operations
  (:data:`~sim.codegen.loop_ops.PYTHON_STEP`) cut each step into *parts*, and
  the loop returns to Python at ``(step, part)`` positions;
* clocks: a fragment on a slower regular clock runs every ``r``-th step of the
  fastest one when its ``dt`` is a whole multiple ``r`` (with its own ``t``,
  ``dt`` and step); anything else makes the run use the Python loop;
* event spaces: one fixed-size index buffer and count per (object, event),
  shared by the fragments that produce and consume it, and copied from and
  back into the objects' ``_events`` around every segment.

:class:`CompiledLoop` is the Python side of a lowered loop: it calls the
target's compiled function segment by segment (sized to about 0.1 s of wall
time, so that reports and Ctrl-C stay responsive), runs the Python operations
at their positions, and grows buffers when the loop returns for lack of room.
The contract with the compiled function is
``function(step, end, part, stop_step, stop_part, dt, *arguments) -> (step, part, full)``.

This module and the lowerings know fragments and operations, never the classes
of the objects that made them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from sim.clocks import EventClock
from sim.codegen.loop_ops import PYTHON_STEP, Events, LoopFragment, NotCompilable

__all__ = ["CompiledLoop", "EventSpaces", "LoopPlan", "LoopUnavailable", "ScheduledFragment",
           "plan_loop", "python_positions"]


class LoopUnavailable(Exception):
    """Why a network's run cannot be one compiled loop (it then runs step by step)."""


class EventSpaces:
    """One fixed-size index buffer and count per event space, shared by the fragments."""

    def __init__(self):
        self._spaces: dict[tuple[int, str], tuple[Events, np.ndarray, np.ndarray]] = {}

    def get(self, events: Events) -> tuple[int, np.ndarray, np.ndarray]:
        """(number of the space, index buffer, count array of one element)."""
        if events.key not in self._spaces:
            buf = np.zeros(max(events.source.N, 1), dtype=np.int64)
            count = np.zeros(1, dtype=np.int64)
            self._spaces[events.key] = (events, buf, count)
        _, buf, count = self._spaces[events.key]
        return list(self._spaces).index(events.key), buf, count

    def sync_in(self) -> None:
        for events, buf, count in self._spaces.values():
            current = events.source._events.get(events.event, np.zeros(0, dtype=np.int64))
            buf[: len(current)] = current
            count[0] = len(current)

    def sync_out(self) -> None:
        for events, buf, count in self._spaces.values():
            events.source._events[events.event] = buf[: count[0]].copy()


@dataclass
class ScheduledFragment:
    """A fragment in the loop: the part of the step it runs in, and its clock."""

    number: int  # the object's position in the run (names its arguments)
    part: int
    fragment: LoopFragment
    every: int = 1  # runs at steps s % every == 0 of the fastest clock
    dt: float | None = None  # its own dt (seconds) when every > 1


@dataclass
class LoopPlan:
    fragments: list[ScheduledFragment]
    python_ops: list[tuple[int, object]]  # (part, operation)
    n_parts: int
    events: EventSpaces


def _ticks_every(own, main) -> int:
    if isinstance(own, EventClock):
        raise NotCompilable("it runs on an EventClock")
    ratio = own._dt_frac / main._dt_frac
    if ratio.denominator != 1:
        raise NotCompilable(f"its dt is not a whole multiple of the fastest clock's "
                            f"({float(own._dt_frac)} s and {float(main._dt_frac)} s)")
    return int(ratio)


def plan_loop(objects: list, clock) -> LoopPlan:
    """The schedule of one run's (sorted) objects driven by one regular clock.

    Raises LoopUnavailable naming the object and why when one cannot take part."""
    if isinstance(clock, EventClock):
        raise LoopUnavailable("the fastest clock is an EventClock")
    scheduled: list[ScheduledFragment] = []
    python_ops: list[tuple[int, object]] = []
    part = 0
    for k, obj in enumerate(objects):
        hook = getattr(obj, "loop_fragment", None)
        try:
            if hook is None:
                raise NotCompilable(f"{type(obj).__name__} has no compiled form")
            frag = hook()
            if frag is PYTHON_STEP:
                part += 1
                python_ops.append((part, obj))
                continue
            if frag is None:
                continue
            every = 1 if obj.clock is clock else _ticks_every(obj.clock, clock)
        except NotCompilable as exc:
            raise LoopUnavailable(f"'{obj.name}': {exc}") from None
        scheduled.append(ScheduledFragment(k, part, frag, every,
                                           obj.clock.dt_ if every > 1 else None))
    return LoopPlan(scheduled, python_ops, part + 1, EventSpaces())


class CompiledLoop:
    """A lowered, compiled loop for one network run, with its Python-side bookkeeping."""

    def __init__(self, function, plan: LoopPlan, arguments: Callable[[], list], source: str):
        self.function = function
        self.plan = plan
        self.fragments = [s.fragment for s in plan.fragments]
        self.python_ops = plan.python_ops
        self.events = plan.events
        self.arguments = arguments  # () -> the values after dt, read again after growing
        self.source = source

    def _sync_out(self) -> None:
        self.events.sync_out()
        for frag in self.fragments:
            if frag.sync_out is not None:
                frag.sync_out()

    # Where the loop hands over to Python and back.  A loop over host arrays (numba)
    # brings its counters and events back after every segment and needs nothing more; a
    # loop whose state lives on a device (cuda) overrides these: nothing after a
    # segment, everything back before Python runs (``_leave``: growing buffers, Python
    # operations, the end of the run), everything down again after (``_resume``).
    def _segment_done(self) -> None:
        self._sync_out()

    def _leave(self) -> None:
        pass

    def _resume(self) -> None:
        pass

    def _make_room(self) -> None:
        """The loop returned for lack of room: the fragments grow their buffers."""
        self._leave()
        for frag in self.fragments:
            if frag.grow is not None:
                frag.grow()
        self._resume()

    def run(self, network, clock, progress, python_positions) -> None:
        """Run the clock's steps, calling Python operations at their positions."""
        step, end = clock._i, clock._i_end
        dt = clock.dt_
        positions = sorted(python_positions, key=lambda p: (p[0], p[1]))  # (step, part, op)
        self.events.sync_in()
        self._resume()
        try:
            self._run_segments(network, clock, progress, positions, step, end, dt)
        finally:
            self._leave()

    def _run_segments(self, network, clock, progress, positions, step, end, dt) -> None:
        part = 0
        pos_index = 0
        chunk = 64
        total = max(end - step, 1)
        start_step = step
        while step < end:
            while pos_index < len(positions) and positions[pos_index][:2] < (step, part):
                pos_index += 1
            if pos_index < len(positions):
                stop_step, stop_part = positions[pos_index][:2]
            else:
                stop_step, stop_part = end, 0
            segment_end = min(end, step + chunk)
            wall = time.perf_counter()
            step, part, full = self.function(
                np.int64(step), np.int64(segment_end), np.int64(part), np.int64(stop_step),
                np.int64(stop_part), dt, *self.arguments()
            )
            elapsed = time.perf_counter() - wall
            clock._i = step
            self._segment_done()
            if full:
                self._make_room()
                continue
            if (step, part) == (stop_step, stop_part) and step < end:
                self._leave()
                while pos_index < len(positions) and positions[pos_index][:2] == (step, part):
                    positions[pos_index][2](step)
                    pos_index += 1
                # the operations may have changed events or state: continue at this part
                self.events.sync_in()
                self._resume()
                if network._should_stop() and part == 0:
                    return  # between two steps: nothing left to finish
                if network._should_stop():
                    # finish the current step, then stop
                    step, part, _ = self.function(
                        np.int64(step), np.int64(step + 1), np.int64(part), np.int64(end),
                        np.int64(0), dt, *self.arguments()
                    )
                    clock._i = step
                    self._segment_done()
                    return
            # aim for segments of about 0.1 s so that reports and Ctrl-C stay responsive
            if elapsed < 0.05:
                chunk = min(chunk * 2, 1 << 20)
            elif elapsed > 0.2:
                chunk = max(chunk // 2, 1)
            if network._should_stop():
                return
            progress.update((step - start_step) / total)
        clock._i = end


def python_positions(python_ops, clock, t_start: Fraction, t_end: Fraction) -> list:
    """(main-clock step, part, callable) for every tick of the Python operations."""
    positions = []
    for part, op in python_ops:
        step_fn = op.step_function()
        start, stop = op.clock.steps_for(t_start, t_end)
        for k in range(start, stop):
            when = op.clock.time_fraction(k) / clock._dt_frac
            if when.denominator == 1:
                positions.append((int(when), part, _bind(step_fn, k)))
            else:  # between two main steps: before the next one
                positions.append((int(when) + 1, 0, _bind(step_fn, k)))
    return positions


def _bind(step_fn, k):
    def call(_main_step):
        step_fn(k)

    return call
