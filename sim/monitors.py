"""Monitors: StateMonitor (traces) and SpikeMonitor (spike times).

Recordings are kept time-major, one row per time step (or event), in buffers
whose room is known before a run: a StateMonitor or PopulationRateMonitor
reserves exactly the rows the run will add (its clock's steps), once per run,
and refuses the run beforehand with a `RecordingMemoryError` (how much memory
it needs, and how to record less) when that does not fit in memory.  Event
monitors, whose number of events is not known in advance, grow by a quarter.
Buffers grow in place when nothing else holds them (``realloc``: no second
copy), and the data are returned as read-only views with units: ``mon.v`` is
``buffer[:n].T``, no copy; ``mon[i].v`` is a copy, as in Brian 2.
"""

from __future__ import annotations

import os

import numpy as np

from sim.base import SimObject
from sim.codegen.ir import CodeBlock
from sim.parsing import Statement, parse_expression
from sim.units import DIMENSIONLESS, Hz, Quantity, fail_for_dimension_mismatch, second

__all__ = [
    "StateMonitor", "SpikeMonitor", "EventMonitor", "PopulationRateMonitor",
    "RecentStateMonitor", "RecordingMemoryError",
]


class RecordingMemoryError(MemoryError):
    """A monitor's recording for a run does not fit in memory (raised before the run)."""


#: amortised growth when the number of rows to come is not known (event monitors)
_GROWTH = 1.25


def _read_only(values: np.ndarray) -> np.ndarray:
    """A read-only view: the caller cannot change the recording through it."""
    view = values.view()
    view.flags.writeable = False
    return view


class _Growable:
    """A 2-D buffer of rows (time-major) with a row count and spare room.

    The row count lives in a one-element array (``count``) so that compiled run
    loops can append rows themselves; they stop before the buffer is full and the
    Python side grows it between compiled segments.  :meth:`reserve` makes room
    for an exact number of rows (a run whose length is known), :meth:`ensure`
    grows by a quarter (events, whose number is not known).  Growing resizes the
    array in place (``realloc``, no copy of the data) when no view of it exists,
    else copies it once; the new rows are zeroed, so the memory is committed when
    reserved, and a later reservation sees it gone from the available memory.
    """

    def __init__(self, width: int, dtype, rows: int = 0):
        self.data = np.zeros((rows, width), dtype=dtype)
        self.count = np.zeros(1, dtype=np.int64)

    @property
    def n(self) -> int:
        return int(self.count[0])

    @property
    def capacity(self) -> int:
        return len(self.data)

    @property
    def row_bytes(self) -> int:
        return self.data.shape[1] * self.data.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def _resize(self, rows: int) -> None:
        shape = (rows, self.data.shape[1])
        try:
            # in place (realloc): the data are not copied; refused (ValueError) while
            # a view of the buffer exists, e.g. a ``mon.v`` the user keeps
            self.data.resize(shape, refcheck=True)
            return
        except ValueError:
            pass
        n = min(self.n, rows)
        bigger = np.empty(shape, dtype=self.data.dtype)
        bigger[:n] = self.data[:n]
        bigger[n:] = 0
        self.data = bigger

    def reserve(self, rows: int) -> None:
        """Room for ``rows`` rows in all, exactly (one resize at most)."""
        if rows > self.capacity:
            self._resize(rows)

    def ensure(self, extra: int) -> None:
        """Make room for ``extra`` more rows (amortised: a quarter more at least)."""
        needed = self.n + extra
        if needed > self.capacity:
            self._resize(max(needed, int(self.capacity * _GROWTH) + 16))

    def trim(self) -> None:
        """Give back the room beyond the rows held, when that needs no copy."""
        if self.capacity > self.n:
            try:
                self.data.resize((self.n, self.data.shape[1]), refcheck=True)
            except ValueError:
                pass  # a view exists: keep the room (it is never copied for nothing)

    def append(self, row) -> None:
        self.ensure(1)
        self.data[self.n] = row
        self.count[0] += 1

    def extend(self, rows: np.ndarray) -> None:
        self.ensure(len(rows))
        n = self.n
        self.data[n:n + len(rows), 0] = rows
        self.count[0] += len(rows)

    def values(self) -> np.ndarray:
        return self.data[: self.n]

    def state(self) -> np.ndarray:
        return self.values().copy()

    @classmethod
    def from_state(cls, values: np.ndarray) -> _Growable:
        values = np.asarray(values)
        buf = cls(values.shape[1], values.dtype, rows=len(values))
        buf.data[:] = values
        buf.count[0] = len(values)
        return buf


# -- memory ------------------------------------------------------------------


