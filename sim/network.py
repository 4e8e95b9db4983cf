"""Networks and the run loop.

``Network.run(duration)`` builds every object's code for the run (resolving
external names in the namespace of the caller), then advances time.  Within a
time step objects run in Brian 2's slot order (start, groups, thresholds,
synapses, resets, end; ``when=`` and ``order=``); with several clocks, the
clocks due at the earliest tick run together, and ticks are compared as
integers (every ``dt`` is an exact fraction of a second).

The module-level :func:`run` uses the *magic network*: all objects visible in
the calling scope (created since the last :func:`~sim.base.start_scope`), with
Brian 2's rules for time (see :class:`MagicNetwork`): a set of objects none of
which has run starts a new simulation at t = 0, the objects of the previous run
continue it, and a mix of the two is a :class:`MagicError`.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path

from sim import random as _random
from sim import snapshot as _snapshot_files
from sim.base import SimObject, _scope
from sim.clocks import EventClock, as_fraction
from sim.errors import ModelValueError
from sim.units import Quantity, fail_for_dimension_mismatch, second

_logger = logging.getLogger(__name__)

__all__ = [
    "Network", "run", "stop", "store", "restore", "forget", "recall", "collect",
    "MagicNetwork", "MagicError", "magic_network", "scheduling_summary", "SchedulingSummary",
    "profiling_summary",
]

#: ids of networks (Brian 2 remembers in each object the network that first ran it)
_network_ids = itertools.count(1)

#: Steps one run may take on a clock (the compiled loops count steps in int64).
_MAX_STEPS = 2**62


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
        if completed <= 0 and elapsed == 0:
            stream.write(f"Starting simulation at t={t_start} for a duration of {duration}\n")
        else:
            # nothing simulated yet after a report period (a long compilation): no estimate
            estimate = 0 < completed < 1
            remaining = elapsed * (1 - completed) / completed if estimate else 0.0
            done = Quantity(float(duration) * completed, dim=second.dim)  # '100. ms'
            stream.write(
                f"{done} ({completed:.0%}) simulated in "
                f"{elapsed:.3g} s" + (f", estimated {remaining:.3g} s remaining.\n"
                                        if estimate else "\n")
            )
        stream.flush()

    return report


def _tqdm_reporter() -> Callable:
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("report='tqdm' needs the tqdm package: pip install tqdm") from None
    bar = {}

    def report(elapsed, completed, t_start, duration):
        if "bar" not in bar:
            bar["bar"] = tqdm(total=1000, unit="‰", desc="simulating")
        target = int(round(completed * 1000))
        bar["bar"].update(target - bar["bar"].n)
        if completed >= 1:
            bar["bar"].close()

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
    if report == "tqdm":
        return _tqdm_reporter()
    raise ValueError(
        f"report must be None, 'text', 'stdout', 'stderr' or a callable, got {report!r}"
    )


class Network:
    """A set of objects run together: ``Network(G, M).run(100*ms)``."""

    def __init__(self, *objs, name: str = "network"):
        self.name = name
        self.objects: list[SimObject] = []
        self._id = next(_network_ids)
        self._t = Fraction(0)
        self._snapshots: dict[str, dict] = {}
        self._stop_requested = False
        self._interrupted = False
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

    def __getitem__(self, name: str) -> SimObject:
        """An object of the network (or one it contains) by name, as Brian 2."""
        for obj in _with_contained(self.objects):
            if obj.name == name:
                return obj
        known = ", ".join(o.name for o in self.objects)
        raise KeyError(f"No object '{name}' in network '{self.name}' (objects: {known})")

    def __delitem__(self, name: str) -> None:
        self.remove(self[name])

    def __len__(self) -> int:
        return len(self.objects)

    @property
    def t(self) -> Quantity:
        """Current network time."""
        return Quantity(float(self._t), dim=second.dim)

    @property
    def t_(self) -> float:
        return float(self._t)

    def _all_objects(self) -> list[SimObject]:
        return sorted(_with_contained(self.objects), key=SimObject.sort_key)

    def scheduling_summary(self) -> SchedulingSummary:
        """The objects in the order they run within a time step (Brian 2's summary):
        name, type, time step, slot (``when``), order and whether active."""
        return SchedulingSummary(self._all_objects())

    def run(
        self,
        duration: Quantity,
        report=None,
        report_period: Quantity = 10 * second,
        namespace: dict | None = None,
        profile: bool = False,
        level: int = 0,
    ) -> None:
        """Run for ``duration``.

        ``namespace``: names used by the models' strings; by default, those of
        the function that called ``run``.  ``report``: ``None``, ``'text'``,
        ``'stdout'``, ``'stderr'``, ``'tqdm'`` or ``callable(elapsed_s, fraction,
        t_start, duration)``, called every ``report_period`` of wall-clock time.

        Ctrl-C (KeyboardInterrupt) stops the run at the end of the current time
        step, leaving every monitor consistent, then raises KeyboardInterrupt;
        :meth:`stop` (e.g. from a network operation) ends the run there quietly.

        ``profile=True`` (Brian 2's) times every object's work, step by step from
        Python (not as one compiled loop): see :attr:`profiling_info` and
        :func:`profiling_summary`.
        """
        fail_for_dimension_mismatch(duration, second, "run duration must be a time")
        duration_s = float(duration)
        if not math.isfinite(duration_s):
            raise ModelValueError(f"run duration must be finite, got {duration}")
        if duration_s < 0:
            raise ValueError(f"run duration must not be negative, got {duration}")
        if namespace is None:
            namespace = _caller_namespace(level + 1)
        reporter = _make_reporter(report)
        period = float(report_period)
        every = self._all_objects()
        clashes = sorted(n for n, k in Counter(o.name for o in every).items() if k > 1)
        if clashes:
            raise ValueError(f"Network '{self.name}' contains several objects named "
                             f"{', '.join(repr(n) for n in clashes)}: give them different names")
        objects = [o for o in every if o.active]
        # random streams are named by creation rank: the same script gives the same
        # names, and so the same random numbers, on every target
        for rank, obj in enumerate(sorted(objects, key=lambda o: o._creation_index)):
            obj._stream_name = f"{type(obj).__name__}#{rank}"
        t_start = self._t
        t_end = t_start + as_fraction(duration_s)
        for clock in {id(o.clock): o.clock for o in objects}.values():
            if clock.steps_for(t_start, t_end)[1] >= _MAX_STEPS:  # before anything changes
                raise ModelValueError(
                    f"run({duration}) would take more than {_MAX_STEPS} steps of "
                    f"{clock.name} (dt = {clock.dt}): the step counter would overflow")
        from sim.devices import get_device

        # a standalone device records the run (and the initial state) for device.run()
        if get_device()._note_run(self, duration_s, namespace,
                                  {"report": report, "report_period": report_period,
                                   "profile": profile}):
            for obj in every:  # build_on_run=False: the run waits for device.build()
                if obj._network is None:
                    obj._network = self._id
            return
        for obj in objects:
            obj.before_run(namespace)
        for obj in every:  # Brian 2: the network that first ran it (the magic run's rules)
            if obj._network is None:
                obj._network = self._id
        clocks = []
        for obj in objects:
            if obj.clock not in clocks:
                clocks.append(obj.clock)
        for clock in clocks:
            clock._i, clock._i_end = clock.steps_for(t_start, t_end)
        self._stop_requested = False
        self._interrupted = False
        progress = _Progress(reporter, period, duration, t_start)
        previous_handler = _install_sigint(self)
        self._profiling = self.__dict__.setdefault("_profile_totals", {}) if profile else None
        if profile:
            self.used_compiled_loop = False
        try:
            compiled = None if profile else self._compiled_loop(objects, clocks, t_start,
                                                                t_end)
            if compiled is not None:
                loop, main_clock, positions = compiled
                loop.run(self, main_clock, progress, positions)
                reached = main_clock.time_fraction(main_clock._i)
                for clock in clocks:
                    if clock is not main_clock:  # slower clocks and Python operations'
                        clock._i = clock.steps_for(min(reached, t_end), t_end)[0]
            elif len(clocks) == 1 and not isinstance(clocks[0], EventClock):
                self._run_one_clock(objects, clocks[0], progress)
            elif clocks:
                self._run_clocks(objects, clocks, progress)
        finally:
            _restore_sigint(previous_handler)
            finished = all(c._i >= c._i_end for c in clocks)
            self._t = t_end if finished else self._t_reached(clocks)
            for obj in objects:
                obj.after_run()
        progress.finish()
        if self._interrupted:
            raise KeyboardInterrupt(f"Simulation interrupted at t = {self.t}")

    #: whether the last run used a compiled loop (numba target; on cuda: the
    #: device-resident loop)
    used_compiled_loop = False
    #: why the last run could not be one compiled loop (numba or cuda target), or None
    compiled_loop_unavailable: str | None = None

    def _compiled_loop(self, objects, clocks, t_start, t_end):
        """A compiled run loop for this run (numba; cuda: state on the device), or None for
        the Python loop."""
        from sim.prefs import active_target

        self.used_compiled_loop = False
        target = active_target()
        if target not in ("numba", "cuda") or not clocks:
            return None
        from sim.codegen.loop_plan import LoopUnavailable, python_positions
        from sim.operations import NetworkOperation

        if target == "cuda":  # state resident on the device for the whole run
            from sim.codegen.cuda_loop import build_loop
        else:
            from sim.codegen.numba_loop import build_loop

        compiled = [o.clock for o in objects if not isinstance(o, NetworkOperation)]
        if not compiled:
            return None
        main = min(compiled, key=lambda c: c._dt_frac)
        _apply_thread_count()
        try:
            loop, python_ops = build_loop(objects, main)
        except LoopUnavailable as exc:
            # the run goes on step by step from Python (every kernel still compiled)
            self.compiled_loop_unavailable = str(exc)
            _logger.info("Network '%s' runs step by step, not as one compiled loop: %s",
                         self.name, exc)
            return None
        self.compiled_loop_unavailable = None
        self.used_compiled_loop = True
        return loop, main, python_positions(python_ops, main, t_start, t_end)

    def stop(self) -> None:
        """End the current run at the end of the current time step."""
        self._stop_requested = True

    def _should_stop(self) -> bool:
        return self._stop_requested or self._interrupted

    def _step_function(self, obj):
        """An object's step function; timed per object when the run profiles."""
        f = obj.step_function()
        if f is None or self._profiling is None:
            return f
        totals = self._profiling
        totals.setdefault(obj.name, 0.0)
        clock = time.perf_counter

        def timed(step, _f=f, _name=obj.name):
            start = clock()
            _f(step)
            totals[_name] += clock() - start

        return timed

    #: {object name: seconds} of the runs made with profile=True (Brian 2's)
    _profiling: dict | None = None

    @property
    def profiling_info(self) -> list[tuple[str, Quantity]]:
        """(object name, time spent) of the runs with ``profile=True``, largest first."""
        totals = self.__dict__.get("_profile_totals", {})
        return [(name, Quantity(sec, dim=second.dim))
                for name, sec in sorted(totals.items(), key=lambda kv: -kv[1])]

    @staticmethod
    def _t_reached(clocks) -> Fraction:
        pending = [c for c in clocks if c._i < c._i_end]
        return min(c.time_fraction(c._i) for c in pending)

    def _run_one_clock(self, objects, clock, progress):
        funcs = [f for f in (self._step_function(o) for o in objects) if f is not None]
        start, end = clock._i, clock._i_end
        total = max(end - start, 1)
        for step in range(start, end):
            for f in funcs:
                f(step)
            clock._i = step + 1
            if self._stop_requested or self._interrupted:
                return
            progress.update((step + 1 - start) / total)

    def _run_clocks(self, objects, clocks, progress):
        denominator = 1
        for c in clocks:
            if isinstance(c, EventClock):
                for f in c._fractions:
                    denominator = math.lcm(denominator, f.denominator)
            else:
                denominator = math.lcm(denominator, c._dt_frac.denominator)

        def tick_function(c):
            if isinstance(c, EventClock):
                ticks = [int(f * denominator) for f in c._fractions]
                return ticks.__getitem__
            per_step = int(c._dt_frac * denominator)
            return lambda i: i * per_step

        tick_of = {id(c): tick_function(c) for c in clocks}
        ordered = []
        for o in objects:
            f = self._step_function(o)
            if f is not None:
                ordered.append((id(o.clock), f))
        first = {id(c): c._i for c in clocks}
        span = {id(c): max(c._i_end - c._i, 1) for c in clocks}
        while True:
            pending = [c for c in clocks if c._i < c._i_end]
            if not pending:
                break
            now = min(tick_of[id(c)](c._i) for c in pending)
            due = [c for c in pending if tick_of[id(c)](c._i) == now]
            due_ids = {id(c) for c in due}
            steps = {id(c): c._i for c in due}
            for cid, f in ordered:
                if cid in due_ids:
                    f(steps[cid])
            for c in due:
                c._i += 1
            if self._stop_requested or self._interrupted:
                return
            progress.update(max((c._i - first[id(c)]) / span[id(c)] for c in clocks))

    # -- store / restore ----------------------------------------------------
    def _state_objects(self) -> dict[str, SimObject]:
        found = {}
        for obj in _with_contained(self.objects):
            if hasattr(obj, "_get_state"):
                found[obj.name] = obj
        return found

    def store(self, name: str = "default", filename: str | None = None,
              random_state: bool = False) -> None:
        """Store the state of every object (and the network time) under ``name``.

        With ``filename``, the snapshot is written to (and added to) that file: an
        ``.npz`` archive of arrays and JSON metadata (see :mod:`sim.snapshot`; never
        a pickle), replaced atomically, so that a failed write (disk full) leaves the
        earlier snapshots of the file intact.  A file that is not a snapshot file is
        not overwritten (:class:`~sim.snapshot.SnapshotError`).
        The random streams' state is always stored, as in Brian 2 (``restore(...,
        restore_random_state=True)`` puts it back); ``random_state`` is accepted for
        older scripts.
        """
        snapshot = {
            "t": self._t,
            "objects": {n: o._get_state() for n, o in self._state_objects().items()},
            "clocks": {},
        }
        snapshot["random"] = _random.get_state()
        if filename is None:
            self._snapshots[name] = copy.deepcopy(snapshot)
            return
        _snapshot_files.add_snapshot(filename, name, snapshot)

    def restore(self, name: str = "default", filename: str | None = None,
                restore_random_state: bool = False) -> None:
        """Restore a state stored with :meth:`store` (from memory or from ``filename``).

        Everything is checked before any value is set, and a failure while setting
        the objects' states puts back the states they had: the network is never left
        half restored.  A file is read as data only (no pickle); a foreign, damaged or
        newer file, or a name it lacks, raises :class:`~sim.snapshot.SnapshotError`.
        """
        if filename is None:
            if name not in self._snapshots:
                raise KeyError(
                    f"No stored state named {name!r} (stored: {sorted(self._snapshots)})"
                )
            snapshot = copy.deepcopy(self._snapshots[name])
        else:
            path = Path(filename)
            if not path.exists():
                raise FileNotFoundError(f"No stored network state file '{filename}'")
            snapshot = _snapshot_files.read_snapshots(path, [name])[name]
        objects = self._state_objects()
        missing = set(snapshot["objects"]) - set(objects)
        if missing:
            raise KeyError(f"The stored state has objects this network lacks: {sorted(missing)}")
        if restore_random_state and "random" not in snapshot:  # an older in-memory state
            raise KeyError(f"The state {name!r} holds no random state")
        t = snapshot["t"]
        clocks = []
        for obj in _with_contained(self.objects):  # clocks read the restored time
            clock = getattr(obj, "clock", None)
            if clock is not None and not isinstance(clock, EventClock):
                clocks.append((clock, clock.steps_for(t, t)[0]))
        # all checked: set the states, putting the old ones back if one of them fails
        previous = {n: objects[n]._get_state() for n in snapshot["objects"]}
        done = []
        try:
            for obj_name, state in snapshot["objects"].items():
                done.append(obj_name)
                objects[obj_name]._set_state(state)
        except Exception as exc:
            for obj_name in done:
                try:
                    objects[obj_name]._set_state(previous[obj_name])
                except Exception:  # noqa: BLE001 - keep the first error  # pragma: no cover
                    pass
            exc.add_note(
                f"(restoring the state {name!r}"
                f"{f' from {str(filename)!r}' if filename is not None else ''}: the stored "
                f"state of '{done[-1]}' does not fit this network's object; the network "
                f"was left as it was)"
            )
            raise
        self._t = t
        for clock, step in clocks:
            clock._i = step
        if restore_random_state:
            _random.set_state(snapshot["random"])
        else:
            _random.new_epoch()  # the noise carries on: new streams, as Brian 2


def _apply_thread_count() -> None:
    """``prefs.codegen.numba_threads``: threads of parallel kernels (None: all cores)."""
    import numba

    from sim.prefs import prefs

    wanted = prefs.codegen.numba_threads
    limit = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(limit if wanted is None else min(wanted, limit))


class _Progress:
    """Calls a reporter every ``period`` seconds of wall-clock time, with fractions done."""

    def __init__(self, reporter, period: float, duration, t_start: Fraction):
        self.reporter = reporter
        self.period = period
        self.duration = duration
        self.t_start = Quantity(float(t_start), dim=second.dim)
        self.start = time.perf_counter()
        self.next = self.start + period
        self.last = 0.0
        if reporter is not None:
            reporter(0.0, 0.0, self.t_start, duration)

    def update(self, fraction: float) -> None:
        if self.reporter is None:
            return
        now = time.perf_counter()
        if now >= self.next:
            self.last = min(fraction, 1.0)
            self.reporter(now - self.start, self.last, self.t_start, self.duration)
            self.next = now + self.period

    def finish(self) -> None:
        if self.reporter is not None and self.last < 1.0:  # once, even if update said 100%
            self.reporter(time.perf_counter() - self.start, 1.0, self.t_start, self.duration)


def _install_sigint(net: Network):
    """While a run lasts, Ctrl-C asks it to stop at the end of the step (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        net._interrupted = True

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:  # pragma: no cover - e.g. embedded interpreters
        return None


def _restore_sigint(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)


class MagicError(Exception):
    """Brian 2's: the magic ``run()`` cannot tell whether the script continues the
    previous simulation or starts a new one (see :class:`MagicNetwork`)."""


class MagicNetwork(Network):
    """The network behind the module-level :func:`run`: what the caller can see.

    As Brian 2's (``brian2/core/magic.py``), each ``run()``, ``store()`` and
    ``restore()`` collects the objects visible in the calling frame (and those
    they contain), then:

    * if none of them has been run (a new script, a loop that makes new objects,
      objects made after :func:`~sim.base.start_scope`), a new simulation starts:
      time goes back to 0 (every clock with it);
    * if they are the objects of the previous magic run, time continues;
    * a mix of the two raises :class:`MagicError`: run objects with an explicit
      :class:`Network`, or start over with ``start_scope()``.

    New monitors (``invalidates_magic_network = False``) never count as new:
    they may join a simulation at any time.  An object first run by an explicit
    :class:`Network` cannot be run by the magic network (``RuntimeError``).

    :func:`~sim.base.start_scope` only hides the objects made before it: the magic
    network keeps its time and its stored snapshots (until a run of new objects sets
    the time back to 0, or a ``restore()`` puts a snapshot's back), as in Brian 2.
    """

    def __init__(self):
        super().__init__(name="magic_network")

    def add(self, *objs) -> None:
        """Objects cannot be added to the magic network (Brian 2): it collects them."""
        if objs:
            raise MagicError("Cannot directly modify MagicNetwork: run() collects the "
                             "objects visible in the calling scope; use Network(...)")

    def remove(self, *objs) -> None:
        """Objects cannot be removed from the magic network (Brian 2)."""
        raise MagicError("Cannot directly modify MagicNetwork: objects that are no longer "
                         "visible in the calling scope are not run; use Network(...)")

    def _update_magic_objects(self, level: int) -> None:
        """Brian 2's ``MagicNetwork._update_magic_objects``: collect the objects of the
        caller (``level`` frames above), and restart or continue time."""
        found = collect(level + 1)
        objects = _with_contained(found)
        known = [o for o in objects if o._network == self._id]
        # Brian 1's recall(): objects put back may join a simulation, as monitors do
        joining = {id(o) for o in _with_contained(o for o in found if o.__dict__.get(
            "_recalled"))} if known else set()
        new = [o for o in objects if o._network is None and o.invalidates_magic_network
               and id(o) not in joining]
        if known and new:
            def names(objs):
                return ", ".join(repr(o.name) for o in objs if o in found) or ", ".join(
                    repr(o.name) for o in objs)

            raise MagicError(
                "The magic network contains a mix of objects that has been run before "
                f"and new objects (run before: {names(known)}; new: {names(new)}): "
                "hearsim, like Brian 2, does not know whether you want to start a new "
                "simulation or continue an old one. Call start_scope() before creating "
                "the objects of a new simulation (or make the old objects invisible: del "
                "them), or put the objects in an explicit Network(...) to add objects to a "
                "running one. collect() lists the objects a magic run includes."
            )
        if new:  # all new: a new simulation, from t = 0, as a new network
            self._t = Fraction(0)
            self._id = next(_network_ids)
        foreign = [o for o in objects if o._network is not None and o._network != self._id]
        if foreign:
            raise RuntimeError(
                f"'{foreign[0].name}' has already been run in the context of another "
                "network. Use add/remove to change the objects in a simulated network "
                "instead of creating a new one."
            )
        for obj in objects:
            if obj._network is None:
                obj._network = self._id
        self.objects = found
        _logger.debug("Updated MagicNetwork to include %d objects with names %s",
                      len(objects), ", ".join(o.name for o in objects))

    def run(
        self,
        duration: Quantity,
        report=None,
        report_period: Quantity = 10 * second,
        namespace: dict | None = None,
        profile: bool = False,
        level: int = 0,
    ) -> None:
        """Run the objects visible ``level`` frames above the caller (Brian 2)."""
        self._update_magic_objects(level + 1)
        if not self.objects:
            raise RuntimeError(
                "run() found no simulation objects in the calling scope: create them in "
                "the function that calls run(), or use Network(...).run()"
            )
        try:
            super().run(duration, report=report, report_period=report_period,
                        namespace=namespace, profile=profile, level=level + 1)
        finally:
            self.objects = []  # as Brian 2: the objects are collected again at each run

    def store(self, name: str = "default", filename: str | None = None,
              random_state: bool = False, level: int = 0) -> None:
        """Store the state of the objects visible in the caller's scope (Brian 2)."""
        self._update_magic_objects(level + 1)
        try:
            super().store(name, filename, random_state)
        finally:
            self.objects = []

    def restore(self, name: str = "default", filename: str | None = None,
                restore_random_state: bool = False, level: int = 0) -> None:
        """Restore a stored state for the objects visible in the caller's scope."""
        self._update_magic_objects(level + 1)
        try:
            super().restore(name, filename, restore_random_state)
        finally:
            self.objects = []

    def __repr__(self) -> str:
        return "MagicNetwork()"


magic_network = MagicNetwork()


def collect(level: int = 0) -> list[SimObject]:
    """Objects of the current scope visible in the caller's namespace."""
    namespace = _caller_namespace(level + 1)
    found = []
    for value in namespace.values():
        if (
            isinstance(value, SimObject)
            and value.add_to_magic_network
            and not getattr(value, "_forgotten", False)
            and value._scope_key == _scope["key"]
            and value not in found
        ):
            found.append(value)
    return found


class SchedulingSummary:
    """A table of objects in schedule order; ``repr`` prints it (as Brian 2's)."""

    def __init__(self, objects: list[SimObject]):
        self.objects = objects
        self.rows = [
            (o.name, type(o).__name__,
             f"{float(o.clock.dt_) * 1e3:g} ms" if getattr(o, "clock", None) else "-",
             o.when, o.order, o.active)
            for o in objects
        ]

    def __repr__(self) -> str:
        head = ("object", "type", "dt", "when", "order", "active")
        cells = [head] + [tuple(str(c) for c in row) for row in self.rows]
        widths = [max(len(r[k]) for r in cells) for k in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                 for r in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


class ProfilingSummary:
    """Time per object of the runs with ``profile=True``; ``repr`` prints a table."""

    def __init__(self, info: list, show: int | None = None):
        total = sum(float(t) for _, t in info) or 1.0
        self.rows = [(name, float(t), 100 * float(t) / total) for name, t in info][:show]

    def __repr__(self) -> str:
        width = max([len("object"), *(len(r[0]) for r in self.rows)])
        lines = [f"{'object'.ljust(width)}  {'time':>12}  {'share':>7}"]
        lines += [f"{name.ljust(width)}  {sec:10.4f} s  {share:6.2f} %"
                  for name, sec, share in self.rows]
        return "\n".join(lines)


def profiling_summary(net: Network | None = None, show: int | None = None) -> ProfilingSummary:
    """Brian 2's summary of where a profiled run (``run(..., profile=True)``) spent its
    time, per object, largest first (``show``: only that many rows)."""
    net = magic_network if net is None else net
    if not net.profiling_info:
        raise ValueError("No profiling information: run with profile=True first")
    return ProfilingSummary(net.profiling_info, show)


def scheduling_summary(net: Network | None = None, level: int = 0) -> SchedulingSummary:
    """The schedule of ``net``, or of the objects the magic ``run()`` would collect."""
    if net is None:
        net = Network(*collect(level + 1))
    return net.scheduling_summary()


def run(
    duration: Quantity,
    report=None,
    report_period: Quantity = 10 * second,
    namespace: dict | None = None,
    profile: bool = False,
    level: int = 0,
) -> None:
    """Run every object visible in the calling scope for ``duration``.

    As Brian 2's: objects none of which has run start a new simulation at t = 0;
    the objects of the previous run continue from its end; a mix raises
    :class:`MagicError` (see :class:`MagicNetwork`).
    """
    magic_network.run(duration, report=report, report_period=report_period,
                      namespace=namespace, profile=profile, level=level + 1)


def stop() -> None:
    """End the magic network's current run at the end of the current time step."""
    magic_network.stop()


def store(name: str = "default", filename: str | None = None,
          random_state: bool = False) -> None:
    """Store the state of the objects visible in the calling scope (magic network)."""
    magic_network.store(name, filename, random_state, level=1)


def restore(name: str = "default", filename: str | None = None,
            restore_random_state: bool = False) -> None:
    """Restore a state stored with :func:`store` for the objects of the calling scope."""
    magic_network.restore(name, filename, restore_random_state, level=1)


def forget(*objs) -> None:
    """Brian 1: take objects out of the magic network (``run()`` ignores them)."""
    for obj in _flatten(objs):
        obj._forgotten = True


def recall(*objs) -> None:
    """Brian 1: put objects taken out by :func:`forget` back into the magic network.

    As in Brian 1, they join the simulation at its current time, even if they have
    never run (they do not make a :class:`MagicError` mix of old and new objects).
    """
    for obj in _flatten(objs):
        if obj.__dict__.get("_forgotten"):
            obj._recalled = True
        obj._forgotten = False

