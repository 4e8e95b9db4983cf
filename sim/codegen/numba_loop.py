"""The compiled run loop of the numba target.

A network whose objects are all generated code runs its time steps inside one
``@njit`` function: each object contributes a *fragment* (a few lines that call
its compiled kernel, or move spikes into a monitor's buffer), and the
fragments are pasted in schedule order into a ``while`` loop over steps.

Python network operations split the loop only at their own ticks: the loop
takes a stop position ``(step, part)``, where ``part`` counts the Python
operations already run within a step, and returns there.  Monitors append into
preallocated buffers (state and rate monitors reserve the whole run's rows
before it starts); at the start of each step the loop checks there is room
for that step, and returns when there is not, so that Python grows the
buffers (event monitors) before it continues: no sample and no spike is lost.

The loop's source depends only on the structure of the network (which kernels,
in which order), so numba's disk cache reuses its compiled code across runs
and processes.  Networks with objects this module does not know (or with
compiled objects on several clocks) use the per-step Python loop instead.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from sim.clocks import EventClock

__all__ = ["CompiledLoop", "LoopUnavailable", "build_loop"]


@dataclass
class Fragment:
    """One object's part of the loop body."""

    owner: object
    lines: list[str]
    args: callable  # () -> dict of argument name -> value (re-read after growing)
    checks: list[str] = field(default_factory=list)
    grow: callable = None
    sync_out: callable = None
    imports: list[str] = field(default_factory=list)


def contiguous(start: int) -> np.ndarray:
    from sim.codegen.numba_target import contiguous as make

    return make(start)


def kernel_call(prefix: str, kernel, idx: str, n: str, extra: list[str]) -> tuple[str, dict]:
    """Call text of a kernel from the loop, and the names of its arguments."""
    names = {f"{prefix}a{k}": None for k in range(len(kernel.arg_names))}
    head = [idx, n, "t", "dt"]
    if kernel.uses_random:
        head += ["_step", f"{prefix}keys"]
    call = f"{kernel.module_name}._kernel({', '.join(head + extra + list(names))})"
    return call, names


def _runner_fragment(runner, k: int, events) -> Fragment | None:
    from sim.codegen.numba_target import NumbaBlock

    kernel = runner._kernel
    if kernel is None:
        return None
    if not isinstance(kernel, NumbaBlock) or kernel.n_outputs:
        raise _Unsupported("its code is not a numba kernel")
    prefix = f"_o{k}_"
    group = runner.group
    args_values = list(runner._args)
    fixed = {}
    if kernel.uses_random:
        fixed[f"{prefix}keys"] = kernel.keys
    if runner.on_event is None:
        fixed[f"{prefix}idx"] = contiguous(group._index_offset())
        fixed[f"{prefix}n"] = np.int64(group.N)
        if kernel.has_condition:
            event = runner.detects_event
            buf, count = events.buffers(group, event)
            call, names = kernel_call(prefix, kernel, f"{prefix}idx", f"{prefix}n",
                                       [f"{prefix}ev"])
            fixed[f"{prefix}ev"] = buf
            fixed[f"{prefix}evn"] = count
            lines = [f"{prefix}evn[0] = {call}"]
        else:
            call, names = kernel_call(prefix, kernel, f"{prefix}idx", f"{prefix}n", [])
            lines = [call]
    else:
        if kernel.has_condition:
            raise _Unsupported("a condition run on events")
        event = runner.on_event
        buf, count = events.buffers(group, event)
        fixed[f"{prefix}ev"] = buf
        fixed[f"{prefix}evn"] = count
        call, names = kernel_call(prefix, kernel, f"{prefix}ev", f"{prefix}evn[0]", [])
        lines = [f"if {prefix}evn[0] > 0:", f"    {call}"]
    for name, value in zip(names, args_values, strict=True):
        fixed[name] = value
    return Fragment(runner, lines, lambda: fixed, imports=[kernel.module_name])