def _read_number(path: str) -> int | None:
    try:
        with open(path) as fh:
            text = fh.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _read_stat(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                name, _, value = line.partition(" ")
                if name == key and value.strip().isdigit():
                    return int(value)
    except OSError:
        pass
    return 0


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup memory limit (containers, batch
    schedulers), page cache counted as free; None without a limit."""
    limit = _read_number("/sys/fs/cgroup/memory.max")  # cgroup v2 ("max": no limit)
    if limit is not None:
        used = _read_number("/sys/fs/cgroup/memory.current") or 0
        cache = _read_stat("/sys/fs/cgroup/memory.stat", "file")
        return max(limit - max(used - cache, 0), 0)
    limit = _read_number("/sys/fs/cgroup/memory/memory.limit_in_bytes")  # cgroup v1
    if limit is not None and limit < 1 << 60:
        used = _read_number("/sys/fs/cgroup/memory/memory.usage_in_bytes") or 0
        cache = _read_stat("/sys/fs/cgroup/memory/memory.stat", "total_cache")
        return max(limit - max(used - cache, 0), 0)
    return None


def _available_memory() -> int | None:
    """Bytes that new data can take now: ``MemAvailable`` of /proc/meminfo (Linux),
    else the physical memory; capped by a cgroup limit; None when unknown."""
    available = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            available = None
    room = _cgroup_room()
    if room is not None:
        available = room if available is None else min(available, room)
    return available


def _format_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n} bytes"


def _bytes_text(n: int) -> str:
    return _format_bytes(n) + (f" ({n:,} bytes)" if n >= 1 << 10 else "")


def _reserve_rows(buffers: list[_Growable], rows: int, describe) -> None:
    """Room for ``rows`` rows in every buffer, or a RecordingMemoryError before anything
    is recorded (``describe(extra_bytes, available)`` words the error; ``available`` is
    None when the allocation itself failed)."""
    extra = sum(max(rows - b.capacity, 0) * b.row_bytes for b in buffers)
    if not extra:
        return
    available = _available_memory()
    if available is not None and extra > available:
        raise RecordingMemoryError(describe(extra, available))
    try:
        for b in buffers:
            b.reserve(rows)
    except MemoryError:
        for b in buffers:
            b.trim()
        raise RecordingMemoryError(describe(extra, None)) from None


def _run_steps(clock) -> int:
    """Steps the clock has left in the current run (set by the network before it runs)."""
    return max(int(clock._i_end) - int(clock._i), 0)


#: Clock values a StateMonitor can record as Brian 2's (one value for every recorded
#: element): name -> (the code that gives it, its dimensions, its dtype)
_CLOCK_VALUES = {
    "dt": ("dt", second.dim, np.dtype(np.float64)),
    "t_in_timesteps": ("timestep(t, dt)", DIMENSIONLESS, np.dtype(np.int64)),
}

#: Names a StateMonitor (as Brian 2's) uses itself: Brian 2 refuses to record them
_STATE_MONITOR_NAMES = {"t": "the recording times (mon.t)",
                        "N": "the number of time points recorded (mon.N)"}


def _recordable(source, name: str, who: str) -> tuple[object, np.dtype]:
    """(dimensions, dtype) of what a monitor records as ``name`` from ``source``.

    A variable of the group; for Synapses also those Brian 2 reaches through them: the
    pre- and postsynaptic neurons' variables (``v_pre``, ``v_post``, and ``v`` for
    ``v_post`` when the synapses have no ``v``); the clock's ``dt`` and
    ``t_in_timesteps``.  Anything else is a KeyError naming what can be recorded.
    """
    if name in source.variables:
        var = source.variables[name]
        return var.dim, (var.dtype if var.kind == "array" else np.dtype(np.float64))
    if name in _CLOCK_VALUES:
        _, dim, dtype = _CLOCK_VALUES[name]
        return dim, dtype
    from sim.synapses import Synapses

    synapses = isinstance(source, Synapses)
    if synapses and name.isidentifier():
        try:
            resolved = source._resolve(name, {}, who)
        except TypeError as exc:
            raise KeyError(f"{who}: cannot record '{name}' of '{source.name}': {exc}") from None
        except KeyError:
            resolved = None
        if resolved is not None and resolved.kind == "variable":
            var = resolved.variable
            return var.dim, (var.dtype if var.kind == "array" else np.dtype(np.float64))
    known = ", ".join(k for k in source.variables if not k.startswith("_"))
    also = ", x_pre, x_post (the neurons' variables)" if synapses else ""
    raise KeyError(f"{who}: '{source.name}' has no variable '{name}' (variables: {known}"
                   f"{also}; dt, t_in_timesteps)")


def _compile_recording(monitor, namespace: dict):
    """A kernel returning the values of the monitor's variables (one output each)."""
    statements = []
    for k, var in enumerate(monitor.record_variables):
        code = var if var in monitor.source.variables else _CLOCK_VALUES.get(var, (var,))[0]
        statements.append(Statement(f"_rec_{k}", "=", parse_expression(code),
                                    f"_rec_{k} = {var}"))
    block = CodeBlock(statements, None, type(monitor).__name__.lower(),
                      outputs=[f"_rec_{k}" for k in range(len(statements))])
    return monitor.source.compile(block, namespace, monitor.name)


def _absolute_offset(source, index) -> int:
    """The number to subtract from ``index._indices()`` to count in ``source``: the
    source's first element where the index gives absolute numbers (a morphology part),
    0 for an index of the source's own numbering (a ``SynapticSubgroup``)."""
    if getattr(index, "synapses", None) is not None or not hasattr(source, "_index_offset"):
        return 0
    return int(source._index_offset())


def _record_indices(record, n: int, offset: int = 0) -> np.ndarray:
    if hasattr(record, "_indices"):  # a part of a morphology (record=morpho.L[75*um])
        # absolute numbers, relative to a subgroup source as in Brian 2 (``offset``: the
        # source's first element)
        record = np.asarray(record._indices()) - offset
    if record is True:
        return np.arange(n)
    if record is False or record is None:
        return np.zeros(0, dtype=np.int64)
    idx = np.atleast_1d(np.asarray(record))
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise IndexError(f"A boolean record mask must have length {n}, got {idx.shape}")
        return np.flatnonzero(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"record must be True, False or integer indices, got {record!r}")
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"record indices must lie in [0, {n}), got {idx.min()}..{idx.max()}")
    return idx.astype(np.int64)


