"""Monitors: StateMonitor (traces) and SpikeMonitor (spike times).

Both record into buffers that grow geometrically, so no sample and no spike is
lost however long the run, and both return their data with units.
"""

from __future__ import annotations

import numpy as np

from sim.base import SimObject
from sim.codegen.ir import CodeBlock
from sim.parsing import Statement, parse_expression
from sim.units import DIMENSIONLESS, Hz, Quantity, fail_for_dimension_mismatch, second

__all__ = [
    "StateMonitor", "SpikeMonitor", "EventMonitor", "PopulationRateMonitor",
    "RecentStateMonitor",
]


class _Growable:
    """A 2-D buffer of rows that doubles its capacity when full.

    The row count lives in a one-element array (``count``) so that compiled run
    loops can append rows themselves; they stop before the buffer is full and the
    Python side grows it between compiled segments.
    """

    def __init__(self, width: int, dtype):
        self.data = np.zeros((16, width), dtype=dtype)
        self.count = np.zeros(1, dtype=np.int64)

    @property
    def n(self) -> int:
        return int(self.count[0])

    def ensure(self, extra: int) -> None:
        """Make room for ``extra`` more rows."""
        needed = self.n + extra
        if needed > len(self.data):
            size = max(2 * len(self.data), needed)
            bigger = np.zeros((size, self.data.shape[1]), dtype=self.data.dtype)
            bigger[: self.n] = self.data[: self.n]
            self.data = bigger

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
        buf = cls(values.shape[1], values.dtype)
        buf.ensure(len(values))
        buf.data[: len(values)] = values
        buf.count[0] = len(values)
        return buf


def _compile_recording(monitor, namespace: dict):
    """A kernel returning the values of the monitor's variables (one output each)."""
    statements = [
        Statement(f"_rec_{k}", "=", parse_expression(var), f"_rec_{k} = {var}")
        for k, var in enumerate(monitor.record_variables)
    ]
    block = CodeBlock(statements, None, type(monitor).__name__.lower(),
                      outputs=[f"_rec_{k}" for k in range(len(statements))])
    return monitor.source.compile(block, namespace, monitor.name)


def _record_indices(record, n: int) -> np.ndarray:
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


class _Recorded:
    """``mon[i]``: the traces of one recorded element, as attributes."""

    def __init__(self, monitor: StateMonitor, row: int):
        self._monitor = monitor
        self._row = row

    def __getattr__(self, name: str):
        mon = self.__dict__["_monitor"]
        raw = name.endswith("_")
        var = name[:-1] if raw else name
        if var not in mon.record_variables:
            raise AttributeError(f"StateMonitor does not record '{var}'")
        values = mon._buffers[var].values()[:, self._row]
        return values if raw else mon._with_unit(var, values)


