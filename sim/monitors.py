"""Monitors: StateMonitor (traces) and SpikeMonitor (spike times).

Both record into buffers that grow geometrically, so no sample and no spike is
lost however long the run, and both return their data with units.
"""

from __future__ import annotations

import numpy as np

from sim.base import SimObject
from sim.codegen.ir import CodeBlock
from sim.parsing import Statement, parse_expression
from sim.units import DIMENSIONLESS, Quantity, second

__all__ = ["StateMonitor", "SpikeMonitor"]


class _Growable:
    """A 2-D buffer of rows that doubles its capacity when full."""

    def __init__(self, width: int, dtype):
        self.data = np.zeros((16, width), dtype=dtype)
        self.n = 0

    def append(self, row) -> None:
        if self.n == len(self.data):
            bigger = np.zeros((2 * len(self.data), self.data.shape[1]), dtype=self.data.dtype)
            bigger[: self.n] = self.data[: self.n]
            self.data = bigger
        self.data[self.n] = row
        self.n += 1

    def values(self) -> np.ndarray:
        return self.data[: self.n]


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
        statements = [
            Statement(f"_rec_{k}", "=", parse_expression(var), f"_rec_{k} = {var}")
            for k, var in enumerate(self.record_variables)
        ]
        block = CodeBlock(statements, None, "statemonitor",
                          outputs=[f"_rec_{k}" for k in range(len(self.record_variables))])
        self._kernel, self._args = self.source.compile(block, namespace, f"{self.name}")

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

    def __getitem__(self, item) -> _Recorded:
        item = int(item)
        rows = np.flatnonzero(self.record == item)
        if not len(rows):
            raise IndexError(f"Element {item} is not recorded by '{self.name}'")
        return _Recorded(self, int(rows[0]))


class SpikeMonitor(SimObject):
    """Record the spikes of a group (or subgroup): indices ``i`` and times ``t``.

    ``count`` (spikes per neuron), ``num_spikes``, ``spike_trains()`` (dict of
    spike times per neuron) and Brian 1's ``spiketimes`` (the same dict).
    ``record=False`` keeps only the counts.
    """

    def __init__(self, source, variables=None, record: bool = True, when: str = "thresholds",
                 order: int = 1, name: str | None = None):
        super().__init__(clock=source.clock, when=when, order=order, name=name)
        self.source = source
        self.record = bool(record)
        self.count_ = np.zeros(source.N, dtype=np.int64)
        self._i: list[np.ndarray] = []
        self._t: list[float] = []
        self._cache = None
        if variables:
            raise NotImplementedError(
                "SpikeMonitor(variables=...) is not yet supported: record variables with a "
                "StateMonitor"
            )

    def before_run(self, namespace: dict) -> None:
        self._cache = None

    def step_function(self):
        source = self.source
        offset = source._index_offset()
        stop = offset + source.N
        parent = getattr(source, "source", source)
        count = self.count_
        record = self.record
        dt = self.clock.dt_
        store_i, store_t = self._i, self._t

        def step(i):
            spikes = parent._spikes
            if not len(spikes):
                return
            if offset or stop != parent.N:
                spikes = spikes[(spikes >= offset) & (spikes < stop)] - offset
                if not len(spikes):
                    return
            count[spikes] += 1
            if record:
                store_i.append(spikes.copy())
                store_t.append(i * dt)

        return step

    def after_run(self) -> None:
        self._cache = None

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._cache is None:
            if self._i:
                i = np.concatenate(self._i)
                t = np.repeat(np.asarray(self._t), [len(x) for x in self._i])
            else:
                i = np.zeros(0, dtype=np.int64)
                t = np.zeros(0)
            self._cache = (i, t)
        return self._cache

    @property
    def i(self) -> np.ndarray:
        return self._arrays()[0].copy()

    @property
    def t(self) -> Quantity:
        return Quantity(self._arrays()[1].copy(), dim=second.dim)

    @property
    def t_(self) -> np.ndarray:
        return self._arrays()[1].copy()

    @property
    def it(self) -> tuple[np.ndarray, Quantity]:
        return self.i, self.t

    @property
    def count(self) -> np.ndarray:
        return self.count_.copy()

    @property
    def num_spikes(self) -> int:
        return int(self.count_.sum())

    def spike_trains(self) -> dict[int, Quantity]:
        i, t = self._arrays()
        order = np.argsort(i, kind="stable")
        i_sorted, t_sorted = i[order], t[order]
        bounds = np.searchsorted(i_sorted, np.arange(self.source.N + 1))
        return {
            k: Quantity(t_sorted[bounds[k]:bounds[k + 1]].copy(), dim=second.dim)
            for k in range(self.source.N)
        }

    @property
    def spiketimes(self) -> dict[int, Quantity]:
        """Brian 1's name for :meth:`spike_trains`."""
        return self.spike_trains()

    def __len__(self) -> int:
        return self.num_spikes