class _OwnAttribute(property):
    """A monitor attribute of hearsim's own, which a recorded variable of the same
    name hides: Brian 2 has no such attribute, so in a Brian 2 script ``mon.n``
    is the recorded gating variable ``n``, not our count of time points."""

    def __set_name__(self, owner, name: str) -> None:
        self._name = name

    def __get__(self, obj, objtype=None):
        if obj is not None and self._name in obj.__dict__.get("record_variables", ()):
            return obj.__getattr__(self._name)
        return super().__get__(obj, objtype)


class _Recorded:
    """``mon[i]``: the traces of one recorded element, as attributes."""

    def __init__(self, monitor: StateMonitor, row, item=None):
        self._monitor = monitor
        self._row = row  # a row of the buffers, or an array of rows (Brian 2's mon[[0, 2]])
        self._item = row if item is None else item

    def __getattr__(self, name: str):
        mon = self.__dict__["_monitor"]
        if name in ("t", "t_"):  # Brian 2's mon[i].t: the times
            return getattr(mon, name)
        raw = name.endswith("_")
        var = name[:-1] if raw else name
        if var not in mon.record_variables:
            raise AttributeError(f"StateMonitor '{mon.name}' does not record '{var}'")
        # a copy, as Brian 2's StateMonitorView (``v = mon[0].v; v[k] = 50*mV`` leaves the
        # recording alone); ``mon.v`` stays a read-only view of the buffer
        values = np.array(mon._buffers[var].values()[:, self._row].T)
        return values if raw else mon._with_unit(var, values)

    def __repr__(self) -> str:
        mon = self.__dict__["_monitor"]
        return (f"<StateMonitorView, giving access to elements {self._item!r} recorded by "
                f"{mon.name}>")

    # Brian 1: with one recorded variable, ``mon[i]`` is the trace itself (``mon[i][:10]``,
    # ``mon[i] / mV``, ``plot(mon.times, mon[i])``); ``mon[i].v`` keeps working
    def _trace(self):
        mon = self.__dict__["_monitor"]
        names = mon.record_variables
        if len(names) != 1:
            raise TypeError(f"StateMonitor '{mon.name}' records {', '.join(names) or 'nothing'}:"
                            f" mon[i] is the trace itself only with one variable; use "
                            f"mon[i].{names[0] if names else 'v'}")
        return getattr(self, names[0])

    def __array__(self, dtype=None, copy=None):
        values = np.asarray(self._trace())
        return values.astype(dtype) if dtype is not None else values

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x._trace() if isinstance(x, _Recorded) else x for x in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        args = tuple(x._trace() if isinstance(x, _Recorded) else x for x in args)
        return func(*args, **kwargs)

    def __getitem__(self, key):
        return self._trace()[key]

    def __len__(self) -> int:
        return len(self._trace())

    def __iter__(self):
        return iter(self._trace())

    @property
    def shape(self) -> tuple:
        return self._trace().shape


def _recorded_op(name: str):
    def op(self, *args):
        return getattr(self._trace(), name)(*args)

    op.__name__ = name
    return op


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__pow__", "__neg__", "__abs__", "__lt__",
              "__le__", "__gt__", "__ge__"):
    setattr(_Recorded, _name, _recorded_op(_name))