class StateMonitor(SimObject):
    """Record variables of a group at every tick of its clock.

    ``StateMonitor(G, 'v' | ['v', 'w'], record=True | False | indices, dt=/clock=)``;
    ``mon.v`` has shape (recorded elements, time points), ``mon.t`` the times,
    ``mon[i].v`` the trace of element ``i`` (an index into the group).
    """

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
        for var in variables:
            if var not in source.variables:
                known = ", ".join(k for k in source.variables if not k.startswith("_"))
                raise KeyError(
                    f"StateMonitor: '{source.name}' has no variable '{var}' (variables: {known})"
                )
        self.source = source
        self.record_variables = variables
        self.record = _record_indices(record, source.N)
        self._dims = {v: source.variables[v].dim for v in variables}
        self._dtypes = {}
        for v in variables:
            var = source.variables[v]
            self._dtypes[v] = var.dtype if var.kind == "array" else np.dtype(np.float64)
        self._buffers = {v: _Growable(len(self.record), self._dtypes[v]) for v in variables}
        self._times = _Growable(1, np.float64)
        self._kernel = None

    def before_run(self, namespace: dict) -> None:
        self._kernel, self._args = _compile_recording(self, namespace)

    def step_function(self):
        if not len(self.record) and not self.record_variables:
            return None
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

    def _with_unit(self, var: str, values: np.ndarray):
        dim = self._dims[var]
        return values if dim is DIMENSIONLESS or dim.is_dimensionless else Quantity(values, dim=dim)

    @property
    def t(self) -> Quantity:
        return Quantity(self._times.values()[:, 0].copy(), dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        return self._times.values()[:, 0].copy()

    @property
    def n(self) -> int:
        return self._times.n

    def __getattr__(self, name: str):
        if name.startswith("_") or "record_variables" not in self.__dict__:
            raise AttributeError(name)
        raw = name.endswith("_")
        var = name[:-1] if raw else name
        if var in self.record_variables:
            values = self._buffers[var].values().T.copy()
            return values if raw else self._with_unit(var, values)
        raise AttributeError(f"StateMonitor '{self.name}' does not record '{var}'")

    def _get_state(self) -> dict:
        return {"buffers": {k: b.state() for k, b in self._buffers.items()},
                "times": self._times.state()}

    def _set_state(self, state: dict) -> None:
        for k, values in state["buffers"].items():
            self._buffers[k] = _Growable.from_state(values)
        self._times = _Growable.from_state(state["times"])

    def __getitem__(self, item) -> _Recorded:
        item = int(item)
        rows = np.flatnonzero(self.record == item)
        if not len(rows):
            raise IndexError(f"Element {item} is not recorded by '{self.name}'")
        return _Recorded(self, int(rows[0]))


class EventMonitor(SimObject):
    """Record the events of a group (``'spike'`` or a custom event): indices and times.

    ``variables`` (names) are recorded at each event too (``mon.v`` has one value
    per event).  ``count`` (events per element), ``num_events``, ``event_trains()``.
    ``record=False`` keeps only the counts.
    """

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
            values = self._values[var].values()[:, 0].copy()
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
        return self._arrays()[0].copy()

    @property
    def t(self) -> Quantity:
        self._check_recorded()
        return Quantity(self._arrays()[1].copy(), dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        self._check_recorded()
        return self._arrays()[1].copy()

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


class PopulationRateMonitor(SimObject):
    """The instantaneous population rate: spikes per step / (N * dt), in Hz."""

    default_name = "ratemonitor"  # Brian 2's

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

        def step(i):
            spikes = parent._events["spike"]
            n = len(spikes) if whole else int(np.count_nonzero((spikes >= offset) &
                                                               (spikes < stop)))
            buf.append((i * dt, n * scale))

        return step

    @property
    def t(self) -> Quantity:
        return Quantity(self._rates.values()[:, 0].copy(), dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        return self._rates.values()[:, 0].copy()

    @property
    def rate(self) -> Quantity:
        return Quantity(self._rates.values()[:, 1].copy(), dim=Hz.dim)

    @property
    def rate_(self) -> np.ndarray:
        return self._rates.values()[:, 1].copy()

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
        self.record = _record_indices(record, source.N)
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

    def numba_fragment(self, k: int, events):
        """Part of the numba compiled loop: write the sample into the ring's next row."""
        from sim.codegen.numba_loop import Fragment, kernel_call

        kernel = self._kernel
        prefix = f"_o{k}_"
        idx = (self.record + self.source._index_offset()).astype(np.int64)
        outs = [f"{prefix}b{j}[_r]" for j in range(len(self.record_variables))]
        call, names = kernel_call(prefix, kernel, f"{prefix}idx", f"{prefix}n", outs)
        lines = [f"_r = {prefix}cnt[0] % {prefix}rt.shape[0]", call, f"{prefix}rt[_r] = t",
                 f"{prefix}cnt[0] += 1"]

        def args():
            values = {f"{prefix}idx": idx, f"{prefix}n": np.int64(len(idx)),
                      f"{prefix}cnt": self._count, f"{prefix}rt": self._ring_t}
            for j, var in enumerate(self.record_variables):
                values[f"{prefix}b{j}"] = self._ring[var]
            if kernel.uses_random:
                values[f"{prefix}keys"] = kernel.keys
            values.update(zip(names, self._args, strict=True))
            return values

        return Fragment(self, lines, args, imports=[kernel.module_name])

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