def _state_monitor_fragment(mon, k: int, events) -> Fragment:
    from sim.codegen.numba_target import NumbaBlock

    kernel = mon._kernel
    if not isinstance(kernel, NumbaBlock):
        raise _Unsupported("its recording code is not a numba kernel")
    prefix = f"_o{k}_"
    idx = (mon.record + mon.source._index_offset()).astype(np.int64)
    outs = [f"{prefix}b{j}[_r]" for j in range(len(mon.record_variables))]
    call, names = kernel_call(prefix, kernel, f"{prefix}idx", f"{prefix}n", outs)
    lines = [
        f"_r = {prefix}row[0]",
        call,
        f"{prefix}bt[_r, 0] = t",
        f"{prefix}row[0] = _r + 1",
    ]
    buffers = [mon._buffers[v] for v in mon.record_variables]
    mon._reserve_for_run()  # room for the whole run, or a clear error before it starts

    def args():
        values = {
            f"{prefix}idx": idx, f"{prefix}n": np.int64(len(idx)),
            f"{prefix}row": mon._times.count, f"{prefix}bt": mon._times.data,
        }
        for j, buf in enumerate(buffers):
            values[f"{prefix}b{j}"] = buf.data
        if kernel.uses_random:
            values[f"{prefix}keys"] = kernel.keys
        for name, value in zip(names, mon._args, strict=True):
            values[name] = value
        return values

    def grow():  # not needed after the reservation; kept for safety (amortised growth)
        for buf in [*buffers, mon._times]:
            buf.ensure(1)

    def sync_out():
        # the loop counts rows in the time buffer; the variable buffers follow it
        for buf in buffers:
            buf.count[0] = mon._times.count[0]

    return Fragment(mon, lines, args, checks=[f"{prefix}row[0] < {prefix}bt.shape[0]"],
                    grow=grow, sync_out=sync_out, imports=[kernel.module_name])


def _event_monitor_fragment(mon, k: int, events) -> Fragment:
    from sim.codegen.numba_target import NumbaBlock

    kernel = mon._kernel if mon.record_variables else None
    if kernel is not None and not isinstance(kernel, NumbaBlock):
        raise _Unsupported("its recording code is not a numba kernel")
    prefix = f"_o{k}_"
    source = mon.source
    parent = getattr(source, "source", source)
    buf, count = events.buffers(parent, mon.event)
    lo = source._index_offset()
    hi = lo + source.N
    lines = [
        f"_c = {prefix}cnt[0]",
        "_m = 0",
        f"for _q in range({prefix}evn[0]):",
        f"    _e = {prefix}ev[_q]",
        f"    if _e >= {prefix}lo and _e < {prefix}hi:",
        f"        {prefix}count[_e - {prefix}lo] += 1",
        f"        if {prefix}record:",
        f"            {prefix}ib[_c + _m, 0] = _e - {prefix}lo",
        f"            {prefix}tb[_c + _m, 0] = t",
        f"            {prefix}abs[_m] = _e",
        "            _m += 1",
    ]
    names: dict = {}
    imports = []
    if kernel is not None:
        outs = [f"{prefix}vb{j}[_c:_c + _m, 0]" for j in range(len(mon.record_variables))]
        call, names = kernel_call(prefix, kernel, f"{prefix}abs", "_m", outs)
        lines += ["if _m > 0:", f"    {call}"]
        imports.append(kernel.module_name)
    lines.append(f"{prefix}cnt[0] = _c + _m")
    scratch = np.zeros(max(parent.N, 1), dtype=np.int64)

    def args():
        values = {
            f"{prefix}ev": buf, f"{prefix}evn": count, f"{prefix}count": mon.count_,
            f"{prefix}record": mon.record, f"{prefix}ib": mon._ibuf.data,
            f"{prefix}tb": mon._tbuf.data, f"{prefix}cnt": mon._ibuf.count,
            f"{prefix}lo": np.int64(lo), f"{prefix}hi": np.int64(hi),
            f"{prefix}size": np.int64(parent.N), f"{prefix}abs": scratch,
        }
        for j, var in enumerate(mon.record_variables):
            values[f"{prefix}vb{j}"] = mon._values[var].data
        if kernel is not None:
            if kernel.uses_random:
                values[f"{prefix}keys"] = kernel.keys
            values.update(zip(names, mon._args, strict=True))
        return values

    buffers = [mon._ibuf, mon._tbuf, *(mon._values[v] for v in mon.record_variables)]

    def grow():
        for b in buffers:
            b.ensure(parent.N)

    def sync_out():
        for b in buffers[1:]:
            b.count[0] = mon._ibuf.count[0]

    checks = [f"{prefix}cnt[0] + {prefix}size <= {prefix}ib.shape[0]",
              f"{prefix}cnt[0] + {prefix}size <= {prefix}tb.shape[0]"]
    checks += [f"{prefix}cnt[0] + {prefix}size <= {prefix}vb{j}.shape[0]"
               for j in range(len(mon.record_variables))]
    return Fragment(mon, lines, args, checks=checks, grow=grow, sync_out=sync_out,
                    imports=imports)