class StateMonitor(SimObject):
    """Record variables of a group at every tick of its clock.

    ``StateMonitor(G, 'v' | ['v', 'w'], record=True | False | indices, dt=/clock=)``;
    ``mon.v`` has shape (recorded elements, time points), ``mon.t`` the times,
    ``mon[i].v`` the trace of element ``i`` (an index into the group; a copy that the
    caller may change, as Brian 2's).

    The values are kept time-major (one row of recorded elements per time point);
    ``mon.v`` is a read-only transposed view of that buffer (no copy; ``mon.v.copy()``
    for an array to change).  Before each run the monitor makes room for exactly
    the time points the run adds (``capacity``, ``nbytes``), or raises
    `RecordingMemoryError` (a ``MemoryError``) before the run when the memory
    cannot hold them: record every k-th step (``dt=``), fewer elements
    (``record=``) or fewer variables.
    """

    invalidates_magic_network = False  # Brian 2: new monitors may join a run network

    def __init__(self, source, variables, record=True, dt=None, clock=None,
                 when: str = "start", order: int = 0, name: str | None = None):
        if clock is None and dt is None:
            clock = source.clock
        super().__init__(dt=dt, clock=clock, when=when, order=order, name=name)
        if isinstance(variables, str):
            variables = [variables]
        elif variables is True:
            variables = [n for n, v in source.variables.items()
                         if v.kind in ("array", "subexpression") and not n.startswith("_")
                         and n != "i"]
        variables = list(variables)
        self._dims, self._dtypes = {}, {}
        for var in variables:
            if var in _STATE_MONITOR_NAMES:
                # as Brian 2 (KeyError: the name is already in the monitor's variables)
                raise KeyError(f"StateMonitor: cannot record '{var}': the monitor's own "
                               f"'{var}' is {_STATE_MONITOR_NAMES[var]}")
            self._dims[var], self._dtypes[var] = _recordable(source, var, "StateMonitor")
        self.source = source
        self.record_variables = variables
        self.record = _record_indices(record, source.N, _absolute_offset(source, record))
        self._buffers = {v: _Growable(len(self.record), self._dtypes[v]) for v in variables}
        self._times = _Growable(1, np.float64)
        self._kernel = None

    def before_run(self, namespace: dict) -> None:
        self._kernel, self._args = _compile_recording(self, namespace)

    def _all_buffers(self) -> list[_Growable]:
        return [*(self._buffers[v] for v in self.record_variables), self._times]

    def _reserve_for_run(self) -> None:
        """Room for every time point of the run about to start (its clock's steps),
        or RecordingMemoryError before anything runs."""
        steps = _run_steps(self.clock)
        _reserve_rows(self._all_buffers(), self._times.n + steps,
                      lambda extra, available: self._memory_message(steps, extra, available))

    def _memory_message(self, steps: int, extra: int, available: int | None) -> str:
        from sim.groups import NeuronGroup

        n = len(self.record)
        parent = getattr(self.source, "source", self.source)
        kind = "neurons" if isinstance(parent, NeuronGroup) else "elements"
        names = ", ".join(f"'{v}'" for v in self.record_variables) or "no variable"
        value_bytes = sum(np.dtype(self._dtypes[v]).itemsize for v in self.record_variables)
        have = (f"only {_format_bytes(available)} of memory is available" if available
                is not None else "that much memory could not be allocated")
        text = (f"StateMonitor '{self.name}' cannot record this run: {names} of {n} {kind} "
                f"x {steps} time steps need {_bytes_text(extra)} more, "
                f"{_format_bytes(self.nbytes + extra)} in all, and {have}. Nothing has run. "
                f"To record less: ")
        if available:
            every = max(-(-extra // available), 2)
            fit_n = max((available // max(steps, 1) - 8) // max(value_bytes, 1), 0)
            fit_steps = available // max(extra // max(steps, 1), 1)
            tips = [f"dt= to record one step in {every} or fewer "
                    f"(dt={every * self.clock.dt_:g}*second or more)"]
            if n > 1:
                tips.append(f"record= a subset of at most {fit_n} of the {n} {kind}")
            if len(self.record_variables) > 1:
                tips.append("fewer variables")
            tips.append(f"or runs of at most {fit_steps} steps, saving the data between them")
        else:
            tips = ["dt= to record every k-th step", "record= a subset of the indices",
                    "or fewer variables"]
        return text + "; ".join(tips) + "."

    def step_function(self):
        if not len(self.record) and not self.record_variables:
            return None
        self._reserve_for_run()
        kernel, args = self._kernel, self._args
        idx = self.record + self.source._index_offset()
        n = len(idx)
        dt = self.clock.dt_
        buffers = [self._buffers[v] for v in self.record_variables]
        times = self._times

        def step(i):
            t = i * dt
            values = kernel(idx, n, t, dt, *args)
            for buf, val in zip(buffers, values, strict=True):
                buf.append(val)
            times.append(t)

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop: one row of every recorded variable per tick,
        into buffers reserved for the whole run before it starts."""
        from sim.codegen import loop_ops as ops

        if not len(self.record) and not self.record_variables:
            return None
        self._reserve_for_run()  # room for the whole run, or a clear error before it starts
        buffers = [self._buffers[v] for v in self.record_variables]
        times = self._times

        def grow():  # not needed after the reservation; kept for safety (amortised growth)
            for buf in [*buffers, times]:
                buf.ensure(1)

        def sync_out():
            # the loop counts rows in the time buffer; the variable buffers follow it
            for buf in buffers:
                buf.count[0] = times.count[0]

        record = ops.RecordState(
            ops.Kernel(self._kernel, self._args),
            ops.Indices((self.record + self.source._index_offset()).astype(np.int64)),
            [lambda buf=buf: buf.data for buf in buffers], lambda: times.data, times.count)
        return ops.LoopFragment(self, [record], [ops.Room(times.count, lambda: times.data)],
                                grow=grow, sync_out=sync_out)

    def after_run(self) -> None:
        for buf in self._all_buffers():  # a run stopped early: give back the spare room
            buf.trim()

    def _with_unit(self, var: str, values: np.ndarray):
        dim = self._dims[var]
        return values if dim is DIMENSIONLESS or dim.is_dimensionless else Quantity(values, dim=dim)

    @property
    def t(self) -> Quantity:
        return Quantity(self.t_, dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        return _read_only(self._times.values()[:, 0])

    @_OwnAttribute
    def n(self) -> int:
        """Time points recorded (as Brian 2's ``N``; a recorded ``n`` hides this)."""
        return self._times.n

    @property
    def N(self) -> int:  # noqa: N802 (Brian 2's name)
        """Time points recorded (Brian 2's ``N``)."""
        return self._times.n

    @_OwnAttribute
    def capacity(self) -> int:
        """Time points the buffers have room for (after a run: exactly ``n``)."""
        return self._times.capacity

    @_OwnAttribute
    def nbytes(self) -> int:
        """Memory held by the recording's buffers (bytes)."""
        return sum(b.nbytes for b in self._all_buffers())

    def get_states(self, vars=None, units: bool = True, format: str = "dict",  # noqa: A002
                   subexpressions: bool = False, read_only_variables: bool = True,
                   level: int = 0) -> dict:
        """Brian 2's ``get_states``: ``{'t': times, 'N': count, var: values, ...}``."""
        if format != "dict":
            raise NotImplementedError(
                f"get_states(format={format!r}): only format='dict' is available")
        names = ["t", "N", *self.record_variables] if vars is None else list(vars)
        out = {}
        for name in names:
            if name == "N":
                out[name] = self.N
            elif name == "t" or name in self.record_variables:
                out[name] = getattr(self, name if units else f"{name}_")
            else:
                raise KeyError(f"StateMonitor '{self.name}' has no variable '{name}' "
                               f"(t, N, {', '.join(self.record_variables)})")
        return out

    def __getattr__(self, name: str):
        if name.startswith("_") or "record_variables" not in self.__dict__:
            raise AttributeError(name)
        raw = name.endswith("_")
        var = name[:-1] if raw else name
        if var in self.record_variables:
            values = _read_only(self._buffers[var].values().T)  # a view, not a copy
            return values if raw else self._with_unit(var, values)
        raise AttributeError(f"StateMonitor '{self.name}' does not record '{var}'")

    # store/restore: plain arrays only (copies of the rows held), no objects
    def _get_state(self) -> dict:
        return {"buffers": {k: b.state() for k, b in self._buffers.items()},
                "times": self._times.state()}

    def _set_state(self, state: dict) -> None:
        for k, values in state["buffers"].items():
            self._buffers[k] = _Growable.from_state(values)
        self._times = _Growable.from_state(state["times"])

    @property
    def times(self) -> Quantity:
        """Brian 1's name for :attr:`t`."""
        return self.t

    @property
    def times_(self) -> np.ndarray:
        return self.t_

    def plot(self, indices=None, cmap=None, refresh=None, showlast=None, redraw: bool = True,
             variable: str | None = None, **plot_options):
        """Brian 1's ``StateMonitor.plot``: the traces against time (ms), ``cmap`` a
        colormap, ``refresh``/``showlast`` to redraw during runs (see
        :func:`sim.plotting.state_plot`). Returns the lines."""
        from sim.plotting import state_plot

        return state_plot(self, variable, indices=indices, colormap=cmap, refresh=refresh,
                          showlast=showlast, redraw=redraw, **plot_options)

    def __getitem__(self, item) -> _Recorded:
        """``mon[i]``, ``mon[[i, k]]``, ``mon[G[2:5]]`` (a subgroup of the source):
        views of those elements' traces, as Brian 2's StateMonitorView."""
        if hasattr(item, "_indices") and not hasattr(item, "_index_offset"):
            # a part of a morphology (mon[morpho.L[75*um]]): absolute numbers, relative to
            # a subgroup source (Brian 2: item._indices() - source._offset)
            item = np.asarray(item._indices()) - _absolute_offset(self.source, item)
            if np.ndim(item) == 0:
                item = int(item)
        if isinstance(item, int | np.integer) and not isinstance(item, bool):
            return _Recorded(self, self._row_of(int(item)), int(item))
        if hasattr(item, "_index_offset") and hasattr(item, "N"):  # a subgroup
            offset = item._index_offset() - self.source._index_offset()
            wanted = np.arange(offset, offset + item.N)
        elif isinstance(item, slice):
            wanted = np.arange(self.source.N)[item]
        else:
            wanted = np.asarray(item)
            if wanted.ndim != 1 or (wanted.size and wanted.dtype.kind not in "iu"):
                raise TypeError(f"StateMonitor '{self.name}': index with an integer, a "
                                f"sequence of integers, a slice or a subgroup, not {item!r}")
        rows = np.array([self._row_of(int(k)) for k in wanted], dtype=np.int64)
        return _Recorded(self, rows, item)

    def _row_of(self, element: int) -> int:
        rows = np.flatnonzero(self.record == element)
        if not len(rows):
            raise IndexError(f"Element {element} is not recorded by '{self.name}'")
        return int(rows[0])


#: Names an EventMonitor (as Brian 2's) uses itself: recording a variable of one of
#: these names would be hidden by the monitor's own attribute.
_EVENT_MONITOR_NAMES = frozenset({"i", "t", "N", "count", "it", "num_events", "num_spikes",
                                  "source", "event", "record", "name"})


class EventMonitor(SimObject):
    """Record the events of a group (``'spike'`` or a custom event): indices and times.

    ``variables`` (names) are recorded at each event too (``mon.v`` has one value
    per event).  ``count`` (events per element), ``num_events``, ``event_trains()``.
    ``record=False`` keeps only the counts.
    """

    invalidates_magic_network = False  # Brian 2: new monitors may join a run network

    def __init__(self, source, event: str = "spike", variables=None, record: bool = True,
                 when: str = "thresholds", order: int = 1, name: str | None = None):
        super().__init__(clock=source.clock, when=when, order=order, name=name)
        parent = getattr(source, "source", source)
        if event not in getattr(parent, "_events", {}):
            known = list(getattr(parent, "_events", {}))
            raise ValueError(f"'{source.name}' has no event '{event}' (events: {known})")
        self.source = source
        self.event = event
        self.record = bool(record)
        if isinstance(variables, str):
            variables = [variables]
        self.record_variables = list(variables or [])
        for var in self.record_variables:
            if var not in source.variables:
                raise KeyError(f"{type(self).__name__}: '{source.name}' has no variable '{var}'")
            if var in _EVENT_MONITOR_NAMES:
                # Brian 2 refuses these too (its monitor has variables of those names)
                raise ValueError(
                    f"{type(self).__name__}: cannot record '{var}': the monitor's own "
                    f"'{var}' has that name ({', '.join(sorted(_EVENT_MONITOR_NAMES))})")
        self.count_ = np.zeros(source.N, dtype=np.int64)
        self._ibuf = _Growable(1, np.int64)
        self._tbuf = _Growable(1, np.float64)
        self._values = {v: _Growable(1, np.float64) for v in self.record_variables}
        self._kernel = None

    def before_run(self, namespace: dict) -> None:
        if self.record_variables:
            self._kernel, self._args = _compile_recording(self, namespace)

    def step_function(self):
        source = self.source
        offset = source._index_offset()
        stop = offset + source.N
        parent = getattr(source, "source", source)
        count = self.count_
        record = self.record
        clock = self.clock
        store_i, store_t = self._ibuf, self._tbuf
        event = self.event
        kernel = self._kernel
        args = getattr(self, "_args", ())
        stores = [self._values[v] for v in self.record_variables]
        dt = clock.dt_

        def step(i):
            found = parent._events[event]
            if not len(found):
                return
            if offset or stop != parent.N:
                found = found[(found >= offset) & (found < stop)] - offset
                if not len(found):
                    return
            count[found] += 1
            if record:
                store_i.extend(found)
                store_t.extend(np.full(len(found), i * dt))
                if kernel is not None:
                    values = kernel(found + offset, len(found), i * dt, dt, *args)
                    for store, value in zip(stores, values, strict=True):
                        store.extend(np.asarray(value, dtype=float))

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop: count and append this step's events; the
        loop returns to Python for more room when a step's events might not fit."""
        from sim.codegen import loop_ops as ops

        source = self.source
        parent = getattr(source, "source", source)
        lo = source._index_offset()
        kernel = (ops.Kernel(self._kernel, self._args) if self.record_variables else None)
        ibuf, tbuf = self._ibuf, self._tbuf
        values = [self._values[v] for v in self.record_variables]
        buffers = [ibuf, tbuf, *values]

        def data(buf):
            return lambda: buf.data

        def grow():
            for b in buffers:
                b.ensure(parent.N)

        def sync_out():
            for b in buffers[1:]:
                b.count[0] = ibuf.count[0]

        record = ops.RecordEvents(ops.Events(parent, self.event), lo, lo + source.N,
                                  lambda: self.count_, bool(self.record), data(ibuf), data(tbuf),
                                  ibuf.count, kernel, [data(b) for b in values])
        rooms = [ops.Room(ibuf.count, data(b), parent.N) for b in buffers]
        return ops.LoopFragment(self, [record], rooms, grow=grow, sync_out=sync_out)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self._ibuf.values()[:, 0], self._tbuf.values()[:, 0]

    def __getattr__(self, name: str):
        if name.startswith("_") or "record_variables" not in self.__dict__:
            raise AttributeError(name)
        if name in self._NOT_KEPT and not self.__dict__.get("record", True):
            raise AttributeError(
                f"{type(self).__name__} '{self.name}' was created with record=False: it keeps "
                f"only the counts (count, num_events), not '{name}'"
            )
        raw = name.endswith("_")
        var = name[:-1] if raw else name
        if var in self.record_variables:
            values = _read_only(self._values[var].values()[:, 0])
            dim = self.source.variables[var].dim
            return values if raw or dim.is_dimensionless else Quantity(values, dim=dim)
        raise AttributeError(f"{type(self).__name__} '{self.name}' has no attribute '{name}'")

    _NOT_KEPT = ("i", "t", "t_", "it", "it_")

    def _check_recorded(self) -> None:
        if not self.record:
            raise AttributeError("record=False")  # __getattr__ says it clearly

    @property
    def i(self) -> np.ndarray:
        self._check_recorded()
        return _read_only(self._arrays()[0])

    @property
    def t(self) -> Quantity:
        return Quantity(self.t_, dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        self._check_recorded()
        return _read_only(self._arrays()[1])

    @property
    def it(self) -> tuple[np.ndarray, Quantity]:
        return self.i, self.t

    @property
    def count(self) -> np.ndarray:
        return self.count_.copy()

    @property
    def num_events(self) -> int:
        return int(self.count_.sum())

    def event_trains(self) -> dict[int, Quantity]:
        i, t = self._arrays()
        order = np.argsort(i, kind="stable")
        i_sorted, t_sorted = i[order], t[order]
        bounds = np.searchsorted(i_sorted, np.arange(self.source.N + 1))
        return {
            k: Quantity(t_sorted[bounds[k]:bounds[k + 1]].copy(), dim=second.dim)
            for k in range(self.source.N)
        }

    @property
    def it_(self) -> tuple[np.ndarray, np.ndarray]:
        return self.i, self.t_

    def values(self, var: str) -> dict[int, Quantity | np.ndarray]:
        """The recorded values of ``var`` at each element's events: ``{index: values}``
        (Brian 2's ``SpikeMonitor.values``)."""
        if var == "t":
            return self.event_trains()
        if var not in self.record_variables:
            raise KeyError(f"{type(self).__name__} '{self.name}' does not record '{var}' "
                           f"(recorded: {', '.join(self.record_variables) or 'none'})")
        i = self._arrays()[0]
        values = getattr(self, var)
        order = np.argsort(i, kind="stable")
        bounds = np.searchsorted(i[order], np.arange(self.source.N + 1))
        return {k: values[order[bounds[k]:bounds[k + 1]]] for k in range(self.source.N)}

    def all_values(self) -> dict[str, dict]:
        """``{'t': event_trains, var: values(var), ...}`` (Brian 2's ``all_values``)."""
        out: dict[str, dict] = {"t": self.event_trains()}
        for var in self.record_variables:
            out[var] = self.values(var)
        return out

    def __len__(self) -> int:
        return self.num_events

    @_OwnAttribute
    def nbytes(self) -> int:
        """Memory held by the event buffers (bytes)."""
        return sum(b.nbytes for b in (self._ibuf, self._tbuf, *self._values.values()))

    def after_run(self) -> None:
        for b in (self._ibuf, self._tbuf, *self._values.values()):
            b.trim()

    def _get_state(self) -> dict:
        return {
            "count": self.count_.copy(), "i": self._ibuf.state(), "t": self._tbuf.state(),
            "values": {k: v.state() for k, v in self._values.items()},
        }

    def _set_state(self, state: dict) -> None:
        self.count_[...] = state["count"]
        self._ibuf = _Growable.from_state(state["i"])
        self._tbuf = _Growable.from_state(state["t"])
        for k, v in state["values"].items():
            self._values[k] = _Growable.from_state(v)


class SpikeMonitor(EventMonitor):
    """Record the spikes of a group (or subgroup): indices ``i`` and times ``t``.

    ``count`` (spikes per neuron), ``num_spikes``, ``spike_trains()`` (dict of
    spike times per neuron) and Brian 1's ``spiketimes`` (the same dict).
    ``record=False`` keeps only the counts; ``variables`` are recorded at spikes.
    """

    def __init__(self, source, variables=None, record: bool = True, when: str = "thresholds",
                 order: int = 1, name: str | None = None):
        super().__init__(source, "spike", variables, record, when, order, name)

    @property
    def num_spikes(self) -> int:
        return self.num_events

    def spike_trains(self) -> dict[int, Quantity]:
        return self.event_trains()

    @property
    def spiketimes(self) -> dict[int, Quantity]:
        """Brian 1's name for :meth:`spike_trains`."""
        return self.spike_trains()

    @property
    def spikes(self) -> list[tuple[int, float]]:
        """Brian 1's list of ``(i, t)`` pairs, in order, ``t`` in seconds (a float, as
        Brian 1 stored them): ``i, t = zip(*M.spikes)``."""
        return list(zip(np.asarray(self.i).tolist(), np.asarray(self.t_).tolist(),
                        strict=True))

    @property
    def nspikes(self) -> int:
        """Brian 1's name for :attr:`num_spikes`."""
        return self.num_spikes


class PopulationRateMonitor(SimObject):
    """The instantaneous population rate: spikes per step / (N * dt), in Hz."""

    default_name = "ratemonitor"  # Brian 2's

    invalidates_magic_network = False  # Brian 2: new monitors may join a run network

    def __init__(self, source, when: str = "end", order: int = 0, name: str | None = None):
        super().__init__(clock=source.clock, when=when, order=order, name=name)
        self.source = source
        self._rates = _Growable(2, np.float64)

    def step_function(self):
        source = self.source
        parent = getattr(source, "source", source)
        offset = source._index_offset()
        stop = offset + source.N
        whole = offset == 0 and stop == parent.N
        dt = self.clock.dt_
        scale = 1.0 / (source.N * dt)
        buf = self._rates
        self._reserve_for_run()

        def step(i):
            spikes = parent._events["spike"]
            n = len(spikes) if whole else int(np.count_nonzero((spikes >= offset) &
                                                               (spikes < stop)))
            buf.append((i * dt, n * scale))

        return step

    def loop_fragment(self):
        """Its part of a compiled run loop: one (t, rate) row per step, reserved."""
        from sim.codegen import loop_ops as ops

        source = self.source
        parent = getattr(source, "source", source)
        lo = source._index_offset()
        self._reserve_for_run()
        rates = self._rates
        return ops.LoopFragment(
            self, [ops.RecordRate(ops.Events(parent, "spike"), lo, lo + source.N,
                                  1.0 / (source.N * self.clock.dt_), lambda: rates.data,
                                  rates.count)],
            [ops.Room(rates.count, lambda: rates.data)], grow=lambda: rates.ensure(1))

    def _reserve_for_run(self) -> None:
        steps = _run_steps(self.clock)

        def describe(extra, available):
            have = (f"only {_format_bytes(available)} is available" if available is not None
                    else "that much memory could not be allocated")
            return (f"PopulationRateMonitor '{self.name}' cannot record this run: {steps} "
                    f"time steps need {_bytes_text(extra)} and {have}. "
                    f"Nothing has run: run in shorter pieces.")

        _reserve_rows([self._rates], self._rates.n + steps, describe)

    def after_run(self) -> None:
        self._rates.trim()

    @property
    def nbytes(self) -> int:
        """Memory held by the buffer (bytes)."""
        return self._rates.nbytes

    @property
    def t(self) -> Quantity:
        return Quantity(self.t_, dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        return _read_only(self._rates.values()[:, 0])

    @property
    def rate(self) -> Quantity:
        return Quantity(self.rate_, dim=Hz.dim)

    @property
    def rate_(self) -> np.ndarray:
        return _read_only(self._rates.values()[:, 1])

    def smooth_rate(self, window: str | np.ndarray = "gaussian", width=None) -> Quantity:
        """The rate convolved with a window (``'gaussian'``: ``width`` is the standard
        deviation; ``'flat'``: ``width`` is the full width; or an array of weights)."""
        dt = self.clock.dt_
        if isinstance(window, str):
            if width is None:
                raise TypeError("smooth_rate: give width= (a time) for a named window")
            fail_for_dimension_mismatch(width, second, "smooth_rate: width must be a time")
            w = float(width) / dt
            if w <= 0:
                raise ValueError("smooth_rate: width must be positive")
            if window == "gaussian":
                half = int(np.round(2 * w))
                offsets = np.arange(-half, half + 1)
                kernel = np.exp(-(offsets**2) / (2 * w * w))
            elif window == "flat":
                kernel = np.ones(int(w / 2) * 2 + 1)
            else:
                raise ValueError(f"smooth_rate: unknown window {window!r} "
                                 f"(use 'gaussian', 'flat' or an array)")
        else:
            if width is not None:
                raise TypeError("smooth_rate: width= only applies to named windows")
            kernel = np.asarray(window, dtype=float)
            if kernel.ndim != 1 or len(kernel) % 2 == 0:
                raise ValueError("smooth_rate: a window array must be 1-D of odd length")
        kernel = kernel / kernel.sum()
        return Quantity(np.convolve(self.rate_, kernel, mode="same"), dim=Hz.dim)

    def _get_state(self) -> dict:
        return {"rates": self._rates.state()}

    def _set_state(self, state: dict) -> None:
        self._rates = _Growable.from_state(state["rates"])


class RecentStateMonitor(SimObject):
    """The last ``duration`` of variables (Brian 1): a ring buffer, memory bounded.

    ``mon.v`` has shape (recorded elements, samples) in time order, ``mon.t``
    the matching times; at most ``ceil(duration/dt)`` samples are kept.
    """

    invalidates_magic_network = False  # Brian 2: new monitors may join a run network

    def __init__(self, source, variables, record=True, duration=5e-3 * second, dt=None,
                 clock=None, when: str = "start", order: int = 0, name: str | None = None):
        if clock is None and dt is None:
            clock = source.clock
        super().__init__(dt=dt, clock=clock, when=when, order=order, name=name)
        fail_for_dimension_mismatch(duration, second, "RecentStateMonitor: duration must be a time")
        if isinstance(variables, str):
            variables = [variables]
        self.record_variables = list(variables)
        for var in self.record_variables:
            if var not in source.variables:
                raise KeyError(f"RecentStateMonitor: '{source.name}' has no variable '{var}'")
        self.source = source
        self.record = _record_indices(record, source.N, _absolute_offset(source, record))
        self.duration = float(duration)
        self.size = max(1, int(np.ceil(self.duration / self.clock.dt_ - 1e-9)))
        self._ring = {
            v: np.zeros((self.size, len(self.record)), dtype=float) for v in self.record_variables
        }
        self._ring_t = np.zeros(self.size)
        self._count = np.zeros(1, dtype=np.int64)  # samples written so far (compiled loops too)

    def before_run(self, namespace: dict) -> None:
        self._kernel, self._args = _compile_recording(self, namespace)

    def step_function(self):
        kernel, args = self._kernel, self._args
        idx = self.record + self.source._index_offset()
        n = len(idx)
        dt = self.clock.dt_
        rings = [self._ring[v] for v in self.record_variables]
        ring_t = self._ring_t
        size = self.size
        count = self._count

        def step(i):
            t = i * dt
            slot = count[0] % size
            values = kernel(idx, n, t, dt, *args)
            for ring, value in zip(rings, values, strict=True):
                ring[slot] = value
            ring_t[slot] = t
            count[0] += 1

        return step

    def _order(self) -> np.ndarray:
        n = int(self._count[0])
        if n < self.size:
            return np.arange(n)
        start = n % self.size
        return np.concatenate([np.arange(start, self.size), np.arange(start)])

    @property
    def t(self) -> Quantity:
        return Quantity(self._ring_t[self._order()], dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        return self._ring_t[self._order()]

    @property
    def times(self) -> Quantity:
        """Brian 1's name for :attr:`t`: the kept sample times, oldest first."""
        return self.t

    @property
    def times_(self) -> np.ndarray:
        return self.t_

    def __getitem__(self, element: int) -> Quantity:
        """Brian 1's ``M[i]``: the kept trace of element ``i`` (one recorded variable)."""
        if len(self.record_variables) != 1:
            raise TypeError(f"RecentStateMonitor '{self.name}' records "
                            f"{', '.join(self.record_variables)}: M[i] needs one variable; "
                            f"use M.{self.record_variables[0]}")
        rows = np.flatnonzero(np.asarray(self.record) == int(element))
        if not len(rows):
            raise IndexError(f"RecentStateMonitor '{self.name}' does not record element "
                             f"{element}")
        return getattr(self, self.record_variables[0])[int(rows[0])]

    def plot(self, indices=None, cmap=None, refresh=None, showlast=None, redraw: bool = True,
             variable: str | None = None, **plot_options):
        """Brian 1's ``RecentStateMonitor.plot`` (see :func:`sim.plotting.state_plot`)."""
        from sim.plotting import state_plot

        return state_plot(self, variable, indices=indices, colormap=cmap, refresh=refresh,
                          showlast=showlast, redraw=redraw, **plot_options)

    def __getattr__(self, name: str):
        if name.startswith("_") or "record_variables" not in self.__dict__:
            raise AttributeError(name)
        raw = name.endswith("_")
        var = name[:-1] if raw else name
        if var in self.record_variables:
            values = self._ring[var][self._order()].T.copy()
            dim = self.source.variables[var].dim
            return values if raw or dim.is_dimensionless else Quantity(values, dim=dim)
        raise AttributeError(f"RecentStateMonitor '{self.name}' does not record '{var}'")

    def loop_fragment(self):
        """Its part of a compiled run loop: the sample goes into the ring's next row."""
        from sim.codegen import loop_ops as ops

        idx = (self.record + self.source._index_offset()).astype(np.int64)
        record = ops.RecordState(
            ops.Kernel(self._kernel, self._args), ops.Indices(idx),
            [self._ring[v] for v in self.record_variables], self._ring_t, self._count,
            ring=True)
        return ops.LoopFragment(self, [record])

    @property
    def nbytes(self) -> int:
        """Memory held by the buffers (bytes): fixed by duration, not by run length."""
        return int(sum(r.nbytes for r in self._ring.values()) + self._ring_t.nbytes)

    def _get_state(self) -> dict:
        return {"ring": {k: v.copy() for k, v in self._ring.items()},
                "t": self._ring_t.copy(), "n": int(self._count[0])}

    def _set_state(self, state: dict) -> None:
        for k, v in state["ring"].items():
            self._ring[k][...] = v
        self._ring_t[...] = state["t"]
        self._count[0] = state["n"]