def _rate_monitor_fragment(mon, k: int, events) -> Fragment:
    prefix = f"_o{k}_"
    source = mon.source
    parent = getattr(source, "source", source)
    buf, count = events.buffers(parent, "spike")
    lo = source._index_offset()
    hi = lo + source.N
    scale = 1.0 / (source.N * mon.clock.dt_)
    mon._reserve_for_run()
    lines = [
        "_c = 0",
        f"for _q in range({prefix}evn[0]):",
        f"    if {prefix}ev[_q] >= {prefix}lo and {prefix}ev[_q] < {prefix}hi:",
        "        _c += 1",
        f"_r = {prefix}row[0]",
        f"{prefix}rb[_r, 0] = t",
        f"{prefix}rb[_r, 1] = _c * {prefix}scale",
        f"{prefix}row[0] = _r + 1",
    ]

    def args():
        return {f"{prefix}ev": buf, f"{prefix}evn": count, f"{prefix}row": mon._rates.count,
                f"{prefix}rb": mon._rates.data, f"{prefix}scale": scale,
                f"{prefix}lo": np.int64(lo), f"{prefix}hi": np.int64(hi)}

    def grow():
        mon._rates.ensure(1)

    return Fragment(mon, lines, args, checks=[f"{prefix}row[0] < {prefix}rb.shape[0]"],
                    grow=grow)


def _generator_fragment(gen, k: int, events) -> Fragment:
    prefix = f"_o{k}_"
    buf, count = events.buffers(gen, "spike")
    lines = [
        f"_kk = _step % {prefix}period if {prefix}period > 0 else _step",
        f"_lo = np.searchsorted({prefix}steps, _kk, 'left')",
        f"_hi = np.searchsorted({prefix}steps, _kk, 'right')",
        f"{prefix}evn[0] = _hi - _lo",
        "for _q in range(_hi - _lo):",
        f"    {prefix}ev[_q] = {prefix}idx[_lo + _q]",
    ]

    def args():
        return {f"{prefix}ev": buf, f"{prefix}evn": count, f"{prefix}steps": gen._steps,
                f"{prefix}idx": gen._sorted_indices,
                f"{prefix}period": np.int64(gen._period_steps)}

    return Fragment(gen, lines, args)


def _pathway_fragment(path, k: int, events) -> Fragment:
    """Spike delivery: ``numba_delivery.due_synapses`` stores this step's spikes in the
    ring and lists the synapses due now (numbers, then ranges of consecutive synapses:
    with one delay and synapses stored by source, the kernel runs on each spiking
    neuron's range directly, no list of synapse numbers gathered)."""
    from sim.codegen.numba_target import NumbaBlock

    kernel = path._kernel
    if kernel is not None and not isinstance(kernel, NumbaBlock):
        raise _Unsupported("its code is not a numba kernel")
    p = f"_o{k}_"
    parent = getattr(path.source, "source", path.source)
    buf, count = events.buffers(parent, path.event)
    lo = path.source._index_offset()
    lines = [
        f"_nd, _ns = sim.codegen.numba_delivery.due_synapses(_step, {p}ev, {p}evn, {p}lo, "
        f"{p}hi, {p}ring, {p}ringn, {p}lsteps, {p}lsyn, {p}lptr, {p}offsets, {p}sdelays, "
        f"{p}order, {p}deliver, {p}single, {p}inorder, {p}spans)",
    ]
    imports = ["sim.codegen.numba_delivery"]
    names: dict = {}
    if kernel is not None:
        imports.append(kernel.module_name)
        call, names = kernel_call(p, kernel, f"{p}deliver", "_nd", [])
        span_call, _ = kernel_call(p, kernel, f"{p}span", f"{p}spans[_q, 1]", [])
        lines += [
            "if _nd > 0:",
            f"    {call}",
            "for _q in range(_ns):",
            f"    {p}span[0] = {p}spans[_q, 0]",
            f"    {span_call}",
        ]
    span = contiguous(0)

    def args():
        values = {
            f"{p}ev": buf, f"{p}evn": count, f"{p}lo": np.int64(lo),
            f"{p}hi": np.int64(lo + path.source.N), f"{p}ring": path._ring,
            f"{p}ringn": path._ring_n, f"{p}lsteps": path._legacy_steps,
            f"{p}lsyn": path._legacy_syn, f"{p}lptr": path._legacy_ptr,
            f"{p}offsets": path._offsets, f"{p}sdelays": path._sorted_steps,
            f"{p}order": path._order, f"{p}deliver": path._deliver,
            f"{p}single": np.int64(path._single_delay), f"{p}inorder": path._in_order,
            f"{p}spans": path._spans, f"{p}span": span,
        }
        if kernel is not None:
            if kernel.uses_random:
                values[f"{p}keys"] = kernel.keys
            for name, value in zip(names, path._args, strict=True):
                values[name] = value
        return values

    return Fragment(path, lines, args, imports=imports)


def _summed_fragment(upd, k: int, events) -> Fragment:
    from sim.codegen.numba_target import NumbaBlock

    if not isinstance(upd._zero, NumbaBlock) or not isinstance(upd._add, NumbaBlock):
        raise _Unsupported("its code is not a numba kernel")
    prefix = f"_o{k}_"
    zprefix, aprefix = f"{prefix}z", f"{prefix}s"
    zcall, znames = kernel_call(zprefix, upd._zero, f"{prefix}tidx", f"{prefix}tn", [])
    acall, anames = kernel_call(aprefix, upd._add, f"{prefix}sidx", f"{prefix}sn", [])
    lines = [zcall, f"if {prefix}sn > 0:", f"    {acall}"]
    offset = upd.target._index_offset()
    tidx = contiguous(offset)
    sidx = contiguous(0)

    def args():
        values = {f"{prefix}tidx": tidx, f"{prefix}tn": np.int64(upd.target.N),
                  f"{prefix}sidx": sidx, f"{prefix}sn": np.int64(upd.synapses.N)}
        for kern, pre, names, kargs in ((upd._zero, zprefix, znames, upd._zero_args),
                                        (upd._add, aprefix, anames, upd._add_args)):
            if kern.uses_random:
                values[f"{pre}keys"] = kern.keys
            for name, value in zip(names, kargs, strict=True):
                values[name] = value
        return values

    return Fragment(upd, lines, args, imports=[upd._zero.module_name, upd._add.module_name])


def _on_slower_clock(frag: Fragment, own, main, k: int) -> Fragment:
    """Run a fragment only at the ticks of its own clock (a whole multiple of the main dt),
    with its own t, dt and step."""
    if isinstance(own, EventClock):
        raise _Unsupported("it runs on an EventClock")
    ratio = own._dt_frac / main._dt_frac
    if ratio.denominator != 1:
        raise _Unsupported(f"its dt is not a whole multiple of the fastest clock's "
                           f"({float(own._dt_frac)} s and {float(main._dt_frac)} s)")
    r = int(ratio)
    prefix = f"_o{k}_"
    body = [re.sub(r"\b_step\b", "_ostep", line) for line in frag.lines]
    lines = [
        f"if _step % {r} == 0:",
        f"    _ostep = _step // {r}",
        "    _t_main = t",
        "    _dt_main = dt",
        f"    dt = {prefix}odt",
        f"    t = _ostep * {prefix}odt",
        *(f"    {line}" for line in body),
        "    t = _t_main",
        "    dt = _dt_main",
    ]
    inner = frag.args

    def args():
        values = dict(inner())
        values[f"{prefix}odt"] = own.dt_
        return values

    # room is needed only at the fragment's own ticks (a monitor that reserved exactly
    # its run's rows is full after its last tick, while the main clock goes on)
    checks = [f"(_step % {r} != 0 or ({check}))" for check in frag.checks]
    return Fragment(frag.owner, lines, args, checks, frag.grow, frag.sync_out,
                    frag.imports)


class LoopUnavailable(Exception):
    """Why a network's run cannot be one compiled loop (it then runs step by step)."""


class _Unsupported(Exception):
    """An object the compiled loop cannot run: the network uses the Python loop."""


class _EventBuffers:
    """One fixed-size index buffer and count per (group, event), shared by the
    fragments, and copied back into the groups' ``_events`` after each segment."""

    def __init__(self):
        self._buffers: dict[tuple[int, str], tuple[object, np.ndarray, np.ndarray]] = {}

    def buffers(self, group, event: str):
        key = (id(group), event)
        if key not in self._buffers:
            buf = np.zeros(max(group.N, 1), dtype=np.int64)
            count = np.zeros(1, dtype=np.int64)
            self._buffers[key] = (group, buf, count)
        _, buf, count = self._buffers[key]
        return buf, count

    def sync_in(self) -> None:
        for (_, event), (group, buf, count) in self._buffers.items():
            current = group._events.get(event, np.zeros(0, dtype=np.int64))
            buf[: len(current)] = current
            count[0] = len(current)

    def sync_out(self) -> None:
        for (_, event), (group, buf, count) in self._buffers.items():
            group._events[event] = buf[: count[0]].copy()


def _fragment_for(obj, k: int, events) -> Fragment | None:
    from sim.groups import CodeRunner, NeuronGroup
    from sim.inputs import SpikeGeneratorGroup
    from sim.monitors import EventMonitor, PopulationRateMonitor, StateMonitor
    from sim.synapses import Synapses, SynapticPathway, _SummedUpdater

    if isinstance(obj, CodeRunner):
        return _runner_fragment(obj, k, events)
    if isinstance(obj, StateMonitor):
        return _state_monitor_fragment(obj, k, events)
    if isinstance(obj, EventMonitor):
        return _event_monitor_fragment(obj, k, events)
    if isinstance(obj, PopulationRateMonitor):
        return _rate_monitor_fragment(obj, k, events)
    if isinstance(obj, SpikeGeneratorGroup):
        return _generator_fragment(obj, k, events)
    if isinstance(obj, NeuronGroup | Synapses):
        return None  # its work is done by its contained runners
    if isinstance(obj, SynapticPathway):
        return _pathway_fragment(obj, k, events)
    if isinstance(obj, _SummedUpdater):
        return _summed_fragment(obj, k, events)
    hook = getattr(obj, "numba_fragment", None)  # objects defined outside sim (e.g. hears)
    if hook is not None:
        return hook(k, events)
    raise _Unsupported(f"{type(obj).__name__} has no compiled form")


@dataclass
class CompiledLoop:
    """A compiled run loop for one network run, with its Python-side bookkeeping."""

    function: object
    fragments: list[Fragment]
    python_ops: list[tuple[int, object]]  # (part index, operation)
    events: _EventBuffers
    source: str

    def _sync_out(self) -> None:
        self.events.sync_out()
        for frag in self.fragments:
            if frag.sync_out is not None:
                frag.sync_out()

    def arguments(self) -> list:
        values = {}
        for frag in self.fragments:
            values.update(frag.args())
        return [values[name] for name in self._arg_names]

    def run(self, network, clock, progress, python_positions) -> None:
        """Run the clock's steps, calling Python operations at their positions."""
        step, end = clock._i, clock._i_end
        dt = clock.dt_
        part = 0
        positions = sorted(python_positions, key=lambda p: (p[0], p[1]))  # (step, part, op)
        pos_index = 0
        chunk = 64
        total = max(end - step, 1)
        start_step = step
        self.events.sync_in()
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
            self._sync_out()
            if full:
                for frag in self.fragments:
                    if frag.grow is not None:
                        frag.grow()
                continue
            if (step, part) == (stop_step, stop_part) and step < end:
                while pos_index < len(positions) and positions[pos_index][:2] == (step, part):
                    positions[pos_index][2](step)
                    pos_index += 1
                # the operations may have changed events or state: continue at this part
                self.events.sync_in()
                if network._should_stop() and part == 0:
                    return  # between two steps: nothing left to finish
                if network._should_stop():
                    # finish the current step, then stop
                    step, part, _ = self.function(
                        np.int64(step), np.int64(step + 1), np.int64(part), np.int64(end),
                        np.int64(0), dt, *self.arguments()
                    )
                    clock._i = step
                    self._sync_out()
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


def build_loop(objects: list, clock) -> tuple[CompiledLoop, list]:
    """A compiled loop for these (sorted) objects driven by one regular clock, or None.

    Objects on other regular clocks take part when their ``dt`` is a whole
    multiple ``r`` of the main one: their fragment runs at steps ``s % r == 0``
    with their own time, ``dt`` and step.  Python operations may use any clock.
    Returns the loop and ``[(part, op)]`` for the operations; raises LoopUnavailable
    (naming the object and why) when an object cannot take part.
    """
    from sim.codegen.numba_target import generated_module, load_module
    from sim.operations import NetworkOperation

    if isinstance(clock, EventClock):
        raise LoopUnavailable("the fastest clock is an EventClock")
    events = _EventBuffers()
    fragments: list[tuple[int, Fragment]] = []
    python_ops: list[tuple[int, object]] = []
    part = 0
    for k, obj in enumerate(objects):
        if isinstance(obj, NetworkOperation):
            part += 1
            python_ops.append((part, obj))
            continue
        try:
            frag = _fragment_for(obj, k, events)
            if frag is not None and obj.clock is not clock:
                frag = _on_slower_clock(frag, obj.clock, clock, k)
        except _Unsupported as exc:
            raise LoopUnavailable(f"'{obj.name}': {exc}") from None
        if frag is not None:
            fragments.append((part, frag))
    n_parts = part + 1
    arg_names: list[str] = []
    for _, frag in fragments:
        arg_names.extend(frag.args())
    imports = sorted({m for _, frag in fragments for m in frag.imports})
    checks = [c for _, frag in fragments for c in frag.checks]
    body: list[str] = []
    for p in range(n_parts):
        body.append(f"if _part == {p}:")
        body.append(f"    if _step == _stop_step and _stop_part == {p}:")
        body.append(f"        return _step, {p}, False")
        if p == 0 and checks:
            body.append(f"    if not ({' and '.join(checks)}):")
            body.append("        return _step, 0, True")
        body.append("    t = _step * dt")
        for frag_part, frag in fragments:
            if frag_part == p:
                body.extend(f"    {line}" for line in frag.lines)
        body.append(f"    _part = {p + 1}")
    source = generated_module([f"import {m}" for m in imports], [
        f"def _loop(_step, _end, _part, _stop_step, _stop_part, dt, {', '.join(arg_names)}):",
        "    while _step < _end:",
        *(f"        {line}" for line in body),
        "        _part = 0",
        "        _step += 1",
        "    return _step, 0, False",
    ])
    module = load_module(source, prefix="hearsim_loop")
    loop = CompiledLoop(module._loop, [f for _, f in fragments], python_ops, events, source)
    loop._arg_names = arg_names
    return loop, python_ops


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
